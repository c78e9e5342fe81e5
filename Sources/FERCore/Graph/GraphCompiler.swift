import Foundation

/// Turns a graph description and its tensors into compiled ``Step``s.
///
/// Three passes: (1) validate every layer against the tensors while inferring
/// shapes for the reference input, and compare with the shapes the file states;
/// (2) lower layers to steps, folding batch norm into the convolution before it
/// and fusing ReLU/PReLU into the step that feeds them when nothing else reads
/// the intermediate value; (3) pack all parameters into one array.
struct GraphCompiler {
    let file: SafeTensorsFile
    let graph: GraphDescription
    let referenceInput: TensorShape

    private(set) var steps: [Step] = []
    private(set) var valueCount = 1
    private(set) var outputValues: [Int] = []
    private(set) var namedValues: [String: Int] = [:]
    private(set) var parameters: [Float] = []
    /// The first compiled step whose folded parameters are not all finite (every tensor
    /// in the file is, but batch-norm folding multiplies and divides them).
    private(set) var nonFiniteStep: String?

    /// A validated layer before lowering.
    private struct Node {
        var spec: LayerSpec
        var op: LayerOp
        var inputs: [Int]          // node indices; -1 is the graph input
        var inShape: TensorShape
        var outShape: TensorShape
        var tensors: [String: [Float]] = [:]
    }
    private var nodes: [Node] = []
    private var nodeIndex: [String: Int] = [:]

    init(file: SafeTensorsFile) throws(WeightsError) {
        self.file = file
        guard let json = file.metadata[GraphDescription.metadataKey] else { throw .missingGraph(path: file.path) }
        do {
            graph = try JSONDecoder().decode(GraphDescription.self, from: Data(json.utf8))
        } catch {
            throw .invalidGraph(path: file.path, layer: "(graph)", detail: "the graph JSON does not parse: \(error)")
        }
        guard graph.format == "fercore-graph" else {
            throw .invalidGraph(path: file.path, layer: "(graph)", detail: "format is '\(graph.format)', expected 'fercore-graph'")
        }
        guard graph.version == 1 else {
            throw .invalidGraph(path: file.path, layer: "(graph)", detail: "graph version \(graph.version) is newer than this FERCore understands (1)")
        }
        guard !graph.outputs.isEmpty else {
            throw .invalidGraph(path: file.path, layer: "(graph)", detail: "the graph has no outputs (its 'outputs' list is empty)")
        }
        let s = graph.input.shape
        guard s.count == 3, s.allSatisfy({ $0 > 0 }) else {
            throw .invalidGraph(path: file.path, layer: graph.input.name, detail: "input shape \(s) is not a positive [H, W, C]")
        }
        guard let count = Self.checkedCount(s[0], s[1], s[2]), count <= Self.maximumValueElements else {
            throw .invalidGraph(path: file.path, layer: graph.input.name,
                                detail: "input shape \(s) has more than \(Self.maximumValueElements) elements")
        }
        referenceInput = TensorShape(h: s[0], w: s[1], c: s[2])
    }

    /// The most elements any value may have for the reference input (2^31 floats, 8 GiB:
    /// far above any real network's, low enough that no size computation can overflow).
    static let maximumValueElements = 1 << 31
    /// The largest kernel, pool or stride extent a layer may state (mini-Xception's are 3).
    static let maximumWindow = 1 << 16

    /// `h·w·c`, or nil when the product overflows.
    static func checkedCount(_ h: Int, _ w: Int, _ c: Int) -> Int? {
        let (hw, o1) = h.multipliedReportingOverflow(by: w)
        let (hwc, o2) = hw.multipliedReportingOverflow(by: c)
        return o1 || o2 ? nil : hwc
    }

    private func fail(_ layer: String, _ detail: String) -> WeightsError {
        .invalidGraph(path: file.path, layer: layer, detail: detail)
    }

    mutating func compile() throws(WeightsError) {
        try validateLayers()
        try checkAllTensorsUsed()
        lower()
        if let layer = nonFiniteStep {
            throw fail(layer, "folding a batch norm into this layer gives non-finite weights (a variance near zero "
                       + "with large weights); the batch-norm statistics are corrupt")
        }
        outputValues = []
        for name in graph.outputs {
            guard let value = namedValues[name] else {
                throw fail(name, "listed as an output but no layer of that name produces a value")
            }
            outputValues.append(value)
        }
    }

    // MARK: Pass 1 — validation and shape inference

