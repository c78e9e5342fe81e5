/// How ``EmotionPipeline`` runs detection relative to the frame path.
public enum DetectionMode: Sendable, Hashable {
    /// Detection runs on a thread of its own on a copy of the frame; the frame path never waits
    /// for it, and its faces are reconciled with the tracks on the first frame after they arrive.
    /// Results then depend on thread timing (which frame a detection lands on).
    case asynchronous
    /// Detection runs inline on the frame it was requested for, before the tracks are
    /// reconciled: a frame with detection takes longer, but results are deterministic for a
    /// given thread count (tests, offline processing).
    case synchronous
}

/// Everything ``EmotionPipeline`` can be tuned with, in one value; each default says where it
/// comes from.
public struct PipelineConfig: Sendable, Equatable {
    /// Run detection every this many frames (the seed's design: MTCNN every 10 frames, a tracker
    /// in between). Detection also runs at once when a track is lost, and on the first frame.
    /// Default 10, the seed's N.
    public var detectEvery: Int = 10
    /// Classify each face every this many frames (per track, counted from its own last
    /// classification; a new track is classified on its first frame). Default 5: at 30 FPS six
    /// classifications a second, which the smoother (alpha 0.3, half weight after ~2 updates)
    /// turns into a label that settles within about a third of a second.
    public var classifyEvery: Int = 5
    /// At most this many faces are tracked and classified at once (largest-score detections
    /// first; further faces are ignored until a slot frees). Per-face state is preallocated for
    /// this many. Default 8: a group in front of one camera; cost is linear in faces.
    public var maximumFaces: Int = 8
    /// Compute threads in all. Synchronous mode: one ``WorkerPool`` of this size for every
    /// stage. Asynchronous mode: the detection thread's pool gets `threads - 1` (at least 1)
    /// and the frame path (tracking, classification) the rest (at least 1), so the two
    /// never contend for one pool; with 1 the two threads share one core.
    /// Default 2: the cores of the project's reference machine.
    public var threads: Int = 2
    /// Asynchronous (the default: the frame path never waits for a detection) or synchronous
    /// (deterministic, for tests).
    public var detectionMode: DetectionMode = .asynchronous
    /// Asynchronous mode: the frame path waits for a pending detection once it is this many
    /// frames old (0: never wait). Default 15, half a second at 30 FPS: a live camera never
    /// gets there (a ~70 ms detection is 2–3 frames late), but a file read faster than real time
    /// would otherwise run far ahead of its detections, and a face seen that many frames ago
    /// has moved too far for its new track to find it (CSR-DCF searches about two face widths
    /// around the old position).
    public var maximumDetectionLag: Int = 15
    /// The detector's options. Default: `FaceDetectorOptions()` (the `mtcnn` 1.0.0 defaults,
    /// minimum face 20 px) except ``FaceDetectorOptions/maximumFaces``, which the pipeline sets
    /// from ``maximumFaces``.
    public var detector = FaceDetectorOptions()
    /// The classifier's options. Default: `EmotionClassifier.Options()` (fer's preprocessing,
    /// no flip averaging, never uncertain).
    public var classifier = EmotionClassifier.Options()
    /// The per-track temporal smoother. Default: `EmotionSmoother.Options()` (alpha 0.3).
    public var smoother = EmotionSmoother.Options()
    /// The multi-face tracker. Default: `FaceTrackerParams()` (IoU gate 0.3, CSR-DCF defaults).
    public var tracker = FaceTrackerParams()
    /// A face keeps the landmarks of its last matched detection when the detection's box and the
    /// track's box overlap at least this much (IoU). Default 0.3, the tracker's own match gate.
    public var landmarkMatchIoU: Double = 0.3
    /// The directory holding the four `*.safetensors` networks; nil means
    /// ``ModelFile/defaultDirectory()``.
    public var weightsDirectory: String?

    /// The defaults.
    public init() {}

    /// Checks every field.
    /// - Throws: ``PipelineError/invalidConfiguration(field:value:reason:)``.
    public func validate() throws(PipelineError) {
        func check(_ ok: Bool, _ field: String, _ value: Int, _ reason: String) throws(PipelineError) {
            if !ok { throw .invalidConfiguration(field: field, value: String(value), reason: reason) }
        }
        try check(detectEvery >= 1, "detectEvery", detectEvery, "must be ≥ 1 (1 = detect on every frame)")
        try check(classifyEvery >= 1, "classifyEvery", classifyEvery, "must be ≥ 1 (1 = classify every frame)")
        try check(maximumFaces >= 1 && maximumFaces <= 256, "maximumFaces", maximumFaces, "must be in 1...256")
        try check(maximumDetectionLag >= 0, "maximumDetectionLag", maximumDetectionLag, "must be ≥ 0 (0 = never wait)")
        try check(threads >= 1 && threads <= 256, "threads", threads, "must be in 1...256")
        guard landmarkMatchIoU > 0, landmarkMatchIoU <= 1 else {
            throw .invalidConfiguration(field: "landmarkMatchIoU", value: String(landmarkMatchIoU), reason: "must be in (0, 1]")
        }
        var d = detector
        d.maximumFaces = maximumFaces
        do { try d.validate() } catch { throw .detection(error) }
    }
}
