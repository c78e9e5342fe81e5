import FERCore

/// Why a media file could not be read or written.
public enum MediaError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but may not be read (or written).
    case permissionDenied(path: String)
    /// The file is empty (0 bytes).
    case emptyFile(path: String)
    /// FFmpeg does not recognise the file as any container or image format it reads.
    case unrecognizedFormat(path: String, reason: String)
    /// The file holds no video stream (e.g. an audio file).
    case noVideoStream(path: String)
    /// The stream's codec has no decoder (or, when writing, no usable encoder) in this FFmpeg.
    case unsupportedCodec(path: String, codec: String)
    /// The data is damaged beyond what the decoder can skip.
    case corrupt(path: String, reason: String)
    /// The frame size is empty or exceeds ``ImageLimits``.
    case badImageSize(path: String, error: ImageError)
    /// The output extension names no container this writer supports.
    case unsupportedContainer(path: String, fileExtension: String)
    /// A frame given to a writer does not match the size it was opened with, or is not RGB8.
    case frameMismatch(expectedWidth: Int, expectedHeight: Int, width: Int, height: Int, format: PixelFormat)
    /// The writer was already finished (or failed) and cannot take more frames.
    case writerFinished(path: String)
    /// Any other FFmpeg failure: which call, and FFmpeg's own message.
    case ffmpeg(path: String, operation: String, message: String)

    public var description: String {
        switch self {
        case let .fileNotFound(p): return "No file at '\(p)'; check the path."
        case let .permissionDenied(p): return "Permission denied for '\(p)'; check the file's permissions."
        case let .emptyFile(p): return "'\(p)' is empty (0 bytes); it is not a video or image."
        case let .unrecognizedFormat(p, r):
            return "'\(p)' is not a video or image format FFmpeg can read (\(r)); the file may be corrupt or of another kind."
        case let .noVideoStream(p): return "'\(p)' contains no video stream; give a video or image file."
        case let .unsupportedCodec(p, c):
            return "'\(p)': codec '\(c)' is not available in this FFmpeg build; convert the file (e.g. to H.264) or install a fuller FFmpeg."
        case let .corrupt(p, r): return "'\(p)' is damaged (\(r)); re-encode or re-download it."
        case let .badImageSize(p, e): return "'\(p)': \(e)"
        case let .unsupportedContainer(p, e):
            return "Cannot write '\(p)': extension '.\(e)' is not supported; use .mp4, .mkv or .avi for video, .png or .jpg for images."
        case let .frameMismatch(ew, eh, w, h, f):
            return "Frame is \(w)x\(h) \(f) but the writer was opened for \(ew)x\(eh) RGB8; resize or convert the frame first."
        case let .writerFinished(p): return "The writer for '\(p)' is already finished; open a new one."
        case let .ffmpeg(p, op, m): return "'\(p)': FFmpeg \(op) failed: \(m)."
        }
    }
}
