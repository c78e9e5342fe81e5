/// Detect, track and classify faces in a stream of frames: the whole of FERCore behind one call.
///
/// ```swift
/// let pipeline = try EmotionPipeline(options: PipelineOptions())
/// var result = FrameResult()
/// while let info = try source.nextFrame(into: frame) {
///     try pipeline.process(frame.view, info: info, into: &result)
///     for face in result.faces { print(face.id, face.emotion?.label ?? .neutral) }
/// }
/// ```
///
/// Every frame, each face is tracked (``FaceTracker``, CSR-DCF; its landmarks follow the box).
/// Detection (``FaceDetector``, MTCNN) runs on the first frame, every
/// ``PipelineOptions/detectEvery`` frames, as soon as a track is lost or ends, and at once on a
/// frame that starts a new shot (a cut, or an unrelated photo: ``PipelineOptions/shotChangeThreshold``).
/// Its faces are reconciled with the tracks (matched ones correct their track and refresh its
/// landmarks, new ones start tracks with new IDs, at most ``PipelineOptions/maximumFaces``).
/// Each face is classified (``EmotionClassifier``) on its first frame and then every
/// ``PipelineOptions/classifyEvery`` frames, its probabilities smoothed in its ``FaceTrack``.
///
/// Detection runs beside the frame path as ``PipelineOptions/detectionMode`` says:
/// ``DetectionMode/deferred`` (the default) applies each detection a fixed number of frames after
/// the frame it ran on, so the output depends only on the input; ``DetectionMode/asynchronous``
/// applies it as soon as it arrives (cameras); ``DetectionMode/synchronous`` runs it inline.
/// In every mode the first frame of a stream and of a shot is detected before it is reported.
///
/// After warm-up (the first frames of a size, and the first time each number of faces is
/// seen) ``process(_:info:into:)`` allocates nothing, except when a new track starts (its
/// tracker's buffers). One pipeline serves one stream on one thread at a time.
public final class EmotionPipeline {
    /// The configuration (fixed at creation).
    public let options: PipelineOptions
    /// The threads of the frame path (tracking, classification, and detection in
    /// synchronous mode).
    public let pool: WorkerPool
    /// The threads of the detector: ``pool`` in synchronous mode; otherwise a pool of its own,
    /// so that the detection thread and the frame path never contend for one pool (see
    /// ``PipelineOptions/threads``).
    public let detectorPool: WorkerPool

    private let detector: FaceDetector? // synchronous mode
    private let worker: DetectionWorker? // deferred and asynchronous modes
    private let classifier: EmotionClassifier
    private let tracker: FaceTracker
    private let smoother: EmotionSmoother
    private var shots: ShotChangeDetector

    // Scratch, sized once.
    private var detections: [FaceDetection] = []
    private var dueBoxes: [Box] = []
    private var dueTracks: [Int] = []
    private var dueScores: [EmotionScores] = []

    private var frameWidth = 0
    private var frameHeight = 0
    private var framesSinceDetection = 0
    private var detectionWanted = true
    private var lastTrackCount = 0
    /// The pending detection (deferred and asynchronous modes): the tracker frame number it was
    /// submitted on, the stream's frame index, and (deferred) the frame number it is due on.
    private var pending: (frameNumber: Int, frameIndex: Int, dueOn: Int)?

    /// Loads the four networks and prepares every stage.
    /// - Throws: ``PipelineError/invalidConfiguration(field:value:reason:)`` for a bad
    ///   configuration; ``PipelineError/detection(_:)`` or ``PipelineError/emotion(_:)`` when the
    ///   weights cannot be loaded.
    public init(options: PipelineOptions = PipelineOptions()) throws(PipelineError) {
        try options.validate()
        self.options = options
        // Synchronous: one pool for everything. Otherwise the detector's thread gets
        // `threads - 1` threads (at least 1) and the frame path the rest (at least 1), so
        // on 2 cores each has a core and neither spins against the other.
        let pool: WorkerPool
        let detectorPool: WorkerPool
        switch options.detectionMode {
        case .synchronous:
            pool = WorkerPool(threads: options.threads)
            detectorPool = pool
        case .deferred, .asynchronous:
            let detectorThreads = max(1, options.threads - 1)
            detectorPool = WorkerPool(threads: detectorThreads)
            pool = WorkerPool(threads: max(1, options.threads - detectorThreads))
        }
        self.pool = pool
        self.detectorPool = detectorPool
        var detectorOptions = options.detector
        detectorOptions.maximumFaces = options.maximumFaces
        let detector: FaceDetector
        do {
            detector = try FaceDetector(weightsDirectory: options.weightsDirectory, options: detectorOptions, pool: detectorPool)
        } catch { throw .detection(error) }
        switch options.detectionMode {
        case .synchronous:
            self.detector = detector
            worker = nil
        case .deferred, .asynchronous:
            self.detector = nil
            worker = try DetectionWorker(detector: detector)
        }
        do {
            classifier = try EmotionClassifier(
                model: options.emotionModel, weightsDirectory: options.weightsDirectory,
                options: options.classifier, pool: pool)
        } catch { throw .emotion(error) }
        var trackerParams = options.tracker
        trackerParams.maximumTracks = options.maximumFaces
        do { tracker = try FaceTracker(options: trackerParams) } catch { throw .tracking(error) }
        smoother = EmotionSmoother(options: options.smoother)
        shots = ShotChangeDetector(threshold: options.shotChangeThreshold)
        let n = options.maximumFaces
        detections.reserveCapacity(max(64, n))
        dueBoxes.reserveCapacity(n)
        dueTracks.reserveCapacity(n)
        dueScores.reserveCapacity(n)
    }

