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
        let c = shape.c
        let rin = UnsafeRawPointer(input)
        let rk = UnsafeRawPointer(kernel)
        pool.parallelFor(shape.n * g.outH, minimumPerThread: 2) { range in
            for job in range {
                let n = job / g.outH
                let oy = job % g.outH
                let imageOffset = n * shape.sampleCount
                let iy0 = oy * g.sh - g.padTop
                let kyLo = max(0, -iy0), kyHi = min(g.kh, g.inH - iy0)
                for ox in 0..<g.outW {
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
                                    acc += input[imageOffset + ((iy0 + ky) * g.inW + ix0 + kx) * c + j] * kernel[(ky * g.kw + kx) * c + j]
                                }
                            }
                        }
                        o[j] = acc
                        j += 1
                    }
                    if case .none = activation {} else {
                        Activations.applyRow(o, cols: c, bias: nil, activation: activation)
                    }
                }
            }
        }
    }
}
