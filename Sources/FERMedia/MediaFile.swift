import FERCore

#if canImport(Glibc)
    import Glibc
#endif

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
        let bytes: [UInt8]
        switch RegularFile.read(path, limit: limit) {
        case let .success(read): bytes = read
        case let .failure(.open(code)), let .failure(.io(code)): throw error(code, path)
        case let .failure(.notRegular(kind)): throw .notARegularFile(path: path, kind: kind)
        case let .failure(.tooLarge(size)):
            throw .unreadable(path: path, reason: "its \(size) bytes exceed the \(limit >> 20) MiB limit for an image file")
        }
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
