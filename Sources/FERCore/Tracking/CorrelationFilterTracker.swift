import Foundation

/// What the tracker reports for one frame.
public struct TrackingResult: Sendable, Equatable {
    /// The target's box in frame pixels.
    public var box: Box
    /// Peak-to-sidelobe ratio of the correlation response (Bolme et al., CVPR 2010): how
    /// clearly the target stands out; high (10–30) when tracking well, low (< 5) when lost.
    public var psr: Float
    /// The correlation response's maximum (OpenCV CSRT thresholds this value).
    public var peak: Float
    /// Whether ``psr`` fell below ``CorrelationFilterOptions/psrThreshold``; the model was
    /// then not updated this frame.
    public var isLost: Bool
}

/// A single-target discriminative correlation filter with channel and spatial reliability:
/// CSR-DCF (Lukežič et al., "Discriminative Correlation Filter with Channel and Spatial
/// Reliability", CVPR 2017), the algorithm behind OpenCV's `TrackerCSRT`
/// (opencv_contrib `modules/tracking/src/trackerCSRT.cpp`).
///
/// Per frame: HOG (+ grey) features of a padded square template around the last position,
/// Hann-windowed, correlated with the learned filter in the Fourier domain (channels weighted
/// by their reliability); the response peak (sub-cell parabolic refinement) gives the new
/// centre, a DSST scale filter the new scale. Then, unless the peak-to-sidelobe ratio says
/// the target is lost, the colour model and spatial reliability mask are updated and a new
/// filter, constrained to the mask by ADMM, is blended in.
///
/// All buffers are sized by ``initialize(frame:box:)``; ``update(frame:)`` and
/// `correct(frame:box:)` allocate nothing. Deterministic (single-threaded).
public final class CorrelationFilterTracker {
    /// The tunables this tracker was created with.
    public let options: CorrelationFilterOptions
    /// The frame size fixed by ``initialize(frame:box:)``.
    public private(set) var frameWidth = 0
    /// The frame height fixed by ``initialize(frame:box:)``.
    public private(set) var frameHeight = 0
    /// The latest result (after `initialize`, the initial box with infinite PSR).
    public private(set) var lastResult: TrackingResult?

    // Geometry (set at init).
    var cells = 0 // the square cell grid side (FFT size)
    var count = 0 // cells²
    var channels = 0 // feature channels
    var patchSide = 0 // cells · cellSize (template pixels after resampling)
    var templateSide = 0.0 // template side in frame pixels at scale 1
    var targetWidth = 0.0, targetHeight = 0.0 // box size at scale 1
    var centerX = 0.0, centerY = 0.0
    var defaultMaskArea: Float = 0
    var framesSinceLearn = 0 // tracked frames since the last model update

    /// Frames by which this tracker's next model update comes early (0 ..< the options'
    /// `modelUpdateInterval`; consumed by that update). ``FaceTracker`` staggers its tracks
    /// with it, so that with several faces the learning frames do not all fall on the same
    /// frame (16 faces: ~30 ms every frame instead of alternating ~16 and ~44 ms). Each
    /// update still compounds its rates over the frames actually tracked since the last one.
    public var learningPhase = 0
    var frameCounter = 0 // updates since initialisation (scale-estimation cadence)

    // Buffers (allocated at init).
    var fft: FFT2D?
    var hog: HOGFeatures?
    var sampler: PatchSampler?
    var segmentation: SpatialReliability?
    var scaleFilter: ScaleFilter?
    var storage = FloatStorage()
    /// Allocated in init after the parameters are checked: an init that throws before every
    /// stored property is set never runs deinit, so an earlier allocation would leak.
    var valid: UnsafeMutablePointer<Bool>

    /// Creates a tracker; nothing is allocated until ``initialize(frame:box:)``.
    /// - Throws: ``TrackingError/invalidParameter(name:value:reason:)`` for out-of-range options.
    public init(options: CorrelationFilterOptions = CorrelationFilterOptions()) throws(TrackingError) {
        try options.validate()
        self.options = options
        valid = .allocate(capacity: 1)
        valid.initialize(to: false)
    }

    deinit { valid.deallocate() }

    /// The current box (nil before initialisation).
    public var box: Box? { lastResult?.box }

