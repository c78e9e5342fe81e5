import CFERKernels

/// `tf.image.resize(method=AREA)` (TensorFlow `core/kernels/image/resize_area_op.cc`,
/// `align_corners=False`) from a U8 image through a normalisation table, into float
/// RGB: the reference's pyramid levels, reproduced operation by operation in `Float`.
///
/// Each output pixel is the average of the input area it covers: whole input pixels
/// weigh 1, the partly covered first and last ones their covered fraction; the sum is
/// multiplied by `1 / (height_scale · width_scale)`. The order of the float additions
/// follows TensorFlow's loop so results agree to the last bit or so.
struct AreaResizer {
    private var xStart: [Int] = []
    private var xEnd: [Int] = []
    private var xStartScale: [Float] = []
    private var xEndScale: [Float] = []
    /// Per output column, `taps` input columns (clamped) and their weights: the first
    /// cell's, 1 for whole cells, the last cell's, then 0 up to `taps`.
    private var tapColumn: [Int] = []
    private var tapWeight: [Float] = []
    /// Horizontal sums of the input rows in use: a ring of `ringRows(outHeight:heightScale:)` rows of `outWidth` pixels.
    private var rowSums: [SIMD4<Float>] = []
    /// The input row each ring slot holds (-1: none yet).
    private var slotRow: [Int] = []
    /// One output row's vertical sums.
    private var columnSums: [SIMD4<Float>] = []

    /// The weight TensorFlow gives cell `v` of the span [`lo`, `hi`) (`scale` = its length).
    @inline(__always)
    private static func weight(_ v: Int, _ lo: Float, _ hi: Float, _ scale: Float) -> Float {
        Float(v) < lo ? (Float(v + 1) > hi ? scale : Float(v + 1) - lo) : (Float(v + 1) > hi ? hi - Float(v) : 1)
    }

    /// MTCNN's pixel normalisation, `(v − 127.5) / 128`, as `v · scale + bias`: both steps are
    /// exact in `Float` for every byte (a power-of-two scale, a sum that is representable), so
    /// the kernels compute each normalised value exactly, with or without a fused multiply-add,
    /// equal to the detector's table.
    static let scale: Float = 1.0 / 128
    static let bias: Float = -127.5 / 128

    /// The bytes ``normalize(_:into:pool:)`` writes for a `width`×`height` image: rows in
    /// groups of 4, one more group than whole ones, 4 bytes per pixel (see there).
    static func normalizedCount(width: Int, height: Int) -> Int { (height + 4) / 4 * 4 * width * 4 }

    /// Lays the image's bytes out for the pyramid's horizontal sums: 4 bytes per pixel
    /// (R, G, B, 0; gray is read as R = G = B), rows interleaved in groups of 4, pixel (x, y) at
    /// byte `(((y / 4)·width + x)·4 + y % 4)·4`, so the four rows the horizontal sums take at
    /// once are 16 contiguous bytes per column. Rows from `height` up to the end of the last
    /// group, which always exists, repeat row `height - 1`: TensorFlow clamps the rows an area
    /// reaches past the image (at most row `height`) to the last one. The sums normalise each
    /// byte as they read it (``scale``, ``bias``): the image streams through every pyramid
    /// level as bytes, a quarter of the memory traffic of floats (the image is larger than the
    /// L2 cache, and the sums were waiting on memory).
    static func normalize(_ image: ImageView, into normalized: UnsafeMutablePointer<UInt8>, pool: WorkerPool = .serial) {
        pool.parallelFor(image.height, minimumPerThread: 32, NormalizeRows(image: image, normalized: normalized))
    }

    /// Rows of ``normalize(_:into:pool:)`` (byte copies: exact, split-independent).
    private struct NormalizeRows: ParallelBody {
        let image: ImageView
        let normalized: UnsafeMutablePointer<UInt8>

        func run(_ range: Range<Int>) {
            let w = image.width
            for y in range {
                let row = image.row(y)
                // The last row also fills the rows after it, up to the end of the extra group.
                let copies = y == image.height - 1 ? (image.height + 4) / 4 * 4 - y : 1
                for copy in 0..<copies {
                    let target = y + copy
                    let out = normalized + ((target / 4) * w * 4 + target % 4) * 4
                    if image.format == .gray8 {
                        for x in 0..<w {
                            let v = row[x]
                            out[16 * x] = v
                            out[16 * x + 1] = v
                            out[16 * x + 2] = v
                            out[16 * x + 3] = 0
                        }
                    } else {
                        for x in 0..<w {
                            out[16 * x] = row[3 * x]
                            out[16 * x + 1] = row[3 * x + 1]
                            out[16 * x + 2] = row[3 * x + 2]
                            out[16 * x + 3] = 0
                        }
                    }
                }
            }
        }
    }

