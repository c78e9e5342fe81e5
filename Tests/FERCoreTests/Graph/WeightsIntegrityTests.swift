import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// Hostile and damaged weights files (issue 13): every one is a typed ``WeightsError``
/// naming the file, never a trap, a hang or NaN results.
@Suite("Weights integrity and hostile files")
struct WeightsIntegrityTests {
    /// A fresh directory holding copies of the shipped weights and their manifest.
    static func copyOfWeights(_ name: String) throws -> String {
        let dir = Paths.temporaryFile(name)
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for file in ModelFile.allCases.map(\.fileName) + [WeightsManifest.fileName] {
            try FileManager.default.copyItem(
                atPath: Paths.root.appendingPathComponent("Weights/\(file)").path,
                toPath: dir + "/" + file)
        }
        return dir
    }

    @Test("SHA256SUMS, Weights/README.md and the shipped files agree")
    func manifestAgreesWithReadmeAndFiles() throws {
        let weights = Paths.root.appendingPathComponent("Weights").path
        let manifest = try #require(try WeightsManifest.load(directory: weights))
        #expect(Set(manifest.digests.keys) == Set(ModelFile.allCases.map(\.fileName)))
        // README table rows: | `file` | network | source | `source sha256` | `result sha256` |
        let readme = try String(contentsOfFile: weights + "/README.md", encoding: .utf8)
        var readmeDigests: [String: String] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = cells.first, let result = cells.last else { continue }
            readmeDigests[name.trimmingCharacters(in: CharacterSet(charactersIn: "`"))] =
                result.trimmingCharacters(in: CharacterSet(charactersIn: "`"))
        }
        #expect(readmeDigests == manifest.digests)
        for model in ModelFile.allCases {
            let bytes = try SafeTensorsFile.readFile(Paths.weights(model))
            #expect(SHA256.hex(of: bytes) == manifest.digests[model.fileName], "\(model.fileName)")
        }
    }

    @Test("a changed shipped file is refused with both hashes; .unverified and unlisted files load")
    func checksumMismatch() throws {
        let dir = try Self.copyOfWeights("changed-weights")
        let path = dir + "/" + ModelFile.pnet.fileName
        var bytes = try SafeTensorsFile.readFile(path)
        let original = SHA256.hex(of: bytes)
        // The last byte is the top byte of the last float: the file stays a valid network.
        bytes[bytes.count - 1] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let expected = WeightsError.checksumMismatch(
            path: path, expected: original, actual: SHA256.hex(of: bytes),
            manifest: dir + "/SHA256SUMS")
        let error = #expect(throws: WeightsError.self) { try Network(contentsOf: path) }
        #expect(error == expected)
        let message = error?.description ?? ""
        #expect(message.contains(path) && message.contains(original) && message.contains(SHA256.hex(of: bytes)))
        #expect(message.contains(".unverified"))
        #expect(throws: DetectionError.weights(model: "mtcnn_pnet", underlying: expected)) {
            try FaceDetector(weightsDirectory: dir)
        }

        // The explicit opt-out loads the same bytes.
        #expect(try Network(contentsOf: path, verification: .unverified).stepCount > 0)
        // So does a file the manifest does not list.
        let manifest = try String(contentsOfFile: dir + "/SHA256SUMS", encoding: .utf8)
        let kept = manifest.split(separator: "\n").filter { !$0.hasSuffix(ModelFile.pnet.fileName) }.joined(separator: "\n")
        try (kept + "\n").write(toFile: dir + "/SHA256SUMS", atomically: false, encoding: .utf8)
        #expect(try Network(contentsOf: path).stepCount > 0)
        // The other files are still checked (and intact).
        #expect(try Network(contentsOf: dir + "/" + ModelFile.rnet.fileName).stepCount > 0)
        // And a directory without a manifest loads everything unchecked.
        try FileManager.default.removeItem(atPath: dir + "/SHA256SUMS")
        #expect(try Network(contentsOf: path).stepCount > 0)
    }

    @Test("a malformed manifest is an error naming it and the line")
    func malformedManifest() throws {
        let dir = try Self.copyOfWeights("bad-manifest")
        let good = try String(contentsOfFile: dir + "/SHA256SUMS", encoding: .utf8)
        let next = good.split(separator: "\n").count + 1 // the first line after the shipped entries
        let cases: [(String, Int)] = [
            (good + "not a checksum line\n", next),
            ("zz" + good.dropFirst(2), 1),
            (good + good, next),
            (good + String(repeating: "0", count: 64) + "  sub/dir.safetensors\n", next)
        ]
        for (text, line) in cases {
            try text.write(toFile: dir + "/SHA256SUMS", atomically: false, encoding: .utf8)
            let error = #expect(throws: WeightsError.self) { try Network(contentsOf: dir + "/" + ModelFile.onet.fileName) }
            guard case let .invalidManifest(path, l, _)? = error else { Issue.record("got \(String(describing: error))"); continue }
            #expect(path == dir + "/SHA256SUMS" && l == line)
            #expect(error?.description.contains("sha256sum") == true)
        }
        // CRLF line ends and binary-mode '*' markers are what other tools write: accepted.
        let crlf = good.split(separator: "\n").map { $0.replacingOccurrences(of: "  ", with: " *") + "\r\n" }.joined()
        try crlf.write(toFile: dir + "/SHA256SUMS", atomically: false, encoding: .utf8)
        #expect(try Network(contentsOf: dir + "/" + ModelFile.onet.fileName).stepCount > 0)
    }

    @Test("a FIFO, a directory or a device is refused before it is opened")
    func notARegularFile() throws {
        var error: WeightsError?
        let blocked = withFIFO("weights.fifo") { fifo in
            error = #expect(throws: WeightsError.self) { try Network(contentsOf: fifo) }
            #expect(error == .notARegularFile(path: fifo, kind: .fifo))
        }
        #expect(!blocked, "opening the FIFO blocked until the watchdog opened its other end")
        #expect(error?.description.contains("FIFO") == true)
        #expect(throws: WeightsError.notARegularFile(path: "/tmp", kind: .directory)) { try SafeTensorsFile(contentsOf: "/tmp") }
        #expect(throws: WeightsError.notARegularFile(path: "/dev/null", kind: .characterDevice)) {
            try Network(contentsOf: "/dev/null")
        }
        // A manifest that is not a regular file is reported as the manifest's problem.
        let dir = Paths.temporaryFile("fifo-manifest")
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/SHA256SUMS", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Paths.weights(.pnet), toPath: dir + "/x.safetensors")
        let manifestError = #expect(throws: WeightsError.self) { try Network(contentsOf: dir + "/x.safetensors") }
        guard case .invalidManifest(dir + "/SHA256SUMS", 0, _)? = manifestError else {
            Issue.record("got \(String(describing: manifestError))"); return
        }
    }

    /// The P-Net file with one float of `tensor` replaced.
    static func pnet(setting tensor: String, element: Int, to value: Float) throws -> [UInt8] {
        let bytes = try SafeTensorsFile.readFile(Paths.weights(.pnet))
        var (header, data) = try SafeTensorsTests.split(bytes)
        let entry = try #require(header[tensor] as? [String: Any])
        let begin = try #require((entry["data_offsets"] as? [Int])?.first) + 4 * element
        withUnsafeBytes(of: value.bitPattern.littleEndian) { for i in 0..<4 { data[begin + i] = $0[i] } }
        return try SafeTensorsTests.join(header, data)
    }

    @Test("NaN and infinite weights are refused, naming the file and the tensor")
    func nonFinite() throws {
        for (tensor, element, value, text) in [
            ("conv1.kernel", 7, Float.nan, "NaN"), ("prelu2.alpha", 3, Float.infinity, "+Inf"),
            ("bbox.bias", 0, -Float.infinity, "-Inf")
        ] {
            let bytes = try Self.pnet(setting: tensor, element: element, to: value)
            let error = #expect(throws: WeightsError.self) { try Network(file: SafeTensorsFile(bytes: bytes, path: "nan.safetensors")) }
            #expect(error == .nonFiniteValue(path: "nan.safetensors", tensor: tensor, index: element, value: text, count: 1))
            #expect(error?.description.contains("nan.safetensors") == true && error?.description.contains(tensor) == true)
        }
    }

    @Test("batch-norm folding that overflows to infinity is refused, naming the layer")
    func foldingOverflow() throws {
        let bytes = try SafeTensorsFile.readFile(Paths.weights(.emotion))
        var (header, data) = try SafeTensorsTests.split(bytes)
        // gamma 3e38 over sqrt(variance + 0.001) ≈ 0.03 is ~1e40: finite in the file and in
        // Double, infinite as the Float the folded kernel is stored in.
        let name = try #require(header.keys.sorted().first { $0.hasSuffix(".gamma") })
        let begin = try #require(((header[name] as? [String: Any])?["data_offsets"] as? [Int])?.first)
        withUnsafeBytes(of: Float(3e38).bitPattern.littleEndian) { for i in 0..<4 { data[begin + i] = $0[i] } }
        let edited = try SafeTensorsTests.join(header, data)
        let error = #expect(throws: WeightsError.self) { try Network(file: SafeTensorsFile(bytes: edited, path: "bn.safetensors")) }
        guard case let .invalidGraph("bn.safetensors", _, detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(detail.contains("non-finite"))
    }

    @Test("shape products that overflow are typed errors, message included")
    func shapeOverflow() {
        for shape in ["[4294967295, 4294967295, 4294967295]", "[2147483647, 2147483647, 2147483647, 2]", "[3037000500, 3037000500]"] {
            let header = Array("{\"w\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,4]}}".utf8)
            var bytes: [UInt8] = (0..<8).map { UInt8((header.count >> (8 * $0)) & 0xff) }
            bytes += header + [0, 0, 0, 0]
            let error = #expect(throws: WeightsError.self) { try SafeTensorsFile(bytes: bytes, path: "big.safetensors") }
            guard case .invalidTensor("big.safetensors", "w", _)? = error else { Issue.record("\(shape): got \(String(describing: error))"); continue }
            #expect(error?.description.contains("big.safetensors") == true)
        }
        let entry = SafeTensorsFile.TensorEntry(dtype: "F32", shape: [1 << 40, 1 << 40], begin: 0, end: 0)
        #expect(entry.count == .max)
    }

    @Test("graph errors name the file: no outputs, absurd windows and input sizes")
    func graphErrorsNameTheFile() throws {
        func compile(_ edit: (inout [String: Any]) -> Void) throws -> WeightsError? {
            let bytes = try SafeTensorsTests.pnetWithGraph(edit)
            return #expect(throws: WeightsError.self) { try Network(file: SafeTensorsFile(bytes: bytes, path: "g.safetensors")) }
        }
        let noOutputs = try compile { $0["outputs"] = [String]() }
        #expect(noOutputs == .invalidGraph(path: "g.safetensors", layer: "(graph)", detail: "the graph has no outputs (its 'outputs' list is empty)"))
        #expect(noOutputs?.description.contains("g.safetensors") == true)
        let hugePool = try compile { g in
            SafeTensorsTests.layers(&g) { l in
                var attrs = l[2]["attrs"] as? [String: Any] ?? [:]
                attrs["pool"] = [Int.max, 2]
                l[2]["attrs"] = attrs
            }
        }
        guard case .invalidGraph("g.safetensors", _, _)? = hugePool else { Issue.record("got \(String(describing: hugePool))"); return }
        let hugeInput = try compile { g in
            var input = g["input"] as? [String: Any] ?? [:]
            input["shape"] = [Int.max / 2, Int.max / 2, 3]
            g["input"] = input
        }
        guard case .invalidGraph("g.safetensors", _, _)? = hugeInput else { Issue.record("got \(String(describing: hugeInput))"); return }
    }

    @Test("WindowGeometry does not overflow on absurd strides and windows")
    func windowGeometryOverflow() {
        let same = WindowGeometry(kernel: (3, 3), stride: (.max, .max), padding: .same, inH: 7, inW: 7)
        #expect(same?.outH == 1 && same?.padTop == 0)
        // ceil((9 - 2) / max) + 1 = 2 windows, but the second would start far past the input.
        let ceil = WindowGeometry(kernel: (2, 2), stride: (.max, .max), padding: .ceil, inH: 9, inW: 9)
        #expect(ceil?.outH == 1)
        let wide = WindowGeometry(kernel: (.max, .max), stride: (1, 1), padding: .same, inH: 5, inW: 5)
        #expect(wide?.outH == 5)
        // The documented formulas, for ordinary sizes: out = ceil(in/s), ceil((in-k)/s) + 1.
        for inH in 1...20 {
            for k in 1...4 {
                for s in 1...4 {
                    let g = WindowGeometry(kernel: (k, k), stride: (s, s), padding: .same, inH: inH, inW: inH)
                    #expect(g?.outH == (inH + s - 1) / s && g?.padTop == max((g!.outH - 1) * s + k - inH, 0) / 2)
                    if inH >= k {
                        // Caffe's count, less a last window that would start past the input (fuzzing
                        // found a 2×2/8 ceil pool on 4 rows: its second window held no pixel at all).
                        var out = (inH - k + s - 1) / s + 1
                        if out > 1 && (out - 1) * s >= inH { out -= 1 }
                        let g = WindowGeometry(kernel: (k, k), stride: (s, s), padding: .ceil, inH: inH, inW: inH)
                        #expect(g?.outH == out)
                        if let g { #expect((g.outH - 1) * s < inH && g.outH >= 1) }
                    }
                }
            }
        }
    }

    @Test("a network of the wrong kind is named with its file")
    func wrongNetworkNamesTheFile() throws {
        let pnet = try Network(contentsOf: Paths.weights(.pnet))
        let emotion = try Network(contentsOf: Paths.weights(.emotion))
        let classifierError = #expect(throws: EmotionError.self) { try EmotionClassifier(network: pnet) }
        #expect(classifierError?.description.contains(Paths.weights(.pnet)) == true)
        let detectorError = #expect(throws: DetectionError.self) {
            try FaceDetector(pnet: emotion, rnet: pnet, onet: pnet)
        }
        guard case let .wrongNetwork("P-Net", path, _)? = detectorError else { Issue.record("got \(String(describing: detectorError))"); return }
        #expect(path == Paths.weights(.emotion))
        let onetError = #expect(throws: DetectionError.self) {
            try FaceDetector(pnet: pnet, rnet: pnet, onet: pnet)
        }
        guard case .wrongNetwork("O-Net", _, _)? = onetError else { Issue.record("got \(String(describing: onetError))"); return }
    }
}
