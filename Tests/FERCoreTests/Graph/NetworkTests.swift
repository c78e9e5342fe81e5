import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// Builds small graphs in the FERCore format for tests.
struct GraphBuilder {
    var name = "synthetic"
    var input: (h: Int, w: Int, c: Int)
    var spatial = "fixed"
    var layers: [String] = []
    var tensors: [SafeTensorsWriter.Entry] = []
    var outputs: [String] = []
    var rng = SplitMix64(seed: 99)

    init(h: Int, w: Int, c: Int) { input = (h, w, c) }

    /// Adds a random tensor and returns its values.
    mutating func tensor(_ name: String, _ shape: [Int], in range: ClosedRange<Float> = -0.5...0.5) -> [Float] {
        let values = rng.floats(shape.reduce(1, *), in: range)
        tensors.append(.init(name: name, shape: shape, values: values))
        return values
    }

    mutating func layer(_ name: String, _ op: String, _ inputs: [String], attrs: String = "{}", params: [String: String] = [:], shape: [Int]) {
        let p = params.keys.sorted().map { "\"\($0)\":\"\(params[$0] ?? "")\"" }.joined(separator: ",")
        let i = inputs.map { "\"\($0)\"" }.joined(separator: ",")
        layers.append("{\"name\":\"\(name)\",\"op\":\"\(op)\",\"inputs\":[\(i)],\"attrs\":\(attrs),\"params\":{\(p)},\"shape\":\(shape)}")
    }

    func bytes() -> [UInt8] {
        let o = outputs.map { "\"\($0)\"" }.joined(separator: ",")
        let graph =
            "{\"format\":\"fercore-graph\",\"version\":1,\"name\":\"\(name)\",\"input\":{\"name\":\"input\",\"shape\":[\(input.h),\(input.w),\(input.c)],\"spatial\":\"\(spatial)\"},\"outputs\":[\(o)],\"layers\":[\(layers.joined(separator: ","))]}"
        return SafeTensorsWriter.encode(tensors, metadata: [GraphDescription.metadataKey: graph])
    }
}

/// A network is data: a graph that uses every op, in combinations that exercise
/// folding (batch norm into conv, depthwise and separable), fusion (ReLU, PReLU)
/// and the unfused paths (batch norm after an add, a standalone ReLU, PReLU on a
/// vector), checked against the plain reference loops composed by hand.
@Suite("Networks built from graph descriptions")
struct NetworkTests {
    struct Synthetic {
        var bytes: [UInt8]
        var reference: ([Float], TensorShape) -> (probs: [Float], pooled: [Float])
    }