    /// Starts tracking `box` in `frame`, replacing any previous target. Allocates the buffers.
    /// - Throws: ``TrackingError/emptyBox(x:y:width:height:)``, ``TrackingError/boxOutsideFrame(x:y:width:height:frameWidth:frameHeight:)``,
    ///   ``TrackingError/emptyFrame(width:height:)``.
    public func initialize(frame: ImageView, box: Box) throws(TrackingError) {
        guard frame.width > 0, frame.height > 0 else { throw .emptyFrame(width: frame.width, height: frame.height) }
        guard box.x.isFinite, box.y.isFinite, box.width.isFinite, box.height.isFinite, box.width >= 1, box.height >= 1 else {
            throw .emptyBox(x: box.x, y: box.y, width: box.width, height: box.height)
        }
        guard box.x < Double(frame.width), box.y < Double(frame.height), box.x + box.width > 0, box.y + box.height > 0 else {
            throw .boxOutsideFrame(
                x: box.x, y: box.y, width: box.width, height: box.height,
                frameWidth: frame.width, frameHeight: frame.height)
        }
        frameWidth = frame.width
        frameHeight = frame.height
        targetWidth = box.width
        targetHeight = box.height
        centerX = box.x + box.width / 2
        centerY = box.y + box.height / 2
        // Template (trackerCSRT.cpp initImpl): side + padding·sqrt(area), made square.
        let pad = options.padding * (box.width * box.height).squareRoot()
        templateSide = (floor(box.width + pad) + floor(box.height + pad)) / 2
        // A face that fills much of the frame would get a template larger than the frame (border
        // replication only) and coarse cells; the side is capped, keeping at least the minimum padding.
        let cap = options.maximumTemplateFraction * Double(max(frame.width, frame.height))
        let minimumSide = (box.width + box.height) / 2 + options.minimumPadding * (box.width * box.height).squareRoot()
        templateSide = max(min(templateSide, cap), minimumSide)
        let rescale = min(1, options.templateSize / templateSide)
        let cs = options.cellSize
        // Cell grid: the nearest FFT-friendly size, at least 8 cells.
        cells = FFTPlan.nextSupported(max(8, Int((templateSide * rescale / Double(cs)).rounded())))
        count = cells * cells
        patchSide = cells * cs
        channels = options.hogChannels + (options.useGray ? 1 : 0)
        fft = try FFT2D(width: cells, height: cells)
        hog = HOGFeatures(cellSize: cs, clip: options.hogClip, maxCellsX: cells, maxCellsY: cells)
        sampler = PatchSampler(maxWidth: patchSide)
        segmentation = options.useSegmentation ? SpatialReliability(bins: options.histogramBins, cellsX: cells, cellsY: cells) : nil
        storage = FloatStorage(count: count, channels: channels, patchPixels: patchSide * patchSide)
        valid.deallocate()
        valid = .allocate(capacity: count)
        valid.initialize(repeating: true, count: count)
        prepareConstants()
        scaleFilter = ScaleFilter(
            options: options, targetWidth: box.width, targetHeight: box.height,
            templateWidth: templateSide, templateHeight: templateSide,
            frameWidth: frame.width, frameHeight: frame.height)
        learn(frame, box: box, scale: 1, rate: 1, weightsRate: 1, histogramRate: 1)
        scaleFilter?.update(frame, cx: centerX, cy: centerY, rate: 1)
        framesSinceLearn = 0
        frameCounter = 0
        lastResult = TrackingResult(box: box, psr: .infinity, peak: 1, isLost: false)
    }

    /// Tracks the target into `frame`.
    /// - Throws: ``TrackingError/notInitialized``, ``TrackingError/frameSizeChanged(expectedWidth:expectedHeight:width:height:)``.
    @discardableResult
    public func update(frame: ImageView) throws(TrackingError) -> TrackingResult {
        guard let scaleFilter, lastResult != nil else { throw .notInitialized }
        guard frame.width == frameWidth, frame.height == frameHeight else {
            throw .frameSizeChanged(expectedWidth: frameWidth, expectedHeight: frameHeight, width: frame.width, height: frame.height)
        }
        let scale = scaleFilter.currentScale
        extractFeatures(frame, scale: scale)
        transformFeatures()
        let (dx, dy, peak, psr) = locate()
        let step = scale * templateSide / Double(patchSide) * Double(options.cellSize)
        centerX = min(max(centerX + dx * step, 0), Double(frameWidth - 1))
        centerY = min(max(centerY + dy * step, 0), Double(frameHeight - 1))
        frameCounter += 1
        let estimated = frameCounter % options.scaleEstimationInterval == 0
        let newScale = estimated ? estimateScale(frame, scale: scale, peak: peak, scaleFilter: scaleFilter) : scaleFilter.currentScale
        let box = currentBox(scale: newScale)
        let lost = !(psr >= options.psrThreshold)
        if !lost {
            framesSinceLearn += 1
            if framesSinceLearn + learningPhase >= options.modelUpdateInterval {
                learningPhase = 0
                // Rates compounded over the skipped frames: (1 − r)^k of the old model remains.
                let k = Double(framesSinceLearn)
                func compound(_ r: Double) -> Double { 1 - pow(1 - r, k) }
                learn(
                    frame, box: box, scale: newScale, rate: Float(compound(Double(options.filterLearningRate))),
                    weightsRate: Float(compound(Double(options.weightsLearningRate))),
                    histogramRate: compound(options.histogramLearningRate))
                scaleFilter.update(
                    frame, cx: centerX, cy: centerY, rate: Float(compound(Double(options.scaleLearningRate))),
                    sameFrame: estimated)
                framesSinceLearn = 0
            }
        }
        let result = TrackingResult(box: box, psr: psr.isFinite ? psr : 0, peak: peak.isFinite ? peak : 0, isLost: lost)
        lastResult = result
        return result
    }

