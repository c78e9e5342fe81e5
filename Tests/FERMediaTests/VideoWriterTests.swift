import FERCore
import Foundation
import Testing

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
        try writer.finish() // idempotent
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

/// Write faults of issue 13: a full disk (/dev/full fails every write with ENOSPC) is a
/// typed error at the write or at finish(), never a silent success.
@Suite struct VideoWriterFaultTests {
    /// A path with a video extension that leads to /dev/full.
    static func fullDisk(_ ext: String) throws -> String {
        let link = MediaPaths.temporary("full-\(UUID().uuidString).\(ext)")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/full")
        return link
    }

    /// A few small frames fit in FFmpeg's 32 KB output buffer: the disk error surfaces when
    /// the trailer is written and the buffer flushed, and finish() says the file is unfinished.
    @Test(arguments: ["mkv", "avi"])
    func fullDiskAtFinishIsReported(_ ext: String) throws {
        let path = try Self.fullDisk(ext)
        let writer = try VideoWriter(path: path, width: 64, height: 48)
        for k in 0..<3 { try pattern(k).withView { v throws(MediaError) in try writer.write(v) } }
        let error = #expect(throws: MediaError.self) { try writer.finish() }
        guard case let .notFinalized(p, frames, reason)? = error else { Issue.record("\(ext): got \(String(describing: error))"); return }
        #expect(p == path && frames == 3 && reason.contains("No space left on device"), "\(ext): \(reason)")
        #expect(error?.description.contains("may not play") == true)
        // Reported again, not forgotten; and no further frames are taken.
        let first = try #require(error)
        #expect(throws: first) { try writer.finish() }
        #expect(throws: first) { try pattern(0).withView { v throws(MediaError) in try writer.write(v) } }
    }

    /// The MP4 muxer flushes its header at once: on a full disk the writer does not open.
    @Test func fullDiskAtOpenIsReported() throws {
        let path = try Self.fullDisk("mp4")
        let error = #expect(throws: MediaError.self) { try VideoWriter(path: path, width: 64, height: 48) }
        guard case let .writeFailed(p, 0, reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(p == path && reason.contains("No space left on device"))
    }

    /// Noise frames do not compress: the buffer fills and a write() fails mid-stream.
    @Test(arguments: ["mkv", "avi"])
    func fullDiskMidStreamIsReportedByWrite(_ ext: String) throws {
        try Self.fillUntilFailure(path: try Self.fullDisk(ext))
    }

    /// A real file system that fills up (a 256 KB tmpfs; needs root to mount it): an MP4
    /// whose header fits and whose frames do not.
    @Test(.enabled(if: geteuid() == 0, "mounting a tmpfs needs root"))
    func smallFileSystemFillsUpMidStream() throws {
        let dir = MediaPaths.temporary("small-fs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard mount("tmpfs", dir, "tmpfs", 0, "size=256k") == 0 else {
            Issue.record("mount tmpfs failed: \(String(cString: strerror(errno)))")
            return
        }
        defer { umount(dir) }
        try Self.fillUntilFailure(path: dir + "/out.mp4")
    }

    /// Writes 320×240 noise frames to `path` until a write fails; checks that failure.
    static func fillUntilFailure(path: String) throws {
        let ext = (path as NSString).pathExtension
        let writer = try VideoWriter(path: path, width: 320, height: 240)
        var image = try Image(width: 320, height: 240, format: .rgb8)
        var rng = SplitMix64(seed: 3)
        var failure: MediaError?
        for _ in 0..<60 where failure == nil {
            for i in image.pixels.indices { image.pixels[i] = UInt8(truncatingIfNeeded: rng.next() >> 56) }
            do { try image.withView { v throws(MediaError) in try writer.write(v) } } catch { failure = error }
        }
        guard case let .writeFailed(p, frames, reason)? = failure else { Issue.record("\(ext): got \(String(describing: failure))"); return }
        #expect(p == path && frames > 0 && frames < 60 && reason.contains("No space left on device"), "\(ext): \(frames) \(reason)")
        #expect(failure?.description.contains("may not play") == true)
        let first = try #require(failure)
        #expect(throws: first) { try writer.finish() }
        #expect(throws: first) { try image.withView { v throws(MediaError) in try writer.write(v) } }
    }
}