    private mutating func validateLayers() throws(WeightsError) {
        guard !graph.layers.isEmpty else { throw fail("(graph)", "the graph has no layers") }
        for spec in graph.layers {
            guard nodeIndex[spec.name] == nil, spec.name != graph.input.name else {
                throw fail(spec.name, "the layer name is used twice")
            }
            guard let op = LayerOp(rawValue: spec.op) else {
                throw fail(spec.name, "unknown op '\(spec.op)'; supported: \(LayerOp.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let arity = op == .add ? 2 : 1
            guard spec.inputs.count == arity else {
                throw fail(spec.name, "op \(op.rawValue) takes \(arity) input(s) but lists \(spec.inputs.count)")
            }
            var inputs: [Int] = []
            for name in spec.inputs {
                if name == graph.input.name {
                    inputs.append(-1)
                } else if let i = nodeIndex[name] {
                    inputs.append(i)
                } else {
                    throw fail(spec.name, "input '\(name)' is neither the graph input nor an earlier layer")
                }
            }
            let inShape = inputs[0] < 0 ? referenceInput : nodes[inputs[0]].outShape
            var node = Node(spec: spec, op: op, inputs: inputs, inShape: inShape, outShape: inShape)
            try infer(&node)
            let out = node.outShape
            guard let count = Self.checkedCount(out.h, out.w, out.c), count <= Self.maximumValueElements else {
                throw fail(spec.name, "the layer's output for the reference input, \(out.sampleDims), has more than \(Self.maximumValueElements) elements")
            }
            let stated = spec.shape
            let matches: Bool
            switch stated.count {
            case 1: matches = node.outShape.h == 1 && node.outShape.w == 1 && node.outShape.c == stated[0]
            case 3: matches = node.outShape.sampleDims == stated
            default: matches = false
            }
            guard matches else {
                throw fail(spec.name, "the file states output shape \(stated) but the layer computes \(node.outShape.sampleDims) for the reference input")
            }
            nodeIndex[spec.name] = nodes.count
            nodes.append(node)
        }
    }

    private func pair(_ v: [Int]?, _ what: String, _ layer: String) throws(WeightsError) -> (Int, Int) {
        guard let v, v.count == 2, v[0] > 0, v[1] > 0, v[0] <= Self.maximumWindow, v[1] <= Self.maximumWindow else {
            throw fail(layer, "attribute '\(what)' must be two integers in 1...\(Self.maximumWindow)")
        }
        return (v[0], v[1])
    }

    private func padding(_ spec: LayerSpec, allowCeil: Bool) throws(WeightsError) -> Padding {
        guard let raw = spec.attrs.padding, let p = Padding(rawValue: raw), allowCeil || p != .ceil else {
            throw fail(spec.name, "attribute 'padding' must be valid or same\(allowCeil ? " or ceil" : "") (got \(spec.attrs.padding ?? "nothing"))")
        }
        return p
    }

    private func tensor(_ node: Node, _ role: String, _ shape: [Int], optional: Bool = false) throws(WeightsError) -> [Float]? {
        guard let name = node.spec.params[role] else {
            if optional { return nil }
            throw fail(node.spec.name, "parameter '\(role)' is missing from the layer's params")
        }
        let (actual, values) = try file.floats(name)
        guard actual == shape else {
            throw .invalidTensor(path: file.path, tensor: name,
                                 detail: "layer '\(node.spec.name)' needs \(role) of shape \(shape) but the tensor is \(actual)")
        }
        if let first = values.firstIndex(where: { !$0.isFinite }) {
            let v = values[first]
            throw .nonFiniteValue(path: file.path, tensor: name, index: first, value: v.isNaN ? "NaN" : (v > 0 ? "+Inf" : "-Inf"),
                                  count: values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) })
        }
        return values
    }

    private func checkRoles(_ node: Node, _ allowed: Set<String>) throws(WeightsError) {
        for role in node.spec.params.keys where !allowed.contains(role) {
            throw fail(node.spec.name, "unexpected parameter role '\(role)' for op \(node.op.rawValue)")
        }
    }

