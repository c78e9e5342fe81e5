import CFERKernels
import Foundation

/// The DSST scale filter (Danelljan et al., BMVC 2014) as CSRT uses it
/// (opencv_contrib `trackerCSRTScaleEstimation.cpp`): HOG of the target resampled at
/// `numberOfScales` scales around the current one, a 1-D correlation filter along the scale
/// axis, and the best scale's factor applied to the current scale.
///
/// The scale axis has 33 points by default (3·11), not a 2-3-5 length, so its transform is a
/// direct DFT with a precomputed table (33 × 17 terms; real input, so only the 17 non-negative
/// frequencies are kept). Buffers are sized at init; `estimate`/`update` allocate nothing.
final class ScaleFilter {
    let scales: Int
    let frequencies: Int
    let modelWidth: Int, modelHeight: Int
    let dimension: Int // features per scale sample
    let learningRate: Float
    /// The instruction-set level of the loops (all levels give the same bits).
    private let level: Int32
    private(set) var currentScale: Double = 1
    let minScale: Double, maxScale: Double
    private let baseWidth: Double, baseHeight: Double
    private let factors: [Double]
    private let window: [Float]
    private let labelRe: [Float], labelIm: [Float]
    private let cosTable: UnsafeMutablePointer<Float>, sinTable: UnsafeMutablePointer<Float> // [k][n]
    private let samples: UnsafeMutablePointer<Float> // [scale][dimension], windowed
    // Unwindowed HOG per scale of the latest and the previous computation, with the source patch
    // size each came from: `update` right after `estimate` (same frame, same centre) reuses the
    // samples whose patch size did not change (all but the |scale shift| at the ends).
    private var raw: UnsafeMutablePointer<Float>, previousRaw: UnsafeMutablePointer<Float>
    private var sizes: UnsafeMutablePointer<Double>, previousSizes: UnsafeMutablePointer<Double> // [scale][w, h]
    private var lastCenterX = Double.nan, lastCenterY = Double.nan
    private let fRe: UnsafeMutablePointer<Float>, fIm: UnsafeMutablePointer<Float> // [k][d]
    private let numRe: UnsafeMutablePointer<Float>, numIm: UnsafeMutablePointer<Float>
    private let den: UnsafeMutablePointer<Float>
    private let spectrumRe: UnsafeMutablePointer<Float>, spectrumIm: UnsafeMutablePointer<Float>
    private let patch: UnsafeMutablePointer<Float>
    private let hog: HOGFeatures
    private let sampler: PatchSampler
    private let hogChannels = HOGFeatures.channelCount