    /// The number of faces currently tracked.
    public var trackCount: Int { tracker.count }

    /// Processes one frame (RGB8) and writes what was found into `result` (reused: its storage
    /// is kept). Frames of one stream must share a size; a frame of another size starts over
    /// (all tracks end; IDs keep counting).
    /// - Throws: ``PipelineError`` when a stage fails; the pipeline stays usable.
    public func process(_ frame: ImageView, info: FrameInfo, into result: inout FrameResult) throws(PipelineError) {
        let start = MonotonicClock.seconds()
        result.reset(frameIndex: info.index, timestamp: info.timestamp)
        guard frame.width > 0, frame.height > 0 else {
            throw .badFrame(width: frame.width, height: frame.height, reason: "the frame is empty")
        }
        guard frame.format == .rgb8 else {
            throw .badFrame(width: frame.width, height: frame.height, reason: "the frame is \(frame.format), not RGB8")
        }
        var newShot = false
        if frame.width != frameWidth || frame.height != frameHeight {
            try startOver(width: frame.width, height: frame.height)
            newShot = true
            _ = shots.isShotChange(frame)
        } else if shots.isShotChange(frame) {
            newShot = true
            result.isShotChange = true
        }
        if tracker.frameNumber == 0 { newShot = true }

        // 1. Tracking (not across a cut: the filters would look for the old faces in the new picture).
        var t0 = MonotonicClock.seconds()
        if newShot {
            tracker.hold()
        } else {
            do { try tracker.update(frame: frame) } catch { throw .tracking(error) }
        }
        var anyLost = tracker.count < lastTrackCount
        for i in 0..<tracker.count where tracker.track(at: i).isLost { anyLost = true }
        if anyLost { detectionWanted = true }
        var t1 = MonotonicClock.seconds()
        result.timings.tracking = t1 - t0
        framesSinceDetection += 1
        let now = tracker.frameNumber

        // 2. Detection and reconciliation.
        if newShot {
            // A new stream or shot is detected before it is reported, in every mode.
            t0 = MonotonicClock.seconds()
            try detectNow(frame, into: &result)
            t1 = MonotonicClock.seconds()
            try reconcile(frame: frame, detectedAt: nil, detectionFrame: nil, afterCut: true)
            result.timings.reconcile = MonotonicClock.seconds() - t1
            result.detectionApplied = true
            result.detectionFrameIndex = info.index
        } else {
            let due = detectionWanted || framesSinceDetection >= options.detectEvery
            switch options.detectionMode {
            case .synchronous:
                if due {
                    t0 = MonotonicClock.seconds()
                    try detectNow(frame, into: &result)
                    t1 = MonotonicClock.seconds()
                    try reconcile(frame: frame, detectedAt: nil, detectionFrame: nil, afterCut: false)
                    result.timings.reconcile = MonotonicClock.seconds() - t1
                    result.detectionApplied = true
                    result.detectionFrameIndex = info.index
                }
            case .deferred, .asynchronous:
                guard let worker else { break }
                t0 = MonotonicClock.seconds()
                var taken: (frameIndex: Int, seconds: Double)?
                if let p = pending {
                    if options.detectionMode == .deferred {
                        if now >= p.dueOn {
                            if worker.isBusy { result.detectionWaited = true }
                            taken = try worker.wait(into: &detections)
                        }
                    } else {
                        taken = try worker.take(into: &detections)
                    }
                }
                if let taken, let p = pending {
                    pending = nil
                    try reconcile(frame: frame, detectedAt: taken.frameIndex, detectionFrame: worker.lastFrame, afterCut: false)
                    result.detectionApplied = true
                    result.detectionFrameIndex = p.frameIndex
                    result.timings.detectorRun = taken.seconds
                }
                t1 = MonotonicClock.seconds()
                result.timings.reconcile = t1 - t0
                if due, pending == nil {
                    try worker.submit(frame, frameIndex: now)
                    pending = (now, info.index, now + options.detectionLatency)
                    result.timings.detection += MonotonicClock.seconds() - t1
                    result.detectionStarted = true
                    framesSinceDetection = 0
                    detectionWanted = false
                    if options.detectionMode == .deferred, options.detectionLatency == 0 {
                        // Latency 0: applied on this very frame.
                        let t2 = MonotonicClock.seconds()
                        result.detectionWaited = true
                        if let done = try worker.wait(into: &detections) {
                            pending = nil
                            try reconcile(frame: frame, detectedAt: done.frameIndex, detectionFrame: nil, afterCut: false)
                            result.detectionApplied = true
                            result.detectionFrameIndex = info.index
                            result.timings.detectorRun = done.seconds
                        }
                        result.timings.detection += MonotonicClock.seconds() - t2
                    }
                }
            }
        }
        lastTrackCount = tracker.count

        // 3. Classification.
        t0 = MonotonicClock.seconds()
        try classifyDue(frame: frame)
        result.timings.classification = MonotonicClock.seconds() - t0

        for i in 0..<tracker.count { result.faces.append(tracker.track(at: i)) }
        result.timings.total = MonotonicClock.seconds() - start
    }

