import FERCore

/// Why a media file could not be read or written.
public enum MediaError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but may not be read (or written).
    case permissionDenied(path: String)
    /// The file is empty (0 bytes).
    case emptyFile(path: String)
    /// The path names a directory, a FIFO, a device or a socket, not a regular file; it is
    /// refused before it is opened (opening a FIFO would block until a writer appears).
    case notARegularFile(path: String, kind: FileKind)
    /// The file could not be read (an I/O error, or a file too large to be an image).
    case unreadable(path: String, reason: String)
    /// FFmpeg does not recognise the file as any container or image format it reads.
    case unrecognizedFormat(path: String, reason: String)
    /// The file holds no video stream (e.g. an audio file).
    case noVideoStream(path: String)
    /// The stream's codec has no decoder (or, when writing, no usable encoder) in this FFmpeg.
    case unsupportedCodec(path: String, codec: String)
    /// The data is damaged beyond what the decoder can skip.
    case corrupt(path: String, reason: String)
    /// The frame size is empty or exceeds FERCore's `ImageLimits`.
    case badImageSize(path: String, error: ImageError)
    /// The output extension names no container this writer supports.
    case unsupportedContainer(path: String, fileExtension: String)
    /// A frame given to a writer does not match the size it was opened with, or is not RGB8.
    case frameMismatch(expectedWidth: Int, expectedHeight: Int, width: Int, height: Int, format: PixelFormat)
    /// The writer was already finished (or failed) and cannot take more frames.
    case writerFinished(path: String)
    /// Writing encoded frames to the file failed (for example: no space left on device).
    /// The file is incomplete and has no index: it may not play.
    case writeFailed(path: String, framesWritten: Int, reason: String)
    /// The file could not be finalised (flushing the encoder, writing the container's
    /// index or closing the file failed): it may not play although frames were written.
    case notFinalized(path: String, framesWritten: Int, reason: String)
    /// Any other FFmpeg failure: which call, and FFmpeg's own message.
    case ffmpeg(path: String, operation: String, message: String)
    /// FFmpeg's shared libraries (opened on first use, not linked) could not be loaded: the
    /// reason names the library and the Debian packages that provide it.
    case librariesUnavailable(reason: String)

    public var description: String {
        switch self {
        case let .fileNotFound(p): return "No file at '\(p)'; check the path."
        case let .permissionDenied(p): return "Permission denied for '\(p)'; check the file's permissions."
        case let .emptyFile(p): return "'\(p)' is empty (0 bytes); it is not a video or image."
        case let .notARegularFile(p, kind):
            return "'\(p)' is \(kind), not a video or image file; give the path of a file"
                + (kind == .characterDevice ? " (a camera is opened as a camera: ferdemo --input /dev/videoN)." : ".")
        case let .unreadable(p, r): return "'\(p)' could not be read: \(r); check the disk and the path."
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
        case let .writeFailed(p, n, r):
            return "Writing '\(p)' failed after \(n) frame\(n == 1 ? "" : "s"): \(r). The file is incomplete and may not play; "
                + "free disk space (or choose another path) and run again."
        case let .notFinalized(p, n, r):
            return "'\(p)' could not be finalised (\(r)): its \(n) frame\(n == 1 ? "" : "s") were written but the file has no "
                + "index and may not play; free disk space (or choose another path) and run again."
        case let .ffmpeg(p, op, m): return "'\(p)': FFmpeg \(op) failed: \(m)."
        case let .librariesUnavailable(reason): return "Videos and images other than JPEG need FFmpeg, which is unavailable: \(reason)."
        }
    }
}
