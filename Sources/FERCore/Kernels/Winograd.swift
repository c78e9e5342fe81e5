import CFERKernels

/// 3×3 stride-1 convolutions (no padding, or TensorFlow's 'same': one pixel of zeros all
/// round) by Winograd's minimal filtering F(m×m, 3×3)
/// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each m×m block
/// of outputs takes `(m + 2)²` products per input and output channel instead of `9m²`:
/// F(2×2, 3×3) 16 for 4 outputs (2.25× fewer multiply-adds), F(4×4, 3×3) 36 for 16 (4× fewer;
/// the networks use it, ``Tile/preferred``). MTCNN spends most of its time in such
/// convolutions (P-Net's second and third, R-Net's second, O-Net's second and third), whose few
/// channels keep the direct kernel at the CPU's multiply-add peak already: fewer multiply-adds
/// is what is left to gain. mini-Xception's second convolution (8 → 8) runs this way too, and
/// so do all of fernet's but the first ('same' padding: the input is first copied into a
/// zero-bordered buffer at the front of the scratch, a 1-2 % extra pass over the input, and the
/// unpadded convolution runs over that).
///
/// The output is tiled into m×m blocks (the last row or column of blocks may hang over the edge
/// when a size is not a multiple of m). Per block of tiles, each thread
/// 1. transforms each tile's α×α input pixels (α = m + 2), `V = Bᵀ d B`, into `α²` planes of
///    `tiles × cin` values (``CFERKernels`` `fer_winograd_input`);
/// 2. multiplies plane `k` by the transformed kernel `U_k = (G g Gᵀ)_k`, a `cin × cout`
///    matrix packed at load time, with ``PackedConvolution``'s register tiles (a 1×1
///    convolution of the plane), giving `α²` planes `M_k` of `tiles × cout` values;
/// 3. transforms back, `Y = Aᵀ M A`, adds the bias, applies ReLU or PReLU and stores the
///    outputs that lie inside the image (`fer_winograd_output`).
///
/// Every output is computed the same way whatever the thread count, the block size or the
/// register width: the transforms are the same operations in the same order on both paths
/// (adds, subtracts and, for F(4×4), fused multiply-adds by 2, 4, 5 and 8), and the products
/// are the tiles' fixed-order sums. The results differ from the direct convolution's by
/// rounding (the transforms combine values before the products): in MTCNN's networks by at
/// most about 1e-5 with F(4×4, 3×3), against the goldens' 1e-4 (KernelTests and GoldenTests
/// check both). The generic path (no AVX2) keeps the direct convolution.
@_spi(Kernels) public enum Winograd {
    /// The output tile: F(2×2, 3×3) (16 products per 4 outputs, 2.25× fewer than direct) or
    /// F(4×4, 3×3) (36 per 16, 4× fewer; its transforms scale values by up to 5 and 8, so
    /// its rounding errors are larger, ~1e-5 against the direct kernel's ~1e-6 in MTCNN).
    public enum Tile: Int, Sendable, CaseIterable {
        case two = 2
        case four = 4

        /// Outputs per tile side, `m`.
        var m: Int { rawValue }
        /// Input pixels per tile side, `α = m + 2`.
        var alpha: Int { rawValue + 2 }
        /// Transformed values (and products) per tile, `α²`.
        var planes: Int { alpha * alpha }

        /// The tile the networks use: F(4×4, 3×3). On MTCNN's layers it needs fewer products
        /// than F(2×2, 3×3) even where 4×4 tiles hang over small outputs (R-Net's 9×9: 9 tiles
        /// of 36 products against 25 of 16), its transforms cost about the same per output, and
        /// the detector measured 0.85-0.88× F(2×2)'s time (Docs/Performance.md). F(2×2, 3×3)
        /// stays available, tested, for callers that want its smaller rounding errors.
        public static let preferred = Tile.four
    }

