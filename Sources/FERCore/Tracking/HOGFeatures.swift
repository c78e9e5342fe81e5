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
    private let maxWidth: Int
    private let hist: UnsafeMutablePointer<Float> // 18 per cell
    private let energy: UnsafeMutablePointer<Float> // 1 per cell
    // Row work: per pixel of one row, the gradient magnitude, lower orientation bin and the
    // weight of the upper bin; per column, the two cells it splits into and their weights.
    private let rowMag: UnsafeMutablePointer<Float>, rowBin: UnsafeMutablePointer<Float>, rowFrac: UnsafeMutablePointer<Float>
    private let colCell0: UnsafeMutablePointer<Int32>, colCell1: UnsafeMutablePointer<Int32>
    private let colW0: UnsafeMutablePointer<Float>, colW1: UnsafeMutablePointer<Float>

    /// Prepares for patches of at most `maxCellsX × maxCellsY` cells.
    init(cellSize: Int, clip: Float, maxCellsX: Int, maxCellsY: Int) {
        self.cellSize = cellSize
        self.clip = clip
        maxCells = max(1, maxCellsX * maxCellsY)
        hist = .allocate(capacity: maxCells * 18)
        energy = .allocate(capacity: maxCells)
        hist.initialize(repeating: 0, count: maxCells * 18)
        energy.initialize(repeating: 0, count: maxCells)
        // Widths up to one cell beyond the grid (the remainder pixels feed no cell).
        maxWidth = (max(1, maxCellsX) + 1) * cellSize
        rowMag = .allocate(capacity: maxWidth); rowBin = .allocate(capacity: maxWidth); rowFrac = .allocate(capacity: maxWidth)
        colCell0 = .allocate(capacity: maxWidth); colCell1 = .allocate(capacity: maxWidth)
        colW0 = .allocate(capacity: maxWidth); colW1 = .allocate(capacity: maxWidth)
        for p in [rowMag, rowBin, rowFrac, colW0, colW1] { p.initialize(repeating: 0, count: maxWidth) }
        for p in [colCell0, colCell1] { p.initialize(repeating: 0, count: maxWidth) }
    }

    deinit {
        hist.deallocate()
        energy.deallocate()
        for p in [rowMag, rowBin, rowFrac, colW0, colW1] { p.deallocate() }
        for p in [colCell0, colCell1] { p.deallocate() }
    }

    /// Computes features of `planes` (`channels` planes of `width × height`, values 0…255) into
    /// `out`: `channelCount` planes of `cellsX × cellsY` with `cellsX = width / cellSize`.
    /// The first `usedChannels` channels are written (18 → sensitive only; 31 → all).
    func compute(
        planes: UnsafePointer<Float>, channels: Int, width: Int, height: Int,
        usedChannels: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let cs = cellSize
        let cx = width / cs, cy = height / cs
        let cells = cx * cy
        precondition(cells <= maxCells && cells > 0, "HOG buffers sized for fewer cells")
        hist.update(repeating: 0, count: cells * 18)
        precondition(width <= maxWidth, "HOG row buffers sized for narrower patches")
        let plane = width * height
        let binScale: Float = 18 / (2 * Float.pi)
        let invCs = 1 / Float(cs)
        // Per column: the bilinear spatial split between cells (cell centres at (i + 0.5)·cs);
        // a neighbour outside the grid gets weight 0 (and a valid index) instead of a branch.
        for x in 0..<width {
            let fxc = (Float(x) + 0.5) * invCs - 0.5
            let c0 = Int(floor(fxc))
            let w1 = fxc - Float(c0)
            colCell0[x] = Int32(min(max(c0, 0), cx - 1)); colW0[x] = c0 >= 0 && c0 < cx ? 1 - w1 : 0
            colCell1[x] = Int32(min(max(c0 + 1, 0), cx - 1)); colW1[x] = c0 + 1 >= 0 && c0 + 1 < cx ? w1 : 0
        }
        for y in 0..<height {
            let ym = max(y - 1, 0), yp = min(y + 1, height - 1)
            gradientRow(planes, channels: channels, plane: plane, width: width, y: y, ym: ym, yp: yp, binScale: binScale)
            let fyc = (Float(y) + 0.5) * invCs - 0.5
            let cy0 = Int(floor(fyc))
            let wy1 = fyc - Float(cy0)
            let wyA: Float = cy0 >= 0 && cy0 < cy ? 1 - wy1 : 0, wyB: Float = cy0 + 1 >= 0 && cy0 + 1 < cy ? wy1 : 0
            let rowA = hist + min(max(cy0, 0), cy - 1) * cx * 18, rowB = hist + min(max(cy0 + 1, 0), cy - 1) * cx * 18
            for x in 0..<width {
                let mag = rowMag[x]
                let b0 = Int(rowBin[x]), b1 = b0 == 17 ? 0 : b0 + 1 // rowBin holds whole numbers 0…17
                let wb1 = rowFrac[x], wb0 = 1 - wb1
                let m0 = mag * wb0, m1 = mag * wb1
                let c0 = Int(colCell0[x]) * 18, c1 = Int(colCell1[x]) * 18
                let w00 = wyA * colW0[x], w01 = wyA * colW1[x], w10 = wyB * colW0[x], w11 = wyB * colW1[x]
                rowA[c0 + b0] += w00 * m0; rowA[c0 + b1] += w00 * m1
                rowA[c1 + b0] += w01 * m0; rowA[c1 + b1] += w01 * m1
                rowB[c0 + b0] += w10 * m0; rowB[c0 + b1] += w10 * m1
                rowB[c1 + b0] += w11 * m0; rowB[c1 + b1] += w11 * m1
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

    /// One row's gradients: per pixel the central difference of the colour channel with the
    /// largest magnitude (borders replicate), its magnitude, the lower of the two nearest of 18
    /// orientation bins and the fraction towards the upper one. Branch-free so it vectorises.
    private func gradientRow(
        _ planes: UnsafePointer<Float>, channels: Int, plane: Int, width: Int,
        y: Int, ym: Int, yp: Int, binScale: Float
    ) {
        HOGFeatures.gradientRow(
            planes, channels: channels, plane: plane, width: width, y: y, ym: ym, yp: yp,
            binScale: binScale, mag: rowMag, bin: rowBin, frac: rowFrac)
    }

    // Static, with the outputs as parameters: no `self` reloads in the loop, so it vectorises.
    private static func gradientRow(
        _ planes: UnsafePointer<Float>, channels: Int, plane: Int, width: Int,
        y: Int, ym: Int, yp: Int, binScale: Float,
        mag: UnsafeMutablePointer<Float>, bin: UnsafeMutablePointer<Float>,
        frac: UnsafeMutablePointer<Float>
    ) {
        // Border columns replicate (one-sided differences); the interior runs without index
        // clamps, per channel count, so the compiler vectorises it.
        for side in 0..<2 {
            let x = side == 0 ? 0 : width - 1
            let xm = x > 0 ? x - 1 : 0, xp = x + 1 < width ? x + 1 : width - 1
            var gx: Float = 0, gy: Float = 0, best: Float = -1
            for ch in 0..<channels {
                let p = planes + ch * plane
                let dx = p[y * width + xp] - p[y * width + xm]
                let dy = p[yp * width + x] - p[ym * width + x]
                let m = dx * dx + dy * dy
                if m > best { best = m; gx = dx; gy = dy }
            }
            store(x, gx, gy, best, binScale, mag, bin, frac)
        }
        guard width > 2 else { return }
        let c0 = planes + y * width, u0 = planes + ym * width, d0 = planes + yp * width
        if channels == 3 {
            let c1 = c0 + plane, u1 = u0 + plane, d1 = d0 + plane
            let c2 = c1 + plane, u2 = u1 + plane, d2 = d1 + plane
            for x in 1..<(width - 1) {
                var gx = c0[x &+ 1] - c0[x &- 1], gy = d0[x] - u0[x]
                var best = gx * gx + gy * gy
                let gx1 = c1[x &+ 1] - c1[x &- 1], gy1 = d1[x] - u1[x], m1 = gx1 * gx1 + gy1 * gy1
                let t1 = m1 > best
                best = t1 ? m1 : best; gx = t1 ? gx1 : gx; gy = t1 ? gy1 : gy
                let gx2 = c2[x &+ 1] - c2[x &- 1], gy2 = d2[x] - u2[x], m2 = gx2 * gx2 + gy2 * gy2
                let t2 = m2 > best
                best = t2 ? m2 : best; gx = t2 ? gx2 : gx; gy = t2 ? gy2 : gy
                store(x, gx, gy, best, binScale, mag, bin, frac)
            }
        } else {
            for x in 1..<(width - 1) {
                let gx = c0[x &+ 1] - c0[x &- 1], gy = d0[x] - u0[x]
                store(x, gx, gy, gx * gx + gy * gy, binScale, mag, bin, frac)
            }
        }
    }

    @inline(__always)
    private static func store(
        _ x: Int, _ gx: Float, _ gy: Float, _ energy: Float, _ binScale: Float,
        _ rowMag: UnsafeMutablePointer<Float>, _ rowBin: UnsafeMutablePointer<Float>,
        _ rowFrac: UnsafeMutablePointer<Float>
    ) {
        var angle = HOGFeatures.fastAtan2(gy, gx)
        angle = angle < 0 ? angle + 2 * Float.pi : angle
        let fb = angle * binScale
        // The bin stays a Float here (a checked Float→Int conversion would stop vectorisation),
        // truncated with adds and a compare (`rounded(.towardZero)` was a `truncf` call per
        // pixel in a plain build, see PlainRounding).
        var b0 = PlainRounding.truncateNonNegative(fb)
        let frac = fb - b0
        b0 = b0 >= 18 ? b0 - 18 : b0
        rowMag[x] = energy.squareRoot()
        rowBin[x] = b0
        rowFrac[x] = frac
    }

    /// atan2 with a polynomial arctangent (max error ≈ 1e-4 rad, far below the 20° bin width).
    @inline(__always)
    static func fastAtan2(_ y: Float, _ x: Float) -> Float {
        let ax = abs(x), ay = abs(y)
        let mx = max(ax, ay), mn = min(ax, ay)
        // mx = 0 (no gradient) gives a = 0 and angle 0 without a branch.
        let a = mn / max(mx, Float.leastNormalMagnitude)
        let s = a * a
        // Minimax polynomial for atan on [0, 1].
        var r = ((-0.046_496_474_9 * s + 0.159_314_22) * s - 0.327_622_764) * s * a + a
        r = ay > ax ? Float.pi / 2 - r : r
        r = x < 0 ? Float.pi - r : r
        return y < 0 ? -r : r
    }
}
