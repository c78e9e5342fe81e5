#if canImport(Glibc)
    import Glibc
#endif

/// Why ``EmotionPipeline`` could not be built or could not process a frame.
public enum PipelineError: Error, Equatable, CustomStringConvertible {
    /// A ``PipelineOptions`` field is out of range.
    case invalidConfiguration(field: String, value: String, reason: String)
    /// The detector failed (weights, options or image).
    case detection(DetectionError)
    /// The classifier failed (weights or image).
    case emotion(EmotionError)
    /// The tracker failed (parameters, or a frame whose size differs from the stream's).
    case tracking(TrackingError)
    /// The asynchronous detection thread could not be started (`pthread_create` returned
    /// `code`): the process is out of threads or memory.
    case threadStartFailed(code: Int32)
    /// A frame that is not RGB8 or Gray8 at least 1×1, or larger than the image limit.
    case badFrame(width: Int, height: Int, reason: String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(field, value, reason):
            return "PipelineOptions.\(field) = \(value) \(reason); change it (see PipelineOptions's documentation for the default)."
        case let .detection(error):
            return "Face detection failed: \(error)"
        case let .emotion(error):
            return "Emotion classification failed: \(error)"
        case let .tracking(error):
            return "Face tracking failed: \(error)"
        case let .threadStartFailed(code):
            let reason = String(cString: strerror(code))
            return
                "Could not start the detection thread (pthread_create: \(reason)); the process is out of threads or memory. Free some, or use DetectionMode.synchronous (no thread of its own)."
        case let .badFrame(width, height, reason):
            return "Cannot process a \(width)x\(height) frame: \(reason). Pass RGB8 frames of one size per stream (call reset() between streams)."
        }
    }
}
