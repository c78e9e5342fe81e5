import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// The shipped int8 model (Weights/emotion_fernet_int8.safetensors) against the numpy model of
/// FERCore's int8 arithmetic (Tools/quantize_emotion.py, Tests/Fixtures/goldens/emotion_fernet_int8.safetensors),
/// on every int8 path this CPU runs.
///
/// Tolerances: every u8 activation and the last block's float features must be equal: the numpy
/// model performs the same exact integer sums and the same float32 roundings in the same order.
/// Probabilities: ≤ 1e-6 absolute, because softmax's `exp` is Glibc's here and numpy's there
/// (each within an ulp or two; probabilities are ≤ 1).
@Suite("Int8 network")
struct QuantizedNetworkTests {
    struct Meta: Decodable {
        var blocks: [String]
        var cases: [String]
        var weights: String
    }

    static func golden() throws -> (SafeTensorsFile, Meta) {
        let file = try SafeTensorsFile(contentsOf: Paths.fixture("goldens/emotion_fernet_int8.safetensors"))
        let json = try #require(file.metadata["fercore.goldens"])
        let meta = try JSONDecoder().decode(Meta.self, from: Data(json.utf8))
        #expect(meta.weights.hasSuffix(ModelFile.fernetInt8.fileName))
        return (file, meta)
    }

    @Test("every block and the probabilities equal the numpy int8 model", arguments: QuantizedKernels.Path.available)
    func matchesNumpyModel(_ path: QuantizedKernels.Path) throws {
        let (g, meta) = try Self.golden()
        let net = try QuantizedNetwork(contentsOf: Paths.weights(.fernetInt8))
        #expect(net.outputCount == EmotionLabel.count)
        let workspace = QuantizedWorkspace(network: net, path: path)
        for k in meta.cases.indices {
            let x = try g.floats("case\(k).input").values
            let input = try workspace.prepare(batch: 1)
            _ = input.update(fromContentsOf: x)
            workspace.captured = []
            workspace.run()
            let blocks = try #require(workspace.captured)
            #expect(blocks.count == meta.blocks.count)
            for (name, actual) in zip(meta.blocks, blocks) {
                let expected = try g.floats("case\(k).\(name)").values
                let differ = zip(actual, expected).filter { $0.0 != $0.1 }.count
                #expect(actual.count == expected.count && differ == 0, "\(path) case \(k) \(name): \(differ) values differ")
            }
            let p = try g.floats("case\(k).probabilities").values
            #expect(maxAbsDiff(Array(workspace.outputs), p) <= 1e-6, "\(path) case \(k)")
        }
    }

    @Test("a batch gives each sample's single result, bit for bit")
    func batch() throws {
        let (g, meta) = try Self.golden()
        let net = try QuantizedNetwork(contentsOf: Paths.weights(.fernetInt8))
        let workspace = QuantizedWorkspace(network: net)
        var singles: [[Float]] = []
        var all: [Float] = []
        for k in meta.cases.indices {
            let x = try g.floats("case\(k).input").values
            all += x
            _ = try workspace.prepare(batch: 1).update(fromContentsOf: x)
            workspace.run()
            singles.append(Array(workspace.outputs))
        }
        _ = try workspace.prepare(batch: meta.cases.count).update(fromContentsOf: all)
        workspace.run()
        #expect(Array(workspace.outputs) == singles.flatMap { $0 })
    }

    @Test("a float-only file is refused with a message naming the tool")
    func refusesFloatFile() throws {
        #expect {
            _ = try QuantizedNetwork(contentsOf: Paths.weights(.fernet))
        } throws: { error in
            guard let e = error as? WeightsError, case let .invalidGraph(_, _, detail) = e else { return false }
            return detail.contains("quantize_emotion.py")
        }
        // mini-Xception's graph (separable convolutions, residual adds) has no int8 form.
        #expect(throws: WeightsError.self) { _ = try QuantizedNetwork(contentsOf: Paths.weights(.emotion)) }
    }

    @Test("the int8 classifier agrees with the float one on the golden faces")
    func classifierAgrees() throws {
        let (g, meta) = try Self.golden()
        let float = try EmotionClassifier(model: .fernet)
        let int8 = try EmotionClassifier(model: .fernetInt8)
        #expect(int8.inputSize == 48 && float.inputSize == 48)
        #expect(int8.model == .fernetInt8)
        for k in meta.cases.indices {
            let x = try g.floats("case\(k).input").values
            var a = [EmotionScores](repeating: .zero, count: 1), b = a
            try x.withUnsafeBufferPointer { (xi) throws(EmotionError) in
                try a.withUnsafeMutableBufferPointer { (r) throws(EmotionError) in try float.classify(preprocessed: xi, into: r) }
                try b.withUnsafeMutableBufferPointer { (r) throws(EmotionError) in try int8.classify(preprocessed: xi, into: r) }
            }
            // The face case (2) is a clear expression; random inputs may be near ties, so only it
            // must agree on the label. Probabilities stay close on all (int8 rounding).
            if k == 2 { #expect(a[0].label == b[0].label) }
            #expect(maxAbsDiff(a[0].probabilities, b[0].probabilities) < 0.1, "case \(k)")
        }
    }
}
