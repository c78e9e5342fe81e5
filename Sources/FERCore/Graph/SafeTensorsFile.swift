import Foundation

/// A validated safetensors file held in memory.
///
/// The reader checks everything before handing out a tensor: the header length
/// against the file and the format's 100 MB limit, the header JSON, every dtype,
/// shape and byte range, that no two tensors overlap and that no byte of the data
/// section is left unindexed (the safetensors specification forbids holes).
/// Any violation throws a ``WeightsError`` naming the file and the problem.
public struct SafeTensorsFile: Sendable {
    /// Where the bytes came from (used in error messages).
    public let path: String
    /// The string map stored under `__metadata__` (empty if absent).
    public let metadata: [String: String]
    /// Every tensor's dtype, shape and byte range, by name.
    public let tensors: [String: TensorEntry]
    private let bytes: [UInt8]
    private let dataStart: Int

    /// One tensor's header entry.
    public struct TensorEntry: Sendable, Equatable {
        /// The safetensors dtype string, e.g. `F32`.
        public var dtype: String
        /// The tensor's shape, outermost first.
        public var shape: [Int]
        /// Byte range inside the data section.
        public var begin: Int, end: Int
        /// Number of elements (`Int.max` if the shape's product overflows, which no
        /// validated entry's does).
        public var count: Int { SafeTensorsFile.elementCount(shape) ?? .max }
    }

    /// The largest header the safetensors format allows (its reference
    /// implementation's `MAX_HEADER_SIZE`).
    public static let maximumHeaderLength: UInt64 = 100_000_000

