import CFERKernels
import Foundation

/// The spatial reliability map of CSR-DCF (Lukežič et al., CVPR 2017, §3.1): a colour model
/// of foreground and background (RGB histograms, `bins³` cells) gives each HOG cell of the
/// template a foreground posterior; an Epanechnikov location prior and the Markov-random-field
/// smoothing of Kristan et al. (ACCV 2014) regularise it; thresholding at half the maximum and
/// a 3×3 dilation give the binary mask that constrains the filter.
///
/// Follows opencv_contrib `trackerCSRTSegmentation.cpp` (`Histogram`, `computePosteriors2`,
/// `getRegularizedSegmentation`) and `trackerCSRT.cpp` (`get_location_prior`, `segment_region`),
/// with two differences, both for speed: RGB instead of HSV histograms, and the posterior is
/// computed directly on the HOG cell grid (mean colour per cell) instead of a ~1000-pixel
/// resampling of the patch.
final class SpatialReliability {
    let bins: Int
    /// The instruction-set level of the smoothing loops (all levels give the same bits).
    private let level: Int32
    let cellsX: Int, cellsY: Int
    private let histogramSize: Int
    let foreground: UnsafeMutablePointer<Double>
    let background: UnsafeMutablePointer<Double>
    private let newForeground: UnsafeMutablePointer<Double>
    private let newBackground: UnsafeMutablePointer<Double>
    /// Probability of background of the last histogram extraction (area ratio).
    private(set) var backgroundProbability: Double = 0.5
    // Grid-sized work buffers.
    private let count: Int
    private let probO, probB, priorO, priorB, pIo, pIb, siO, siB, qO, qB, tmp, tmp2: UnsafeMutablePointer<Double>
    private let binOfCell: UnsafeMutablePointer<Int32>
    private let kernelRadius: Int
    private let kernel: UnsafeMutablePointer<Double> // normalised 1-D Gaussian, 2r+1 taps
    private let centerWeight: Double

    init(bins: Int, cellsX: Int, cellsY: Int, isa: InstructionSet = .current) {
        self.bins = bins
        level = Int32(isa.rawValue)
        self.cellsX = cellsX
        self.cellsY = cellsY
        histogramSize = bins * bins * bins
        foreground = .allocate(capacity: histogramSize)
        background = .allocate(capacity: histogramSize)
        newForeground = .allocate(capacity: histogramSize)
        newBackground = .allocate(capacity: histogramSize)
        for p in [foreground, background, newForeground, newBackground] { p.initialize(repeating: 0, count: histogramSize) }
        count = cellsX * cellsY
        let grids = (0..<12).map { _ -> UnsafeMutablePointer<Double> in
            let p = UnsafeMutablePointer<Double>.allocate(capacity: cellsX * cellsY)
            p.initialize(repeating: 0, count: cellsX * cellsY)
            return p
        }
        (probO, probB, priorO, priorB, pIo, pIb) = (grids[0], grids[1], grids[2], grids[3], grids[4], grids[5])
        (siO, siB, qO, qB, tmp, tmp2) = (grids[6], grids[7], grids[8], grids[9], grids[10], grids[11])
        binOfCell = .allocate(capacity: count)
        binOfCell.initialize(repeating: 0, count: count)
        // Kernel half-size as getRegularizedSegmentation: max(1, floor(cols·3/50 + 0.5)), σ = hsize/3.
        kernelRadius = max(1, Int(Double(cellsX) * 3 / 50 + 0.5))
        kernel = .allocate(capacity: 2 * kernelRadius + 1)
        let sigma = Double(kernelRadius) / 3
        var sum = 0.0
        for i in -kernelRadius...kernelRadius {
            let v = exp(-Double(i * i) / (2 * sigma * sigma))
            kernel[i + kernelRadius] = v
            sum += v
        }
        for i in 0..<(2 * kernelRadius + 1) { kernel[i] /= sum }
        // The 2-D kernel is the outer product; its centre tap is kernel[r]².
        centerWeight = kernel[kernelRadius] * kernel[kernelRadius]
    }

    deinit {
        for p in [foreground, background, newForeground, newBackground, probO, probB, priorO, priorB, pIo, pIb, siO, siB, qO, qB, tmp, tmp2] {
            p.deallocate()
        }
        binOfCell.deallocate()
        kernel.deallocate()
    }

    @inline(__always) private func binIndex(_ r: Float, _ g: Float, _ b: Float) -> Int {
        let scale = Float(bins) / 256
        let ir = min(bins - 1, max(0, Int(r * scale)))
        let ig = min(bins - 1, max(0, Int(g * scale)))
        let ib = min(bins - 1, max(0, Int(b * scale)))
        return (ir * bins + ig) * bins + ib
    }

    @inline(__always) private func binOf(_ image: ImageView, _ x: Int, _ y: Int) -> Int {
        let p = image.row(y) + x * image.channels
        if image.channels == 1 { let v = Float(p[0]); return binIndex(v, v, v) }
        return binIndex(Float(p[0]), Float(p[1]), Float(p[2]))
    }

