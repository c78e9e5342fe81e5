import Testing

@_spi(Kernels) @testable import FERCore

@Suite("Emotion smoother and scores")
struct EmotionSmootherTests {
    func scores(_ p: [Float]) -> EmotionScores {
        var v = SIMD8<Float>()
        for (i, x) in p.enumerated() { v[i] = x }
        return EmotionScores(probabilities: v)
    }

    @Test("EMA: first value as is, then alpha·new + (1-alpha)·old")
    func ema() {
        var options = EmotionSmoother.Options()
        options.alpha = 0.25
        let sm = EmotionSmoother(options: options)
        let happy = scores([0, 0, 0, 1, 0, 0, 0]), sad = scores([0, 0, 0, 0, 1, 0, 0])
        let first = sm.smoothed(nil, with: happy)
        #expect(first == happy)
        let second = sm.smoothed(first, with: sad)
        #expect(second[.happy] == 0.75 && second[.sad] == 0.25 && second.label == .happy)
        let third = sm.smoothed(second, with: sad)
        #expect(third[.happy] == 0.5625 && third[.sad] == 0.4375)
    }

    @Test("alpha 1 disables smoothing; the smoothed label follows a persistent change")
    func alphaExtremes() {
        var options = EmotionSmoother.Options()
        options.alpha = 1
        let sm = EmotionSmoother(options: options)
        let angry = sm.smoothed(nil, with: scores([1, 0, 0, 0, 0, 0, 0]))
        #expect(sm.smoothed(angry, with: scores([0, 0, 0, 0, 0, 0, 1])).label == .neutral)
        let slow = EmotionSmoother() // default alpha 0.3
        let a = slow.smoothed(nil, with: scores([1, 0, 0, 0, 0, 0, 0]))
        let b = slow.smoothed(a, with: scores([0, 0, 0, 0, 0, 0, 1]))
        #expect(b.label == .angry)
        #expect(slow.smoothed(b, with: scores([0, 0, 0, 0, 0, 0, 1])).label == .neutral) // 0.51 after two
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
