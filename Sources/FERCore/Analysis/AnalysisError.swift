/// Why ``FaceAnalyzer`` could not be created or could not analyse an image.
public enum AnalysisError: Error, Equatable, CustomStringConvertible {
    /// A ``FaceAnalyzer/Options`` field of the analyzer's own is out of range (the detector's
    /// and the classifier's options report through ``detection(_:)`` and ``emotion(_:)``).
    case invalidOption(name: String, value: String, allowed: String)
    /// The face detector failed: its weights, its options, or the image (for example a
    /// minimum face size too small for the image's size).
    case detection(DetectionError)
    /// The emotion classifier failed: its weights or the image.
    case emotion(EmotionError)

    public var description: String {
        switch self {
        case let .invalidOption(name, value, allowed):
            return "FaceAnalyzer option \(name) = \(value) is out of range; allowed: \(allowed)."
        case let .detection(error):
            return "Face analysis, detection: \(error)"
        case let .emotion(error):
            return "Face analysis, emotion: \(error)"
        }
    }
}
