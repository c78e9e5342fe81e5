/// `conv2d`, `depthwise_conv2d` and `separable_conv2d` layers.
enum ConvolutionLayers: LayerFamily {
    static func validate(_ node: inout LayerNode, _ check: LayerChecker) throws(WeightsError) {
        let spec = node.spec, x = node.inShape
        let (_, g) = try check.window(
            node, size: spec.attrs.kernel, sizeName: "kernel", stride: spec.attrs.stride ?? [1, 1],
            allowCeil: false, noun: "window")
        let k = (g.kh, g.kw)
        var cout = x.c
        switch node.op {
        case .conv2d:
            let f = try check.positive(spec.attrs.filters, "filters", spec.name)
            cout = f
            try check.roles(node, ["kernel", "bias"])
            node.tensors["kernel"] = try check.tensor(node, "kernel", [k.0, k.1, x.c, f])
            node.tensors["bias"] = try check.tensor(node, "bias", [f], optional: true)
        case .depthwise_conv2d:
            try check.roles(node, ["kernel", "bias"])
            node.tensors["kernel"] = try check.tensor(node, "kernel", [k.0, k.1, x.c])
            node.tensors["bias"] = try check.tensor(node, "bias", [x.c], optional: true)
        default:
            let f = try check.positive(spec.attrs.filters, "filters", spec.name)
            cout = f
            try check.roles(node, ["depthwise", "pointwise", "bias"])
            node.tensors["depthwise"] = try check.tensor(node, "depthwise", [k.0, k.1, x.c])
            node.tensors["pointwise"] = try check.tensor(node, "pointwise", [1, 1, x.c, f])
            node.tensors["bias"] = try check.tensor(node, "bias", [f], optional: true)
        }
        node.outShape = TensorShape(n: 1, h: g.outH, w: g.outW, c: cout)
    }

    static func lower(_ node: LayerNode, io: StepIO) -> any CompiledStep {
        let a = node.spec.attrs
        let k = a.kernel ?? [1, 1], s = a.stride ?? [1, 1]
        let window = WindowSpec(kh: k[0], kw: k[1], sh: s[0], sw: s[1], padding: Padding(rawValue: a.padding ?? "valid") ?? .valid)
        let bias = node.tensors["bias"]
        switch node.op {
        case .conv2d:
            return ConvolutionStep(
                io: io, window: window, cout: node.outShape.c,
                pending: PendingWeights(kernel: node.tensors["kernel"] ?? [], bias: bias))
        case .depthwise_conv2d:
            return DepthwiseConvolutionStep(
                io: io, window: window,
                pending: PendingWeights(kernel: node.tensors["kernel"] ?? [], bias: bias))
        default:
            return SeparableConvolutionStep(
                io: io, window: window, cout: node.outShape.c,
                pending: PendingWeights(
                    kernel: node.tensors["pointwise"] ?? [], bias: bias,
                    extra: node.tensors["depthwise"] ?? []))
        }
    }
}

extension PendingWeights {
    /// Folds `y·scale + shift` (per output channel, `cout` of them, the fastest-varying
    /// axis of `kernel`) into the kernel and bias.
    mutating func fold(scale: [Float], shift: [Float]) {
        let cout = scale.count
        for i in kernel.indices { kernel[i] *= scale[i % cout] }
        var b = bias ?? [Float](repeating: 0, count: cout)
        for c in 0..<cout { b[c] = b[c] * scale[c] + shift[c] }
        bias = b
    }
}

/// What ``PackedConvolution``'s register tiles compute in a step: `cout` output channels from
/// a kernel packed in panels, plus bias and activation (bias and PReLU alphas padded to whole
/// panels). Convolution, separable and dense steps hold one; batch norm folds into it and an
/// activation fuses into it.
struct PackedOutput: Sendable {
    var cout: Int
    var pending: PendingWeights
    var activation: FusedActivation = .none
    var kernel = 0
    var bias: Int?

    init(cout: Int, pending: PendingWeights, activation: FusedActivation = .none) {
        self.cout = cout
        self.pending = pending
        self.activation = activation
    }

    mutating func fold(scale: [Float], shift: [Float]) { pending.fold(scale: scale, shift: shift) }

    mutating func fuse(_ activation: FusedActivation, alpha: [Float]?) {
        self.activation = activation
        pending.alpha = alpha
    }

