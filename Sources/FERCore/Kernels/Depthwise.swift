import CFERKernels

/// Depthwise 2-D convolution (one filter per channel, depth multiplier 1) in
/// NHWC, as a direct loop vectorised over channels with `SIMD8<Float>`.
@_spi(Kernels) public enum Depthwise {
    /// Convolves each channel of `input` with its own `KH × KW` filter.
    ///
    /// - Parameters:
    ///   - kernel: `[KH, KW, C]` weights.
    ///   - bias: `C` values or nil.
    ///   - output: `n × outH × outW × C`.
    public static func conv2d(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: Activation,
        output: UnsafeMutablePointer<Float>, pool: WorkerPool = .serial, isa: InstructionSet = .current
    ) {
        pool.parallelFor(
            shape.n * g.outH, minimumPerThread: 2,
            Rows(
                input: input, shape: shape, g: g, kernel: kernel, bias: bias, activation: activation, output: output,
                isa: isa))
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
        /// The interior pixels run on the C kernels of this instruction set.
        let isa: InstructionSet

        func run(_ range: Range<Int>) {
            for job in range { row(job, into: output + job * g.outW * shape.c) }
        }

        /// Output row `job` (flattened over n, oy), written to `out` (`outW × C` floats).
        @inline(__always)
        func row(_ job: Int, into out: UnsafeMutablePointer<Float>) {
            let n = job / g.outH
            let oy = job % g.outH
            if g.kh == 3 && g.kw == 3 && shape.c % 8 == 0 {
                row3x3(n: n, oy: oy, out: out)
            } else {
                for ox in 0..<g.outW { pixel(n: n, oy: oy, ox: ox, out: out + ox * shape.c) }
            }
        }

        /// The common case, a 3×3 window and channels in multiples of 8: for each
        /// 8-channel slice the nine weight vectors stay in registers while the row's
        /// pixels stream past, four at a time (four independent FMA chains).
        ///
        /// Taps that fall into the padding get a zero weight and read a pixel inside
        /// the image instead: `fma(x, 0, acc) == acc` for finite `x`, so every output
        /// equals the clipped sum of ``pixel(n:oy:ox:)`` bit for bit (same tap order).
        private func row3x3(n: Int, oy: Int, out: UnsafeMutablePointer<Float>) {
            if isa >= .avx2 {
                rowC(n: n, oy: oy, out: out)
                return
            }
            let c = shape.c
            let rk = UnsafeRawPointer(kernel)
            let iy0 = oy * g.sh - g.padTop
            let image = input + n * shape.sampleCount
            // Rows of the window: clamped into the image; out-of-image rows are masked.
            let y0 = iy0, y1 = iy0 + 1, y2 = iy0 + 2
            let in0 = y0 >= 0 && y0 < g.inH, in1 = y1 >= 0 && y1 < g.inH, in2 = y2 >= 0 && y2 < g.inH
            @inline(__always) func clampY(_ y: Int) -> Int { min(max(y, 0), g.inH - 1) }
            let row0 = image + clampY(y0) * g.inW * c
            let row1 = image + clampY(y1) * g.inW * c
            let row2 = image + clampY(y2) * g.inW * c
            // Columns whose three taps all lie inside the image.
            let oxA = min(g.outW, max(0, (g.padLeft + g.sw - 1) / g.sw))
            let oxB = max(oxA, min(g.outW, (g.inW - 3 + g.padLeft) / g.sw + 1))
            let zero = SIMD8<Float>(repeating: 0)
            var j = 0
            while j < c {
                @inline(__always) func w(_ tap: Int, _ keep: Bool) -> SIMD8<Float> {
                    keep ? rk.loadUnaligned(fromByteOffset: (tap * c + j) * 4, as: SIMD8<Float>.self) : zero
                }
                let w0 = w(0, in0), w1 = w(1, in0), w2 = w(2, in0)
                let w3 = w(3, in1), w4 = w(4, in1), w5 = w(5, in1)
                let w6 = w(6, in2), w7 = w(7, in2), w8 = w(8, in2)
                let b = bias.map { UnsafeRawPointer($0).loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) } ?? zero
                let alpha: SIMD8<Float>
                if case .prelu(let a) = activation {
                    alpha = UnsafeRawPointer(a).loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                } else {
                    alpha = zero
                }
                let relu: Bool
                if case .relu = activation { relu = true } else { relu = false }
                let prelu: Bool
                if case .prelu = activation { prelu = true } else { prelu = false }

                /// Sum of one pixel whose taps start at column offsets `o0, o1, o2`
                /// (floats, channel `j` included) with the given weights.
                @inline(__always) func sum(
                    _ o0: Int, _ o1: Int, _ o2: Int,
                    _ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>,
                    _ a3: SIMD8<Float>, _ a4: SIMD8<Float>, _ a5: SIMD8<Float>,
                    _ a6: SIMD8<Float>, _ a7: SIMD8<Float>, _ a8: SIMD8<Float>
                ) -> SIMD8<Float> {
                    var acc = b
                    acc.addProduct(load(row0 + o0), a0); acc.addProduct(load(row0 + o1), a1); acc.addProduct(load(row0 + o2), a2)
                    acc.addProduct(load(row1 + o0), a3); acc.addProduct(load(row1 + o1), a4); acc.addProduct(load(row1 + o2), a5)
                    acc.addProduct(load(row2 + o0), a6); acc.addProduct(load(row2 + o1), a7); acc.addProduct(load(row2 + o2), a8)
                    return acc
                }
                @inline(__always) func finish(_ v: SIMD8<Float>) -> SIMD8<Float> {
                    var x = v
                    if relu { x.replace(with: 0, where: x .< 0) } else if prelu { x.replace(with: x * alpha, where: x .< 0) }
                    return x
                }
                @inline(__always) func put(_ ox: Int, _ v: SIMD8<Float>) {
                    UnsafeMutableRawPointer(out + ox * c + j).storeFloats8(finish(v))
                }
                /// A column whose window reaches into the padding: masked taps.
                @inline(__always) func border(_ ox: Int) -> SIMD8<Float> {
                    let x0 = ox * g.sw - g.padLeft
                    let k0 = x0 >= 0 && x0 < g.inW, k1 = x0 + 1 >= 0 && x0 + 1 < g.inW, k2 = x0 + 2 >= 0 && x0 + 2 < g.inW
                    let o0 = min(max(x0, 0), g.inW - 1) * c + j
                    let o1 = min(max(x0 + 1, 0), g.inW - 1) * c + j
                    let o2 = min(max(x0 + 2, 0), g.inW - 1) * c + j
                    let a = (
                        k0 ? w0 : zero, k1 ? w1 : zero, k2 ? w2 : zero, k0 ? w3 : zero, k1 ? w4 : zero, k2 ? w5 : zero,
                        k0 ? w6 : zero, k1 ? w7 : zero, k2 ? w8 : zero
                    )
                    return sum(o0, o1, o2, a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7, a.8)
                }
                let rightFirst = max(oxB, oxA)
                if oxA == 1 && rightFirst == g.outW - 1 && g.outW > 1 {
                    // The usual 'same' row: one border column each side, summed side by
                    // side so that their two FMA chains overlap.
                    let left = border(0), right = border(rightFirst)
                    put(0, left)
                    put(rightFirst, right)
                } else {
                    for ox in 0..<oxA { put(ox, border(ox)) }
                    for ox in rightFirst..<g.outW { put(ox, border(ox)) }
                }
                if oxA < oxB {
                    let o = (oxA * g.sw - g.padLeft) * c + j
                    Depthwise.interior3x3(
                        row0 + o, row1 + o, row2 + o, step: g.sw * c, c: c, count: oxB - oxA,
                        w0, w1, w2, w3, w4, w5, w6, w7, w8, bias: b, out: out + oxA * c + j)
                    if relu || prelu {
                        for ox in oxA..<oxB { put(ox, load(out + ox * c + j)) }
                    }
                }
                j += 8
            }
        }

