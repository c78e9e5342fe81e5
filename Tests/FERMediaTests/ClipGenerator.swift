import FERCore
import Foundation
import Testing

@testable import FERMedia

/// Not a test: makes the large clips the memory measurements of Docs/Reliability.md use,
/// when asked to (`FERCORE_MAKE_CLIPS=<directory> swift test --filter ClipGenerator`).
@Suite struct ClipGenerator {
    static let directory = ProcessInfo.processInfo.environment["FERCORE_MAKE_CLIPS"]

    /// `<directory>/astronaut_4k.mp4`: the sample clip's first 150 frames scaled to
    /// 2880×2160 (its 4:3 aspect) and centred in 3840×2160 frames, H.264 at 30 fps.
    @Test(.enabled(if: directory != nil, "set FERCORE_MAKE_CLIPS=<directory> to make the clips"))
    func make4KClip() throws {
        let dir = try #require(Self.directory)
        let reader = try VideoReader(path: MediaPaths.sample("astronaut_pan.mp4"))
        let writer = try VideoWriter(path: dir + "/astronaut_4k.mp4", width: 3840, height: 2160)
        let small = try ImageBuffer(width: 640, height: 480, format: .rgb8)
        var big = try Image(width: 3840, height: 2160, format: .rgb8)
        let resizer = Resizer()
        var count = 0
        while count < 150, try reader.nextFrame(into: small) != nil {
            try big.withMutableView { view throws(ImageError) in
                let inner = MutableImageView(base: view.row(0) + 3 * 480, width: 2880, height: 2160, rowBytes: view.rowBytes, format: .rgb8)
                try resizer.resize(small.view, into: inner)
            }
            try big.withView { v throws(MediaError) in try writer.write(v) }
            count += 1
        }
        try writer.finish()
        #expect(count == 150)
    }

    /// `<directory>/photo_10000.jpg`: a 10000×10000 photo (grey, with the sample clip's first
    /// frame pasted at 2× in the middle, faces ~100 px) and `<directory>/frame_640.jpg`, that frame.
    @Test(.enabled(if: directory != nil, "set FERCORE_MAKE_CLIPS=<directory> to make the clips"))
    func makeLargePhoto() throws {
        let dir = try #require(Self.directory)
        let reader = try VideoReader(path: MediaPaths.sample("astronaut_pan.mp4"))
        let small = try ImageBuffer(width: 640, height: 480, format: .rgb8)
        _ = try reader.nextFrame(into: small)
        try ImageWriter.write(small.view, to: dir + "/frame_640.jpg")
        var photo = try Image(width: 10_000, height: 10_000, format: .rgb8, repeating: 120)
        let doubled = try ImageBuffer(width: 1280, height: 960, format: .rgb8)
        try Resizer().resize(small.view, into: doubled.mutableView)
        photo.withMutableView { view in
            for y in 0..<960 { (view.row(4500 + y) + 3 * 4400).update(from: doubled.view.row(y), count: 3 * 1280) }
        }
        try photo.withView { v throws(MediaError) in try ImageWriter.write(v, to: dir + "/photo_10000.jpg") }
    }
}