    private func infer(_ node: inout Node) throws(WeightsError) {
        let spec = node.spec
        let x = node.inShape
        switch node.op {
        case .conv2d, .depthwise_conv2d, .separable_conv2d:
            let k = try pair(spec.attrs.kernel, "kernel", spec.name)
            let s = try pair(spec.attrs.stride ?? [1, 1], "stride", spec.name)
            let p = try padding(spec, allowCeil: false)
            guard let g = WindowGeometry(kernel: k, stride: s, padding: p, inH: x.h, inW: x.w) else {
                throw fail(spec.name, "the \(k.0)x\(k.1) window does not fit the \(x.h)x\(x.w) reference input")
            }
            var cout = x.c
            switch node.op {
            case .conv2d:
                guard let f = spec.attrs.filters, f > 0 else { throw fail(spec.name, "attribute 'filters' must be a positive integer") }
                cout = f
                try checkRoles(node, ["kernel", "bias"])
                node.tensors["kernel"] = try tensor(node, "kernel", [k.0, k.1, x.c, f])
                node.tensors["bias"] = try tensor(node, "bias", [f], optional: true)
            case .depthwise_conv2d:
                try checkRoles(node, ["kernel", "bias"])
                node.tensors["kernel"] = try tensor(node, "kernel", [k.0, k.1, x.c])
                node.tensors["bias"] = try tensor(node, "bias", [x.c], optional: true)
            default:
                guard let f = spec.attrs.filters, f > 0 else { throw fail(spec.name, "attribute 'filters' must be a positive integer") }
                cout = f
                try checkRoles(node, ["depthwise", "pointwise", "bias"])
                node.tensors["depthwise"] = try tensor(node, "depthwise", [k.0, k.1, x.c])
                node.tensors["pointwise"] = try tensor(node, "pointwise", [1, 1, x.c, f])
                node.tensors["bias"] = try tensor(node, "bias", [f], optional: true)
            }
            node.outShape = TensorShape(n: 1, h: g.outH, w: g.outW, c: cout)
        case .batch_norm:
            try checkRoles(node, ["gamma", "beta", "mean", "variance"])
            guard let eps = spec.attrs.epsilon, eps >= 0, eps.isFinite else {
                throw fail(spec.name, "attribute 'epsilon' must be a non-negative number")
            }
            for role in ["gamma", "beta", "mean", "variance"] {
                node.tensors[role] = try tensor(node, role, [x.c])
            }
            if let v = node.tensors["variance"], v.contains(where: { !($0 + Float(eps) > 0) }) {
                throw fail(spec.name, "a variance plus epsilon is not positive; the batch-norm statistics are corrupt")
            }
        case .relu, .softmax, .global_avg_pool, .flatten, .add:
            try checkRoles(node, [])
            if node.op == .global_avg_pool { node.outShape = TensorShape(n: 1, h: 1, w: 1, c: x.c) }
            if node.op == .flatten {
                let order = spec.attrs.order ?? [0, 1, 2]
                guard order.sorted() == [0, 1, 2] else { throw fail(spec.name, "attribute 'order' must be a permutation of [0, 1, 2]") }
                node.outShape = TensorShape(n: 1, h: 1, w: 1, c: x.sampleCount)
            }
            if node.op == .add {
                let y = node.inputs[1] < 0 ? referenceInput : nodes[node.inputs[1]].outShape
                guard y == x else { throw fail(spec.name, "adds shapes \(x.sampleDims) and \(y.sampleDims), which differ") }
            }
        case .prelu:
            try checkRoles(node, ["alpha"])
            node.tensors["alpha"] = try tensor(node, "alpha", [x.c])
        case .max_pool2d:
            try checkRoles(node, [])
            let k = try pair(spec.attrs.pool ?? spec.attrs.kernel, "pool", spec.name)
            let s = try pair(spec.attrs.stride ?? spec.attrs.pool, "stride", spec.name)
            let p = try padding(spec, allowCeil: true)
            guard let g = WindowGeometry(kernel: k, stride: s, padding: p, inH: x.h, inW: x.w) else {
                throw fail(spec.name, "the \(k.0)x\(k.1) pool does not fit the \(x.h)x\(x.w) reference input")
            }
            node.outShape = TensorShape(n: 1, h: g.outH, w: g.outW, c: x.c)
        case .dense:
            try checkRoles(node, ["kernel", "bias"])
            guard let units = spec.attrs.units, units > 0 else { throw fail(spec.name, "attribute 'units' must be a positive integer") }
            node.tensors["kernel"] = try tensor(node, "kernel", [x.c, units])
            node.tensors["bias"] = try tensor(node, "bias", [units], optional: true)
            node.outShape = TensorShape(n: 1, h: x.h, w: x.w, c: units)
        }
    }

