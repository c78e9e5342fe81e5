import Testing

@_spi(Kernels) @testable import FERCore

#if canImport(Glibc)
    import Glibc
#endif

/// Every fast kernel against its plain-loop reference over many shapes: odd
/// sizes, stride 1 and 2, each padding mode, one channel, channel counts that
/// are and are not multiples of the SIMD width, batch > 1, one and two threads.
///
/// Tolerance: the fast paths accumulate in Float32 (GEMM and SIMD sums in a
/// different order), the reference in Double; for K products of values in
/// [-1, 1] the Float32 rounding error is bounded by about K·2⁻²⁴·K, far below
/// the 2e-5·K (at least 1e-5) used here, which still catches any indexing bug
/// (those give errors of order 0.1–1).
@Suite("Kernels vs reference loops", .serialized)
struct KernelTests {
    static let pools = [WorkerPool(threads: 1), WorkerPool(threads: 2)]

    struct ConvCase: CustomTestStringConvertible, Sendable {
        var n: Int, h: Int, w: Int, cin: Int, cout: Int, kh: Int, kw: Int, stride: Int, padding: Padding
        var testDescription: String { "n\(n) \(h)x\(w)x\(cin)→\(cout) k\(kh)x\(kw) s\(stride) \(padding)" }
    }

    static let convCases: [ConvCase] = {
        var rng = SplitMix64(seed: 7)
        var cases: [ConvCase] = [
            ConvCase(n: 1, h: 12, w: 12, cin: 3, cout: 10, kh: 3, kw: 3, stride: 1, padding: .valid), // P-Net conv1
            ConvCase(n: 2, h: 9, w: 7, cin: 1, cout: 8, kh: 3, kw: 3, stride: 1, padding: .same),
            ConvCase(n: 1, h: 15, w: 15, cin: 16, cout: 32, kh: 1, kw: 1, stride: 2, padding: .same), // mini-Xception residual
            ConvCase(n: 3, h: 5, w: 6, cin: 20, cout: 17, kh: 1, kw: 1, stride: 1, padding: .valid), // pointwise GEMM
            ConvCase(n: 1, h: 4, w: 4, cin: 48, cout: 64, kh: 2, kw: 2, stride: 1, padding: .valid), // R-Net conv3
            ConvCase(n: 1, h: 1, w: 1, cin: 3, cout: 2, kh: 3, kw: 3, stride: 1, padding: .same), // all padding
            // Depthwise uses cin+cout channels: these two take its 3x3 interior fast path (C % 8 == 0).
            ConvCase(n: 2, h: 9, w: 11, cin: 8, cout: 8, kh: 3, kw: 3, stride: 1, padding: .same),
            ConvCase(n: 1, h: 10, w: 7, cin: 16, cout: 8, kh: 3, kw: 3, stride: 2, padding: .same),
            ConvCase(n: 1, h: 6, w: 6, cin: 4, cout: 4, kh: 3, kw: 3, stride: 1, padding: .valid)
        ]
        for _ in 0..<14 {
            let k = Int.random(in: 1...4, using: &rng)
            cases.append(
                ConvCase(
                    n: Int.random(in: 1...3, using: &rng), h: Int.random(in: k...17, using: &rng),
                    w: Int.random(in: k...19, using: &rng), cin: Int.random(in: 1...19, using: &rng),
                    cout: Int.random(in: 1...21, using: &rng), kh: k, kw: Int.random(in: 1...k, using: &rng),
                    stride: Int.random(in: 1...2, using: &rng), padding: Bool.random(using: &rng) ? .same : .valid))
        }
        return cases
    }()

