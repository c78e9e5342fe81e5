#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why an output (a file ferdemo writes, or standard output/error) failed. Each message says
/// which output (by its option), where, what the system answered, and what to do.
public enum OutputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The output could not be opened or created (`open`, `mkstemp`, `mkdir`).
    case cannotCreate(output: String, path: String, errno: Int32)
    /// Writing failed (`write`): disk full, I/O error, the reader of a pipe exited.
    case writeFailed(output: String, path: String, errno: Int32)
    /// Finishing failed: `fsync`, `close` or the final `rename`.
    case finishFailed(output: String, path: String, operation: String, errno: Int32)
    /// The path names a directory.
    case isDirectory(output: String, path: String)
    /// The path is a symbolic link to nothing.
    case danglingLink(output: String, path: String)
    /// The path is a socket or another file that cannot be written.
    case unwritableKind(output: String, path: String, kind: String)
    /// The path is a FIFO that no program has open for reading.
    case noReader(output: String, path: String)
    /// A folder was expected (or a part of a folder's path) but something else is there.
    case notAFolder(output: String, path: String)

    /// True when the failure is a closed pipe (`EPIPE`): the program reading it has exited.
    public var isBrokenPipe: Bool {
        switch self {
        case let .writeFailed(_, _, e), let .finishFailed(_, _, _, e): return e == EPIPE
        default: return false
        }
    }

    /// The option or stream that failed, e.g. "--json" or "standard output".
    public var output: String {
        switch self {
        case let .cannotCreate(o, _, _), let .writeFailed(o, _, _), let .finishFailed(o, _, _, _), let .isDirectory(o, _),
            let .danglingLink(o, _), let .unwritableKind(o, _, _), let .noReader(o, _), let .notAFolder(o, _):
            return o
        }
    }

    /// What was wrong, where, and what to do.
    public var description: String {
        switch self {
        case let .cannotCreate(o, p, e):
            return "cannot create \(Self.name(o, p)): \(Self.reason(e))\(Self.advice(e, creating: true))"
        case let .writeFailed(o, p, e):
            return "writing \(Self.name(o, p)) failed: \(Self.reason(e))\(Self.advice(e, creating: false))"
        case let .finishFailed(o, p, op, e):
            return "finishing \(Self.name(o, p)) failed (\(op)): \(Self.reason(e))\(Self.advice(e, creating: false))"
        case let .isDirectory(o, p):
            return "\(o) '\(p)' is a directory; give a file name."
        case let .danglingLink(o, p):
            return "\(o) '\(p)' is a symbolic link to a file that does not exist; give the target's path or remove the link."
        case let .unwritableKind(o, p, kind):
            return "\(o) '\(p)' is \(kind), which ferdemo cannot write; give a file name."
        case let .noReader(o, p):
            return "\(o) '\(p)' is a FIFO that no program is reading; start the reader first."
        case let .notAFolder(o, p):
            return "\(o): '\(p)' exists and is not a folder; give a folder path."
        }
    }

    /// "'out.csv' (--csv)", "standard output (--json)" for `-`, or the stream's own name.
    private static func name(_ output: String, _ path: String) -> String {
        guard output.hasPrefix("-") else { return output }
        return path == "-" ? "standard output (\(output))" : "'\(path)' (\(output))"
    }

    /// "No space left on device (ENOSPC)".
    static func reason(_ e: Int32) -> String {
        let names: [Int32: String] = [
            ENOSPC: "ENOSPC", EDQUOT: "EDQUOT", EIO: "EIO", EPIPE: "EPIPE", EACCES: "EACCES", EPERM: "EPERM",
            EROFS: "EROFS", ENOENT: "ENOENT", ENOTDIR: "ENOTDIR", EFBIG: "EFBIG", EISDIR: "EISDIR", EEXIST: "EEXIST",
            ENAMETOOLONG: "ENAMETOOLONG", EXDEV: "EXDEV", EBADF: "EBADF", EINVAL: "EINVAL", ENXIO: "ENXIO", ELOOP: "ELOOP"
        ]
        let text = String(cString: strerror(e))
        return names[e].map { "\(text) (\($0))" } ?? "\(text) (errno \(e))"
    }

    static func advice(_ e: Int32, creating: Bool) -> String {
        switch e {
        case ENOSPC: return "; free some space or write elsewhere."
        case EDQUOT: return "; your disk quota is used up: free some space or write elsewhere."
        case EACCES, EPERM: return "; check the permissions of the file and of its folder."
        case EROFS: return "; the file system is read-only: write elsewhere."
        case ENOENT, ENOTDIR: return creating ? "; the folder does not exist: create it first." : "."
        case EPIPE: return "; the program reading it has exited."
        case EIO: return "; the device reported an I/O error: check the disk or device."
        case EFBIG: return "; the file is too large for this file system: write elsewhere."
        case ENAMETOOLONG: return "; use a shorter path."
        default: return "."
        }
    }
}
