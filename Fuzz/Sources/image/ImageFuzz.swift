import FERCore
import FERMedia
import FuzzSupport

/// Still images through FFmpeg's decoders as ImageReader uses them (strict, one picture):
/// PNG, BMP, PPM/PGM seeds, and whatever else FFmpeg's probe recognises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.write(data, size, name: "input.img")
    var options = VideoReader.Options()
    options.strict = true
    guard let reader = try? VideoReader(path: path, options: options) else { return 0 }
    _ = try? reader.nextFrame(into: buffer)
    reader.close()
    return 0
}

/// One buffer for every input, as a frame loop keeps one.
nonisolated(unsafe) let buffer: ImageBuffer = {
    guard let b = try? ImageBuffer(width: 1, height: 1, format: .rgb8) else { fatalError("1x1 buffer") }
    return b
}()
