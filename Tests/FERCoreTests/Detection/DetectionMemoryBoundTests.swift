import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// The detector's memory bound (issue 13): large levels scanned in strips with identical
/// results, minimum faces that would exceed the bound refused up front, large images shrunk.
@Suite("FaceDetector memory bound")
struct DetectionMemoryBoundTests {
    /// A golden image with P-Net levels cut into strips of ~3000 pixels (every level is then
    /// several strips) gives exactly the faces of the whole-level scan: boxes, scores and
    /// landmarks, bit for bit. One thread runs levels in turn, two claim them in parallel;
    /// an RGB image with four faces and a gray one (debug builds make each detection slow).
    @Test("strips give bit-identical faces", arguments: [(1, "group"), (2, "gray")])
    func stripsAreBitIdentical(_ threads: Int, _ name: String) throws {
        let file = try DetectionFixtures.file()
        let whole = try DetectionFixtures.detector(threads: threads)
        let strips = try DetectionFixtures.detector(threads: threads)
        strips.proposal.stripPixels = 3000
        let image = try DetectionFixtures.image(name, in: file)
        let a = try image.withView { (v) throws(DetectionError) in try whole.detect(v) }
        let b = try image.withView { (v) throws(DetectionError) in try strips.detect(v) }
        #expect(!a.isEmpty)
        #expect(a == b, "\(name)")
        #expect(whole.statistics == strips.statistics, "\(name)")
        #expect(
            strips.proposal.levels.allSatisfy { strips.proposal.stripRows($0) < $0.height || $0.width * $0.height <= 3000 },
            "\(name): a large level was not cut")
    }

    /// The strips bound P-Net's activations by the level's width: the workspace of the
    /// strip scan is a fraction of the whole-level one (57 bytes per input pixel), plus
    /// the scratch that does not grow with the image (Winograd's blocks of tiles for P-Net's
    /// second and third convolutions, capped in size).
    @Test("strips bound the P-Net workspace")
    func stripsBoundMemory() throws {
        let file = try DetectionFixtures.file()
        let image = try DetectionFixtures.image("group", in: file)
        let whole = try DetectionFixtures.detector(minimumFaceSize: 40)
        let strips = try DetectionFixtures.detector(minimumFaceSize: 40)
        strips.proposal.stripPixels = 5_000
        _ = try image.withView { (v) throws(DetectionError) in try whole.detect(v) }
        _ = try image.withView { (v) throws(DetectionError) in try strips.detect(v) }
        let level = try #require(whole.proposal.levels.first)
        let rows = strips.proposal.stripRows(level)
        #expect(rows < level.height / 3)
        // The largest strip holds `rows` of the widest level; allow the same per-pixel cost
        // as the whole scan measured (plus one row of slack for the pool's rounding), and the
        // fixed scratch.
        let fixed =
            Winograd.Tile.allCases.map {
                4 * (Winograd.scratchBound(cin: 10, cout: 16, threads: 1, tile: $0) + Winograd.scratchBound(cin: 16, cout: 32, threads: 1, tile: $0))
            }.max() ?? 0
        let wholeBytes = whole.proposal.workers[0].workspace.arenaBytes
        #expect(wholeBytes > 4 * fixed, "the whole level's activations dwarf the fixed scratch")
        let perPixel = Double(wholeBytes) / Double(level.width * level.height)
        #expect(Double(strips.proposal.workers[0].workspace.arenaBytes) <= perPixel * Double(level.width * (rows + 1)) + Double(fixed))
    }

    @Test("a minimum face needing a first level beyond the bound is refused up front, saying what fits")
    func tooSmallMinimumFace() throws {
        var options = FaceDetectorOptions()
        options.minimumFaceSize = 1
        // 640×480 at 1 px: a 7680×5760 first level (44.2 MP) over the 16.8 MP bound.
        let smallest = options.smallestMinimumFaceSize(imageWidth: 640, imageHeight: 480)
        #expect(smallest == Int((12 * (640.0 * 480 / Double(1 << 24)).squareRoot()).rounded(.up)))
        let expected = DetectionError.minimumFaceTooSmall(
            minimumFaceSize: 1, imageWidth: 640, imageHeight: 480,
            smallestAllowed: smallest, maximumLevelPixels: 1 << 24)
        #expect(throws: expected) { try options.validate(imageWidth: 640, imageHeight: 480) }
        let message = expected.description
        #expect(message.contains("44.2 megapixels") && message.contains("--min-face \(smallest)"), "\(message)")
        // The smallest allowed value passes, and its first level is within the bound.
        options.minimumFaceSize = smallest
        try options.validate(imageWidth: 640, imageHeight: 480)
        #expect(640.0 * 480 * pow(12 / Double(smallest), 2) <= Double(1 << 24))
        // The detector refuses before any work (a debug build would take minutes at 1 px).
        let detector = try DetectionFixtures.detector()
        detector.options.minimumFaceSize = 1
        let image = try Image(width: 640, height: 480, format: .rgb8, repeating: 90)
        #expect(throws: expected) { try image.withView { (v) throws(DetectionError) in try detector.detect(v) } }
        // A 10000×10000 photo at the default 20 px would need 36 MP: refused, 30 px fits.
        let photo = FaceDetectorOptions()
        #expect(photo.smallestMinimumFaceSize(imageWidth: 10_000, imageHeight: 10_000) == 30)
        #expect(throws: DetectionError.self) { try photo.validate(imageWidth: 10_000, imageHeight: 10_000) }
        // Absurd sizes do not trap.
        #expect(photo.smallestMinimumFaceSize(imageWidth: .max, imageHeight: .max) == .max)
        // Normal inputs at the default pass.
        for (w, h) in [(640, 480), (1280, 720), (1920, 1080), (3840, 2160), (6000, 4000)] {
            try photo.validate(imageWidth: w, imageHeight: h)
        }
        options.maximumLevelPixels = 1000
        #expect(throws: DetectionError.self) { try options.validate() }
    }

    /// An image over ``FaceDetectorOptions/downscaleAbovePixels`` is shrunk to the first
    /// level's scale: the copy's size is reported, and the faces are those of the full-size
    /// image (IoU ≥ 0.8; 0.89–1.0 measured: P-Net's pyramid comes from the copy, so its
    /// candidates, which R-Net and O-Net refine on the full image, differ a little). Images
    /// up to the threshold are used as they are.
    @Test("an image over the downscale threshold is shrunk, and its faces mapped back")
    func workingImageIsShrunk() throws {
        let file = try DetectionFixtures.file()
        let image = try DetectionFixtures.image("group", in: file)
        let full = try DetectionFixtures.detector(minimumFaceSize: 40)
        let shrunk = try DetectionFixtures.detector(minimumFaceSize: 40)
        shrunk.options.downscaleAbovePixels = 0
        let expected = try image.withView { (v) throws(DetectionError) in try full.detect(v) }
        let faces = try image.withView { (v) throws(DetectionError) in try shrunk.detect(v) }
        #expect(full.statistics.workingWidth == image.width && full.statistics.workingHeight == image.height)
        #expect(shrunk.statistics.workingWidth == Int(Double(image.width) * 12 / 40))
        #expect(shrunk.statistics.workingHeight == Int(Double(image.height) * 12 / 40))
        #expect(!expected.isEmpty && faces.count == expected.count)
        for face in expected {
            let best = faces.map { $0.box.iou(face.box) }.max() ?? 0
            #expect(best >= 0.8, "\(face.box): best IoU \(best)")
        }
        // At the default threshold, frames up to 1920×1080 are not shrunk.
        #expect(FaceDetectorOptions().downscaleAbovePixels == 1920 * 1080)
    }
}
