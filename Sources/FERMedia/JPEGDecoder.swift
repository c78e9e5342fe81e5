import CJPEG
import FERCore
import Foundation

/// Decodes JPEG files with libjpeg-turbo, the library OpenCV's `cv2.imread` uses, with
/// its defaults (integer "islow" IDCT, fancy upsampling). FFmpeg's JPEG decoder uses
/// another IDCT and lands one grey level away on about 2.6 % of pixels; the reference
/// packages (`mtcnn`, `fer`) read images with cv2, so FERCore reads JPEGs the same way.
enum JPEGDecoder {
    /// True when `bytes` start with the JPEG SOI marker and a marker byte.
    static func looksLikeJPEG(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    /// The JPEG's width and height (from its header).
    static func size(_ bytes: [UInt8], path: String) throws(MediaError) -> (width: Int, height: Int) {
        var message = [CChar](repeating: 0, count: 256)
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0
        let sized = bytes.withUnsafeBufferPointer { data in
            fercore_jpeg_size(data.baseAddress, data.count, &width, &height, &components, &message, message.count)
        }
        guard sized == 0 else { throw .corrupt(path: path, reason: "JPEG header: \(Self.text(message))") }
        return (Int(width), Int(height))
    }

    /// Decodes `bytes` (a whole JPEG file) into `buffer` as RGB8 (gray JPEGs give R = G = B).
    static func decode(_ bytes: [UInt8], path: String, into buffer: ImageBuffer) throws(MediaError) {
        let (width, height) = try size(bytes, path: path)
        do { try buffer.reshape(width: width, height: height, format: .rgb8) } catch {
            throw .badImageSize(path: path, error: error)
        }
        try decode(bytes, path: path, into: buffer.mutableView.base)
    }

    /// Decodes `bytes` into a new ``Image`` (no intermediate buffer: a 100-megapixel photo
    /// costs its 300 MB once, not twice).
    static func decode(_ bytes: [UInt8], path: String) throws(MediaError) -> Image {
        let (width, height) = try size(bytes, path: path)
        var image: Image
        do { image = try Image(width: width, height: height, format: .rgb8) } catch {
            throw .badImageSize(path: path, error: error)
        }
        try image.withMutableView { (view) throws(MediaError) in try decode(bytes, path: path, into: view.base) }
        return image
    }

    /// Decodes `bytes` into packed RGB8 rows at `base` (width·height·3 bytes, sized by the header).
    private static func decode(_ bytes: [UInt8], path: String, into base: UnsafeMutablePointer<UInt8>) throws(MediaError) {
        var message = [CChar](repeating: 0, count: 256)
        let decoded = bytes.withUnsafeBufferPointer { data in
            fercore_jpeg_decode(data.baseAddress, data.count, base, 3, &message, message.count)
        }
        guard decoded == 0 else { throw .corrupt(path: path, reason: "JPEG data: \(Self.text(message))") }
    }

    private static func text(_ message: [CChar]) -> String {
        let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return bytes.isEmpty ? "unknown libjpeg error" : String(decoding: bytes, as: UTF8.self)
    }
}
