import CFERKernels

/// Resamples a rectangle of an 8-bit frame into float planes (bilinear, border replicated),
/// the tracker's equivalent of OpenCV CSRT's `get_subwindow` (BORDER_REPLICATE) followed by
/// `resize`. It is a small float resampler private to tracking (FERCore's cv2-exact
/// `Resize` serves the networks; tracking needs sub-pixel centres and float output).
///
/// When the patch is shrunk by more than 1.5×, each output pixel averages 2×2 bilinear samples
/// a quarter of a source step apart: a cheap anti-alias so HOG does not see aliased edges.
///
/// The column positions (byte offsets and fractions, per horizontal tap) are computed once per
/// call into a table the sampler owns, so the per-pixel work is loads and multiply-adds; RGB and
/// grey frames have their own inner loops. Sized at init for the widest output; allocates nothing
/// afterwards.
final class PatchSampler {
    private let maxWidth: Int
    /// The instruction-set level of the row loop (all levels give the same bits).
    private let level: Int32
    /// Per horizontal tap (2) and output column: byte offsets of the left/right source pixels.
    private let left: UnsafeMutablePointer<Int32>, right: UnsafeMutablePointer<Int32>
    /// Per horizontal tap and output column: the fraction towards the right pixel.
    private let fraction: UnsafeMutablePointer<Float>

    /// Prepares for outputs at most `maxWidth` pixels wide, sampled with `isa`'s row loop.
    init(maxWidth: Int, isa: InstructionSet = .current) {
        self.maxWidth = max(1, maxWidth)
        level = Int32(isa.rawValue)
        left = .allocate(capacity: 2 * self.maxWidth)
        right = .allocate(capacity: 2 * self.maxWidth)
        fraction = .allocate(capacity: 2 * self.maxWidth)
        left.initialize(repeating: 0, count: 2 * self.maxWidth)
        right.initialize(repeating: 0, count: 2 * self.maxWidth)
        fraction.initialize(repeating: 0, count: 2 * self.maxWidth)
    }

    deinit {
        left.deallocate()
        right.deallocate()
        fraction.deallocate()
    }

    /// Fills `planes` (`channels` planes of `outWidth × outHeight`, plane-major) with the
    /// source rectangle centred at (`centerX`, `centerY`) of size `srcWidth × srcHeight`.
    /// Values stay in 0…255. `channels` is the view's channel count (1 or 3).
    func sample(
        _ image: ImageView, centerX: Double, centerY: Double,
        srcWidth: Double, srcHeight: Double,
        outWidth: Int, outHeight: Int, into planes: UnsafeMutablePointer<Float>
    ) {
        precondition(outWidth <= maxWidth, "PatchSampler sized for narrower outputs")
        let c = image.channels
        let stepX = srcWidth / Double(outWidth), stepY = srcHeight / Double(outHeight)
        let x0 = centerX - srcWidth / 2, y0 = centerY - srcHeight / 2
        let plane = outWidth * outHeight
        let maxX = Float(image.width - 1), maxY = Float(image.height - 1)
        let superSample = stepX > 1.5 || stepY > 1.5
        let taps = superSample ? 2 : 1
        let offX = Float(stepX / 4), offY = Float(stepY / 4)
        let w1 = image.width - 1, h1 = image.height - 1
        // Column table: centre of output pixel ox maps to source x (pixel centres at integer + 0.5).
        for t in 0..<taps {
            let ddx: Float = superSample ? (t == 0 ? -offX : offX) : 0
            for ox in 0..<outWidth {
                let sx = min(max(Float(x0 + (Double(ox) + 0.5) * stepX - 0.5) + ddx, 0), maxX)
                let ix = Int(sx)
                left[t * maxWidth + ox] = Int32(ix * c)
                right[t * maxWidth + ox] = Int32(min(ix + 1, w1) * c)
                fraction[t * maxWidth + ox] = sx - Float(ix)
            }
        }
        let weight = 1 / Float(taps * taps)
        let base = image.base, rowBytes = image.rowBytes
        for oy in 0..<outHeight {
            let outRow = oy * outWidth
            // The (up to) two vertical taps: their source rows and fractions.
            var rows0 = (base, base), rows1 = (base, base), fys: (Float, Float) = (0, 0)
            // A 4-byte load of the last pixel of a row reads the next row's first byte: fine unless
            // that row is the image's last.
            var wideLoads = true
            for ty in 0..<taps {
                let ddy: Float = superSample ? (ty == 0 ? -offY : offY) : 0
                let sy = min(max(Float(y0 + (Double(oy) + 0.5) * stepY - 0.5) + ddy, 0), maxY)
                let iy = Int(sy)
                wideLoads = wideLoads && iy + 1 < h1
                let r0 = base + iy * rowBytes, r1 = base + min(iy + 1, h1) * rowBytes
                if ty == 0 { rows0.0 = r0; rows1.0 = r1; fys.0 = sy - Float(iy) } else { rows0.1 = r0; rows1.1 = r1; fys.1 = sy - Float(iy) }
            }
            // The row's per-pixel loop (fer_tracker.h): RGB as one 4-lane set per pixel, grey per lane.
            let p0 = planes + outRow
            withUnsafePointer(to: rows0) { top in
                withUnsafePointer(to: rows1) { bottom in
                    withUnsafePointer(to: fys) { fy in
                        fer_patch_row(
                            level, c,
                            UnsafeRawPointer(top).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                            UnsafeRawPointer(bottom).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                            UnsafeRawPointer(fy).assumingMemoryBound(to: Float.self),
                            taps, wideLoads ? 1 : 0, left, right, fraction, maxWidth, outWidth, weight,
                            p0, c == 3 ? p0 + plane : p0, c == 3 ? p0 + 2 * plane : p0)
                    }
                }
            }
        }
    }
}
