import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// Whole networks against TensorFlow/Keras running the reference packages' own
/// models (`mtcnn` 1.0.0, `fer`), and FERCore's own `fernet` against PyTorch (the framework
/// `make train` trains it in), on the shipped Weights/ files. The fixtures are made by Tools/make_goldens.py and
/// Tools/make_fernet_goldens.py (see Tests/Fixtures/goldens/README.md).
///
/// Tolerances:
/// - network outputs (probabilities, box and landmark regressions): max abs
///   error ≤ 1e-4, the target. Measured: a few 1e-7 (Docs/Accuracy.md).
/// - every intermediate layer: max abs error ≤ 1e-4 · max(1, max |golden|).
///   Keras and PyTorch sum in another order (oneDNN) and apply batch norm after the
///   convolution where we fold it into the weights, so each layer differs by a
///   few float32 ulps of its magnitude; 1e-4 relative leaves two orders of
///   magnitude of margin and is still far below any indexing or convention
///   error (those show up as 1e-2 or more).
@Suite("Golden tensors from the reference frameworks (TensorFlow/Keras, PyTorch)")
struct GoldenTests {
    struct Golden {
        var file: SafeTensorsFile
        var model: ModelFile
        var cases: [(index: Int, allLayers: Bool)]
        var outputs: [String]
        var layers: [String]
    }

    private struct Meta: Decodable {
        struct Case: Decodable { var `case`: Int; var layers: String }
        var cases: [Case]
        var outputs: [String]
        var layers: [String]
        var weights: String
    }

    static let fixtures: [ModelFile: String] = [
        .pnet: "pnet", .rnet: "rnet", .onet: "onet", .emotion: "emotion_mini_xception",
        .fernet: "emotion_fernet"
    ]

    static func golden(_ model: ModelFile) throws -> Golden {
        let name = try #require(fixtures[model])
        let file = try SafeTensorsFile(contentsOf: Paths.fixture("goldens/\(name).safetensors"))
        let json = try #require(file.metadata["fercore.goldens"])
        let meta = try JSONDecoder().decode(Meta.self, from: Data(json.utf8))
        #expect(meta.weights.hasSuffix(model.fileName), "fixture \(name) was made from \(meta.weights)")
        return Golden(
            file: file, model: model, cases: meta.cases.map { ($0.case, $0.layers == "all") },
            outputs: meta.outputs, layers: meta.layers)
    }

    static func input(_ g: Golden, _ index: Int) throws -> (TensorShape, [Float]) {
        let (shape, values) = try g.file.floats("case\(index).input")
        try #require(shape.count == 3)
        return (TensorShape(h: shape[0], w: shape[1], c: shape[2]), values)
    }

    /// On every instruction-set path this CPU has (generic Swift, AVX2+FMA, AVX-512), not only
    /// the one chosen at run time: each path must meet the same tolerance.
    @Test(
        "every output and every layer matches the reference framework, on every instruction set",
        arguments: [ModelFile.pnet, .rnet, .onet, .emotion, .fernet], InstructionSet.available)
    func matchesKeras(_ model: ModelFile, _ isa: InstructionSet) throws {
        let g = try Self.golden(model)
        let net = try Network(contentsOf: Paths.weights(model))
        #expect(net.outputNames == g.outputs)
        let workspace = Workspace(network: net, keepsIntermediateValues: true, instructionSet: isa)
        try compare(g, workspace, model, isa)
    }

    private func compare(_ g: Golden, _ workspace: Workspace, _ model: ModelFile, _ isa: InstructionSet) throws {
        var checkedLayers = 0
        var worstOutput: Float = 0
        var worstLayer: Float = 0
        for (index, allLayers) in g.cases {
            let (shape, x) = try Self.input(g, index)
            try x.withUnsafeBufferPointer { try workspace.run($0, shape: shape) }
            for (i, name) in g.outputs.enumerated() {
                let expected = try g.file.floats("case\(index).\(name)").values
                let actual = Array(workspace.output(i).buffer)
                let err = maxAbsDiff(actual, expected)
                worstOutput = max(worstOutput, err)
                #expect(err <= 1e-4, "\(model) case \(index) output \(name): max abs error \(err)")
            }
            guard allLayers else { continue }
            for name in g.layers {
                guard let view = workspace.value(named: name) else { continue } // fused away
                let expected = try g.file.floats("case\(index).\(name)").values
                let err = maxAbsDiff(Array(view.buffer), expected)
                let tolerance = 1e-4 * max(1, maxAbs(expected))
                worstLayer = max(worstLayer, err / max(1, maxAbs(expected)))
                #expect(err <= tolerance, "\(model) case \(index) layer \(name): max abs error \(err) > \(tolerance)")
                checkedLayers += 1
            }
        }
        #expect(checkedLayers > 0 || g.cases.allSatisfy { !$0.allLayers }, "no intermediate layer was compared")
        print(
            "golden \(model.rawValue) [\(isa)]: \(g.cases.count) cases, \(checkedLayers) layer comparisons, worst output error \(worstOutput), worst layer error \(worstLayer) (relative to max(1, max|golden|))"
        )
    }