        /// ``row3x3(n:oy:out:)`` on the C kernels: whole rows of 16-channel slices on AVX-512
        /// (8 for a remainder), of 8-channel slices on AVX2, border columns included.
        private func rowC(n: Int, oy: Int, out: UnsafeMutablePointer<Float>) {
            let c = shape.c
            let iy0 = oy * g.sh - g.padTop
            let image = input + n * shape.sampleCount
            @inline(__always) func clampY(_ y: Int) -> Int { min(max(y, 0), g.inH - 1) }
            let row0 = image + clampY(iy0) * g.inW * c
            let row1 = image + clampY(iy0 + 1) * g.inW * c
            let row2 = image + clampY(iy0 + 2) * g.inW * c
            var keep: (Int32, Int32, Int32) = (
                iy0 >= 0 && iy0 < g.inH ? 1 : 0, iy0 + 1 >= 0 && iy0 + 1 < g.inH ? 1 : 0,
                iy0 + 2 >= 0 && iy0 + 2 < g.inH ? 1 : 0
            )
            var alpha: UnsafePointer<Float>?
            var relu: Int32 = 0
            switch activation {
            case .none: break
            case .relu: relu = 1
            case .prelu(let a): alpha = a
            }
            withUnsafePointer(to: &keep) { kp in
                kp.withMemoryRebound(to: Int32.self, capacity: 3) { keep in
                    var j = 0
                    while j < c {
                        var e = fer_epilogue(bias: nil, alpha: alpha.map { $0 + j }, relu: relu)
                        if isa == .avx512 && j + 16 <= c {
                            fer_avx512_depthwise3x3_row(
                                row0 + j, row1 + j, row2 + j, keep, g.inW, c, g.padLeft, g.sw, g.outW,
                                kernel + j, bias.map { $0 + j }, &e, out + j)
                            j += 16
                        } else {
                            fer_avx2_depthwise3x3_row(
                                row0 + j, row1 + j, row2 + j, keep, g.inW, c, g.padLeft, g.sw, g.outW,
                                kernel + j, bias.map { $0 + j }, &e, out + j)
                            j += 8
                        }
                    }
                }
            }
        }

