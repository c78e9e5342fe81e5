/// Smooths each tracked face's probabilities over time with an exponential moving
/// average, so that a stream's labels do not flicker from frame to frame.
///
/// For track `id`, the first scores are taken as they are; each later update gives
/// `smoothed ← alpha · new + (1 − alpha) · smoothed` per class, and the label and
/// confidence are recomputed from the smoothed probabilities (which still sum to 1).
/// With `alpha` = 0.3 (the default) a change of expression reaches half its weight after
/// about two updates (ln 0.5 / ln 0.7 ≈ 1.9) and 90 % after about 6.5 — at the pipeline's
/// default of classifying every few frames, a fraction of a second at 30 FPS, while one
/// odd frame moves the result by only 30 %. alpha = 1 disables smoothing.
///
/// The state lives in each face's ``FaceTrack`` (its ``FaceTrack/emotion``); the smoother
/// only holds the options.
public struct EmotionSmoother: Sendable {
    /// The tunables.
    public struct Options: Sendable, Equatable {
        /// Weight of the newest scores, in (0, 1]. Default 0.3 (see ``EmotionSmoother``).
        public var alpha: Float = 0.3
        /// Threshold for ``EmotionScores/isUncertain`` on the smoothed scores
        /// (default 0, never; use the classifier's value for consistency).
        public var uncertaintyThreshold: Float = 0

        /// The defaults.
        public init() {}
    }

    /// The options.
    public var options: Options

    /// Creates a smoother.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// `scores` folded into `previous` (a face's smoothed scores so far; nil for its first scores,
    /// which are taken as they are).
    public func smoothed(_ previous: EmotionScores?, with scores: EmotionScores) -> EmotionScores {
        let alpha = min(1, max(Float.leastNormalMagnitude, options.alpha.isNaN ? 1 : options.alpha))
        let blended = previous.map { alpha * scores.storage + (1 - alpha) * $0.storage } ?? scores.storage
        return EmotionScores(probabilities: blended, uncertaintyThreshold: options.uncertaintyThreshold)
    }
}
