import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// Inputs at the edges: tiny, huge, strided, multi-threaded, options out of range.
/// (Faces touching the border, larger than the short side, gray input and no face are
/// golden cases in FaceDetectorGoldenTests.)
@Suite("FaceDetector edge cases")
struct FaceDetectorEdgeCaseTests {
    @Test(
        "images smaller than one 12x12 window, down to 1x1, give no faces and no error",
        arguments: [(1, 1), (11, 11), (11, 400), (400, 11), (12, 12)])
    func tinyImages(_ size: (Int, Int)) throws {
        let detector = try DetectionFixtures.detector()
        for format in [PixelFormat.rgb8, .gray8] {
            let image = try Image(width: size.0, height: size.1, format: format, repeating: 128)
            let faces = try image.withView { (v) throws(DetectionError) in try detector.detect(v) }
            #expect(faces.isEmpty)
        }
    }

    @Test("a 4000x3000 image: the face is found where it was pasted")
    func largeImage() throws {
        let file = try DetectionFixtures.file()
        let small = try DetectionFixtures.image("astronaut", in: file)
        // Min face 80 keeps the debug-build test short; the pyramid still starts at 600x450.
        let detector = try DetectionFixtures.detector(minimumFaceSize: 80)
        let expected = try #require(try small.withView { (v) throws(DetectionError) in try detector.detect(v) }.first)
        var big = try Image(width: 4000, height: 3000, format: .rgb8, repeating: 70)
        let (ox, oy) = (3000, 2000)
        for y in 0..<small.height {
            for x in 0..<small.width * 3 {
                big.pixels[(oy + y) * 4000 * 3 + ox * 3 + x] = small.pixels[y * small.width * 3 + x]
            }
        }
        let faces = try big.withView { (v) throws(DetectionError) in try detector.detect(v) }
        #expect(faces.count == 1)
        let face = try #require(faces.first)
        var shifted = expected.box
        shifted.x += Double(ox)
        shifted.y += Double(oy)
        // Pyramid levels of the big image sample the face on another grid (level sizes are
        // truncated from 4000·s, not 320·s), so the cascade sees slightly different pixels.
        #expect(face.box.iou(shifted) >= 0.85, "\(face.box) vs \(shifted)")
    }

    @Test("a strided view (a crop) gives the same faces as a packed copy of it")
    func stridedView() throws {
        let file = try DetectionFixtures.file()
        let group = try DetectionFixtures.image("group", in: file)
        let detector = try DetectionFixtures.detector()
        let (fromView, fromCopy) = try group.withView { (v) throws(any Error) in
            let crop = try v.cropped(x: 100, y: 80, width: 300, height: 250)
            let copy = Image(crop)
            return (try detector.detect(crop), try copy.withView { (c) throws(DetectionError) in try detector.detect(c) })
        }
        #expect(!fromView.isEmpty)
        #expect(fromView == fromCopy)
    }

    @Test("two threads give exactly the one-thread result; maximumFaces keeps the best")
    func threadsAndLimit() throws {
        let file = try DetectionFixtures.file()
        let group = try DetectionFixtures.image("group", in: file)
        let one = try DetectionFixtures.detector(threads: 1)
        let two = try DetectionFixtures.detector(threads: 2)
        let a = try group.withView { (v) throws(DetectionError) in try one.detect(v) }
        let b = try group.withView { (v) throws(DetectionError) in try two.detect(v) }
        #expect(a.count == 4)
        #expect(a == b)
        // Repeated calls reuse every buffer and give the same answer.
        var again: [FaceDetection] = []
        try group.withView { (v) throws(DetectionError) in try two.detect(v, into: &again) }
        #expect(again == b)
        one.options.maximumFaces = 2
        let limited = try group.withView { (v) throws(DetectionError) in try one.detect(v) }
        #expect(limited == Array(a.prefix(2)))
        #expect(one.statistics.faces == 4 && one.statistics.levels > 5 && one.statistics.proposals >= one.statistics.refined)
    }

    @Test("options out of range are rejected with the field named")
    func invalidOptions() throws {
        var options = FaceDetectorOptions()
        options.scaleFactor = 1.2
        #expect(throws: DetectionError.invalidOption(name: "scaleFactor", value: "1.2", allowed: "0.1 ..< 1")) {
            try FaceDetector(weightsDirectory: Paths.root.appendingPathComponent("Weights").path, options: options)
        }
        options = FaceDetectorOptions()
        options.minimumFaceSize = 0
        #expect(throws: DetectionError.self) { try options.validate() }
        let error = DetectionError.invalidOption(name: "minimumFaceSize", value: "0", allowed: "at least 1")
        #expect(error.description.contains("minimumFaceSize"))
        #expect(throws: DetectionError.self) { try FaceDetector(weightsDirectory: "/nonexistent") }
    }
}
