/// Resamples a rectangle of an 8-bit frame into float planes (bilinear, border replicated),
/// the tracker's equivalent of OpenCV CSRT's `get_subwindow` (BORDER_REPLICATE) followed by
/// `resize`. It is a small float resampler private to tracking (FERCore's cv2-exact
/// `Resize` serves the networks; tracking needs sub-pixel centres and float output).
///
/// When the patch is shrunk by more than 1.5×, each output pixel averages 2×2 bilinear samples
/// a quarter of a source step apart: a cheap anti-alias so HOG does not see aliased edges.
enum PatchSampler {
    /// Fills `planes` (`channels` planes of `outWidth × outHeight`, plane-major) with the
    /// source rectangle centred at (`centerX`, `centerY`) of size `srcWidth × srcHeight`.
    /// Values stay in 0…255. `channels` is the view's channel count (1 or 3).
    static func sample(_ image: ImageView, centerX: Double, centerY: Double,
                       srcWidth: Double, srcHeight: Double,
                       outWidth: Int, outHeight: Int, into planes: UnsafeMutablePointer<Float>) {
        let c = image.channels
        let stepX = srcWidth / Double(outWidth), stepY = srcHeight / Double(outHeight)
        let x0 = centerX - srcWidth / 2, y0 = centerY - srcHeight / 2
        let plane = outWidth * outHeight
        let maxX = Float(image.width - 1), maxY = Float(image.height - 1)
        let superSample = stepX > 1.5 || stepY > 1.5
        let offX = Float(stepX / 4), offY = Float(stepY / 4)
        let taps = superSample ? 4 : 1
        let weight = 1 / Float(taps)
        for ch in 0..<c { (planes + ch * plane).update(repeating: 0, count: plane) }
        let base = image.base, rowBytes = image.rowBytes, w1 = image.width - 1, h1 = image.height - 1
        for tap in 0..<taps {
            // No per-call arrays: the 2×2 offsets come from the tap index.
            let ddx = superSample ? ((tap & 1) == 0 ? -offX : offX) : 0
            let ddy = superSample ? ((tap & 2) == 0 ? -offY : offY) : 0
            for oy in 0..<outHeight {
                // Centre of output pixel oy maps to source y (pixel centres at integer + 0.5).
                let sy = min(max(Float(y0 + (Double(oy) + 0.5) * stepY - 0.5) + ddy, 0), maxY)
                let iy = Int(sy), fy = sy - Float(iy)
                let r0 = base + iy * rowBytes, r1 = base + min(iy + 1, h1) * rowBytes
                let outRow = oy * outWidth
                for ox in 0..<outWidth {
                    let sx = min(max(Float(x0 + (Double(ox) + 0.5) * stepX - 0.5) + ddx, 0), maxX)
                    let ix = Int(sx), fx = sx - Float(ix)
                    let a = ix * c, b = min(ix + 1, w1) * c
                    for ch in 0..<c {
                        let p00 = Float(r0[a + ch]), p01 = Float(r0[b + ch]), p10 = Float(r1[a + ch]), p11 = Float(r1[b + ch])
                        let top = p00 + (p01 - p00) * fx, bottom = p10 + (p11 - p10) * fx
                        planes[ch * plane + outRow + ox] += weight * (top + (bottom - top) * fy)
                    }
                }
            }
        }
    }

    @inline(__always)
    static func bilinear(_ image: ImageView, _ x: Float, _ y: Float, _ ch: Int, _ maxX: Float, _ maxY: Float) -> Float {
        // Clamping the coordinate replicates the border; it also maps NaN-free inputs only.
        let cx = min(max(x, 0), maxX), cy = min(max(y, 0), maxY)
        let ix = Int(cx), iy = Int(cy)
        let fx = cx - Float(ix), fy = cy - Float(iy)
        let ix1 = min(ix + 1, image.width - 1), iy1 = min(iy + 1, image.height - 1)
        let c = image.channels
        let r0 = image.row(iy), r1 = image.row(iy1)
        let a = Float(r0[ix * c + ch]), b = Float(r0[ix1 * c + ch])
        let d = Float(r1[ix * c + ch]), e = Float(r1[ix1 * c + ch])
        let top = a + (b - a) * fx, bottom = d + (e - d) * fx
        return top + (bottom - top) * fy
    }
}
