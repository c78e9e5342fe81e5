/// `batch_norm`, `relu`, `prelu`, `softmax`, `add` and `flatten` layers: the ones that keep
/// (or only reorder) their input's elements.
enum ElementwiseLayers: LayerFamily {
    static func validate(_ node: inout LayerNode, _ check: LayerChecker) throws(WeightsError) {
        let spec = node.spec, x = node.inShape
        switch node.op {
        case .batch_norm:
            try check.roles(node, ["gamma", "beta", "mean", "variance"])
            guard let eps = spec.attrs.epsilon, eps >= 0, eps.isFinite else {
                throw check.fail(spec.name, "attribute 'epsilon' must be a non-negative number")
            }
            for role in ["gamma", "beta", "mean", "variance"] {
                node.tensors[role] = try check.tensor(node, role, [x.c])
            }
            if let v = node.tensors["variance"], v.contains(where: { !($0 + Float(eps) > 0) }) {
                throw check.fail(spec.name, "a variance plus epsilon is not positive; the batch-norm statistics are corrupt")
            }
        case .prelu:
            try check.roles(node, ["alpha"])
            node.tensors["alpha"] = try check.tensor(node, "alpha", [x.c])
        case .flatten:
            try check.roles(node, [])
            let order = spec.attrs.order ?? [0, 1, 2]
            guard order.sorted() == [0, 1, 2] else { throw check.fail(spec.name, "attribute 'order' must be a permutation of [0, 1, 2]") }
            node.outShape = TensorShape(n: 1, h: 1, w: 1, c: x.sampleCount)
        case .add:
            try check.roles(node, [])
            let y = node.otherShape ?? x
            guard y == x else { throw check.fail(spec.name, "adds shapes \(x.sampleDims) and \(y.sampleDims), which differ") }
        default:
            try check.roles(node, [])
        }
    }

    static func lower(_ node: LayerNode, io: StepIO) -> any CompiledStep {
        switch node.op {
        case .batch_norm:
            let (scale, shift) = batchNormAffine(node)
            return AffineStep(io: io, pending: PendingWeights(kernel: scale, extra: shift))
        case .relu:
            return ActivationStep(io: io, activation: .relu)
        case .prelu:
            return ActivationStep(io: io, activation: .prelu(0), pending: PendingWeights(alpha: node.tensors["alpha"] ?? []))
        case .flatten:
            let o = node.spec.attrs.order ?? [0, 1, 2]
            return FlattenStep(io: io, order: (o[0], o[1], o[2]))
        case .add:
            return AddStep(io: io)
        default:
            return SoftmaxStep(io: io)
        }
    }

    /// Batch norm as `y = x·scale + shift`, computed in Double:
    /// `scale = gamma / sqrt(variance + epsilon)`, `shift = beta - mean·scale`.
    static func batchNormAffine(_ node: LayerNode) -> (scale: [Float], shift: [Float]) {
        let eps = node.spec.attrs.epsilon ?? 1e-3
        let gamma = node.tensors["gamma"] ?? [], beta = node.tensors["beta"] ?? []
        let mean = node.tensors["mean"] ?? [], variance = node.tensors["variance"] ?? []
        var scale = [Float](repeating: 0, count: gamma.count)
        var shift = scale
        for c in gamma.indices {
            let s = Double(gamma[c]) / (Double(variance[c]) + eps).squareRoot()
            scale[c] = Float(s)
            shift[c] = Float(Double(beta[c]) - Double(mean[c]) * s)
        }
        return (scale, shift)
    }
}

/// `y = x·scale + shift` per channel: a batch norm no convolution could absorb
/// (``GraphPasses/foldBatchNorm(_:)`` folds the others). `pending.kernel` is the scale,
/// `pending.extra` the shift.
struct AffineStep: CompiledStep {
    var io: StepIO
    var pending: PendingWeights
    var scale = 0
    var shift = 0

    init(io: StepIO, pending: PendingWeights) {
        self.io = io
        self.pending = pending
    }

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    { (x, nil) }

    mutating func pack(into packer: inout ParameterPacker) {
        scale = packer.put(pending.kernel)
        shift = packer.put(pending.extra ?? [])
        pending = PendingWeights()
    }

    func run(_ c: StepContext) {
        Elementwise.affine(
            input: c.input0, rows: c.shape0.rows, channels: c.shape0.c, scale: c.parameters(scale),
            shift: c.parameters(shift), output: c.output)
    }

    var summary: String { "affine (unfolded batch norm)" }
}

/// A ReLU or PReLU that no step could absorb (``GraphPasses/fuseActivations(_:)`` fuses
/// the others).
struct ActivationStep: CompiledStep {
    var io: StepIO
    var activation: FusedActivation
    var pending = PendingWeights()

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    { (x, nil) }

    mutating func pack(into packer: inout ParameterPacker) {
        activation = packer.plainActivation(activation, pending)
        pending = PendingWeights()
    }

    func run(_ c: StepContext) {
        let count = c.outputShape.count
        c.output.update(from: c.input0, count: count)
        Activations.apply(activation.resolved(c.parameters), to: c.output, count: count, channels: c.outputShape.c, pool: c.pool)
    }

    var summary: String { "activation\(activation.suffix)" }
}

/// Softmax over the channels of each row.
struct SoftmaxStep: CompiledStep {
    var io: StepIO

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    { (x, nil) }

    func run(_ c: StepContext) { Softmax.forward(input: c.input0, rows: c.shape0.rows, cols: c.shape0.c, output: c.output) }

    var summary: String { "softmax" }
}

/// The sum of two values of the same shape.
struct AddStep: CompiledStep {
    var io: StepIO

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        let y = other ?? x
        guard y == x else { throw context.mismatch(io.name, expected: x.count, actual: y.count) }
        return (x, nil)
    }

    func run(_ c: StepContext) {
        guard let b = c.input1 else { return }
        Elementwise.add(c.input0, b, count: c.outputShape.count, output: c.output)
    }

    var summary: String { "add v\(io.input1)" }
}

/// The elements of each sample as one row, in the axis order `order` (slowest first;
/// Keras flattens `[H, W, C]`, PyTorch-trained graphs `[C, H, W]`).
struct FlattenStep: CompiledStep {
    var io: StepIO
    var order: (Int, Int, Int)

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        (TensorShape(n: x.n, h: 1, w: 1, c: x.sampleCount), nil)
    }

    func run(_ c: StepContext) { Elementwise.flatten(input: c.input0, shape: c.shape0, order: order, output: c.output) }

    var summary: String { "flatten order \(order)" }
}
