#if canImport(Glibc)
    import Glibc
#endif

/// Reads a whole regular file without ever blocking on a FIFO or a device: opened with
/// `O_NONBLOCK`, checked again with `fstat` after the open (the path may have been swapped
/// since the caller's `stat`), bounded by a size limit, read with `EINTR` retried. The weights
/// reader and FERMedia's image reader share it and turn its failures into their own errors.
package enum RegularFile {
    /// Why a read failed, with the `errno` where there is one.
    package enum Failure: Error {
        /// `open` failed.
        case open(errno: Int32)
        /// The path is not a regular file (found by `fstat` after the open).
        case notRegular(FileKind)
        /// The file is larger than the caller's limit.
        case tooLarge(size: Int)
        /// `fstat` or `read` failed.
        case io(errno: Int32)
    }

    /// The bytes of the regular file at `path`, at most `limit` of them.
    package static func read(_ path: String, limit: Int) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.open(errno: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.io(errno: errno)) }
        let kind = FileKind(mode: info.st_mode)
        guard kind == .regular else { return .failure(.notRegular(kind)) }
        let size = Int(info.st_size)
        guard size <= limit else { return .failure(.tooLarge(size: size)) }
        // Read straight into uninitialised storage: no zeroing pass over memory the read fills.
        var failure: Failure?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size, let base = buffer.baseAddress {
                let n = Glibc.read(fd, base + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .io(errno: errno)
                    break
                }
                if n == 0 { break }
                done += n
            }
            count = done
        }
        if let failure { return .failure(failure) }
        return .success(bytes)
    }
}