    private func checkAllTensorsUsed() throws(WeightsError) {
        var used: [String: String] = [:]
        for node in nodes {
            for (_, name) in node.spec.params {
                if let other = used[name] {
                    throw fail(node.spec.name, "tensor '\(name)' is also used by layer '\(other)'; each tensor belongs to one layer")
                }
                used[name] = node.spec.name
            }
        }
        for name in file.tensors.keys.sorted() where used[name] == nil {
            throw .invalidGraph(path: file.path, layer: "(graph)", detail: "tensor '\(name)' is used by no layer; the file and its graph disagree")
        }
    }

    // MARK: Pass 2 — lowering with folding and fusion

    /// A step under construction; parameters are still separate arrays.
    private struct Building {
        var step: Step
        var kernel: [Float] = []
        var bias: [Float]? = nil
        var extra: [Float] = []     // affine shift, or prelu alphas
        var depthwise: [Float]? = nil   // a separable convolution's depthwise half
        var removed = false         // merged into a later step
        var activation: [Float]? = nil
        var activationIsRelu = false
        var tailNode: Int = -1
        var foldable: Bool { switch step.kind { case .conv, .depthwise: return !hasActivation; default: return false } }
        var fusable: Bool { switch step.kind { case .conv, .depthwise, .dense: return !hasActivation; default: return false } }
        var hasActivation: Bool { activation != nil || activationIsRelu }
    }