    static func synthetic() -> Synthetic {
        var b = GraphBuilder(h: 9, w: 11, c: 3)
        let k1 = b.tensor("c1.k", [3, 3, 3, 8]), b1 = b.tensor("c1.b", [8])
        b.layer(
            "c1", "conv2d", ["input"], attrs: "{\"kernel\":[3,3],\"stride\":[2,2],\"padding\":\"same\",\"filters\":8}",
            params: ["kernel": "c1.k", "bias": "c1.b"], shape: [5, 6, 8])
        let g1 = b.tensor("bn1.g", [8], in: 0.5...1.5), be1 = b.tensor("bn1.b", [8]), m1 = b.tensor("bn1.m", [8]), v1 = b.tensor("bn1.v", [8], in: 0.1...2)
        b.layer(
            "bn1", "batch_norm", ["c1"], attrs: "{\"epsilon\":0.001}", params: ["gamma": "bn1.g", "beta": "bn1.b", "mean": "bn1.m", "variance": "bn1.v"],
            shape: [5, 6, 8])
        let a1 = b.tensor("p1.a", [8], in: 0...0.3)
        b.layer("p1", "prelu", ["bn1"], params: ["alpha": "p1.a"], shape: [5, 6, 8])
        let kd = b.tensor("dw.k", [3, 3, 8]), bd = b.tensor("dw.b", [8])
        b.layer(
            "dw", "depthwise_conv2d", ["p1"], attrs: "{\"kernel\":[3,3],\"stride\":[1,1],\"padding\":\"same\"}", params: ["kernel": "dw.k", "bias": "dw.b"],
            shape: [5, 6, 8])
        let g2 = b.tensor("bn2.g", [8], in: 0.5...1.5), be2 = b.tensor("bn2.b", [8]), m2 = b.tensor("bn2.m", [8]), v2 = b.tensor("bn2.v", [8], in: 0.1...2)
        b.layer(
            "bn2", "batch_norm", ["dw"], attrs: "{\"epsilon\":0.01}", params: ["gamma": "bn2.g", "beta": "bn2.b", "mean": "bn2.m", "variance": "bn2.v"],
            shape: [5, 6, 8])
        b.layer("r1", "relu", ["bn2"], shape: [5, 6, 8])
        let ks = b.tensor("sep.d", [3, 3, 8]), kp = b.tensor("sep.p", [1, 1, 8, 8])
        b.layer(
            "sep", "separable_conv2d", ["r1"], attrs: "{\"kernel\":[3,3],\"stride\":[1,1],\"padding\":\"same\",\"filters\":8}",
            params: ["depthwise": "sep.d", "pointwise": "sep.p"], shape: [5, 6, 8])
        b.layer("a1", "add", ["sep", "p1"], shape: [5, 6, 8])
        let g3 = b.tensor("bn3.g", [8], in: 0.5...1.5), be3 = b.tensor("bn3.b", [8]), m3 = b.tensor("bn3.m", [8]), v3 = b.tensor("bn3.v", [8], in: 0.1...2)
        b.layer(
            "bn3", "batch_norm", ["a1"], attrs: "{\"epsilon\":0.001}", params: ["gamma": "bn3.g", "beta": "bn3.b", "mean": "bn3.m", "variance": "bn3.v"],
            shape: [5, 6, 8])
        b.layer("r2", "relu", ["bn3"], shape: [5, 6, 8])
        b.layer("mp", "max_pool2d", ["r2"], attrs: "{\"pool\":[3,3],\"stride\":[2,2],\"padding\":\"ceil\"}", shape: [2, 3, 8])
        b.layer("fl", "flatten", ["mp"], attrs: "{\"order\":[2,1,0]}", shape: [48])
        let kd1 = b.tensor("d1.k", [48, 5]), bd1 = b.tensor("d1.b", [5])
        b.layer("d1", "dense", ["fl"], attrs: "{\"units\":5}", params: ["kernel": "d1.k", "bias": "d1.b"], shape: [5])
        let a2 = b.tensor("p2.a", [5], in: 0...0.3)
        b.layer("p2", "prelu", ["d1"], params: ["alpha": "p2.a"], shape: [5])
        let kd2 = b.tensor("d2.k", [5, 4])
        b.layer("d2", "dense", ["p2"], attrs: "{\"units\":4}", params: ["kernel": "d2.k"], shape: [4])
        b.layer("sm", "softmax", ["d2"], shape: [4])
        b.layer("gap", "global_avg_pool", ["r2"], shape: [8])
        b.outputs = ["sm", "gap"]

        let reference: ([Float], TensorShape) -> ([Float], [Float]) = { x, s in
            let R = ReferenceKernels.self
            let (s1, c1) = R.conv2d(x, s, kernel: k1, kh: 3, kw: 3, cout: 8, bias: b1, stride: (2, 2), padding: .same)!
            let p1 = R.prelu(R.batchNorm(c1, gamma: g1, beta: be1, mean: m1, variance: v1, epsilon: 0.001), alpha: a1)
            let dw = R.depthwise(p1, s1, kernel: kd, kh: 3, kw: 3, bias: bd, stride: (1, 1), padding: .same)!.1
            let r1 = R.relu(R.batchNorm(dw, gamma: g2, beta: be2, mean: m2, variance: v2, epsilon: 0.01))
            let sd = R.depthwise(r1, s1, kernel: ks, kh: 3, kw: 3, bias: nil, stride: (1, 1), padding: .same)!.1
            let sep = R.conv2d(sd, s1, kernel: kp, kh: 1, kw: 1, cout: 8, bias: nil, stride: (1, 1), padding: .valid)!.1
            let a = zip(sep, p1).map { $0 + $1 }
            let r2 = R.relu(R.batchNorm(a, gamma: g3, beta: be3, mean: m3, variance: v3, epsilon: 0.001))
            let (sm, mp) = R.maxPool(r2, s1, pool: (3, 3), stride: (2, 2), padding: .ceil)!
            let fl = R.flatten(mp, sm, order: [2, 1, 0])
            let d1 = R.prelu(R.dense(fl, rows: s.n, inputs: 48, kernel: kd1, units: 5, bias: bd1), alpha: a2)
            let d2 = R.dense(d1, rows: s.n, inputs: 5, kernel: kd2, units: 4, bias: nil)
            return (R.softmax(d2, cols: 4), R.globalAveragePool(r2, s1))
        }
        return Synthetic(bytes: b.bytes(), reference: reference)
    }