    /// - Parameters:
    ///   - targetWidth/targetHeight: the initial box size (image pixels).
    ///   - templateWidth/templateHeight: the padded template size (image pixels).
    init(
        options: CorrelationFilterOptions, targetWidth: Double, targetHeight: Double,
        templateWidth: Double, templateHeight: Double, frameWidth: Int, frameHeight: Int,
        isa: InstructionSet = .current
    ) {
        level = Int32(isa.rawValue)
        scales = options.numberOfScales
        frequencies = scales / 2 + 1
        learningRate = options.scaleLearningRate
        baseWidth = targetWidth
        baseHeight = targetHeight
        let step = options.scaleStep
        let modelFactor = min(1, (options.scaleModelMaxArea / (templateWidth * templateHeight)).squareRoot())
        // At least 2×2 HOG cells so that block normalisation has neighbours.
        modelWidth = max(2 * options.cellSize, Int(floor(templateWidth * modelFactor)))
        modelHeight = max(2 * options.cellSize, Int(floor(templateHeight * modelFactor)))
        let cellsX = modelWidth / options.cellSize, cellsY = modelHeight / options.cellSize
        dimension = cellsX * cellsY * hogChannels
        minScale = pow(step, ceil(log(max(5 / templateWidth, 5 / templateHeight)) / log(step)))
        maxScale = pow(step, floor(log(min(Double(frameWidth) / targetWidth, Double(frameHeight) / targetHeight)) / log(step)))
        let half = (scales + 1) / 2 // ceil(scales / 2)
        let sigma = Double(scales).squareRoot() * options.scaleSigmaFactor
        var ys = [Double](repeating: 0, count: scales)
        var fs = [Double](repeating: 0, count: scales)
        var win = [Float](repeating: 0, count: scales)
        for i in 0..<scales {
            let ss = Double(i + 1 - half)
            ys[i] = exp(-0.5 * ss * ss / (sigma * sigma))
            fs[i] = pow(step, Double(half - (i + 1)))
            // OpenCV createHanningWindow: 0.5·(1 − cos(2πi/(n−1))).
            win[i] = scales > 1 ? Float(0.5 * (1 - cos(2 * Double.pi * Double(i) / Double(scales - 1)))) : 1
        }
        factors = fs
        window = win
        cosTable = .allocate(capacity: frequencies * scales)
        sinTable = .allocate(capacity: frequencies * scales)
        var lr = [Float](repeating: 0, count: frequencies), li = [Float](repeating: 0, count: frequencies)
        for k in 0..<frequencies {
            var sr = 0.0, si = 0.0
            for n in 0..<scales {
                let a = -2 * Double.pi * Double(k * n) / Double(scales)
                cosTable[k * scales + n] = Float(cos(a))
                sinTable[k * scales + n] = Float(sin(a))
                sr += ys[n] * cos(a)
                si += ys[n] * sin(a)
            }
            lr[k] = Float(sr)
            li[k] = Float(si)
        }
        labelRe = lr
        labelIm = li
        samples = .allocate(capacity: scales * dimension)
        raw = .allocate(capacity: scales * dimension)
        previousRaw = .allocate(capacity: scales * dimension)
        sizes = .allocate(capacity: 2 * scales)
        previousSizes = .allocate(capacity: 2 * scales)
        for p in [raw, previousRaw] { p.initialize(repeating: 0, count: scales * dimension) }
        for p in [sizes, previousSizes] { p.initialize(repeating: -1, count: 2 * scales) }
        fRe = .allocate(capacity: dimension * frequencies)
        fIm = .allocate(capacity: dimension * frequencies)
        numRe = .allocate(capacity: dimension * frequencies)
        numIm = .allocate(capacity: dimension * frequencies)
        den = .allocate(capacity: frequencies)
        spectrumRe = .allocate(capacity: frequencies)
        spectrumIm = .allocate(capacity: frequencies)
        patch = .allocate(capacity: modelWidth * modelHeight * 3)
        for p in [samples] { p.initialize(repeating: 0, count: scales * dimension) }
        for p in [fRe, fIm, numRe, numIm] { p.initialize(repeating: 0, count: dimension * frequencies) }
        den.initialize(repeating: 0, count: frequencies)
        spectrumRe.initialize(repeating: 0, count: frequencies)
        spectrumIm.initialize(repeating: 0, count: frequencies)
        patch.initialize(repeating: 0, count: modelWidth * modelHeight * 3)
        hog = HOGFeatures(cellSize: options.cellSize, clip: options.hogClip, maxCellsX: cellsX, maxCellsY: cellsY, isa: isa)
        sampler = PatchSampler(maxWidth: modelWidth, isa: isa)
    }

    deinit {
        for p in [cosTable, sinTable, samples, raw, previousRaw, fRe, fIm, numRe, numIm, den, spectrumRe, spectrumIm, patch] { p.deallocate() }
        sizes.deallocate()
        previousSizes.deallocate()
    }

