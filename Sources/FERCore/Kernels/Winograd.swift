import CFERKernels

/// 3×3 stride-1 convolutions without padding by Winograd's minimal filtering F(2×2, 3×3)
/// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2 block of
/// outputs takes 16 products per input and output channel instead of 36, 2.25× fewer
/// multiply-adds. MTCNN spends most of its time in such convolutions (P-Net's second and third,
/// R-Net's second, O-Net's second and third), whose few channels keep the direct kernel at the
/// CPU's multiply-add peak already: fewer multiply-adds is what is left to gain.
///
/// The output is tiled into 2×2 blocks (the last row or column of blocks may hang over the edge
/// when a size is odd). Per block of tiles, each thread
/// 1. transforms each tile's 4×4 input pixels, `V = Bᵀ d B` (adds only), into 16 planes of
///    `tiles × cin` values (``CFERKernels`` `fer_winograd_input`);
/// 2. multiplies plane `k` by the transformed kernel `U_k = (G g Gᵀ)_k`, a `cin × cout`
///    matrix packed at load time, with ``PackedConvolution``'s register tiles (a 1×1
///    convolution of the plane), giving 16 planes `M_k` of `tiles × cout` values;
/// 3. transforms back, `Y = Aᵀ M A`, adds the bias, applies ReLU or PReLU and stores the
///    outputs that lie inside the image (`fer_winograd_output`).
///
/// Every output is computed the same way whatever the thread count, the block size or the
/// register width: the transforms are the same AVX2 code on both paths, and the products are
/// the tiles' fixed-order sums. The results differ from the direct convolution's by rounding
/// (the transforms add and subtract values before the products): in MTCNN's networks by at
/// most a few 1e-6, against the goldens' 1e-4 (KernelTests and GoldenTests check both).
/// The generic path (no AVX2) keeps the direct convolution.
@_spi(Kernels) public enum Winograd {
    /// Transformed values per tile (a 4×4 input patch).
    static let planes = 16

    /// Whether a convolution of `cin` → `cout` channels with window `kernel`/`stride`/`padding`
    /// is worth computing this way (the weights are then packed for it too): 3×3, stride 1,
    /// no padding, at least 8 input and 16 output channels (with fewer, the transforms and the
    /// short products cost more than the multiply-adds they save).
    public static func suits(kernel: (Int, Int), stride: (Int, Int), padding: Padding, cin: Int, cout: Int) -> Bool {
        kernel == (3, 3) && stride == (1, 1) && padding == .valid && cin >= 8 && cout >= 16
    }

    /// The floats the 16 transformed kernels take once packed.
    public static func packedCount(cin: Int, cout: Int) -> Int { planes * planeCount(cin: cin, cout: cout) }

    /// Floats between two packed transformed kernels (each 16-float aligned).
    static func planeCount(cin: Int, cout: Int) -> Int { (PackedConvolution.packedCount(k: cin, cout: cout) + 15) & ~15 }

    /// Transforms a Keras `[3, 3, cin, cout]` kernel, `U = G g Gᵀ` per input and output channel
    /// (in double precision, rounded once), and packs each of the 16 `cin × cout` matrices
    /// with ``PackedConvolution/pack(_:k:cout:)`` into `destination`
    /// (``packedCount(cin:cout:)`` floats).
    public static func pack(_ kernel: UnsafePointer<Float>, cin: Int, cout: Int, into destination: UnsafeMutablePointer<Float>) {
        // G = [[1, 0, 0], [½, ½, ½], [½, -½, ½], [0, 0, 1]].
        let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        let stride = planeCount(cin: cin, cout: cout)
        var matrix = [Float](repeating: 0, count: cin * cout)
        for a in 0..<4 {
            for b in 0..<4 {
                for ci in 0..<cin {
                    for co in 0..<cout {
                        var sum = 0.0
                        for u in 0..<3 {
                            for v in 0..<3 where g[a][u] != 0 && g[b][v] != 0 {
                                sum += g[a][u] * Double(kernel[((u * 3 + v) * cin + ci) * cout + co]) * g[b][v]
                            }
                        }
                        matrix[ci * cout + co] = Float(sum)
                    }
                }
                let target = destination + (a * 4 + b) * stride
                target.initialize(repeating: 0, count: stride)
                matrix.withUnsafeBufferPointer { m in
                    if let m = m.baseAddress { PackedConvolution.pack(m, k: cin, cout: cout, into: target) }
                }
            }
        }
    }

    /// Tiles per block: the block's 16 input and 16 product planes, `16·tiles·(cin + cout)`
    /// floats, stay within about 128 KB (well inside the L2 cache; larger blocks measured no
    /// faster, and this scratch is a fixed cost of every workspace), in whole register tiles of 12, and no
    /// more than a thread's share of the `tiles`, so that small inputs (a P-Net strip, R-Net's
    /// batch) split among the threads and take scratch in proportion to their size.
    static func blockTiles(cin: Int, cout: Int, tiles: Int, threads: Int) -> Int {
        let cap = max(12, min(240, 2048 / max(1, paddedInputs(cin) + cout)) / 12 * 12)
        let share = (tiles + max(1, threads) - 1) / max(1, threads)
        return min(cap, max(12, (share + 11) / 12 * 12))
    }