    /// Rows of the ring of horizontal sums. Rows are summed four at a time (rows
    /// 4g ..< 4g + 4 into four consecutive slots); a ring of span + 3 rows, rounded up to
    /// a multiple of 4, never overwrites a row that a later output row still needs, the
    /// span being the most input rows one output row covers.
    private static func ringRows(outHeight: Int, heightScale hs: Float) -> Int {
        var span = 1
        for y in 0..<outHeight {
            span = max(span, Int((Float(y + 1) * hs).rounded(.up)) - Int((Float(y) * hs).rounded(.down)))
        }
        return (span + 3 + 3) / 4 * 4
    }

    /// Reserves every buffer ``resize(_:inWidth:inHeight:outWidth:outHeight:output:)`` needs
    /// for this size, so that the resize itself does not allocate (a resizer whose thread
    /// may scan any pyramid level is reserved for all of them up front).
    mutating func reserve(inWidth inW: Int, inHeight inH: Int, outWidth: Int, outHeight: Int) {
        guard outWidth > 0, outHeight > 0, inW > 0, inH > 0 else { return }
        let ws = Float(inW) / Float(outWidth)
        let hs = Float(inH) / Float(outHeight)
        var taps = 1
        for x in 0..<outWidth {
            taps = max(taps, Int((Float(x + 1) * ws).rounded(.up)) - Int((Float(x) * ws).rounded(.down)))
        }
        let ringRows = Self.ringRows(outHeight: outHeight, heightScale: hs)
        xStart.reserveCapacity(outWidth)
        xEnd.reserveCapacity(outWidth)
        xStartScale.reserveCapacity(outWidth)
        xEndScale.reserveCapacity(outWidth)
        tapColumn.reserveCapacity(outWidth * taps)
        tapWeight.reserveCapacity(outWidth * taps)
        rowSums.reserveCapacity(ringRows * outWidth)
        slotRow.reserveCapacity(ringRows)
        columnSums.reserveCapacity(outWidth)
    }

