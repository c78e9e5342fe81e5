import FERCore
import FERMedia
import Foundation
import Synchronization

/// The clip the live page plays when the browser has no camera, as bytes a browser can play.
///
/// Browsers play H.264 in MP4 but not MPEG-4 Part 2, which is what the repository's sample
/// clip is (Chromium: `DEMUXER_ERROR_NO_SUPPORTED_STREAMS`). So on the first request a clip
/// that is not H.264 is re-encoded once with FERMedia's VideoWriter (libx264, yuv420p) into a
/// private temporary file, kept in memory and removed; an H.264 clip is served as it is. When
/// FFmpeg has no libx264 the original bytes are served.
final class SampleClip: Sendable {
    let path: String
    private let bytes = Mutex<[UInt8]?>(nil)

    init(path: String) { self.path = path }

    /// The playable bytes, made on the first call (a call made meanwhile waits for them rather
    /// than encoding the clip a second time; calls run on compute threads).
    func playable() -> [UInt8]? {
        bytes.withLock { made in
            if made == nil { made = Self.make(path) }
            return made
        }
    }

    private static func make(_ path: String) -> [UInt8]? {
        guard let original = FileManager.default.contents(atPath: path).map({ [UInt8]($0) }) else { return nil }
        do {
            let reader = try VideoReader(path: path)
            defer { reader.close() }
            if reader.codecName == "h264" { return original }
            let buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8)
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("fercore-sample-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).mp4")
                .path
            defer { try? FileManager.default.removeItem(atPath: output) }
            var writer: VideoWriter?
            var options = VideoWriter.Options()
            options.codecs = ["libx264"]
            options.framesPerSecond = max(1, Int(reader.frameRate.rounded()))
            while try reader.nextFrame(into: buffer) != nil {
                if writer == nil { writer = try VideoWriter(path: output, width: buffer.width, height: buffer.height, options: options) }
                try writer?.write(buffer.view)
            }
            try writer?.finish()
            return FileManager.default.contents(atPath: output).map { [UInt8]($0) } ?? original
        } catch {
            return original
        }
    }
}
