/// Detect, track and classify faces in a stream of frames: the whole of FERCore behind one call.
///
/// ```swift
/// let pipeline = try EmotionPipeline(config: PipelineConfig())
/// var result = FrameResult()
/// while let info = try source.nextFrame(into: frame) {
///     try pipeline.process(frame.view, info: info, into: &result)
///     for face in result.faces { print(face.id, face.emotion?.label ?? .neutral) }
/// }
/// ```
///
/// Every frame, each face is tracked (``FaceTracker``, CSR-DCF). Detection (``FaceDetector``,
/// MTCNN) runs every ``PipelineConfig/detectEvery`` frames, on the first frame, and at once
/// when a track is lost or ends; its faces are reconciled with the tracks (matched ones
/// correct their track, new ones start tracks with new IDs, at most
/// ``PipelineConfig/maximumFaces``). Each face is classified (``EmotionClassifier``) on its
/// first frame and then every ``PipelineConfig/classifyEvery`` frames, its probabilities
/// smoothed per track (``EmotionSmoother``).
///
/// In ``DetectionMode/asynchronous`` mode (the default) the detector runs on a thread of its
/// own on a copy of the frame; a frame never waits for it, and its faces are reconciled with
/// the tracks on the first frame processed after they arrive (the boxes are then a few frames
/// old; matching by IoU tolerates the motion of a few frames, and the matched track's own box
/// is kept moving by the tracker). ``DetectionMode/synchronous`` runs detection inline:
/// deterministic for a given thread count.
///
/// After warm-up (the first frames of a size, and the first time each number of faces is
/// seen) ``process(_:info:into:)`` allocates nothing, except when a new track starts (its
/// tracker's buffers). One pipeline serves one stream on one thread at a time.
public final class EmotionPipeline {
    /// The configuration (fixed at creation).
    public let config: PipelineConfig
    /// The threads of the frame path (tracking, classification, and detection in
    /// synchronous mode).
    public let pool: WorkerPool
    /// The threads of the detector: ``pool`` in synchronous mode; in asynchronous mode a
    /// pool of its own, so that the detection thread and the frame path never contend
    /// for one pool (see ``PipelineConfig/threads``).
    public let detectorPool: WorkerPool

    private let detector: FaceDetector?          // synchronous mode
    private let worker: DetectionWorker?         // asynchronous mode
    private let classifier: EmotionClassifier
    private let tracker: FaceTracker
    private var smoother: EmotionSmoother

    /// Per-track state, one slot per possible face (`slotIDs[i] == -1`: free).
    private var slotIDs: [Int]
    private var slotSinceClassified: [Int]
    private var slotLandmarks: [FaceLandmarks?]
    private var slotEmotion: [EmotionScores?]
    private var slotClassifiedNow: [Bool]
    /// The last ``historyLength`` boxes of each slot's track, by pipeline tick (ring buffer), so
    /// that a late detection can be matched with where the tracks were on its frame.
    private var history: [TrackBox]
    private var historyTick: [Int]
    private static let historyLength = 64
    private var tick = -1

    // Scratch, sized once.
    private var detections: [FaceDetection] = []
    private var accepted: [TrackBox] = []
    private var acceptedIndex: [Int] = []
    private var dueBoxes: [FaceRect] = []
    private var dueSlots: [Int] = []
    private var dueScores: [EmotionScores] = []

    private var frameWidth = 0
    private var frameHeight = 0
    private var framesSinceDetection = 0
    private var detectionWanted = true
    private var lastTrackCount = 0
    private var submittedFrameIndex = -1
    private var submittedTick = 0