    private mutating func lower() {
        var consumers = [Int](repeating: 0, count: nodes.count)
        for node in nodes { for i in node.inputs where i >= 0 { consumers[i] += 1 } }
        let outputs = Set(graph.outputs)
        var building: [Building] = []
        var valueOfNode = [Int](repeating: 0, count: nodes.count)
        var stepOfNode = [Int](repeating: -1, count: nodes.count)
        var named: [String: Int] = [:]
        var nextValue = 1
        func value(_ node: Int) -> Int { node < 0 ? 0 : valueOfNode[node] }

        for (index, node) in nodes.enumerated() {
            let spec = node.spec
            let in0 = node.inputs[0]
            // Can this node be absorbed by the step that produced its input?
            var absorbInto: Int? = nil
            if in0 >= 0, consumers[in0] == 1, !outputs.contains(nodes[in0].spec.name), stepOfNode[in0] >= 0,
               building[stepOfNode[in0]].tailNode == in0 {
                let b = building[stepOfNode[in0]]
                if node.op == .batch_norm, b.foldable { absorbInto = stepOfNode[in0] }
                if node.op == .relu || node.op == .prelu, b.fusable { absorbInto = stepOfNode[in0] }
            }
            if let target = absorbInto {
                var b = building[target]
                if node.op == .batch_norm {
                    let (scale, shift) = Self.batchNormAffine(node)
                    let cout = scale.count
                    for i in b.kernel.indices { b.kernel[i] *= scale[i % cout] }
                    var bias = b.bias ?? [Float](repeating: 0, count: cout)
                    for c in 0..<cout { bias[c] = bias[c] * scale[c] + shift[c] }
                    b.bias = bias
                } else if node.op == .relu {
                    b.activationIsRelu = true
                } else {
                    b.activation = node.tensors["alpha"]
                }
                named[nodes[b.tailNode].spec.name] = nil
                b.tailNode = index
                b.step.name = spec.name
                building[target] = b
                valueOfNode[index] = b.step.output
                stepOfNode[index] = target
                named[spec.name] = b.step.output
                continue
            }

            let input = value(in0)
            let input1 = node.inputs.count > 1 ? value(node.inputs[1]) : -1
            func newStep(_ kind: StepKind, from: Int) -> Building {
                let out = nextValue
                nextValue += 1
                return Building(step: Step(name: spec.name, kind: kind, input0: from, input1: input1, output: out), tailNode: index)
            }
            let k = spec.attrs.kernel ?? [1, 1]
            let s = spec.attrs.stride ?? [1, 1]
            let pad = Padding(rawValue: spec.attrs.padding ?? "valid") ?? .valid
            let conv = ConvStep(kh: k[0], kw: k[1], sh: s[0], sw: s[1], padding: pad, cout: node.outShape.c,
                                kernel: 0, bias: nil, activation: .none)
            var b: Building
            switch node.op {
            case .conv2d:
                b = newStep(.conv(conv), from: input)
                b.kernel = node.tensors["kernel"] ?? []
                b.bias = node.tensors["bias"]
            case .depthwise_conv2d:
                b = newStep(.depthwise(conv), from: input)
                b.kernel = node.tensors["kernel"] ?? []
                b.bias = node.tensors["bias"]
            case .separable_conv2d:
                // One step: the depthwise half feeds the 1×1 tiles block by block
                // (PackedConvolution.separable); its output is never materialised.
                let dw = DepthwiseStage(kh: k[0], kw: k[1], sh: s[0], sw: s[1], padding: pad, kernel: 0)
                let pw = ConvStep(kh: 1, kw: 1, sh: 1, sw: 1, padding: .valid, cout: node.outShape.c, kernel: 0, bias: nil,
                                  activation: .none, depthwise: dw)
                b = newStep(.conv(pw), from: input)
                b.depthwise = node.tensors["depthwise"] ?? []
                b.kernel = node.tensors["pointwise"] ?? []
                b.bias = node.tensors["bias"]
            case .batch_norm:
                let (scale, shift) = Self.batchNormAffine(node)
                b = newStep(.affine(scale: 0, shift: 0), from: input)
                b.kernel = scale
                b.extra = shift
            case .relu:
                b = newStep(.activation(.relu), from: input)
            case .prelu:
                b = newStep(.activation(.prelu(0)), from: input)
                b.extra = node.tensors["alpha"] ?? []
            case .max_pool2d:
                let pk = spec.attrs.pool ?? spec.attrs.kernel ?? [1, 1]
                let ps = spec.attrs.stride ?? pk
                b = newStep(.maxPool(kh: pk[0], kw: pk[1], sh: ps[0], sw: ps[1], padding: pad, residual: nil), from: input)
            case .global_avg_pool:
                b = newStep(.globalAvgPool, from: input)
            case .flatten:
                let o = spec.attrs.order ?? [0, 1, 2]
                b = newStep(.flatten(order: (o[0], o[1], o[2])), from: input)
            case .dense:
                b = newStep(.dense(kernel: 0, bias: nil, inputs: node.inShape.c, units: node.outShape.c, activation: .none), from: input)
                b.kernel = node.tensors["kernel"] ?? []
                b.bias = node.tensors["bias"]
            case .softmax:
                b = newStep(.softmax, from: input)
            case .add:
                if let pooled = Self.mergeablePool(node, nodes: nodes, consumers: consumers, outputs: outputs,
                                                   stepOfNode: stepOfNode, building: building) {
                    // max pool + add in one step: the pool adds the other operand to each
                    // maximum as it stores it (Keras' x + residual; float addition commutes).
                    /// Node `i`'s step runs inside this add's step from now on: its value is gone.
                    func absorb(_ i: Int) {
                        building[stepOfNode[i]].removed = true
                        named[nodes[i].spec.name] = nil
                    }
                    let poolStep = stepOfNode[node.inputs[pooled]]
                    absorb(node.inputs[pooled])
                    let out = nextValue
                    nextValue += 1
                    var step = building[poolStep].step
                    step.name = spec.name
                    step.input1 = value(node.inputs[1 - pooled])
                    step.output = out
                    b = Building(step: step, tailNode: index)
                    let other = node.inputs[1 - pooled]
                    if Self.mergeableResidual(other, nodes: nodes, consumers: consumers, outputs: outputs,
                                              stepOfNode: stepOfNode, building: building),
                       case let .conv(c) = building[stepOfNode[other]].step.kind,
                       case let .maxPool(kh, kw, sh, sw, padding, _) = step.kind {
                        // The residual branch's convolution joins too: each thread computes
                        // the convolution for its rows into the output, then adds the maxima.
                        let conv = building[stepOfNode[other]]
                        absorb(other)
                        b.step.input1 = conv.step.input0
                        b.step.kind = .maxPool(kh: kh, kw: kw, sh: sh, sw: sw, padding: padding, residual: c)
                        b.kernel = conv.kernel
                        b.bias = conv.bias
                        b.activation = conv.activation
                        b.activationIsRelu = conv.activationIsRelu
                    }
                } else {
                    b = newStep(.add, from: input)
                }
            }
            building.append(b)
            valueOfNode[index] = b.step.output
            stepOfNode[index] = building.count - 1
            named[spec.name] = b.step.output
        }

        // Pass 3: pack parameters and resolve offsets.
        var params: [Float] = []
        func put(_ values: [Float]) -> Int {
            // Align every parameter block to 16 floats (64 bytes) for SIMD loads.
            while params.count % 16 != 0 { params.append(0) }
            let offset = params.count
            params += values
            return offset
        }
        var compiled: [Step] = []
        for b in building where !b.removed {
            var step = b.step
            if nonFiniteStep == nil {
                let finite = b.kernel.allSatisfy(\.isFinite) && (b.bias ?? []).allSatisfy(\.isFinite)
                    && b.extra.allSatisfy(\.isFinite) && (b.depthwise ?? []).allSatisfy(\.isFinite)
                if !finite { nonFiniteStep = step.name }
            }
            var act: ActivationStep = .none
            if b.activationIsRelu { act = .relu }
            if step.kind.runsPackedConvolution {
                // A convolution keeps only what PackedConvolution reads: per-channel vectors
                // padded to whole panels.
                if let alpha = b.activation { act = .prelu(put(PackedConvolution.padChannels(alpha, cout: alpha.count))) }
            } else if let alpha = b.activation {
                act = .prelu(put(alpha))
            }
            /// What PackedConvolution reads for a `cout`-channel output: the kernel in panels,
            /// the bias padded to whole panels (offsets into `params`).
            func packed(cout: Int) -> (kernel: Int, bias: Int?) {
                (put(PackedConvolution.pack(b.kernel, k: b.kernel.count / cout, cout: cout)),
                 b.bias.map { put(PackedConvolution.padChannels($0, cout: cout)) })
            }
            switch step.kind {
            case var .conv(p):
                if let dw = b.depthwise { p.depthwise?.kernel = put(dw) }
                (p.kernel, p.bias) = packed(cout: p.cout)
                p.activation = act
                step.kind = .conv(p)
            case .maxPool(let kh, let kw, let sh, let sw, let padding, var .some(p)):
                (p.kernel, p.bias) = packed(cout: p.cout)
                p.activation = act
                step.kind = .maxPool(kh: kh, kw: kw, sh: sh, sw: sw, padding: padding, residual: p)
            case var .depthwise(p):
                p.kernel = put(b.kernel)
                p.bias = b.bias.map { put($0) }
                p.activation = act
                step.kind = .depthwise(p)
            case let .dense(_, _, inputs, units, _):
                // Run as a 1×1 convolution over the rows: packed like one, bias padded.
                let (kernel, bias) = packed(cout: units)
                step.kind = .dense(kernel: kernel, bias: bias, inputs: inputs, units: units, activation: act)
            case .affine:
                step.kind = .affine(scale: put(b.kernel), shift: put(b.extra))
            case .activation(.prelu):
                step.kind = .activation(.prelu(put(b.extra)))
            default:
                break
            }
            compiled.append(step)
        }
        steps = compiled
        valueCount = nextValue
        namedValues = named
        parameters = params
    }

