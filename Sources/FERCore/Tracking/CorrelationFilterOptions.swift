/// Every tunable of ``CorrelationFilterTracker``. Defaults mirror OpenCV's
/// `TrackerCSRT::Params` (opencv_contrib `modules/tracking/src/trackerCSRT.cpp`,
/// `TrackerCSRT::Params::Params()`) unless a field says otherwise.
public struct CorrelationFilterOptions: Sendable, Equatable {
    /// Padding around the target: the template side is `side + padding·sqrt(w·h)`.
    /// OpenCV default 3.
    public var padding: Double = 3
    /// The template is resampled so its area is at most `templateSize²` pixels.
    /// OpenCV uses 200 (50×50 HOG cells); we default to 100 (25×25 cells, a 5²-point FFT): a
    /// quarter of the work per frame for the 3 ms budget. Faces are ~100 px, so the padded
    /// template (~4× the face) is still sampled at ~1/4 resolution, as OpenCV's is at 200 px for
    /// a 200 px face. At 96 the rotation family falls to OpenCV's AUC; at 160 it is 0.01–0.07
    /// higher per family, 3× slower (see Docs/Accuracy.md, Tracking).
    public var templateSize: Double = 100
    /// HOG cell size in pixels (OpenCV: 4 for targets larger than 1600 px², smaller for tiny targets;
    /// we always use 4 and let the template resampling handle small faces).
    public var cellSize: Int = 4
    /// Standard deviation of the Gaussian label, in cells. OpenCV `gsl_sigma` 1.
    public var labelSigma: Double = 1
    /// HOG channels used by the filter, from the 31 FHOG channels (18 contrast-sensitive
    /// orientations first). OpenCV `num_hog_channels_used` 18.
    public var hogChannels: Int = 18
    /// HOG block-normalisation clip value. OpenCV `hog_clip` 0.2 (Felzenszwalb et al. 2010).
    public var hogClip: Float = 0.2
    /// Adds the grey level (per cell, in [−0.5, 0.5]) as a channel. OpenCV `use_gray` true.
    /// (OpenCV's 10 colour-name channels, `use_color_names`, are not implemented.)
    public var useGray: Bool = true
    /// Filter learning rate. OpenCV `filter_lr` 0.02.
    public var filterLearningRate: Float = 0.02
    /// Channel-weight learning rate. OpenCV `weights_lr` 0.02.
    public var weightsLearningRate: Float = 0.02
    /// Per-channel reliability weights (CSR-DCF §3.2). OpenCV `use_channel_weights` true.
    public var useChannelWeights: Bool = true
    /// ADMM iterations of the constrained filter solve. OpenCV `admm_iterations` 4.
    public var admmIterations: Int = 4
    /// Spatial reliability mask from the colour segmentation. OpenCV `use_segmentation` true.
    public var useSegmentation: Bool = true
    /// Colour histogram bins per channel. OpenCV `histogram_bins` 16.
    public var histogramBins: Int = 16
    /// Colour histogram learning rate. OpenCV `histogram_lr` 0.04.
    public var histogramLearningRate: Double = 0.04
    /// Background ring = box grown by `size / backgroundRatio` on each side. OpenCV `background_ratio` 2.
    public var backgroundRatio: Int = 2
    /// Iterations of the segmentation's spatial regularisation (Kristan et al., ACCV 2014).
    /// OpenCV iterates until the log-likelihood changes by < 0.1, at most 50 times; we cap at 8
    /// (it converges in a handful of iterations on a 25×25 grid) to bound the time per frame.
    public var segmentationIterations: Int = 8
    /// The template side is at most this fraction of the frame's longer side (but never below the
    /// box plus ``minimumPadding``). Not in OpenCV, whose template for a face filling a third of a
    /// 352×288 frame (OTB FaceOcc1) is 550 px: mostly replicated border, and resampled to
    /// `templateSize` its cells are 22 px. Capped at 0.75, FaceOcc1's success AUC went from 0.66 to
    /// 0.72 (Docs/Accuracy.md); smaller faces are not affected.
    public var maximumTemplateFraction: Double = 0.75
    /// The least padding kept when ``maximumTemplateFraction`` caps the template (in units of
    /// `sqrt(w·h)`, as ``padding``). 1.5: the search area still spans a face width on each side.
    public var minimumPadding: Double = 1.5
    /// Ratio between the three scales at which the translation filter is evaluated for the scale
    /// pool (``CorrelationFilterTracker`` combines it with the DSST filter). 1.03: 1.02 and 1.04 measured
    /// within noise on the real sequences.
    public var scalePoolStep: Double = 1.03
    /// Factor applied to the neighbouring scales' peaks in the scale pool, so that the current
    /// scale wins ties (SAMF-style penalty). 0.99.
    public var scalePoolPenalty: Float = 0.99
    /// Scales searched by the DSST scale filter. OpenCV `number_of_scales` 33 (must be odd). 17
    /// (same step) cost 0.3 AUC on the scale family, so the 33 stay; `update` reuses the samples
    /// of the same frame's `estimate` instead.
    public var numberOfScales: Int = 33
    /// Ratio between neighbouring scales. OpenCV `scale_step` 1.02.
    public var scaleStep: Double = 1.02
    /// Scale label sigma = `sqrt(numberOfScales) · scaleSigmaFactor`. OpenCV `scale_sigma_factor` 0.25.
    public var scaleSigmaFactor: Double = 0.25
    /// Largest area of the scale-filter sample, in pixels. OpenCV `scale_model_max_area` 512.
    public var scaleModelMaxArea: Double = 512
    /// Scale filter learning rate. OpenCV `scale_lr` 0.025.
    public var scaleLearningRate: Float = 0.025
    /// The model (filter, channel weights, colour model, mask, scale filter) is updated on every
    /// `modelUpdateInterval`-th tracked frame, with the learning rates compounded to
    /// `1 − (1 − rate)^interval` so the memory in frames stays the same. OpenCV updates every
    /// frame; we default to 2, which halves the training cost (feature re-extraction, colour
    /// segmentation, ADMM) and measured no loss (AUC +0.00…0.01 per family, Docs/Accuracy.md).
    public var modelUpdateInterval: Int = 2
    /// The scale filter searches scales on every `scaleEstimationInterval`-th frame (the scale
    /// is kept in between). OpenCV: every frame (1), our default too: estimating every 2nd frame
    /// cost 0.2 AUC on the scale family (the scale lags a fast zoom).
    public var scaleEstimationInterval: Int = 1
    /// Peak-to-sidelobe ratio below which the target counts as lost (``TrackingResult/isLost``)
    /// and the model is not updated. Bolme et al. (CVPR 2010) report PSR 20–60 when tracking well
    /// and < 7 on failure; on our 25×25 responses a tracked face scores 10–35 and a lost one 2–5.
    /// 7 (Bolme's failure level) rather than 5: frames of partial occlusion then stop teaching the
    /// filter the occluder (OTB DragonBaby and FaceOcc1, Docs/Accuracy.md).
    /// (OpenCV's `psr_threshold` 0.035 thresholds the raw peak instead.)
    public var psrThreshold: Float = 7
    /// Sidelobe exclusion half-width around the peak for the PSR, in cells (Bolme et al.: 11×11 px
    /// window on a 64×64 response; 5 cells ≈ 20 px here).
    public var psrExclusion: Int = 5