    /// Foreground (Epanechnikov-weighted box) and background (ring of `size/backgroundRatio`)
    /// histograms of `box`; `learningRate` 1 replaces the model, smaller values blend it in.
    func updateHistograms(_ image: ImageView, box: Box, backgroundRatio: Int, learningRate: Double) {
        let w = image.width, h = image.height
        let x1 = min(max(0, Int(box.x)), w - 1), y1 = min(max(0, Int(box.y)), h - 1)
        let x2 = min(max(0, Int(box.x + box.width)), w - 1), y2 = min(max(0, Int(box.y + box.height)), h - 1)
        let offX = (x2 - x1 + 1) / backgroundRatio, offY = (y2 - y1 + 1) / backgroundRatio
        let ox1 = max(0, x1 - offX), oy1 = max(0, y1 - offY)
        let ox2 = min(w, x2 + offX + 1), oy2 = min(h, y2 + offY + 1)
        backgroundProbability = 1 - Double((x2 - x1 + 1) * (y2 - y1 + 1)) / Double((ox2 - ox1 + 1) * (oy2 - oy1 + 1))
        // Large boxes are sampled on a stride so that at most ~80×80 pixels are visited.
        let stride = max(1, Int((Double((ox2 - ox1) * (oy2 - oy1)) / 6400).squareRoot()))
        newForeground.update(repeating: 0, count: histogramSize)
        newBackground.update(repeating: 0, count: histogramSize)
        let cx = Double(x1) + Double(x2 - x1) / 2, cy = Double(y1) + Double(y2 - y1) / 2
        let kw = 1 / (0.5 * Double(x2 - x1) * 2.0.squareRoot() + 1), kh = 1 / (0.5 * Double(y2 - y1) * 2.0.squareRoot() + 1)
        var sumF = 0.0, sumB = 0.0
        var y = oy1
        while y < oy2 {
            let dy = (cy - Double(y)) * kh
            var x = ox1
            while x < ox2 {
                let bin = binOf(image, x, y)
                if x >= x1, x <= x2, y >= y1, y <= y2 {
                    let dx = (cx - Double(x)) * kw
                    let wgt = SpatialReliability.epanechnikov(dx * dx + dy * dy)
                    newForeground[bin] += wgt
                    sumF += wgt
                } else {
                    newBackground[bin] += 1
                    sumB += 1
                }
                x += stride
            }
            y += stride
        }
        let invF = sumF > 0 ? 1 / sumF : 0, invB = sumB > 0 ? 1 / sumB : 0
        let lr = learningRate
        for i in 0..<histogramSize {
            foreground[i] = (1 - lr) * foreground[i] + lr * newForeground[i] * invF
            background[i] = (1 - lr) * background[i] + lr * newBackground[i] * invB
        }
    }

    /// The smoothed foreground posterior per cell from the last ``segment(planes:channels:cellSize:valid:targetCellsMin:iterations:defaultArea:mask:)``
    /// (before thresholding), for tests.
    var smoothedForeground: UnsafePointer<Double> { UnsafePointer(qO) }

    @inline(__always) static func epanechnikov(_ r2: Double) -> Double { r2 <= 1 ? (2 / Double.pi) * (1 - r2) : 0 }

