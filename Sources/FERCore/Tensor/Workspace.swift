/// A read-only view of a tensor inside a ``Workspace``.
///
/// The memory belongs to the workspace and is valid until its next `run`;
/// copy it with ``toTensor()`` to keep it.
public struct TensorView {
    /// The tensor's shape.
    public let shape: TensorShape
    /// The elements in NHWC order.
    public let buffer: UnsafeBufferPointer<Float>

    /// The element at batch `n`, row `y`, column `x`, channel `c`.
    public subscript(n: Int, y: Int, x: Int, c: Int) -> Float {
        buffer[((n * shape.h + y) * shape.w + x) * shape.c + c]
    }

    /// Copies the view into an owning ``Tensor``.
    public func toTensor() -> Tensor {
        var t = Tensor(shape: shape)
        t.scalars.withUnsafeMutableBufferPointer { dst in
            if let base = buffer.baseAddress, let d = dst.baseAddress { d.update(from: base, count: buffer.count) }
        }
        return t
    }
}

/// The activation memory and execution state for running one ``Network``.
///
/// A workspace plans, per input shape, where every intermediate value lives in
/// one arena (values whose lifetimes do not overlap share memory), and keeps
/// the plan: after the first call for a shape, `run` allocates nothing.
/// A workspace is used by one thread at a time; give each thread its own.
public final class Workspace {
    /// The network this workspace runs.
    public let network: Network
    /// The threads used by FERCore's own loops (im2col, depthwise, pooling).
    public let pool: WorkerPool
    /// The instruction set of the kernels this workspace runs (default: the best this CPU has,
    /// ``InstructionSet/current``). AVX2 and AVX-512 give bit-identical results.
    public let instructionSet: InstructionSet
    /// The largest arena, in bytes, a single input may need (default 2 GiB).
    public var memoryLimit = 2 << 30

    private var arena: UnsafeMutablePointer<Float>
    private var arenaCount = 0
    private var plans: [TensorShape: Plan] = [:]
    private var active: Plan?

    private struct Plan {
        var shapes: [TensorShape]
        var windows: [WindowGeometry?]
        var offsets: [Int]
        var scratchOffset: Int
        var total: Int
    }

    /// True when every intermediate value stays readable after a run (see
    /// ``value(named:)``); otherwise values share memory once they are dead.
    public let keepsIntermediateValues: Bool

    /// Creates a workspace for `network`.
    ///
    /// - Parameters:
    ///   - network: the compiled network to run.
    ///   - pool: supplies the threads for FERCore's own loops.
    ///   - keepsIntermediateValues: give every layer output its own memory so
    ///     that all of them can be inspected after a run (tests, debugging);
    ///     costs memory, not time.
    ///   - instructionSet: the kernels' instruction set, at most ``InstructionSet/supported``
    ///     (a higher one is lowered to it).
    public init(
        network: Network, pool: WorkerPool = .serial, keepsIntermediateValues: Bool = false,
        instructionSet: InstructionSet = .current
    ) {
        self.network = network
        self.pool = pool
        self.instructionSet = min(instructionSet, .supported)
        self.keepsIntermediateValues = keepsIntermediateValues
        arena = ArenaMemory.allocate(16)
        arenaCount = 16
    }

    deinit { ArenaMemory.deallocate(arena, count: arenaCount) }

    /// The bytes the arena currently holds.
    public var arenaBytes: Int { arenaCount * 4 }

    /// Prepares the plan for `shape` (allocating only the first time) and returns
    /// the input buffer to fill before calling ``run()``.
    public func prepare(inputShape shape: TensorShape) throws(NetworkError) -> UnsafeMutableBufferPointer<Float> {
        let plan = try plan(for: shape)
        active = plan
        return UnsafeMutableBufferPointer(start: arena + plan.offsets[0], count: shape.count)
    }

    /// Runs the network on the input most recently written through ``prepare(inputShape:)``.
    public func run() {
        guard let plan = active else { return }
        execute(plan)
    }

    /// Copies `input` (`shape`, NHWC) into the workspace and runs the network.
    public func run(_ input: UnsafeBufferPointer<Float>, shape: TensorShape) throws(NetworkError) {
        guard input.count == shape.count else {
            throw .bufferSizeMismatch(network: network.name, expected: shape.count, actual: input.count)
        }
        let dst = try prepare(inputShape: shape)
        if let src = input.baseAddress, let d = dst.baseAddress { d.update(from: src, count: shape.count) }
        run()
    }

