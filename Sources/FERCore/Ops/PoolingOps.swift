/// `max_pool2d` and `global_avg_pool` layers.
enum PoolingLayers: LayerFamily {
    static func validate(_ node: inout LayerNode, _ check: LayerChecker) throws(WeightsError) {
        try check.roles(node, [])
        let x = node.inShape, a = node.spec.attrs
        if node.op == .global_avg_pool {
            node.outShape = TensorShape(n: 1, h: 1, w: 1, c: x.c)
            return
        }
        let (_, g) = try check.window(
            node, size: a.pool ?? a.kernel, sizeName: "pool", stride: a.stride ?? a.pool,
            allowCeil: true, noun: "pool")
        node.outShape = TensorShape(n: 1, h: g.outH, w: g.outW, c: x.c)
    }

    static func lower(_ node: LayerNode, io: StepIO) -> any CompiledStep {
        if node.op == .global_avg_pool { return GlobalAveragePoolStep(io: io) }
        let a = node.spec.attrs
        let k = a.pool ?? a.kernel ?? [1, 1], s = a.stride ?? k
        return MaxPoolStep(
            io: io,
            window: WindowSpec(
                kh: k[0], kw: k[1], sh: s[0], sw: s[1],
                padding: Padding(rawValue: a.padding ?? "valid") ?? .valid))
    }
}

/// Max pooling.
struct MaxPoolStep: CompiledStep {
    var io: StepIO
    var window: WindowSpec

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        let g = try context.window(window, over: x, layer: io.name)
        return (TensorShape(n: x.n, h: g.outH, w: g.outW, c: x.c), g)
    }

    func run(_ c: StepContext) {
        guard let g = c.window else { return }
        Pooling.maxPool(input: c.input0, shape: c.shape0, geometry: g, output: c.output, residual: nil, pool: c.pool, isa: c.isa)
    }

    var summary: String { "max_pool \(window.summary)" }
}

/// Max pooling and the `add` reading it, in one pass: the pool adds the other operand
/// (`input1`) to each maximum as it stores it (Keras' `x + residual`; float addition
/// commutes). Made by ``GraphPasses/fuseResidualTail(_:)``.
struct MaxPoolAddStep: CompiledStep {
    var io: StepIO
    var window: WindowSpec

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        let g = try context.window(window, over: x, layer: io.name)
        let y = TensorShape(n: x.n, h: g.outH, w: g.outW, c: x.c)
        let added = other ?? y
        guard added == y else { throw context.mismatch(io.name, expected: y.count, actual: added.count) }
        return (y, g)
    }

    func run(_ c: StepContext) {
        guard let g = c.window else { return }
        Pooling.maxPool(
            input: c.input0, shape: c.shape0, geometry: g, output: c.output,
            residual: c.input1.map { UnsafePointer($0) }, pool: c.pool, isa: c.isa)
    }

    var summary: String { "max_pool \(window.summary) + v\(io.input1)" }
}

/// A residual block's tail in one pass: the convolution of the block's input (`input1`,
/// whole 8-channel groups), max pooling of `input0`, and their sum. Each thread computes
/// the convolution for its rows into the output, then adds the maxima
/// (``PackedConvolution/maxPoolAddingConvolution(pooled:pooledShape:poolGeometry:input:shape:geometry:packed:bias:cout:activation:output:scratch:pool:isa:)``).
/// Made by ``GraphPasses/fuseResidualTail(_:)`` from a ``MaxPoolAddStep`` and the
/// ``ConvolutionStep`` computing its other operand.
struct ResidualTailStep: CompiledStep {
    var io: StepIO
    var poolWindow: WindowSpec
    var convolution: ConvolutionStep

    var pending: PendingWeights { convolution.pending }

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        let g = try context.window(poolWindow, over: x, layer: io.name)
        let y = TensorShape(n: x.n, h: g.outH, w: g.outW, c: x.c)
        let r = other ?? x
        let gc = try context.window(convolution.window, over: r, layer: io.name)
        let added = TensorShape(n: r.n, h: gc.outH, w: gc.outW, c: convolution.output.cout)
        guard added == y else { throw context.mismatch(io.name, expected: y.count, actual: added.count) }
        return (y, g)
    }

    func scratchCount(_ x: TensorShape, _ other: TensorShape?, window: WindowGeometry?, threads: Int) -> Int {
        guard let r = other, let gc = convolution.window.geometry(inH: r.h, inW: r.w) else { return 0 }
        return PackedConvolution.scratchCount(shape: r, geometry: gc, threads: threads)
    }

    mutating func pack(into packer: inout ParameterPacker) { convolution.pack(into: &packer) }

    func run(_ c: StepContext) {
        guard let g = c.window, let r = c.input1, let gc = convolution.window.geometry(inH: c.shape1.h, inW: c.shape1.w) else { return }
        PackedConvolution.maxPoolAddingConvolution(
            pooled: c.input0, pooledShape: c.shape0, poolGeometry: g, input: r, shape: c.shape1, geometry: gc,
            packed: c.parameters(convolution.output.kernel), bias: c.parameters(convolution.output.bias),
            cout: convolution.output.cout,
            activation: convolution.output.activation.resolved(c.parameters), output: c.output, scratch: c.scratch, pool: c.pool,
            isa: c.isa)
    }

    func macs(_ x: TensorShape, _ other: TensorShape?, _ y: TensorShape) -> Int {
        MACCount.product(y.n, y.h, y.w, y.c, convolution.window.kh, convolution.window.kw, (other ?? x).c)
    }

    var summary: String { "max_pool \(poolWindow.summary) + \(convolution.summary) of v\(io.input1)" }
}

/// The mean of each channel over the height and width.
struct GlobalAveragePoolStep: CompiledStep {
    var io: StepIO

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        (TensorShape(n: x.n, h: 1, w: 1, c: x.c), nil)
    }

    func run(_ c: StepContext) { Pooling.globalAveragePool(input: c.input0, shape: c.shape0, output: c.output) }

    var summary: String { "global_avg_pool" }
}
