/// How a weights file's bytes are checked before they are used.
///
/// The shipped networks are listed with their SHA-256 in `Weights/SHA256SUMS` (the
/// format `sha256sum` writes and `sha256sum -c` checks; Weights/README.md shows the same
/// hashes). The check catches a damaged, truncated, stale or edited file before it gives
/// wrong results; it is an integrity check, not a defence against someone who can also
/// rewrite the manifest.
public enum WeightsVerification: Sendable, Hashable {
    /// When the file's directory holds a `SHA256SUMS` manifest that lists the file's name,
    /// its SHA-256 must match; other files load unchecked (the default).
    case manifest
    /// No check: for weights you made or changed yourself.
    case unverified
}

/// A `SHA256SUMS` manifest: one `<64 hex digits>  <file name>` line per file.
struct WeightsManifest: Equatable {
    /// The manifest's file name inside a weights directory.
    static let fileName = "SHA256SUMS"
    /// A manifest of a few files is a few hundred bytes; anything larger is not one.
    static let maximumSize = 1 << 20

    /// Where the manifest was read from.
    let path: String
    /// Lower-case hex digest by file name.
    let digests: [String: String]

    /// Parses manifest text. Blank lines are skipped; a `*` before the name (binary mode
    /// in `sha256sum`'s output) is accepted.
    init(text: [UInt8], path: String) throws(WeightsError) {
        self.path = path
        var digests: [String: String] = [:]
        var lineNumber = 0
        for rawLine in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Array(rawLine)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            guard line.count > 66, line[64] == UInt8(ascii: " "),
                line[65] == UInt8(ascii: " ") || line[65] == UInt8(ascii: "*")
            else {
                throw .invalidManifest(path: path, line: lineNumber, detail: "the line is not '<sha256>  <file name>'")
            }
            let hex = line[0..<64].map { $0 | 0x20 } // ASCII lower case (digits are unchanged)
            guard hex.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }) else {
                throw .invalidManifest(path: path, line: lineNumber, detail: "the digest is not 64 hexadecimal digits")
            }
            let name = String(decoding: line[66...], as: UTF8.self)
            guard !name.contains("/") else {
                throw .invalidManifest(path: path, line: lineNumber, detail: "'\(name)' is a path; list file names of this directory only")
            }
            guard digests[name] == nil else {
                throw .invalidManifest(path: path, line: lineNumber, detail: "'\(name)' is listed twice")
            }
            digests[name] = String(decoding: hex, as: UTF8.self)
        }
        self.digests = digests
    }

    /// The manifest in `directory`, or nil when there is none.
    static func load(directory: String) throws(WeightsError) -> WeightsManifest? {
        let path = (directory.isEmpty ? "." : directory) + "/" + fileName
        if case let .failure(error) = FileKind.of(path), error.isMissing { return nil }
        let text: [UInt8]
        do { text = try SafeTensorsFile.readFile(path, limit: maximumSize) } catch {
            throw .invalidManifest(path: path, line: 0, detail: "it cannot be read (\(error))")
        }
        return try WeightsManifest(text: text, path: path)
    }

    /// Splits a path into its directory ("." for a bare name) and its last component.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Checks `bytes`, read from `path`, against the manifest next to `path` when that
    /// manifest lists the file; does nothing otherwise.
    static func verify(_ bytes: [UInt8], path: String) throws(WeightsError) {
        let (directory, name) = split(path)
        guard let manifest = try load(directory: directory), let expected = manifest.digests[name] else { return }
        let actual = SHA256.hex(of: bytes)
        guard actual == expected else {
            throw .checksumMismatch(path: path, expected: expected, actual: actual, manifest: manifest.path)
        }
    }
}
