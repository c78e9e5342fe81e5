import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// The tracker's C loops (CFERKernels `fer_tracker.h`) exist once per instruction-set level and
/// are written to perform the same IEEE operations in the same order on every level (no fused
/// multiply-adds, no reordered sums). So the comparison here is exact: a level whose compiler
/// contracted a multiply-add, or a loop that diverged from the others, fails.
@Suite("Tracker kernels")
struct TrackerKernelTests {
    static let levels = InstructionSet.available.filter { $0 != .generic }

    /// A frame of random bytes with a smooth gradient under them (so HOG sees edges of every
    /// strength), `channels` 1 or 3.
    static func frame(width: Int, height: Int, format: PixelFormat, seed: UInt64) throws -> Image {
        var rng = SplitMix64(seed: seed)
        let c = format.channels
        var px = [UInt8](repeating: 0, count: width * height * c)
        for y in 0..<height {
            for x in 0..<width {
                for ch in 0..<c {
                    let smooth = 128 + 90 * sin(Double(x) * 0.11 + Double(ch)) * cos(Double(y) * 0.07)
                    let noise = Double(rng.next() % 41) - 20
                    px[(y * width + x) * c + ch] = UInt8(clamping: Int(smooth + noise))
                }
            }
        }
        return try Image(width: width, height: height, format: format, pixels: px)
    }

    @Test("FFT stages (radix 2, 3, 4, 5), forward and inverse: the same bits on every level", arguments: levels)
    func fft(isa: InstructionSet) throws {
        var rng = SplitMix64(seed: 71)
        // Sides that use every radix, alone and mixed, including the tracker's usual 2-3-5 grids.
        for (w, h) in [(8, 8), (9, 12), (25, 10), (30, 32), (45, 16), (50, 27), (1, 5)] {
            let generic = try FFT2D(width: w, height: h, isa: .generic)
            let other = try FFT2D(width: w, height: h, isa: isa)
            for inverse in [false, true] {
                let re = rng.floats(w * h), im = rng.floats(w * h)
                var r1 = re, i1 = im, r2 = re, i2 = im
                r1.withUnsafeMutableBufferPointer { r in
                    i1.withUnsafeMutableBufferPointer { i in generic.transform(re: r.baseAddress!, im: i.baseAddress!, inverse: inverse) }
                }
                r2.withUnsafeMutableBufferPointer { r in
                    i2.withUnsafeMutableBufferPointer { i in other.transform(re: r.baseAddress!, im: i.baseAddress!, inverse: inverse) }
                }
                #expect(r1 == r2 && i1 == i2, "\(w)×\(h) inverse \(inverse) on \(isa)")
            }
        }
    }

    /// Samples a patch with both levels and returns both results.
    static func sample(
        _ view: ImageView, isa: InstructionSet, cx: Double, cy: Double, src: Double, out: Int
    ) -> ([Float], [Float]) {
        let a = PatchSampler(maxWidth: out, isa: .generic), b = PatchSampler(maxWidth: out, isa: isa)
        var pa = [Float](repeating: -1, count: out * out * 3), pb = pa
        pa.withUnsafeMutableBufferPointer { p in
            a.sample(view, centerX: cx, centerY: cy, srcWidth: src, srcHeight: src, outWidth: out, outHeight: out, into: p.baseAddress!)
        }
        pb.withUnsafeMutableBufferPointer { p in
            b.sample(view, centerX: cx, centerY: cy, srcWidth: src, srcHeight: src, outWidth: out, outHeight: out, into: p.baseAddress!)
        }
        return (pa, pb)
    }

