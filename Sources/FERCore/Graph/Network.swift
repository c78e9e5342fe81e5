import Foundation

/// A compiled, immutable network: the layers of a graph description with their
/// weights, batch norm folded into the preceding convolutions and activations
/// fused into the layer that feeds them.
///
/// A `Network` is built from a safetensors file whose `__metadata__` holds the
/// graph (Docs/GraphFormat.md); every layer and parameter shape is checked at
/// load time. It holds no activations: run it through a ``Workspace``, one per
/// thread. The network itself is immutable and safe to share between threads.
///
/// ```swift
/// let net = try Network(contentsOf: "Weights/emotion_mini_xception.safetensors")
/// let workspace = Workspace(network: net)
/// let outputs = try workspace.run(Tensor(shape: TensorShape(h: 64, w: 64, c: 1)))
/// ```
public final class Network: @unchecked Sendable {
    /// The graph's name, e.g. `pnet`.
    public let name: String
    /// The file the network was loaded from.
    public let path: String
    /// The reference input shape (batch 1) the graph was described and checked with.
    public let referenceInputShape: TensorShape
    /// True when the network accepts any height and width (fully convolutional).
    public let acceptsAnySpatialSize: Bool
    /// The names of the output layers, in output order.
    public let outputNames: [String]
    /// Layer names whose outputs are materialised (not fused away), for inspection.
    public var inspectableLayerNames: [String] { namedValues.keys.sorted() }
    /// The number of compiled steps (after folding and fusion).
    public var stepCount: Int { steps.count }
    /// Multiply–accumulate count of one forward pass on the reference input.
    public private(set) var referenceMACs: Int = 0

    let steps: [Step]
    let valueCount: Int
    let outputValues: [Int]
    let namedValues: [String: Int]
    let parameters: UnsafeMutablePointer<Float>
    let parameterCount: Int

    /// Loads, verifies, validates and compiles the network stored at `path`.
    ///
    /// - Parameters:
    ///   - path: the `.safetensors` file.
    ///   - verification: with ``WeightsVerification/manifest`` (the default) a file listed
    ///     in the `SHA256SUMS` manifest of its directory (the shipped `Weights/` has one)
    ///     must have the listed SHA-256; pass ``WeightsVerification/unverified`` to load
    ///     weights you changed yourself under a listed name.
    /// - Throws: ``WeightsError`` naming the file and the problem when the file
    ///   is missing, not a regular file, unreadable, truncated, corrupt, not the listed
    ///   file, holds NaN or infinite weights, or its graph disagrees with its tensors.
    public convenience init(contentsOf path: String, verification: WeightsVerification = .manifest) throws(WeightsError) {
        try self.init(file: SafeTensorsFile(contentsOf: path, verification: verification))
    }

