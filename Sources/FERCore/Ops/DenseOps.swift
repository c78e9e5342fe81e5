/// `dense` layers.
enum DenseLayers: LayerFamily {
    static func validate(_ node: inout LayerNode, _ check: LayerChecker) throws(WeightsError) {
        try check.roles(node, ["kernel", "bias"])
        let x = node.inShape
        let units = try check.positive(node.spec.attrs.units, "units", node.spec.name)
        node.tensors["kernel"] = try check.tensor(node, "kernel", [x.c, units])
        node.tensors["bias"] = try check.tensor(node, "bias", [units], optional: true)
        node.outShape = TensorShape(n: 1, h: x.h, w: x.w, c: units)
    }

    static func lower(_ node: LayerNode, io: StepIO) -> any CompiledStep {
        DenseStep(
            io: io, inputs: node.inShape.c, units: node.outShape.c,
            pending: PendingWeights(kernel: node.tensors["kernel"] ?? [], bias: node.tensors["bias"]))
    }
}

/// A dense layer, run by ``PackedConvolution`` as a 1×1 convolution over the `n·h·w` rows
/// (kernel packed, bias and PReLU alphas padded to whole panels), activation fused in.
struct DenseStep: CompiledStep {
    var io: StepIO
    var inputs: Int
    var units: Int
    var pending: PendingWeights
    var activation: FusedActivation = .none
    var fusedActivation: FusedActivation? { activation }
    var kernel = 0
    var bias: Int?

    init(io: StepIO, inputs: Int, units: Int, pending: PendingWeights) {
        self.io = io
        self.inputs = inputs
        self.units = units
        self.pending = pending
    }

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        guard x.c == inputs else { throw context.mismatch(io.name, expected: inputs, actual: x.c) }
        return (TensorShape(n: x.n, h: x.h, w: x.w, c: units), nil)
    }

    mutating func fuse(_ activation: FusedActivation, alpha: [Float]?) {
        self.activation = activation
        pending.alpha = alpha
    }

    mutating func pack(into packer: inout ParameterPacker) {
        activation = packer.packedActivation(activation, pending)
        (kernel, bias) = packer.packedConvolution(pending, cout: units)
        pending = PendingWeights()
    }

    func run(_ c: StepContext) {
        PackedConvolution.dense(
            input: c.input0, rows: c.shape0.rows, inputs: inputs, packed: c.parameters(kernel),
            bias: c.parameters(bias), cout: units, activation: activation.resolved(c.parameters),
            output: c.output, pool: c.pool, isa: c.isa)
    }

    func macs(_ x: TensorShape, _ other: TensorShape?, _ y: TensorShape) -> Int {
        MACCount.product(y.n, y.h, y.w, y.c, x.c)
    }

    var summary: String { "dense → \(units)\(bias == nil ? "" : " +bias")\(activation.suffix)" }
}
