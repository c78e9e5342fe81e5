/// A graph layer after validation, before lowering.
struct LayerNode {
    var spec: LayerSpec
    var op: LayerOp
    /// Node indices of the inputs; -1 is the graph input.
    var inputs: [Int]
    /// The shape of input 0 (for the reference input).
    var inShape: TensorShape
    /// The shape of input 1, for two-operand layers.
    var otherShape: TensorShape?
    /// Set by the family's `validate` (the input shape until then).
    var outShape: TensorShape
    /// The layer's tensors by role, checked for shape and finiteness.
    var tensors: [String: [Float]] = [:]
}

/// An op family: the layer types it parses and checks, and the step each lowers to.
///
/// Adding an op is one family file (its ``LayerFamily`` and ``CompiledStep`` types) and a
/// line in ``LayerOp/family``; the compiler's fusion passes and the test table in
/// `StepHarnessTests` do the rest.
protocol LayerFamily {
    /// Checks `node`'s attributes and tensors against its input shape and sets its output
    /// shape and tensors.
    static func validate(_ node: inout LayerNode, _ check: LayerChecker) throws(WeightsError)
    /// The step that computes `node` on its own (before any fusion).
    static func lower(_ node: LayerNode, io: StepIO) -> any CompiledStep
}

extension LayerOp {
    /// The family that parses, checks and lowers layers of this op.
    var family: any LayerFamily.Type {
        switch self {
        case .conv2d, .depthwise_conv2d, .separable_conv2d: return ConvolutionLayers.self
        case .max_pool2d, .global_avg_pool: return PoolingLayers.self
        case .dense: return DenseLayers.self
        case .batch_norm, .relu, .prelu, .softmax, .add, .flatten: return ElementwiseLayers.self
        }
    }

    /// How many inputs a layer of this op reads.
    var arity: Int { self == .add ? 2 : 1 }
}

/// The checks every family uses, with errors naming the file, layer and tensor.
struct LayerChecker {
    let file: SafeTensorsFile

    /// The largest kernel, pool or stride extent a layer may state (mini-Xception's are 3).
    static let maximumWindow = 1 << 16

    func fail(_ layer: String, _ detail: String) -> WeightsError {
        .invalidGraph(path: file.path, layer: layer, detail: detail)
    }

    /// Two integers in `1...maximumWindow`.
    func pair(_ v: [Int]?, _ what: String, _ layer: String) throws(WeightsError) -> (Int, Int) {
        guard let v, v.count == 2, v[0] > 0, v[1] > 0, v[0] <= Self.maximumWindow, v[1] <= Self.maximumWindow else {
            throw fail(layer, "attribute '\(what)' must be two integers in 1...\(Self.maximumWindow)")
        }
        return (v[0], v[1])
    }

    func padding(_ spec: LayerSpec, allowCeil: Bool) throws(WeightsError) -> Padding {
        guard let raw = spec.attrs.padding, let p = Padding(rawValue: raw), allowCeil || p != .ceil else {
            throw fail(spec.name, "attribute 'padding' must be valid or same\(allowCeil ? " or ceil" : "") (got \(spec.attrs.padding ?? "nothing"))")
        }
        return p
    }

    /// The window a layer states (`kernel` or `pool`, `stride`, `padding`), checked to fit `x`.
    func window(
        _ node: LayerNode, size: [Int]?, sizeName: String, stride: [Int]?, allowCeil: Bool,
        noun: String
    ) throws(WeightsError) -> (spec: WindowSpec, geometry: WindowGeometry) {
        let spec = node.spec, x = node.inShape
        let k = try pair(size, sizeName, spec.name)
        let s = try pair(stride, "stride", spec.name)
        let p = try padding(spec, allowCeil: allowCeil)
        let w = WindowSpec(kh: k.0, kw: k.1, sh: s.0, sw: s.1, padding: p)
        guard let g = w.geometry(inH: x.h, inW: x.w) else {
            throw fail(spec.name, "the \(k.0)x\(k.1) \(noun) does not fit the \(x.h)x\(x.w) reference input")
        }
        return (w, g)
    }

    /// A positive integer attribute.
    func positive(_ value: Int?, _ what: String, _ layer: String) throws(WeightsError) -> Int {
        guard let value, value > 0 else { throw fail(layer, "attribute '\(what)' must be a positive integer") }
        return value
    }

    /// The tensor playing `role` for `node`, checked to have `shape` and only finite values.
    func tensor(_ node: LayerNode, _ role: String, _ shape: [Int], optional: Bool = false) throws(WeightsError) -> [Float]? {
        guard let name = node.spec.params[role] else {
            if optional { return nil }
            throw fail(node.spec.name, "parameter '\(role)' is missing from the layer's params")
        }
        let (actual, values) = try file.floats(name)
        guard actual == shape else {
            throw .invalidTensor(
                path: file.path, tensor: name,
                detail: "layer '\(node.spec.name)' needs \(role) of shape \(shape) but the tensor is \(actual)")
        }
        if let first = values.firstIndex(where: { !$0.isFinite }) {
            let v = values[first]
            throw .nonFiniteValue(
                path: file.path, tensor: name, index: first, value: v.isNaN ? "NaN" : (v > 0 ? "+Inf" : "-Inf"),
                count: values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) })
        }
        return values
    }

    /// Refuses parameter roles outside `allowed`.
    func roles(_ node: LayerNode, _ allowed: Set<String>) throws(WeightsError) {
        for role in node.spec.params.keys where !allowed.contains(role) {
            throw fail(node.spec.name, "unexpected parameter role '\(role)' for op \(node.op.rawValue)")
        }
    }
}
