#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Softmax over the last (channel) axis.
enum Softmax {
    /// Replaces each row of `rows × cols` values by its softmax, computed as
    /// `exp(x - max) / Σ exp(x - max)` for stability, in place or into `output`.
    ///
    /// Two columns (MTCNN's face/no-face scores, one row per P-Net cell) skip the exponential
    /// of the larger value, which is `exp(0) = 1` exactly: the same values as the general loop,
    /// with one `expf` per row instead of two. Rows with a non-finite value take the general loop.
    static func forward(input: UnsafePointer<Float>, rows: Int, cols: Int, output: UnsafeMutablePointer<Float>) {
        if cols == 2 {
            for r in 0..<rows {
                let x0 = input[2 * r], x1 = input[2 * r + 1]
                guard x0.isFinite && x1.isFinite else {
                    general(input: input + 2 * r, rows: 1, cols: 2, output: output + 2 * r)
                    continue
                }
                // The general loop: m = max, e_j = exp(x_j − m) (1 for the larger), sum in order.
                let e0: Float = x0 >= x1 ? 1 : expf(x0 - x1)
                let e1: Float = x0 >= x1 ? expf(x1 - x0) : 1
                let inv = 1 / (e0 + e1)
                output[2 * r] = e0 * inv
                output[2 * r + 1] = e1 * inv
            }
            return
        }
        general(input: input, rows: rows, cols: cols, output: output)
    }

    /// The general loop of ``forward(input:rows:cols:output:)``.
    static func general(input: UnsafePointer<Float>, rows: Int, cols: Int, output: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let x = input + r * cols
            let y = output + r * cols
            var m = -Float.infinity
            for j in 0..<cols { m = Swift.max(m, x[j]) }
            var sum: Float = 0
            for j in 0..<cols {
                let e = expf(x[j] - m)
                y[j] = e
                sum += e
            }
            let inv = 1 / sum
            for j in 0..<cols { y[j] *= inv }
        }
    }
}
