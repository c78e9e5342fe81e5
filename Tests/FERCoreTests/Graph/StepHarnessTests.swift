import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// Writes a small graph layer by layer and, beside it, the same layers run one by one
/// with ``ReferenceKernels`` (no folding, no fusion, Double accumulation): the step
/// harness's graph builder and reference interpreter in one.
struct LayerScript {
    typealias Value = (shape: TensorShape, values: [Float])
    var builder: GraphBuilder
    /// Each layer's reference: reads earlier values by name, returns its own.
    private(set) var reference: [(name: String, run: ([String: Value]) -> Value)] = []
    private var shapes: [String: TensorShape]

    init(h: Int, w: Int, c: Int, seed: UInt64) {
        builder = GraphBuilder(h: h, w: w, c: c)
        builder.rng = SplitMix64(seed: seed)
        shapes = ["input": TensorShape(n: 1, h: h, w: w, c: c)]
    }

    func shape(_ name: String) -> TensorShape { shapes[name] ?? TensorShape(n: 0, h: 0, w: 0, c: 0) }

    private mutating func add(
        _ name: String, _ op: String, _ inputs: [String], attrs: String = "{}", params: [String: String] = [:],
        shape: TensorShape, vector: Bool = false, _ run: @escaping ([String: Value]) -> Value
    ) {
        builder.layer(name, op, inputs, attrs: attrs, params: params, shape: vector ? [shape.c] : shape.sampleDims)
        shapes[name] = shape
        reference.append((name, run))
    }

    private static func windowAttrs(_ key: String, _ k: Int, _ s: Int, _ padding: Padding) -> String {
        "\"\(key)\":[\(k),\(k)],\"stride\":[\(s),\(s)],\"padding\":\"\(padding.rawValue)\""
    }

    private func out(_ x: TensorShape, _ k: Int, _ s: Int, _ p: Padding, c: Int) -> TensorShape {
        let g = WindowGeometry(kernel: (k, k), stride: (s, s), padding: p, inH: x.h, inW: x.w)!
        return TensorShape(n: 1, h: g.outH, w: g.outW, c: c)
    }

    mutating func conv(_ name: String, _ x: String, k: Int, s: Int = 1, padding: Padding = .same, filters: Int, bias: Bool = true) {
        let xs = shape(x)
        let kernel = builder.tensor("\(name).k", [k, k, xs.c, filters])
        let b = bias ? builder.tensor("\(name).b", [filters]) : nil
        add(
            name, "conv2d", [x], attrs: "{\(Self.windowAttrs("kernel", k, s, padding)),\"filters\":\(filters)}",
            params: bias ? ["kernel": "\(name).k", "bias": "\(name).b"] : ["kernel": "\(name).k"],
            shape: out(xs, k, s, padding, c: filters)
        ) { v in
            let (os, y) = ReferenceKernels.conv2d(
                v[x]!.values, v[x]!.shape, kernel: kernel, kh: k, kw: k, cout: filters, bias: b,
                stride: (s, s), padding: padding)!
            return (os, y)
        }
    }

    mutating func depthwise(_ name: String, _ x: String, k: Int, s: Int = 1, padding: Padding = .same, bias: Bool = true) {
        let xs = shape(x)
        let kernel = builder.tensor("\(name).k", [k, k, xs.c])
        let b = bias ? builder.tensor("\(name).b", [xs.c]) : nil
        add(
            name, "depthwise_conv2d", [x], attrs: "{\(Self.windowAttrs("kernel", k, s, padding))}",
            params: bias ? ["kernel": "\(name).k", "bias": "\(name).b"] : ["kernel": "\(name).k"],
            shape: out(xs, k, s, padding, c: xs.c)
        ) { v in
            let (os, y) = ReferenceKernels.depthwise(
                v[x]!.values, v[x]!.shape, kernel: kernel, kh: k, kw: k, bias: b,
                stride: (s, s), padding: padding)!
            return (os, y)
        }
    }