    /// Loads the four networks and prepares every stage.
    /// - Throws: ``PipelineError/invalidConfiguration(field:value:reason:)`` for a bad
    ///   configuration; ``PipelineError/detection(_:)`` or ``PipelineError/emotion(_:)`` when the
    ///   weights cannot be loaded.
    public init(config: PipelineConfig = PipelineConfig()) throws(PipelineError) {
        try config.validate()
        self.config = config
        // Synchronous: one pool for everything. Asynchronous: the detector's thread gets
        // `threads - 1` threads (at least 1) and the frame path the rest (at least 1), so
        // on 2 cores each has a core and neither spins against the other.
        let pool: WorkerPool
        let detectorPool: WorkerPool
        switch config.detectionMode {
        case .synchronous:
            pool = WorkerPool(threads: config.threads)
            detectorPool = pool
        case .asynchronous:
            let detectorThreads = max(1, config.threads - 1)
            detectorPool = WorkerPool(threads: detectorThreads)
            pool = WorkerPool(threads: max(1, config.threads - detectorThreads))
        }
        self.pool = pool
        self.detectorPool = detectorPool
        var detectorOptions = config.detector
        detectorOptions.maximumFaces = config.maximumFaces
        let detector: FaceDetector
        do {
            detector = try FaceDetector(weightsDirectory: config.weightsDirectory, options: detectorOptions, pool: detectorPool)
        } catch { throw .detection(error) }
        switch config.detectionMode {
        case .synchronous:
            self.detector = detector
            worker = nil
        case .asynchronous:
            self.detector = nil
            worker = try DetectionWorker(detector: detector)
        }
        do {
            classifier = try EmotionClassifier(weightsDirectory: config.weightsDirectory, options: config.classifier, pool: pool)
        } catch { throw .emotion(error) }
        do { tracker = try FaceTracker(params: config.tracker) } catch { throw .tracking(error) }
        smoother = EmotionSmoother(options: config.smoother)
        let n = config.maximumFaces
        slotIDs = [Int](repeating: -1, count: n)
        slotSinceClassified = [Int](repeating: 0, count: n)
        slotLandmarks = [FaceLandmarks?](repeating: nil, count: n)
        slotEmotion = [EmotionScores?](repeating: nil, count: n)
        slotClassifiedNow = [Bool](repeating: false, count: n)
        history = [TrackBox](repeating: TrackBox(x: 0, y: 0, width: 0, height: 0), count: n * Self.historyLength)
        historyTick = [Int](repeating: -1, count: n * Self.historyLength)
        detections.reserveCapacity(max(64, n))
        accepted.reserveCapacity(n)
        acceptedIndex.reserveCapacity(n)
        dueBoxes.reserveCapacity(n)
        dueSlots.reserveCapacity(n)
        dueScores.reserveCapacity(n)
    }

    /// The number of faces currently tracked.
    public var trackCount: Int { tracker.count }

    /// Processes one frame (RGB8) and writes what was found into `result` (reused: its storage
    /// is kept). Frames of one stream must share a size; a frame of another size starts over
    /// (all tracks end; IDs keep counting).
    /// - Throws: ``PipelineError`` when a stage fails; the pipeline stays usable.
    public func process(_ frame: ImageView, info: FrameInfo, into result: inout FrameResult) throws(PipelineError) {
        let start = monotonicSeconds()
        result.reset(frameIndex: info.index, timestamp: info.timestamp)
        guard frame.width > 0, frame.height > 0 else {
            throw .badFrame(width: frame.width, height: frame.height, reason: "the frame is empty")
        }
        guard frame.format == .rgb8 else {
            throw .badFrame(width: frame.width, height: frame.height, reason: "the frame is \(frame.format), not RGB8")
        }
        if frame.width != frameWidth || frame.height != frameHeight {
            startOver(width: frame.width, height: frame.height)
        }

        // 1. Tracking.
        tick += 1
        var t0 = monotonicSeconds()
        do { try tracker.advance(frame: frame) } catch { throw .tracking(error) }
        var anyLost = tracker.count < lastTrackCount
        for i in 0..<tracker.count where tracker.face(at: i).isLost { anyLost = true }
        if anyLost { detectionWanted = true }
        var t1 = monotonicSeconds()
        result.timings.tracking = t1 - t0
        framesSinceDetection += 1
        let due = detectionWanted || framesSinceDetection >= config.detectEvery

        // 2. Detection, 3. reconciliation.
        switch config.detectionMode {
        case .synchronous:
            if due, let detector {
                t0 = monotonicSeconds()
                do { try detector.detect(frame, into: &detections) } catch { throw .detection(error) }
                t1 = monotonicSeconds()
                result.timings.detection = t1 - t0
                result.timings.detectorRun = t1 - t0
                result.detectionStarted = true
                framesSinceDetection = 0
                detectionWanted = false
                try reconcile(frame: frame, detectedAt: tick, startFrame: nil)
                result.timings.reconcile = monotonicSeconds() - t1
                result.detectionApplied = true
                result.detectionFrameIndex = info.index
            }
        case .asynchronous:
            if let worker {
                t0 = monotonicSeconds()
                // Bounded staleness: wait only when the pending detection is older than the limit
                // (never with a live camera; with a file read faster than real time it keeps
                // the detections close enough for new tracks to be followed to the present).
                let lagLimit = config.maximumDetectionLag
                let taken: (frameIndex: Int, seconds: Double)?
                if lagLimit > 0, worker.isBusy, tick - submittedTick >= lagLimit {
                    taken = try worker.wait(into: &detections)
                    result.detectionWaited = true
                    result.timings.detection = monotonicSeconds() - t0
                    t0 = monotonicSeconds()
                } else {
                    taken = try worker.take(into: &detections)
                }
                if let taken {
                    try reconcile(frame: frame, detectedAt: taken.frameIndex, startFrame: worker.lastFrame)
                    result.detectionApplied = true
                    result.detectionFrameIndex = submittedFrameIndex
                    result.timings.detectorRun = taken.seconds
                }
                t1 = monotonicSeconds()
                result.timings.reconcile = t1 - t0
                if due, worker.isIdle {
                    try worker.submit(frame, frameIndex: tick)
                    submittedFrameIndex = info.index
                    submittedTick = tick
                    result.timings.detection += monotonicSeconds() - t1
                    result.detectionStarted = true
                    framesSinceDetection = 0
                    detectionWanted = false
                }
            }
        }

        // Per-track state follows the tracker's faces.
        syncSlots()
        lastTrackCount = tracker.count

        // 4. Classification.
        t0 = monotonicSeconds()
        try classifyDue(frame: frame)
        result.timings.classification = monotonicSeconds() - t0

        for i in 0..<tracker.count {
            let f = tracker.face(at: i)
            guard let s = slot(of: f.id) else { continue }
            let h = s * Self.historyLength + tick % Self.historyLength
            history[h] = f.box
            historyTick[h] = tick
            result.faces.append(FaceResult(
                id: f.id,
                box: Box(x: Float(f.box.x), y: Float(f.box.y), width: Float(f.box.width), height: Float(f.box.height)),
                landmarks: slotLandmarks[s], emotion: slotEmotion[s], classifiedThisFrame: slotClassifiedNow[s],
                trackingConfidence: f.confidence, isLost: f.isLost))
        }
        result.timings.total = monotonicSeconds() - start
    }

