/// The values one compiled step reads and writes, by value number (0 is the network input).
struct StepIO: Sendable {
    /// The layer whose value the step produces (the last layer fused into it).
    var name: String
    /// The value read.
    var input0: Int
    /// The second value read (an `add`'s other operand, or a residual convolution's input), or -1.
    var input1: Int = -1
    /// The value written.
    var output: Int
}

/// A compiled step's activation, fused into it; `prelu` holds the offset of its alphas
/// in ``Network``'s parameters.
enum FusedActivation: Sendable {
    case none, relu
    case prelu(Int)

    /// The kernels' activation, with the alphas resolved against `parameters`.
    func resolved(_ parameters: UnsafePointer<Float>) -> Activation {
        switch self {
        case .none: return .none
        case .relu: return .relu
        case .prelu(let offset): return .prelu(parameters + offset)
        }
    }

    /// `" +relu"`, `" +prelu"` or nothing, for ``Network/stepDescriptions``.
    var suffix: String {
        switch self {
        case .none: return ""
        case .relu: return " +relu"
        case .prelu: return " +prelu"
        }
    }
}

/// A step's weights while the compiler's passes work on them, before ``ParameterPacker``
/// moves them into the network's one parameter array (packing empties them).
struct PendingWeights: Sendable {
    /// A convolution's or dense layer's kernel (`[KH, KW, Cin, Cout]`, `[Cin, Cout]`), a
    /// depthwise kernel (`[KH, KW, C]`), or an affine step's scale.
    var kernel: [Float] = []
    /// Per output channel.
    var bias: [Float]? = nil
    /// A fused PReLU's alphas, per output channel.
    var alpha: [Float]? = nil
    /// A separable convolution's depthwise half (`[KH, KW, C]`), or an affine step's shift.
    var extra: [Float]? = nil

    /// True when no value is NaN or infinite (batch-norm folding can make them so).
    var isFinite: Bool {
        kernel.allSatisfy(\.isFinite) && (bias ?? []).allSatisfy(\.isFinite)
            && (alpha ?? []).allSatisfy(\.isFinite) && (extra ?? []).allSatisfy(\.isFinite)
    }
}

/// Where a step's pending weights go: one array, every block aligned to 16 floats (64 bytes).
struct ParameterPacker {
    private(set) var values: [Float] = []

    /// Room for `count` floats without growing (an estimate: reserved, not touched).
    mutating func reserve(_ count: Int) { values.reserveCapacity(count) }

    /// Appends `count` zeros (after padding to the 16-float alignment) and returns their offset.
    private mutating func append(count: Int) -> Int {
        let offset = (values.count + 15) & ~15
        values.append(contentsOf: repeatElement(0, count: offset + count - values.count))
        return offset
    }

    /// Appends `block` and returns its offset.
    mutating func put(_ block: [Float]) -> Int {
        let offset = append(count: block.count)
        values.withUnsafeMutableBufferPointer { dst in
            block.withUnsafeBufferPointer { src in
                if let d = dst.baseAddress, let s = src.baseAddress { (d + offset).update(from: s, count: src.count) }
            }
        }
        return offset
    }

    /// What ``PackedConvolution`` reads for a `cout`-channel output: the kernel in panels
    /// (packed straight into place) and the bias padded to whole panels.
    mutating func packedConvolution(_ w: PendingWeights, cout: Int) -> (kernel: Int, bias: Int?) {
        let k = w.kernel.count / max(1, cout)
        let offset = packInPlace(w.kernel, count: PackedConvolution.packedCount(k: k, cout: cout)) { src, dst in
            PackedConvolution.pack(src, k: k, cout: cout, into: dst)
        }
        return (offset, w.bias.map { put(PackedConvolution.padChannels($0, cout: cout)) })
    }

