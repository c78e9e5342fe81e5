import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// Every way a weights file can be bad gets a typed error naming the file.
@Suite("Safetensors reader and weights errors")
struct SafeTensorsTests {
    /// Splits a safetensors file into its header JSON object and data bytes.
    static func split(_ bytes: [UInt8]) throws -> ([String: Any], [UInt8]) {
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any])
        return (json, Array(bytes[(8 + n)...]))
    }

    static func join(_ header: [String: Any], _ data: [UInt8]) throws -> [UInt8] {
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var out: [UInt8] = []
        for i in 0..<8 { out.append(UInt8((json.count >> (8 * i)) & 0xff)) }
        return out + Array(json) + data
    }

    /// The real P-Net file with its graph JSON transformed by `edit`.
    static func pnetWithGraph(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        let bytes = try SafeTensorsFile.readFile(Paths.weights(.pnet))
        var (header, data) = try split(bytes)
        var meta = try #require(header["__metadata__"] as? [String: String])
        let graphJSON = try #require(meta["fercore.graph"])
        var graph = try #require(try JSONSerialization.jsonObject(with: Data(graphJSON.utf8)) as? [String: Any])
        edit(&graph)
        meta["fercore.graph"] = String(decoding: try JSONSerialization.data(withJSONObject: graph, options: [.sortedKeys]), as: UTF8.self)
        header["__metadata__"] = meta
        return try join(header, data)
    }

    static func layers(_ graph: inout [String: Any], _ edit: (inout [[String: Any]]) -> Void) {
        var layers = graph["layers"] as? [[String: Any]] ?? []
        edit(&layers)
        graph["layers"] = layers
    }

    func network(_ bytes: [UInt8]) throws -> Network {
        try Network(file: SafeTensorsFile(bytes: bytes, path: "test.safetensors"))
    }

    @Test("the shipped weights all load")
    func shippedWeightsLoad() throws {
        for model in ModelFile.allCases {
            let net = try Network(contentsOf: Paths.weights(model))
            #expect(net.stepCount > 0)
        }
    }

    @Test("missing file, directory, empty file")
    func fileErrors() throws {
        #expect(throws: WeightsError.fileNotFound(path: "/nonexistent/x.safetensors")) {
            try Network(contentsOf: "/nonexistent/x.safetensors")
        }
        #expect(throws: WeightsError.notARegularFile(path: "/tmp", kind: .directory)) {
            try SafeTensorsFile(contentsOf: "/tmp")
        }
        let empty = Paths.temporaryFile("empty.safetensors")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let error = #expect(throws: WeightsError.self) { try Network(contentsOf: empty) }
        guard case .truncated(let path, _) = error else { Issue.record("expected truncated, got \(String(describing: error))"); return }
        #expect(path == empty)
        #expect(error?.description.contains("make weights") == true)
    }

    @Test("unreadable file (permission denied)", .enabled(if: geteuid() != 0, "root reads any file"))
    func permissionDenied() throws {
        let path = Paths.temporaryFile("private.safetensors")
        _ = FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]), attributes: [.posixPermissions: 0])
        #expect(throws: WeightsError.permissionDenied(path: path)) { try SafeTensorsFile(contentsOf: path) }
    }

    @Test("truncated weights: cut anywhere, the reader says so", arguments: [4, 100, 1000, 5000, -4])
    func truncated(_ cut: Int) throws {
        let bytes = try SafeTensorsFile.readFile(Paths.weights(.rnet))
        let keep = cut > 0 ? cut : bytes.count + cut
        let error = #expect(throws: WeightsError.self) { try network(Array(bytes[0..<keep])) }
        switch error {
        case .truncated?: break
        default: Issue.record("cut at \(keep): expected .truncated, got \(String(describing: error))")
        }
    }

    @Test("header length beyond the limit or the file")
    func headerTooLarge() {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes[5] = 1 // 2^40
        #expect(throws: WeightsError.headerTooLarge(path: "test.safetensors", length: 1 << 40)) {
            try SafeTensorsFile(bytes: bytes, path: "test.safetensors")
        }
    }

    @Test(
        "malformed headers and tensor entries",
        arguments: [
            ("not json", "{\"a\": [1, 2"),
            ("not an object", "[1, 2, 3]"),
            ("unknown dtype", "{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}"),
            ("offsets too short", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}"),
            ("reversed offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}"),
            ("negative shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}"),
            ("metadata not strings", "{\"__metadata__\":{\"a\":1}}"),
            ("hole", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},\"v\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}"),
            ("overlap", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"),
            ("past the end", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}")
        ])
    func malformed(_ name: String, _ header: String) {
        var bytes: [UInt8] = []
        let h = Array(header.utf8)
        for i in 0..<8 { bytes.append(UInt8((h.count >> (8 * i)) & 0xff)) }
        bytes += h + [UInt8](repeating: 0, count: 8)
        let error = #expect(throws: WeightsError.self, "\(name)") { try SafeTensorsFile(bytes: bytes, path: "bad.safetensors") }
        #expect(error?.path == "bad.safetensors")
        switch (name, error) {
        case ("not json", .invalidHeader?), ("not an object", .invalidHeader?), ("metadata not strings", .invalidHeader?),
            ("unknown dtype", .invalidTensor?), ("offsets too short", .invalidTensor?), ("reversed offsets", .invalidTensor?),
            ("negative shape", .invalidTensor?), ("hole", .invalidHeader?), ("overlap", .overlappingTensors?), ("past the end", .truncated?):
            break
        default:
            Issue.record("\(name): unexpected \(String(describing: error))")
        }
    }

    @Test("a tensor in another dtype is refused by name")
    func wrongDType() throws {
        var bytes = try SafeTensorsFile.readFile(Paths.weights(.pnet))
        var (header, data) = try Self.split(bytes)
        var entry = try #require(header["conv1.bias"] as? [String: Any])
        let offsets = try #require(entry["data_offsets"] as? [Int])
        entry["dtype"] = "I32"
        header["conv1.bias"] = entry
        bytes = try Self.join(header, data)
        #expect(offsets.count == 2)
        #expect(throws: WeightsError.unsupportedDType(path: "test.safetensors", tensor: "conv1.bias", dtype: "I32")) {
            try network(bytes)
        }
        data.removeAll()
    }

    @Test("a file without a graph, or with a graph that disagrees with its tensors")
    func graphErrors() throws {
        let noGraph = SafeTensorsWriter.encode([.init(name: "w", shape: [2], values: [1, 2])])
        #expect(throws: WeightsError.missingGraph(path: "test.safetensors")) { try network(noGraph) }

        func expectGraphError(_ what: String, layer: String? = nil, _ edit: (inout [String: Any]) -> Void) throws {
            let error = #expect(throws: WeightsError.self, "\(what)") { try network(try Self.pnetWithGraph(edit)) }
            switch error {
            case let .invalidGraph(_, l, _)?:
                if let layer { #expect(l == layer, "\(what)") }
            case .invalidTensor?, .missingTensor?:
                break
            default:
                Issue.record("\(what): unexpected \(String(describing: error))")
            }
        }
        try expectGraphError("unknown op", layer: "conv1") { g in Self.layers(&g) { $0[0]["op"] = "conv3d" } }
        try expectGraphError("stated shape differs", layer: "conv1") { g in Self.layers(&g) { $0[0]["shape"] = [11, 10, 10] } }
        try expectGraphError("filters disagree with the kernel") { g in
            Self.layers(&g) { l in
                var attrs = l[0]["attrs"] as? [String: Any] ?? [:]
                attrs["filters"] = 12
                l[0]["attrs"] = attrs
                l[0]["shape"] = [10, 10, 12]
            }
        }
        try expectGraphError("input from a later layer", layer: "conv1") { g in Self.layers(&g) { $0[0]["inputs"] = ["prelu1"] } }
        try expectGraphError("missing parameter", layer: "conv1") { g in Self.layers(&g) { $0[0]["params"] = ["bias": "conv1.bias"] } }
        try expectGraphError("output names no layer", layer: "nothing") { g in g["outputs"] = ["nothing"] }
        try expectGraphError("newer version", layer: "(graph)") { g in g["version"] = 2 }
        try expectGraphError("bad padding", layer: "maxpooling1") { g in
            Self.layers(&g) { l in
                var attrs = l[2]["attrs"] as? [String: Any] ?? [:]
                attrs["padding"] = "reflect"
                l[2]["attrs"] = attrs
            }
        }
    }

    @Test("a tensor of the wrong shape, and a tensor no layer uses")
    func tensorMismatch() throws {
        let bytes = try SafeTensorsFile.readFile(Paths.weights(.pnet))
        var (header, data) = try Self.split(bytes)
        // Reinterpret conv1.bias (10 floats) as [2, 5].
        var entry = try #require(header["conv1.bias"] as? [String: Any])
        entry["shape"] = [2, 5]
        header["conv1.bias"] = entry
        let wrongShape = try Self.join(header, data)
        let error = #expect(throws: WeightsError.self) { try network(wrongShape) }
        guard case let .invalidTensor(_, tensor, detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(tensor == "conv1.bias" && detail.contains("[10]"))

        // An extra tensor appended to the data section.
        (header, data) = try Self.split(bytes)
        header["stray"] = ["dtype": "F32", "shape": [1], "data_offsets": [data.count, data.count + 4]]
        data += [0, 0, 0, 0]
        let extra = try Self.join(header, data)
        let extraError = #expect(throws: WeightsError.self) { try network(extra) }
        guard case let .invalidGraph(_, _, detail2)? = extraError else { Issue.record("got \(String(describing: extraError))"); return }
        #expect(detail2.contains("stray"))
    }

    @Test("writer round trip")
    func roundTrip() throws {
        let bytes = SafeTensorsWriter.encode(
            [
                .init(name: "a\"b", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
                .init(name: "e", shape: [0], values: [])
            ],
            metadata: ["k": "v\n"])
        let file = try SafeTensorsFile(bytes: bytes, path: "rt")
        #expect(file.metadata == ["k": "v\n"])
        let (shape, values) = try file.floats("a\"b")
        #expect(shape == [2, 3] && values == [1, 2, 3, 4, 5, 6])
        #expect(try file.floats("e").values.isEmpty)
        #expect(throws: WeightsError.missingTensor(path: "rt", tensor: "zz")) { try file.floats("zz") }
    }
}