    /// A seeded random convolution problem for case `t` and its reference result (Double
    /// accumulation): input shape and values, kernel, bias, PReLU alphas (in [0, 0.5]),
    /// output shape, expected output without activation, and the window geometry.
    static func convProblem(_ t: ConvCase, seed: UInt64) throws
        -> (TensorShape, [Float], [Float], [Float], [Float], TensorShape, [Float], WindowGeometry)
    {
        var rng = SplitMix64(seed: seed)
        let s = TensorShape(n: t.n, h: t.h, w: t.w, c: t.cin)
        let x = rng.floats(s.count)
        let kernel = rng.floats(t.kh * t.kw * t.cin * t.cout)
        let bias = rng.floats(t.cout)
        let alpha = rng.floats(t.cout, in: 0...0.5)
        let (os, expected) = try #require(
            ReferenceKernels.conv2d(
                x, s, kernel: kernel, kh: t.kh, kw: t.kw, cout: t.cout, bias: bias,
                stride: (t.stride, t.stride), padding: t.padding))
        let g = try #require(WindowGeometry(kernel: (t.kh, t.kw), stride: (t.stride, t.stride), padding: t.padding, inH: t.h, inW: t.w))
        return (s, x, kernel, bias, alpha, os, expected, g)
    }

    /// The packed kernel's own shapes on top of the shared cases: many 6-row tiles with
    /// a moved-back last tile, tiles that span output rows and images, channel counts
    /// with every panel combination (16-wide pairs, a lone 8-wide panel, partial panels).
    static let packedCases: [ConvCase] =
        convCases + [
            ConvCase(n: 2, h: 13, w: 17, cin: 5, cout: 33, kh: 3, kw: 3, stride: 1, padding: .valid),
            ConvCase(n: 3, h: 7, w: 5, cin: 9, cout: 24, kh: 2, kw: 3, stride: 2, padding: .valid),
            ConvCase(n: 1, h: 30, w: 31, cin: 10, cout: 16, kh: 3, kw: 3, stride: 1, padding: .valid), // P-Net conv2
            ConvCase(n: 2, h: 4, w: 4, cin: 40, cout: 7, kh: 3, kw: 3, stride: 1, padding: .same), // mini-Xception conv2d_7
            ConvCase(n: 1, h: 2, w: 2, cin: 6, cout: 1, kh: 1, kw: 1, stride: 1, padding: .valid) // fewer positions than a tile
        ]

    @Test(
        "packed conv2d (register-tiled, packed weights) with bias and activations, on every instruction set; bit-identical on 1 and 2 threads and between AVX2 and AVX-512",
        arguments: packedCases)
    func packedConv2d(_ t: ConvCase) throws {
        let (s, x, kernel, bias, alpha, _, expected, g) = try Self.convProblem(t, seed: UInt64(t.h * 1000 + t.w * 10 + t.cin + t.cout))
        let packed = PackedConvolution.pack(kernel, k: t.kh * t.kw * t.cin, cout: t.cout)
        let paddedBias = PackedConvolution.padChannels(bias, cout: t.cout)
        // Float32 sums of k terms against the Double reference: 2e-5 per term of the reduction.
        let tolerance = max(1e-5, 2e-5 * Float(t.kh * t.kw * t.cin))
        Self.checkConvolution(
            expected: expected, alpha: alpha, cout: t.cout, tolerance: tolerance, isas: InstructionSet.available,
            scratchCount: { max(1, PackedConvolution.scratchCount(shape: s, geometry: g, threads: $0)) },
            convolve: { activation, y, scratch, pool, isa in
                PackedConvolution.conv2d(
                    input: x, shape: s, geometry: g, packed: packed, bias: paddedBias, cout: t.cout,
                    activation: activation, output: y, scratch: scratch, pool: pool, isa: isa)
            })
    }

    /// Runs `convolve` with each activation (none, ReLU, PReLU with `alpha`) on each of `isas`
    /// and on 1 and 2 threads, into an output followed by a guard band of NaN, and checks that
    /// nothing was written past the output, that the result is within `tolerance` of the
    /// reference `expected` (with the activation applied), and that it is bit-identical on 1 and
    /// 2 threads and between AVX2 and AVX-512. `scratchCount` gives the scratch for a thread count.
    static func checkConvolution(
        expected: [Float], alpha: [Float], cout: Int, tolerance: Float, isas: [InstructionSet],
        scratchCount: (Int) -> Int,
        convolve: (Activation, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, WorkerPool, InstructionSet) -> Void
    ) {
        let paddedAlpha = PackedConvolution.padChannels(alpha, cout: cout)
        for (name, act, ref) in [
            ("none", 0, expected), ("relu", 1, ReferenceKernels.relu(expected)),
            ("prelu", 2, ReferenceKernels.prelu(expected, alpha: alpha))
        ] {
            var byISA: [InstructionSet: [Float]] = [:]
            for isa in isas {
                var results: [[Float]] = []
                for pool in pools {
                    var y = [Float](repeating: .nan, count: expected.count + 8)
                    var scratch = [Float](repeating: .nan, count: scratchCount(pool.threads))
                    paddedAlpha.withUnsafeBufferPointer { a in
                        let activation: Activation = act == 0 ? .none : (act == 1 ? .relu : .prelu(a.baseAddress!))
                        y.withUnsafeMutableBufferPointer { out in
                            scratch.withUnsafeMutableBufferPointer { sc in
                                convolve(activation, out.baseAddress!, sc.baseAddress!, pool, isa)
                            }
                        }
                    }
                    #expect(
                        y[expected.count...].allSatisfy { $0.isNaN }, "\(name), \(isa), \(pool.threads) thread(s): wrote past the output")
                    y.removeLast(8)
                    let err = maxAbsDiff(y, ref)
                    #expect(err <= tolerance, "\(name), \(isa), \(pool.threads) thread(s): max error \(err) > \(tolerance)")
                    results.append(y)
                }
                #expect(results[0] == results[1], "\(name), \(isa): 1 and 2 threads differ")
                byISA[isa] = results[0]
            }
            if let a = byISA[.avx2], let b = byISA[.avx512] { #expect(a == b, "\(name): AVX2 and AVX-512 differ") }
        }
    }

    /// Winograd's shapes: MTCNN's five 3×3 valid convolutions that use it (sizes as in a
    /// pyramid level and a batch of candidates) and mini-Xception's one, output sizes that are
    /// not multiples of 2 or 4 (tiles hanging over the edge), enough tiles for several blocks per thread with blocks that span images, channel
    /// counts off the vector widths, and the smallest output (one pixel); then 'same' padding
    /// (the zero-bordered copy): fernet's five convolutions that use it, odd sizes in a batch,
    /// and one- and two-pixel inputs (all border).
    static let winogradCases: [ConvCase] = [
        ConvCase(n: 1, h: 30, w: 31, cin: 10, cout: 16, kh: 3, kw: 3, stride: 1, padding: .valid), // P-Net conv2
        ConvCase(n: 1, h: 13, w: 14, cin: 16, cout: 32, kh: 3, kw: 3, stride: 1, padding: .valid), // P-Net conv3
        ConvCase(n: 5, h: 11, w: 11, cin: 28, cout: 48, kh: 3, kw: 3, stride: 1, padding: .valid), // R-Net conv2
        ConvCase(n: 2, h: 23, w: 23, cin: 32, cout: 64, kh: 3, kw: 3, stride: 1, padding: .valid), // O-Net conv2
        ConvCase(n: 2, h: 10, w: 10, cin: 64, cout: 64, kh: 3, kw: 3, stride: 1, padding: .valid), // O-Net conv3
        ConvCase(n: 3, h: 41, w: 37, cin: 8, cout: 16, kh: 3, kw: 3, stride: 1, padding: .valid),
        ConvCase(n: 2, h: 9, w: 12, cin: 9, cout: 21, kh: 3, kw: 3, stride: 1, padding: .valid),
        ConvCase(n: 1, h: 3, w: 3, cin: 19, cout: 17, kh: 3, kw: 3, stride: 1, padding: .valid),
        ConvCase(n: 2, h: 4, w: 3, cin: 8, cout: 40, kh: 3, kw: 3, stride: 1, padding: .valid),
        ConvCase(n: 1, h: 62, w: 62, cin: 8, cout: 8, kh: 3, kw: 3, stride: 1, padding: .valid), // mini-Xception conv2
        ConvCase(n: 2, h: 17, w: 10, cin: 11, cout: 12, kh: 3, kw: 3, stride: 1, padding: .valid),
        ConvCase(n: 1, h: 24, w: 24, cin: 32, cout: 48, kh: 3, kw: 3, stride: 1, padding: .same), // fernet conv2
        ConvCase(n: 2, h: 12, w: 12, cin: 48, cout: 80, kh: 3, kw: 3, stride: 1, padding: .same), // fernet conv3
        ConvCase(n: 1, h: 12, w: 12, cin: 80, cout: 80, kh: 3, kw: 3, stride: 1, padding: .same), // fernet conv4
        ConvCase(n: 1, h: 6, w: 6, cin: 80, cout: 160, kh: 3, kw: 3, stride: 1, padding: .same), // fernet conv5
        ConvCase(n: 2, h: 6, w: 6, cin: 160, cout: 160, kh: 3, kw: 3, stride: 1, padding: .same), // fernet conv6
        ConvCase(n: 3, h: 7, w: 5, cin: 9, cout: 13, kh: 3, kw: 3, stride: 1, padding: .same),
        ConvCase(n: 2, h: 1, w: 1, cin: 8, cout: 8, kh: 3, kw: 3, stride: 1, padding: .same),
        ConvCase(n: 1, h: 2, w: 3, cin: 16, cout: 24, kh: 3, kw: 3, stride: 1, padding: .same)
    ]

    @Test(
        "Winograd F(2x2,3x3) and F(4x4,3x3) conv2d with bias and activations against the reference, on AVX2 and AVX-512; bit-identical on 1 and 2 threads and between the two",
        arguments: winogradCases, Winograd.Tile.allCases)
    func winogradConv2d(_ t: ConvCase, _ tile: Winograd.Tile) throws {
        #expect(Winograd.suits(kernel: (t.kh, t.kw), stride: (t.stride, t.stride), padding: t.padding, cin: t.cin, cout: t.cout))
        let (s, x, kernel, bias, alpha, _, expected, g) = try Self.convProblem(t, seed: UInt64(t.h * 1000 + t.w * 10 + t.cin + t.cout))
        var packed = [Float](repeating: .nan, count: Winograd.packedCount(cin: t.cin, cout: t.cout, tile: tile))
        packed.withUnsafeMutableBufferPointer { p in Winograd.pack(kernel, cin: t.cin, cout: t.cout, tile: tile, into: p.baseAddress!) }
        let paddedBias = PackedConvolution.padChannels(bias, cout: t.cout)
        // F(2×2): the direct kernel's tolerance (2e-5 per term) times 4: the input transform
        // sums up to 4 inputs (values up to 4), the kernel transform up to 9 weights times 1/4,
        // and the output transform sums 9 products, so each rounding step acts on values up to
        // ~4× the direct sums'. F(4×4): times 4 again: its input transform sums up to 16 inputs
        // with weights up to 5 (values up to ~25 where F(2×2)'s reach 4), and its output
        // transform weights products by up to 8 (F(2×2): 1). Measured errors are 10-50× below
        // these; an indexing error gives 0.1-1.
        let perTerm: Float = tile == .two ? 8e-5 : 3.2e-4
        let tolerance = max(4e-5, perTerm * Float(t.kh * t.kw * t.cin))
        Self.checkConvolution(
            expected: expected, alpha: alpha, cout: t.cout, tolerance: tolerance,
            isas: InstructionSet.available.filter { $0 != .generic },
            scratchCount: { Winograd.scratchCount(shape: s, geometry: g, cout: t.cout, threads: $0, tile: tile) },
            convolve: { activation, y, scratch, pool, isa in
                Winograd.conv2d(
                    input: x, shape: s, geometry: g, packed: packed, tile: tile, bias: paddedBias, cout: t.cout,
                    activation: activation, output: y, scratch: scratch, pool: pool, isa: isa)
            })
    }

    /// Separable shapes: mini-Xception's four (scaled down in batch), odd widths that end
    /// blocks mid-tile, channel counts off the SIMD width (the depthwise pixel path), a
    /// strided and a valid depthwise window, and batch > 1 (blocks that span images).
    static let separableCases: [ConvCase] = [
        ConvCase(n: 1, h: 60, w: 60, cin: 8, cout: 16, kh: 3, kw: 3, stride: 1, padding: .same),
        ConvCase(n: 2, h: 15, w: 15, cin: 32, cout: 64, kh: 3, kw: 3, stride: 1, padding: .same),
        ConvCase(n: 3, h: 8, w: 8, cin: 64, cout: 128, kh: 3, kw: 3, stride: 1, padding: .same),
        ConvCase(n: 2, h: 7, w: 11, cin: 5, cout: 9, kh: 3, kw: 3, stride: 1, padding: .same),
        ConvCase(n: 1, h: 9, w: 13, cin: 16, cout: 7, kh: 3, kw: 3, stride: 2, padding: .same),
        ConvCase(n: 2, h: 6, w: 5, cin: 24, cout: 40, kh: 2, kw: 3, stride: 1, padding: .valid)
    ]

    @Test(
        "separable conv in one pass is bit-identical to depthwise then packed 1x1, on 1 and 2 threads",
        arguments: separableCases)
    func separable(_ t: ConvCase) throws {
        var rng = SplitMix64(seed: UInt64(t.h * 100 + t.cin * 10 + t.cout))
        let s = TensorShape(n: t.n, h: t.h, w: t.w, c: t.cin)
        let x = rng.floats(s.count)
        let dwKernel = rng.floats(t.kh * t.kw * t.cin)
        let pwKernel = rng.floats(t.cin * t.cout)
        let bias = PackedConvolution.padChannels(rng.floats(t.cout), cout: t.cout)
        let packed = PackedConvolution.pack(pwKernel, k: t.cin, cout: t.cout)
        let g = try #require(WindowGeometry(kernel: (t.kh, t.kw), stride: (t.stride, t.stride), padding: t.padding, inH: t.h, inW: t.w))
        let mid = TensorShape(n: t.n, h: g.outH, w: g.outW, c: t.cin)
        let pw = try #require(WindowGeometry(kernel: (1, 1), stride: (1, 1), padding: .valid, inH: g.outH, inW: g.outW))
        // The reference: the two steps as the unfused engine runs them, and the plain loops.
        var dw = [Float](repeating: .nan, count: mid.count)
        Depthwise.conv2d(input: x, shape: s, geometry: g, kernel: dwKernel, bias: nil, activation: .none, output: &dw)
        var twoSteps = [Float](repeating: .nan, count: mid.count / t.cin * t.cout)
        PackedConvolution.conv2d(
            input: dw, shape: mid, geometry: pw, packed: packed, bias: bias, cout: t.cout,
            activation: .relu, output: &twoSteps, scratch: nil)
        let refDw = try #require(
            ReferenceKernels.depthwise(
                x, s, kernel: dwKernel, kh: t.kh, kw: t.kw, bias: nil,
                stride: (t.stride, t.stride), padding: t.padding)
        ).1
        let refPw = try #require(
            ReferenceKernels.conv2d(
                refDw, mid, kernel: pwKernel, kh: 1, kw: 1, cout: t.cout,
                bias: Array(bias.prefix(t.cout)), stride: (1, 1), padding: .valid)
        ).1
        // Same tolerance argument as the suite's: K = 9 + cin products of values in [-1, 1].
        #expect(maxAbsDiff(twoSteps, ReferenceKernels.relu(refPw)) <= 2e-5 * Float(t.kh * t.kw + t.cin))
        for pool in Self.pools {
            var y = [Float](repeating: .nan, count: twoSteps.count + 8)
            var scratch = [Float](
                repeating: .nan,
                count: PackedConvolution.separableScratchCount(shape: s, geometry: g, threads: pool.threads))
            PackedConvolution.separable(
                input: x, shape: s, geometry: g, depthwise: dwKernel, packed: packed, bias: bias,
                cout: t.cout, activation: .relu, output: &y, scratch: &scratch, pool: pool)
            #expect(y[twoSteps.count...].allSatisfy { $0.isNaN }, "\(pool.threads) thread(s): wrote past the output")
            y.removeLast(8)
            #expect(y == twoSteps, "\(pool.threads) thread(s): max difference \(maxAbsDiff(y, twoSteps))")
        }
    }

    @Test("residual block tail (conv, max pool, add) in one pass equals the three steps bit for bit, on 1 and 2 threads")
    func residualTail() throws {
        // (pool input h×w×c, residual input h×w×cin, conv k / stride / padding): mini-Xception's
        // 1×1/2 'same' (read in place, rows of 30, 8, 4), an odd size, and a padded 3×3 window
        // (the lowered fallback).
        let cases: [(n: Int, h: Int, w: Int, c: Int, cin: Int, k: Int, stride: Int, padding: Padding)] = [
            (1, 60, 60, 16, 8, 1, 2, .same), (2, 15, 15, 64, 32, 1, 2, .same), (1, 8, 8, 128, 64, 1, 2, .same),
            (3, 9, 7, 24, 5, 1, 2, .same), (1, 10, 10, 8, 3, 3, 2, .same)
        ]
        var rng = SplitMix64(seed: 17)
        for t in cases {
            let ps = TensorShape(n: t.n, h: t.h, w: t.w, c: t.c)
            let rs = TensorShape(n: t.n, h: t.h, w: t.w, c: t.cin)
            let pooled = rng.floats(ps.count), x = rng.floats(rs.count)
            let kernel = rng.floats(t.k * t.k * t.cin * t.c)
            let bias = PackedConvolution.padChannels(rng.floats(t.c), cout: t.c)
            let packed = PackedConvolution.pack(kernel, k: t.k * t.k * t.cin, cout: t.c)
            let gp = try #require(WindowGeometry(kernel: (3, 3), stride: (2, 2), padding: .same, inH: t.h, inW: t.w))
            let gc = try #require(WindowGeometry(kernel: (t.k, t.k), stride: (t.stride, t.stride), padding: t.padding, inH: t.h, inW: t.w))
            try #require(gc.outH == gp.outH && gc.outW == gp.outW)
            let count = t.n * gp.outH * gp.outW * t.c
            for pool in Self.pools {
                var scratch = [Float](repeating: .nan, count: max(1, PackedConvolution.scratchCount(shape: rs, geometry: gc, threads: pool.threads)))
                var conv = [Float](repeating: .nan, count: count)
                PackedConvolution.conv2d(
                    input: x, shape: rs, geometry: gc, packed: packed, bias: bias, cout: t.c, activation: .none,
                    output: &conv, scratch: &scratch, pool: pool)
                var steps = [Float](repeating: .nan, count: count)
                Pooling.maxPool(input: pooled, shape: ps, geometry: gp, output: &steps, residual: conv, pool: pool)
                var fused = [Float](repeating: .nan, count: count + 8)
                PackedConvolution.maxPoolAddingConvolution(
                    pooled: pooled, pooledShape: ps, poolGeometry: gp, input: x, shape: rs, geometry: gc, packed: packed, bias: bias,
                    cout: t.c, activation: .none, output: &fused, scratch: &scratch, pool: pool)
                #expect(fused[count...].allSatisfy { $0.isNaN }, "\(t): wrote past the output")
                fused.removeLast(8)
                #expect(fused == steps, "\(t), \(pool.threads) thread(s): max difference \(maxAbsDiff(fused, steps))")
            }
        }
    }

    @Test("depthwise conv", arguments: convCases)
    func depthwise(_ t: ConvCase) throws {
        var rng = SplitMix64(seed: UInt64(t.cout * 77 + t.h))
        let s = TensorShape(n: t.n, h: t.h, w: t.w, c: t.cin + t.cout) // vary channel counts across SIMD widths
        let x = rng.floats(s.count)
        let kernel = rng.floats(t.kh * t.kw * s.c)
        let bias = rng.floats(s.c)
        let (os, expected) = try #require(
            ReferenceKernels.depthwise(
                x, s, kernel: kernel, kh: t.kh, kw: t.kw, bias: bias,
                stride: (t.stride, t.stride), padding: t.padding))
        let g = try #require(WindowGeometry(kernel: (t.kh, t.kw), stride: (t.stride, t.stride), padding: t.padding, inH: t.h, inW: t.w))
        let noBias = try #require(
            ReferenceKernels.depthwise(
                x, s, kernel: kernel, kh: t.kh, kw: t.kw, bias: nil,
                stride: (t.stride, t.stride), padding: t.padding)
        ).1
        var byISA: [InstructionSet: [Float]] = [:]
        for isa in InstructionSet.available {
            for pool in Self.pools {
                var y = [Float](repeating: .nan, count: os.count)
                Depthwise.conv2d(input: x, shape: s, geometry: g, kernel: kernel, bias: bias, activation: .relu, output: &y, pool: pool, isa: isa)
                // Float32 sums of kh·kw terms against the Double reference.
                #expect(maxAbsDiff(y, ReferenceKernels.relu(expected)) <= 1e-5 * Float(t.kh * t.kw), "\(isa), \(pool.threads) thread(s)")
                if pool.threads == 1 { byISA[isa] = y }
                Depthwise.conv2d(input: x, shape: s, geometry: g, kernel: kernel, bias: nil, activation: .none, output: &y, pool: pool, isa: isa)
                #expect(maxAbsDiff(y, noBias) <= 1e-5 * Float(t.kh * t.kw), "\(isa)")
            }
        }
        // Every path sums bias then taps in the same order with FMAs: all three agree to the bit.
        let results = Array(byISA.values)
        #expect(results.allSatisfy { $0 == results[0] }, "instruction sets differ")
    }

    @Test("max pool: valid, TF same and Caffe ceil", arguments: Padding.allCases)
    func maxPool(_ padding: Padding) throws {
        var rng = SplitMix64(seed: 11)
        for (h, w, c, k, st) in [
            (10, 10, 10, 2, 2), (11, 11, 28, 3, 2), (9, 9, 48, 3, 2), (8, 9, 24, 3, 2), (7, 6, 40, 2, 2), (23, 23, 3, 3, 2), (5, 7, 1, 2, 1), (13, 8, 17, 3, 3)
        ] {
            let s = TensorShape(n: 2, h: h, w: w, c: c)
            let x = rng.floats(s.count)
            guard let (os, expected) = ReferenceKernels.maxPool(x, s, pool: (k, k), stride: (st, st), padding: padding),
                let g = WindowGeometry(kernel: (k, k), stride: (st, st), padding: padding, inH: h, inW: w)
            else {
                Issue.record("no geometry for \(h)x\(w) k\(k)")
                continue
            }
            // With a residual added as each maximum is stored: exactly maximum + residual.
            let residual = rng.floats(os.count)
            let summed = zip(expected, residual).map { $0 + $1 }
            for isa in InstructionSet.available {
                for pool in Self.pools {
                    var y = [Float](repeating: .nan, count: os.count)
                    Pooling.maxPool(input: x, shape: s, geometry: g, output: &y, pool: pool, isa: isa)
                    #expect(maxAbsDiff(y, expected) == 0, "\(isa) \(h)x\(w)x\(c) k\(k) s\(st)")
                    var z = [Float](repeating: .nan, count: os.count)
                    Pooling.maxPool(input: x, shape: s, geometry: g, output: &z, residual: residual, pool: pool, isa: isa)
                    #expect(z == summed, "\(isa) \(h)x\(w)x\(c) k\(k) s\(st) + residual")
                    if c % 8 == 0 {
                        // The residual in place (the output holds it): exactly maximum + residual too.
                        var inPlace = residual
                        inPlace.withUnsafeMutableBufferPointer { out in
                            Pooling.maxPool(
                                input: x, shape: s, geometry: g, output: out.baseAddress!, residual: UnsafePointer(out.baseAddress!),
                                pool: pool, isa: isa)
                        }
                        #expect(inPlace == summed, "\(isa) \(h)x\(w)x\(c) k\(k) s\(st) + residual in place")
                    }
                }
            }
        }
    }

    @Test("Caffe ceil rounding keeps the overhanging window; TF same pads bottom/right")
    func poolingGeometry() throws {
        // Caffe: out = ceil((in - k) / s) + 1 → 23 rows, k3 s2: ceil(20/2)+1 = 11; 22 rows: ceil(19/2)+1 = 11.
        let ceil = try #require(WindowGeometry(kernel: (3, 3), stride: (2, 2), padding: .ceil, inH: 22, inW: 23))
        #expect(ceil.outH == 11 && ceil.outW == 11 && ceil.padTop == 0)
        let valid = try #require(WindowGeometry(kernel: (3, 3), stride: (2, 2), padding: .valid, inH: 22, inW: 23))
        #expect(valid.outH == 10 && valid.outW == 11)
        // TF same: 60 → 30 with k3 s2 needs total pad 1, all of it at the bottom.
        let same = try #require(WindowGeometry(kernel: (3, 3), stride: (2, 2), padding: .same, inH: 60, inW: 60))
        #expect(same.outH == 30 && same.padTop == 0)
        let same3 = try #require(WindowGeometry(kernel: (3, 3), stride: (1, 1), padding: .same, inH: 8, inW: 8))
        #expect(same3.outH == 8 && same3.padTop == 1)
        #expect(WindowGeometry(kernel: (3, 3), stride: (1, 1), padding: .valid, inH: 2, inW: 5) == nil)
    }

    @Test("two-column softmax (P-Net's scores) equals the general loop bit for bit, ties and non-finite rows included")
    func softmaxTwoColumns() {
        var rng = SplitMix64(seed: 23)
        var x = rng.floats(2 * 4000, in: -30...30)
        let edge: [Float] = [0, 0, 1, 1, -1, 1, 88, -88, 1e-30, -1e-30, .infinity, 0, 0, -.infinity, .nan, 1, 3, .nan]
        x.replaceSubrange(0..<edge.count, with: edge)
        let rows = x.count / 2
        var fast = [Float](repeating: 0, count: x.count), general = fast
        Softmax.forward(input: x, rows: rows, cols: 2, output: &fast)
        Softmax.general(input: x, rows: rows, cols: 2, output: &general)
        #expect(fast.map(\.bitPattern) == general.map(\.bitPattern))
    }

    @Test("global average pool, dense, softmax, add, flatten orders")
    func smallOps() {
        var rng = SplitMix64(seed: 5)
        let s = TensorShape(n: 3, h: 5, w: 4, c: 13)
        let x = rng.floats(s.count)
        var gap = [Float](repeating: .nan, count: s.n * s.c)
        Pooling.globalAveragePool(input: x, shape: s, output: &gap)
        #expect(maxAbsDiff(gap, ReferenceKernels.globalAveragePool(x, s)) <= 1e-6)

        let kernel = rng.floats(s.sampleCount * 9), bias = rng.floats(9), alpha = rng.floats(9, in: 0...0.3)
        var y = [Float](repeating: .nan, count: s.n * 9)
        let packedDense = PackedConvolution.pack(kernel, k: s.sampleCount, cout: 9)
        let paddedBias = PackedConvolution.padChannels(bias, cout: 9), paddedAlpha = PackedConvolution.padChannels(alpha, cout: 9)
        paddedAlpha.withUnsafeBufferPointer { a in
            PackedConvolution.dense(
                input: x, rows: s.n, inputs: s.sampleCount, packed: packedDense, bias: paddedBias, cout: 9,
                activation: .prelu(a.baseAddress!), output: &y)
        }
        let ref = ReferenceKernels.prelu(
            ReferenceKernels.dense(x, rows: s.n, inputs: s.sampleCount, kernel: kernel, units: 9, bias: bias),
            alpha: alpha)
        #expect(maxAbsDiff(y, ref) <= 2e-5 * Float(s.sampleCount))

        let logits = rng.floats(4 * 7, in: -20...20)
        var p = [Float](repeating: .nan, count: logits.count)
        Softmax.forward(input: logits, rows: 4, cols: 7, output: &p)
        #expect(maxAbsDiff(p, ReferenceKernels.softmax(logits, cols: 7)) <= 1e-6)

        let b = rng.floats(x.count)
        var sum = [Float](repeating: .nan, count: x.count)
        Elementwise.add(x, b, count: x.count, output: &sum)
        #expect(maxAbsDiff(sum, zip(x, b).map { $0 + $1 }) == 0)

        for order in [[0, 1, 2], [1, 0, 2], [2, 1, 0], [2, 0, 1], [0, 2, 1], [1, 2, 0]] {
            var f = [Float](repeating: .nan, count: x.count)
            Elementwise.flatten(input: x, shape: s, order: (order[0], order[1], order[2]), output: &f)
            #expect(maxAbsDiff(f, ReferenceKernels.flatten(x, s, order: order)) == 0, "order \(order)")
        }
    }

    @Test("worker pool covers every index exactly once and is reusable")
    func workerPool() {
        let pool = WorkerPool(threads: 3)
        for count in [0, 1, 2, 5, 1000] {
            var hits = [Int](repeating: 0, count: count)
            hits.withUnsafeMutableBufferPointer { h in
                let base = h.baseAddress
                pool.parallelFor(count) { range in for i in range { base?[i] += 1 } }
            }
            #expect(hits.allSatisfy { $0 == 1 }, "count \(count)")
        }
    }

    @Test("worker pool under churn: back-to-back and sparse loops, workers asleep or late, every index once")
    func workerPoolChurn() {
        // Jobs follow each other with no gap (workers spinning, some claiming chunks of the
        // next job) and after pauses longer than the workers' spin (they sleep; the caller
        // takes the chunks they have not claimed and never waits for them to wake).
        let pool = WorkerPool(threads: 3)
        var rng = SplitMix64(seed: 23)
        var failures = 0
        for round in 0..<3_000 {
            let count = Int.random(in: 0...200, using: &rng)
            let perThread = Int.random(in: 1...4, using: &rng)
            var hits = [Int](repeating: 0, count: count)
            hits.withUnsafeMutableBufferPointer { h in
                pool.parallelFor(count, chunksPerThread: perThread, CountHits(hits: h))
            }
            if !hits.allSatisfy({ $0 == 1 }) { failures += 1 }
            if round % 100 == 99 { usleep(200) }
        }
        #expect(failures == 0)
    }

    private struct CountHits: ParallelBody {
        let hits: UnsafeMutableBufferPointer<Int>
        func run(_ range: Range<Int>) { for i in range { hits[i] += 1 } }
    }
}
