#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Softmax over the last (channel) axis.
enum Softmax {
    /// Replaces each row of `rows × cols` values by its softmax, computed as
    /// `exp(x - max) / Σ exp(x - max)` for stability, in place or into `output`.
    static func forward(input: UnsafePointer<Float>, rows: Int, cols: Int, output: UnsafeMutablePointer<Float>) {
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
