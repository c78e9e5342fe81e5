import Foundation
import Testing
import FERCore
@testable import FERMedia

@Suite(.serialized) struct VideoWriterTests {
    /// Write 15 pattern frames, read them back: same count and size, pixels within codec
    /// tolerance (lossy 4:2:0 coding of flat colours with sharp white squares: the mean
    /// error stays small; the maximum at the square edges is not bounded tightly).
    @Test(arguments: ["mp4", "mkv", "avi"])
    func roundTrip(_ ext: String) throws {
        let path = MediaPaths.temporary("roundtrip.\(ext)")
        let writer = try VideoWriter(path: path, width: 64, height: 48)
        let frames = try (0..<12).map { try pattern($0) }
        for f in frames { try f.withView { v throws(MediaError) in try writer.write(v) } }
        try writer.finish()
        try writer.finish()   // idempotent
        #expect(writer.framesWritten == 12)
        let reader = try VideoReader(path: path)
        #expect(reader.width == 64 && reader.height == 48)
        let buffer = try ImageBuffer(width: 64, height: 48, format: .rgb8)
        var count = 0
        while let info = try reader.nextFrame(into: buffer) {
            let d = pixelDiff(Image(buffer.view).pixels, frames[count].pixels)
            #expect(d.mean < 6, "\(ext) (\(writer.encoderName)) frame \(count): \(d)")
            #expect(abs(info.timestamp - Double(count) / 30) < 1e-3)
            count += 1
        }
        #expect(count == 12, "\(ext) (\(writer.encoderName))")
    }

    @Test func eachEncoderOfTheFallbackList() throws {
        for codec in ["libx264", "mpeg4", "mjpeg"] {
            var options = VideoWriter.Options()
            options.codecs = [codec]
            let path = MediaPaths.temporary("codec-\(codec).mkv")
            let writer = try VideoWriter(path: path, width: 64, height: 48, options: options)
            #expect(writer.encoderName == codec)
            for k in 0..<5 { try pattern(k).withView { v throws(MediaError) in try writer.write(v) } }
            try writer.finish()
            let reader = try VideoReader(path: path)
            let buffer = try ImageBuffer(width: 64, height: 48, format: .rgb8)
            var count = 0
            while try reader.nextFrame(into: buffer) != nil { count += 1 }
            #expect(count == 5, "\(codec)")
        }
    }

    /// A writer dropped without finish() still leaves a playable file (deinit finalises it).
    @Test func deinitFinalises() throws {
        let path = MediaPaths.temporary("dropped.mp4")
        do {
            let writer = try VideoWriter(path: path, width: 64, height: 48)
            for k in 0..<4 { try pattern(k).withView { v throws(MediaError) in try writer.write(v) } }
        }
        let reader = try VideoReader(path: path)
        let buffer = try ImageBuffer(width: 64, height: 48, format: .rgb8)
        var count = 0
        while try reader.nextFrame(into: buffer) != nil { count += 1 }
        #expect(count == 4)
    }

    /// A loop that polls Interrupt stops at Ctrl-C and the file is complete up to there.
    @Test func interruptStopsLoopAndFileIsPlayable() throws {
        Interrupt.install()
        defer { Interrupt.reset() }
        let path = MediaPaths.temporary("interrupted.mp4")
        let writer = try VideoWriter(path: path, width: 64, height: 48)
        var k = 0
        while !Interrupt.isRequested && k < 100 {
            try pattern(k % 12).withView { v throws(MediaError) in try writer.write(v) }
            k += 1
            if k == 6 {
                // Process-directed, like a terminal's Ctrl-C: another thread may run the handler,
                // so wait (at most 2 s) for the flag as the next loop iteration would.
                kill(getpid(), SIGINT)
                for _ in 0..<200 where !Interrupt.isRequested { usleep(10_000) }
            }
        }
        try writer.finish()
        #expect(k == 6)
        let reader = try VideoReader(path: path)
        let buffer = try ImageBuffer(width: 64, height: 48, format: .rgb8)
        var count = 0
        while try reader.nextFrame(into: buffer) != nil { count += 1 }
        #expect(count == 6)
    }

    @Test func rejectsWrongFramesAndUseAfterFinish() throws {
        let path = MediaPaths.temporary("mismatch.mkv")
        let writer = try VideoWriter(path: path, width: 64, height: 48)
        let small = try Image(width: 32, height: 48, format: .rgb8)
        #expect(throws: MediaError.frameMismatch(expectedWidth: 64, expectedHeight: 48, width: 32, height: 48, format: .rgb8)) {
            try small.withView { v throws(MediaError) in try writer.write(v) }
        }
        try pattern(0).withView { v throws(MediaError) in try writer.write(v) }
        try writer.finish()
        #expect(throws: MediaError.writerFinished(path: path)) {
            try pattern(0).withView { v throws(MediaError) in try writer.write(v) }
        }
    }

    @Test func badPathsAndExtensions() throws {
        #expect(throws: MediaError.unsupportedContainer(path: "/tmp/out.xyz", fileExtension: "xyz")) {
            try VideoWriter(path: "/tmp/out.xyz", width: 64, height: 48)
        }
        #expect(throws: MediaError.self) { try VideoWriter(path: "/nonexistent-dir/out.mp4", width: 64, height: 48) }
        #expect(throws: MediaError.badImageSize(path: "/tmp/zero.mp4", error: .empty(width: 0, height: 48))) {
            try VideoWriter(path: "/tmp/zero.mp4", width: 0, height: 48)
        }
    }
}