    @Test("a batch gives the same answers as one sample at a time", arguments: [ModelFile.pnet, .rnet, .onet, .emotion, .fernet])
    func batched(_ model: ModelFile) throws {
        let g = try Self.golden(model)
        let net = try Network(contentsOf: Paths.weights(model))
        let workspace = Workspace(network: net, pool: WorkerPool(threads: 2))
        // Group the cases by input size; each group runs as one batch.
        var groups: [TensorShape: [Int]] = [:]
        for (index, _) in g.cases { groups[try Self.input(g, index).0, default: []].append(index) }
        var batchedAny = false
        for (shape, indices) in groups {
            var x: [Float] = []
            for i in indices { x += try Self.input(g, i).1 }
            let batch = TensorShape(n: indices.count, h: shape.h, w: shape.w, c: shape.c)
            try x.withUnsafeBufferPointer { try workspace.run($0, shape: batch) }
            batchedAny = batchedAny || indices.count > 1
            for (o, name) in g.outputs.enumerated() {
                let out = workspace.output(o)
                let per = out.shape.sampleCount
                for (k, i) in indices.enumerated() {
                    let expected = try g.file.floats("case\(i).\(name)").values
                    let err = maxAbsDiff(Array(out.buffer[(k * per)..<((k + 1) * per)]), expected)
                    #expect(err <= 1e-4, "\(model) batch of \(indices.count), case \(i), \(name): \(err)")
                }
            }
        }
        #expect(batchedAny || model == .pnet, "\(model): no group had more than one case")
    }

    @Test("a changed weight fails the golden comparison", arguments: [(ModelFile.emotion, "conv2d_7"), (.fernet, "conv6")])
    func changedWeightIsCaught(_ model: ModelFile, _ layer: String) throws {
        let g = try Self.golden(model)
        var bytes = try SafeTensorsFile.readFile(Paths.weights(model))
        let file = try SafeTensorsFile(bytes: bytes, path: "x")
        // Nudge one weight of the last convolution by 0.5 (0.05 moved the retrained fernet's
        // probabilities by at most 9.5e-5, under the 1e-4 tolerance: one weight of 23,040 in
        // that layer; a changed file in practice changes them all).
        let name = try #require(file.tensors.keys.sorted().first { $0.hasPrefix(layer + ".") && $0.contains("kernel") })
        let entry = try #require(file.tensors[name])
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(bytes[i]) << (8 * i) }
        let at = 8 + headerLength + entry.begin
        let old = bytes[at..<(at + 4)].withUnsafeBytes { $0.loadUnaligned(as: Float.self) }
        withUnsafeBytes(of: old + 0.5) { for i in 0..<4 { bytes[at + i] = $0[i] } }
        let net = try Network(file: SafeTensorsFile(bytes: bytes, path: "changed"))
        let workspace = Workspace(network: net)
        var worst: Float = 0
        for (index, _) in g.cases {
            let (shape, x) = try Self.input(g, index)
            try x.withUnsafeBufferPointer { try workspace.run($0, shape: shape) }
            worst = max(worst, maxAbsDiff(Array(workspace.output(0).buffer), try g.file.floats("case\(index).predictions").values))
        }
        #expect(worst > 1e-4, "a 0.5 change to \(name) moved no probability by more than the tolerance (\(worst))")
    }

    @Test("results are identical across runs, thread counts and workspace reuse")
    func deterministic() throws {
        let g = try Self.golden(.pnet)
        let net = try Network(contentsOf: Paths.weights(.pnet))
        let one = Workspace(network: net)
        let two = Workspace(network: net, pool: WorkerPool(threads: 2))
        for (index, _) in g.cases {
            let (shape, x) = try Self.input(g, index)
            try x.withUnsafeBufferPointer { try one.run($0, shape: shape) }
            let first = Array(one.output(1).buffer)
            try x.withUnsafeBufferPointer { try two.run($0, shape: shape) }
            let same = Array(two.output(1).buffer) == first
            #expect(same, "case \(index): 1 vs 2 threads differ (max \(maxAbsDiff(Array(two.output(1).buffer), first)))")
        }
        // Run every case again on the same workspace, in reverse order: plans are reused.
        for (index, _) in g.cases.reversed() {
            let (shape, x) = try Self.input(g, index)
            try x.withUnsafeBufferPointer { try one.run($0, shape: shape) }
            let expected = try g.file.floats("case\(index).prob").values
            #expect(maxAbsDiff(Array(one.output(1).buffer), expected) <= 1e-4)
        }
    }
}
