import CFERKernels

/// Standard 2-D convolution in NHWC with FERCore's own register-tiled kernel: the
/// weights are packed once, at load time, into panels of 8 output channels (two panels
/// interleaved), and each output tile is summed in registers: 6 positions × 16 channels in
/// 12 AVX2 registers, or 12 × 32 in 24 AVX-512 registers, whichever the CPU has
/// (``InstructionSet``; the tiles themselves are C, in CFERKernels).
///
/// Why not im2col + a BLAS `sgemm`: the convolutions of MTCNN and
/// mini-Xception have few output channels (2–128) and short reductions (9–1152),
/// where OpenBLAS spends much of each call packing its operands, and im2col copies
/// the input up to nine times. Here a convolution without padding reads its input
/// in place ("implicit GEMM": output position `p`'s window is `kh` runs of `kw·cin`
/// contiguous floats of the NHWC input), the weights are already packed, and bias
/// and activation are applied to the registers before the one store.
///
/// Every output element is the sum over `(ky, kx, ci)` in that order, one FMA per
/// term, whatever the tiling, the register width or the thread count: results are
/// bit-identical for every `WorkerPool` size and between the AVX2 and AVX-512 paths. The
/// generic path (CPUs without FMA) multiplies and adds separately, so its results differ from
/// theirs by rounding. They differ from the BLAS path only by summation
/// order (a few ulp); the network goldens check both against TensorFlow.
///
/// Convolutions whose window reaches into padding (TF 'same' with a non-zero pad)
/// are lowered by ``Im2col/im2col(input:shape:geometry:into:pool:)`` in blocks
/// that fit the L2 cache, then run through the same kernel as a plain matrix.
@_spi(Kernels) public enum PackedConvolution {
    /// Output channels per packed weight panel.
    public static let panelWidth = 8
    /// Output positions per register tile.
    static let tileRows = 6

    /// Output channels rounded up to whole panels: the length of a padded bias or
    /// PReLU alpha vector.
    public static func paddedChannels(_ cout: Int) -> Int { (cout + panelWidth - 1) / panelWidth * panelWidth }

    /// Packs a row-major `[k, cout]` kernel (Keras' `[KH, KW, Cin, Cout]` viewed as a
    /// matrix) into `ceil(cout / 8)` panels of 8 output channels, the missing channels of the
    /// last panel zero. Two panels are interleaved, `[k][16]` per pair (one AVX-512 register,
    /// or two AVX2 registers, per step of the reduction); a lone last panel is `[k][8]`.
    /// Panel `p` starts at ``panelOffset(_:k:)``.
    public static func pack(_ kernel: [Float], k: Int, cout: Int) -> [Float] {
        precondition(kernel.count == k * cout, "pack: \(kernel.count) weights for a \(k)×\(cout) kernel")
        return [Float](unsafeUninitializedCapacity: packedCount(k: k, cout: cout)) { buffer, count in
            kernel.withUnsafeBufferPointer { src in
                if let s = src.baseAddress, let d = buffer.baseAddress { pack(s, k: k, cout: cout, into: d) }
            }
            count = buffer.count
        }
    }

    /// The floats a kernel with reduction length `k` and `cout` outputs takes once packed.
    public static func packedCount(k: Int, cout: Int) -> Int { paddedChannels(cout) * k }

    /// ``pack(_:k:cout:)`` from `kernel` (`k·cout` floats) into `destination`
    /// (``packedCount(k:cout:)`` floats, every one written: the padding lanes with zeros).
    /// Row by row, each a copy of up to 16 contiguous weights.
    public static func pack(_ kernel: UnsafePointer<Float>, k: Int, cout: Int, into destination: UnsafeMutablePointer<Float>) {
        let panels = paddedChannels(cout) / panelWidth
        var panel = 0
        while panel < panels {
            let width = panel + 1 < panels ? 2 * panelWidth : panelWidth
            let first = panel * panelWidth
            let real = min(width, cout - first)
            var d = destination + panelOffset(panel, k: k)
            var s = kernel + first
            for _ in 0..<k {
                d.update(from: s, count: real)
                if real < width { (d + real).update(repeating: 0, count: width - real) }
                d += width
                s += cout
            }
            panel += width / panelWidth
        }
    }

    /// Where panel `p` (even: the first of a pair, or a lone last panel) starts in a kernel
    /// packed by ``pack(_:k:cout:)`` with reduction length `k`.
    @inline(__always)
    public static func panelOffset(_ p: Int, k: Int) -> Int { (p / 2) * k * 2 * panelWidth }

    /// A per-channel vector (bias or PReLU alpha) zero-padded to whole panels; nil becomes zeros.
    public static func padChannels(_ values: [Float]?, cout: Int) -> [Float] {
        var padded = [Float](repeating: 0, count: paddedChannels(cout))
        if let values { for c in 0..<min(cout, values.count) { padded[c] = values[c] } }
        return padded
    }

    /// True when every window lies inside the input, so the input can be read in place.
    public static func readsInPlace(_ g: WindowGeometry) -> Bool {
        g.padTop == 0 && g.padLeft == 0 && (g.outH - 1) * g.sh + g.kh <= g.inH && (g.outW - 1) * g.sw + g.kw <= g.inW
    }