    @Test("every op, folded, fused and plain, matches the reference loops (batch 1 and 3)")
    func syntheticGraph() throws {
        let syn = Self.synthetic()
        let net = try Network(file: SafeTensorsFile(bytes: syn.bytes, path: "synthetic"))
        // bn1+p1 fold/fuse into c1; bn2+r1 into dw; bn3 stays (after an add), r2 stays.
        let descriptions = net.stepDescriptions.joined(separator: "\n")
        #expect(descriptions.contains("p1: v0 → v1 conv 3x3/2 same → 8 +bias +prelu"), "\(descriptions)")
        #expect(descriptions.contains("affine (unfolded batch norm)"))
        // The separable convolution runs as one step, its depthwise output never stored.
        #expect(descriptions.contains("depthwise 3x3/1 same + conv 1x1/1 valid → 8"), "\(descriptions)")
        #expect(net.inspectableLayerNames.contains("r2") && !net.inspectableLayerNames.contains("c1"))
        var rng = SplitMix64(seed: 3)
        for n in [1, 3] {
            let s = TensorShape(n: n, h: 9, w: 11, c: 3)
            let x = rng.floats(s.count)
            let (probs, pooled) = syn.reference(x, s)
            for threads in [1, 2] {
                let workspace = Workspace(network: net, pool: WorkerPool(threads: threads))
                let out = try workspace.run(Tensor(shape: s, scalars: x))
                // Tolerance: float32 vs double accumulation through ~10 layers of
                // values of order 1: errors of a few 1e-6 expected; 1e-4 catches any real fault.
                #expect(maxAbsDiff(out[0].scalars, probs) <= 1e-4, "batch \(n), \(threads) threads: softmax")
                #expect(maxAbsDiff(out[1].scalars, pooled) <= 1e-4, "batch \(n), \(threads) threads: pooled")
                #expect(out[0].shape == TensorShape(n: n, h: 1, w: 1, c: 4))
            }
        }
    }

