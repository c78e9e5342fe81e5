import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// ferdemo's standard output and standard error, written with `write(2)` so that every
/// failure is seen: `print` and `FileHandle` either ignore a full disk or a closed pipe, or
/// trap on it. Run with SIGPIPE ignored, a closed pipe is an ``OutputError`` with `EPIPE`.
public enum Console {
    private static let errorFailure = Mutex<OutputError?>(nil)

    /// The name standard output has in messages.
    public static let standardOutputName = "standard output"
    /// The name standard error has in messages.
    public static let standardErrorName = "standard error"

    /// Writes `text` to standard output, all of it.
    /// - Throws: ``OutputError/writeFailed(output:path:errno:)`` naming standard output.
    public static func out(_ text: String) throws(OutputError) {
        var copy = text
        let e = copy.withUTF8 { Self.writeAll(STDOUT_FILENO, UnsafeRawBufferPointer($0)) }
        if e != 0 { throw .writeFailed(output: standardOutputName, path: "-", errno: e) }
    }

    /// Writes `text` to standard error. A failure is remembered (``standardErrorFailure``)
    /// and later writes are skipped: a log nobody reads must not stop the messages' callers,
    /// but the run ends with a failure status.
    public static func err(_ text: String) {
        guard standardErrorFailure == nil else { return }
        var copy = text
        let e = copy.withUTF8 { Self.writeAll(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
        if e != 0 {
            errorFailure.withLock { $0 = .writeFailed(output: standardErrorName, path: "-", errno: e) }
        }
    }

    /// The first failure writing standard error, if any.
    public static var standardErrorFailure: OutputError? { errorFailure.withLock { $0 } }

    /// Writes every byte of `bytes` to `fd`, retrying after signals and partial writes.
    /// - Returns: 0, or the `errno` of the failed `write`.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard var p = bytes.baseAddress else { return 0 }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return EIO }
            p += n
            left -= n
        }
        return 0
    }
}
