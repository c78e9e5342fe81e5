import FERCore
import FERMedia
import FuzzSupport

/// Probing and decoding videos: VideoReader opens the bytes (FFmpeg probes the container),
/// and up to 12 frames are decoded, rotated and size-normalised.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVideo(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.write(data, size, name: "input.video")
    guard let reader = try? VideoReader(path: path) else { return 0 }
    _ = (reader.width, reader.height, reader.rotation, reader.frameRate, reader.declaredFrameCount)
    for _ in 0..<12 {
        guard let info = try? reader.nextFrame(into: buffer) else { break }
        _ = info.timestamp
    }
    reader.close()
    return 0
}

/// One buffer for every input, as a frame loop keeps one.
nonisolated(unsafe) let buffer: ImageBuffer = {
    guard let b = try? ImageBuffer(width: 1, height: 1, format: .rgb8) else { fatalError("1x1 buffer") }
    return b
}()
