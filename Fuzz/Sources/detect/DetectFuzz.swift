import FERCore

/// The face detector with fuzzed options on a small fuzzed image: the option checks, the
/// memory bound, the pyramid and the cascade must give faces or a typed error, never a trap.
/// Input: 12 bytes of options and size, then pixels (repeated to fill the image).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDetect(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 12, let detector else { return 0 }
    let b = UnsafeBufferPointer(start: data, count: size)
    var options = FaceDetectorOptions()
    options.minimumFaceSize = Int(b[0]) | Int(b[1] & 3) << 8 // 0 ... 1023
    options.scaleFactor = Double(b[2]) / 255 * 1.2 // 0 ... 1.2 (valid: 0.1 ..< 1)
    options.proposalThreshold = Float(b[3]) / 200 // 0 ... 1.275
    options.refineThreshold = Double(b[4]) / 255
    options.outputThreshold = Double(b[5]) / 255
    options.proposalNMS = Double(b[6]) / 255
    options.refineNMS = Double(b[7]) / 255
    options.maximumFaces = Int(Int8(bitPattern: b[8]))
    let width = Int(b[9]) % 200, height = Int(b[10]) % 200
    let format: PixelFormat = b[11] & 1 == 0 ? .rgb8 : .gray8
    let pixels = max(0, size - 12)
    guard var image = try? Image(width: max(1, width), height: max(1, height), format: format) else { return 0 }
    if pixels > 0 { for i in image.pixels.indices { image.pixels[i] = b[12 + i % pixels] } }
    detector.options = options
    image.withView { view in
        if let faces = try? detector.detect(width == 0 || height == 0 ? ImageView(base: view.base, width: width, height: height, format: format) : view) {
            _ = faces.count
        }
    }
    return 0
}

/// One detector (loading the weights once), as an application keeps one.
nonisolated(unsafe) let detector: FaceDetector? = try? FaceDetector()