    /// Convenience form of ``process(_:info:into:)`` that returns a new result (allocates).
    public func process(_ frame: ImageView, info: FrameInfo) throws(PipelineError) -> FrameResult {
        var result = FrameResult()
        try process(frame, info: info, into: &result)
        return result
    }

    /// Ends every track (IDs keep counting); the next frame is treated as the first of a new
    /// stream (detected before it is reported, not compared with the previous frame). A pending
    /// detection is discarded. Call it between unrelated inputs, e.g. photos.
    public func reset() throws(PipelineError) {
        try startOver(width: frameWidth, height: frameHeight)
        frameWidth = 0
        frameHeight = 0
    }

    // MARK: Stages

    private func startOver(width: Int, height: Int) throws(PipelineError) {
        tracker.removeAll()
        if let worker, pending != nil {
            // Results for a frame of the old stream are useless: wait for them and drop them.
            _ = try? worker.wait(into: &detections)
        }
        pending = nil
        shots.reset()
        frameWidth = width
        frameHeight = height
        framesSinceDetection = 0
        detectionWanted = true
        lastTrackCount = 0
    }

    /// Runs the detector on `frame` now (inline, or on the worker and waiting for it) into
    /// `detections`; a pending detection of an earlier frame is dropped.
    private func detectNow(_ frame: ImageView, into result: inout FrameResult) throws(PipelineError) {
        let t0 = MonotonicClock.seconds()
        if let detector {
            do { try detector.detect(frame, into: &detections) } catch { throw .detection(error) }
            result.timings.detectorRun = MonotonicClock.seconds() - t0
        } else if let worker {
            if pending != nil { _ = try worker.wait(into: &detections) }
            pending = nil
            try worker.submit(frame, frameIndex: tracker.frameNumber)
            if let done = try worker.wait(into: &detections) { result.timings.detectorRun = done.seconds }
            result.detectionWaited = true
        }
        result.timings.detection = MonotonicClock.seconds() - t0
        result.detectionStarted = true
        framesSinceDetection = 0
        detectionWanted = false
    }

    /// Reconciles `detections` (best first) with the tracks (see
    /// ``FaceTracker/reconcile(_:in:detectedAt:detectionFrame:afterCut:)``).
    private func reconcile(frame: ImageView, detectedAt: Int?, detectionFrame: ImageView?, afterCut: Bool) throws(PipelineError) {
        do {
            try tracker.reconcile(detections, in: frame, detectedAt: detectedAt, detectionFrame: detectionFrame, afterCut: afterCut)
        } catch { throw .tracking(error) }
    }

    /// Classifies, in one batch, every face whose turn it is, and smooths the results.
    private func classifyDue(frame: ImageView) throws(PipelineError) {
        dueBoxes.removeAll(keepingCapacity: true)
        dueTracks.removeAll(keepingCapacity: true)
        for i in 0..<tracker.count {
            let t = tracker.track(at: i)
            if let n = t.framesSinceClassified, n < options.classifyEvery { continue }
            // The tracker's box clamped to the frame, in whole pixels (fer's own crop adds its
            // margin and padding).
            let x1 = max(0, (t.box.x).rounded(.down)), y1 = max(0, (t.box.y).rounded(.down))
            let x2 = min(Double(frame.width), (t.box.x + t.box.width).rounded(.down))
            let y2 = min(Double(frame.height), (t.box.y + t.box.height).rounded(.down))
            guard x2 - x1 >= 1, y2 - y1 >= 1 else { continue }
            dueBoxes.append(Box(x: x1, y: y1, width: x2 - x1, height: y2 - y1))
            dueTracks.append(i)
        }
        guard !dueBoxes.isEmpty else { return }
        dueScores.removeAll(keepingCapacity: true)
        for _ in dueBoxes.indices { dueScores.append(.zero) }
        do { try classifier.classify(frame, boxes: dueBoxes, into: &dueScores) } catch { throw .emotion(error) }
        for (k, i) in dueTracks.enumerated() {
            tracker.setEmotion(smoother.smoothed(tracker.track(at: i).emotion, with: dueScores[k]), at: i)
        }
    }
}