    /// Floats of scratch ``conv2d(input:shape:geometry:packed:bias:cout:activation:output:scratch:pool:)``
    /// needs: none when the input is read in place, else one L2-sized im2col block per thread.
    public static func scratchCount(shape: TensorShape, geometry g: WindowGeometry, threads: Int) -> Int {
        if readsInPlace(g) { return 0 }
        let m = shape.n * g.outH * g.outW
        let k = g.kh * g.kw * shape.c
        return min(m, Im2col.blockRows(k: k)) * k * max(1, threads)
    }

    /// Convolves `input` with a kernel packed by ``pack(_:k:cout:)`` into `output`
    /// (`n × outH × outW × cout`), adding `bias` and applying `activation`.
    ///
    /// - Parameters:
    ///   - bias: ``paddedChannels(_:)`` values (``padChannels(_:cout:)``), or nil for none.
    ///   - activation: a PReLU's alphas must also be padded to ``paddedChannels(_:)``.
    ///   - scratch: at least ``scratchCount(shape:geometry:threads:)`` floats for the pool's
    ///     thread count (may be nil when that is 0).
    public static func conv2d(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?, cout: Int,
        activation: Activation, output: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>?, pool: WorkerPool = .serial, isa: InstructionSet = .current
    ) {
        let m = shape.n * g.outH * g.outW
        let k = g.kh * g.kw * shape.c
        guard m > 0, cout > 0 else { return }
        let epilogue = Epilogue(bias: bias, activation: activation)
        if readsInPlace(g) {
            // About 64k multiply-adds is worth a thread's hand-over (~1 µs).
            let perRow = k * paddedChannels(cout)
            let body = InPlaceRows(
                input: input, shape: shape, g: g, packed: packed, k: k, cout: cout,
                epilogue: epilogue, output: output, isa: isa)
            pool.parallelFor(m, minimumPerThread: max(tileRows, 65_536 / max(perRow, 1)), body)
        } else {
            guard let scratch else { preconditionFailure("PackedConvolution needs im2col scratch for a padded \(g.kh)x\(g.kw) window") }
            // L2-sized blocks, but at least one per thread when there are tiles enough for it
            // (mini-Xception's last layer, 16 positions, is otherwise one thread's work).
            let perThread = (m + pool.threads - 1) / pool.threads
            let blockRows = min(Im2col.blockRows(k: k), max(perThread, tileRows))
            let blocks = (m + blockRows - 1) / blockRows
            let body = LoweredBlocks(
                input: input, shape: shape, g: g, packed: packed, k: k, m: m, cout: cout,
                blockRows: blockRows, epilogue: epilogue, output: output, scratch: scratch, isa: isa)
            pool.parallelFor(blocks, body)
        }
    }

    /// A dense layer on `rows` input vectors of `inputs` values: a 1×1 convolution of the
    /// rows (one position each), with the kernel (`[inputs, cout]`, Keras' layout) packed by
    /// ``pack(_:k:cout:)`` with `k = inputs` and the bias padded by ``padChannels(_:cout:)``.
    /// Each row's result does not depend on how many rows there are.
    public static func dense(
        input: UnsafePointer<Float>, rows: Int, inputs: Int, packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        cout: Int, activation: Activation, output: UnsafeMutablePointer<Float>, pool: WorkerPool = .serial,
        isa: InstructionSet = .current
    ) {
        guard let g = WindowGeometry(kernel: (1, 1), stride: (1, 1), padding: .valid, inH: 1, inW: 1) else { return }
        conv2d(
            input: input, shape: TensorShape(n: rows, h: 1, w: 1, c: inputs), geometry: g, packed: packed, bias: bias,
            cout: cout, activation: activation, output: output, scratch: nil, pool: pool, isa: isa)
    }

    /// Rows of depthwise output a thread computes into its scratch before the 1×1 tiles
    /// consume them: about 48 positions (8 tiles), at least one whole row.
    static func separableBlockRows(_ g: WindowGeometry) -> Int { max(1, (48 + g.outW - 1) / max(1, g.outW)) }

    /// Floats of scratch ``separable(input:shape:geometry:depthwise:packed:bias:cout:activation:output:scratch:pool:)``
    /// needs: one block of depthwise rows per thread.
    public static func separableScratchCount(shape: TensorShape, geometry g: WindowGeometry, threads: Int) -> Int {
        min(shape.n * g.outH, separableBlockRows(g)) * g.outW * shape.c * max(1, threads)
    }

    /// A separable convolution in one pass: the depthwise convolution of `input`
    /// (`depthwise` holds `[KH, KW, C]` weights for window `g`; no bias, no activation, as
    /// Keras' `SeparableConv2D` has none between its two halves) feeds a 1×1 convolution
    /// packed by ``pack(_:k:cout:)`` with `k = C`. Each thread computes a block of depthwise
    /// rows into its scratch, where the 1×1 tiles read it while it is still in L1: the
    /// intermediate tensor is never written out, and the two halves cost one hand-over.
    /// The arithmetic is that of ``Depthwise/conv2d(input:shape:geometry:kernel:bias:activation:output:pool:)``
    /// followed by ``conv2d(input:shape:geometry:packed:bias:cout:activation:output:scratch:pool:)``,
    /// so the results are the same bit for bit.
    ///
    /// - Parameter scratch: at least ``separableScratchCount(shape:geometry:threads:)`` floats.
    public static func separable(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry, depthwise: UnsafePointer<Float>,
        packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?, cout: Int, activation: Activation,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool = .serial,
        isa: InstructionSet = .current
    ) {
        let rows = shape.n * g.outH
        guard rows > 0, g.outW > 0, cout > 0 else { return }
        let dw = Depthwise.Rows(
            input: input, shape: shape, g: g, kernel: depthwise, bias: nil, activation: .none, output: scratch,
            isa: isa)
        let body = SeparableRows(
            dw: dw, width: g.outW, cin: shape.c, packed: packed, cout: cout,
            epilogue: Epilogue(bias: bias, activation: activation), output: output, scratch: scratch,
            blockRows: min(rows, separableBlockRows(g)), isa: isa)
        let perRow = g.outW * shape.c * (g.kh * g.kw + paddedChannels(cout))
        pool.parallelFor(rows, minimumPerThread: max(1, 65_536 / max(perRow, 1)), body)
    }

