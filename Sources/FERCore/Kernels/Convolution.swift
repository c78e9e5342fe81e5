import COpenBLAS

/// Standard 2-D convolution in NHWC: SIMD im2col into a scratch buffer, then
/// `cblas_sgemm`; 1×1 stride-1 convolutions skip im2col entirely.
///
/// The kernel is `[KH, KW, Cin, Cout]` (Keras' layout), which viewed as a
/// `(KH·KW·Cin) × Cout` row-major matrix is exactly GEMM's B operand, and an
/// im2col row for NHWC input is KH runs of `KW·Cin` contiguous floats.
///
/// The output rows (spatial positions) are processed in blocks whose im2col slice
/// stays in the L2 cache: each block is lowered, multiplied and given its bias and
/// activation before the next, and the blocks are shared among the pool's threads.
/// OpenBLAS itself runs on one thread (see ``Engine``), so no call allocates and each
/// output element is summed in the same order whatever the thread count.
public enum Convolution {
    /// Floats of scratch ``conv2d(input:shape:geometry:kernel:bias:cout:activation:output:scratch:pool:)``
    /// needs for this input and window on a pool of `threads` threads: one im2col block per
    /// thread (0 for a 1×1 stride-1 unpadded convolution, which needs no im2col).
    public static func scratchCount(shape: TensorShape, geometry g: WindowGeometry, threads: Int) -> Int {
        if isPointwise(g) { return 0 }
        let m = shape.n * g.outH * g.outW
        let k = g.kh * g.kw * shape.c
        return min(m, blockRows(k: k)) * k * max(1, threads)
    }

    /// Floats of the whole im2col matrix ``im2col(input:shape:geometry:into:pool:)`` writes.
    public static func im2colCount(shape: TensorShape, geometry g: WindowGeometry) -> Int {
        shape.n * g.outH * g.outW * g.kh * g.kw * shape.c
    }

    /// Rows per block: an im2col slice of about `blockBytes`, at least 64 rows. It must not
    /// depend on the thread count: OpenBLAS's result for an element can depend on the M of
    /// the call it is in (edge kernels), and results must be identical for every thread count.
    static func blockRows(k: Int) -> Int { max(64, blockBytes / (4 * max(k, 1))) }

    static func isPointwise(_ g: WindowGeometry) -> Bool {
        g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.padTop == 0 && g.padLeft == 0
    }

    /// Target bytes of one block's im2col slice (a quarter of a 512 KiB L2, leaving room for B and C).
    static let blockBytes = 128 * 1024

    /// Writes the im2col matrix of `input`: one row per output position
    /// (`n·outH·outW` rows), `KH·KW·C` columns in (ky, kx, c) order; padding reads as 0.
    public static func im2col(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        into col: UnsafeMutablePointer<Float>, pool: WorkerPool = .serial
    ) {
        let rows = shape.n * g.outH * g.outW
        pool.parallelFor(rows, minimumPerThread: 64, Im2colRows(input: input, shape: shape, g: g, col: col))
    }

    /// Lowers output positions `range` (flattened over n, oy, ox) into `col + p·rowLength`.
    struct Im2colRows: ParallelBody {
        let input: UnsafePointer<Float>
        let shape: TensorShape
        let g: WindowGeometry
        let col: UnsafeMutablePointer<Float>
        /// The output position whose row is at `col` (rows before it are not stored).
        var first = 0

        func run(_ range: Range<Int>) {
            let c = shape.c
            let rowLen = g.kh * g.kw * c
            let runLen = g.kw * c
            let perImage = g.outH * g.outW
            var dst = col + (range.lowerBound - first) * rowLen
            for p in range {
                let n = p / perImage
                let oy = (p % perImage) / g.outW
                let ox = p % g.outW
                let image = input + n * shape.sampleCount
                let ix0 = ox * g.sw - g.padLeft
                let inside = ix0 >= 0 && ix0 + g.kw <= g.inW
                for ky in 0..<g.kh {
                    let iy = oy * g.sh - g.padTop + ky
                    let out = dst + ky * runLen
                    if iy < 0 || iy >= g.inH {
                        out.update(repeating: 0, count: runLen)
                    } else if inside {
                        out.update(from: image + (iy * g.inW + ix0) * c, count: runLen)
                    } else {
                        for kx in 0..<g.kw {
                            let ix = ix0 + kx
                            if ix < 0 || ix >= g.inW {
                                (out + kx * c).update(repeating: 0, count: c)
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

    /// Convolves `input` (`shape`) with `kernel` (`[KH·KW·Cin, cout]`) into
    /// `output` (`n × outH × outW × cout`), adding `bias` and applying `activation`.
    ///
    /// - Parameter scratch: at least ``scratchCount(shape:geometry:threads:)`` floats for the
    ///   pool's thread count (one im2col block per thread).
    public static func conv2d(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>?, cout: Int,
        activation: Activation, output: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>?, pool: WorkerPool = .serial
    ) {
        let m = shape.n * g.outH * g.outW
        let k = g.kh * g.kw * shape.c
        let pointwise = isPointwise(g)
        guard pointwise || scratch != nil else { preconditionFailure("conv2d needs im2col scratch for a \(g.kh)x\(g.kw) window") }
        let blockRows = Self.blockRows(k: k)
        let blocks = (m + blockRows - 1) / blockRows
        let body = ConvBlocks(input: input, shape: shape, g: g, kernel: kernel, bias: bias, cout: cout, k: k, m: m,
                              blockRows: blockRows, activation: activation, output: output,
                              scratch: pointwise ? nil : scratch)
        pool.parallelFor(blocks, body)
    }

    struct ConvBlocks: ParallelBody {
        let input: UnsafePointer<Float>
        let shape: TensorShape
        let g: WindowGeometry
        let kernel: UnsafePointer<Float>
        let bias: UnsafePointer<Float>?
        let cout: Int, k: Int, m: Int, blockRows: Int
        let activation: Activation
        let output: UnsafeMutablePointer<Float>
        let scratch: UnsafeMutablePointer<Float>?

        func run(_ range: Range<Int>) { run(range, slot: 0) }

        func run(_ range: Range<Int>, slot: Int) {
            // Each slot lowers its blocks, one after another, into its own region.
            let region = scratch.map { $0 + slot * min(m, blockRows) * k }
            for block in range {
                let lo = block * blockRows
                let hi = min(m, lo + blockRows)
                let a: UnsafePointer<Float>
                if let region {
                    Im2colRows(input: input, shape: shape, g: g, col: region, first: lo).run(lo..<hi)
                    a = UnsafePointer(region)
                } else {
                    a = input + lo * k
                }
                let c = output + lo * cout
                gemm(m: hi - lo, n: cout, k: k, a: a, b: kernel, c: c)
                Activations.applyRows(c, rows: hi - lo, cols: cout, bias: bias, activation: activation)
            }
        }
    }

    /// `C = A·B` for row-major `A (m×k)`, `B (k×n)`, `C (m×n)` through OpenBLAS.
    @inline(__always)
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), 1, a, blasint(k), b, blasint(n), 0, c, blasint(n))
    }
}
