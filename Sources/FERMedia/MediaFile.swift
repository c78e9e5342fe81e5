#if canImport(Glibc)
import Glibc
#endif
import FERCore

/// Checks and reads input files before any decoder sees them.
///
/// A path is looked at with `stat` before it is opened: a FIFO given as input would
/// otherwise block `avformat_open_input` or `fopen` until a writer appears (for ever, in
/// a script), and a directory or a device is never what a user meant.
enum MediaFile {
    /// The largest still image file read into memory (1 GiB; a 100-megapixel JPEG is a few
    /// tens of MB). Larger files are refused with ``MediaError/unreadable(path:reason:)``.
    static let maximumImageFileSize = 1 << 30

    /// The size of the regular file at `path`.
    /// - Throws: ``MediaError/fileNotFound(path:)``, ``MediaError/permissionDenied(path:)``,
    ///   ``MediaError/notARegularFile(path:kind:)``, ``MediaError/emptyFile(path:)`` or
    ///   ``MediaError/unreadable(path:reason:)``.
    static func checkRegular(_ path: String) throws(MediaError) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw error(errno, path) }
        let kind = FileKind(mode: info.st_mode)
        guard kind == .regular else { throw .notARegularFile(path: path, kind: kind) }
        guard info.st_size > 0 else { throw .emptyFile(path: path) }
        return Int(info.st_size)
    }

    /// Reads the whole regular file at `path` (checked as ``checkRegular(_:)`` does; the
    /// open does not block even if the path was swapped for a FIFO after the check).
    static func read(_ path: String, limit: Int = maximumImageFileSize) throws(MediaError) -> [UInt8] {
        _ = try checkRegular(path)
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw error(errno, path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw error(errno, path) }
        let kind = FileKind(mode: info.st_mode)
        guard kind == .regular else { throw .notARegularFile(path: path, kind: kind) }
        let size = Int(info.st_size)
        guard size <= limit else {
            throw .unreadable(path: path, reason: "its \(size) bytes exceed the \(limit >> 20) MiB limit for an image file")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.read(fd, base + done, size - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            done += n
        }
        if done < size { bytes.removeLast(size - done) }
        guard !bytes.isEmpty else { throw .emptyFile(path: path) }
        return bytes
    }

    private static func error(_ code: Int32, _ path: String) -> MediaError {
        switch code {
        case ENOENT, ENOTDIR: return .fileNotFound(path: path)
        case EACCES, EPERM: return .permissionDenied(path: path)
        default: return .unreadable(path: path, reason: String(cString: strerror(code)))
        }
    }
}