    /// The new scale from two estimators with opposite biases, combined as their geometric mean.
    ///
    /// - The translation filter at `scale × step` and `scale / step` around the new centre (a
    ///   scale pool, as SAMF and BACF do): the best of the three peaks wins, the neighbours' peaks
    ///   discounted by ``CorrelationFilterOptions/scalePoolPenalty``. Its filter covers the context
    ///   and the spatial reliability mask, but on real faces it leans towards larger boxes (occluders
    ///   and the context are absorbed).
    /// - The DSST ``ScaleFilter`` (as CSRT): HOG of the box alone at 33 scales. It leans towards
    ///   smaller boxes on real footage (the box's corners hold background that changes as the face
    ///   moves, and the inner face matches better).
    ///
    /// On the real OTB face sequences each alone let the box drift (pool: area ×1.2–1.5 over a
    /// sequence, DSST: ×0.25–0.7; Docs/Accuracy.md), their geometric mean stayed within ×0.85–1.1.
    func estimateScale(_ frame: ImageView, scale: Double, peak: Float, scaleFilter: ScaleFilter) -> Double {
        let lo = scaleFilter.minScale, hi = max(scaleFilter.minScale, scaleFilter.maxScale)
        var pooled = scale
        var best = peak
        for factor in [options.scalePoolStep, 1 / options.scalePoolStep] {
            let candidate = min(max(scale * factor, lo), hi)
            guard candidate != scale else { continue }
            extractFeatures(frame, scale: candidate)
            transformFeatures()
            let r = locate()
            let discounted = r.peak * options.scalePoolPenalty
            if discounted > best {
                best = discounted
                pooled = candidate
            }
        }
        let dsst = scaleFilter.estimate(frame, cx: centerX, cy: centerY)
        scaleFilter.setScale((pooled * dsst).squareRoot())
        return scaleFilter.currentScale
    }

    /// Moves the target onto `box` (e.g. a fresh detection) and learns there, keeping the model:
    /// the centre jumps to the box's centre, the scale becomes the box's size relative to the
    /// initial box (geometric mean of both sides, clamped to the scale filter's range). Allocates
    /// nothing; the aspect ratio stays the initial one.
    /// - Throws: as ``update(frame:)``, plus ``TrackingError/emptyBox(x:y:width:height:)``.
    public func correct(frame: ImageView, box: Box, rate: Float = 0.2) throws(TrackingError) {
        guard let scaleFilter, lastResult != nil else { throw .notInitialized }
        guard frame.width == frameWidth, frame.height == frameHeight else {
            throw .frameSizeChanged(expectedWidth: frameWidth, expectedHeight: frameHeight, width: frame.width, height: frame.height)
        }
        guard box.width.isFinite, box.height.isFinite, box.x.isFinite, box.y.isFinite, box.width >= 1, box.height >= 1 else {
            throw .emptyBox(x: box.x, y: box.y, width: box.width, height: box.height)
        }
        centerX = min(max(box.x + box.width / 2, 0), Double(frameWidth - 1))
        centerY = min(max(box.y + box.height / 2, 0), Double(frameHeight - 1))
        let s = ((box.width * box.height) / (targetWidth * targetHeight)).squareRoot()
        scaleFilter.setScale(s)
        let scale = scaleFilter.currentScale
        let newBox = currentBox(scale: scale)
        learn(
            frame, box: newBox, scale: scale, rate: rate, weightsRate: rate >= 1 ? 1 : options.weightsLearningRate,
            histogramRate: Double(rate))
        framesSinceLearn = 0
        scaleFilter.update(frame, cx: centerX, cy: centerY, rate: rate)
        lastResult = TrackingResult(box: newBox, psr: lastResult?.psr ?? 0, peak: lastResult?.peak ?? 0, isLost: false)
    }

    /// The scale relative to the initial box that `correct` can reach without re-initialising.
    public var scaleRange: ClosedRange<Double> {
        guard let scaleFilter else { return 1...1 }
        return scaleFilter.minScale...max(scaleFilter.minScale, scaleFilter.maxScale)
    }

    /// Area of the box the tracker was initialised with (scale 1).
    public var initialArea: Double { targetWidth * targetHeight }

    func currentBox(scale: Double) -> Box {
        let w = targetWidth * scale, h = targetHeight * scale
        return Box(x: centerX - w / 2, y: centerY - h / 2, width: w, height: h)
    }
}