    /// Output rows of a separable convolution, a block of depthwise rows at a time.
    struct SeparableRows: ParallelBody {
        let dw: Depthwise.Rows
        let width: Int, cin: Int
        let packed: UnsafePointer<Float>
        let cout: Int
        let epilogue: Epilogue
        let output: UnsafeMutablePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let blockRows: Int
        let isa: InstructionSet

        func run(_ range: Range<Int>) { run(range, worker: 0) }

        func run(_ range: Range<Int>, worker: Int) {
            let rowFloats = width * cin
            let region = scratch + worker * blockRows * rowFloats
            let source = Operand(kh: 1, run: cin, rowStride: 0)
            var row = range.lowerBound
            while row < range.upperBound {
                let end = min(range.upperBound, row + blockRows)
                for r in row..<end { dw.row(r, into: region + (r - row) * rowFloats) }
                tiles(
                    row * width..<end * width, k: cin, cout: cout, packed: packed, epilogue: epilogue, output: output,
                    source: source, rows: MatrixCursor(base: UnsafePointer(region), first: row * width, k: cin), isa: isa)
                row = end
            }
        }
    }

    /// A residual block's tail in one pass: the convolution of `input` (the residual branch,
    /// packed as for ``conv2d(input:shape:geometry:packed:bias:cout:activation:output:scratch:pool:)``)
    /// is written to `output`, and the max pool of `pooled` is added onto it, row by row:
    /// each thread convolves its rows and adds their maxima while they are in cache, and the
    /// three layers (convolution, pool, add) cost one hand-over. Each value is the
    /// convolution's (same sums as `conv2d`) plus the window's maximum, as Keras'
    /// `add([pool, residual])` computes it; `cout` must be a multiple of 8.
    ///
    /// A convolution that needs padding is run by `conv2d` first (with `scratch`, see
    /// ``scratchCount(shape:geometry:threads:)``), then the pool adds onto its output.
    public static func maxPoolAddingConvolution(
        pooled: UnsafePointer<Float>, pooledShape: TensorShape, poolGeometry: WindowGeometry,
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?, cout: Int, activation: Activation,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>?, pool: WorkerPool = .serial,
        isa: InstructionSet = .current
    ) {
        precondition(cout % 8 == 0, "maxPoolAddingConvolution adds in place 8 channels at a time (cout \(cout))")
        let maxima = Pooling.MaxRows(
            input: pooled, shape: pooledShape, g: poolGeometry, output: output,
            residual: UnsafePointer(output), isa: isa)
        let rows = pooledShape.n * poolGeometry.outH
        guard readsInPlace(g) else {
            conv2d(
                input: input, shape: shape, geometry: g, packed: packed, bias: bias, cout: cout, activation: activation,
                output: output, scratch: scratch, pool: pool, isa: isa)
            pool.parallelFor(rows, minimumPerThread: 4, maxima)
            return
        }
        let body = ResidualRows(
            conv: InPlaceRows(
                input: input, shape: shape, g: g, packed: packed, k: g.kh * g.kw * shape.c,
                cout: cout, epilogue: Epilogue(bias: bias, activation: activation), output: output,
                isa: isa),
            maxima: maxima, width: g.outW)
        pool.parallelFor(rows, body)
    }

    /// Rows of a residual block's tail: the convolution's positions of the rows, then their maxima.
    struct ResidualRows: ParallelBody {
        let conv: InPlaceRows
        let maxima: Pooling.MaxRows
        let width: Int

        func run(_ range: Range<Int>) {
            conv.run(range.lowerBound * width..<range.upperBound * width)
            maxima.run(range)
        }
    }

    /// Output positions read straight from the NHWC input.
    struct InPlaceRows: ParallelBody {
        let input: UnsafePointer<Float>
        let shape: TensorShape
        let g: WindowGeometry
        let packed: UnsafePointer<Float>
        let k: Int, cout: Int
        let epilogue: Epilogue
        let output: UnsafeMutablePointer<Float>
        let isa: InstructionSet

        func run(_ range: Range<Int>) {
            let source = Operand(kh: g.kh, run: g.kw * shape.c, rowStride: g.inW * shape.c)
            tiles(
                range, k: k, cout: cout, packed: packed, epilogue: epilogue, output: output, source: source,
                rows: WindowCursor(input: input, shape: shape, g: g), isa: isa)
        }
    }

    /// Blocks of output positions lowered by im2col into the worker's scratch first.
    struct LoweredBlocks: ParallelBody {
        let input: UnsafePointer<Float>
        let shape: TensorShape
        let g: WindowGeometry
        let packed: UnsafePointer<Float>
        let k: Int, m: Int, cout: Int, blockRows: Int
        let epilogue: Epilogue
        let output: UnsafeMutablePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let isa: InstructionSet

