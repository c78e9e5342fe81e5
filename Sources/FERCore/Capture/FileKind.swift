#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The kind of file a path names, as `stat(2)` reports it (symbolic links followed).
///
/// Readers of weights, images and videos check it before they open a path: opening a
/// FIFO for reading blocks until a writer appears, and a directory or a device is never
/// what a user meant to give, so they are refused with an error that says what the path is.
public enum FileKind: Sendable, Hashable, CustomStringConvertible {
    /// A regular file.
    case regular
    /// A directory.
    case directory
    /// A FIFO (named pipe).
    case fifo
    /// A character device (a terminal, `/dev/null`, a camera).
    case characterDevice
    /// A block device (a disk).
    case blockDevice
    /// A UNIX-domain socket.
    case socket
    /// Anything else `stat` may report.
    case other

    /// The kind of the file at `path`, or the `errno` of the failed `stat` call.
    public static func of(_ path: String) -> Result<FileKind, FileKindError> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(FileKindError(code: errno)) }
        return .success(FileKind(mode: info.st_mode))
    }

    /// The kind encoded in a `st_mode` value.
    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        default: self = .other
        }
    }

    /// The kind in words, with its article: "a directory", "a FIFO (named pipe)".
    public var description: String {
        switch self {
        case .regular: return "a regular file"
        case .directory: return "a directory"
        case .fifo: return "a FIFO (named pipe)"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .socket: return "a socket"
        case .other: return "a special file"
        }
    }
}

/// A failed `stat` call behind ``FileKind/of(_:)``.
public struct FileKindError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `errno` value.
    public var code: Int32

    /// True when nothing exists at the path (`ENOENT`, or a path component is not a directory).
    public var isMissing: Bool { code == ENOENT || code == ENOTDIR }
    /// True when the process may not look at the path (`EACCES`, `EPERM`).
    public var isPermissionDenied: Bool { code == EACCES || code == EPERM }

    /// The system's message for the error.
    public var description: String { String(cString: strerror(code)) }
}