    /// Convenience form of ``process(_:info:into:)`` that returns a new result (allocates).
    public func process(_ frame: ImageView, info: FrameInfo) throws(PipelineError) -> FrameResult {
        var result = FrameResult()
        try process(frame, info: info, into: &result)
        return result
    }

    /// Ends every track and forgets all per-track state (IDs keep counting); the next frame is
    /// detected at once. A pending asynchronous detection is discarded.
    public func reset() {
        startOver(width: frameWidth, height: frameHeight)
    }

    // MARK: Stages

    private func startOver(width: Int, height: Int) {
        tracker.reset()
        for s in slotIDs.indices where slotIDs[s] >= 0 {
            smoother.remove(track: slotIDs[s])
            slotIDs[s] = -1
        }
        if let worker, worker.isBusy {
            // Results for a frame of the old stream are useless: wait for them and drop them.
            _ = try? worker.wait(into: &detections)
        }
        frameWidth = width
        frameHeight = height
        framesSinceDetection = 0
        detectionWanted = true
        lastTrackCount = 0
    }

    /// Reconciles `detections` (best first) with the tracks: detections that overlap a track
    /// are always passed on (they correct it); new faces only while there is a free slot.
    ///
    /// Detections found `tick − detectedAt` frames ago (asynchronous mode) are first carried to
    /// the present: a detection that overlaps where a track was on its frame is moved by that
    /// track's motion since (translation and scale), so matching and drift correction compare
    /// like with like; other detections start tracks on `startFrame` (the frame they were found
    /// in), which the tracker then follows to `frame`.
    private func reconcile(frame: ImageView, detectedAt: Int, startFrame: ImageView?) throws(PipelineError) {
        accepted.removeAll(keepingCapacity: true)
        acceptedIndex.removeAll(keepingCapacity: true)
        var newFaces = 0
        let stale = detectedAt != tick
        for (j, d) in detections.enumerated() {
            var box = TrackBox(x: Double(d.box.x), y: Double(d.box.y), width: Double(d.box.width), height: Double(d.box.height))
            var matchesTrack = false
            if stale {
                if let moved = carryForward(box, from: detectedAt) {
                    box = moved
                    matchesTrack = true
                }
            } else {
                for i in 0..<tracker.count where tracker.face(at: i).box.iou(box) >= config.tracker.matchIoU {
                    matchesTrack = true
                    break
                }
            }
            if !matchesTrack {
                guard tracker.count + newFaces < config.maximumFaces else { continue }
                newFaces += 1
            }
            guard accepted.count < config.maximumFaces else { break }
            accepted.append(box)
            acceptedIndex.append(j)
        }
        do { try tracker.merge(detections: accepted, frame: frame, startFrame: stale ? startFrame : nil) } catch { throw .tracking(error) }
        syncSlots()
        // Landmarks: each track takes those of the accepted detection it overlaps most.
        for i in 0..<tracker.count {
            let f = tracker.face(at: i)
            guard let s = slot(of: f.id) else { continue }
            var best = -1
            var bestIoU = config.landmarkMatchIoU
            for (k, box) in accepted.enumerated() {
                let iou = f.box.iou(box)
                if iou >= bestIoU { best = k; bestIoU = iou }
            }
            if best >= 0 { slotLandmarks[s] = detections[acceptedIndex[best]].landmarks }
        }
    }