    /// Compiles the network described by an already-read safetensors file.
    public init(file: SafeTensorsFile) throws(WeightsError) {
        DebugBuildWarning.emitOnce()
        var compiler = try GraphCompiler(file: file)
        try compiler.compile()
        name = compiler.graph.name
        path = file.path
        referenceInputShape = compiler.referenceInput
        acceptsAnySpatialSize = compiler.graph.input.spatial == "dynamic"
        outputNames = compiler.graph.outputs
        steps = compiler.steps
        valueCount = compiler.valueCount
        outputValues = compiler.outputValues
        namedValues = compiler.namedValues
        parameterCount = compiler.parameters.count
        parameters = .allocate(capacity: max(1, parameterCount))
        compiler.parameters.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { parameters.initialize(from: base, count: src.count) }
        }
        if let shapes = try? inferShapes(input: referenceInputShape) {
            referenceMACs = Self.countMACs(steps: steps, shapes: shapes.values)
        }
    }

    deinit { parameters.deallocate() }

    /// The shape of every value (and the window of every step) for an input shape.
    func inferShapes(input: TensorShape) throws(NetworkError) -> (values: [TensorShape], windows: [WindowGeometry?]) {
        guard input.isValid else { throw .emptyInput(network: name, shape: input) }
        guard input.c == referenceInputShape.c else {
            throw .wrongChannelCount(network: name, expected: referenceInputShape.c, actual: input.c)
        }
        if !acceptsAnySpatialSize, input.h != referenceInputShape.h || input.w != referenceInputShape.w {
            throw .wrongInputSize(network: name, expected: referenceInputShape, actual: input)
        }
        var shapes = [TensorShape](repeating: TensorShape(n: 0, h: 0, w: 0, c: 0), count: valueCount)
        var windows = [WindowGeometry?](repeating: nil, count: steps.count)
        shapes[0] = input
        for (i, step) in steps.enumerated() {
            let x = shapes[step.input0]
            switch step.kind {
            case let .conv(p), let .depthwise(p):
                // A separable step's window is its depthwise half's (the 1×1 half keeps the size).
                let w = p.depthwise.map { ($0.kh, $0.kw, $0.sh, $0.sw, $0.padding) } ?? (p.kh, p.kw, p.sh, p.sw, p.padding)
                guard let g = WindowGeometry(kernel: (w.0, w.1), stride: (w.2, w.3), padding: w.4, inH: x.h, inW: x.w) else {
                    throw .inputTooSmall(network: name, shape: input, layer: step.name)
                }
                windows[i] = g
                let cout: Int
                if case .conv = step.kind { cout = p.cout } else { cout = x.c }
                shapes[step.output] = TensorShape(n: x.n, h: g.outH, w: g.outW, c: cout)
            case let .maxPool(kh, kw, sh, sw, padding, residual):
                guard let g = WindowGeometry(kernel: (kh, kw), stride: (sh, sw), padding: padding, inH: x.h, inW: x.w) else {
                    throw .inputTooSmall(network: name, shape: input, layer: step.name)
                }
                windows[i] = g
                let y = TensorShape(n: x.n, h: g.outH, w: g.outW, c: x.c)
                shapes[step.output] = y
                if step.input1 >= 0 {
                    // The added operand (or the residual convolution's output) must be shaped like the pool's.
                    var added = shapes[step.input1]
                    if let c = residual {
                        guard let gc = WindowGeometry(kernel: (c.kh, c.kw), stride: (c.sh, c.sw), padding: c.padding,
                                                      inH: added.h, inW: added.w) else {
                            throw .inputTooSmall(network: name, shape: input, layer: step.name)
                        }
                        added = TensorShape(n: added.n, h: gc.outH, w: gc.outW, c: c.cout)
                    }
                    guard added == y else {
                        throw .layerInputMismatch(network: name, layer: step.name, expected: y.count, actual: added.count, input: input)
                    }
                }
            case .globalAvgPool:
                shapes[step.output] = TensorShape(n: x.n, h: 1, w: 1, c: x.c)
            case .flatten:
                shapes[step.output] = TensorShape(n: x.n, h: 1, w: 1, c: x.sampleCount)
            case let .dense(_, _, inputs, units, _):
                guard x.c == inputs else {
                    throw .layerInputMismatch(network: name, layer: step.name, expected: inputs, actual: x.c, input: input)
                }
                shapes[step.output] = TensorShape(n: x.n, h: x.h, w: x.w, c: units)
            case .add:
                guard shapes[step.input1] == x else {
                    throw .layerInputMismatch(network: name, layer: step.name, expected: x.count, actual: shapes[step.input1].count, input: input)
                }
                shapes[step.output] = x
            case .affine, .activation, .softmax:
                shapes[step.output] = x
            }
        }
        return (shapes, windows)
    }

    /// The MAC count, saturating at `Int.max` (a file's graph may describe absurd sizes).
    private static func countMACs(steps: [Step], shapes: [TensorShape]) -> Int {
        func product(_ factors: Int...) -> Int {
            var p = 1
            for f in factors {
                let (r, o) = p.multipliedReportingOverflow(by: f)
                if o { return .max }
                p = r
            }
            return p
        }
        var total = 0
        func add(_ v: Int) { total = total.addingReportingOverflow(v).overflow ? .max : total + v }
        for step in steps {
            let x = shapes[step.input0], y = shapes[step.output]
            let yCount = product(y.n, y.h, y.w, y.c)
            switch step.kind {
            case let .conv(p):
                add(product(yCount, p.kh, p.kw, x.c))
                if let d = p.depthwise { add(product(yCount / max(1, p.cout), d.kh, d.kw, x.c)) }
            case let .depthwise(p): add(product(yCount, p.kh, p.kw))
            case let .maxPool(_, _, _, _, _, .some(c)): add(product(yCount, c.kh, c.kw, shapes[step.input1].c))
            case .dense: add(product(yCount, x.c))
            default: break
            }
        }
        return total
    }
}

