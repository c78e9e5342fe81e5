import FERCore
import Foundation

/// Reads still images as RGB8: JPEG through libjpeg-turbo (the decoder cv2.imread uses,
/// so pixels equal OpenCV's), PNG, BMP, PPM and whatever else FFmpeg's image decoders read.
public enum ImageReader {
    /// Decodes the image at `path` into `buffer` (reshaped to the image's size).
    /// - Throws: ``MediaError`` (missing, empty, unreadable, corrupt, or too large).
    public static func read(path: String, into buffer: ImageBuffer) throws(MediaError) {
        if let jpeg = try jpegBytes(path) {
            try JPEGDecoder.decode(jpeg, path: path, into: buffer)
            return
        }
        let reader = try VideoReader(path: path)
        defer { reader.close() }
        guard try reader.nextFrame(into: buffer) != nil else {
            throw .corrupt(path: path, reason: "the decoder produced no picture")
        }
    }

    /// Decodes the image at `path` into a new ``Image``.
    /// - Throws: ``MediaError`` (missing, empty, unreadable, corrupt, or too large).
    public static func read(path: String) throws(MediaError) -> Image {
        if let jpeg = try jpegBytes(path) {
            let buffer: ImageBuffer
            do { buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8) } catch {
                throw .badImageSize(path: path, error: error)
            }
            try JPEGDecoder.decode(jpeg, path: path, into: buffer)
            return Image(buffer.view)
        }
        let reader = try VideoReader(path: path)
        defer { reader.close() }
        let buffer: ImageBuffer
        do { buffer = try ImageBuffer(width: reader.width, height: reader.height, format: .rgb8) } catch {
            throw .badImageSize(path: path, error: error)
        }
        guard try reader.nextFrame(into: buffer) != nil else {
            throw .corrupt(path: path, reason: "the decoder produced no picture")
        }
        return Image(buffer.view)
    }

    /// The file's bytes when it is a JPEG (by content, not by name), else nil; missing or
    /// unreadable files are left to FFmpeg's path, which reports them.
    private static func jpegBytes(_ path: String) throws(MediaError) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 3), JPEGDecoder.looksLikeJPEG([UInt8](head)) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return [UInt8](data)
    }
}
