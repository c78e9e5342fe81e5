import FERCore

/// Reads still images (JPEG, PNG, BMP and whatever else FFmpeg's image decoders read) as RGB8.
public enum ImageReader {
    /// Decodes the image at `path` into `buffer` (reshaped to the image's size).
    /// - Throws: ``MediaError`` (missing, empty, unreadable, corrupt, or too large).
    public static func read(path: String, into buffer: ImageBuffer) throws(MediaError) {
        let reader = try VideoReader(path: path)
        defer { reader.close() }
        guard try reader.nextFrame(into: buffer) != nil else {
            throw .corrupt(path: path, reason: "the decoder produced no picture")
        }
    }

    /// Decodes the image at `path` into a new ``Image``.
    /// - Throws: ``MediaError`` (missing, empty, unreadable, corrupt, or too large).
    public static func read(path: String) throws(MediaError) -> Image {
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
}