    /// A 3×3 kernel (`cin` → `cout`) transformed and packed for ``Winograd`` with `tile`; its offset.
    mutating func winogradConvolution(_ w: PendingWeights, cin: Int, cout: Int, tile: Winograd.Tile) -> Int {
        packInPlace(w.kernel, count: Winograd.packedCount(cin: cin, cout: cout, tile: tile)) { src, dst in
            Winograd.pack(src, cin: cin, cout: cout, tile: tile, into: dst)
        }
    }

    /// Appends `count` floats that `pack` writes straight into place from `kernel`; their offset.
    private mutating func packInPlace(
        _ kernel: [Float], count: Int, _ pack: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> Int {
        let offset = append(count: count)
        values.withUnsafeMutableBufferPointer { dst in
            kernel.withUnsafeBufferPointer { src in
                if let d = dst.baseAddress, let s = src.baseAddress { pack(s, d + offset) }
            }
        }
        return offset
    }

    /// A fused activation for a step run by ``PackedConvolution`` (alphas padded to whole panels).
    mutating func packedActivation(_ a: FusedActivation, _ w: PendingWeights) -> FusedActivation {
        guard case .prelu = a, let alpha = w.alpha else { return a }
        return .prelu(put(PackedConvolution.padChannels(alpha, cout: alpha.count)))
    }

    /// A fused activation for a step that reads its alphas as they are.
    mutating func plainActivation(_ a: FusedActivation, _ w: PendingWeights) -> FusedActivation {
        guard case .prelu = a, let alpha = w.alpha else { return a }
        return .prelu(put(alpha))
    }
}

/// What a step sees when it runs: its operands in the workspace's arena, the network's
/// parameters, scratch memory, the threads and the instruction set. Made on the stack for
/// each step; nothing in it allocates.
struct StepContext {
    let parameters: UnsafePointer<Float>
    let input0: UnsafePointer<Float>
    let shape0: TensorShape
    /// The second operand (nil when the step reads one value).
    let input1: UnsafeMutablePointer<Float>?
    let shape1: TensorShape
    let output: UnsafeMutablePointer<Float>
    let outputShape: TensorShape
    /// The step's window over `input0`, as ``CompiledStep/infer(_:_:_:)`` returned it.
    let window: WindowGeometry?
    let scratch: UnsafeMutablePointer<Float>
    let pool: WorkerPool
    let isa: InstructionSet

    /// Parameters at `offset`.
    func parameters(_ offset: Int) -> UnsafePointer<Float> { parameters + offset }
    /// Parameters at `offset`, or nil for an absent (optional) block.
    func parameters(_ offset: Int?) -> UnsafePointer<Float>? { offset.map { parameters + $0 } }
}

/// For the errors shape inference throws: the network and the input it was asked to run.
struct ShapeContext {
    let network: String
    let input: TensorShape

    func tooSmall(_ layer: String) -> NetworkError { .inputTooSmall(network: network, shape: input, layer: layer) }

    func mismatch(_ layer: String, expected: Int, actual: Int) -> NetworkError {
        .layerInputMismatch(network: network, layer: layer, expected: expected, actual: actual, input: input)
    }

    /// The window `spec` over `shape`, or the "input too small" error naming `layer`.
    func window(_ spec: WindowSpec, over shape: TensorShape, layer: String) throws(NetworkError) -> WindowGeometry {
        guard let g = spec.geometry(inH: shape.h, inW: shape.w) else { throw tooSmall(layer) }
        return g
    }
}

/// A window's size, stride and padding, before it meets an input size.
struct WindowSpec: Sendable, Equatable {
    var kh: Int, kw: Int, sh: Int, sw: Int
    var padding: Padding

    /// 1×1, stride 1, valid.
    static let pointwise = WindowSpec(kh: 1, kw: 1, sh: 1, sw: 1, padding: .valid)

    func geometry(inH: Int, inW: Int) -> WindowGeometry? {
        WindowGeometry(kernel: (kh, kw), stride: (sh, sw), padding: padding, inH: inH, inW: inW)
    }