    /// Whether a convolution of `cin` → `cout` channels with window `kernel`/`stride`/`padding`
    /// is worth computing this way (the weights are then packed for it too): 3×3, stride 1,
    /// no padding or 'same' padding, at least 8 input and 8 output channels (with fewer, the
    /// transforms and the short products cost more than the multiply-adds they save;
    /// mini-Xception's 8 → 8 convolution gains: the whole network took 0.96-0.98× the time
    /// with it).
    public static func suits(kernel: (Int, Int), stride: (Int, Int), padding: Padding, cin: Int, cout: Int) -> Bool {
        kernel == (3, 3) && stride == (1, 1) && (padding == .valid || padding == .same) && cin >= 8 && cout >= 8
    }

    /// The floats the transformed kernels take once packed.
    public static func packedCount(cin: Int, cout: Int, tile: Tile) -> Int { tile.planes * planeCount(cin: cin, cout: cout) }

    /// Floats between two packed transformed kernels (each 16-float aligned).
    static func planeCount(cin: Int, cout: Int) -> Int { (PackedConvolution.packedCount(k: cin, cout: cout) + 15) & ~15 }

    /// `G` of F(m×m, 3×3) (Lavin and Gray's; for m = 4 the points 0, ±1, ±2).
    static func kernelTransform(_ tile: Tile) -> [[Double]] {
        switch tile {
        case .two: return [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        case .four:
            return [
                [1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]
            ]
        }
    }

    /// Transforms a Keras `[3, 3, cin, cout]` kernel, `U = G g Gᵀ` per input and output channel
    /// (in double precision, `G g` first, rounded once), and packs each of the `α²` `cin × cout`
    /// matrices with ``PackedConvolution/pack(_:k:cout:)`` into `destination`
    /// (``packedCount(cin:cout:tile:)`` floats).
    public static func pack(_ kernel: UnsafePointer<Float>, cin: Int, cout: Int, tile: Tile, into destination: UnsafeMutablePointer<Float>) {
        let g = kernelTransform(tile).flatMap { $0 }
        let alpha = tile.alpha, count = cin * cout
        // The α² matrices side by side, `[α·a + b][ci][co]`, each computed once per channel pair.
        var transformed = [Float](repeating: 0, count: tile.planes * count)
        g.withUnsafeBufferPointer { g in
            transformed.withUnsafeMutableBufferPointer { u in
                var gk = [Double](repeating: 0, count: alpha * 3)
                gk.withUnsafeMutableBufferPointer { gk in
                    for ci in 0..<cin {
                        for co in 0..<cout {
                            let at = ci * cout + co
                            // (G g)[a][v] = Σ_u G[a][u] g[u][v]
                            for a in 0..<alpha {
                                for v in 0..<3 {
                                    var sum = 0.0
                                    for w in 0..<3 { sum += g[a * 3 + w] * Double(kernel[(w * 3 + v) * count + at]) }
                                    gk[a * 3 + v] = sum
                                }
                            }
                            // U[a][b] = Σ_v (G g)[a][v] G[b][v]
                            for a in 0..<alpha {
                                for b in 0..<alpha {
                                    let sum = gk[a * 3] * g[b * 3] + gk[a * 3 + 1] * g[b * 3 + 1] + gk[a * 3 + 2] * g[b * 3 + 2]
                                    u[(a * alpha + b) * count + at] = Float(sum)
                                }
                            }
                        }
                    }
                }
            }
        }
        let stride = planeCount(cin: cin, cout: cout)
        transformed.withUnsafeBufferPointer { u in
            guard let u = u.baseAddress else { return }
            for k in 0..<tile.planes {
                let target = destination + k * stride
                target.initialize(repeating: 0, count: stride)
                PackedConvolution.pack(u + k * count, k: cin, cout: cout, into: target)
            }
        }
    }

    /// Tiles per block: the block's `α²` input and product planes, `α²·tiles·(cin + cout)`
    /// floats, stay within about 128 KB, well inside the L2 cache (larger blocks measured no
    /// faster, 256 KB for F(4×4) included, and this scratch is a fixed cost of every workspace),
    /// in whole register tiles of 12, and no more than a thread's share of the `tiles`, so that
    /// small inputs (a P-Net strip, R-Net's batch) split among the threads and take scratch in
    /// proportion to their size.
    static func blockTiles(cin: Int, cout: Int, tiles: Int, threads: Int, tile: Tile) -> Int {
        let cap = max(12, min(240, 32_768 / (tile.planes * max(1, paddedInputs(cin) + cout))) / 12 * 12)
        let share = (tiles + max(1, threads) - 1) / max(1, threads)
        return min(cap, max(12, (share + 11) / 12 * 12))
    }

    /// The most scratch floats a convolution of `cin` → `cout` channels takes on `threads`
    /// threads, whatever its input's size (blocks are capped): a workspace's fixed cost.
    static func scratchBound(cin: Int, cout: Int, threads: Int, tile: Tile) -> Int {
        let block = blockTiles(cin: cin, cout: cout, tiles: Int.max / 2, threads: 1, tile: tile)
        return tile.planes * block * (paddedInputs(cin) + cout) * max(1, threads)
    }

    /// Output tiles (m×m outputs each) of a convolution over `shape` with window `g`.
    static func tileCount(_ shape: TensorShape, _ g: WindowGeometry, _ tile: Tile) -> Int {
        shape.n * ((g.outH + tile.m - 1) / tile.m) * ((g.outW + tile.m - 1) / tile.m)
    }

    /// Floats per tile in a transformed input plane: `cin` rounded up to whole vectors of 8, so
    /// that the transform stores whole vectors.
    static func paddedInputs(_ cin: Int) -> Int { (cin + 7) & ~7 }

    /// Scratch floats ``conv2d(input:shape:geometry:packed:tile:bias:cout:activation:output:scratch:pool:isa:)``
    /// needs for a convolution of `cout` channels over `shape` with window `geometry` on
    /// `threads` threads (with 'same' padding, the zero-bordered copy of the input too).
    public static func scratchCount(shape: TensorShape, geometry: WindowGeometry, cout: Int, threads: Int, tile: Tile) -> Int {
        let block = blockTiles(cin: shape.c, cout: cout, tiles: tileCount(shape, geometry, tile), threads: threads, tile: tile)
        return bordered(shape, geometry).floats + tile.planes * block * (paddedInputs(shape.c) + cout) * max(1, threads)
    }

    /// The input as the unpadded convolution reads it: for a padded window, the shape of the
    /// zero-bordered copy (`outH + 2` × `outW + 2`, the padding at `padTop`/`padLeft`), its
    /// unpadded window and the scratch floats it takes (whole 64-byte lines); otherwise the
    /// input itself and no scratch.
    static func bordered(_ shape: TensorShape, _ g: WindowGeometry) -> (shape: TensorShape, geometry: WindowGeometry, floats: Int) {
        guard g.padTop != 0 || g.padLeft != 0 || g.outH + 2 != g.inH || g.outW + 2 != g.inW,
            let valid = WindowGeometry(kernel: (3, 3), stride: (1, 1), padding: .valid, inH: g.outH + 2, inW: g.outW + 2)
        else { return (shape, g, 0) }
        let copy = TensorShape(n: shape.n, h: valid.inH, w: valid.inW, c: shape.c)
        return (copy, valid, (copy.count + 15) & ~15)
    }

    /// Copies `input` (`shape`) into `copy` (`bordered.shape`) with zeros around it: rows and
    /// columns `padTop`/`padLeft` from the top/left, the rest of the border at the bottom/right.
    static func border(
        _ input: UnsafePointer<Float>, _ shape: TensorShape, _ g: WindowGeometry, into copy: UnsafeMutablePointer<Float>,
        _ bordered: TensorShape
    ) {
        let c = shape.c, rowFloats = shape.w * c, paddedRow = bordered.w * c
        let left = g.padLeft * c, right = paddedRow - left - rowFloats
        for n in 0..<shape.n {
            let source = input + n * shape.sampleCount
            let target = copy + n * bordered.sampleCount
            target.update(repeating: 0, count: g.padTop * paddedRow)
            for y in 0..<shape.h {
                let row = target + (g.padTop + y) * paddedRow
                row.update(repeating: 0, count: left)
                (row + left).update(from: source + y * rowFloats, count: rowFloats)
                (row + left + rowFloats).update(repeating: 0, count: right)
            }
            let below = g.padTop + shape.h
            (target + below * paddedRow).update(repeating: 0, count: (bordered.h - below) * paddedRow)
        }
    }

    /// Convolves `input` (`shape`, NHWC) with a kernel packed by ``pack(_:cin:cout:tile:into:)``
    /// for the same `tile` into `output`, adding `bias` (padded to whole panels of 8, or nil)
    /// and applying `activation`. `geometry` must be one that
    /// ``suits(kernel:stride:padding:cin:cout:)`` accepts and `isa` AVX2 or AVX-512; `scratch`
    /// holds ``scratchCount(shape:geometry:cout:threads:tile:)`` floats for the pool's thread
    /// count.
    public static func conv2d(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry, packed: UnsafePointer<Float>, tile: Tile,
        bias: UnsafePointer<Float>?, cout: Int, activation: Activation, output: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, pool: WorkerPool, isa: InstructionSet
    ) {
        let tilesY = (g.outH + tile.m - 1) / tile.m, tilesX = (g.outW + tile.m - 1) / tile.m
        let tiles = tileCount(shape, g, tile)
        guard tiles > 0, cout > 0 else { return }
        let block = blockTiles(cin: shape.c, cout: cout, tiles: tiles, threads: pool.threads, tile: tile)
        // 'same': the unpadded convolution over a zero-bordered copy (the same output size).
        let (readShape, readGeometry, copyFloats) = bordered(shape, g)
        if copyFloats > 0 { border(input, shape, g, into: scratch, readShape) }
        let body = Blocks(
            input: copyFloats > 0 ? UnsafePointer(scratch) : input, shape: readShape, g: readGeometry, tile: tile,
            tilesY: tilesY, tilesX: tilesX, tiles: tiles, block: block,
            packed: packed, kernelStride: planeCount(cin: shape.c, cout: cout), cout: cout,
            epilogue: PackedConvolution.Epilogue(bias: bias, activation: activation), output: output,
            scratch: scratch + copyFloats, isa: isa)
        pool.parallelFor((tiles + block - 1) / block, body)
    }

    /// The blocks of tiles, each done whole by one thread in its own scratch.
    struct Blocks: ParallelBody {
        let input: UnsafePointer<Float>
        let shape: TensorShape
        let g: WindowGeometry
        let tile: Tile
        let tilesY: Int, tilesX: Int, tiles: Int, block: Int
        let packed: UnsafePointer<Float>
        let kernelStride: Int
        let cout: Int
        let epilogue: PackedConvolution.Epilogue
        let output: UnsafeMutablePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let isa: InstructionSet

        func run(_ range: Range<Int>) { run(range, worker: 0) }

        func run(_ range: Range<Int>, worker: Int) {
            let cin = shape.c, stride = Winograd.paddedInputs(cin), planes = tile.planes, m = tile.m
            let transformed = scratch + worker * planes * block * (stride + cout)
            let products = transformed + planes * block * stride
            let none = PackedConvolution.Epilogue(bias: nil, activation: .none)
            let source = PackedConvolution.Operand(kh: 1, run: cin, rowStride: 0)
            var e = epilogue.c
            for b in range {
                let first = b * block
                let count = min(block, tiles - first)
                if isa == .avx512 {
                    fer_avx512_winograd_input(
                        input, shape.sampleCount, g.inH, g.inW, cin, m, tilesY, tilesX, first, count, transformed, stride)
                } else {
                    fer_avx2_winograd_input(
                        input, shape.sampleCount, g.inH, g.inW, cin, m, tilesY, tilesX, first, count, transformed, stride)
                }
                for k in 0..<planes {
                    // Value k of every tile: cin floats, α² values apart.
                    PackedConvolution.tiles(
                        0..<count, k: cin, cout: cout, packed: packed + k * kernelStride, epilogue: none,
                        output: products + k * block * cout, source: source,
                        rows: PackedConvolution.MatrixCursor(base: UnsafePointer(transformed + k * stride), first: 0, k: planes * stride),
                        isa: isa)
                }
                if isa == .avx512 {
                    fer_avx512_winograd_output(
                        products, block * cout, m, tilesY, tilesX, first, count, cout, g.outH, g.outW, &e, output)
                } else {
                    fer_avx2_winograd_output(
                        products, block * cout, m, tilesY, tilesX, first, count, cout, g.outH, g.outW, &e, output)
                }
            }
        }
    }
}