/// Parameters of a compiled convolution step; offsets index `Network.parameters`.
///
/// For a `conv` step the kernel is in ``PackedConvolution``'s panels and the bias and
/// PReLU alphas are padded to whole panels; for a `depthwise` step all three are as in
/// the weights file (`[KH, KW, C]` and `C` values).
struct ConvStep {
    var kh: Int, kw: Int, sh: Int, sw: Int
    var padding: Padding
    var cout: Int
    var kernel: Int
    var bias: Int?
    var activation: ActivationStep
    /// A separable convolution's depthwise half, run in the same step (the 1×1 half is
    /// then `kh = kw = 1`, stride 1, valid).
    var depthwise: DepthwiseStage? = nil
}

/// The depthwise half of a separable convolution step: `[KH, KW, C]` weights at `kernel`,
/// no bias, no activation.
struct DepthwiseStage {
    var kh: Int, kw: Int, sh: Int, sw: Int
    var padding: Padding
    var kernel: Int
}

/// A fused activation; `prelu` holds the offset of its alphas.
enum ActivationStep {
    case none, relu, prelu(Int)
}

enum StepKind {
    case conv(ConvStep)
    case depthwise(ConvStep)
    /// With `residual`, the step also runs that 1×1-style convolution on `input1` and adds
    /// the maxima to its output (a residual block's conv, pool and add in one pass); without
    /// it, a nonnegative `input1` is a tensor added to the maxima.
    case maxPool(kh: Int, kw: Int, sh: Int, sw: Int, padding: Padding, residual: ConvStep?)
    case globalAvgPool
    case flatten(order: (Int, Int, Int))
    /// Run by ``PackedConvolution`` as a 1×1 convolution over `n·h·w` rows (kernel packed, bias padded).
    case dense(kernel: Int, bias: Int?, inputs: Int, units: Int, activation: ActivationStep)
    case affine(scale: Int, shift: Int)
    case activation(ActivationStep)
    case softmax
    case add
}

extension StepKind {
    /// True for steps whose weights are in ``PackedConvolution``'s panels.
    var runsPackedConvolution: Bool {
        switch self {
        case .conv, .dense, .maxPool(_, _, _, _, _, .some): return true
        default: return false
        }
    }
}

/// One compiled operation: reads `input0` (and `input1` for `add`), writes `output`.
struct Step {
    var name: String
    var kind: StepKind
    var input0: Int
    var input1: Int
    var output: Int
}

extension Network {
    /// One line per compiled step: its layer name, operation and fusions, for diagnostics.
    public var stepDescriptions: [String] {
        steps.map { step in
            let what: String
            switch step.kind {
            case let .conv(p):
                let dw = p.depthwise.map { "depthwise \($0.kh)x\($0.kw)/\($0.sh) \($0.padding.rawValue) + " } ?? ""
                what = dw + "conv \(p.kh)x\(p.kw)/\(p.sh) \(p.padding.rawValue) → \(p.cout)\(p.bias == nil ? "" : " +bias")\(Self.describe(p.activation))"
            case let .depthwise(p): what = "depthwise \(p.kh)x\(p.kw)/\(p.sh) \(p.padding.rawValue)\(p.bias == nil ? "" : " +bias")\(Self.describe(p.activation))"
            case let .maxPool(kh, kw, sh, _, padding, residual):
                let conv = residual.map { " conv \($0.kh)x\($0.kw)/\($0.sh) \($0.padding.rawValue) → \($0.cout)\($0.bias == nil ? "" : " +bias")" + Self.describe($0.activation) + " of" }
                what = "max_pool \(kh)x\(kw)/\(sh) \(padding.rawValue)" + (step.input1 >= 0 ? " +\(conv ?? "") v\(step.input1)" : "")
            case .globalAvgPool: what = "global_avg_pool"
            case let .flatten(order): what = "flatten order \(order)"
            case let .dense(_, bias, _, units, act): what = "dense → \(units)\(bias == nil ? "" : " +bias")\(Self.describe(act))"
            case .affine: what = "affine (unfolded batch norm)"
            case let .activation(a): what = "activation\(Self.describe(a))"
            case .softmax: what = "softmax"
            case .add: what = "add v\(step.input1)"
            }
            return "\(step.name): v\(step.input0) → v\(step.output) \(what)"
        }
    }

    private static func describe(_ a: ActivationStep) -> String {
        switch a {
        case .none: return ""
        case .relu: return " +relu"
        case .prelu: return " +prelu"
        }
    }
}
