import Foundation

/// Turns a graph description and its tensors into compiled ``Step``s.
///
/// In order: (1) each layer is validated by its op family (``LayerFamily``) against the
/// tensors while shapes are inferred for the reference input, and compared with the shapes
/// the file states; (2) each layer is lowered to its own step (``CompiledStep``), value
/// `i + 1` for layer `i`; (3) the fusion passes (``GraphPasses``) rewrite the steps;
/// (4) the values are renumbered densely in step order and every step packs its weights
/// into one parameter array.
struct GraphCompiler {
    let file: SafeTensorsFile
    let graph: GraphDescription
    let referenceInput: TensorShape

    private(set) var steps: [any CompiledStep] = []
    private(set) var valueCount = 1
    private(set) var outputValues: [Int] = []
    private(set) var namedValues: [String: Int] = [:]
    private(set) var parameters: [Float] = []
    /// The first compiled step whose folded parameters are not all finite (every tensor
    /// in the file is, but batch-norm folding multiplies and divides them).
    private(set) var nonFiniteStep: String?

    private var nodes: [LayerNode] = []
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
            throw .invalidGraph(
                path: file.path, layer: graph.input.name,
                detail: "input shape \(s) has more than \(Self.maximumValueElements) elements")
        }
        referenceInput = TensorShape(h: s[0], w: s[1], c: s[2])
    }

    /// The most elements any value may have for the reference input (2^31 floats, 8 GiB:
    /// far above any real network's, low enough that no size computation can overflow).
    static let maximumValueElements = 1 << 31

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
            throw fail(
                layer,
                "folding a batch norm into this layer gives non-finite weights (a variance near zero "
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
        let check = LayerChecker(file: file)
        for spec in graph.layers {
            guard nodeIndex[spec.name] == nil, spec.name != graph.input.name else {
                throw fail(spec.name, "the layer name is used twice")
            }
            guard let op = LayerOp(rawValue: spec.op) else {
                throw fail(spec.name, "unknown op '\(spec.op)'; supported: \(LayerOp.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard spec.inputs.count == op.arity else {
                throw fail(spec.name, "op \(op.rawValue) takes \(op.arity) input(s) but lists \(spec.inputs.count)")
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
            func shape(_ i: Int) -> TensorShape { i < 0 ? referenceInput : nodes[i].outShape }
            var node = LayerNode(
                spec: spec, op: op, inputs: inputs, inShape: shape(inputs[0]),
                otherShape: inputs.count > 1 ? shape(inputs[1]) : nil, outShape: shape(inputs[0]))
            try op.family.validate(&node, check)
            let out = node.outShape
            guard let count = Self.checkedCount(out.h, out.w, out.c), count <= Self.maximumValueElements else {
                throw fail(spec.name, "the layer's output for the reference input, \(out.sampleDims), has more than \(Self.maximumValueElements) elements")
            }
            let stated = spec.shape
            let matches: Bool
            switch stated.count {
            case 1: matches = out.h == 1 && out.w == 1 && out.c == stated[0]
            case 3: matches = out.sampleDims == stated
            default: matches = false
            }
            guard matches else {
                throw fail(spec.name, "the file states output shape \(stated) but the layer computes \(out.sampleDims) for the reference input")
            }
            nodeIndex[spec.name] = nodes.count
            nodes.append(node)
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

    // MARK: Passes 2–4 — lowering, fusion, numbering and packing

    private mutating func lower() {
        // Layer i writes value i + 1; the graph input is value 0.
        let lowered: [(any CompiledStep)?] = nodes.enumerated().map { index, node in
            let io = StepIO(
                name: node.spec.name, input0: node.inputs[0] + 1,
                input1: node.inputs.count > 1 ? node.inputs[1] + 1 : -1, output: index + 1)
            return node.op.family.lower(node, io: io)
        }
        let outputLayers = Set(graph.outputs)
        let outputs = Set(nodes.indices.filter { outputLayers.contains(nodes[$0].spec.name) }.map { $0 + 1 })
        var passes = GraphPasses(steps: lowered, outputs: outputs)
        passes.run()
        var compiled = passes.compiled

        // Dense value numbers in step order: no holes where fused layers' values were.
        var number = [0: 0]
        for i in compiled.indices {
            number[compiled[i].io.output] = i + 1
            compiled[i].io.input0 = number[compiled[i].io.input0] ?? 0
            if compiled[i].io.input1 >= 0 { compiled[i].io.input1 = number[compiled[i].io.input1] ?? 0 }
            compiled[i].io.output = i + 1
        }
        var packer = ParameterPacker()
        // Packed kernels pad the channels to whole panels of 8, at most 8 times the weights (a
        // 1-channel output), plus each block's alignment: reserved (address space, not touched),
        // so that the array never grows by copying.
        packer.reserve(
            compiled.reduce(0) { total, step in
                let w = step.pending
                return total + 8 * (w.kernel.count + (w.bias?.count ?? 0) + (w.alpha?.count ?? 0) + (w.extra?.count ?? 0)) + 4 * 16
            })
        for i in compiled.indices {
            if nonFiniteStep == nil, !compiled[i].pending.isFinite { nonFiniteStep = compiled[i].io.name }
            compiled[i].pack(into: &packer)
        }
        steps = compiled
        valueCount = compiled.count + 1
        namedValues = Dictionary(uniqueKeysWithValues: compiled.map { ($0.io.name, $0.io.output) })
        parameters = packer.values
    }
}