    mutating func separable(_ name: String, _ x: String, k: Int, s: Int = 1, padding: Padding = .same, filters: Int) {
        let xs = shape(x)
        let dw = builder.tensor("\(name).d", [k, k, xs.c]), pw = builder.tensor("\(name).p", [1, 1, xs.c, filters])
        add(
            name, "separable_conv2d", [x], attrs: "{\(Self.windowAttrs("kernel", k, s, padding)),\"filters\":\(filters)}",
            params: ["depthwise": "\(name).d", "pointwise": "\(name).p"], shape: out(xs, k, s, padding, c: filters)
        ) { v in
            let (ds, d) = ReferenceKernels.depthwise(
                v[x]!.values, v[x]!.shape, kernel: dw, kh: k, kw: k, bias: nil,
                stride: (s, s), padding: padding)!
            let (os, y) = ReferenceKernels.conv2d(d, ds, kernel: pw, kh: 1, kw: 1, cout: filters, bias: nil, stride: (1, 1), padding: .valid)!
            return (os, y)
        }
    }

    mutating func batchNorm(_ name: String, _ x: String, epsilon: Double = 0.001) {
        let c = shape(x).c
        let g = builder.tensor("\(name).g", [c], in: 0.5...1.5), b = builder.tensor("\(name).b", [c])
        let m = builder.tensor("\(name).m", [c]), va = builder.tensor("\(name).v", [c], in: 0.1...2)
        add(
            name, "batch_norm", [x], attrs: "{\"epsilon\":\(epsilon)}",
            params: ["gamma": "\(name).g", "beta": "\(name).b", "mean": "\(name).m", "variance": "\(name).v"], shape: shape(x),
            vector: shape(x).h == 1 && shape(x).w == 1
        ) { v in
            (v[x]!.shape, ReferenceKernels.batchNorm(v[x]!.values, gamma: g, beta: b, mean: m, variance: va, epsilon: epsilon))
        }
    }

    mutating func relu(_ name: String, _ x: String) {
        add(name, "relu", [x], shape: shape(x), vector: isVector(x)) { v in (v[x]!.shape, ReferenceKernels.relu(v[x]!.values)) }
    }

    mutating func prelu(_ name: String, _ x: String) {
        let a = builder.tensor("\(name).a", [shape(x).c], in: 0...0.3)
        add(name, "prelu", [x], params: ["alpha": "\(name).a"], shape: shape(x), vector: isVector(x)) { v in
            (v[x]!.shape, ReferenceKernels.prelu(v[x]!.values, alpha: a))
        }
    }

    mutating func maxPool(_ name: String, _ x: String, k: Int, s: Int, padding: Padding) {
        let xs = shape(x)
        add(name, "max_pool2d", [x], attrs: "{\(Self.windowAttrs("pool", k, s, padding))}", shape: out(xs, k, s, padding, c: xs.c)) { v in
            let (os, y) = ReferenceKernels.maxPool(v[x]!.values, v[x]!.shape, pool: (k, k), stride: (s, s), padding: padding)!
            return (os, y)
        }
    }

    mutating func globalAveragePool(_ name: String, _ x: String) {
        add(name, "global_avg_pool", [x], shape: TensorShape(n: 1, h: 1, w: 1, c: shape(x).c), vector: true) { v in
            let s = v[x]!.shape
            return (TensorShape(n: s.n, h: 1, w: 1, c: s.c), ReferenceKernels.globalAveragePool(v[x]!.values, s))
        }
    }

    mutating func flatten(_ name: String, _ x: String, order: [Int]) {
        add(
            name, "flatten", [x], attrs: "{\"order\":\(order)}", shape: TensorShape(n: 1, h: 1, w: 1, c: shape(x).sampleCount),
            vector: true
        ) { v in
            let s = v[x]!.shape
            return (TensorShape(n: s.n, h: 1, w: 1, c: s.sampleCount), ReferenceKernels.flatten(v[x]!.values, s, order: order))
        }
    }

