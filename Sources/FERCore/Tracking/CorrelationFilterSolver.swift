import Foundation

// The model side of CSR-DCF: features, response, the ADMM filter solve and channel weights.
extension CorrelationFilterTracker {
    /// Label spectrum, Hann window, default mask (trackerCSRT.cpp initImpl).
    func prepareConstants() {
        guard let fft else { return }
        let s = storage, n = cells
        // Gaussian label with its peak at (0, 0), circularly (gaussian_shaped_labels + circshift).
        let sigma = options.labelSigma
        for y in 0..<n {
            let dy = Double(y <= n / 2 ? y : y - n)
            for x in 0..<n {
                let dx = Double(x <= n / 2 ? x : x - n)
                s.spatialA[y * n + x] = Float(exp(-0.5 * (dx * dx + dy * dy) / (sigma * sigma)))
            }
        }
        fft.forwardReal(s.spatialA, nil, aRe: s.labelRe, aIm: s.labelIm, bRe: nil, bIm: nil)
        // Hann window (createHanningWindow: 0.5·(1 − cos(2πi/(n−1))), outer product).
        for y in 0..<n {
            let wy = 0.5 * (1 - cos(2 * Double.pi * Double(y) / Double(n - 1)))
            for x in 0..<n {
                let wx = 0.5 * (1 - cos(2 * Double.pi * Double(x) / Double(n - 1)))
                s.window[y * n + x] = Float(wy * wx)
            }
        }
        // Default mask: the target box in cells, centred.
        let cellPixels = templateSide / Double(n)
        let bw = min(n, max(1, Int((targetWidth / cellPixels).rounded())))
        let bh = min(n, max(1, Int((targetHeight / cellPixels).rounded())))
        let x0 = (n - bw) / 2, y0 = (n - bh) / 2
        s.defaultMask.update(repeating: 0, count: count)
        for y in y0..<(y0 + bh) { for x in x0..<(x0 + bw) { s.defaultMask[y * n + x] = 1 } }
        defaultMaskArea = Float(bw * bh)
    }

    /// Samples the template at the current centre and `scale` and fills `storage.features`
    /// (HOG channels, then grey), each multiplied by the Hann window.
    func extractFeatures(_ frame: ImageView, scale: Double) {
        guard let hog, let sampler else { return }
        let s = storage
        let side = templateSide * scale
        sampler.sample(
            frame, centerX: centerX, centerY: centerY, srcWidth: side, srcHeight: side,
            outWidth: patchSide, outHeight: patchSide, into: s.patch)
        let hc = options.hogChannels
        if hc > 0 {
            hog.compute(
                planes: s.patch, channels: frame.channels, width: patchSide, height: patchSide,
                usedChannels: hc, into: s.features)
        }
        if options.useGray {
            let out = s.features + hc * count
            let cs = options.cellSize, pp = patchSide * patchSide
            let inv = 1 / Float(cs * cs * 255)
            for j in 0..<cells {
                for i in 0..<cells {
                    var sum: Float = 0
                    for yy in (j * cs)..<((j + 1) * cs) {
                        for xx in (i * cs)..<((i + 1) * cs) {
                            let o = yy * patchSide + xx
                            // BT.601 luma, as OpenCV's cvtColor(BGR2GRAY).
                            sum += frame.channels == 3 ? 0.299 * s.patch[o] + 0.587 * s.patch[pp + o] + 0.114 * s.patch[2 * pp + o] : s.patch[o]
                        }
                    }
                    out[j * cells + i] = sum * inv - 0.5
                }
            }
        }
        for c in 0..<channels {
            let f = s.features + c * count
            for k in 0..<count { f[k] *= s.window[k] }
        }
        // Cells whose centre lies outside the frame are unreliable for the mask.
        let cellPixels = side / Double(cells)
        let left = centerX - side / 2, top = centerY - side / 2
        for j in 0..<cells {
            let y = top + (Double(j) + 0.5) * cellPixels
            for i in 0..<cells {
                let x = left + (Double(i) + 0.5) * cellPixels
                valid[j * cells + i] = x >= 0 && y >= 0 && x < Double(frameWidth) && y < Double(frameHeight)
            }
        }
    }

    /// Feature spectra, two channels per complex transform.
    func transformFeatures() {
        guard let fft else { return }
        let s = storage
        var c = 0
        while c < channels {
            let o = c * count
            if c + 1 < channels {
                fft.forwardReal(
                    s.features + o, s.features + o + count, aRe: s.featRe + o, aIm: s.featIm + o,
                    bRe: s.featRe + o + count, bIm: s.featIm + o + count)
            } else {
                fft.forwardReal(s.features + o, nil, aRe: s.featRe + o, aIm: s.featIm + o, bRe: nil, bIm: nil)
            }
            c += 2
        }
    }

