#if canImport(Glibc)
    import Glibc
#endif

/// The fuzzed readers take paths: each input is written to one reused file in /dev/shm
/// (memory, not disk), named `name` inside a directory of this process.
public enum ScratchFile {
    /// This process's scratch directory.
    public static let directory: String = {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let dir = "\(base)/fercore-fuzz-\(getpid())"
        mkdir(dir, 0o700)
        return dir
    }()

    /// Writes `size` bytes at `data` to `<directory>/<name>` (replacing it) and returns the path.
    public static func write(_ data: UnsafePointer<UInt8>?, _ size: Int, name: String) -> String {
        let path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "cannot create \(path)")
        var done = 0
        while done < size, let data {
            let n = Glibc.write(fd, data + done, size - done)
            precondition(n > 0, "cannot write \(path)")
            done += n
        }
        close(fd)
        return path
    }
}
