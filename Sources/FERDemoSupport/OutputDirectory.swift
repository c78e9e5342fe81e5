#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A folder ferdemo writes files into (`detect --annotate`).
public enum OutputDirectory {
    /// Creates `path` and its missing parents (as `mkdir -p`); an existing folder is fine.
    /// - Throws: ``OutputError/cannotCreate(output:path:errno:)`` naming the part that failed,
    ///   ``OutputError/notAFolder(output:path:)`` when a part exists and is not a folder.
    public static func create(_ path: String, option: String) throws(OutputError) {
        guard !path.isEmpty else { throw .cannotCreate(output: option, path: path, errno: ENOENT) }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            var info = stat()
            if stat(prefix, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw .notAFolder(output: option, path: prefix)
                }
            } else if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
                throw .cannotCreate(output: option, path: prefix, errno: errno)
            }
            prefix += "/"
        }
    }
}
