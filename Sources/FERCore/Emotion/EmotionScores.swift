/// The result of classifying one face: seven probabilities, the top label and its confidence.
///
/// A plain value with inline storage (no heap allocation), so a batch of results can be
/// written into a preallocated array without allocating.
public struct EmotionScores: Sendable, Equatable, CustomStringConvertible {
    /// The probabilities in ``EmotionLabel`` order in lanes 0…6; lane 7 is always 0.
    public private(set) var storage: SIMD8<Float>
    /// The most probable class (the first one on a tie, as `numpy.argmax`).
    public private(set) var label: EmotionLabel
    /// The probability of ``label``.
    public private(set) var confidence: Float
    /// True when ``confidence`` is below the classifier's
    /// ``EmotionClassifier/Options/uncertaintyThreshold``: the face should be shown as
    /// "uncertain" rather than as ``label``.
    public private(set) var isUncertain: Bool

    /// Scores from seven probabilities (lanes 0…6 of `probabilities`; lane 7 is ignored).
    ///
    /// - Parameters:
    ///   - probabilities: the seven probabilities in ``EmotionLabel`` order, lane 7 ignored.
    ///   - uncertaintyThreshold: ``isUncertain`` is set when the top
    ///     probability is below it (0 never marks a result uncertain).
    public init(probabilities: SIMD8<Float>, uncertaintyThreshold: Float = 0) {
        var p = probabilities
        p[7] = 0
        storage = p
        var best = 0
        for i in 1..<EmotionLabel.count where p[i] > p[best] { best = i }
        label = EmotionLabel(rawValue: best) ?? .neutral
        confidence = p[best]
        isUncertain = p[best] < uncertaintyThreshold
    }

    /// Scores from the first seven values of `pointer`.
    init(_ pointer: UnsafePointer<Float>, uncertaintyThreshold: Float) {
        var p = SIMD8<Float>()
        for i in 0..<EmotionLabel.count { p[i] = pointer[i] }
        self.init(probabilities: p, uncertaintyThreshold: uncertaintyThreshold)
    }

    /// All-zero scores labelled neutral with confidence 0 (a placeholder for preallocated arrays).
    public static let zero = EmotionScores(probabilities: SIMD8<Float>(), uncertaintyThreshold: 0)

    /// The probability of `label`.
    public subscript(_ label: EmotionLabel) -> Float { storage[label.rawValue] }

    /// The seven probabilities as an array (allocates; for display and tests).
    public var probabilities: [Float] { (0..<EmotionLabel.count).map { storage[$0] } }

    /// ``label``'s name, or `"uncertain"` when ``isUncertain``.
    public var displayName: String { isUncertain ? "uncertain" : label.name }

    /// E.g. `happy 0.93 (angry 0.01, disgust 0.00, …)`.
    public var description: String {
        let all = EmotionLabel.allCases.map { "\($0.name) \(formatProbability(self[$0]))" }.joined(separator: ", ")
        return "\(displayName) \(formatProbability(confidence)) (\(all))"
    }
}

private func formatProbability(_ p: Float) -> String {
    let hundredths = Int((p * 100).rounded())
    return hundredths >= 100 ? "1.00" : "0." + (hundredths < 10 ? "0" : "") + String(hundredths)
}
