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
/// Tracks are keyed by the tracker's integer ID; call ``remove(track:)`` when a track ends
/// (or ``removeAll(except:)`` once per frame) so that the table stays small. Storage is a
/// dictionary that keeps its capacity, so a stream with a steady number of faces allocates
/// nothing after warm-up.
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
    private var state: [Int: SIMD8<Float>] = [:]

    /// Creates an empty smoother.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Folds `scores` into track `track`'s average and returns the smoothed scores.
    public mutating func update(track: Int, with scores: EmotionScores) -> EmotionScores {
        let alpha = min(1, max(Float.leastNormalMagnitude, options.alpha.isNaN ? 1 : options.alpha))
        let smoothed: SIMD8<Float>
        if let previous = state[track] {
            smoothed = alpha * scores.storage + (1 - alpha) * previous
        } else {
            smoothed = scores.storage
        }
        state[track] = smoothed
        return EmotionScores(probabilities: smoothed, uncertaintyThreshold: options.uncertaintyThreshold)
    }

    /// The current smoothed scores of `track`, or nil when it has none.
    public func scores(track: Int) -> EmotionScores? {
        state[track].map { EmotionScores(probabilities: $0, uncertaintyThreshold: options.uncertaintyThreshold) }
    }

    /// Forgets `track`.
    public mutating func remove(track: Int) {
        state.removeValue(forKey: track)
    }

    /// Forgets every track whose ID `isLive` rejects (call once per frame with the live IDs).
    public mutating func removeAll(except isLive: (Int) -> Bool) {
        for key in state.keys where !isLive(key) { state.removeValue(forKey: key) }
    }

    /// The number of tracks with state.
    public var trackCount: Int { state.count }
}
