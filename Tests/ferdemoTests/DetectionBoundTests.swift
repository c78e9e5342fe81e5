import FERCore
import FERMedia
import Foundation
import Testing

/// ferdemo and the detector's memory bound: a minimum face too small for an image is a usage
/// error (status 2) that names the smallest that fits, before any detection work.
@Suite("ferdemo and the detection bound")
struct DetectionBoundTests {
    @Test("detect refuses --min-face too small for the image, with the value that fits")
    func minimumFaceTooSmall() throws {
        // 4000×3000 at 2 px would need a 72-megapixel first level; ceil(12·√(12 MP / 16.8 MP)) = 11 fits.
        let path = Demo.temporary("big.jpg").path
        let image = try Image(width: 4000, height: 3000, format: .rgb8, repeating: 100)
        try image.withView { (v) throws(MediaError) in try ImageWriter.write(v, to: path) }
        let run = try Demo.run(["detect", "--min-face", "2", path])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("--min-face 11") && run.stderr.contains("maximumLevelPixels"), "\(run.stderr)")
    }

    /// live knows a video's or a camera's frame size when it opens it: the same refusal before
    /// any frame (it was status 1 after the networks loaded, at frame 0, with the outputs made).
    @Test("live refuses --min-face too small for the video's frames up front, nothing written")
    func liveMinimumFaceTooSmall() throws {
        let json = Demo.temporary("min-face-1.jsonl")
        try? FileManager.default.removeItem(at: json)
        let run = try Demo.run(["live", "--input", Demo.sample, "--no-window", "--min-face", "1", "--json", json.path])
        #expect(run.status == 2, "\(run.stderr)")
        // 640×480 at 1 px: a 44.2-megapixel first level; ceil(12·√(0.3072 MP / 16.8 MP)) = 2 fits.
        #expect(run.stderr.contains("--min-face 2") && run.stderr.contains("44.2 megapixels"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: json.path))
    }
}
