import Testing
@testable import FERCore

@Suite("Emotion smoother and scores")
struct EmotionSmootherTests {
    func scores(_ p: [Float]) -> EmotionScores {
        var v = SIMD8<Float>()
        for (i, x) in p.enumerated() { v[i] = x }
        return EmotionScores(probabilities: v)
    }

    @Test("EMA per track: first value as is, then alpha·new + (1-alpha)·old; tracks independent")
    func ema() {
        var options = EmotionSmoother.Options()
        options.alpha = 0.25
        var sm = EmotionSmoother(options: options)
        let happy = scores([0, 0, 0, 1, 0, 0, 0]), sad = scores([0, 0, 0, 0, 1, 0, 0])
        #expect(sm.update(track: 1, with: happy) == happy)
        let second = sm.update(track: 1, with: sad)
        #expect(second[.happy] == 0.75 && second[.sad] == 0.25 && second.label == .happy)
        let third = sm.update(track: 1, with: sad)
        #expect(third[.happy] == 0.5625 && third[.sad] == 0.4375)
        // Another track starts fresh.
        #expect(sm.update(track: 2, with: sad) == sad)
        #expect(sm.trackCount == 2)
        sm.remove(track: 1)
        #expect(sm.scores(track: 1) == nil && sm.scores(track: 2) == sad)
        sm.removeAll { $0 != 2 }
        #expect(sm.trackCount == 0)
    }

    @Test("alpha 1 disables smoothing; the smoothed label follows a persistent change")
    func alphaExtremes() {
        var options = EmotionSmoother.Options()
        options.alpha = 1
        var sm = EmotionSmoother(options: options)
        _ = sm.update(track: 0, with: scores([1, 0, 0, 0, 0, 0, 0]))
        #expect(sm.update(track: 0, with: scores([0, 0, 0, 0, 0, 0, 1])).label == .neutral)
        var slow = EmotionSmoother()   // default alpha 0.3
        _ = slow.update(track: 0, with: scores([1, 0, 0, 0, 0, 0, 0]))
        #expect(slow.update(track: 0, with: scores([0, 0, 0, 0, 0, 0, 1])).label == .angry)
        #expect(slow.update(track: 0, with: scores([0, 0, 0, 0, 0, 0, 1])).label == .neutral)   // 0.51 after two
    }

    @Test("scores: argmax takes the first of ties, uncertainty threshold, names")
    func scoresBasics() {
        let tie = scores([0.3, 0.3, 0.4, 0, 0, 0, 0])
        #expect(tie.label == .fear && tie.confidence == 0.4)
        let flat = EmotionScores(probabilities: SIMD8(repeating: 1.0 / 7), uncertaintyThreshold: 0.4)
        #expect(flat.label == .angry && flat.isUncertain && flat.displayName == "uncertain")
        #expect(flat.storage[7] == 0)
        #expect(EmotionLabel.allCases.map(\.name) == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"])
        #expect(EmotionLabel(name: "Happy") == .happy && EmotionLabel(name: "contempt") == nil)
    }
}
