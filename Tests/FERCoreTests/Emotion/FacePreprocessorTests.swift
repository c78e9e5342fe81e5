import Testing

@_spi(Kernels) @testable import FERCore

/// fer's preprocessing (fer 25.10.3 `FER.detect_emotions`) reproduced byte for byte:
/// the fixtures hold the 64×64 bytes cv2 produced from fer's own crop code
/// (Tools/make_emotion_fixtures.py, which also checks them against the golden inputs).
///
/// Tolerance: none. Gray conversion and `cv2.resize` (``ColorConversion``, ``Resizer``) are
/// bit-exact, so every resized byte, the crop geometry, the pad value and the scaled floats
/// must equal fer's. (A ±1 grey-level slack would only be needed against a resize that is not
/// bit-exact, e.g. OpenCV's scalar path instead of its SIMD one; we match the SIMD one.)
@Suite("Emotion preprocessing as fer does it")
struct FacePreprocessorTests {
    @Test("crop region and pad value equal fer's for in-image, edge and 1-pixel boxes")
    func geometry() throws {
        let fx = try EmotionFixtures()
        let pre = FacePreprocessor()
        for b in fx.boxes {
            let image = try fx.image(b.variant)
            let region = try pre.region(for: fx.rect(b), imageWidth: image.width, imageHeight: image.height)
            #expect([region.x, region.y, region.width, region.height] == b.region, "\(b.name)")
            let pad = try image.withView { (v) throws(EmotionError) in try pre.paddingValue(of: v) }
            #expect(Int(pad) == b.pad_value, "\(b.name)")
        }
    }

    @Test("resized face bytes equal cv2's (fer's crop, gray, resize)")
    func resizedBytes() throws {
        let fx = try EmotionFixtures()
        let pre = FacePreprocessor()
        var input = [Float](repeating: 0, count: 64 * 64)
        for b in fx.boxes {
            let image = try fx.image(b.variant)
            try image.withView { (v) throws(EmotionError) in
                try input.withUnsafeMutableBufferPointer { (p) throws(EmotionError) in
                    guard let base = p.baseAddress else { return }
                    try pre.prepare(image: v, box: fx.rect(b), into: base)
                }
            }
            let actual = Image(pre.lastResizedFace).pixels
            let expected = try fx.bytes("\(b.name).resized")
            let off = zip(actual, expected).filter { $0 != $1 }.count
            #expect(off == 0, "\(b.name): \(off) of \(expected.count) bytes differ")
            // The floats are exactly fer's scaling of the bytes.
            #expect(input == actual.map { (Float($0) / 255 - 0.5) * 2 })
        }
    }

    @Test("the golden inputs (fer's float tensors) are reproduced from the photo and box")
    func goldenInputs() throws {
        let fx = try EmotionFixtures()
        let golden = try EmotionFixtures.golden()
        let pre = FacePreprocessor()
        var input = [Float](repeating: 0, count: 64 * 64)
        for b in fx.boxes {
            guard let k = b.golden_case else { continue }
            let image = try fx.image(b.variant)
            try image.withView { (v) throws(EmotionError) in
                try input.withUnsafeMutableBufferPointer { (p) throws(EmotionError) in
                    guard let base = p.baseAddress else { return }
                    try pre.prepare(image: v, box: fx.rect(b), into: base)
                }
            }
            let expected = try golden.floats("case\(k).input").values
            #expect(input == expected, "case \(k): max abs difference \(maxAbsDiff(input, expected))")
        }
    }

    @Test("a face crop is resized 48→64 as cv2 does, and mirrored exactly")
    func cropPath() throws {
        let fx = try EmotionFixtures()
        let crop = try Image(width: 48, height: 48, format: .gray8, pixels: fx.bytes("crop.gray48"))
        let pre = FacePreprocessor()
        var input = [Float](repeating: 0, count: 64 * 64)
        var mirror = [Float](repeating: 0, count: 64 * 64)
        try crop.withView { (v) throws(EmotionError) in
            try input.withUnsafeMutableBufferPointer { (p) throws(EmotionError) in
                try mirror.withUnsafeMutableBufferPointer { (m) throws(EmotionError) in
                    guard let base = p.baseAddress, let mb = m.baseAddress else { return }
                    try pre.prepare(crop: v, into: base, mirrored: mb)
                }
            }
        }
        let expected = try fx.bytes("crop.resized")
        let actual = Image(pre.lastResizedFace).pixels
        #expect(actual == expected)
        for r in 0..<64 {
            for c in 0..<64 { #expect(mirror[r * 64 + c] == input[r * 64 + 63 - c]) }
        }
    }

    @Test("bad boxes give typed errors; boxes partly outside are padded like fer")
    func badBoxes() throws {
        let pre = FacePreprocessor()
        let outside: [FaceRect] = [
            FaceRect(x: 100, y: 10, width: 20, height: 20), FaceRect(x: -20, y: 10, width: 20, height: 20),
            FaceRect(x: 10, y: 80, width: 20, height: 20), FaceRect(x: 10, y: -30, width: 20, height: 30),
            FaceRect(x: -5000, y: -5000, width: 10, height: 10), FaceRect(x: Int.max / 4, y: 0, width: 5, height: 5)
        ]
        for box in outside {
            #expect(throws: EmotionError.boxOutsideImage(box.box, imageWidth: 100, imageHeight: 80)) {
                _ = try pre.region(for: box, imageWidth: 100, imageHeight: 80)
            }
        }
        for box in [
            FaceRect(x: 10, y: 10, width: 0, height: 20), FaceRect(x: 10, y: 10, width: 20, height: -1),
            FaceRect(x: 0, y: 0, width: 0, height: 0)
        ] {
            #expect(throws: EmotionError.emptyBox(box.box)) { _ = try pre.region(for: box, imageWidth: 100, imageHeight: 80) }
        }
        // A 1-pixel face is valid: 21×21 crop. A box covering more than the image is cut at the padding.
        let one = try pre.region(for: FaceRect(x: 50, y: 40, width: 1, height: 1), imageWidth: 100, imageHeight: 80)
        #expect(one == FacePreprocessor.CropRegion(x: 40, y: 30, width: 21, height: 21))
        let huge = try pre.region(for: FaceRect(x: -1000, y: -1000, width: 3000, height: 3000), imageWidth: 100, imageHeight: 80)
        #expect(huge == FacePreprocessor.CropRegion(x: -40, y: -40, width: 180, height: 160))
        // A 1×1 image with a box around it: all padding but the one pixel; never a crash.
        let tiny = try Image(width: 1, height: 1, format: .rgb8, repeating: 200)
        var input = [Float](repeating: 0, count: 64 * 64)
        try tiny.withView { (v) throws(EmotionError) in
            try input.withUnsafeMutableBufferPointer { (p) throws(EmotionError) in
                guard let base = p.baseAddress else { return }
                try pre.prepare(image: v, box: Box(x: 0, y: 0, width: 1, height: 1), into: base)
            }
        }
        #expect(input.allSatisfy { $0 == (Float(200) / 255 - 0.5) * 2 })
    }
}
