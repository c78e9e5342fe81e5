#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file's identity: its device and inode (what `stat` reports, links followed), so that two
/// paths naming the same file — through a link, `..`, a hard link or a bind mount — compare equal.
public struct FileIdentity: Hashable, Sendable {
    /// `st_dev`.
    public var device: UInt64
    /// `st_ino`.
    public var inode: UInt64
    /// True for a character device (`/dev/null`, a terminal), which outputs may share.
    public var isCharacterDevice: Bool

    /// The identity of the file at `path`, or nil when nothing is there.
    public static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(info)
    }

    /// The identity of what standard output is connected to.
    public static func ofStandardOutput() -> FileIdentity? {
        var info = stat()
        guard fstat(STDOUT_FILENO, &info) == 0 else { return nil }
        return FileIdentity(info)
    }

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        isCharacterDevice = (info.st_mode & S_IFMT) == S_IFCHR
    }
}

/// Why ferdemo refuses a set of outputs before writing anything.
public enum OutputConflictError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An output names a file the run reads.
    case overwritesInput(output: String, path: String, input: String, inputPath: String)
    /// Two outputs name the same file.
    case sameFile(first: String, second: String, path: String)
    /// Two outputs are standard output (`-`).
    case standardOutputTwice(first: String, second: String)
    /// An output names the file standard output goes to, which carries other text.
    case standardOutputFile(output: String, path: String)

    /// What was wrong, where, and what to do.
    public var description: String {
        switch self {
        case let .overwritesInput(output, path, input, inputPath):
            let same = path == inputPath ? "" : " ('\(inputPath)')"
            return "\(output) '\(path)' is the same file as the input\(same) of \(input); refusing to write over an input. Choose another output path."
        case let .sameFile(first, second, path):
            return "\(first) and \(second) both name '\(path)'; each output needs a file of its own."
        case let .standardOutputTwice(first, second):
            return "\(first) and \(second) both write to standard output ('-'); send one of them to a file."
        case let .standardOutputFile(output, path):
            return
                "\(output) '\(path)' is where standard output goes, which also carries ferdemo's summary; use \(output) - (the summary then goes to standard error) or another file."
        }
    }
}

/// Checks a run's outputs against its inputs and each other, by file identity, before
/// anything is opened for writing.
public enum OutputPlan {
    /// An input or output path with the option that names it (for messages).
    public struct Entry: Sendable {
        /// The option, e.g. "--json", "--input", "PATH".
        public var option: String
        /// The path as given; "-" is standard output.
        public var path: String

        /// Creates an entry.
        public init(option: String, path: String) {
            self.option = option
            self.path = path
        }
    }

    /// Refuses outputs that name an input, another output, or (when standard output carries
    /// other text) the file standard output goes to. Character devices such as `/dev/null` may
    /// be shared by outputs; nothing may be written over an input, whatever its kind.
    /// - Parameters:
    ///   - outputs: the outputs of the run (nil paths are skipped by the caller).
    ///   - inputs: every file the run reads (input files, images of a folder, weights).
    ///   - standardOutputCarriesText: true when the run prints to standard output besides the outputs.
    /// - Throws: ``OutputConflictError``.
    public static func check(outputs: [Entry], inputs: [Entry], standardOutputCarriesText: Bool) throws(OutputConflictError) {
        var inputIDs: [FileIdentity: Entry] = [:]
        for input in inputs where input.path != "-" {
            if let id = FileIdentity.of(input.path), inputIDs[id] == nil { inputIDs[id] = input }
        }
        let stdoutID = FileIdentity.ofStandardOutput()
        var seenIDs: [FileIdentity: Entry] = [:]
        var seenNames: [String: Entry] = [:]
        var stdoutUser: Entry?
        for output in outputs {
            if output.path == "-" {
                if let first = stdoutUser { throw .standardOutputTwice(first: first.option, second: output.option) }
                stdoutUser = output
                continue
            }
            if let id = FileIdentity.of(output.path) {
                if let input = inputIDs[id] {
                    throw .overwritesInput(output: output.option, path: output.path, input: input.option, inputPath: input.path)
                }
                if !id.isCharacterDevice {
                    if let first = seenIDs[id] { throw .sameFile(first: first.option, second: output.option, path: output.path) }
                    seenIDs[id] = output
                    if standardOutputCarriesText, id == stdoutID {
                        throw .standardOutputFile(output: output.option, path: output.path)
                    }
                }
            } else {
                // Not there yet: compare where it would be created.
                let name = absoluteName(output.path)
                if let first = seenNames[name] { throw .sameFile(first: first.option, second: output.option, path: output.path) }
                seenNames[name] = output
            }
        }
    }

    /// The absolute path `path` would be created at: its folder resolved (links, `..`), then its name.
    static func absoluteName(_ path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let base = folder.isEmpty ? "/" : folder
        guard let real = realpath(base, nil) else { return path }
        defer { free(real) }
        let resolved = String(cString: real)
        return (resolved.hasSuffix("/") ? resolved : resolved + "/") + name
    }
}
