#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file ferdemo writes (`--json`, `--csv`, `--report`, …), or standard output for `-`.
///
/// What happens to the path depends on what it is, never on its name:
/// - a regular file (or a new one): with ``Mode/replace`` the bytes go to a temporary file
///   next to it (same folder, so same file system), which is synced and renamed over it by
///   ``finish()``: the file is either the old one or the whole new one, never half of either;
///   an abandoned output leaves the old file untouched. With ``Mode/stream`` it is truncated
///   and written in place, so that a reader can follow it (JSON Lines of a camera).
/// - a symbolic link: followed; the rules apply to its target, and the link stays a link.
///   A link to nothing is refused.
/// - a character device (`/dev/null`, `/dev/full`, a terminal) or a FIFO: written in place,
///   never replaced. A FIFO without a reader is refused rather than waited for.
/// - a directory, a block device (a disk) or a socket: refused.
///
/// Writes are buffered (64 KiB) and go out with `write(2)`; every failure is an
/// ``OutputError`` naming the option. The buffer is written out only between two ``write(_:)``
/// calls, so when callers write whole records (lines), a regular file written in place is cut
/// back to its last whole record if a write fails. Allocates only when opened.
public final class OutputFile {
    /// How a regular file is written.
    public enum Mode: Sendable {
        /// In place, truncated first: readers can follow it as it grows.
        case stream
        /// Through a temporary file renamed over the target by ``OutputFile/finish()``.
        case replace
    }

    /// The option that names this output, e.g. "--csv" (used in messages).
    public let option: String
    /// The path as given ("-" for standard output).
    public let path: String
    /// True for standard output (`-`).
    public let isStandardOutput: Bool
    /// True when the bytes go to a regular file (buffered); false for standard output,
    /// devices and FIFOs, where a reader may be waiting for each line.
    public let isRegularFile: Bool
    /// Bytes accepted so far (buffered or written).
    public private(set) var bytesWritten = 0

    private var fd: Int32
    private let target: String
    private let temporary: String?
    private var buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    private var flushed = 0
    private var closed = false
    private static let capacity = 1 << 16