    @Test("patch sampler and HOG, RGB and grey, all 31 channels: the same bits on every level", arguments: levels)
    func patchAndHOG(isa: InstructionSet) throws {
        for format in [PixelFormat.rgb8, .gray8] {
            let image = try Self.frame(width: 97, height: 83, format: format, seed: format == .rgb8 ? 5 : 6)
            image.withView { view in
                // Shrinking (2×2 taps), enlarging (1 tap), and windows over the borders (replicated
                // pixels; no 4-byte loads on the last rows).
                for (cx, cy, src, out) in [(48.5, 41.0, 90.0, 40), (30.2, 20.7, 20.0, 48), (5.0, 78.0, 60.0, 36), (90.0, 80.0, 33.0, 24)] {
                    let (pa, pb) = Self.sample(view, isa: isa, cx: cx, cy: cy, src: src, out: out)
                    #expect(pa == pb, "\(format) patch at (\(cx), \(cy)) \(src)→\(out) on \(isa)")
                    #expect(!pa.prefix(out * out).contains(-1), "the sampler wrote every pixel")
                    for used in [18, 27, 31] {
                        let cells = out / 4
                        let ha = HOGFeatures(cellSize: 4, clip: 0.2, maxCellsX: cells, maxCellsY: cells, isa: .generic)
                        let hb = HOGFeatures(cellSize: 4, clip: 0.2, maxCellsX: cells, maxCellsY: cells, isa: isa)
                        var fa = [Float](repeating: 0, count: 31 * cells * cells), fb = fa
                        fa.withUnsafeMutableBufferPointer { f in
                            ha.compute(planes: pa, channels: view.channels, width: out, height: out, usedChannels: used, into: f.baseAddress!)
                        }
                        fb.withUnsafeMutableBufferPointer { f in
                            hb.compute(planes: pa, channels: view.channels, width: out, height: out, usedChannels: used, into: f.baseAddress!)
                        }
                        #expect(fa == fb, "\(format) HOG \(used) channels of \(out)×\(out) on \(isa)")
                        #expect(fa.contains { $0 > 0 }, "HOG saw edges")
                    }
                }
            }
        }
    }

    @Test("scale filter (sampling, HOG, DFT along scales): the same scales on every level", arguments: levels)
    func scaleFilter(isa: InstructionSet) throws {
        var scene = SyntheticScene(width: 160, height: 120, seed: 21)
        scene.objects = [(SyntheticScene.Texture(seed: 22, frequency: 0.2...0.6), Box(x: 50, y: 35, width: 50, height: 50))]
        let options = CorrelationFilterOptions()
        func make(_ isa: InstructionSet) -> ScaleFilter {
            ScaleFilter(
                options: options, targetWidth: 50, targetHeight: 50, templateWidth: 200, templateHeight: 200,
                frameWidth: 160, frameHeight: 120, isa: isa)
        }
        let a = make(.generic), b = make(isa)
        scene.render().withView { v in
            a.update(v, cx: 75, cy: 60, rate: 1)
            b.update(v, cx: 75, cy: 60, rate: 1)
        }
        for t in 1...5 {
            let s = pow(1.04, Double(t))
            scene.objects[0].box = Box(x: 75 - 25 * s, y: 60 - 25 * s, width: 50 * s, height: 50 * s)
            scene.render().withView { v in
                let sa = a.estimate(v, cx: 75, cy: 60), sb = b.estimate(v, cx: 75, cy: 60)
                #expect(sa == sb, "frame \(t): \(sa) vs \(sb) on \(isa)")
                a.update(v, cx: 75, cy: 60, sameFrame: true)
                b.update(v, cx: 75, cy: 60, sameFrame: true)
            }
        }
    }

    @Test("spatial reliability (colour posterior, smoothing, mask): the same mask on every level", arguments: levels)
    func reliability(isa: InstructionSet) throws {
        let image = try Self.frame(width: 120, height: 100, format: .rgb8, seed: 9)
        let cells = 20, cellSize = 4, side = cells * cellSize
        image.withView { view in
            let (patch, _) = Self.sample(view, isa: .generic, cx: 60, cy: 50, src: 90, out: side)
            let valid = [Bool](repeating: true, count: cells * cells)
            var masks: [[Float]] = []
            var smoothed: [[Double]] = []
            for level in [InstructionSet.generic, isa] {
                let r = SpatialReliability(bins: 16, cellsX: cells, cellsY: cells, isa: level)
                r.updateHistograms(view, box: Box(x: 40, y: 30, width: 40, height: 40), backgroundRatio: 2, learningRate: 1)
                var mask = [Float](repeating: -1, count: cells * cells)
                let ok = mask.withUnsafeMutableBufferPointer { m in
                    r.segment(
                        planes: patch, channels: 3, cellSize: cellSize, valid: valid, targetCellsMin: 10,
                        iterations: 4, defaultArea: 100, mask: m.baseAddress!)
                }
                #expect(ok, "the mask covers enough cells")
                masks.append(mask)
                smoothed.append(Array(UnsafeBufferPointer(start: r.smoothedForeground, count: cells * cells)))
            }
            #expect(masks[0] == masks[1], "mask on \(isa)")
            #expect(smoothed[0] == smoothed[1], "smoothed posterior on \(isa)")
            #expect(Set(masks[0]).count == 2, "the mask has both reliable and unreliable cells")
        }
    }
}
