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

    let steps: [any CompiledStep]
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
        let context = ShapeContext(network: name, input: input)
        for (i, step) in steps.enumerated() {
            let io = step.io
            (shapes[io.output], windows[i]) = try step.infer(shapes[io.input0], io.input1 >= 0 ? shapes[io.input1] : nil, context)
        }
        return (shapes, windows)
    }

    /// The MAC count, saturating at `Int.max` (a file's graph may describe absurd sizes).
    private static func countMACs(steps: [any CompiledStep], shapes: [TensorShape]) -> Int {
        steps.reduce(0) { total, step in
            let io = step.io
            return MACCount.sum(total, step.macs(shapes[io.input0], io.input1 >= 0 ? shapes[io.input1] : nil, shapes[io.output]))
        }
    }
}

extension Network {
    /// One line per compiled step: its layer name, values, operation and fusions, for diagnostics.
    public var stepDescriptions: [String] {
        steps.map { "\($0.io.name): v\($0.io.input0) → v\($0.io.output) \($0.summary)" }
    }
}
