import Testing

@_spi(Kernels) @testable import FERCore

/// The classifier against Keras (fer's mini-Xception, Tools/make_goldens.py and
/// Tools/make_emotion_fixtures.py) and against itself (batches, flip averaging).
///
/// Tolerances: probabilities vs Keras ≤ 1e-4 max abs (the target; the engine's
/// golden test measures a few 1e-7). Batch vs single runs ≤ 1e-6: the packed kernels sum
/// every output in the same order whatever the batch, so they agree to the last bit today; the
/// bound leaves room for a future kernel that blocks batches differently.
@Suite("Emotion classifier")
struct EmotionClassifierTests {
    static func classifier(_ options: EmotionClassifier.Options = .init()) throws -> EmotionClassifier {
        try EmotionClassifier(network: Network(contentsOf: Paths.weights(.emotion)), options: options)
    }

    @Test("probabilities from fer's preprocessed inputs equal Keras's (golden cases 0-5)")
    func preprocessedGoldens() throws {
        let golden = try EmotionFixtures.golden()
        let c = try Self.classifier()
        var inputs: [Float] = []
        var expected: [[Float]] = []
        for k in 0..<6 {
            inputs += try golden.floats("case\(k).input").values
            expected.append(try golden.floats("case\(k).predictions").values)
        }
        var results = [EmotionScores](repeating: .zero, count: 6)
        try inputs.withUnsafeBufferPointer { (i) throws(EmotionError) in
            try results.withUnsafeMutableBufferPointer { (r) throws(EmotionError) in try c.classify(preprocessed: i, into: r) }
        }
        for k in 0..<6 {
            #expect(maxAbsDiff(results[k].probabilities, expected[k]) <= 1e-4, "case \(k)")
            let top = expected[k].indices.max { expected[k][$0] < expected[k][$1] }
            #expect(results[k].label.rawValue == top, "case \(k)")
            #expect(results[k].confidence == results[k].probabilities.max())
        }
    }

    @Test("photo + box gives Keras's probabilities (fer's full path), batch equals singles")
    func photoAndBoxes() throws {
        let fx = try EmotionFixtures()
        let golden = try EmotionFixtures.golden()
        let c = try Self.classifier()
        let photoBoxes = fx.boxes.filter { $0.variant == "photo" } // boxes 2, 3 and the edge boxes
        var singles: [EmotionScores] = []
        try fx.photo.withView { (v) throws(EmotionError) in
            for b in photoBoxes { singles.append(try c.classify(v, box: fx.rect(b))) }
        }
        for (b, s) in zip(photoBoxes, singles) {
            guard let k = b.golden_case else { continue }
            let expected = try golden.floats("case\(k).predictions").values
            #expect(maxAbsDiff(s.probabilities, expected) <= 1e-4, "\(b.name)")
        }
        // 8 faces: one chunk of 8 (maximumBatch 16); then maximumBatch 4: chunks 4, 2, 1, 1.
        var boxes = photoBoxes.map { fx.rect($0) }
        boxes += boxes.prefix(8 - boxes.count)
        let expected = singles + singles.prefix(8 - singles.count)
        for maximumBatch in [16, 4] {
            c.options.maximumBatch = maximumBatch
            var results = [EmotionScores](repeating: .zero, count: boxes.count)
            try fx.photo.withView { (v) throws(EmotionError) in try c.classify(v, boxes: boxes, into: &results) }
            for (r, s) in zip(results, expected) {
                #expect(maxAbsDiff(r.probabilities, s.probabilities) <= 1e-6, "maximumBatch \(maximumBatch)")
                #expect(r.label == s.label)
            }
        }
    }

    @Test("a face crop gives Keras's probabilities; flip averaging equals the mean of Keras's two runs")
    func cropAndFlip() throws {
        let fx = try EmotionFixtures()
        let crop = try Image(width: 48, height: 48, format: .gray8, pixels: fx.bytes("crop.gray48"))
        let plain = try fx.floats("crop.predictions"), flipped = try fx.floats("crop.predictions_flipped")
        let c = try Self.classifier()
        let a = try crop.withView { (v) throws(EmotionError) in try c.classify(crop: v) }
        #expect(maxAbsDiff(a.probabilities, plain) <= 1e-4)
        c.options.flipAveraging = true
        let b = try crop.withView { (v) throws(EmotionError) in try c.classify(crop: v) }
        #expect(maxAbsDiff(b.probabilities, zip(plain, flipped).map { ($0 + $1) / 2 }) <= 1e-4)
    }

    @Test("flip averaging equals the mean of the plain run and the run on the mirrored input")
    func flipIsMeanOfSingles() throws {
        let golden = try EmotionFixtures.golden()
        let x = try golden.floats("case3.input").values
        var mirrored = x
        for r in 0..<64 { for c in 0..<64 { mirrored[r * 64 + c] = x[r * 64 + 63 - c] } }
        let c = try Self.classifier()
        func run(_ input: [Float]) throws -> EmotionScores {
            var out = [EmotionScores.zero]
            try input.withUnsafeBufferPointer { (i) throws(EmotionError) in
                try out.withUnsafeMutableBufferPointer { (r) throws(EmotionError) in try c.classify(preprocessed: i, into: r) }
            }
            return out[0]
        }
        let p = try run(x), q = try run(mirrored)
        c.options.flipAveraging = true
        let avg = try run(x)
        // Plain and mirrored run in one batch of 2 here: ≤ 1e-6 as for batches.
        #expect(maxAbsDiff(avg.probabilities, zip(p.probabilities, q.probabilities).map { ($0 + $1) / 2 }) <= 1e-6)
        #expect(abs(avg.probabilities.reduce(0, +) - 1) <= 1e-5) // still a distribution (float32 sum)
    }

    @Test("uncertain below the threshold; typed errors for bad input")
    func uncertaintyAndErrors() throws {
        let fx = try EmotionFixtures()
        var options = EmotionClassifier.Options()
        options.uncertaintyThreshold = 0.999 // box 3's top probability is below this
        let c = try Self.classifier(options)
        let box = try #require(fx.boxes.first { $0.golden_case == 3 })
        let s = try fx.photo.withView { (v) throws(EmotionError) in try c.classify(v, box: fx.rect(box)) }
        #expect(s.isUncertain == (s.confidence < 0.999))
        #expect(s.displayName == (s.isUncertain ? "uncertain" : s.label.name))
        try fx.photo.withView { (v) throws(EmotionError) in
            let empty = Box(x: 10, y: 10, width: 0, height: 5)
            #expect(throws: EmotionError.emptyBox(empty)) { _ = try c.classify(v, box: empty) }
            let away = Box(x: 600, y: 10, width: 50, height: 50)
            #expect(throws: EmotionError.boxOutsideImage(away, imageWidth: 512, imageHeight: 512)) {
                _ = try c.classify(v, box: away)
            }
            var two = [EmotionScores.zero]
            #expect(throws: EmotionError.resultCountMismatch(expected: 2, actual: 1)) {
                try c.classify(v, boxes: [empty, away], into: &two)
            }
        }
        #expect(throws: EmotionError.self) {
            _ = try EmotionClassifier(network: Network(contentsOf: Paths.weights(.pnet)))
        }
        #expect(throws: EmotionError.self) { _ = try EmotionClassifier(weightsDirectory: "/nonexistent") }
    }
}
