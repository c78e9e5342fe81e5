/// im2col for convolutions whose windows reach into padding: one row per output position,
/// `KH·KW·C` columns in (ky, kx, c) order, padding read as 0. ``PackedConvolution`` lowers such
/// convolutions in blocks whose slice stays in the L2 cache, then runs its tiles on the block
/// as a plain matrix.
@_spi(Kernels) public enum Im2col {
    /// Floats of the whole im2col matrix ``im2col(input:shape:geometry:into:pool:)`` writes.
    public static func count(shape: TensorShape, geometry g: WindowGeometry) -> Int {
        shape.n * g.outH * g.outW * g.kh * g.kw * shape.c
    }

    /// Rows per block: an im2col slice of about `blockBytes`, at least 64 rows; independent of
    /// the thread count.
    static func blockRows(k: Int) -> Int { max(64, blockBytes / (4 * max(k, 1))) }

    /// Target bytes of one block's im2col slice (a quarter of a 512 KiB L2, leaving room for the
    /// packed weights and the output tile).
    static let blockBytes = 128 * 1024

    /// Writes the im2col matrix of `input`: one row per output position
    /// (`n·outH·outW` rows), `KH·KW·C` columns in (ky, kx, c) order; padding reads as 0.
    public static func im2col(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        into col: UnsafeMutablePointer<Float>, pool: WorkerPool = .serial
    ) {
        let rows = shape.n * g.outH * g.outW
        pool.parallelFor(rows, minimumPerThread: 64, Rows(input: input, shape: shape, g: g, col: col))
    }

    /// Lowers output positions `range` (flattened over n, oy, ox) into `col + p·rowLength`.
    struct Rows: ParallelBody {
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
}
