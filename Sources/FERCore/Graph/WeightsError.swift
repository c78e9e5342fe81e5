/// Why a weights file could not be used. Every case names the file and the
/// problem, and its description says what to do about it.
public enum WeightsError: Error, Equatable, CustomStringConvertible {
    /// No file at the path.
    case fileNotFound(path: String)
    /// The file exists but this process may not read it.
    case permissionDenied(path: String)
    /// The file could not be read for another reason (the OS error text).
    case unreadable(path: String, reason: String)
    /// The path names a directory, a FIFO, a device or a socket, not a regular file
    /// (`kind` says which); it is refused before it is opened, so a FIFO cannot block.
    case notARegularFile(path: String, kind: FileKind)
    /// The file ends before the data its header promises.
    case truncated(path: String, detail: String)
    /// The header length field exceeds the safetensors format's 100 MB limit.
    case headerTooLarge(path: String, length: UInt64)
    /// The header is not the JSON the safetensors format requires.
    case invalidHeader(path: String, detail: String)
    /// A tensor entry is inconsistent (shape, offsets, byte count).
    case invalidTensor(path: String, tensor: String, detail: String)
    /// A tensor has a dtype FERCore cannot use (only F32 is supported).
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// Two tensors claim the same bytes.
    case overlappingTensors(path: String, first: String, second: String)
    /// A tensor the graph or caller needs is absent.
    case missingTensor(path: String, tensor: String)
    /// The file carries no `fercore.graph` description.
    case missingGraph(path: String)
    /// The graph description is malformed or inconsistent with the tensors.
    case invalidGraph(path: String, layer: String, detail: String)
    /// A weight tensor holds NaN or an infinity: `count` such values, the first at
    /// element `index` (row-major) with value `value` ("NaN", "+Inf" or "-Inf").
    case nonFiniteValue(path: String, tensor: String, index: Int, value: String, count: Int)
    /// The file's SHA-256 differs from the one its directory's `SHA256SUMS` manifest
    /// lists for it (both as 64 hex digits).
    case checksumMismatch(path: String, expected: String, actual: String, manifest: String)
    /// The `SHA256SUMS` manifest next to a weights file cannot be used; `path` is the
    /// manifest's path, `line` the 1-based line at fault (0: the whole file).
    case invalidManifest(path: String, line: Int, detail: String)

    /// The file path the error is about.
    public var path: String {
        switch self {
        case let .fileNotFound(p), let .permissionDenied(p), let .unreadable(p, _), let .notARegularFile(p, _),
            let .truncated(p, _), let .headerTooLarge(p, _), let .invalidHeader(p, _), let .invalidTensor(p, _, _),
            let .unsupportedDType(p, _, _), let .overlappingTensors(p, _, _), let .missingTensor(p, _),
            let .missingGraph(p), let .invalidGraph(p, _, _), let .nonFiniteValue(p, _, _, _, _),
            let .checksumMismatch(p, _, _, _), let .invalidManifest(p, _, _):
            return p
        }
    }

    private static let regenerate = "Regenerate it with `make weights` and compare its sha256 with Weights/README.md."

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "Weights file not found: \(path). Check the path, or run `make weights` to create the files in Weights/."
        case let .permissionDenied(path):
            return "Weights file \(path) is not readable by this user (permission denied). Fix its permissions (chmod a+r)."
        case let .unreadable(path, reason):
            return "Weights file \(path) could not be read: \(reason). Check the disk and the path."
        case let .notARegularFile(path, kind):
            return "Weights file \(path) is \(kind), not a regular file; give the path of a .safetensors file "
                + "(for example Weights/\(ModelFile.emotion.fileName))."
        case let .truncated(path, detail):
            return "Weights file \(path) is truncated: \(detail). \(Self.regenerate)"
        case let .headerTooLarge(path, length):
            return "Weights file \(path) declares a \(length)-byte header, larger than the 100 MB safetensors limit: "
                + "it is corrupt or not a safetensors file. \(Self.regenerate)"
        case let .invalidHeader(path, detail):
            return "Weights file \(path) has an invalid safetensors header: \(detail). \(Self.regenerate)"
        case let .invalidTensor(path, tensor, detail):
            return "Weights file \(path), tensor '\(tensor)': \(detail). \(Self.regenerate)"
        case let .unsupportedDType(path, tensor, dtype):
            return "Weights file \(path), tensor '\(tensor)' has dtype \(dtype); FERCore reads F32 only. "
                + "Convert the weights with Tools/convert_weights.py."
        case let .overlappingTensors(path, first, second):
            return "Weights file \(path): tensors '\(first)' and '\(second)' overlap in the data section; the file is corrupt. \(Self.regenerate)"
        case let .missingTensor(path, tensor):
            return "Weights file \(path) has no tensor '\(tensor)'. \(Self.regenerate)"
        case let .missingGraph(path):
            return "Weights file \(path) carries no 'fercore.graph' description in its metadata, so FERCore cannot build a network from it. "
                + "Convert the model with Tools/convert_weights.py."
        case let .invalidGraph(path, layer, detail):
            return "Weights file \(path), layer '\(layer)': \(detail). \(Self.regenerate)"
        case let .nonFiniteValue(path, tensor, index, value, count):
            return "Weights file \(path), tensor '\(tensor)' holds \(count) non-finite value\(count == 1 ? "" : "s") "
                + "(the first, element \(index), is \(value)); the network would output NaN. The file is corrupt or "
                + "its training diverged. \(Self.regenerate)"
        case let .checksumMismatch(path, expected, actual, manifest):
            return "Weights file \(path) has sha256 \(actual) but \(manifest) lists \(expected): the file is damaged "
                + "or was replaced. Restore the shipped file (`make weights` rebuilds it; `git checkout Weights/` in a source "
                + "checkout); if it is your own network, "
                + "update or remove its line in \(manifest), or load it with `verification: .unverified`."
        case let .invalidManifest(path, line, detail):
            return "Checksum manifest \(path)\(line > 0 ? ", line \(line)" : ""): \(detail). Each line must be "
                + "'<64 hex digits>  <file name>' as `sha256sum` writes it; fix the file, regenerate it "
                + "(`cd Weights && sha256sum *.safetensors > SHA256SUMS`), or delete it to load weights unchecked."
        }
    }
}