        func run(_ range: Range<Int>) { run(range, worker: 0) }

        func run(_ range: Range<Int>, worker: Int) {
            let region = scratch + worker * min(m, blockRows) * k
            let source = Operand(kh: 1, run: k, rowStride: 0)
            for block in range {
                let lo = block * blockRows
                let hi = min(m, lo + blockRows)
                Im2col.Rows(input: input, shape: shape, g: g, col: region, first: lo).run(lo..<hi)
                tiles(
                    lo..<hi, k: k, cout: cout, packed: packed, epilogue: epilogue, output: output, source: source,
                    rows: MatrixCursor(base: UnsafePointer(region), first: lo, k: k), isa: isa)
            }
        }
    }

    /// Walks the output positions of a tile loop, giving where each one's inputs start.
    protocol TileCursor {
        /// Moves to position `p`.
        mutating func seek(_ p: Int)
        /// The current position's pointer; then moves to the next position.
        mutating func next() -> UnsafePointer<Float>
        /// Position `p`'s pointer, the spacing in floats of the positions that follow it
        /// evenly, and how many do (itself included), or nil.
        func strip(_ p: Int) -> (UnsafePointer<Float>, Int, Int)?
    }

    /// Window starts in an NHWC input, stepped without divisions (one per seek).
    struct WindowCursor: TileCursor {
        let input: UnsafePointer<Float>
        let shape: TensorShape
        let g: WindowGeometry
        private var n = 0, oy = 0, ox = 0
        private var pointer: UnsafePointer<Float>

        init(input: UnsafePointer<Float>, shape: TensorShape, g: WindowGeometry) {
            self.input = input
            self.shape = shape
            self.g = g
            pointer = input
        }

        /// Output position `p` as (image, row, column) and its window's start.
        @inline(__always)
        private func locate(_ p: Int) -> (n: Int, oy: Int, ox: Int, pointer: UnsafePointer<Float>) {
            let perImage = g.outH * g.outW
            let n = p / perImage
            let q = p - n * perImage
            let oy = q / g.outW
            let ox = q - oy * g.outW
            return (n, oy, ox, input + n * shape.sampleCount + (oy * g.sh * g.inW + ox * g.sw) * shape.c)
        }

        @inline(__always)
        mutating func seek(_ p: Int) {
            (n, oy, ox, pointer) = locate(p)
        }

        /// The rest of `p`'s output row, `sw·cin` apart; for a 1×1 stride-1 window every
        /// following position (position `p` reads input pixel `p`).
        @inline(__always)
        func strip(_ p: Int) -> (UnsafePointer<Float>, Int, Int)? {
            if g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 { return (input + p * shape.c, shape.c, Int.max / 2) }
            let at = locate(p)
            return (at.pointer, g.sw * shape.c, g.outW - at.ox)
        }

        @inline(__always)
        mutating func next() -> UnsafePointer<Float> {
            let current = pointer
            ox += 1
            pointer += g.sw * shape.c
            if ox == g.outW {
                ox = 0
                oy += 1
                if oy == g.outH { oy = 0; n += 1 }
                pointer = input + n * shape.sampleCount + oy * g.sh * g.inW * shape.c
            }
            return current
        }
    }

    /// Rows of a lowered (im2col) matrix whose first row is position `first`.
    struct MatrixCursor: TileCursor {
        let base: UnsafePointer<Float>
        let first: Int, k: Int
        private var pointer: UnsafePointer<Float>

        init(base: UnsafePointer<Float>, first: Int, k: Int) {
            self.base = base
            self.first = first
            self.k = k
            pointer = base
        }

        @inline(__always)
        mutating func seek(_ p: Int) { pointer = base + (p - first) * k }

        @inline(__always)
        func strip(_ p: Int) -> (UnsafePointer<Float>, Int, Int)? { (base + (p - first) * k, k, Int.max / 2) }

        @inline(__always)
        mutating func next() -> UnsafePointer<Float> {
            let current = pointer
            pointer += k
            return current
        }
    }

    /// How a tile's reduction walks one output position's inputs: `kh` runs of `run`
    /// contiguous floats, `rowStride` apart, starting at the position's pointer.
    struct Operand {
        let kh: Int, run: Int, rowStride: Int

        /// The same for the C tiles.
        var c: fer_operand { fer_operand(kh: kh, run: run, row_stride: rowStride) }
    }

    /// Bias and activation, applied in registers before the store.
    struct Epilogue {
        let bias: UnsafePointer<Float>?
        let relu: Bool
        let alpha: UnsafePointer<Float>?

        init(bias: UnsafePointer<Float>?, activation: Activation) {
            self.bias = bias
            switch activation {
            case .none: relu = false; alpha = nil
            case .relu: relu = true; alpha = nil
            case .prelu(let a): relu = false; alpha = a
            }
        }

        /// The same for the C tiles.
        var c: fer_epilogue { fer_epilogue(bias: bias, alpha: alpha, relu: relu ? 1 : 0) }

        /// The bias and alpha vectors of channels `channel ..< channel + 8`.
        @inline(__always)
        func vectors(_ channel: Int) -> Lanes {
            Lanes(
                bias: bias.map { load($0 + channel) } ?? SIMD8<Float>(), alpha: alpha.map { load($0 + channel) } ?? SIMD8<Float>(), relu: relu,
                prelu: alpha != nil)
        }
    }