    /// Resizes the image (`inWidth`×`inHeight` pixels, as ``normalize(_:into:pool:)`` lays them out), normalised
    /// to `outWidth`×`outHeight`, writing packed HWC RGB floats to `output`. The three
    /// channels travel together in one `SIMD4`; each lane sees exactly the scalar
    /// sequence of additions and multiplications TensorFlow's loop performs.
    ///
    /// TensorFlow's inner sum over an output pixel's input row `i` (first cell × its
    /// weight, whole cells, last cell × its weight) depends only on `i` and the output
    /// column, not on the output row, so it is computed once per input row into a ring
    /// of rows and reused by every output row that covers `i`; the outer sum over rows
    /// then runs across the whole output row. The float operations per output value,
    /// and their order, are the same as in TensorFlow's loop.
    ///
    /// `rows` selects the output rows to make (default: all); row `rows.lowerBound` is
    /// written at `output`. Each output row's values do not depend on which other rows are
    /// made, so a level made in strips equals the level made whole, bit for bit.
    mutating func resize(
        _ source: UnsafePointer<UInt8>, inWidth inW: Int, inHeight inH: Int,
        outWidth: Int, outHeight: Int, rows: Range<Int>? = nil, output: UnsafeMutablePointer<Float>,
        isa: InstructionSet = .current
    ) {
        guard outWidth > 0, outHeight > 0, inW > 0, inH > 0 else { return }
        let rows = (rows ?? 0..<outHeight).clamped(to: 0..<outHeight)
        let ws = Float(inW) / Float(outWidth)
        let hs = Float(inH) / Float(outHeight)
        xStart.removeAll(keepingCapacity: true)
        xEnd.removeAll(keepingCapacity: true)
        xStartScale.removeAll(keepingCapacity: true)
        xEndScale.removeAll(keepingCapacity: true)
        for x in 0..<outWidth {
            let lo = Float(x) * ws, hi = Float(x + 1) * ws
            let start = Int(lo.rounded(.down))
            let end = Int(hi.rounded(.up))
            xStart.append(start)
            xEnd.append(end)
            xStartScale.append(Self.weight(start, lo, hi, ws))
            xEndScale.append(Self.weight(end - 1, lo, hi, ws))
        }

        // Branch-free horizontal sums: every column gets the same number of taps. The
        // extra taps add `row[c] · 0`, whole cells add `row[c] · 1`: both exact, so each
        // sum is TensorFlow's, operation for operation, whatever the column.
        var taps = 1
        for x in 0..<outWidth { taps = max(taps, xEnd[x] - xStart[x]) }
        tapColumn.removeAll(keepingCapacity: true)
        tapWeight.removeAll(keepingCapacity: true)
        for x in 0..<outWidth {
            let s = xStart[x], e = xEnd[x]
            for t in 0..<taps {
                let c = s + t
                let w: Float
                if t == 0 { w = xStartScale[x] } else if c < e - 1 { w = 1 } else if c == e - 1 { w = xEndScale[x] } else { w = 0 }
                tapColumn.append(min(inW - 1, max(0, c)))
                tapWeight.append(w)
            }
        }
        let ringRows = Self.ringRows(outHeight: outHeight, heightScale: hs)
        let ringCount = ringRows * outWidth
        if rowSums.count < ringCount { rowSums.append(contentsOf: repeatElement(.zero, count: ringCount - rowSums.count)) }
        if slotRow.count < ringRows { slotRow.append(contentsOf: repeatElement(-1, count: ringRows - slotRow.count)) }
        if columnSums.count < outWidth { columnSums.append(contentsOf: repeatElement(.zero, count: outWidth - columnSums.count)) }
        for i in 0..<ringRows { slotRow[i] = -1 }
        // C++: float scale = 1.0 / (height_scale * width_scale), a double division.
        let scale = Float(1.0 / Double(hs * ws))
        tapColumn.withUnsafeBufferPointer { columns in
            tapWeight.withUnsafeBufferPointer { weights in
                rowSums.withUnsafeMutableBufferPointer { ringBuffer in
                    slotRow.withUnsafeMutableBufferPointer { slots in
                        columnSums.withUnsafeMutableBufferPointer { sumsBuffer in
                            guard let ring = ringBuffer.baseAddress, let sums = sumsBuffer.baseAddress,
                                let tc = columns.baseAddress, let tw = weights.baseAddress
                            else { return }
                            /// TensorFlow's sums over input rows `first ..< first + 4` (`first` a multiple
                            /// of 4, at most `inH`: a group of the normalised layout) for every output
                            /// column, into `h` (row `first + r` at `h + r·outWidth`). Two rows share a
                            /// `SIMD8`, so each lane still performs the scalar sequence of one row.
                            @inline(__always) func horizontal4(_ first: Int, into h: UnsafeMutablePointer<SIMD4<Float>>) {
                                let group = source + first * inW * 4
                                if isa >= .avx2 {
                                    // The same multiplies and adds in C, four rows per AVX-512 register or two per AVX2 one.
                                    UnsafeMutableRawPointer(h).withMemoryRebound(to: Float.self, capacity: 16 * outWidth) { hf in
                                        if isa == .avx512 {
                                            fer_avx512_area_rows4(group, Self.scale, Self.bias, tc, tw, taps, outWidth, hf)
                                        } else {
                                            fer_avx2_area_rows4(group, Self.scale, Self.bias, tc, tw, taps, outWidth, hf)
                                        }
                                    }
                                    return
                                }
                                @inline(__always) func pixel(_ col: Int, _ r: Int) -> SIMD4<Float> {
                                    let p = group + (col * 4 + r) * 4
                                    return SIMD4(Float(p[0]), Float(p[1]), Float(p[2]), Float(p[3])) * Self.scale + Self.bias
                                }
                                var c = tc, w = tw
                                for x in 0..<outWidth {
                                    var col = c[0]
                                    var weight = SIMD8<Float>(repeating: w[0])
                                    var s01 = SIMD8(lowHalf: pixel(col, 0), highHalf: pixel(col, 1)) * weight
                                    var s23 = SIMD8(lowHalf: pixel(col, 2), highHalf: pixel(col, 3)) * weight
                                    for t in 1..<taps {
                                        col = c[t]
                                        weight = SIMD8<Float>(repeating: w[t])
                                        s01 += SIMD8(lowHalf: pixel(col, 0), highHalf: pixel(col, 1)) * weight
                                        s23 += SIMD8(lowHalf: pixel(col, 2), highHalf: pixel(col, 3)) * weight
                                    }
                                    h[x] = s01.lowHalf
                                    h[outWidth + x] = s01.highHalf
                                    h[2 * outWidth + x] = s23.lowHalf
                                    h[3 * outWidth + x] = s23.highHalf
                                    c += taps
                                    w += taps
                                }
                            }
                            for y in rows {
                                let lo = Float(y) * hs, hi = Float(y + 1) * hs
                                let yStart = Int(lo.rounded(.down))
                                let yEnd = Int(hi.rounded(.up))
                                for x in 0..<outWidth { sums[x] = .zero }
                                for i in yStart..<yEnd {
                                    let slot = i % ringRows
                                    let h = ring + slot * outWidth
                                    if slots[slot] != i {
                                        let first = i - i % 4
                                        let firstSlot = first % ringRows
                                        horizontal4(first, into: ring + firstSlot * outWidth)
                                        for r in 0..<4 { slots[firstSlot + r] = first + r }
                                    }
                                    let ys = SIMD4<Float>(repeating: Self.weight(i, lo, hi, hs))
                                    for x in 0..<outWidth { sums[x] += h[x] * ys }
                                }
                                let out = output + (y - rows.lowerBound) * outWidth * 3
                                for x in 0..<outWidth {
                                    let v = sums[x] * scale
                                    out[3 * x] = v[0]
                                    out[3 * x + 1] = v[1]
                                    out[3 * x + 2] = v[2]
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