    /// Samples every scale around (`cx`, `cy`) at the current scale and transforms along scales.
    /// `reuse`: the previous computation was on the same frame, so a scale whose patch (centre
    /// and whole-pixel size) is unchanged has the same features and is copied, not recomputed.
    private func computeSpectrum(_ image: ImageView, cx: Double, cy: Double, reuse: Bool) {
        swap(&raw, &previousRaw)
        swap(&sizes, &previousSizes)
        let sameCenter = reuse && cx == lastCenterX && cy == lastCenterY
        var hint = 0
        for s in 0..<scales {
            let f = currentScale * factors[s]
            // OpenCV truncates the patch size to whole pixels (at least 1).
            let w = max(1, floor(f * baseWidth)), h = max(1, floor(f * baseHeight))
            sizes[2 * s] = w
            sizes[2 * s + 1] = h
            let out = raw + s * dimension
            var found = -1
            if sameCenter {
                // Sizes decrease with the index, so the match for s is at or after the last one.
                while hint < scales, previousSizes[2 * hint] > w || (previousSizes[2 * hint] == w && previousSizes[2 * hint + 1] > h) {
                    hint += 1
                }
                if hint < scales, previousSizes[2 * hint] == w, previousSizes[2 * hint + 1] == h { found = hint }
            }
            if found >= 0 {
                out.update(from: previousRaw + found * dimension, count: dimension)
            } else {
                sampler.sample(
                    image, centerX: cx, centerY: cy, srcWidth: w, srcHeight: h,
                    outWidth: modelWidth, outHeight: modelHeight, into: patch)
                hog.compute(
                    planes: patch, channels: image.channels, width: modelWidth, height: modelHeight,
                    usedChannels: hogChannels, into: out)
            }
            let wgt = window[s]
            let dst = samples + s * dimension
            for d in 0..<dimension { dst[d] = out[d] * wgt }
        }
        lastCenterX = cx
        lastCenterY = cy
        // Spectra laid out [k][d]: the inner loop runs over contiguous feature dimensions.
        fer_scale_dft(level, samples, scales, dimension, frequencies, cosTable, sinTable, fRe, fIm)
    }

    /// Trains the filter at (`cx`, `cy`) with the current scale; `rate` 1 replaces the model.
    /// `sameFrame`: `image` is the frame of the preceding ``estimate(_:cx:cy:)`` (its samples
    /// are reused where the patch is unchanged).
    func update(_ image: ImageView, cx: Double, cy: Double, rate: Float? = nil, sameFrame: Bool = false) {
        let lr = rate ?? learningRate
        computeSpectrum(image, cx: cx, cy: cy, reuse: sameFrame)
        for k in 0..<frequencies {
            let yr = labelRe[k], yi = labelIm[k]
            var energy: Float = 0
            let o = k * dimension
            for d in 0..<dimension {
                let fr = fRe[o + d], fi = fIm[o + d]
                // num = Y · conj(F)
                let nr = yr * fr + yi * fi
                let ni = yi * fr - yr * fi
                numRe[o + d] = (1 - lr) * numRe[o + d] + lr * nr
                numIm[o + d] = (1 - lr) * numIm[o + d] + lr * ni
                energy += fr * fr + fi * fi
            }
            den[k] = (1 - lr) * den[k] + lr * energy
        }
    }

    /// Sets the current scale (clamped to the filter's range), e.g. from a detection.
    func setScale(_ scale: Double) {
        currentScale = scale.isFinite ? min(max(scale, minScale), max(minScale, maxScale)) : currentScale
    }

    /// Finds the best scale at (`cx`, `cy`) and returns the new current scale.
    func estimate(_ image: ImageView, cx: Double, cy: Double) -> Double {
        computeSpectrum(image, cx: cx, cy: cy, reuse: false)
        // Response spectrum R[k] = Σ_d F[d][k]·num[d][k] / (den[k] + 0.01) (OpenCV DSST::getScale).
        for k in 0..<frequencies {
            var rr: Float = 0, ri: Float = 0
            let o = k * dimension
            for d in 0..<dimension {
                let i = o + d
                rr += fRe[i] * numRe[i] - fIm[i] * numIm[i]
                ri += fRe[i] * numIm[i] + fIm[i] * numRe[i]
            }
            let inv = 1 / (den[k] + 0.01)
            spectrumRe[k] = rr * inv
            spectrumIm[k] = ri * inv
        }
        var best = scales / 2
        var bestValue = -Float.infinity
        for n in 0..<scales {
            // Real inverse DFT (unscaled): R0 + 2 Σ_{k≥1} Re(R_k e^{+2πikn/N}) for odd N.
            var v: Float = 0
            for k in 0..<frequencies {
                let c = cosTable[k * scales + n], sn = -sinTable[k * scales + n]
                let term = spectrumRe[k] * c - spectrumIm[k] * sn
                v += k == 0 ? term : 2 * term
            }
            if v > bestValue { bestValue = v; best = n }
        }
        currentScale = min(max(currentScale * factors[best], minScale), max(minScale, maxScale))
        return currentScale
    }
}
