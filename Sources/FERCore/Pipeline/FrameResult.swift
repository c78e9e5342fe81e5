/// Seconds spent in each stage of one ``EmotionPipeline/process(_:info:into:)`` call, measured
/// on the frame path (what a frame waits for).
public struct StageTimings: Sendable, Equatable {
    /// Advancing every track to the frame.
    public var tracking: Double = 0
    /// Detection as the frame path saw it: the whole detector run in synchronous mode; in
    /// asynchronous mode only the hand-over (copying the frame for the detection thread).
    public var detection: Double = 0
    /// Reconciling detections with the tracks (starting, correcting and ending tracks).
    public var reconcile: Double = 0
    /// Classifying the faces due this frame, and smoothing.
    public var classification: Double = 0
    /// The whole call.
    public var total: Double = 0
    /// The detector's own run time when a detection's result was applied this frame (either
    /// mode; in asynchronous mode it ran on the detection thread), otherwise 0.
    public var detectorRun: Double = 0

    /// All zero.
    public init() {}
}

/// What ``EmotionPipeline`` found in one frame: plain data.
///
/// Reuse one value for a whole stream (pass it to ``EmotionPipeline/process(_:info:into:)``
/// every frame): its ``faces`` array keeps its capacity, so processing allocates nothing.
public struct FrameResult: Sendable, Equatable {
    /// The frame's position in its stream.
    public var frameIndex: Int = 0
    /// The frame's timestamp in seconds (from its ``FrameSource``).
    public var timestamp: Double = 0
    /// The faces on this frame, in ID order: each face's ``FaceTrack`` as it stands after this
    /// frame (box, landmarks and their age, smoothed emotion, tracking state).
    public var faces: [FaceTrack] = []
    /// Per-stage timings of this frame.
    public var timings = StageTimings()
    /// Whether a detection was started this frame (run inline in synchronous mode, handed to the
    /// detection thread in asynchronous mode).
    public var detectionStarted = false
    /// Whether detection results were reconciled with the tracks this frame.
    public var detectionApplied = false
    /// Whether the frame path waited for the detection thread this frame (deferred mode: the
    /// detection due now had not finished; or the first frame of a stream or shot).
    public var detectionWaited = false
    /// Whether this frame starts a new shot (a cut, or an unrelated photo): see
    /// ``PipelineOptions/shotChangeThreshold``.
    public var isShotChange = false
    /// The index of the frame the applied detection ran on (−1 when none was applied). In
    /// asynchronous mode it is earlier than ``frameIndex``: the detection's latency in frames.
    public var detectionFrameIndex = -1

    /// An empty result.
    public init() {}

    /// Empties the result for the next frame, keeping the faces' storage.
    public mutating func reset(frameIndex: Int, timestamp: Double) {
        self.frameIndex = frameIndex
        self.timestamp = timestamp
        faces.removeAll(keepingCapacity: true)
        timings = StageTimings()
        detectionStarted = false
        detectionApplied = false
        detectionWaited = false
        isShotChange = false
        detectionFrameIndex = -1
    }
}
