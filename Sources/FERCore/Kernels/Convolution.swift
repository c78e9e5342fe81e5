import COpenBLAS

/// Standard 2-D convolution in NHWC: SIMD im2col into a scratch buffer, then one
/// `cblas_sgemm`; 1×1 stride-1 convolutions skip im2col entirely.
///
/// The kernel is `[KH, KW, Cin, Cout]` (Keras' layout), which viewed as a
/// `(KH·KW·Cin) × Cout` row-major matrix is exactly GEMM's B operand, and an
/// im2col row for NHWC input is KH runs of `KW·Cin` contiguous floats.
public enum Convolution {
    /// Floats of scratch `conv2d` needs for this input and window (0 for 1×1 stride 1 unpadded).
    public static func scratchCount(shape: TensorShape, geometry g: WindowGeometry) -> Int {
        if isPointwise(g) { return 0 }
        return shape.n * g.outH * g.outW * g.kh * g.kw * shape.c
    }

    static func isPointwise(_ g: WindowGeometry) -> Bool {
        g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.padTop == 0 && g.padLeft == 0
    }

    /// Writes the im2col matrix of `input`: one row per output position
    /// (`n·outH·outW` rows), `KH·KW·C` columns in (ky, kx, c) order; padding reads as 0.
    public static func im2col(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        into col: UnsafeMutablePointer<Float>, pool: WorkerPool = .serial
    ) {
        let c = shape.c
        let rowLen = g.kh * g.kw * c
        let runLen = g.kw * c
        let rowsPerImage = g.outH
        pool.parallelFor(shape.n * rowsPerImage, minimumPerThread: 4) { range in
            for job in range {
                let n = job / rowsPerImage
                let oy = job % rowsPerImage
                let image = input + n * shape.sampleCount
                var dst = col + ((n * g.outH + oy) * g.outW) * rowLen
                for ox in 0..<g.outW {
                    let ix0 = ox * g.sw - g.padLeft
                    let inside = ix0 >= 0 && ix0 + g.kw <= g.inW
                    for ky in 0..<g.kh {
                        let iy = oy * g.sh - g.padTop + ky
                        let out = dst + ky * runLen
                        if iy < 0 || iy >= g.inH {
                            out.initialize(repeating: 0, count: runLen)
                        } else if inside {
                            out.update(from: image + (iy * g.inW + ix0) * c, count: runLen)
                        } else {
                            for kx in 0..<g.kw {
                                let ix = ix0 + kx
                                if ix < 0 || ix >= g.inW {
                                    (out + kx * c).initialize(repeating: 0, count: c)
                                } else {
                                    (out + kx * c).update(from: image + (iy * g.inW + ix) * c, count: c)
                                }
                            }
                        }
                    }
                    dst += rowLen
                }
            }
        }
    }

    /// Convolves `input` (`shape`) with `kernel` (`[KH·KW·Cin, cout]`) into
    /// `output` (`n × outH × outW × cout`), adding `bias` and applying `activation`.
    ///
    /// - Parameter scratch: at least ``scratchCount(shape:geometry:)`` floats.
    public static func conv2d(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>?, cout: Int,
        activation: Activation, output: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>?, pool: WorkerPool = .serial
    ) {
        let m = shape.n * g.outH * g.outW
        let k = g.kh * g.kw * shape.c
        let a: UnsafePointer<Float>
        if isPointwise(g) {
            a = input
        } else {
            guard let scratch else { preconditionFailure("conv2d needs im2col scratch for a \(g.kh)x\(g.kw) window") }
            im2col(input: input, shape: shape, geometry: g, into: scratch, pool: pool)
            a = UnsafePointer(scratch)
        }
        gemm(m: m, n: cout, k: k, a: a, b: kernel, c: output)
        Activations.biasActivation(output, rows: m, cols: cout, bias: bias, activation: activation, pool: pool)
    }

    /// `C = A·B` for row-major `A (m×k)`, `B (k×n)`, `C (m×n)` through OpenBLAS.
    @inline(__always)
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), 1, a, blasint(k), b, blasint(n), 0, c, blasint(n))
    }
}