    /// Correlates the features with the filter; returns the displacement in cells, the peak and the PSR.
    func locate() -> (dx: Double, dy: Double, peak: Float, psr: Float) {
        guard let fft else { return (0, 0, 0, 0) }
        let s = storage, n = cells
        s.respRe.update(repeating: 0, count: count)
        s.respIm.update(repeating: 0, count: count)
        for c in 0..<channels {
            let w = options.useChannelWeights ? s.weights[c] : 1
            let fr = s.featRe + c * count, fi = s.featIm + c * count
            let hr = s.filterRe + c * count, hi = s.filterIm + c * count
            // F · conj(H), weighted (calculate_response).
            for k in 0..<count {
                s.respRe[k] += w * (fr[k] * hr[k] + fi[k] * hi[k])
                s.respIm[k] += w * (fi[k] * hr[k] - fr[k] * hi[k])
            }
        }
        fft.inverseReal(aRe: s.respRe, aIm: s.respIm, bRe: nil, bIm: nil, s.response, nil)
        let r = s.response
        var best = 0
        var peak = -Float.infinity
        for k in 0..<count where r[k] > peak { peak = r[k]; best = k }
        guard peak.isFinite else { return (0, 0, 0, 0) }
        let by = best / n, bx = best % n
        // Parabolic sub-cell refinement along each axis (circular neighbours).
        func refine(_ m: Float, _ c: Float, _ p: Float) -> Double {
            let d = m - 2 * c + p
            guard d < 0 else { return 0 }
            return Double(min(max(0.5 * (m - p) / d, -0.5), 0.5))
        }
        let fx = refine(r[by * n + (bx + n - 1) % n], peak, r[by * n + (bx + 1) % n])
        let fy = refine(r[((by + n - 1) % n) * n + bx], peak, r[((by + 1) % n) * n + bx])
        var col = Double(bx) + fx, row = Double(by) + fy
        if col + 1 > Double(n) / 2 { col -= Double(n) }
        if row + 1 > Double(n) / 2 { row -= Double(n) }
        // PSR: (peak − mean) / std over the response outside a window around the peak.
        let e = options.psrExclusion
        var sum = 0.0, sum2 = 0.0, m = 0
        for y in 0..<n {
            var dyy = abs(y - by); dyy = min(dyy, n - dyy)
            for x in 0..<n {
                var dxx = abs(x - bx); dxx = min(dxx, n - dxx)
                if dxx <= e && dyy <= e { continue }
                let v = Double(r[y * n + x])
                sum += v; sum2 += v * v; m += 1
            }
        }
        var psr: Float = 0
        if m > 1 {
            let mean = sum / Double(m)
            let sd = max(sum2 / Double(m) - mean * mean, 0).squareRoot()
            psr = sd > 0 ? Float((Double(peak) - mean) / sd) : 0
        }
        return (col, row, peak, psr)
    }

    /// Updates the colour model and mask at `box`, solves a filter at the current centre and
    /// blends it in with `rate` and the channel weights with `weightsRate` (1 = replace).
    func learn(_ frame: ImageView, box: Box, scale: Double, rate: Float, weightsRate: Float, histogramRate: Double) {
        let s = storage
        extractFeatures(frame, scale: scale)
        var useDefault = true
        if let segmentation {
            segmentation.updateHistograms(frame, box: box, backgroundRatio: options.backgroundRatio, learningRate: histogramRate)
            let cellPixels = templateSide / Double(cells)
            let minSide = min(targetWidth, targetHeight) / cellPixels
            useDefault = !segmentation.segment(
                planes: s.patch, channels: frame.channels, cellSize: options.cellSize,
                valid: valid, targetCellsMin: minSide,
                iterations: options.segmentationIterations,
                defaultArea: defaultMaskArea, mask: s.mask)
        }
        if useDefault { s.mask.update(from: s.defaultMask, count: count) }
        transformFeatures()
        solveFilters()
        // Channel reliability: each channel's response maximum on its own training sample
        // (update_csr_filter). The maximum of a response trained towards a peak at the origin is
        // taken at the origin: (1/N)·Σ_k Re(F·conj(H)), which saves one inverse FFT per channel.
        var total: Float = 0
        for c in 0..<channels {
            let fr = s.featRe + c * count, fi = s.featIm + c * count
            let hr = s.newRe + c * count, hi = s.newIm + c * count
            var v: Float = 0
            for k in 0..<count { v += fr[k] * hr[k] + fi[k] * hi[k] }
            v = max(v / Float(count), 0)
            s.newWeights[c] = v.isFinite ? v : 0
            total += s.newWeights[c]
        }
        let uniform = 1 / Float(channels)
        let wr = weightsRate
        var sum: Float = 0
        for c in 0..<channels {
            let fresh = total > 0 ? s.newWeights[c] / total : uniform
            s.weights[c] = (1 - wr) * (wr >= 1 ? 0 : s.weights[c]) + wr * fresh
            sum += s.weights[c]
        }
        for c in 0..<channels { s.weights[c] = sum > 0 ? s.weights[c] / sum : uniform }
        let cc = channels * count
        for k in 0..<cc {
            s.filterRe[k] = (1 - rate) * s.filterRe[k] + rate * s.newRe[k]
            s.filterIm[k] = (1 - rate) * s.filterIm[k] + rate * s.newIm[k]
        }
    }

