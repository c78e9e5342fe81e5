import FERCore

#if canImport(Glibc)
    import Glibc
#endif

extension ImageReader {
    /// Decodes an image held in memory (a whole JPEG, PNG, BMP, … file, for example an HTTP
    /// request's body) into a new FERCore `Image`, as strictly as ``read(path:)-(String)``.
    ///
    /// An image wider × higher than `maximumPixels` is refused before its pixels are decoded:
    /// from its header for JPEG and PNG, from the size FFmpeg finds for the other formats. JPEG is
    /// decoded in memory by libjpeg-turbo; other formats go through FFmpeg's image decoders
    /// (``stillImageCodecs``) from a private temporary file, removed before the call returns.
    ///
    /// - Parameters:
    ///   - bytes: the file's bytes.
    ///   - name: what error messages call the image (for example "request body").
    ///   - maximumPixels: the largest image accepted, at most `ImageLimits.maximumPixels`.
    /// - Throws: ``MediaError/emptyFile(path:)`` for no bytes, ``MediaError/badImageSize(path:error:)``
    ///   for an image over `maximumPixels` (`ImageError.tooLarge`) or of zero size,
    ///   ``MediaError/unrecognizedFormat(path:reason:)`` or ``MediaError/corrupt(path:reason:)``
    ///   for bytes that are not a whole image, ``MediaError/unreadable(path:reason:)`` when no
    ///   temporary file could be written.
    public static func decode(_ bytes: [UInt8], name: String, maximumPixels: Int = ImageLimits.maximumPixels) throws(MediaError) -> Image {
        guard !bytes.isEmpty else { throw .emptyFile(path: name) }
        let limit = min(maximumPixels, ImageLimits.maximumPixels)
        func check(_ width: Int, _ height: Int) throws(MediaError) {
            guard width > 0, height > 0 else { throw .badImageSize(path: name, error: .empty(width: width, height: height)) }
            guard width <= limit / height else {
                throw .badImageSize(path: name, error: .tooLarge(width: width, height: height, limit: limit))
            }
        }
        if JPEGDecoder.looksLikeJPEG(Array(bytes.prefix(3))) {
            let (width, height) = try JPEGDecoder.size(bytes, path: name)
            try check(width, height)
            return try JPEGDecoder.decode(bytes, path: name)
        }
        if let (width, height) = pngSize(bytes) { try check(width, height) }
        let image = try decodeThroughFile(bytes, name: name, maximumPixels: limit)
        try check(image.width, image.height)
        return image
    }

    /// The width and height a PNG's IHDR chunk states, or nil when `bytes` is not a PNG.
    static func pngSize(_ bytes: [UInt8]) -> (Int, Int)? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.count >= 24, Array(bytes[0..<8]) == signature, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        func be32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    /// FFmpeg reads files, not memory: the bytes go to a file of our own (mode 0600, under
    /// `$TMPDIR` or /tmp), which is read strictly and removed whatever happens.
    private static func decodeThroughFile(_ bytes: [UInt8], name: String, maximumPixels: Int) throws(MediaError) -> Image {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(directory)/fercore-image-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw .unreadable(path: name, reason: "no temporary file in \(directory): \(String(cString: strerror(errno)))")
        }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        var written = 0
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                written += n
            }
            return true
        }
        let reason = ok ? "" : String(cString: strerror(errno))
        close(fd)
        guard ok else { throw .unreadable(path: name, reason: "writing a temporary copy failed: \(reason)") }
        do { return try read(path: path, maximumPixels: maximumPixels) } catch { throw error.renamed(from: path, to: name) }
    }
}

extension MediaError {
    /// The same error with `path` in place of `old` (a temporary file's path is no use to a caller).
    func renamed(from old: String, to new: String) -> MediaError {
        func r(_ p: String) -> String { p == old ? new : p }
        switch self {
        case let .fileNotFound(p): return .fileNotFound(path: r(p))
        case let .permissionDenied(p): return .permissionDenied(path: r(p))
        case let .emptyFile(p): return .emptyFile(path: r(p))
        case let .notARegularFile(p, k): return .notARegularFile(path: r(p), kind: k)
        case let .unreadable(p, s): return .unreadable(path: r(p), reason: s)
        case let .unrecognizedFormat(p, s): return .unrecognizedFormat(path: r(p), reason: s)
        case let .noVideoStream(p): return .noVideoStream(path: r(p))
        case let .unsupportedCodec(p, c): return .unsupportedCodec(path: r(p), codec: c)
        case let .corrupt(p, s): return .corrupt(path: r(p), reason: s)
        case let .badImageSize(p, e): return .badImageSize(path: r(p), error: e)
        case let .unsupportedContainer(p, e): return .unsupportedContainer(path: r(p), fileExtension: e)
        case let .writerFinished(p): return .writerFinished(path: r(p))
        case let .writeFailed(p, n, s): return .writeFailed(path: r(p), framesWritten: n, reason: s)
        case let .notFinalized(p, n, s): return .notFinalized(path: r(p), framesWritten: n, reason: s)
        case let .ffmpeg(p, op, m): return .ffmpeg(path: r(p), operation: op, message: m)
        case .frameMismatch, .librariesUnavailable: return self
        }
    }
}
