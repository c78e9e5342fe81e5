import FERCore
import Foundation
import Testing

@testable import FERMedia

@Suite struct VideoReaderTests {
    /// The 12-frame MJPEG/AVI fixture decodes to exactly what cv2.VideoCapture decodes, up to
    /// the YUV→RGB step: both use FFmpeg's MJPEG decoder, but OpenCV converts with bicubic
    /// chroma filtering and we with bilinear, which differs by a few levels at the square's
    /// edges only (max 24 measured there; flat areas are within 2).
    @Test func decodesFixtureLikeOpenCV() throws {
        let expected = try MediaPaths.expected()
        let reader = try VideoReader(path: MediaPaths.fixture("media/pattern.avi"))
        #expect(reader.width == 64 && reader.height == 48)
        #expect(reader.codecName == "mjpeg")
        #expect(abs(reader.frameRate - 10) < 1e-9)
        let frame = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        var count = 0
        while let info = try reader.nextFrame(into: frame) {
            #expect(info.index == count)
            #expect(abs(info.timestamp - Double(count) / 10) < 1e-6)
            let ref = try expected.uint8s("frames.\(count)").values
            let ours = Image(frame.view)
            let d = pixelDiff(ours.pixels, ref)
            #expect(d.max <= 24 && d.mean < 1.5, "frame \(count): \(d)")
            // Spot pixels: centre of the white square, and the flat background (JPEG tolerance 4).
            let sq = ((24 * 64) + 10 + 4 * count) * 3
            #expect(
                ours.pixels[sq] >= 235 && ours.pixels[sq + 1] >= 235 && ours.pixels[sq + 2] >= 235,
                "frame \(count) square centre \(ours.pixels[sq..<sq + 3])")
            let bg = ((5 * 64) + 60) * 3
            #expect(
                abs(Int(ours.pixels[bg]) - 20 * count) <= 4 && abs(Int(ours.pixels[bg + 1]) - 100) <= 4
                    && abs(Int(ours.pixels[bg + 2]) - (220 - 15 * count)) <= 4)
            count += 1
        }
        #expect(count == 12)
        #expect(try reader.nextFrame(into: frame) == nil)
    }

    /// The demo clip: 300 frames of 640x480 at 30 fps.
    @Test func decodesSampleClip() throws {
        let reader = try VideoReader(path: MediaPaths.sample("astronaut_pan.mp4"))
        #expect(reader.width == 640 && reader.height == 480)
        #expect(abs(reader.frameRate - 30) < 1e-9)
        #expect(reader.declaredFrameCount == 300)
        let frame = try ImageBuffer(width: 640, height: 480, format: .rgb8)
        var count = 0
        while try reader.nextFrame(into: frame) != nil { count += 1 }
        #expect(count == 300)
    }

    @Test func missingFile() {
        #expect(throws: MediaError.fileNotFound(path: "/nonexistent/clip.mp4")) {
            try VideoReader(path: "/nonexistent/clip.mp4")
        }
    }

    @Test func emptyFile() throws {
        let path = MediaPaths.temporary("empty.mp4")
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        #expect(throws: MediaError.emptyFile(path: path)) { try VideoReader(path: path) }
    }

    /// Random bytes are no container FFmpeg knows.
    @Test func garbageFile() throws {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let path = MediaPaths.temporary("garbage.mp4")
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect {
            try VideoReader(path: path)
        } throws: { error in
            guard let e = error as? MediaError else { return false }
            switch e {
            case .unrecognizedFormat, .corrupt, .noVideoStream: return true
            default: return false
            }
        }
    }

    /// A file cut in half ends cleanly with fewer frames (or reports corruption), never crashes.
    @Test(arguments: [0.5, 0.9])
    func truncatedFile(_ fraction: Double) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: MediaPaths.fixture("media/pattern.avi")))
        let path = MediaPaths.temporary("truncated-\(fraction).avi")
        _ = FileManager.default.createFile(atPath: path, contents: data.prefix(Int(Double(data.count) * fraction)))
        let reader: VideoReader
        do { reader = try VideoReader(path: path) } catch {
            // Cut before the stream headers end: the container is unreadable, a clear error.
            switch error {
            case .unrecognizedFormat, .corrupt: return
            default: Issue.record("unexpected \(error)"); return
            }
        }
        let frame = try ImageBuffer(width: 64, height: 48, format: .rgb8)
        var count = 0
        do {
            while try reader.nextFrame(into: frame) != nil { count += 1 }
        } catch {
            guard case .corrupt = error else { Issue.record("unexpected \(error)"); return }
        }
        #expect(count < 12)
        #expect(try reader.nextFrame(into: frame) == nil)
    }

    /// Damaged packets in the middle (bytes overwritten) are skipped: the stream still ends.
    @Test func corruptedMiddle() throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: MediaPaths.fixture("media/pattern.avi")))
        var rng = SplitMix64(seed: 7)
        for i in stride(from: data.count / 3, to: 2 * data.count / 3, by: 1) { data[i] = UInt8(truncatingIfNeeded: rng.next()) }
        let path = MediaPaths.temporary("corrupt.avi")
        _ = FileManager.default.createFile(atPath: path, contents: data)
        let reader = try VideoReader(path: path)
        let frame = try ImageBuffer(width: 64, height: 48, format: .rgb8)
        var count = 0
        do {
            while try reader.nextFrame(into: frame) != nil { count += 1 }
        } catch {
            guard case .corrupt = error else { Issue.record("unexpected \(error)"); return }
        }
        #expect(count <= 12)
    }

    @Test func closeIsIdempotent() throws {
        let reader = try VideoReader(path: MediaPaths.fixture("media/pattern.avi"))
        reader.close()
        reader.close()
        let frame = try ImageBuffer(width: 64, height: 48, format: .rgb8)
        #expect(try reader.nextFrame(into: frame) == nil)
    }
}