    /// `3x3/2 same`, for ``Network/stepDescriptions``.
    var summary: String { "\(kh)x\(kw)/\(sh) \(padding.rawValue)" }
}

/// One compiled operation of a ``Network``: the unit an op family implements.
///
/// A step infers its output shape (and its window over its input) for an input shape,
/// says how much scratch memory it needs, packs its weights into the network's parameter
/// array once, and runs. Steps are produced from a graph's layers by their op family
/// (``LayerFamily``) and rewritten by the compiler's fusion passes (``GraphPasses``).
protocol CompiledStep: Sendable {
    /// What the step reads and writes.
    var io: StepIO { get set }
    /// The weights the passes may still fold into and packing consumes (empty for steps
    /// without weights).
    var pending: PendingWeights { get }
    /// The output shape for input shapes `x` (and `other`, for a two-operand step), and the
    /// window over `x` the step's kernel needs, if any.
    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    /// The scratch floats the step needs with `threads` threads.
    func scratchCount(_ x: TensorShape, _ other: TensorShape?, window: WindowGeometry?, threads: Int) -> Int
    /// Moves the pending weights into `packer`, keeping their offsets.
    mutating func pack(into packer: inout ParameterPacker)
    /// Runs the step. Allocates nothing.
    func run(_ c: StepContext)
    /// Multiply–accumulates of one run (saturating), for ``Network/referenceMACs``.
    func macs(_ x: TensorShape, _ other: TensorShape?, _ y: TensorShape) -> Int
    /// The operation and its fusions, e.g. `conv 3x3/1 same → 8 +bias +relu`.
    var summary: String { get }

    // Fusion capabilities, asked by ``GraphPasses`` (requirements with defaults rather than
    // protocols to cast to: a cast to a protocol looks its conformance up at run time, which
    // costs start-up).

    /// The fused activation of a step that can take over the ReLU or PReLU reading its output
    /// (``FusedActivation/none`` until a pass fuses one); nil for a step that cannot.
    var fusedActivation: FusedActivation? { get }
    /// Applies `activation` (with `alpha` for PReLU) to the step's output from now on. Only
    /// called when ``fusedActivation`` is `.none`.
    mutating func fuse(_ activation: FusedActivation, alpha: [Float]?)
    /// Whether the step can absorb the batch norm reading its output (before any activation
    /// is fused).
    var foldsBatchNorm: Bool { get }
    /// Folds `y·scale + shift` per output channel into the weights. Only called when
    /// ``foldsBatchNorm`` is true.
    mutating func fold(scale: [Float], shift: [Float])
}

extension CompiledStep {
    var pending: PendingWeights { PendingWeights() }
    func scratchCount(_ x: TensorShape, _ other: TensorShape?, window: WindowGeometry?, threads: Int) -> Int { 0 }
    mutating func pack(into packer: inout ParameterPacker) {}
    func macs(_ x: TensorShape, _ other: TensorShape?, _ y: TensorShape) -> Int { 0 }
    var fusedActivation: FusedActivation? { nil }
    mutating func fuse(_ activation: FusedActivation, alpha: [Float]?) {}
    var foldsBatchNorm: Bool { false }
    mutating func fold(scale: [Float], shift: [Float]) {}
}

/// Saturating multiply–accumulate arithmetic (a file's graph may describe absurd sizes).
enum MACCount {
    static func product(_ factors: Int...) -> Int {
        var p = 1
        for f in factors {
            let (r, o) = p.multipliedReportingOverflow(by: f)
            if o { return .max }
            p = r
        }
        return p
    }

    static func sum(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? .max : r
    }
}

/// Every step type: the step harness (`StepHarnessTests`) checks that its table has a
/// case compiling to each of them.
enum StepCatalog {
    static var all: [any CompiledStep.Type] {
        [
            ConvolutionStep.self, DepthwiseConvolutionStep.self, SeparableConvolutionStep.self, DenseStep.self,
            MaxPoolStep.self, MaxPoolAddStep.self, ResidualTailStep.self, GlobalAveragePoolStep.self,
            AffineStep.self, ActivationStep.self, SoftmaxStep.self, AddStep.self, FlattenStep.self
        ]
    }
}