        @inline(__always)
        private func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        }

        /// One output pixel, any window, taps clipped at the border, written to `o`.
        private func pixel(n: Int, oy: Int, ox: Int, out o: UnsafeMutablePointer<Float>) {
            let c = shape.c
            let rin = UnsafeRawPointer(input)
            let rk = UnsafeRawPointer(kernel)
            let imageOffset = n * shape.sampleCount
            let iy0 = oy * g.sh - g.padTop
            let kyLo = max(0, -iy0), kyHi = min(g.kh, g.inH - iy0)
            let ix0 = ox * g.sw - g.padLeft
            let kxLo = max(0, -ix0), kxHi = min(g.kw, g.inW - ix0)
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
                (UnsafeMutableRawPointer(o) + j * 4).storeFloats8(acc)
                j += 8
            }
            while j < c {
                var acc: Float = bias?[j] ?? 0
                if kyLo < kyHi && kxLo < kxHi {
                    for ky in kyLo..<kyHi {
                        for kx in kxLo..<kxHi {
                            acc = acc.addingProduct(
                                input[imageOffset + ((iy0 + ky) * g.inW + ix0 + kx) * c + j],
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
    /// `count` interior pixels of one 8-channel slice. At stride 1, four at a time with
    /// the four sums advanced tap by tap (four independent FMA chains in flight; one
    /// chain of nine dependent FMAs per pixel leaves the FMA units waiting on latency).
    /// Each pixel sums bias then taps (ky outer, kx inner), as every depthwise path does.
    @inline(never)
    static func interior3x3(
        _ row0: UnsafePointer<Float>, _ row1: UnsafePointer<Float>, _ row2: UnsafePointer<Float>,
        step: Int, c: Int, count: Int,
        _ w0: SIMD8<Float>, _ w1: SIMD8<Float>, _ w2: SIMD8<Float>, _ w3: SIMD8<Float>, _ w4: SIMD8<Float>,
        _ w5: SIMD8<Float>, _ w6: SIMD8<Float>, _ w7: SIMD8<Float>, _ w8: SIMD8<Float>,
        bias: SIMD8<Float>, out: UnsafeMutablePointer<Float>
    ) {
        @inline(__always) func ld(_ p: UnsafeRawPointer, _ offset: Int) -> SIMD8<Float> {
            p.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
        }
        let r0 = UnsafeRawPointer(row0), r1 = UnsafeRawPointer(row1), r2 = UnsafeRawPointer(row2)
        let o = UnsafeMutableRawPointer(out)
        let cb = c &* 4, sb = step &* 4
        var i = 0
        if step == c {
            // Stride 1: the four pixels' windows share columns, so each row's six input
            // vectors are loaded once and each feeds up to three sums.
            while i + 4 <= count {
                var a0 = bias, a1 = bias, a2 = bias, a3 = bias
                @inline(__always) func row(_ r: UnsafeRawPointer, _ wa: SIMD8<Float>, _ wb: SIMD8<Float>, _ wc: SIMD8<Float>) {
                    var q = r + i &* cb
                    let v0 = ld(q, 0); q += cb
                    let v1 = ld(q, 0); q += cb
                    let v2 = ld(q, 0); q += cb
                    let v3 = ld(q, 0); q += cb
                    let v4 = ld(q, 0); q += cb
                    let v5 = ld(q, 0)
                    a0 = a0.addingProduct(v0, wa); a1 = a1.addingProduct(v1, wa); a2 = a2.addingProduct(v2, wa); a3 = a3.addingProduct(v3, wa)
                    a0 = a0.addingProduct(v1, wb); a1 = a1.addingProduct(v2, wb); a2 = a2.addingProduct(v3, wb); a3 = a3.addingProduct(v4, wb)
                    a0 = a0.addingProduct(v2, wc); a1 = a1.addingProduct(v3, wc); a2 = a2.addingProduct(v4, wc); a3 = a3.addingProduct(v5, wc)
                }
                row(r0, w0, w1, w2)
                row(r1, w3, w4, w5)
                row(r2, w6, w7, w8)
                var q = o + i &* cb
                q.storeFloats8(a0); q += cb
                q.storeFloats8(a1); q += cb
                q.storeFloats8(a2); q += cb
                q.storeFloats8(a3)
                i += 4
            }
        }
        while i + 2 <= count {
            // Two pixels, tap by tap (two chains in flight).
            let x = i &* sb, x1 = x &+ sb
            var a = bias, b = bias
            a = a.addingProduct(ld(r0, x), w0); b = b.addingProduct(ld(r0, x1), w0)
            a = a.addingProduct(ld(r0, x &+ cb), w1); b = b.addingProduct(ld(r0, x1 &+ cb), w1)
            a = a.addingProduct(ld(r0, x &+ 2 &* cb), w2); b = b.addingProduct(ld(r0, x1 &+ 2 &* cb), w2)
            a = a.addingProduct(ld(r1, x), w3); b = b.addingProduct(ld(r1, x1), w3)
            a = a.addingProduct(ld(r1, x &+ cb), w4); b = b.addingProduct(ld(r1, x1 &+ cb), w4)
            a = a.addingProduct(ld(r1, x &+ 2 &* cb), w5); b = b.addingProduct(ld(r1, x1 &+ 2 &* cb), w5)
            a = a.addingProduct(ld(r2, x), w6); b = b.addingProduct(ld(r2, x1), w6)
            a = a.addingProduct(ld(r2, x &+ cb), w7); b = b.addingProduct(ld(r2, x1 &+ cb), w7)
            a = a.addingProduct(ld(r2, x &+ 2 &* cb), w8); b = b.addingProduct(ld(r2, x1 &+ 2 &* cb), w8)
            (o + i &* cb).storeFloats8(a)
            (o + (i &+ 1) &* cb).storeFloats8(b)
            i += 2
        }
        while i < count {
            let x = i &* sb
            var a = bias
            a = a.addingProduct(ld(r0, x), w0); a = a.addingProduct(ld(r0, x &+ cb), w1); a = a.addingProduct(ld(r0, x &+ 2 &* cb), w2)
            a = a.addingProduct(ld(r1, x), w3); a = a.addingProduct(ld(r1, x &+ cb), w4); a = a.addingProduct(ld(r1, x &+ 2 &* cb), w5)
            a = a.addingProduct(ld(r2, x), w6); a = a.addingProduct(ld(r2, x &+ cb), w7); a = a.addingProduct(ld(r2, x &+ 2 &* cb), w8)
            (o + i &* cb).storeFloats8(a)
            i += 1
        }
    }
}