    mutating func dense(_ name: String, _ x: String, units: Int, bias: Bool = true) {
        let inputs = shape(x).c
        let kernel = builder.tensor("\(name).k", [inputs, units])
        let b = bias ? builder.tensor("\(name).b", [units]) : nil
        add(
            name, "dense", [x], attrs: "{\"units\":\(units)}",
            params: bias ? ["kernel": "\(name).k", "bias": "\(name).b"] : ["kernel": "\(name).k"],
            shape: TensorShape(n: 1, h: 1, w: 1, c: units), vector: true
        ) { v in
            let s = v[x]!.shape
            return (
                TensorShape(n: s.n, h: 1, w: 1, c: units),
                ReferenceKernels.dense(v[x]!.values, rows: s.rows, inputs: inputs, kernel: kernel, units: units, bias: b)
            )
        }
    }

    mutating func softmax(_ name: String, _ x: String) {
        add(name, "softmax", [x], shape: shape(x), vector: true) { v in
            (v[x]!.shape, ReferenceKernels.softmax(v[x]!.values, cols: v[x]!.shape.c))
        }
    }

    mutating func sum(_ name: String, _ a: String, _ b: String) {
        add(name, "add", [a, b], shape: shape(a), vector: isVector(a)) { v in
            (v[a]!.shape, zip(v[a]!.values, v[b]!.values).map { $0 + $1 })
        }
    }

    private func isVector(_ x: String) -> Bool { shape(x).h == 1 && shape(x).w == 1 && x != "input" }

    /// Runs the reference on `input` and returns the values of `outputs`.
    func run(_ input: [Float], _ s: TensorShape, outputs: [String]) -> [Value] {
        var values: [String: Value] = ["input": (s, input)]
        for layer in reference { values[layer.name] = layer.run(values) }
        return outputs.map { values[$0]! }
    }
}