    /// Opens `path` for writing as described above; `-` is standard output.
    /// - Throws: ``OutputError`` when the path cannot be written (and then nothing was created).
    public init(path: String, option: String, mode: Mode) throws(OutputError) {
        self.option = option
        self.path = path
        if path == "-" {
            isStandardOutput = true
            isRegularFile = false
            fd = STDOUT_FILENO
            target = "-"
            temporary = nil
        } else {
            isStandardOutput = false
            let resolved = try Self.resolve(path, option: option)
            target = resolved.path
            switch resolved.kind {
            case .regular:
                isRegularFile = true
                if mode == .replace {
                    let (tfd, tpath) = try Self.createTemporary(next: resolved.path, suffix: "", option: option, mode: resolved.mode)
                    fd = tfd
                    temporary = tpath
                } else {
                    let f = open(resolved.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
                    guard f >= 0 else { throw .cannotCreate(output: option, path: path, errno: errno) }
                    fd = f
                    temporary = nil
                }
            case .inPlace:
                isRegularFile = false
                fd = try Self.openInPlace(resolved.path, option: option, given: path)
                temporary = nil
            }
        }
        buffer = .allocate(byteCount: Self.capacity, alignment: 16)
    }

    deinit {
        abandon()
        buffer.deallocate()
    }

    /// Appends `bytes`.
    /// - Throws: ``OutputError/writeFailed(output:path:errno:)``; the output is then abandoned.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        guard !closed else { throw .writeFailed(output: option, path: path, errno: EBADF) }
        if buffered + bytes.count > Self.capacity { try flush() }
        if bytes.count >= Self.capacity {
            try send(bytes)
        } else if let base = bytes.baseAddress, let dst = buffer.baseAddress {
            (dst + buffered).copyMemory(from: base, byteCount: bytes.count)
            buffered += bytes.count
        }
        bytesWritten += bytes.count
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws(OutputError) {
        var failure: OutputError?
        bytes.withUnsafeBytes { b in
            do throws(OutputError) { try write(b) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Appends the UTF-8 bytes of `text`.
    public func write(_ text: String) throws(OutputError) {
        var copy = text
        var failure: OutputError?
        copy.withUTF8 { b in
            do throws(OutputError) { try write(UnsafeRawBufferPointer(b)) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes out what is buffered.
    public func flush() throws(OutputError) {
        guard buffered > 0 else { return }
        let n = buffered
        buffered = 0
        try send(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<n]))
    }

    private func send(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        let e = Console.writeAll(fd, bytes)
        if e != 0 {
            // A regular file written in place is cut back to what was whole before this write
            // (callers write whole records, e.g. lines), so a full disk leaves no torn record.
            if isRegularFile, temporary == nil { _ = ftruncate(fd, off_t(flushed)) }
            abandon()
            throw .writeFailed(output: option, path: path, errno: e)
        }
        flushed += bytes.count
    }

    /// Flushes and closes; a replaced file is synced to disk and renamed over its target.
    /// Idempotent. Standard output is flushed, not closed.
    /// - Throws: ``OutputError/finishFailed(output:path:operation:errno:)`` (a temporary
    ///   file is then removed and the target left as it was).
    public func finish() throws(OutputError) {
        guard !closed else { return }
        try flush()
        closed = true
        if isStandardOutput { return }
        if let temporary {
            if fsync(fd) != 0 {
                let e = errno
                _ = close(fd)
                unlink(temporary)
                throw .finishFailed(output: option, path: path, operation: "fsync", errno: e)
            }
        }
        if close(fd) != 0, errno != EINTR {
            let e = errno
            if let temporary { unlink(temporary) }
            throw .finishFailed(output: option, path: path, operation: "close", errno: e)
        }
        if let temporary, rename(temporary, target) != 0 {
            let e = errno
            unlink(temporary)
            throw .finishFailed(output: option, path: path, operation: "rename", errno: e)
        }
    }

    /// Closes without finishing: a temporary file is removed (the target keeps its old
    /// content); a file written in place keeps what was written. Idempotent.
    public func abandon() {
        guard !closed else { return }
        closed = true
        buffered = 0
        if isStandardOutput { return }
        _ = close(fd)
        if let temporary { unlink(temporary) }
    }

    // MARK: Whole files produced by another writer

    /// Has `produce` write a whole file (e.g. a PNG through FFmpeg) at a temporary path ending
    /// in `suffix`, then puts it at `path` by the rules above: renamed over a regular file,
    /// copied into a device or FIFO. On any failure the temporary file is removed and `path`
    /// is left as it was.
    /// - Throws: ``OutputError``, or what `produce` throws.
    public static func writeWhole(path: String, option: String, suffix: String, produce: (String) throws -> Void) throws {
        let resolved = try resolve(path, option: option)
        switch resolved.kind {
        case .regular:
            let (fd, temporary) = try createTemporary(next: resolved.path, suffix: suffix, option: option, mode: resolved.mode)
            _ = close(fd)
            do { try produce(temporary) } catch {
                unlink(temporary)
                throw error
            }
            // Sync the finished file before the rename, as OutputFile.finish does.
            let sfd = open(temporary, O_RDONLY | O_CLOEXEC)
            if sfd >= 0 {
                let synced = fsync(sfd) == 0
                let e = errno
                _ = close(sfd)
                if !synced {
                    unlink(temporary)
                    throw OutputError.finishFailed(output: option, path: path, operation: "fsync", errno: e)
                }
            }
            if rename(temporary, resolved.path) != 0 {
                let e = errno
                unlink(temporary)
                throw OutputError.finishFailed(output: option, path: path, operation: "rename", errno: e)
            }
        case .inPlace:
            let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
            let (fd, temporary) = try createTemporary(next: directory + "/ferdemo", suffix: suffix, option: option, mode: 0o600)
            _ = close(fd)
            defer { unlink(temporary) }
            try produce(temporary)
            let out = try OutputFile(path: path, option: option, mode: .stream)
            let input = open(temporary, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw OutputError.cannotCreate(output: option, path: temporary, errno: errno) }
            defer { _ = close(input) }
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
            defer { chunk.deallocate() }
            while true {
                let n = read(input, chunk.baseAddress, chunk.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw OutputError.writeFailed(output: option, path: temporary, errno: errno)
                }
                if n == 0 { break }
                try out.write(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            }
            try out.finish()
        }
    }

    // MARK: Checking a path before a run

    /// Checks, without creating anything, that `path` can be written by the rules above: it
    /// is not a directory, a disk, a socket or a link to nothing, and a new file's folder
    /// exists and is writable. Lets a run refuse an output before it spends time on its input.
    /// - Throws: the ``OutputError`` that opening the output would throw.
    public static func preflight(path: String, option: String) throws(OutputError) {
        guard path != "-" else { return }
        let resolved = try resolve(path, option: option)
        guard resolved.kind == .regular else { return }
        let slash = resolved.path.lastIndex(of: "/")
        let folder = slash.map { String(resolved.path[..<$0]) } ?? "."
        let directory = folder.isEmpty ? "/" : folder
        var info = stat()
        guard stat(directory, &info) == 0 else { throw .cannotCreate(output: option, path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw .cannotCreate(output: option, path: path, errno: ENOTDIR) }
        guard access(directory, W_OK) == 0 else { throw .cannotCreate(output: option, path: path, errno: errno) }
    }

    // MARK: Resolving the path

    enum Kind { case regular, inPlace }

    struct Resolved {
        var path: String
        var kind: Kind
        /// Permission bits for a replacement: the existing file's, or 0666 less the umask.
        var mode: mode_t
    }

    /// What `path` is, with links followed; refuses what must not be written.
    static func resolve(_ path: String, option: String) throws(OutputError) -> Resolved {
        guard !path.isEmpty else { throw .cannotCreate(output: option, path: path, errno: ENOENT) }
        var info = stat()
        var target = path
        if lstat(path, &info) != 0 {
            let e = errno
            guard e == ENOENT else { throw .cannotCreate(output: option, path: path, errno: e) }
            return Resolved(path: path, kind: .regular, mode: newFileMode())
        }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard let real = realpath(path, nil) else {
                let e = errno
                if e == ENOENT { throw .danglingLink(output: option, path: path) }
                throw .cannotCreate(output: option, path: path, errno: e)
            }
            target = String(cString: real)
            free(real)
            guard stat(target, &info) == 0 else { throw .cannotCreate(output: option, path: path, errno: errno) }
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return Resolved(path: target, kind: .regular, mode: info.st_mode & 0o7777)
        case S_IFCHR, S_IFIFO: return Resolved(path: target, kind: .inPlace, mode: 0)
        case S_IFDIR: throw .isDirectory(output: option, path: path)
        case S_IFBLK: throw .unwritableKind(output: option, path: path, kind: "a block device (a disk)")
        case S_IFSOCK: throw .unwritableKind(output: option, path: path, kind: "a socket")
        default: throw .unwritableKind(output: option, path: path, kind: "a special file")
        }
    }

    private static func newFileMode() -> mode_t {
        // umask can only be read by setting it; this runs before any output thread starts.
        let mask = umask(0o022)
        umask(mask)
        return 0o666 & ~mask
    }

    /// A new file `.<name>.ferdemo-XXXXXX<suffix>` in the folder of `next`, with `mode`.
    static func createTemporary(next: String, suffix: String, option: String, mode: mode_t) throws(OutputError) -> (Int32, String) {
        let slash = next.lastIndex(of: "/")
        let folder = slash.map { String(next[...$0]) } ?? ""
        let name = slash.map { String(next[next.index(after: $0)...]) } ?? next
        var template = Array((folder + "." + name + ".ferdemo-XXXXXX" + suffix).utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, Int32(suffix.utf8.count)) }
        guard fd >= 0 else { throw .cannotCreate(output: option, path: next, errno: errno) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fchmod(fd, mode)
        return (fd, path)
    }

    /// Opens a device or FIFO for writing without truncating or replacing it. A FIFO is opened
    /// non-blocking first, so that one without a reader fails (ENXIO) instead of hanging.
    private static func openInPlace(_ path: String, option: String, given: String) throws(OutputError) -> Int32 {
        var info = stat()
        let isFIFO = stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO
        let fd = open(path, O_WRONLY | O_CLOEXEC | (isFIFO ? O_NONBLOCK : 0))
        guard fd >= 0 else {
            let e = errno
            if isFIFO && e == ENXIO { throw .noReader(output: option, path: given) }
            throw .cannotCreate(output: option, path: given, errno: e)
        }
        if isFIFO {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        }
        return fd
    }
}
