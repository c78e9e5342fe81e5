/// An activation fused into the pass that writes a layer's output.
public enum Activation {
    /// Identity.
    case none
    /// `max(x, 0)`.
    case relu
    /// `x < 0 ? alpha[c]·x : x` with one `alpha` per channel (the pointer must
    /// hold `channels` values and outlive the call).
    case prelu(UnsafePointer<Float>)
}

/// Elementwise activations and the bias + activation epilogue of conv and dense layers.
public enum Activations {
    /// Adds `bias` (one value per column, may be nil) and applies `activation`
    /// in place to a row-major `rows × cols` matrix whose rows are spatial
    /// positions and whose columns are channels.
    public static func biasActivation(
        _ data: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
        bias: UnsafePointer<Float>?, activation: Activation, pool: WorkerPool = .serial
    ) {
        if bias == nil, case .none = activation { return }
        pool.parallelFor(rows, minimumPerThread: max(1, 16_384 / max(cols, 1))) { range in
            for r in range {
                applyRow(data + r * cols, cols: cols, bias: bias, activation: activation)
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
            raw.storeBytes(of: v, toByteOffset: j * 4, as: SIMD8<Float>.self)
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
    public static func apply(
        _ activation: Activation, to data: UnsafeMutablePointer<Float>, count: Int, channels: Int,
        pool: WorkerPool = .serial
    ) {
        biasActivation(data, rows: count / max(channels, 1), cols: channels, bias: nil, activation: activation, pool: pool)
    }
}