    /// ADMM solve of the spatially constrained filter for every channel (create_csr_filter):
    /// μ 5, β 3, μ_max 20, λ = μ/100, `admmIterations` steps. Two channels share each transform.
    func solveFilters() {
        let s = storage, n = count
        var c = 0
        while c < channels {
            let pair = c + 1 < channels ? 2 : 1
            var mu: Float = 5
            let beta: Float = 3, muMax: Float = 20, lambda: Float = 5 / 100
            for p in 0..<pair {
                let fr = s.featRe + (c + p) * n, fi = s.featIm + (c + p) * n
                let o = p * n
                for k in 0..<n {
                    // Sxy = F·conj(Y), Sxx = |F|²; initial H = Sxy / (Sxx + λ).
                    let yr = s.labelRe[k], yi = s.labelIm[k]
                    let sr = fr[k] * yr + fi[k] * yi, si = fi[k] * yr - fr[k] * yi
                    let xx = fr[k] * fr[k] + fi[k] * fi[k]
                    s.sxyRe[o + k] = sr; s.sxyIm[o + k] = si; s.sxx[o + k] = xx
                    s.gRe[o + k] = sr / (xx + lambda); s.gIm[o + k] = si / (xx + lambda)
                    s.lRe[o + k] = 0; s.lIm[o + k] = 0
                }
            }
            projectOntoMask(c: c, pair: pair, scale: 1)
            for _ in 0..<options.admmIterations {
                for p in 0..<pair {
                    let hr = s.newRe + (c + p) * n, hi = s.newIm + (c + p) * n
                    let o = p * n
                    for k in 0..<n {
                        let inv = 1 / (s.sxx[o + k] + mu)
                        let gr = (s.sxyRe[o + k] + mu * hr[k] - s.lRe[o + k]) * inv
                        let gi = (s.sxyIm[o + k] + mu * hi[k] - s.lIm[o + k]) * inv
                        // Keep G for the multiplier update; the projection input is μG + L.
                        s.gRe[o + k] = mu * gr + s.lRe[o + k]
                        s.gIm[o + k] = mu * gi + s.lIm[o + k]
                        s.lRe[o + k] = gr // stash G in L until H is known
                        s.lIm[o + k] = gi
                    }
                }
                // Recover L from the stash after the projection: L ← (μG + L_old) − μG + μ(G − H).
                projectOntoMask(c: c, pair: pair, scale: 1 / (lambda + mu))
                for p in 0..<pair {
                    let hr = s.newRe + (c + p) * n, hi = s.newIm + (c + p) * n
                    let o = p * n
                    for k in 0..<n {
                        let gr = s.lRe[o + k], gi = s.lIm[o + k]
                        let oldLr = s.gRe[o + k] - mu * gr, oldLi = s.gIm[o + k] - mu * gi
                        s.lRe[o + k] = oldLr + mu * (gr - hr[k])
                        s.lIm[o + k] = oldLi + mu * (gi - hi[k])
                    }
                }
                mu = min(muMax, beta * mu)
            }
            c += 2
        }
    }

    /// H ← FFT(mask · IFFT(X) · scale) for the channel pair, X read from (gRe, gIm), H written to newRe/newIm.
    private func projectOntoMask(c: Int, pair: Int, scale: Float) {
        guard let fft else { return }
        let s = storage, n = count
        if pair == 2 {
            fft.inverseReal(aRe: s.gRe, aIm: s.gIm, bRe: s.gRe + n, bIm: s.gIm + n, s.spatialA, s.spatialB)
        } else {
            fft.inverseReal(aRe: s.gRe, aIm: s.gIm, bRe: nil, bIm: nil, s.spatialA, nil)
        }
        for k in 0..<n {
            let m = s.mask[k] * scale
            s.spatialA[k] *= m
            s.spatialB[k] *= m
        }
        let o = c * n
        if pair == 2 {
            fft.forwardReal(s.spatialA, s.spatialB, aRe: s.newRe + o, aIm: s.newIm + o, bRe: s.newRe + o + n, bIm: s.newIm + o + n)
        } else {
            fft.forwardReal(s.spatialA, nil, aRe: s.newRe + o, aIm: s.newIm + o, bRe: nil, bIm: nil)
        }
    }
}