    /// Moves `box` (a detection on pipeline tick `then`) by the motion since then of the track it
    /// overlaps most on that tick; nil when it overlaps none (or the tick is out of the history).
    private func carryForward(_ box: TrackBox, from then: Int) -> TrackBox? {
        guard then >= 0, tick - then < Self.historyLength else { return nil }
        var best: (past: TrackBox, now: TrackBox)?
        var bestIoU = config.tracker.matchIoU
        for i in 0..<tracker.count {
            let f = tracker.face(at: i)
            guard let s = slot(of: f.id) else { continue }
            let h = s * Self.historyLength + then % Self.historyLength
            guard historyTick[h] == then else { continue }
            let iou = history[h].iou(box)
            if iou >= bestIoU { bestIoU = iou; best = (history[h], f.box) }
        }
        guard let (past, now) = best, past.area > 0 else { return nil }
        let scale = (now.area / past.area).squareRoot()
        let (pcx, pcy) = past.center, (ncx, ncy) = now.center, (bcx, bcy) = box.center
        let w = box.width * scale, h = box.height * scale
        let cx = ncx + (bcx - pcx) * scale, cy = ncy + (bcy - pcy) * scale
        return TrackBox(x: cx - w / 2, y: cy - h / 2, width: w, height: h)
    }

    /// Frees the slots of ended tracks and gives new tracks a slot (due for classification).
    private func syncSlots() {
        for s in slotIDs.indices where slotIDs[s] >= 0 {
            var live = false
            for i in 0..<tracker.count where tracker.face(at: i).id == slotIDs[s] {
                live = true
                break
            }
            if !live {
                smoother.remove(track: slotIDs[s])
                slotIDs[s] = -1
            }
        }
        for i in 0..<tracker.count {
            let id = tracker.face(at: i).id
            guard slot(of: id) == nil, let free = slotIDs.firstIndex(of: -1) else { continue }
            slotIDs[free] = id
            slotSinceClassified[free] = config.classifyEvery  // due at once
            slotLandmarks[free] = nil
            slotEmotion[free] = nil
            for h in 0..<Self.historyLength { historyTick[free * Self.historyLength + h] = -1 }
        }
    }

    private func slot(of id: Int) -> Int? {
        for s in slotIDs.indices where slotIDs[s] == id { return s }
        return nil
    }

    /// Classifies, in one batch, every face whose turn it is, and smooths the results.
    private func classifyDue(frame: ImageView) throws(PipelineError) {
        dueBoxes.removeAll(keepingCapacity: true)
        dueSlots.removeAll(keepingCapacity: true)
        for s in slotIDs.indices { slotClassifiedNow[s] = false }
        for i in 0..<tracker.count {
            let f = tracker.face(at: i)
            guard let s = slot(of: f.id) else { continue }
            slotSinceClassified[s] += 1
            guard slotSinceClassified[s] >= config.classifyEvery else { continue }
            // The tracker's box clamped to the frame (fer's own crop adds its margin and padding).
            let x1 = max(0, Int(f.box.x.rounded(.down))), y1 = max(0, Int(f.box.y.rounded(.down)))
            let x2 = min(frame.width, Int((f.box.x + f.box.width).rounded(.down)))
            let y2 = min(frame.height, Int((f.box.y + f.box.height).rounded(.down)))
            guard x2 - x1 >= 1, y2 - y1 >= 1 else { continue }
            dueBoxes.append(FaceRect(x: x1, y: y1, width: x2 - x1, height: y2 - y1))
            dueSlots.append(s)
        }
        guard !dueBoxes.isEmpty else { return }
        dueScores.removeAll(keepingCapacity: true)
        for _ in dueBoxes.indices { dueScores.append(.zero) }
        do { try classifier.classify(frame, boxes: dueBoxes, into: &dueScores) } catch { throw .emotion(error) }
        for (k, s) in dueSlots.enumerated() {
            slotEmotion[s] = smoother.update(track: slotIDs[s], with: dueScores[k])
            slotSinceClassified[s] = 0
            slotClassifiedNow[s] = true
        }
    }
}