    /// Packs the kernel, bias and alphas (the step packs anything else of its own first).
    mutating func pack(into packer: inout ParameterPacker) {
        activation = packer.packedActivation(activation, pending)
        (kernel, bias) = packer.packedConvolution(pending, cout: cout)
        pending = PendingWeights()
    }

    /// `→ 8 +bias +relu`, for ``Network/stepDescriptions``.
    var summary: String { "→ \(cout)\(bias == nil ? "" : " +bias")\(activation.suffix)" }
}

/// A convolution on ``PackedConvolution``'s register tiles, with batch norm and activation
/// folded in; a 3×3 stride-1 one without padding or with 'same' padding by ``Winograd``
/// (F(4×4, 3×3)) on the AVX2 and AVX-512 paths.
struct ConvolutionStep: CompiledStep {
    var io: StepIO
    var window: WindowSpec
    var output: PackedOutput
    /// The kernel transformed for ``Winograd`` (when its window and channels suit it): its
    /// offset and tile.
    var winograd: (offset: Int, tile: Winograd.Tile)?

    init(io: StepIO, window: WindowSpec, cout: Int, pending: PendingWeights) {
        self.io = io
        self.window = window
        output = PackedOutput(cout: cout, pending: pending)
    }

    var pending: PendingWeights { output.pending }
    var fusedActivation: FusedActivation? { output.activation }
    var foldsBatchNorm: Bool { true }
    mutating func fold(scale: [Float], shift: [Float]) { output.fold(scale: scale, shift: shift) }
    mutating func fuse(_ activation: FusedActivation, alpha: [Float]?) { output.fuse(activation, alpha: alpha) }
    mutating func pack(into packer: inout ParameterPacker) {
        let cout = output.cout
        let cin = output.pending.kernel.count / max(1, window.kh * window.kw * cout)
        if Winograd.suits(kernel: (window.kh, window.kw), stride: (window.sh, window.sw), padding: window.padding, cin: cin, cout: cout) {
            winograd = (packer.winogradConvolution(output.pending, cin: cin, cout: cout, tile: .preferred), .preferred)
        }
        output.pack(into: &packer)
    }

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        let g = try context.window(window, over: x, layer: io.name)
        return (TensorShape(n: x.n, h: g.outH, w: g.outW, c: output.cout), g)
    }

    func scratchCount(_ x: TensorShape, _ other: TensorShape?, window: WindowGeometry?, threads: Int) -> Int {
        let direct = window.map { PackedConvolution.scratchCount(shape: x, geometry: $0, threads: threads) } ?? 0
        guard let winograd, let window else { return direct }
        return max(direct, Winograd.scratchCount(shape: x, geometry: window, cout: output.cout, threads: threads, tile: winograd.tile))
    }

    func run(_ c: StepContext) {
        guard let g = c.window else { return }
        if let winograd, c.isa != .generic {
            Winograd.conv2d(
                input: c.input0, shape: c.shape0, geometry: g, packed: c.parameters(winograd.offset), tile: winograd.tile,
                bias: c.parameters(output.bias),
                cout: output.cout, activation: output.activation.resolved(c.parameters), output: c.output,
                scratch: c.scratch, pool: c.pool, isa: c.isa)
            return
        }
        PackedConvolution.conv2d(
            input: c.input0, shape: c.shape0, geometry: g, packed: c.parameters(output.kernel),
            bias: c.parameters(output.bias), cout: output.cout, activation: output.activation.resolved(c.parameters),
            output: c.output, scratch: c.scratch, pool: c.pool, isa: c.isa)
    }

    func macs(_ x: TensorShape, _ other: TensorShape?, _ y: TensorShape) -> Int {
        MACCount.product(y.n, y.h, y.w, y.c, window.kh, window.kw, x.c)
    }

    var summary: String { "conv \(window.summary) \(output.summary)" }
}

/// A depthwise convolution (one `[KH, KW]` filter per channel), batch norm and activation
/// folded in; weights as in the file.
struct DepthwiseConvolutionStep: CompiledStep {
    var io: StepIO
    var window: WindowSpec
    var pending: PendingWeights
    var activation: FusedActivation = .none
    var fusedActivation: FusedActivation? { activation }
    var foldsBatchNorm: Bool { true }
    var kernel = 0
    var bias: Int?

