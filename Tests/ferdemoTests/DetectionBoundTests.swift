import Foundation
import Testing
import FERCore
import FERMedia

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
}