/// One compiled step type per row, checked against the reference kernels: the graph compiles
/// to the stated steps (so the folding and fusion passes did what the row says), and every
/// instruction set this CPU has, at 1 and 2 threads, at batch 1 and 3, gives the reference's
/// outputs. A new op is one family file (Sources/FERCore/Ops) plus a row here;
/// `everyStepTypeHasARow` fails until the row exists.
@Suite("Step harness: every compiled step type against the reference kernels")
struct StepHarnessTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        /// The compiled steps, in order, by type name.
        let steps: [String]
        let input: (h: Int, w: Int, c: Int)
        let outputs: [String]
        let build: @Sendable (inout LayerScript) -> Void
        var testDescription: String { name }
    }

    /// The table. Shapes are small and odd so that tails (of panels, SIMD vectors, thread
    /// rows) are exercised; channel counts that are not multiples of 8 pad the packed panels.
    static let cases: [Case] = [
        Case(name: "conv 3x3/2 same, bias", steps: ["ConvolutionStep"], input: (9, 11, 3), outputs: ["c"]) {
            $0.conv("c", "input", k: 3, s: 2, filters: 5)
        },
        Case(name: "conv + batch norm folded + PReLU fused", steps: ["ConvolutionStep"], input: (8, 7, 4), outputs: ["p"]) {
            $0.conv("c", "input", k: 3, filters: 16, bias: false); $0.batchNorm("bn", "c"); $0.prelu("p", "bn")
        },
        Case(name: "conv valid + ReLU fused", steps: ["ConvolutionStep"], input: (10, 6, 1), outputs: ["r"]) {
            $0.conv("c", "input", k: 3, padding: .valid, filters: 8); $0.relu("r", "c")
        },
        Case(name: "depthwise + batch norm + ReLU", steps: ["DepthwiseConvolutionStep"], input: (7, 9, 10), outputs: ["r"]) {
            $0.depthwise("d", "input", k: 3); $0.batchNorm("bn", "d"); $0.relu("r", "bn")
        },
        Case(name: "depthwise 3x3/2 with PReLU", steps: ["DepthwiseConvolutionStep"], input: (9, 9, 6), outputs: ["p"]) {
            $0.depthwise("d", "input", k: 3, s: 2); $0.prelu("p", "d")
        },
        Case(name: "separable layer + batch norm + ReLU", steps: ["SeparableConvolutionStep"], input: (7, 6, 8), outputs: ["r"]) {
            $0.separable("s", "input", k: 3, filters: 12); $0.batchNorm("bn", "s"); $0.relu("r", "bn")
        },
        Case(
            name: "depthwise (no bias) then 1x1 conv: fused separable", steps: ["SeparableConvolutionStep"], input: (6, 7, 8),
            outputs: ["c"]
        ) {
            $0.depthwise("d", "input", k: 3, bias: false); $0.conv("c", "d", k: 1, padding: .valid, filters: 16)
        },
        Case(
            name: "depthwise with bias then 1x1 conv: not fused", steps: ["DepthwiseConvolutionStep", "ConvolutionStep"],
            input: (6, 7, 8), outputs: ["c"]
        ) {
            $0.depthwise("d", "input", k: 3); $0.conv("c", "d", k: 1, padding: .valid, filters: 16)
        },
        Case(name: "max pool 3x3/2 ceil", steps: ["MaxPoolStep"], input: (9, 10, 5), outputs: ["m"]) {
            $0.maxPool("m", "input", k: 3, s: 2, padding: .ceil)
        },
        Case(name: "max pool 2x2/2 valid", steps: ["MaxPoolStep"], input: (9, 10, 16), outputs: ["m"]) {
            $0.maxPool("m", "input", k: 2, s: 2, padding: .valid)
        },
        Case(
            name: "max pool + add (other operand not a convolution)", steps: ["DepthwiseConvolutionStep", "MaxPoolAddStep"],
            input: (9, 11, 6), outputs: ["a"]
        ) {
            $0.maxPool("m", "input", k: 3, s: 2, padding: .same); $0.depthwise("d", "input", k: 3, s: 2)
            $0.sum("a", "m", "d")
        },
        Case(
            name: "residual tail: conv, pool and add in one step", steps: ["SeparableConvolutionStep", "ResidualTailStep"],
            input: (9, 11, 8), outputs: ["a"]
        ) {
            $0.separable("s", "input", k: 3, filters: 16); $0.maxPool("m", "s", k: 3, s: 2, padding: .same)
            $0.conv("r", "input", k: 1, s: 2, filters: 16); $0.batchNorm("rbn", "r"); $0.sum("a", "rbn", "m")
        },
        Case(
            name: "pool + add with a conv of 12 channels: the conv stays apart",
            steps: ["ConvolutionStep", "ConvolutionStep", "MaxPoolAddStep"], input: (8, 8, 3), outputs: ["a"]
        ) {
            $0.conv("c", "input", k: 3, filters: 12); $0.maxPool("m", "c", k: 3, s: 2, padding: .same)
            $0.conv("r", "input", k: 1, s: 2, filters: 12); $0.sum("a", "m", "r")
        },
        Case(name: "global average pool", steps: ["GlobalAveragePoolStep"], input: (5, 7, 9), outputs: ["g"]) {
            $0.globalAveragePool("g", "input")
        },
        Case(
            name: "flatten [C, H, W] order, dense + PReLU, dense without bias, softmax",
            steps: ["FlattenStep", "DenseStep", "DenseStep", "SoftmaxStep"], input: (3, 4, 5), outputs: ["sm"]
        ) {
            $0.flatten("f", "input", order: [2, 0, 1]); $0.dense("d1", "f", units: 11); $0.prelu("p", "d1")
            $0.dense("d2", "p", units: 7, bias: false); $0.softmax("sm", "d2")
        },
        Case(name: "flatten [H, W, C] order, dense + ReLU", steps: ["FlattenStep", "DenseStep"], input: (2, 3, 4), outputs: ["r"]) {
            $0.flatten("f", "input", order: [0, 1, 2]); $0.dense("d", "f", units: 9); $0.relu("r", "d")
        },
        Case(
            name: "batch norm and activations after an add stay apart",
            steps: ["ConvolutionStep", "AddStep", "AffineStep", "ActivationStep", "ActivationStep"], input: (6, 5, 8),
            outputs: ["p"]
        ) {
            $0.conv("c", "input", k: 3, filters: 8); $0.sum("a", "c", "input"); $0.batchNorm("bn", "a"); $0.relu("r", "bn")
            $0.prelu("p", "r")
        },
        Case(
            name: "a value that is a graph output is not fused away", steps: ["ConvolutionStep", "ActivationStep"],
            input: (6, 6, 3), outputs: ["c", "r"]
        ) {
            $0.conv("c", "input", k: 3, filters: 8); $0.relu("r", "c")
        },
        Case(name: "add of a value to itself", steps: ["ConvolutionStep", "AddStep"], input: (5, 5, 2), outputs: ["a"]) {
            $0.conv("c", "input", k: 3, filters: 4); $0.sum("a", "c", "c")
        }
    ]

    static func compile(_ c: Case) throws -> (Network, LayerScript) {
        var script = LayerScript(h: c.input.h, w: c.input.w, c: c.input.c, seed: 1234)
        c.build(&script)
        script.builder.outputs = c.outputs
        let net = try Network(file: SafeTensorsFile(bytes: script.builder.bytes(), path: c.name))
        return (net, script)
    }

    @Test("each row compiles to its steps and matches the reference", arguments: cases)
    func row(_ c: Case) throws {
        let (net, script) = try Self.compile(c)
        #expect(net.steps.map { String(describing: type(of: $0)) } == c.steps, "\(net.stepDescriptions.joined(separator: "\n"))")
        var rng = SplitMix64(seed: 77)
        for n in [1, 3] {
            let s = TensorShape(n: n, h: c.input.h, w: c.input.w, c: c.input.c)
            let x = rng.floats(s.count)
            let expected = script.run(x, s, outputs: c.outputs)
            for isa in InstructionSet.available {
                for threads in [1, 2] {
                    let workspace = Workspace(network: net, pool: WorkerPool(threads: threads), instructionSet: isa)
                    let out = try workspace.run(Tensor(shape: s, scalars: x))
                    for (k, e) in expected.enumerated() {
                        #expect(out[k].shape == e.shape, "\(isa), \(threads) threads, batch \(n), output \(k)")
                        // Tolerance: float32 kernels (FMA, other summation orders) against Double
                        // accumulation, over at most four layers of values of order 1 (inputs and
                        // weights in ±1, sums of up to 144 products): errors are a few 1e-6;
                        // 1e-4 of max(1, |reference|) catches any wrong index, tap or fusion.
                        let scale = max(1, e.values.map(abs).max() ?? 1)
                        #expect(
                            maxAbsDiff(out[k].scalars, e.values) <= 1e-4 * scale,
                            "\(isa), \(threads) threads, batch \(n), output \(k)")
                    }
                }
            }
        }
    }

    @Test("every step type has a row in the table")
    func everyStepTypeHasARow() throws {
        var covered = Set<String>()
        for c in Self.cases { covered.formUnion(c.steps) }
        let all = Set(StepCatalog.all.map { String(describing: $0) })
        #expect(all.subtracting(covered).isEmpty, "no row compiles to \(all.subtracting(covered).sorted())")
        #expect(covered.subtracting(all).isEmpty, "rows name step types that do not exist: \(covered.subtracting(all).sorted())")
    }
}