    /// One 8-channel slice of the epilogue, loaded once per tile.
    struct Lanes {
        let bias: SIMD8<Float>
        let alpha: SIMD8<Float>
        let relu: Bool
        let prelu: Bool

        @inline(__always)
        func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
            var x = v + bias
            if relu {
                x.replace(with: 0, where: x .< 0)
            } else if prelu {
                x.replace(with: x * alpha, where: x .< 0)
            }
            return x
        }
    }

    /// Covers positions `range` with tiles and, per tile, all output channels: on AVX-512
    /// tiles of 12 positions (32, 16 or 8 channels at a time); on AVX2 and the generic path
    /// tiles of 6 positions × 16 channels (12 × 8 when the output has one panel). The last
    /// tile is moved back to end at the range's end, recomputing a few positions identically;
    /// a range shorter than a tile repeats its last position in the unused workers.
    @inline(__always)
    static func tiles<Cursor: TileCursor>(
        _ range: Range<Int>, k: Int, cout: Int, packed: UnsafePointer<Float>, epilogue: Epilogue,
        output: UnsafeMutablePointer<Float>, source: Operand, rows: Cursor, isa: InstructionSet
    ) {
        let panels = paddedChannels(cout) / panelWidth
        let tile = isa == .avx512 || panels == 1 ? 2 * tileRows : tileRows
        var cursor = rows
        var p = range.lowerBound
        var cursorAt = -1
        while p < range.upperBound {
            // Whole tiles along one output row (or a contiguous operand) in strips.
            if let (base, step, available) = cursor.strip(p) {
                let full = min(available, range.upperBound - p) / tile
                if full > 0 {
                    strips(
                        base, step: step, count: full, tile: tile, panels: panels, k: k, cout: cout, packed: packed,
                        epilogue: epilogue, out: output + p * cout, source: source, isa: isa)
                    p += full * tile
                    continue
                }
            }
            // Otherwise one tile through the cursor, across a row end if need be; the
            // range's last tile is moved back to end at the range's end.
            let start = range.count >= tile ? min(p, range.upperBound - tile) : p
            let count = min(tile, range.upperBound - start)
            if start != cursorAt { cursor.seek(start) }
            cursorAt = start + count
            var a: Row12
            a.0 = cursor.next()
            a.1 = count > 1 ? cursor.next() : a.0
            a.2 = count > 2 ? cursor.next() : a.1
            a.3 = count > 3 ? cursor.next() : a.2
            a.4 = count > 4 ? cursor.next() : a.3
            a.5 = count > 5 ? cursor.next() : a.4
            a.6 = count > 6 ? cursor.next() : a.5
            a.7 = count > 7 ? cursor.next() : a.6
            a.8 = count > 8 ? cursor.next() : a.7
            a.9 = count > 9 ? cursor.next() : a.8
            a.10 = count > 10 ? cursor.next() : a.9
            a.11 = count > 11 ? cursor.next() : a.10
            runTile(
                a, rows: count, panels: panels, k: k, cout: cout, packed: packed, epilogue: epilogue,
                out: output + start * cout, source: source, isa: isa)
            p = start + count
        }
    }

    /// One tile of up to 12 (AVX-512, or one panel) or 6 positions, every output channel.
    @inline(__always)
    static func runTile(
        _ rows: Row12, rows count: Int, panels: Int, k: Int, cout: Int, packed: UnsafePointer<Float>, epilogue: Epilogue,
        out: UnsafeMutablePointer<Float>, source: Operand, isa: InstructionSet
    ) {
        switch isa {
        case .avx512, .avx2:
            var a = rows
            var op = source.c
            var e = epilogue.c
            withUnsafePointer(to: &a) { tuple in
                tuple.withMemoryRebound(to: UnsafePointer<Float>?.self, capacity: 12) { a in
                    if isa == .avx512 {
                        let pairStride = k * 2 * panelWidth
                        var panel = 0
                        while panel + 3 < panels {
                            fer_avx512_tile12x32(a, &op, packed + panelOffset(panel, k: k), pairStride, &e, panel * panelWidth, out, cout, count)
                            panel += 4
                        }
                        if panel + 1 < panels {
                            fer_avx512_tile12x16(a, &op, packed + panelOffset(panel, k: k), &e, panel * panelWidth, out, cout, count)
                            panel += 2
                        }
                        if panel < panels {
                            fer_avx512_tile12x8(a, &op, packed + panelOffset(panel, k: k), &e, panel * panelWidth, out, cout, count)
                        }
                    } else if panels == 1 {
                        fer_avx2_tile12x8(a, &op, packed, &e, out, cout, count)
                    } else {
                        var panel = 0
                        while panel + 1 < panels {
                            fer_avx2_tile6x16(a, &op, packed + panelOffset(panel, k: k), &e, panel * panelWidth, out, cout, count)
                            panel += 2
                        }
                        if panel < panels {
                            fer_avx2_tile6x8(a, &op, packed + panelOffset(panel, k: k), &e, panel * panelWidth, out, cout, count)
                        }
                    }
                }
            }
        case .generic:
            if panels == 1 {
                tile12x8(rows, source: source, b: packed, epilogue: epilogue, out: out, cout: cout, rows: count)
            } else {
                var panel = 0
                while panel + 1 < panels {
                    tile6x16(
                        rows.0, rows.1, rows.2, rows.3, rows.4, rows.5, source: source, b: packed + panelOffset(panel, k: k),
                        epilogue: epilogue, channel: panel * panelWidth, out: out, cout: cout, rows: count)
                    panel += 2
                }
                if panel < panels {
                    tile6x8(
                        rows.0, rows.1, rows.2, rows.3, rows.4, rows.5, source: source, b: packed + panelOffset(panel, k: k),
                        epilogue: epilogue, channel: panel * panelWidth, out: out, cout: cout, rows: count)
                }
            }
        }
    }

    /// `count` whole tiles whose positions are evenly spaced (`step` floats) from `base`.
    static func strips(
        _ base: UnsafePointer<Float>, step: Int, count: Int, tile: Int, panels: Int, k: Int, cout: Int,
        packed: UnsafePointer<Float>, epilogue: Epilogue, out: UnsafeMutablePointer<Float>, source: Operand, isa: InstructionSet
    ) {
        switch isa {
        case .avx512:
            for t in 0..<count {
                let a = base + t * tile * step
                let rows: Row12 = (
                    a, a + step, a + 2 * step, a + 3 * step, a + 4 * step, a + 5 * step, a + 6 * step,
                    a + 7 * step, a + 8 * step, a + 9 * step, a + 10 * step, a + 11 * step
                )
                runTile(
                    rows, rows: tile, panels: panels, k: k, cout: cout, packed: packed, epilogue: epilogue,
                    out: out + t * tile * cout, source: source, isa: isa)
            }
        case .avx2:
            var op = source.c
            var e = epilogue.c
            if panels == 1 {
                fer_avx2_strip12x8(base, step, count, &op, packed, &e, out, cout)
                return
            }
            var panel = 0
            while panel + 1 < panels {
                fer_avx2_strip6x16(base, step, count, &op, packed + panelOffset(panel, k: k), &e, panel * panelWidth, out, cout)
                panel += 2
            }
            if panel < panels {
                // A lone last panel: its 6 × 8 tiles, one call each.
                for t in 0..<count {
                    let a = base + t * tileRows * step
                    var rows:
                        (
                            UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                            UnsafePointer<Float>, UnsafePointer<Float>
                        ) = (a, a + step, a + 2 * step, a + 3 * step, a + 4 * step, a + 5 * step)
                    withUnsafePointer(to: &rows) { tuple in
                        tuple.withMemoryRebound(to: UnsafePointer<Float>?.self, capacity: 6) { r in
                            fer_avx2_tile6x8(
                                r, &op, packed + panelOffset(panel, k: k), &e, panel * panelWidth,
                                out + t * tileRows * cout, cout, tileRows)
                        }
                    }
                }
            }
        case .generic:
            if panels == 1 {
                strip12x8(base, step: step, count: count, source: source, b: packed, epilogue: epilogue, out: out, cout: cout)
                return
            }
            var panel = 0
            while panel + 1 < panels {
                strip6x16(
                    base, step: step, count: count, source: source, b: packed + panelOffset(panel, k: k),
                    epilogue: epilogue, channel: panel * panelWidth, out: out, cout: cout)
                panel += 2
            }
            if panel < panels {
                for t in 0..<count {
                    let a = base + t * tileRows * step
                    tile6x8(
                        a, a + step, a + 2 * step, a + 3 * step, a + 4 * step, a + 5 * step,
                        source: source, b: packed + panelOffset(panel, k: k), epilogue: epilogue,
                        channel: panel * panelWidth, out: out + t * tileRows * cout, cout: cout, rows: tileRows)
                }
            }
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Stores channels `channel ..< min(channel + 8, cout)` of one output row.
    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ row: UnsafeMutablePointer<Float>, channel: Int, cout: Int) {
        let valid = cout - channel
        if valid >= 8 {
            UnsafeMutableRawPointer(row + channel).storeFloats8(v)
        } else {
            for lane in 0..<valid { row[channel + lane] = v[lane] }
        }
    }

    /// One 6 × 16 tile at arbitrary row pointers.
    @inline(never)
    static func tile6x16(
        _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
        _ a3: UnsafePointer<Float>, _ a4: UnsafePointer<Float>, _ a5: UnsafePointer<Float>,
        source: Operand, b: UnsafePointer<Float>,
        epilogue: Epilogue, channel: Int, out: UnsafeMutablePointer<Float>, cout: Int, rows: Int
    ) {
        body6x16(
            a0, a1, a2, a3, a4, a5, source: source, b: b,
            epilogue: epilogue, channel: channel, out: out, cout: cout, rows: rows)
    }

    /// `count` full 6 × 16 tiles of a contiguous operand (tile `t`'s rows start at
    /// `a + (6t + r)·step`), in one call: for short reductions (1×1 convolutions of 8–16
    /// channels) a call per tile costs about as much as the tile's arithmetic.
    @inline(never)
    static func strip6x16(
        _ a: UnsafePointer<Float>, step: Int, count: Int, source: Operand, b: UnsafePointer<Float>,
        epilogue: Epilogue, channel: Int, out: UnsafeMutablePointer<Float>, cout: Int
    ) {
        var p = a, o = out
        for _ in 0..<count {
            body6x16(
                p, p + step, p + 2 * step, p + 3 * step, p + 4 * step, p + 5 * step, source: source, b: b,
                epilogue: epilogue, channel: channel, out: o, cout: cout, rows: tileRows)
            p += tileRows * step
            o += tileRows * cout
        }
    }

    /// The 6 × 16 tile: 12 accumulators, two weight vectors and one broadcast per
    /// step of the reduction, which fills 15 of AVX2's 16 registers.
    @inline(__always)
    static func body6x16(
        _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
        _ a3: UnsafePointer<Float>, _ a4: UnsafePointer<Float>, _ a5: UnsafePointer<Float>,
        source: Operand, b: UnsafePointer<Float>,
        epilogue: Epilogue, channel: Int, out: UnsafeMutablePointer<Float>, cout: Int, rows: Int
    ) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        var bp = b
        let run = source.run
        for ky in 0..<source.kh {
            let off = ky &* source.rowStride
            let x0 = a0 + off, x1 = a1 + off, x2 = a2 + off, x3 = a3 + off, x4 = a4 + off, x5 = a5 + off
            for j in 0..<run {
                let b0 = load(bp), b1 = load(bp + 8)
                var x = SIMD8<Float>(repeating: x0[j])
                c00 = c00 + x * b0; c01 = c01 + x * b1
                x = SIMD8<Float>(repeating: x1[j])
                c10 = c10 + x * b0; c11 = c11 + x * b1
                x = SIMD8<Float>(repeating: x2[j])
                c20 = c20 + x * b0; c21 = c21 + x * b1
                x = SIMD8<Float>(repeating: x3[j])
                c30 = c30 + x * b0; c31 = c31 + x * b1
                x = SIMD8<Float>(repeating: x4[j])
                c40 = c40 + x * b0; c41 = c41 + x * b1
                x = SIMD8<Float>(repeating: x5[j])
                c50 = c50 + x * b0; c51 = c51 + x * b1
                bp += 16
            }
        }
        let ch1 = channel + 8
        let e0 = epilogue.vectors(channel), e1 = epilogue.vectors(ch1)
        c00 = e0.apply(c00); c10 = e0.apply(c10); c20 = e0.apply(c20); c30 = e0.apply(c30); c40 = e0.apply(c40); c50 = e0.apply(c50)
        c01 = e1.apply(c01); c11 = e1.apply(c11); c21 = e1.apply(c21); c31 = e1.apply(c31); c41 = e1.apply(c41); c51 = e1.apply(c51)
        if rows == tileRows && cout - channel >= 16 {
            let o = UnsafeMutableRawPointer(out + channel)
            let stride = cout * 4
            o.storeFloats8(c00); (o + 32).storeFloats8(c01)
            (o + stride).storeFloats8(c10)
            (o + stride + 32).storeFloats8(c11)
            (o + 2 * stride).storeFloats8(c20)
            (o + 2 * stride + 32).storeFloats8(c21)
            (o + 3 * stride).storeFloats8(c30)
            (o + 3 * stride + 32).storeFloats8(c31)
            (o + 4 * stride).storeFloats8(c40)
            (o + 4 * stride + 32).storeFloats8(c41)
            (o + 5 * stride).storeFloats8(c50)
            (o + 5 * stride + 32).storeFloats8(c51)
            return
        }
        // A short tile or a partial panel: stored row by row, lane by lane at the end.
        store(c00, out, channel: channel, cout: cout); store(c01, out, channel: ch1, cout: cout)
        if rows > 1 { store(c10, out + cout, channel: channel, cout: cout); store(c11, out + cout, channel: ch1, cout: cout) }
        if rows > 2 { store(c20, out + 2 * cout, channel: channel, cout: cout); store(c21, out + 2 * cout, channel: ch1, cout: cout) }
        if rows > 3 { store(c30, out + 3 * cout, channel: channel, cout: cout); store(c31, out + 3 * cout, channel: ch1, cout: cout) }
        if rows > 4 { store(c40, out + 4 * cout, channel: channel, cout: cout); store(c41, out + 4 * cout, channel: ch1, cout: cout) }
        if rows > 5 { store(c50, out + 5 * cout, channel: channel, cout: cout); store(c51, out + 5 * cout, channel: ch1, cout: cout) }
    }

    /// The 6 × 8 tile for a last, single panel.
    @inline(never)
    static func tile6x8(
        _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
        _ a3: UnsafePointer<Float>, _ a4: UnsafePointer<Float>, _ a5: UnsafePointer<Float>,
        source: Operand, b: UnsafePointer<Float>,
        epilogue: Epilogue, channel: Int, out: UnsafeMutablePointer<Float>, cout: Int, rows: Int
    ) {
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>()
        var c3 = SIMD8<Float>(), c4 = SIMD8<Float>(), c5 = SIMD8<Float>()
        var bp = b
        let run = source.run
        for ky in 0..<source.kh {
            let off = ky &* source.rowStride
            let x0 = a0 + off, x1 = a1 + off, x2 = a2 + off, x3 = a3 + off, x4 = a4 + off, x5 = a5 + off
            for j in 0..<run {
                let w = load(bp)
                c0 = c0 + SIMD8<Float>(repeating: x0[j]) * w
                c1 = c1 + SIMD8<Float>(repeating: x1[j]) * w
                c2 = c2 + SIMD8<Float>(repeating: x2[j]) * w
                c3 = c3 + SIMD8<Float>(repeating: x3[j]) * w
                c4 = c4 + SIMD8<Float>(repeating: x4[j]) * w
                c5 = c5 + SIMD8<Float>(repeating: x5[j]) * w
                bp += 8
            }
        }
        let e = epilogue.vectors(channel)
        store(e.apply(c0), out, channel: channel, cout: cout)
        if rows > 1 { store(e.apply(c1), out + cout, channel: channel, cout: cout) }
        if rows > 2 { store(e.apply(c2), out + 2 * cout, channel: channel, cout: cout) }
        if rows > 3 { store(e.apply(c3), out + 3 * cout, channel: channel, cout: cout) }
        if rows > 4 { store(e.apply(c4), out + 4 * cout, channel: channel, cout: cout) }
        if rows > 5 { store(e.apply(c5), out + 5 * cout, channel: channel, cout: cout) }
    }
    typealias Row12 = (
        UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
        UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
        UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>
    )

    /// One 12 × 8 tile at arbitrary row pointers.
    @inline(never)
    static func tile12x8(
        _ a: Row12, source: Operand, b: UnsafePointer<Float>,
        epilogue: Epilogue, out: UnsafeMutablePointer<Float>, cout: Int, rows: Int
    ) {
        body12x8(a, source: source, b: b, epilogue: epilogue, out: out, cout: cout, rows: rows)
    }

    /// `count` full 12 × 8 tiles of a contiguous operand (see ``strip6x16``).
    @inline(never)
    static func strip12x8(
        _ a: UnsafePointer<Float>, step: Int, count: Int, source: Operand, b: UnsafePointer<Float>,
        epilogue: Epilogue, out: UnsafeMutablePointer<Float>, cout: Int
    ) {
        var p = a, o = out
        for _ in 0..<count {
            body12x8(
                (
                    p, p + step, p + 2 * step, p + 3 * step, p + 4 * step, p + 5 * step, p + 6 * step, p + 7 * step,
                    p + 8 * step, p + 9 * step, p + 10 * step, p + 11 * step
                ),
                source: source, b: b, epilogue: epilogue, out: o, cout: cout, rows: 2 * tileRows)
            p += 2 * tileRows * step
            o += 2 * tileRows * cout
        }
    }

    /// The 12 × 8 tile for outputs of one panel (8 channels or fewer): 12 independent
    /// accumulators keep both FMA units busy where a 6 × 8 tile would wait on latency.
    @inline(__always)
    static func body12x8(
        _ a: Row12, source: Operand, b: UnsafePointer<Float>,
        epilogue: Epilogue, out: UnsafeMutablePointer<Float>, cout: Int, rows: Int
    ) {
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>()
        var c4 = SIMD8<Float>(), c5 = SIMD8<Float>(), c6 = SIMD8<Float>(), c7 = SIMD8<Float>()
        var c8 = SIMD8<Float>(), c9 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var bp = b
        let run = source.run
        for ky in 0..<source.kh {
            let off = ky &* source.rowStride
            let x0 = a.0 + off, x1 = a.1 + off, x2 = a.2 + off, x3 = a.3 + off, x4 = a.4 + off, x5 = a.5 + off
            let x6 = a.6 + off, x7 = a.7 + off, x8 = a.8 + off, x9 = a.9 + off, x10 = a.10 + off, x11 = a.11 + off
            for j in 0..<run {
                let w = load(bp)
                c0 = c0 + SIMD8<Float>(repeating: x0[j]) * w
                c1 = c1 + SIMD8<Float>(repeating: x1[j]) * w
                c2 = c2 + SIMD8<Float>(repeating: x2[j]) * w
                c3 = c3 + SIMD8<Float>(repeating: x3[j]) * w
                c4 = c4 + SIMD8<Float>(repeating: x4[j]) * w
                c5 = c5 + SIMD8<Float>(repeating: x5[j]) * w
                c6 = c6 + SIMD8<Float>(repeating: x6[j]) * w
                c7 = c7 + SIMD8<Float>(repeating: x7[j]) * w
                c8 = c8 + SIMD8<Float>(repeating: x8[j]) * w
                c9 = c9 + SIMD8<Float>(repeating: x9[j]) * w
                c10 = c10 + SIMD8<Float>(repeating: x10[j]) * w
                c11 = c11 + SIMD8<Float>(repeating: x11[j]) * w
                bp += 8
            }
        }
        let e = epilogue.vectors(0)
        store(e.apply(c0), out, channel: 0, cout: cout)
        if rows > 1 { store(e.apply(c1), out + cout, channel: 0, cout: cout) }
        if rows > 2 { store(e.apply(c2), out + 2 * cout, channel: 0, cout: cout) }
        if rows > 3 { store(e.apply(c3), out + 3 * cout, channel: 0, cout: cout) }
        if rows > 4 { store(e.apply(c4), out + 4 * cout, channel: 0, cout: cout) }
        if rows > 5 { store(e.apply(c5), out + 5 * cout, channel: 0, cout: cout) }
        if rows > 6 { store(e.apply(c6), out + 6 * cout, channel: 0, cout: cout) }
        if rows > 7 { store(e.apply(c7), out + 7 * cout, channel: 0, cout: cout) }
        if rows > 8 { store(e.apply(c8), out + 8 * cout, channel: 0, cout: cout) }
        if rows > 9 { store(e.apply(c9), out + 9 * cout, channel: 0, cout: cout) }
        if rows > 10 { store(e.apply(c10), out + 10 * cout, channel: 0, cout: cout) }
        if rows > 11 { store(e.apply(c11), out + 11 * cout, channel: 0, cout: cout) }
    }
}