    @Test("bad inputs get typed errors, never a crash")
    func inputErrors() throws {
        let net = try Network(file: SafeTensorsFile(bytes: Self.synthetic().bytes, path: "synthetic"))
        let workspace = Workspace(network: net)
        #expect(throws: NetworkError.wrongChannelCount(network: "synthetic", expected: 3, actual: 1)) {
            try workspace.run(Tensor(shape: TensorShape(h: 9, w: 11, c: 1)))
        }
        #expect(
            throws: NetworkError.wrongInputSize(
                network: "synthetic", expected: TensorShape(h: 9, w: 11, c: 3),
                actual: TensorShape(h: 10, w: 11, c: 3))
        ) {
            try workspace.run(Tensor(shape: TensorShape(h: 10, w: 11, c: 3)))
        }
        #expect(throws: NetworkError.emptyInput(network: "synthetic", shape: TensorShape(n: 0, h: 9, w: 11, c: 3))) {
            try workspace.run(Tensor(shape: TensorShape(n: 0, h: 9, w: 11, c: 3)))
        }
        #expect(throws: NetworkError.bufferSizeMismatch(network: "synthetic", expected: 297, actual: 2)) {
            try [Float](repeating: 0, count: 2).withUnsafeBufferPointer { try workspace.run($0, shape: TensorShape(h: 9, w: 11, c: 3)) }
        }

        let pnet = try Network(contentsOf: Paths.weights(.pnet))
        let pw = Workspace(network: pnet)
        #expect(throws: NetworkError.inputTooSmall(network: "pnet", shape: TensorShape(h: 9, w: 40, c: 3), layer: "prelu3")) {
            try pw.run(Tensor(shape: TensorShape(h: 9, w: 40, c: 3)))
        }
        #expect(throws: NetworkError.inputTooSmall(network: "pnet", shape: TensorShape(h: 1, w: 1, c: 3), layer: "prelu1")) {
            try pw.run(Tensor(shape: TensorShape(h: 1, w: 1, c: 3)))
        }
        pw.memoryLimit = 64 << 20
        let huge = #expect(throws: NetworkError.self) {
            _ = try pw.prepare(inputShape: TensorShape(h: 20000, w: 20000, c: 3))
        }
        guard case .inputTooLarge? = huge else { Issue.record("expected inputTooLarge, got \(String(describing: huge))"); return }
        // A 12x12 input still works after the refusals.
        let ok = try pw.run(Tensor(shape: TensorShape(h: 12, w: 12, c: 3)))
        #expect(ok[1].shape == TensorShape(h: 1, w: 1, c: 2))
    }

    @Test("a dynamic graph with a dense head refuses other sizes by name")
    func dynamicDenseMismatch() throws {
        var b = GraphBuilder(h: 4, w: 4, c: 2)
        b.spatial = "dynamic"
        b.layer("fl", "flatten", ["input"], shape: [32])
        _ = b.tensor("d.k", [32, 3])
        b.layer("d", "dense", ["fl"], attrs: "{\"units\":3}", params: ["kernel": "d.k"], shape: [3])
        b.outputs = ["d"]
        let net = try Network(file: SafeTensorsFile(bytes: b.bytes(), path: "dyn"))
        let workspace = Workspace(network: net)
        _ = try workspace.run(Tensor(shape: TensorShape(h: 4, w: 4, c: 2)))
        #expect(
            throws: NetworkError.layerInputMismatch(
                network: "synthetic", layer: "d", expected: 32, actual: 50,
                input: TensorShape(h: 5, w: 5, c: 2))
        ) {
            try workspace.run(Tensor(shape: TensorShape(h: 5, w: 5, c: 2)))
        }
    }

    @Test("the arena is reused: memory is planned once per input shape")
    func arenaPlanning() throws {
        let net = try Network(contentsOf: Paths.weights(.emotion))
        let workspace = Workspace(network: net)
        let x = Tensor(shape: TensorShape(h: 64, w: 64, c: 1), repeating: 0.25)
        _ = try workspace.run(x)
        let bytes = workspace.arenaBytes
        let first = try workspace.run(x)
        #expect(workspace.arenaBytes == bytes)
        // Sharing memory between dead values keeps the arena well below the sum of all values.
        // The compiled network materialises 17 values; at its peak three 60×60 ones are live at
        // once (the residual input and both separable outputs of the first block), about 60% of
        // the sum. Without sharing the two arenas would be equal.
        let keeping = Workspace(network: net, keepsIntermediateValues: true)
        let kept = try keeping.run(x)
        #expect(kept == first)
        #expect(workspace.arenaBytes < keeping.arenaBytes * 2 / 3, "\(workspace.arenaBytes) vs \(keeping.arenaBytes)")
    }
}
