/// Depthwise 2-D convolution (one filter per channel, depth multiplier 1) in
/// NHWC, as a direct loop vectorised over channels with `SIMD8<Float>`.
public enum Depthwise {
    /// Convolves each channel of `input` with its own `KH × KW` filter.
    ///
    /// - Parameters:
    ///   - kernel: `[KH, KW, C]` weights.
    ///   - bias: `C` values or nil.
    ///   - output: `n × outH × outW × C`.
    public static func conv2d(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: Activation,
        output: UnsafeMutablePointer<Float>, pool: WorkerPool = .serial
    ) {
        pool.parallelFor(shape.n * g.outH, minimumPerThread: 2,
                         Rows(input: input, shape: shape, g: g, kernel: kernel, bias: bias, activation: activation, output: output))
    }

    /// Output rows (flattened over n, oy) of a depthwise convolution.
    struct Rows: ParallelBody {
        let input: UnsafePointer<Float>
        let shape: TensorShape
        let g: WindowGeometry
        let kernel: UnsafePointer<Float>
        let bias: UnsafePointer<Float>?
        let activation: Activation
        let output: UnsafeMutablePointer<Float>

        func run(_ range: Range<Int>) {
            for job in range {
                let n = job / g.outH
                let oy = job % g.outH
                let iy0 = oy * g.sh - g.padTop
                // Columns whose whole window lies inside the image.
                let oxA = min(g.outW, max(0, (g.padLeft + g.sw - 1) / g.sw))
                let oxB = max(oxA, min(g.outW, (g.inW - g.kw + g.padLeft) / g.sw + 1))
                let rowInside = iy0 >= 0 && iy0 + g.kh <= g.inH
                if rowInside && g.kh == 3 && g.kw == 3 && shape.c % 8 == 0 && oxA < oxB {
                    for ox in 0..<oxA { pixel(n: n, oy: oy, ox: ox) }
                    interior3x3(n: n, oy: oy, columns: oxA..<oxB)
                    for ox in oxB..<g.outW { pixel(n: n, oy: oy, ox: ox) }
                } else {
                    for ox in 0..<g.outW { pixel(n: n, oy: oy, ox: ox) }
                }
            }
        }

        /// The common case, a 3×3 window fully inside the image and channels in
        /// multiples of 8: for each 8-channel slice the nine weight vectors stay in
        /// registers while the row's pixels stream past.
        @inline(__always)
        private func interior3x3(n: Int, oy: Int, columns: Range<Int>) {
            let c = shape.c
            let rin = UnsafeRawPointer(input)
            let rk = UnsafeRawPointer(kernel)
            let iy0 = oy * g.sh - g.padTop
            let rowStride = g.inW * c * 4
            let base = (n * shape.sampleCount + iy0 * g.inW * c) * 4
            let out = UnsafeMutableRawPointer(output + (n * g.outH + oy) * g.outW * c)
            var j = 0
            while j < c {
                let w0 = rk.loadUnaligned(fromByteOffset: (0 * c + j) * 4, as: SIMD8<Float>.self)
                let w1 = rk.loadUnaligned(fromByteOffset: (1 * c + j) * 4, as: SIMD8<Float>.self)
                let w2 = rk.loadUnaligned(fromByteOffset: (2 * c + j) * 4, as: SIMD8<Float>.self)
                let w3 = rk.loadUnaligned(fromByteOffset: (3 * c + j) * 4, as: SIMD8<Float>.self)
                let w4 = rk.loadUnaligned(fromByteOffset: (4 * c + j) * 4, as: SIMD8<Float>.self)
                let w5 = rk.loadUnaligned(fromByteOffset: (5 * c + j) * 4, as: SIMD8<Float>.self)
                let w6 = rk.loadUnaligned(fromByteOffset: (6 * c + j) * 4, as: SIMD8<Float>.self)
                let w7 = rk.loadUnaligned(fromByteOffset: (7 * c + j) * 4, as: SIMD8<Float>.self)
                let w8 = rk.loadUnaligned(fromByteOffset: (8 * c + j) * 4, as: SIMD8<Float>.self)
                let b = bias.map { UnsafeRawPointer($0).loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) }
                    ?? SIMD8<Float>(repeating: 0)
                for ox in columns {
                    let p = base + ((ox * g.sw - g.padLeft) * c + j) * 4
                    // Same tap order as the general path (ky outer, kx inner), so
                    // interior and border pixels round identically.
                    var acc = b
                    acc.addProduct(rin.loadUnaligned(fromByteOffset: p, as: SIMD8<Float>.self), w0)
                    acc.addProduct(rin.loadUnaligned(fromByteOffset: p + c * 4, as: SIMD8<Float>.self), w1)
                    acc.addProduct(rin.loadUnaligned(fromByteOffset: p + c * 8, as: SIMD8<Float>.self), w2)
                    acc.addProduct(rin.loadUnaligned(fromByteOffset: p + rowStride, as: SIMD8<Float>.self), w3)
                    acc.addProduct(rin.loadUnaligned(fromByteOffset: p + rowStride + c * 4, as: SIMD8<Float>.self), w4)
                    acc.addProduct(rin.loadUnaligned(fromByteOffset: p + rowStride + c * 8, as: SIMD8<Float>.self), w5)
                    acc.addProduct(rin.loadUnaligned(fromByteOffset: p + 2 * rowStride, as: SIMD8<Float>.self), w6)
                    acc.addProduct(rin.loadUnaligned(fromByteOffset: p + 2 * rowStride + c * 4, as: SIMD8<Float>.self), w7)
                    acc.addProduct(rin.loadUnaligned(fromByteOffset: p + 2 * rowStride + c * 8, as: SIMD8<Float>.self), w8)
                    switch activation {
                    case .none: break
                    case .relu: acc.replace(with: 0, where: acc .< 0)
                    case .prelu(let alpha):
                        let a = UnsafeRawPointer(alpha).loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                        acc.replace(with: acc * a, where: acc .< 0)
                    }
                    out.storeBytes(of: acc, toByteOffset: (ox * c + j) * 4, as: SIMD8<Float>.self)
                }
                j += 8
            }
        }

