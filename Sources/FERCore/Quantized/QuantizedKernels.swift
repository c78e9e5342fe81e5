import CFERKernels

/// The int8 kernels of ``QuantizedNetwork``: u8 im2col, u8 max pooling, and the int8 matrix
/// product with its epilogue, on the best path the CPU has (``QuantizedKernels/Path``).
///
/// Every path computes each output from the same exact int32 sum (u8 activations × s8 weights of
/// at most 7 bits, see `fer_int8.h`) and the same float epilogue (`Float(sum) · scale`, rounded,
/// `+ bias`, rounded, ReLU, then round-half-even to u8 or kept as float), so all paths give
/// bit-identical results (tested).
enum QuantizedKernels {
    /// The int8 matrix paths.
    enum Path: Int, Sendable, CaseIterable, CustomStringConvertible {
        /// Plain Swift integer loops (any CPU).
        case generic
        /// AVX2: `vpmaddubsw` + `vpmaddwd` (4 × 16 tiles).
        case avx2
        /// AVX-512 VNNI: `vpdpbusd` (8 × 16 tiles).
        case avx512VNNI

        /// The best path for ``InstructionSet/current`` (so `FERCORE_ISA=avx2` selects the AVX2
        /// path on an AVX-512 machine).
        static let current: Path = {
            switch InstructionSet.current {
            case .avx512: return fer_cpu_has_avx512_vnni() != 0 ? .avx512VNNI : .avx2
            case .avx2: return .avx2
            case .generic: return .generic
            }
        }()

        /// Every path this CPU can run.
        static var available: [Path] {
            allCases.filter { p in
                switch p {
                case .generic: return true
                case .avx2: return InstructionSet.supported >= .avx2
                case .avx512VNNI: return InstructionSet.supported >= .avx512 && fer_cpu_has_avx512_vnni() != 0
                }
            }
        }

        /// `generic`, `AVX2` or `AVX-512 VNNI`.
        var description: String {
            switch self {
            case .generic: return "generic"
            case .avx2: return "AVX2"
            case .avx512VNNI: return "AVX-512 VNNI"
            }
        }
    }

    /// The largest magnitude of a quantized weight (7 bits: see `fer_int8.h`).
    static let weightLimit: Float = 63

    /// Packs `k × n` s8 weights (row-major, `[k][n]`) into blocks of 16 output channels,
    /// `[block][kPadded / 4][16][4]`, zero-padded in k (to a multiple of 4) and in n.
    static func pack(_ w: [Int8], k: Int, n: Int) -> [Int8] {
        let kp = (k + 3) / 4 * 4, blocks = (n + 15) / 16
        var out = [Int8](repeating: 0, count: blocks * kp * 16)
        for b in 0..<blocks {
            for kk in 0..<k {
                for j in 0..<16 {
                    let col = b * 16 + j
                    guard col < n else { continue }
                    out[b * kp * 16 + (kk / 4) * 64 + j * 4 + kk % 4] = w[kk * n + col]
                }
            }
        }
        return out
    }

