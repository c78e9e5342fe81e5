import Foundation

/// Felzenszwalb-style HOG ("FHOG", Felzenszwalb et al., PAMI 2010; as in Piotr Dollár's
/// toolbox `fhog`, which OpenCV's CSRT ports): 31 channels per cell —
/// 18 contrast-sensitive orientations (0…17), 9 contrast-insensitive (18…26), 4 texture
/// (gradient energy under each of the 4 block normalisations, 27…30).
///
/// Per pixel: central-difference gradient, the colour channel with the largest magnitude,
/// orientation split linearly between its two nearest of 18 bins, magnitude split bilinearly
/// between the 4 nearest cells. Each cell is then normalised by the 4 2×2-cell blocks it
/// belongs to, clipped at `clip`, and summed (×0.5, the toolbox's scaling; texture ×0.2357).
/// Buffers are sized at init for the largest input; `compute` allocates nothing.
final class HOGFeatures {
    /// Channels produced per cell.
    static let channelCount = 31
    let cellSize: Int
    let clip: Float
    private let maxCells: Int
    private let hist: UnsafeMutablePointer<Float>   // 18 per cell
    private let energy: UnsafeMutablePointer<Float> // 1 per cell

    /// Prepares for patches of at most `maxCellsX × maxCellsY` cells.
    init(cellSize: Int, clip: Float, maxCellsX: Int, maxCellsY: Int) {
        self.cellSize = cellSize
        self.clip = clip
        maxCells = max(1, maxCellsX * maxCellsY)
        hist = .allocate(capacity: maxCells * 18)
        energy = .allocate(capacity: maxCells)
        hist.initialize(repeating: 0, count: maxCells * 18)
        energy.initialize(repeating: 0, count: maxCells)
    }

    deinit {
        hist.deallocate()
        energy.deallocate()
    }