    /// Bytes per element of every dtype in the safetensors specification.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8
    ]

    /// Reads, verifies and validates the file at `path`.
    ///
    /// With `.manifest` verification (the default), when the file's directory holds a
    /// `SHA256SUMS` manifest that lists the file's name, the SHA-256 of the bytes read must
    /// equal the listed one (``WeightsError/checksumMismatch(path:expected:actual:manifest:)``
    /// otherwise); files the manifest does not list, and directories without a manifest,
    /// load unchecked. The hash is computed over the very bytes that are then used.
    ///
    /// - Parameters:
    ///   - path: the `.safetensors` file; it must be a regular file (a FIFO, directory or
    ///     device is refused before it is opened).
    ///   - verification: ``WeightsVerification/manifest`` (default) or
    ///     ``WeightsVerification/unverified`` for weights you made or changed yourself.
    /// - Throws: ``WeightsError`` naming the file and the problem.
    public init(contentsOf path: String, verification: WeightsVerification = .manifest) throws(WeightsError) {
        let bytes = try Self.readFile(path)
        if verification == .manifest { try WeightsManifest.verify(bytes, path: path) }
        self = try SafeTensorsFile(bytes: bytes, path: path)
    }

    /// Validates `bytes` as a safetensors file; `path` is used in errors only.
    public init(bytes: [UInt8], path: String) throws(WeightsError) {
        self.path = path
        self.bytes = bytes
        guard bytes.count >= 8 else {
            throw .truncated(path: path, detail: "\(bytes.count) bytes, fewer than the 8-byte header length field")
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= Self.maximumHeaderLength else { throw .headerTooLarge(path: path, length: length) }
        guard length <= UInt64(bytes.count - 8) else {
            throw .truncated(path: path, detail: "the header claims \(length) bytes but only \(bytes.count - 8) follow")
        }
        let headerEnd = 8 + Int(length)
        dataStart = headerEnd
        let header: [String: HeaderValue]
        do {
            header = try JSONDecoder().decode([String: HeaderValue].self, from: Data(bytes[8..<headerEnd]))
        } catch {
            throw .invalidHeader(path: path, detail: "not a JSON object of tensor entries (\(Self.describe(error)))")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: TensorEntry] = [:]
        let dataCount = bytes.count - headerEnd
        for (name, value) in header {
            switch value {
            case .metadata(let map):
                guard name == "__metadata__" else {
                    throw .invalidHeader(path: path, detail: "entry '\(name)' is a string map; only __metadata__ may be one")
                }
                metadata = map
            case .tensor(let dtype, let shape, let offsets):
                guard name != "__metadata__" else {
                    throw .invalidHeader(path: path, detail: "__metadata__ must map strings to strings")
                }
                guard let size = Self.dtypeSizes[dtype] else {
                    throw .invalidTensor(path: path, tensor: name, detail: "unknown dtype '\(dtype)'")
                }
                guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else {
                    throw .invalidTensor(path: path, tensor: name, detail: "shape \(shape) has a negative or absurd extent")
                }
                guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
                    throw .invalidTensor(path: path, tensor: name, detail: "data_offsets \(offsets) are not [begin, end] with begin <= end")
                }
                let span = offsets[1] - offsets[0]
                guard let count = Self.elementCount(shape) else {
                    throw .invalidTensor(
                        path: path, tensor: name,
                        detail: "shape \(shape) has more elements than a 64-bit count holds (the product overflows)")
                }
                let (needed, overflow) = count.multipliedReportingOverflow(by: size)
                guard !overflow else {
                    throw .invalidTensor(
                        path: path, tensor: name,
                        detail: "shape \(shape) of \(dtype) needs more bytes than a 64-bit count holds")
                }
                guard span == needed else {
                    throw .invalidTensor(
                        path: path, tensor: name,
                        detail: "shape \(shape) of \(dtype) needs \(needed) bytes but data_offsets span \(span)")
                }
                guard offsets[1] <= dataCount else {
                    throw .truncated(path: path, detail: "tensor '\(name)' ends at data byte \(offsets[1]) but the data section has \(dataCount) bytes")
                }
                tensors[name] = TensorEntry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
            }
        }
        let ordered = tensors.sorted { ($0.value.begin, $0.value.end, $0.key) < ($1.value.begin, $1.value.end, $1.key) }
        var covered = 0
        for (i, entry) in ordered.enumerated() {
            if i > 0, entry.value.begin < ordered[i - 1].value.end {
                throw .overlappingTensors(path: path, first: ordered[i - 1].key, second: entry.key)
            }
            if entry.value.begin > covered {
                throw .invalidHeader(path: path, detail: "data bytes \(covered)..<\(entry.value.begin) belong to no tensor (the format forbids holes)")
            }
            covered = max(covered, entry.value.end)
        }
        if covered < dataCount {
            throw .invalidHeader(path: path, detail: "\(dataCount - covered) trailing data bytes belong to no tensor")
        }
        self.metadata = metadata
        self.tensors = tensors
    }

    /// The product of `shape`'s extents, or nil when it overflows `Int`.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            count = p
        }
        return count
    }

    /// The elements of an F32 tensor, with its shape.
    public func floats(_ name: String) throws(WeightsError) -> (shape: [Int], values: [Float]) {
        guard let entry = tensors[name] else { throw .missingTensor(path: path, tensor: name) }
        guard entry.dtype == "F32" else { throw .unsupportedDType(path: path, tensor: name, dtype: entry.dtype) }
        let start = dataStart + entry.begin
        // Copied straight into uninitialised storage (no zeroing pass first).
        let values = [Float](unsafeUninitializedCapacity: entry.count) { dst, count in
            bytes.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(dst).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: src[start..<(start + entry.end - entry.begin)]))
            }
            count = entry.count
        }
        #if _endian(big)
            return (entry.shape, values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) })
        #else
            return (entry.shape, values)
        #endif
    }

    /// The bytes of a U8 tensor (images in test fixtures), with its shape.
    public func uint8s(_ name: String) throws(WeightsError) -> (shape: [Int], values: [UInt8]) {
        guard let entry = tensors[name] else { throw .missingTensor(path: path, tensor: name) }
        guard entry.dtype == "U8" else { throw .unsupportedDType(path: path, tensor: name, dtype: entry.dtype) }
        let start = dataStart + entry.begin
        return (entry.shape, Array(bytes[start..<(start + entry.end - entry.begin)]))
    }

    /// The largest weights file FERCore reads (2 GiB; the shipped ones total 2.2 MB).
    static let maximumFileSize = 1 << 31

    /// Reads the whole regular file at `path` (at most `limit` bytes).
    ///
    /// The path's type is checked with `stat` before it is opened, and the open does not
    /// block (`O_NONBLOCK`), so a FIFO, a directory or a device gives
    /// ``WeightsError/notARegularFile(path:kind:)`` at once instead of a hang.
    static func readFile(_ path: String, limit: Int = maximumFileSize) throws(WeightsError) -> [UInt8] {
        switch FileKind.of(path) {
        case let .failure(error):
            if error.isMissing { throw .fileNotFound(path: path) }
            if error.isPermissionDenied { throw .permissionDenied(path: path) }
            throw .unreadable(path: path, reason: error.description)
        case let .success(kind):
            guard kind == .regular else { throw .notARegularFile(path: path, kind: kind) }
        }
        switch RegularFile.read(path, limit: limit) {
        case let .success(bytes):
            return bytes
        case let .failure(.open(code)):
            switch code {
            case ENOENT, ENOTDIR: throw .fileNotFound(path: path)
            case EACCES, EPERM: throw .permissionDenied(path: path)
            default: throw .unreadable(path: path, reason: String(cString: strerror(code)))
            }
        case let .failure(.notRegular(kind)):
            // The path was replaced between the stat and the open.
            throw .notARegularFile(path: path, kind: kind)
        case let .failure(.tooLarge(size)):
            throw .unreadable(path: path, reason: "its \(size) bytes exceed the \(limit)-byte limit for this kind of file")
        case let .failure(.io(code)):
            throw .unreadable(path: path, reason: String(cString: strerror(code)))
        }
    }

    private static func describe(_ error: Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error { return context.debugDescription }
        if case let DecodingError.typeMismatch(_, context) = error { return context.debugDescription }
        return "\(error)"
    }
}

/// One value of the header's top-level object.
private enum HeaderValue: Decodable {
    case metadata([String: String])
    case tensor(dtype: String, shape: [Int], offsets: [Int])

    private enum Keys: String, CodingKey { case dtype, shape, data_offsets }

    init(from decoder: Decoder) throws {
        if let container = try? decoder.container(keyedBy: Keys.self), container.contains(.dtype) {
            self = .tensor(
                dtype: try container.decode(String.self, forKey: .dtype),
                shape: try container.decode([Int].self, forKey: .shape),
                offsets: try container.decode([Int].self, forKey: .data_offsets))
        } else {
            self = .metadata(try decoder.singleValueContainer().decode([String: String].self))
        }
    }
}
