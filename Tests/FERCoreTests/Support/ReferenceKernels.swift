@_spi(Kernels) @testable import FERCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Plain-loop implementations of every op (test support): the truth each fast kernel is
/// tested against. Written for clarity, not speed; NHWC throughout, accumulating
/// in Double so that they are more accurate than any fast path.
enum ReferenceKernels {
    /// Direct convolution. `kernel` is `[kh, kw, cin, cout]`; padding as ``Padding``.
    static func conv2d(
        _ x: [Float], _ s: TensorShape, kernel: [Float], kh: Int, kw: Int, cout: Int, bias: [Float]?,
        stride: (Int, Int), padding: Padding
    ) -> (TensorShape, [Float])? {
        guard let g = WindowGeometry(kernel: (kh, kw), stride: stride, padding: padding, inH: s.h, inW: s.w) else { return nil }
        let os = TensorShape(n: s.n, h: g.outH, w: g.outW, c: cout)
        var y = [Float](repeating: 0, count: os.count)
        for n in 0..<s.n {
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    for co in 0..<cout {
                        var acc = Double(bias?[co] ?? 0)
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let iy = oy * g.sh - g.padTop + ky, ix = ox * g.sw - g.padLeft + kx
                                if iy < 0 || iy >= s.h || ix < 0 || ix >= s.w { continue }
                                for ci in 0..<s.c {
                                    acc +=
                                        Double(x[((n * s.h + iy) * s.w + ix) * s.c + ci])
                                        * Double(kernel[((ky * kw + kx) * s.c + ci) * cout + co])
                                }
                            }
                        }
                        y[((n * os.h + oy) * os.w + ox) * cout + co] = Float(acc)
                    }
                }
            }
        }
        return (os, y)
    }

    /// Direct depthwise convolution. `kernel` is `[kh, kw, c]`.
    static func depthwise(
        _ x: [Float], _ s: TensorShape, kernel: [Float], kh: Int, kw: Int, bias: [Float]?,
        stride: (Int, Int), padding: Padding
    ) -> (TensorShape, [Float])? {
        guard let g = WindowGeometry(kernel: (kh, kw), stride: stride, padding: padding, inH: s.h, inW: s.w) else { return nil }
        let os = TensorShape(n: s.n, h: g.outH, w: g.outW, c: s.c)
        var y = [Float](repeating: 0, count: os.count)
        for n in 0..<s.n {
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    for c in 0..<s.c {
                        var acc = Double(bias?[c] ?? 0)
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let iy = oy * g.sh - g.padTop + ky, ix = ox * g.sw - g.padLeft + kx
                                if iy < 0 || iy >= s.h || ix < 0 || ix >= s.w { continue }
                                acc += Double(x[((n * s.h + iy) * s.w + ix) * s.c + c]) * Double(kernel[(ky * kw + kx) * s.c + c])
                            }
                        }
                        y[((n * os.h + oy) * os.w + ox) * s.c + c] = Float(acc)
                    }
                }
            }
        }
        return (os, y)
    }

    /// Max pooling; positions outside the input are skipped.
    static func maxPool(_ x: [Float], _ s: TensorShape, pool: (Int, Int), stride: (Int, Int), padding: Padding) -> (TensorShape, [Float])? {
        guard let g = WindowGeometry(kernel: pool, stride: stride, padding: padding, inH: s.h, inW: s.w) else { return nil }
        let os = TensorShape(n: s.n, h: g.outH, w: g.outW, c: s.c)
        var y = [Float](repeating: -.infinity, count: os.count)
        for n in 0..<s.n {
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    for c in 0..<s.c {
                        for ky in 0..<pool.0 {
                            for kx in 0..<pool.1 {
                                let iy = oy * g.sh - g.padTop + ky, ix = ox * g.sw - g.padLeft + kx
                                if iy < 0 || iy >= s.h || ix < 0 || ix >= s.w { continue }
                                let i = ((n * os.h + oy) * os.w + ox) * s.c + c
                                y[i] = max(y[i], x[((n * s.h + iy) * s.w + ix) * s.c + c])
                            }
                        }
                    }
                }
            }
        }
        return (os, y)
    }

    /// Mean over height and width.
    static func globalAveragePool(_ x: [Float], _ s: TensorShape) -> [Float] {
        var y = [Float](repeating: 0, count: s.n * s.c)
        for n in 0..<s.n {
            for c in 0..<s.c {
                var acc = 0.0
                for i in 0..<(s.h * s.w) { acc += Double(x[(n * s.h * s.w + i) * s.c + c]) }
                y[n * s.c + c] = Float(acc / Double(s.h * s.w))
            }
        }
        return y
    }

    /// `y = x·kernel + bias` for `rows` input vectors of length `inputs`.
    static func dense(_ x: [Float], rows: Int, inputs: Int, kernel: [Float], units: Int, bias: [Float]?) -> [Float] {
        var y = [Float](repeating: 0, count: rows * units)
        for r in 0..<rows {
            for u in 0..<units {
                var acc = Double(bias?[u] ?? 0)
                for i in 0..<inputs { acc += Double(x[r * inputs + i]) * Double(kernel[i * units + u]) }
                y[r * units + u] = Float(acc)
            }
        }
        return y
    }

    /// ReLU.
    static func relu(_ x: [Float]) -> [Float] { x.map { $0 < 0 ? 0 : $0 } }

    /// PReLU with one alpha per channel.
    static func prelu(_ x: [Float], alpha: [Float]) -> [Float] {
        x.indices.map { i in x[i] < 0 ? x[i] * alpha[i % alpha.count] : x[i] }
    }

    /// Softmax over rows of length `cols`.
    static func softmax(_ x: [Float], cols: Int) -> [Float] {
        var y = x
        for r in 0..<(x.count / cols) {
            let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let m = row.max() ?? 0
            let e = row.map { Foundation_exp($0 - m) }
            let sum = e.reduce(0, +)
            for j in 0..<cols { y[r * cols + j] = Float(e[j] / sum) }
        }
        return y
    }

    /// Batch norm in inference form: `(x - mean) / sqrt(variance + eps) · gamma + beta`.
    static func batchNorm(_ x: [Float], gamma: [Float], beta: [Float], mean: [Float], variance: [Float], epsilon: Double) -> [Float] {
        let c = gamma.count
        return x.indices.map { i in
            let k = i % c
            return Float((Double(x[i]) - Double(mean[k])) / (Double(variance[k]) + epsilon).squareRoot() * Double(gamma[k]) + Double(beta[k]))
        }
    }

    /// Flatten each sample with the axes of `order` (slowest first).
    static func flatten(_ x: [Float], _ s: TensorShape, order: [Int]) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        let dims = [s.h, s.w, s.c]
        for n in 0..<s.n {
            for h in 0..<s.h {
                for w in 0..<s.w {
                    for c in 0..<s.c {
                        let idx = [h, w, c]
                        var flat = 0
                        for axis in order { flat = flat * dims[axis] + idx[axis] }
                        y[n * s.sampleCount + flat] = x[n * s.sampleCount + (h * s.w + w) * s.c + c]
                    }
                }
            }
        }
        return y
    }
}

@inline(__always) private func Foundation_exp(_ x: Double) -> Double { exp(x) }
