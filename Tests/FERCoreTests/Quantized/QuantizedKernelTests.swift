import Testing

@_spi(Kernels) @testable import FERCore

/// The int8 kernels against ``ReferenceKernels/quantizedConv2d`` (plain integer loops) over
/// random shapes, on every path this CPU runs. The expected results are exact: every path
/// computes the same int32 sums (7-bit weights keep AVX2's 16-bit pair sums from saturating) and
/// the same two float roundings in the epilogue, so any difference is a bug, and the
/// comparison is bit for bit.
@Suite("Int8 kernels")
struct QuantizedKernelTests {
    struct Case: CustomStringConvertible {
        var h: Int, w: Int, cin: Int, cout: Int, kh: Int, kw: Int, sh: Int, sw: Int
        var padding: Padding, zeroPoint: UInt8, relu: Bool, u8Output: Bool
        var description: String {
            "\(h)x\(w)x\(cin) → \(cout), \(kh)x\(kw)/\(sh)x\(sw) \(padding), zp \(zeroPoint), relu \(relu), u8 \(u8Output)"
        }
    }

    static func cases() -> [Case] {
        var rng = SplitMix64(seed: 2026_1202)
        var out: [Case] = []
        for i in 0..<60 {
            let k = [1, 2, 3, 3, 5].randomElement(using: &rng) ?? 3
            out.append(
                Case(
                    h: Int.random(in: 1...14, using: &rng), w: Int.random(in: 1...14, using: &rng),
                    cin: [1, 3, 4, 8, 12, 32, 36, 80].randomElement(using: &rng) ?? 4,
                    cout: Int.random(in: 1...48, using: &rng), kh: k, kw: i % 3 == 0 ? 1 : k,
                    sh: Int.random(in: 1...2, using: &rng), sw: Int.random(in: 1...2, using: &rng),
                    padding: Bool.random(using: &rng) ? .same : .valid, zeroPoint: Bool.random(using: &rng) ? 0 : 128,
                    relu: i % 4 != 1, u8Output: i % 3 != 2))
        }
        return out
    }

    @Test("im2col + int8 product equal the reference convolution bit for bit", arguments: QuantizedKernels.Path.available)
    func convolutionMatchesReference(_ path: QuantizedKernels.Path) throws {
        var rng = SplitMix64(seed: 77)
        var checked = 0
        for c in Self.cases() {
            guard let g = WindowGeometry(kernel: (c.kh, c.kw), stride: (c.sh, c.sw), padding: c.padding, inH: c.h, inW: c.w) else { continue }
            let x = (0..<(c.h * c.w * c.cin)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let k = c.kh * c.kw * c.cin
            let weights = (0..<(k * c.cout)).map { _ in Int8.random(in: -63...63, using: &rng) }
            // Scales that put u8 outputs across the whole range, both signs of bias, ReLU clipping.
            let scale = (0..<c.cout).map { _ in Float.random(in: 0.0005...0.02, using: &rng) }
            let bias = (0..<c.cout).map { _ in Float.random(in: -40...40, using: &rng) }
            let expected = try #require(
                ReferenceKernels.quantizedConv2d(
                    x, h: c.h, w: c.w, cin: c.cin, zeroPoint: c.zeroPoint, weights: weights, kh: c.kh, kw: c.kw, cout: c.cout,
                    stride: (c.sh, c.sw), padding: c.padding, scale: scale, bias: bias, relu: c.relu, u8Output: c.u8Output))

            let kPadded = (k + 3) / 4 * 4
            let m = g.outH * g.outW
            let packed = QuantizedKernels.pack(weights, k: k, n: c.cout)
            let padded = (c.cout + 15) / 16 * 16
            let sc = scale + [Float](repeating: 0, count: padded - c.cout), bi = bias + [Float](repeating: 0, count: padded - c.cout)
            var columns = [UInt8](repeating: 0, count: max(1, m * kPadded))
            var u8 = [UInt8](repeating: 0, count: m * c.cout)
            var f32 = [Float](repeating: 0, count: m * c.cout)
            x.withUnsafeBufferPointer { xb in
                columns.withUnsafeMutableBufferPointer { cb in
                    QuantizedKernels.im2col(
                        xb.baseAddress!, h: c.h, w: c.w, c: c.cin, geometry: g, padValue: c.zeroPoint,
                        kPadded: kPadded, into: cb.baseAddress!)
                }
            }
            columns.withUnsafeBufferPointer { a in
                packed.withUnsafeBufferPointer { b in
                    sc.withUnsafeBufferPointer { s in
                        bi.withUnsafeBufferPointer { bb in
                            u8.withUnsafeMutableBufferPointer { o8 in
                                f32.withUnsafeMutableBufferPointer { of in
                                    QuantizedKernels.gemm(
                                        path: path, a: a.baseAddress!, m: m, kPadded: kPadded, packed: b.baseAddress!,
                                        n: c.cout, scale: s.baseAddress!, bias: bb.baseAddress!, relu: c.relu,
                                        outU8: c.u8Output ? o8.baseAddress : nil,
                                        outF32: c.u8Output ? nil : of.baseAddress)
                                }
                            }
                        }
                    }
                }
            }
            let actual = c.u8Output ? u8.map(Float.init) : f32
            let mismatches = zip(actual, expected).filter { $0.0 != $0.1 && !($0.0.isNaN && $0.1.isNaN) }.count
            #expect(mismatches == 0, "\(path) \(c): \(mismatches) of \(expected.count) outputs differ")
            checked += 1
        }
        #expect(checked >= 40, "only \(checked) random shapes had an output")
    }

    @Test("u8 max pooling equals the float reference on the same bytes")
    func maxPoolMatchesReference() throws {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<30 {
            let h = Int.random(in: 2...13, using: &rng), w = Int.random(in: 2...13, using: &rng), c = Int.random(in: 1...40, using: &rng)
            let p = Int.random(in: 1...3, using: &rng), s = Int.random(in: 1...3, using: &rng)
            guard let g = WindowGeometry(kernel: (p, p), stride: (s, s), padding: .valid, inH: h, inW: w) else { continue }
            let x = (0..<(h * w * c)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let (_, expected) = try #require(
                ReferenceKernels.maxPool(
                    x.map(Float.init), TensorShape(h: h, w: w, c: c),
                    pool: (p, p), stride: (s, s), padding: .valid))
            var y = [UInt8](repeating: 0, count: g.outH * g.outW * c)
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { yb in
                    QuantizedKernels.maxPool(xb.baseAddress!, h: h, w: w, c: c, geometry: g, into: yb.baseAddress!)
                }
            }
            #expect(y.map(Float.init) == expected, "\(h)x\(w)x\(c) pool \(p)/\(s)")
        }
    }
}