    /// The most scratch floats a convolution of `cin` → `cout` channels takes on `threads`
    /// threads, whatever its input's size (blocks are capped): a workspace's fixed cost.
    static func scratchBound(cin: Int, cout: Int, threads: Int) -> Int {
        planes * blockTiles(cin: cin, cout: cout, tiles: Int.max / 2, threads: 1) * (paddedInputs(cin) + cout) * max(1, threads)
    }

    /// Output tiles (2×2 outputs each) of a convolution over `shape` with window `g`.
    static func tileCount(_ shape: TensorShape, _ g: WindowGeometry) -> Int { shape.n * ((g.outH + 1) / 2) * ((g.outW + 1) / 2) }

    /// Floats per tile in a transformed input plane: `cin` rounded up to whole vectors of 8, so
    /// that the transform stores whole vectors.
    static func paddedInputs(_ cin: Int) -> Int { (cin + 7) & ~7 }

    /// Scratch floats ``conv2d(input:shape:geometry:packed:bias:cout:activation:output:scratch:pool:isa:)``
    /// needs for a convolution of `cout` channels over `shape` with window `geometry` on
    /// `threads` threads.
    public static func scratchCount(shape: TensorShape, geometry: WindowGeometry, cout: Int, threads: Int) -> Int {
        let block = blockTiles(cin: shape.c, cout: cout, tiles: tileCount(shape, geometry), threads: threads)
        return planes * block * (paddedInputs(shape.c) + cout) * max(1, threads)
    }

    /// Convolves `input` (`shape`, NHWC) with a kernel packed by ``pack(_:cin:cout:into:)``
    /// into `output`, adding `bias` (padded to whole panels of 8, or nil) and applying
    /// `activation`. `geometry` must be one that ``suits(kernel:stride:padding:cin:cout:)``
    /// accepts and `isa` AVX2 or AVX-512; `scratch` holds
    /// ``scratchCount(shape:geometry:cout:threads:)`` floats for the pool's thread count.
    public static func conv2d(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry, packed: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, cout: Int, activation: Activation, output: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, pool: WorkerPool, isa: InstructionSet
    ) {
        let tilesY = (g.outH + 1) / 2, tilesX = (g.outW + 1) / 2
        let tiles = tileCount(shape, g)
        guard tiles > 0, cout > 0 else { return }
        let block = blockTiles(cin: shape.c, cout: cout, tiles: tiles, threads: pool.threads)
        let body = Blocks(
            input: input, shape: shape, g: g, tilesY: tilesY, tilesX: tilesX, tiles: tiles, block: block,
            packed: packed, kernelStride: planeCount(cin: shape.c, cout: cout), cout: cout,
            epilogue: PackedConvolution.Epilogue(bias: bias, activation: activation), output: output,
            scratch: scratch, isa: isa)
        pool.parallelFor((tiles + block - 1) / block, body)
    }

    /// The blocks of tiles, each done whole by one thread in its own scratch.
    struct Blocks: ParallelBody {
        let input: UnsafePointer<Float>
        let shape: TensorShape
        let g: WindowGeometry
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
            let cin = shape.c, stride = Winograd.paddedInputs(cin)
            let transformed = scratch + worker * Winograd.planes * block * (stride + cout)
            let products = transformed + Winograd.planes * block * stride
            let none = PackedConvolution.Epilogue(bias: nil, activation: .none)
            let source = PackedConvolution.Operand(kh: 1, run: cin, rowStride: 0)
            var e = epilogue.c
            for b in range {
                let first = b * block
                let count = min(block, tiles - first)
                if isa == .avx512 {
                    fer_avx512_winograd_input(
                        input, shape.sampleCount, g.inH, g.inW, cin, tilesY, tilesX, first, count, transformed, stride)
                } else {
                    fer_avx2_winograd_input(
                        input, shape.sampleCount, g.inH, g.inW, cin, tilesY, tilesX, first, count, transformed, stride)
                }
                for k in 0..<Winograd.planes {
                    // Value k of every tile: cin floats, 16 values apart.
                    PackedConvolution.tiles(
                        0..<count, k: cin, cout: cout, packed: packed + k * kernelStride, epilogue: none,
                        output: products + k * block * cout, source: source,
                        rows: PackedConvolution.MatrixCursor(base: UnsafePointer(transformed + k * stride), first: 0, k: Winograd.planes * stride),
                        isa: isa)
                }
                if isa == .avx512 {
                    fer_avx512_winograd_output(products, block * cout, tilesY, tilesX, first, count, cout, g.outH, g.outW, &e, output)
                } else {
                    fer_avx2_winograd_output(products, block * cout, tilesY, tilesX, first, count, cout, g.outH, g.outW, &e, output)
                }
            }
        }
    }
}