    /// Computes the binary mask on the cell grid into `mask` (1 = reliable).
    /// - Parameters:
    ///   - planes: the template patch (`channels` planes, `cellsX·cell × cellsY·cell`, 0…255).
    ///   - valid: per cell, whether its centre lies inside the frame.
    ///   - targetCellsMin: min(target width, height) in cells (for the location prior).
    /// - Returns: false when the mask covers < 5 % of `defaultArea` (OpenCV `check_mask_area`):
    ///   the caller then uses the default box mask.
    func segment(
        planes: UnsafePointer<Float>, channels: Int, cellSize: Int, valid: UnsafePointer<Bool>,
        targetCellsMin: Double, iterations: Int, defaultArea: Float,
        mask: UnsafeMutablePointer<Float>
    ) -> Bool {
        let pw = cellsX * cellSize, plane = pw * cellsY * cellSize
        let invN = 1 / Float(cellSize * cellSize)
        for j in 0..<cellsY {
            for i in 0..<cellsX {
                var r: Float = 0, g: Float = 0, b: Float = 0
                for yy in (j * cellSize)..<((j + 1) * cellSize) {
                    for xx in (i * cellSize)..<((i + 1) * cellSize) {
                        let o = yy * pw + xx
                        r += planes[o]
                        if channels == 3 { g += planes[plane + o]; b += planes[2 * plane + o] }
                    }
                }
                if channels != 3 { g = r; b = r }
                binOfCell[j * cellsX + i] = Int32(binIndex(r * invN, g * invN, b * invN))
            }
        }
        // Location prior (get_location_prior): Epanechnikov on min(target side), clamped to [0.5, 0.9].
        let k = 1 / (0.5 * targetCellsMin * 2.0.squareRoot() + 1)
        let ccx = Double(cellsX - 1) / 2, ccy = Double(cellsY - 1) / 2
        var maxPrior = 0.0
        for j in 0..<cellsY {
            for i in 0..<cellsX {
                let dx = (ccx - Double(i)) * k, dy = (ccy - Double(j)) * k
                let v = SpatialReliability.epanechnikov(dx * dx + dy * dy)
                priorO[j * cellsX + i] = v
                maxPrior = max(maxPrior, v)
            }
        }
        let pb = min(max(backgroundProbability, 0.01), 0.99), po = 1 - pb
        for c in 0..<count {
            let pr = maxPrior > 0 ? min(max(priorO[c] / maxPrior, 0.5), 0.9) : 0.5
            priorO[c] = pr
            priorB[c] = 1 - pr
            let bin = Int(binOfCell[c])
            let fg = foreground[bin] * pr, bg = background[bin] * (1 - pr)
            let den = po * fg + pb * bg
            let p = den > 0 ? po * fg / den : 0.5
            probO[c] = p
            probB[c] = 1 - p
        }
        regularise(iterations: iterations)
        // qO holds the smoothed foreground posterior; threshold at max/2 over valid cells.
        var maxV = 0.0
        for c in 0..<count where valid[c] { maxV = max(maxV, qO[c]) }
        var area: Float = 0
        for c in 0..<count {
            let on = valid[c] && maxV > 0 && qO[c] > maxV / 2
            tmp[c] = on ? 1 : 0
            if on { area += 1 }
        }
        guard area >= 0.05 * defaultArea else { return false }
        // Dilate with the 3×3 ellipse (a cross), as OpenCV's erode_element.
        for j in 0..<cellsY {
            for i in 0..<cellsX {
                let c = j * cellsX + i
                var on = tmp[c] > 0
                if !on, i > 0, tmp[c - 1] > 0 { on = true }
                if !on, i + 1 < cellsX, tmp[c + 1] > 0 { on = true }
                if !on, j > 0, tmp[c - cellsX] > 0 { on = true }
                if !on, j + 1 < cellsY, tmp[c + cellsX] > 0 { on = true }
                mask[c] = on ? 1 : 0
            }
        }
        return true
    }

    /// Kristan et al. (ACCV 2014) iterations as in `getRegularizedSegmentation`.
    private func regularise(iterations: Int) {
        let eps = Double.ulpOfOne
        var logLike = Double.greatestFiniteMagnitude
        // Without iterations the posterior itself is the answer.
        qO.update(from: probO, count: count)
        qB.update(from: probB, count: count)
        for _ in 0..<iterations {
            for c in 0..<count {
                pIo[c] = priorO[c] * probO[c] + eps
                pIb[c] = priorB[c] * probB[c] + eps
            }
            // S = (λ ⊛ prior) · prior, normalised; Ssum = λ2 ⊛ S (λ2 = λ with centre 1).
            smoothPair(priorO, priorB, siO, siB)
            smoothSelf(siO); smoothSelf(siB)
            // Q likewise on the prior-weighted posteriors.
            smoothPair(pIo, pIb, qO, qB)
            smoothSelf(qO); smoothSelf(qB)
            var ll = 0.0
            for c in 0..<count {
                let o = (qO[c] + siO[c]) * 0.25, b = (qB[c] + siB[c]) * 0.25
                let n = o + b
                priorO[c] = o / n
                priorB[c] = b / n
                ll += log(max(qO[c], eps)) + log(max(qB[c], eps))
            }
            let newLike = -ll / Double(2 * count)
            if abs(logLike - newLike) < 0.1 { break } // OpenCV terminateThr
            logLike = newLike
        }
    }

    /// out_o = (λ ⊛ a) · a, out_b = (λ ⊛ b) · b, then out_o, out_b normalised to sum 1 per cell.
    private func smoothPair(
        _ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>,
        _ outO: UnsafeMutablePointer<Double>, _ outB: UnsafeMutablePointer<Double>
    ) {
        lambdaFilter(a, outO)
        lambdaFilter(b, outB)
        for c in 0..<count {
            let o = outO[c] * a[c], bb = outB[c] * b[c]
            let n = o + bb
            outO[c] = n > 0 ? o / n : 0.5
            outB[c] = n > 0 ? bb / n : 0.5
        }
    }

    /// x ← λ2 ⊛ x = λ ⊛ x + x.
    private func smoothSelf(_ x: UnsafeMutablePointer<Double>) {
        lambdaFilter(x, tmp2)
        for c in 0..<count { x[c] += tmp2[c] }
    }

    /// out = λ ⊛ x where λ is the normalised Gaussian with its centre tap removed:
    /// (G ⊛ x − g_c·x) / (1 − g_c), G separable. Borders reflect (OpenCV BORDER_REFLECT).
    private func lambdaFilter(_ x: UnsafeMutablePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        fer_lambda_filter(level, x, out, tmp, cellsX, cellsY, kernel, kernelRadius, centerWeight)
    }
}
