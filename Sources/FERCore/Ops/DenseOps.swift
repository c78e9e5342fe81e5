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

/// A dense layer, run by ``PackedConvolution`` as a 1×1 convolution over the `n·h·w` rows,
/// activation fused in.
struct DenseStep: CompiledStep {
    var io: StepIO
    var inputs: Int
    var output: PackedOutput

    init(io: StepIO, inputs: Int, units: Int, pending: PendingWeights) {
        self.io = io
        self.inputs = inputs
        output = PackedOutput(cout: units, pending: pending)
    }

    var pending: PendingWeights { output.pending }
    var fusedActivation: FusedActivation? { output.activation }
    mutating func fuse(_ activation: FusedActivation, alpha: [Float]?) { output.fuse(activation, alpha: alpha) }
    mutating func pack(into packer: inout ParameterPacker) { output.pack(into: &packer) }

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        guard x.c == inputs else { throw context.mismatch(io.name, expected: inputs, actual: x.c) }
        return (TensorShape(n: x.n, h: x.h, w: x.w, c: output.cout), nil)
    }

    func run(_ c: StepContext) {
        PackedConvolution.dense(
            input: c.input0, rows: c.shape0.rows, inputs: inputs, packed: c.parameters(output.kernel),
            bias: c.parameters(output.bias), cout: output.cout, activation: output.activation.resolved(c.parameters),
            output: c.output, pool: c.pool, isa: c.isa)
    }

    func macs(_ x: TensorShape, _ other: TensorShape?, _ y: TensorShape) -> Int {
        MACCount.product(y.n, y.h, y.w, y.c, x.c)
    }

    var summary: String { "dense \(output.summary)" }
}
