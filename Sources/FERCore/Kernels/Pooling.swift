import CFERKernels

/// Max pooling and global average pooling in NHWC.
@_spi(Kernels) public enum Pooling {
    /// Max over each window; positions outside the input (TF 'same' padding,
    /// Caffe ceil-mode overhang) are ignored, as both references do.
    ///
    /// - Parameter residual: a tensor shaped like the output to add to each maximum as it
    ///   is stored (a residual block's `add` after its pool, in the same pass), or nil.
    ///   It may be `output` itself when the channel count is a multiple of 8 (each value
    ///   is then read before it is overwritten); it must not otherwise overlap `output`.
    public static func maxPool(
        input: UnsafePointer<Float>, shape: TensorShape, geometry g: WindowGeometry,
        output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>? = nil, pool: WorkerPool = .serial,
        isa: InstructionSet = .current
    ) {
        pool.parallelFor(
            shape.n * g.outH, minimumPerThread: 4,
            MaxRows(input: input, shape: shape, g: g, output: output, residual: residual, isa: isa))
    }

    /// Output rows (flattened over n, oy) of a max pool.
    struct MaxRows: ParallelBody {
        let input: UnsafePointer<Float>
        let shape: TensorShape
        let g: WindowGeometry
        let output: UnsafeMutablePointer<Float>
        let residual: UnsafePointer<Float>?
        /// Rows run on the C kernels of this instruction set when there are at least 8 channels.
        let isa: InstructionSet

        func run(_ range: Range<Int>) {
            if isa >= .avx2 && shape.c >= 8 {
                rowsC(range)
                return
            }
            if let residual {
                rows(range, residual: residual)
            } else {
                rows(range, residual: nil)
            }
        }

        /// The rows on the C kernels: 16-channel slices on AVX-512 (when a residual aliasing the
        /// output cannot be added twice by overlapping slices: c a multiple of 16, or no
        /// residual; or one masked slice when c < 16), else 8.
        private func rowsC(_ range: Range<Int>) {
            let c = shape.c
            let wide = isa == .avx512 && (c < 16 || residual == nil || c % 16 == 0)
            for job in range {
                let n = job / g.outH
                let oy = job % g.outH
                let iy0 = oy * g.sh - g.padTop
                let kyLo = max(0, -iy0), kyHi = min(g.kh, g.inH - iy0)
                let image = input + n * shape.sampleCount
                let offset = (n * g.outH + oy) * g.outW * c
                let res = residual.map { $0 + offset }
                if wide {
                    fer_avx512_maxpool_row(image, g.inW, c, iy0 + kyLo, kyHi - kyLo, g.kw, g.sw, g.padLeft, g.outW, res, output + offset)
                } else {
                    fer_avx2_maxpool_row(image, g.inW, c, iy0 + kyLo, kyHi - kyLo, g.kw, g.sw, g.padLeft, g.outW, res, output + offset)
                }
            }
        }

        /// The rows; the two calls above give one copy without and one with the residual.
        @inline(__always)
        private func rows(_ range: Range<Int>, residual: UnsafePointer<Float>?) {
            let c = shape.c
            let rowFloats = g.inW * c
            for job in range {
                let n = job / g.outH
                let oy = job % g.outH
                let image = input + n * shape.sampleCount
                let iy0 = oy * g.sh - g.padTop
                let kyLo = max(0, -iy0), kyHi = min(g.kh, g.inH - iy0)
                let out = output + (n * g.outH + oy) * g.outW * c
                /// Stores the maximum of 8 channels at `q`, plus the residual's values there.
                @inline(__always) func put(_ m: SIMD8<Float>, _ q: UnsafeMutablePointer<Float>) {
                    let v = residual.map { m + Self.load($0 + (q - output)) } ?? m
                    UnsafeMutableRawPointer(q).storeFloats8(v)
                }
                for ox in 0..<g.outW {
                    let ix0 = ox * g.sw - g.padLeft
                    let kxLo = max(0, -ix0), kxHi = min(g.kw, g.inW - ix0)
                    let first = image + (iy0 + kyLo) * rowFloats + (ix0 + kxLo) * c
                    let rows = kyHi - kyLo, cols = kxHi - kxLo
                    let o = out + ox * c
                    if c >= 8 {
                        // SIMD8 slices; a channel count that is not a multiple of 8 ends
                        // with a slice overlapping the previous one (max is idempotent).
                        var j = 0
                        // Whole 3×3 and 2×2 windows (nearly all of them) without the loops.
                        if rows == 3 && cols == 3 {
                            let r1 = rowFloats, r2 = 2 * rowFloats
                            while true {
                                let s = min(j, c - 8)
                                let p = first + s
                                var m = Self.maxOf(Self.load(p), Self.load(p + c), Self.load(p + 2 * c))
                                m = Self.maxOf(m, Self.maxOf(Self.load(p + r1), Self.load(p + r1 + c), Self.load(p + r1 + 2 * c)))
                                m = Self.maxOf(m, Self.maxOf(Self.load(p + r2), Self.load(p + r2 + c), Self.load(p + r2 + 2 * c)))
                                put(m, o + s)
                                if s == c - 8 { break }
                                j += 8
                            }
                            continue
                        }
                        if rows == 2 && cols == 2 {
                            while true {
                                let s = min(j, c - 8)
                                let p = first + s
                                let m = Self.maxOf(
                                    Self.maxOf(Self.load(p), Self.load(p + c)),
                                    Self.maxOf(Self.load(p + rowFloats), Self.load(p + rowFloats + c)))
                                put(m, o + s)
                                if s == c - 8 { break }
                                j += 8
                            }
                            continue
                        }
                        while true {
                            let s = min(j, c - 8)
                            var m = Self.load(first + s)
                            var r = first + s
                            for _ in 0..<rows {
                                var q = r
                                for _ in 0..<cols {
                                    let v = Self.load(q)
                                    // A compare-and-select, not the generic pointwiseMax, which
                                    // does not inline to one vmaxps.
                                    m.replace(with: v, where: v .> m)
                                    q += c
                                }
                                r += rowFloats
                            }
                            put(m, o + s)
                            if s == c - 8 { break }
                            j += 8
                        }
                    } else {
                        for j in 0..<c {
                            var m = first[j]
                            var r = first + j
                            for _ in 0..<rows {
                                var q = r
                                for _ in 0..<cols { m = Swift.max(m, q.pointee); q += c }
                                r += rowFloats
                            }
                            o[j] = residual.map { m + $0[o + j - output] } ?? m
                        }
                    }
                }
            }
        }

        @inline(__always)
        static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        }

        /// Lane-wise max as a compare-and-select (the generic `pointwiseMax` does not
        /// inline to one `vmaxps`).
        @inline(__always)
        static func maxOf(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
            var m = a
            m.replace(with: b, where: b .> m)
            return m
        }

        @inline(__always)
        static func maxOf(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) -> SIMD8<Float> { maxOf(maxOf(a, b), c) }
    }

    /// Mean over all spatial positions: `n × h × w × c` → `n × 1 × 1 × c`.
    public static func globalAveragePool(input: UnsafePointer<Float>, shape: TensorShape, output: UnsafeMutablePointer<Float>) {
        let c = shape.c
        let hw = shape.h * shape.w
        let scale = 1 / Float(hw)
        for n in 0..<shape.n {
            let o = output + n * c
            o.initialize(repeating: 0, count: c)
            var p = input + n * shape.sampleCount
            for _ in 0..<hw {
                for j in 0..<c { o[j] += p[j] }
                p += c
            }
            for j in 0..<c { o[j] *= scale }
        }
    }
}