    /// The OpenCV-like defaults.
    public init() {}

    /// Checks every field's range.
    public func validate() throws(TrackingError) {
        func bad(_ name: String, _ v: Double, _ why: String) -> TrackingError { .invalidParameter(name: name, value: v, reason: why) }
        guard padding.isFinite, padding >= 0 else { throw bad("padding", padding, "must be ≥ 0") }
        guard templateSize.isFinite, templateSize >= 32 else { throw bad("templateSize", templateSize, "must be ≥ 32") }
        guard cellSize >= 1, cellSize <= 16 else { throw bad("cellSize", Double(cellSize), "must be 1…16") }
        guard (0...31).contains(hogChannels), hogChannels > 0 || useGray else {
            throw bad("hogChannels", Double(hogChannels), "must be 0…31, and > 0 when useGray is false")
        }
        guard numberOfScales >= 1, numberOfScales % 2 == 1 else { throw bad("numberOfScales", Double(numberOfScales), "must be odd and ≥ 1") }
        guard scaleStep > 1, scaleStep.isFinite else { throw bad("scaleStep", scaleStep, "must be > 1") }
        guard histogramBins >= 2, histogramBins <= 64 else { throw bad("histogramBins", Double(histogramBins), "must be 2…64") }
        guard backgroundRatio >= 1 else { throw bad("backgroundRatio", Double(backgroundRatio), "must be ≥ 1") }
        guard admmIterations >= 0, admmIterations <= 100 else { throw bad("admmIterations", Double(admmIterations), "must be 0…100") }
        guard (0...1).contains(filterLearningRate), (0...1).contains(weightsLearningRate), (0...1).contains(scaleLearningRate),
            (0...1).contains(histogramLearningRate)
        else {
            throw bad("learningRate", Double(filterLearningRate), "learning rates must be in [0, 1]")
        }
        guard labelSigma > 0, scaleSigmaFactor > 0, scaleModelMaxArea >= 16 else {
            throw bad("labelSigma/scaleSigmaFactor/scaleModelMaxArea", labelSigma, "must be positive (scaleModelMaxArea ≥ 16)")
        }
        guard modelUpdateInterval >= 1, modelUpdateInterval <= 100 else {
            throw bad("modelUpdateInterval", Double(modelUpdateInterval), "must be 1…100")
        }
        guard scaleEstimationInterval >= 1, scaleEstimationInterval <= 100 else {
            throw bad("scaleEstimationInterval", Double(scaleEstimationInterval), "must be 1…100")
        }
        guard maximumTemplateFraction.isFinite, maximumTemplateFraction > 0 else {
            throw bad("maximumTemplateFraction", maximumTemplateFraction, "must be > 0")
        }
        guard minimumPadding.isFinite, minimumPadding >= 0 else { throw bad("minimumPadding", minimumPadding, "must be ≥ 0") }
        guard scalePoolStep.isFinite, scalePoolStep > 1, scalePoolStep < 2 else {
            throw bad("scalePoolStep", scalePoolStep, "must be in (1, 2)")
        }
        guard scalePoolPenalty.isFinite, scalePoolPenalty > 0, scalePoolPenalty <= 1 else {
            throw bad("scalePoolPenalty", Double(scalePoolPenalty), "must be in (0, 1]")
        }
        guard psrExclusion >= 0 else { throw bad("psrExclusion", Double(psrExclusion), "must be ≥ 0") }
    }
}