        /// One output pixel, any window, taps clipped at the border.
        private func pixel(n: Int, oy: Int, ox: Int) {
            let c = shape.c
            let rin = UnsafeRawPointer(input)
            let rk = UnsafeRawPointer(kernel)
            let imageOffset = n * shape.sampleCount
            let iy0 = oy * g.sh - g.padTop
            let kyLo = max(0, -iy0), kyHi = min(g.kh, g.inH - iy0)
            let ix0 = ox * g.sw - g.padLeft
            let kxLo = max(0, -ix0), kxHi = min(g.kw, g.inW - ix0)
            let o = output + ((n * g.outH + oy) * g.outW + ox) * c
            var j = 0
            while j + 8 <= c {
                var acc = SIMD8<Float>(repeating: 0)
                if let bias { acc = UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) }
                if kyLo < kyHi && kxLo < kxHi {
                    for ky in kyLo..<kyHi {
                        let rowBase = imageOffset + ((iy0 + ky) * g.inW + ix0) * c + j
                        for kx in kxLo..<kxHi {
                            let x = rin.loadUnaligned(fromByteOffset: (rowBase + kx * c) * 4, as: SIMD8<Float>.self)
                            let w = rk.loadUnaligned(fromByteOffset: ((ky * g.kw + kx) * c + j) * 4, as: SIMD8<Float>.self)
                            acc.addProduct(x, w)
                        }
                    }
                }
                UnsafeMutableRawPointer(o).storeBytes(of: acc, toByteOffset: j * 4, as: SIMD8<Float>.self)
                j += 8
            }
            while j < c {
                var acc: Float = bias?[j] ?? 0
                if kyLo < kyHi && kxLo < kxHi {
                    for ky in kyLo..<kyHi {
                        for kx in kxLo..<kxHi {
                            acc = acc.addingProduct(input[imageOffset + ((iy0 + ky) * g.inW + ix0 + kx) * c + j],
                                                    kernel[(ky * g.kw + kx) * c + j])
                        }
                    }
                }
                o[j] = acc
                j += 1
            }
            if !activation.isIdentity {
                Activations.applyRow(o, cols: c, bias: nil, activation: activation)
            }
        }
    }
}