    init(io: StepIO, window: WindowSpec, pending: PendingWeights) {
        self.io = io
        self.window = window
        self.pending = pending
    }

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        let g = try context.window(window, over: x, layer: io.name)
        return (TensorShape(n: x.n, h: g.outH, w: g.outW, c: x.c), g)
    }

    mutating func fold(scale: [Float], shift: [Float]) { pending.fold(scale: scale, shift: shift) }

    mutating func fuse(_ activation: FusedActivation, alpha: [Float]?) {
        self.activation = activation
        pending.alpha = alpha
    }

    mutating func pack(into packer: inout ParameterPacker) {
        activation = packer.plainActivation(activation, pending)
        kernel = packer.put(pending.kernel)
        bias = pending.bias.map { packer.put($0) }
        pending = PendingWeights()
    }

    func run(_ c: StepContext) {
        guard let g = c.window else { return }
        Depthwise.conv2d(
            input: c.input0, shape: c.shape0, geometry: g, kernel: c.parameters(kernel), bias: c.parameters(bias),
            activation: activation.resolved(c.parameters), output: c.output, pool: c.pool, isa: c.isa)
    }

    func macs(_ x: TensorShape, _ other: TensorShape?, _ y: TensorShape) -> Int {
        MACCount.product(y.n, y.h, y.w, y.c, window.kh, window.kw)
    }

    var summary: String {
        "depthwise \(window.summary)\(bias == nil ? "" : " +bias")\(activation.suffix)"
    }
}

/// A separable convolution in one step: the depthwise half (no bias, `pending.extra`) feeds
/// the 1×1 half's register tiles block by block, so its output is never stored
/// (``PackedConvolution/separable(input:shape:geometry:depthwise:packed:bias:cout:activation:output:scratch:pool:isa:)``).
/// Made from a `separable_conv2d` layer, or by ``GraphPasses/fuseSeparable(_:)`` from a
/// depthwise convolution without bias or activation followed by a 1×1 convolution.
struct SeparableConvolutionStep: CompiledStep {
    var io: StepIO
    /// The depthwise half's window (the 1×1 half keeps the size).
    var window: WindowSpec
    /// The 1×1 half; its `pending.extra` holds the depthwise kernel until packing.
    var output: PackedOutput
    var depthwise = 0

    init(io: StepIO, window: WindowSpec, cout: Int, pending: PendingWeights, activation: FusedActivation = .none) {
        self.io = io
        self.window = window
        output = PackedOutput(cout: cout, pending: pending, activation: activation)
    }

    var pending: PendingWeights { output.pending }
    var fusedActivation: FusedActivation? { output.activation }
    var foldsBatchNorm: Bool { true }
    mutating func fold(scale: [Float], shift: [Float]) { output.fold(scale: scale, shift: shift) }
    mutating func fuse(_ activation: FusedActivation, alpha: [Float]?) { output.fuse(activation, alpha: alpha) }

    mutating func pack(into packer: inout ParameterPacker) {
        depthwise = packer.put(output.pending.extra ?? [])
        output.pack(into: &packer)
    }

    func infer(_ x: TensorShape, _ other: TensorShape?, _ context: ShapeContext) throws(NetworkError)
        -> (shape: TensorShape, window: WindowGeometry?)
    {
        let g = try context.window(window, over: x, layer: io.name)
        return (TensorShape(n: x.n, h: g.outH, w: g.outW, c: output.cout), g)
    }

    func scratchCount(_ x: TensorShape, _ other: TensorShape?, window: WindowGeometry?, threads: Int) -> Int {
        window.map { PackedConvolution.separableScratchCount(shape: x, geometry: $0, threads: threads) } ?? 0
    }

    func run(_ c: StepContext) {
        guard let g = c.window else { return }
        PackedConvolution.separable(
            input: c.input0, shape: c.shape0, geometry: g, depthwise: c.parameters(depthwise),
            packed: c.parameters(output.kernel), bias: c.parameters(output.bias), cout: output.cout,
            activation: output.activation.resolved(c.parameters), output: c.output, scratch: c.scratch,
            pool: c.pool, isa: c.isa)
    }

    func macs(_ x: TensorShape, _ other: TensorShape?, _ y: TensorShape) -> Int {
        MACCount.sum(MACCount.product(y.n, y.h, y.w, y.c, x.c), MACCount.product(y.n, y.h, y.w, window.kh, window.kw, x.c))
    }

    var summary: String { "depthwise \(window.summary) + conv 1x1/1 valid \(output.summary)" }
}