    /// Computes features of `planes` (`channels` planes of `width × height`, values 0…255) into
    /// `out`: `channelCount` planes of `cellsX × cellsY` with `cellsX = width / cellSize`.
    /// The first `usedChannels` channels are written (18 → sensitive only; 31 → all).
    func compute(planes: UnsafePointer<Float>, channels: Int, width: Int, height: Int,
                 usedChannels: Int, into out: UnsafeMutablePointer<Float>) {
        let cs = cellSize
        let cx = width / cs, cy = height / cs
        let cells = cx * cy
        precondition(cells <= maxCells && cells > 0, "HOG buffers sized for fewer cells")
        hist.update(repeating: 0, count: cells * 18)
        let plane = width * height
        let binScale: Float = 18 / (2 * Float.pi)
        let invCs = 1 / Float(cs)
        for y in 0..<height {
            let ym = max(y - 1, 0), yp = min(y + 1, height - 1)
            // Cell coordinate of the pixel centre, for the bilinear spatial split.
            let fyc = (Float(y) + 0.5) * invCs - 0.5
            let cy0 = Int(floor(fyc))
            let wy1 = fyc - Float(cy0), wy0 = 1 - wy1
            for x in 0..<width {
                let xm = max(x - 1, 0), xp = min(x + 1, width - 1)
                var gx: Float = 0, gy: Float = 0, best: Float = -1
                for ch in 0..<channels {
                    let p = planes + ch * plane
                    let dx = p[y * width + xp] - p[y * width + xm]
                    let dy = p[yp * width + x] - p[ym * width + x]
                    let m = dx * dx + dy * dy
                    if m > best { best = m; gx = dx; gy = dy }
                }
                let mag = best.squareRoot()
                if !(mag > 0) { continue }
                var angle = HOGFeatures.fastAtan2(gy, gx)
                if angle < 0 { angle += 2 * Float.pi }
                let fb = angle * binScale
                var b0 = Int(fb)
                let wb1 = fb - Float(b0), wb0 = 1 - wb1
                if b0 >= 18 { b0 -= 18 }
                let b1 = b0 + 1 == 18 ? 0 : b0 + 1
                let fxc = (Float(x) + 0.5) * invCs - 0.5
                let cx0 = Int(floor(fxc))
                let wx1 = fxc - Float(cx0), wx0 = 1 - wx1
                // Unrolled 2×2 spatial split (no per-pixel arrays).
                for dyc in 0..<2 {
                    let yy = cy0 + dyc
                    if yy < 0 || yy >= cy { continue }
                    let wy = dyc == 0 ? wy0 : wy1
                    for dxc in 0..<2 {
                        let xx = cx0 + dxc
                        if xx < 0 || xx >= cx { continue }
                        let h = hist + (yy * cx + xx) * 18
                        let w = mag * wy * (dxc == 0 ? wx0 : wx1)
                        h[b0] += w * wb0
                        h[b1] += w * wb1
                    }
                }
            }
        }
        // Energy of the contrast-insensitive histogram per cell.
        for i in 0..<cells {
            let h = hist + i * 18
            var e: Float = 0
            for o in 0..<9 { let v = h[o] + h[o + 9]; e += v * v }
            energy[i] = e
        }
        let eps: Float = 1e-4 // keeps flat areas finite (toolbox uses a small epsilon too)
        for j in 0..<cy {
            for i in 0..<cx {
                // The 4 blocks of 2×2 cells containing cell (i, j); outside cells are clamped.
                var norms: (Float, Float, Float, Float) = (0, 0, 0, 0)
                for blk in 0..<4 {
                    let dx = (blk & 1) == 0 ? -1 : 1, dy = (blk & 2) == 0 ? -1 : 1
                    let i2 = min(max(i + dx, 0), cx - 1), j2 = min(max(j + dy, 0), cy - 1)
                    let s = energy[j * cx + i] + energy[j * cx + i2] + energy[j2 * cx + i] + energy[j2 * cx + i2]
                    let n = 1 / (s + eps).squareRoot()
                    switch blk {
                    case 0: norms.0 = n
                    case 1: norms.1 = n
                    case 2: norms.2 = n
                    default: norms.3 = n
                    }
                }
                let h = hist + (j * cx + i) * 18
                let o = j * cx + i
                var t0: Float = 0, t1: Float = 0, t2: Float = 0, t3: Float = 0
                for b in 0..<18 {
                    let v = h[b]
                    let a0 = min(v * norms.0, clip), a1 = min(v * norms.1, clip)
                    let a2 = min(v * norms.2, clip), a3 = min(v * norms.3, clip)
                    if b < usedChannels { out[b * cells + o] = 0.5 * (a0 + a1 + a2 + a3) }
                    t0 += a0; t1 += a1; t2 += a2; t3 += a3
                }
                if usedChannels > 18 {
                    for b in 0..<min(9, usedChannels - 18) {
                        let v = h[b] + h[b + 9]
                        let s = min(v * norms.0, clip) + min(v * norms.1, clip) + min(v * norms.2, clip) + min(v * norms.3, clip)
                        out[(18 + b) * cells + o] = 0.5 * s
                    }
                }
                if usedChannels > 27 {
                    let n = min(4, usedChannels - 27)
                    out[27 * cells + o] = 0.2357 * t0
                    if n > 1 { out[28 * cells + o] = 0.2357 * t1 }
                    if n > 2 { out[29 * cells + o] = 0.2357 * t2 }
                    if n > 3 { out[30 * cells + o] = 0.2357 * t3 }
                }
            }
        }
    }

    /// atan2 with a polynomial arctangent (max error ≈ 1e-4 rad, far below the 20° bin width).
    @inline(__always)
    static func fastAtan2(_ y: Float, _ x: Float) -> Float {
        let ax = abs(x), ay = abs(y)
        let mx = max(ax, ay), mn = min(ax, ay)
        guard mx > 0 else { return 0 }
        let a = mn / mx
        let s = a * a
        // Minimax polynomial for atan on [0, 1].
        var r = ((-0.046_496_474_9 * s + 0.159_314_22) * s - 0.327_622_764) * s * a + a
        if ay > ax { r = Float.pi / 2 - r }
        if x < 0 { r = Float.pi - r }
        if y < 0 { r = -r }
        return r
    }
}
