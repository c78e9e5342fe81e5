/// An activation fused into the pass that writes a layer's output.
@_spi(Kernels) public enum Activation {
    /// Identity.
    case none
    /// `max(x, 0)`.
    case relu
    /// `x < 0 ? alpha[c]·x : x` with one `alpha` per channel (the pointer must
    /// hold `channels` values and outlive the call).
    case prelu(UnsafePointer<Float>)

    /// True for ``none``.
    public var isIdentity: Bool {
        if case .none = self { return true }
        return false
    }
}

/// Elementwise activations and the bias + activation epilogue of conv and dense layers.
enum Activations {
    /// Adds `bias` (one value per column, may be nil) and applies `activation`
    /// in place to a row-major `rows × cols` matrix whose rows are spatial
    /// positions and whose columns are channels.
    static func biasActivation(
        _ data: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
        bias: UnsafePointer<Float>?, activation: Activation, pool: WorkerPool = .serial
    ) {
        if bias == nil, case .none = activation { return }
        pool.parallelFor(
            rows, minimumPerThread: max(1, 16_384 / max(cols, 1)),
            BiasActivationRows(data: data, cols: cols, bias: bias, activation: activation))
    }

    private struct BiasActivationRows: ParallelBody {
        let data: UnsafeMutablePointer<Float>
        let cols: Int
        let bias: UnsafePointer<Float>?
        let activation: Activation
        func run(_ range: Range<Int>) {
            applyRows(data + range.lowerBound * cols, rows: range.count, cols: cols, bias: bias, activation: activation)
        }
    }

    /// Bias + activation over `rows` consecutive rows of `cols` channels. Rows whose
    /// width is a multiple of 8 go row by row; narrow or odd widths (P-Net's 10, 16+…)
    /// are treated as one flat stream with the per-channel vectors tiled to a period
    /// of lcm(cols, 8), so every load is a full SIMD8 (the tile lives on the stack).
    static func applyRows(_ data: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>?, activation: Activation) {
        if bias == nil && activation.isIdentity { return }
        if cols % 8 == 0 || rows < 8 || cols > 256 {
            for r in 0..<rows { applyRow(data + r * cols, cols: cols, bias: bias, activation: activation) }
            return
        }
        var period = cols
        while period % 8 != 0 { period += cols }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * period) { tile in
            guard let t = tile.baseAddress else { return }
            var alpha: UnsafePointer<Float>? = nil
            if case .prelu(let a) = activation { alpha = a }
            for i in 0..<period {
                t[i] = bias?[i % cols] ?? 0
                t[period + i] = alpha?[i % cols] ?? 0
            }
            let total = rows * cols
            let raw = UnsafeMutableRawPointer(data)
            let rt = UnsafeRawPointer(t)
            var i = 0
            var phase = 0
            while i + 8 <= total {
                var v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                if bias != nil { v += rt.loadUnaligned(fromByteOffset: phase * 4, as: SIMD8<Float>.self) }
                switch activation {
                case .none: break
                case .relu: v.replace(with: 0, where: v .< 0)
                case .prelu:
                    let a = rt.loadUnaligned(fromByteOffset: (period + phase) * 4, as: SIMD8<Float>.self)
                    v.replace(with: v * a, where: v .< 0)
                }
                (raw + i * 4).storeFloats8(v)
                i += 8
                phase += 8
                if phase == period { phase = 0 }
            }
            while i < total {
                let c = i % cols
                var v = data[i]
                if let bias { v += bias[c] }
                switch activation {
                case .none: break
                case .relu: if v < 0 { v = 0 }
                case .prelu(let a): if v < 0 { v *= a[c] }
                }
                data[i] = v
                i += 1
            }
        }
    }

    @inline(__always)
    static func applyRow(_ row: UnsafeMutablePointer<Float>, cols: Int, bias: UnsafePointer<Float>?, activation: Activation) {
        var j = 0
        let raw = UnsafeMutableRawPointer(row)
        while j + 8 <= cols {
            var v = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            if let bias { v += UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) }
            switch activation {
            case .none: break
            case .relu: v.replace(with: 0, where: v .< 0)
            case .prelu(let alpha):
                let a = UnsafeRawPointer(alpha).loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                v.replace(with: v * a, where: v .< 0)
            }
            (raw + j * 4).storeFloats8(v)
            j += 8
        }
        while j < cols {
            var v = row[j]
            if let bias { v += bias[j] }
            switch activation {
            case .none: break
            case .relu: if v < 0 { v = 0 }
            case .prelu(let alpha): if v < 0 { v *= alpha[j] }
            }
            row[j] = v
            j += 1
        }
    }

    /// Applies `activation` elementwise to `count` values whose channel count is
    /// `channels` (PReLU's alpha repeats with that period).
    static func apply(
        _ activation: Activation, to data: UnsafeMutablePointer<Float>, count: Int, channels: Int,
        pool: WorkerPool = .serial
    ) {
        biasActivation(data, rows: count / max(channels, 1), cols: channels, bias: nil, activation: activation, pool: pool)
    }
}