    /// u8 im2col of one NHWC image for a window: row `m` (an output position) holds the
    /// window's `kh·kw·c` bytes in (ky, kx, ci) order, then zeros up to `kPadded`; taps outside
    /// the image read `padValue` (the input's zero point).
    static func im2col(
        _ x: UnsafePointer<UInt8>, h: Int, w: Int, c: Int, geometry g: WindowGeometry,
        padValue: UInt8, kPadded: Int, into a: UnsafeMutablePointer<UInt8>
    ) {
        let k = g.kh * g.kw * c
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                var dst = a + (oy * g.outW + ox) * kPadded
                for ky in 0..<g.kh {
                    let iy = oy * g.sh + ky - g.padTop
                    for kx in 0..<g.kw {
                        let ix = ox * g.sw + kx - g.padLeft
                        if iy >= 0, iy < h, ix >= 0, ix < w {
                            dst.update(from: x + (iy * w + ix) * c, count: c)
                        } else {
                            dst.update(repeating: padValue, count: c)
                        }
                        dst += c
                    }
                }
                if kPadded > k { dst.update(repeating: 0, count: kPadded - k) }
            }
        }
    }

    /// u8 max pool of one NHWC image (`valid` padding; max commutes with the monotonic u8
    /// quantization, so pooling the bytes equals quantizing the pooled floats).
    static func maxPool(
        _ x: UnsafePointer<UInt8>, h: Int, w: Int, c: Int, geometry g: WindowGeometry,
        into y: UnsafeMutablePointer<UInt8>
    ) {
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                let out = y + (oy * g.outW + ox) * c
                let first = x + (oy * g.sh * w + ox * g.sw) * c
                out.update(from: first, count: c)
                for ky in 0..<g.kh {
                    for kx in 0..<g.kw where ky != 0 || kx != 0 {
                        let p = x + ((oy * g.sh + ky) * w + ox * g.sw + kx) * c
                        for ch in 0..<c where p[ch] > out[ch] { out[ch] = p[ch] }
                    }
                }
            }
        }
    }

    /// The int8 product `A (m × kPadded, u8) · B (packed) ` with the epilogue, into `outU8`
    /// (rows `n` bytes apart) when given, else `outF32` (rows `n` floats apart).
    static func gemm(
        path: Path, a: UnsafePointer<UInt8>, m: Int, kPadded: Int, packed b: UnsafePointer<Int8>, n: Int,
        scale: UnsafePointer<Float>, bias: UnsafePointer<Float>, relu: Bool,
        outU8: UnsafeMutablePointer<UInt8>?, outF32: UnsafeMutablePointer<Float>?
    ) {
        let k4 = kPadded / 4
        let blocks = (n + 15) / 16
        switch path {
        case .generic:
            genericGEMM(
                a: a, m: m, kPadded: kPadded, packed: b, n: n, scale: scale, bias: bias, relu: relu,
                outU8: outU8, outF32: outF32)
        case .avx2, .avx512VNNI:
            let rowsPerTile = path == .avx2 ? 4 : 8
            var epilogue = fer_q8_epilogue(scale: scale, bias: bias, relu: relu ? 1 : 0)
            withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: 8) { rows in
                var m0 = 0
                while m0 < m {
                    let count = min(rowsPerTile, m - m0)
                    for r in 0..<8 { rows[r] = a + (m0 + min(r, count - 1)) * kPadded }
                    let u8 = outU8.map { $0 + m0 * n }
                    let f32 = outF32.map { $0 + m0 * n }
                    for blk in 0..<blocks {
                        let wb = b + blk * k4 * 64
                        if path == .avx2 {
                            fer_q8_avx2_tile4x16(rows.baseAddress, k4, wb, &epilogue, blk * 16, n, count, u8, f32)
                        } else {
                            fer_q8_vnni_tile8x16(rows.baseAddress, k4, wb, &epilogue, blk * 16, n, count, u8, f32)
                        }
                    }
                    m0 += count
                }
            }
        }
    }

    /// The portable path: the same int32 sums and epilogue with plain loops.
    static func genericGEMM(
        a: UnsafePointer<UInt8>, m: Int, kPadded: Int, packed b: UnsafePointer<Int8>, n: Int,
        scale: UnsafePointer<Float>, bias: UnsafePointer<Float>, relu: Bool,
        outU8: UnsafeMutablePointer<UInt8>?, outF32: UnsafeMutablePointer<Float>?
    ) {
        let k4 = kPadded / 4
        for row in 0..<m {
            let x = a + row * kPadded
            for col in 0..<n {
                let w = b + (col / 16) * k4 * 64 + (col % 16) * 4
                var sum: Int32 = 0
                for g in 0..<k4 {
                    let xg = x + 4 * g, wg = w + 64 * g
                    sum &+=
                        Int32(xg[0]) &* Int32(wg[0]) &+ Int32(xg[1]) &* Int32(wg[1])
                        &+ Int32(xg[2]) &* Int32(wg[2]) &+ Int32(xg[3]) &* Int32(wg[3])
                }
                let y = epilogue(sum, scale: scale[col], bias: bias[col], relu: relu)
                if let outU8 { outU8[row * n + col] = quantize(y) } else if let outF32 { outF32[row * n + col] = y }
            }
        }
    }

    /// `Float(sum) · scale + bias` (two roundings, as the C tiles), then ReLU.
    @inline(__always) static func epilogue(_ sum: Int32, scale: Float, bias: Float, relu: Bool) -> Float {
        let product = Float(sum) * scale
        let y = product + bias
        return relu ? max(y, 0) : y
    }

    /// Round half to even and clamp to [0, 255] (what `cvtps2dq` + the clamps of the C tiles do
    /// for every value an epilogue can produce; NaN becomes 0 as there).
    @inline(__always) static func quantize(_ y: Float) -> UInt8 {
        guard !y.isNaN else { return 0 }
        let r = y.rounded(.toNearestOrEven)
        return r <= 0 ? 0 : (r >= 255 ? 255 : UInt8(r))
    }
}