    /// Which input (0 or 1) of an `add` node is a max pool that can absorb the add: the
    /// pool's step is still only that pool, the add is its only reader and its value is
    /// not a graph output. Its value then disappears (like a folded batch norm's input).
    private static func mergeablePool(_ add: Node, nodes: [Node], consumers: [Int], outputs: Set<String>,
                                      stepOfNode: [Int], building: [Building]) -> Int? {
        for side in 0..<2 {
            let i = add.inputs[side]
            guard i >= 0, add.inputs[1 - side] != i, consumers[i] == 1, !outputs.contains(nodes[i].spec.name),
                  stepOfNode[i] >= 0 else { continue }
            let b = building[stepOfNode[i]]
            if case .maxPool = b.step.kind, b.tailNode == i, b.step.input1 < 0, !b.removed { return side }
        }
        return nil
    }

    /// Whether node `i`, the other operand of an `add` merged into a max pool, is a plain
    /// convolution step that can run inside that pool step: read only by the add, not a
    /// graph output, not separable, and with whole 8-channel groups (the pool then adds
    /// its maxima onto the convolution's output in place, one SIMD8 slice at a time).
    private static func mergeableResidual(_ i: Int, nodes: [Node], consumers: [Int], outputs: Set<String>,
                                          stepOfNode: [Int], building: [Building]) -> Bool {
        guard i >= 0, consumers[i] == 1, !outputs.contains(nodes[i].spec.name), stepOfNode[i] >= 0 else { return false }
        let b = building[stepOfNode[i]]
        guard b.tailNode == i, !b.removed, case let .conv(c) = b.step.kind else { return false }
        return c.depthwise == nil && c.cout % 8 == 0
    }

    /// Batch norm as `y = x·scale + shift`, computed in Double:
    /// `scale = gamma / sqrt(variance + epsilon)`, `shift = beta - mean·scale`.
    private static func batchNormAffine(_ node: Node) -> (scale: [Float], shift: [Float]) {
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