    /// Runs the network on `input` and returns copies of its outputs, in order.
    public func run(_ input: Tensor) throws(NetworkError) -> [Tensor] {
        let shape = input.shape
        try input.scalars.withUnsafeBufferPointer { (buffer) throws(NetworkError) in
            try run(buffer, shape: shape)
        }
        return (0..<network.outputValues.count).map { output($0).toTensor() }
    }

    /// Output `index` of the last run (see ``Network/outputNames``).
    public func output(_ index: Int) -> TensorView {
        view(of: network.outputValues[index])
    }

    /// The output of the layer called `name` in the last run, or nil when that
    /// layer was fused into another (see ``Network/inspectableLayerNames``) or,
    /// unless the workspace keeps intermediate values, when it is not a network output.
    public func value(named name: String) -> TensorView? {
        guard let v = network.namedValues[name] else { return nil }
        guard keepsIntermediateValues || network.outputValues.contains(v) else { return nil }
        return view(of: v)
    }

    private func view(of value: Int) -> TensorView {
        guard let plan = active else { return TensorView(shape: TensorShape(n: 0, h: 0, w: 0, c: 0), buffer: UnsafeBufferPointer(start: nil, count: 0)) }
        let shape = plan.shapes[value]
        return TensorView(shape: shape, buffer: UnsafeBufferPointer(start: arena + plan.offsets[value], count: shape.count))
    }

    // MARK: Planning

    private func plan(for shape: TensorShape) throws(NetworkError) -> Plan {
        if let plan = plans[shape] { return plan }
        let (shapes, windows) = try network.inferShapes(input: shape)
        let steps = network.steps
        // Last step that reads each value; outputs live to the end.
        var lastUse = [Int](repeating: -1, count: network.valueCount)
        lastUse[0] = 0
        for (i, step) in steps.enumerated() {
            lastUse[step.io.input0] = max(lastUse[step.io.input0], i)
            if step.io.input1 >= 0 { lastUse[step.io.input1] = max(lastUse[step.io.input1], i) }
        }
        for v in network.outputValues { lastUse[v] = Int.max }
        if keepsIntermediateValues { lastUse = lastUse.map { _ in Int.max } }
        var offsets = [Int](repeating: 0, count: network.valueCount)
        var live: [(offset: Int, end: Int, value: Int)] = []
        func align(_ x: Int) -> Int { (x + 15) & ~15 }
        func place(_ value: Int) {
            let size = align(shapes[value].count)
            var candidate = 0
            for block in live.sorted(by: { $0.offset < $1.offset }) {
                if candidate + size <= block.offset { break }
                candidate = max(candidate, block.end)
            }
            offsets[value] = candidate
            live.append((candidate, candidate + size, value))
        }
        place(0)
        var scratch = 0
        var peak = 0
        for (i, step) in steps.enumerated() {
            let io = step.io
            place(io.output)
            scratch = max(
                scratch,
                step.scratchCount(
                    shapes[io.input0], io.input1 >= 0 ? shapes[io.input1] : nil,
                    window: windows[i], threads: pool.threads))
            peak = max(peak, live.map(\.end).max() ?? 0)
            live.removeAll { lastUse[$0.value] <= i }
        }
        let total = align(peak) + align(scratch)
        guard total.multipliedReportingOverflow(by: 4).overflow == false, total * 4 <= memoryLimit else {
            throw .inputTooLarge(
                network: network.name, shape: shape, bytes: total.multipliedReportingOverflow(by: 4).partialValue,
                limit: memoryLimit)
        }
        if total > arenaCount {
            ArenaMemory.deallocate(arena, count: arenaCount)
            arena = ArenaMemory.allocate(total)
            arenaCount = total
        }
        let plan = Plan(shapes: shapes, windows: windows, offsets: offsets, scratchOffset: align(peak), total: total)
        plans[shape] = plan
        return plan
    }

    // MARK: Execution

    private func execute(_ plan: Plan) {
        let params = UnsafePointer(network.parameters)
        let base = arena
        let scratch = base + plan.scratchOffset
        let none = TensorShape(n: 0, h: 0, w: 0, c: 0)
        for (i, step) in network.steps.enumerated() {
            let io = step.io
            let two = io.input1 >= 0
            step.run(
                StepContext(
                    parameters: params, input0: base + plan.offsets[io.input0], shape0: plan.shapes[io.input0],
                    input1: two ? base + plan.offsets[io.input1] : nil, shape1: two ? plan.shapes[io.input1] : none,
                    output: base + plan.offsets[io.output], outputShape: plan.shapes[io.output],
                    window: plan.windows[i], scratch: scratch, pool: pool, isa: instructionSet))
        }
    }
}
