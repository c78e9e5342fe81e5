import FERCore
import FERMedia
import FuzzSupport

/// Still images through ImageReader: JPEG bytes (the seeds) go to libjpeg-turbo, anything
/// else to FFmpeg, as ImageReader decides by content. Errors are fine; crashes are not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.write(data, size, name: "input.jpg")
    if let image = try? ImageReader.read(path: path) { _ = image.pixels.first }
    return 0
}
