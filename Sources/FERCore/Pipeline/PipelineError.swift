/// Why ``EmotionPipeline`` could not be built or could not process a frame.
public enum PipelineError: Error, Equatable, CustomStringConvertible {
    /// A ``PipelineConfig`` field is out of range.
    case invalidConfiguration(field: String, value: String, reason: String)
    /// The detector failed (weights, options or image).
    case detection(DetectionError)
    /// The classifier failed (weights or image).
    case emotion(EmotionError)
    /// The tracker failed (parameters, or a frame whose size differs from the stream's).
    case tracking(TrackingError)
    /// A frame that is not RGB8 or Gray8 at least 1×1, or larger than the image limit.
    case badFrame(width: Int, height: Int, reason: String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(field, value, reason):
            return "PipelineConfig.\(field) = \(value) \(reason); change it (see PipelineConfig's documentation for the default)."
        case let .detection(error):
            return "Face detection failed: \(error)"
        case let .emotion(error):
            return "Emotion classification failed: \(error)"
        case let .tracking(error):
            return "Face tracking failed: \(error)"
        case let .badFrame(width, height, reason):
            return "Cannot process a \(width)x\(height) frame: \(reason). Pass RGB8 frames of one size per stream (call reset() between streams)."
        }
    }
}
