import FERCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads still images as RGB8: JPEG through libjpeg-turbo (the decoder cv2.imread uses,
/// so pixels equal OpenCV's), PNG, BMP, PPM and whatever else FFmpeg's image decoders read.
public enum ImageReader {
    /// Decodes the image at `path` into `buffer` (reshaped to the image's size).
    ///
    /// Decoding is strict: a JPEG that libjpeg-turbo can only finish by filling in grey
    /// (premature end of file, corrupt entropy-coded data) and a picture FFmpeg flags as
    /// damaged are errors, not images. Rotation metadata (EXIF orientation) is not applied.
    /// - Throws: ``MediaError`` (missing, not a regular file, empty, unreadable, corrupt,
    ///   truncated, or too large).
    public static func read(path: String, into buffer: ImageBuffer) throws(MediaError) {
        if let jpeg = try jpegBytes(path) {
            try JPEGDecoder.decode(jpeg, path: path, into: buffer)
            return
        }
        let reader = try VideoReader(path: path, options: stillImageOptions)
        defer { reader.close() }
        guard try reader.nextFrame(into: buffer) != nil else {
            throw .corrupt(path: path, reason: "the decoder produced no picture")
        }
    }

    /// Decodes the image at `path` into a new FERCore `Image`.
    /// - Throws: ``MediaError`` (missing, not a regular file, empty, unreadable, corrupt,
    ///   truncated, or too large).
    public static func read(path: String) throws(MediaError) -> Image {
        try read(path: path, maximumPixels: ImageLimits.maximumPixels)
    }

    /// As ``read(path:)-(String)``, refusing a picture over `maximumPixels` from the size
    /// FFmpeg states before decoding it into a frame (``ImageReader/decode(_:name:maximumPixels:)``).
    static func read(path: String, maximumPixels: Int) throws(MediaError) -> Image {
        if let jpeg = try jpegBytes(path) { return try JPEGDecoder.decode(jpeg, path: path) }
        let buffer: ImageBuffer
        do { buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8) } catch {
            throw .badImageSize(path: path, error: error)
        }
        var options = stillImageOptions
        options.maximumPixels = maximumPixels
        let reader = try VideoReader(path: path, options: options)
        defer { reader.close() }
        guard try reader.nextFrame(into: buffer) != nil else {
            throw .corrupt(path: path, reason: "the decoder produced no picture")
        }
        return Image(buffer.view)
    }

    /// Still images are decoded strictly: one damaged picture is the whole image.
    static var stillImageOptions: VideoReader.Options {
        var options = VideoReader.Options()
        options.strict = true
        options.allowedCodecs = stillImageCodecs
        return options
    }

    /// The still-image codecs read through FFmpeg (JPEG goes through libjpeg-turbo first):
    /// PNG, BMP, the Netpbm family, TIFF, WebP, GIF, TGA, and JPEG itself (`mjpeg`, for JPEG
    /// variants libjpeg-turbo does not take). FFmpeg opens no other decoder for an image, so
    /// an untrusted file cannot reach, for example, the JPEG XL or EXR decoders.
    public static let stillImageCodecs = ["png", "bmp", "ppm", "pgm", "pgmyuv", "pbm", "pam", "tiff", "webp", "gif", "targa", "mjpeg"]

    /// The file's bytes when it is a JPEG (by content, not by name), else nil. The path is
    /// checked first (missing, not a regular file, empty: typed errors, and no open of a FIFO).
    private static func jpegBytes(_ path: String) throws(MediaError) -> [UInt8]? {
        _ = try MediaFile.checkRegular(path)
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil } // the FFmpeg path reports why
        var head: [UInt8] = [0, 0, 0]
        let n = head.withUnsafeMutableBytes { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return Glibc.read(fd, base, 3)
        }
        close(fd)
        guard n == 3, JPEGDecoder.looksLikeJPEG(head) else { return nil }
        return try MediaFile.read(path)
    }
}
