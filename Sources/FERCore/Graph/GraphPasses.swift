/// The compiler's fusion passes: each rewrites the lowered steps of a graph, one pattern
/// per pass, without changing what the network computes.
///
/// A step that absorbs the step reading its output takes over that step's output value
/// and name, so the value of every layer that stays visible keeps its number. A value is
/// only fused away when exactly one step reads it and it is not a graph output.
/// Absorbed steps become `nil` and are dropped when the passes end.
struct GraphPasses {
    var steps: [(any CompiledStep)?]
    /// Values the caller needs after the run (the graph's outputs).
    let outputs: Set<Int>

    /// The passes, in the order ``GraphCompiler`` runs them. Folding comes first (an
    /// activation fused into a convolution would block the batch norm after it), the
    /// residual tail last (it absorbs convolutions with everything already fused into them).
    static let order: [(name: String, run: @Sendable (inout GraphPasses) -> Void)] = [
        ("fold batch norm", { $0.foldBatchNorm() }),
        ("fuse activation", { $0.fuseActivations() }),
        ("fuse separable", { $0.fuseSeparable() }),
        ("fuse residual tail", { $0.fuseResidualTail() })
    ]

    /// Runs every pass of ``order``.
    mutating func run() {
        for pass in Self.order { pass.run(&self) }
    }

    /// The surviving steps, in order.
    var compiled: [any CompiledStep] { steps.compactMap { $0 } }

    // MARK: Helpers

    /// How many steps read each value (an `add` of a value to itself counts twice).
    private func readers() -> [Int: Int] {
        var count: [Int: Int] = [:]
        for case let step? in steps {
            count[step.io.input0, default: 0] += 1
            if step.io.input1 >= 0 { count[step.io.input1, default: 0] += 1 }
        }
        return count
    }

    /// The index of the step producing `value`, if it may be fused away: one reader, not an output.
    private func soleProducer(of value: Int, _ readers: [Int: Int]) -> Int? {
        guard value > 0, readers[value] == 1, !outputs.contains(value) else { return nil }
        return steps.firstIndex { $0?.io.output == value }
    }

    /// Step `i` absorbs step `j` (which reads its output): it takes `j`'s output and name.
    private mutating func absorb(_ j: Int, into i: Int, _ step: any CompiledStep) {
        guard let absorbed = steps[j] else { return }
        var s = step
        s.io.output = absorbed.io.output
        s.io.name = absorbed.io.name
        steps[i] = s
        steps[j] = nil
    }

    // MARK: The passes

    /// A batch norm (an ``AffineStep``) right after a convolution with no activation yet
    /// is folded into its weights: `kernel·scale`, `bias·scale + shift`.
    mutating func foldBatchNorm() {
        var readers = readers()
        for j in steps.indices {
            guard let affine = steps[j] as? AffineStep, let i = soleProducer(of: affine.io.input0, readers),
                var target = steps[i], target.foldsBatchNorm, case .none? = target.fusedActivation
            else { continue }
            target.fold(scale: affine.pending.kernel, shift: affine.pending.extra ?? [])
            readers[affine.io.input0] = nil
            absorb(j, into: i, target)
        }
    }

    /// A ReLU or PReLU right after a step that can apply one (convolutions, dense) runs in
    /// that step's output loop.
    mutating func fuseActivations() {
        var readers = readers()
        for j in steps.indices {
            guard let act = steps[j] as? ActivationStep, let i = soleProducer(of: act.io.input0, readers),
                var target = steps[i], case .none? = target.fusedActivation
            else { continue }
            target.fuse(act.activation, alpha: act.pending.alpha)
            readers[act.io.input0] = nil
            absorb(j, into: i, target)
        }
    }

    /// A depthwise convolution without bias or activation whose only reader is a 1×1,
    /// stride-1 convolution becomes one ``SeparableConvolutionStep`` (the depthwise output
    /// is never stored).
    mutating func fuseSeparable() {
        var readers = readers()
        for j in steps.indices {
            guard let pointwise = steps[j] as? ConvolutionStep, pointwise.window == .pointwise,
                let i = soleProducer(of: pointwise.io.input0, readers),
                let depthwise = steps[i] as? DepthwiseConvolutionStep, depthwise.pending.bias == nil,
                case .none = depthwise.activation
            else { continue }
            var weights = pointwise.output.pending
            weights.extra = depthwise.pending.kernel
            var fused = SeparableConvolutionStep(
                io: depthwise.io, window: depthwise.window, cout: pointwise.output.cout,
                pending: weights, activation: pointwise.output.activation)
            fused.io.input1 = -1
            readers[pointwise.io.input0] = nil
            absorb(j, into: i, fused)
        }
    }

    /// `add(max_pool(x), r)` becomes one ``MaxPoolAddStep``; when `r` is a plain
    /// convolution with whole 8-channel groups read only by that add, it joins too, as a
    /// ``ResidualTailStep`` (a residual block's conv, pool and add in one pass).
    mutating func fuseResidualTail() {
        var readers = readers()
        for j in steps.indices {
            guard let add = steps[j] as? AddStep else { continue }
            let operands = [add.io.input0, add.io.input1]
            for side in 0..<2 {
                let pooled = operands[side], other = operands[1 - side]
                guard pooled != other, let p = soleProducer(of: pooled, readers),
                    let pool = steps[p] as? MaxPoolStep
                else { continue }
                var fused: any CompiledStep = MaxPoolAddStep(
                    io: StepIO(name: add.io.name, input0: pool.io.input0, input1: other, output: add.io.output),
                    window: pool.window)
                steps[p] = nil
                readers[pooled] = nil
                if let c = soleProducer(of: other, readers), let conv = steps[c] as? ConvolutionStep, conv.output.cout % 8 == 0 {
                    fused = ResidualTailStep(
                        io: StepIO(name: add.io.name, input0: pool.io.input0, input1: conv.io.input0, output: add.io.output),
                        poolWindow: pool.window, convolution: conv)
                    steps[c] = nil
                    readers[other] = nil
                }
                steps[j] = fused
                break
            }
        }
    }
}
