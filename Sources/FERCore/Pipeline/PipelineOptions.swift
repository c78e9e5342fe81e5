/// How ``EmotionPipeline`` runs detection relative to the frame path.
public enum DetectionMode: Sendable, Hashable {
    /// Detection runs on a thread of its own, on a copy of the frame, and its faces are applied
    /// exactly ``PipelineOptions/detectionLatency`` frames after the frame they were found in (the
    /// frame path waits for them if they are late). The output depends only on the input: the
    /// same file gives the same result on every run, whatever the machine's load. For files,
    /// folders and tests.
    case deferred
    /// Detection runs on a thread of its own, on a copy of the frame; its faces are applied on
    /// the first frame after they arrive, and the frame path never waits. The lowest latency,
    /// for cameras; which frame a detection lands on depends on timing.
    case asynchronous
    /// Detection runs inline on the frame it is due for: a frame with detection takes longer,
    /// results are as ``deferred`` with a latency of 0.
    case synchronous
}

/// Everything ``EmotionPipeline`` can be tuned with, in one value; each default says where it
/// comes from.
public struct PipelineOptions: Sendable, Equatable {
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
    /// first; further faces are ignored until a tracked face ends). Per-face state is preallocated for
    /// this many. Default 8: a group in front of one camera; cost is linear in faces.
    public var maximumFaces: Int = 8
    /// Compute threads in all. Synchronous mode: one ``WorkerPool`` of this size for every
    /// stage. Asynchronous mode: the detection thread's pool gets `threads - 1` (at least 1)
    /// and the frame path (tracking, classification) the rest (at least 1), so the two
    /// never contend for one pool; with 1 the two threads share one core.
    /// Default 2: the cores of the project's reference machine.
    public var threads: Int = 2
    /// How detection runs beside the frame path. Default ``DetectionMode/deferred``: detection on
    /// its own thread, results applied at a fixed point, the same output on every run. Use
    /// ``DetectionMode/asynchronous`` for a live camera.
    public var detectionMode: DetectionMode = .deferred
    /// Deferred mode: a detection started on frame t is applied on frame t + this (0 = at once).
    /// Default 4: the detection (≈ 15–30 ms for 640×480 on one core) overlaps four frames of
    /// tracking and classification, and its faces are four frames old when applied (carried to the
    /// present by the motion of the tracks they overlap; a new face's track starts on the frame it
    /// was found in and catches up in one update, within the tracker's search area at ordinary
    /// speeds). On the first frame of a stream or shot the latency is 0: a face visible in frame 0
    /// is reported in frame 0.
    public var detectionLatency: Int = 4
    /// A frame whose change from the previous one scores at least this starts a new shot (see
    /// Docs/Architecture.md, shot changes): the old tracks that no detection of the new frame matches end at
    /// once and detection runs immediately. Default 0.42 (measured on real footage); 0 disables.
    public var shotChangeThreshold: Double = 0.42
    /// The detector's options. Default: `FaceDetectorOptions()` (the `mtcnn` 1.0.0 defaults,
    /// minimum face 20 px) except ``FaceDetectorOptions/maximumFaces``, which the pipeline sets
    /// from ``maximumFaces``.
    public var detector = FaceDetectorOptions()
    /// The emotion network. Default: ``EmotionModel/default`` (FERCore's own `fernet`, the
    /// more accurate on FER-2013 PublicTest; Docs/Accuracy.md).
    public var emotionModel = EmotionModel.default
    /// The classifier's options. Default: `EmotionClassifier.Options()` (fer's preprocessing,
    /// no flip averaging, never uncertain).
    public var classifier = EmotionClassifier.Options()
    /// The per-track temporal smoother. Default: `EmotionSmoother.Options()` (alpha 0.3).
    public var smoother = EmotionSmoother.Options()
    /// The multi-face tracker. Default: `FaceTrackerOptions()` (IoU gate 0.3, CSR-DCF defaults).
    public var tracker = FaceTrackerOptions()
    /// The directory holding the `*.safetensors` networks; nil means
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
        try check(detectEvery >= 1 && detectEvery <= 1_000_000, "detectEvery", detectEvery, "must be in 1...1000000 (1 = detect on every frame)")
        try check(classifyEvery >= 1 && classifyEvery <= 1_000_000, "classifyEvery", classifyEvery, "must be in 1...1000000 (1 = classify every frame)")
        try check(maximumFaces >= 1 && maximumFaces <= 256, "maximumFaces", maximumFaces, "must be in 1...256")
        try check(detectionLatency >= 0 && detectionLatency <= 1000, "detectionLatency", detectionLatency, "must be in 0...1000 (0 = apply at once)")
        try check(threads >= 1 && threads <= 256, "threads", threads, "must be in 1...256")
        guard shotChangeThreshold.isFinite else {
            throw .invalidConfiguration(field: "shotChangeThreshold", value: String(shotChangeThreshold), reason: "must be finite (0 disables)")
        }
        do { try tracker.validate() } catch { throw .tracking(error) }
        var d = detector
        d.maximumFaces = maximumFaces
        do { try d.validate() } catch { throw .detection(error) }
    }
}
