/// Tunables of ``FaceTracker``.
public struct FaceTrackerOptions: Sendable, Equatable {
    /// The single-face tracker's parameters.
    public var tracker = CorrelationFilterOptions()
    /// A detection and a track match only when their IoU is at least this. 0.3 is the usual
    /// SORT-style gate (Bewley et al., ICIP 2016).
    public var matchIoU: Double = 0.3
    /// A track ends after this many consecutive detection rounds without a match
    /// (SORT's `max_age` idea, counted in rounds, not frames). Default 3.
    public var maxMissedRounds: Int = 3
    /// A track ends after this many consecutive frames reported lost by its tracker. Default 10
    /// (a third of a second at 30 FPS; short occlusions survive, a lost face goes quickly).
    /// `Int.max` keeps lost tracks (a tracker used without a detector, as `ferdemo track`).
    public var maxLostFrames: Int = 10
    /// Learning rate when a matched detection corrects a track (``CorrelationFilterTracker/correct(frame:box:rate:)``).
    /// 0.2: ten times the per-frame rate, so a detection weighs like ten tracked frames.
    public var correctionRate: Float = 0.2
    /// At most this many tracks at once: detections that would start more are ignored (best
    /// first) until a track ends. Default `Int.max` (the pipeline sets its own limit).
    public var maximumTracks: Int = .max
    /// Frames of box history kept per track, so that a detection up to this many frames old can
    /// be carried to the present by the motion of the track it overlaps. Default 64.
    public var historyLength: Int = 64
    /// Creates the defaults.
    public init() {}

    /// Checks every field.
    /// - Throws: ``TrackingError/invalidParameter(name:value:reason:)``.
    public func validate() throws(TrackingError) {
        try tracker.validate()
        guard matchIoU > 0, matchIoU <= 1 else {
            throw .invalidParameter(name: "matchIoU", value: matchIoU, reason: "must be in (0, 1]")
        }
        guard maxMissedRounds >= 1, maxLostFrames >= 1 else {
            throw .invalidParameter(
                name: "maxMissedRounds/maxLostFrames", value: Double(min(maxMissedRounds, maxLostFrames)),
                reason: "must be ≥ 1")
        }
        guard correctionRate.isFinite, correctionRate > 0, correctionRate <= 1 else {
            throw .invalidParameter(name: "correctionRate", value: Double(correctionRate), reason: "must be in (0, 1]")
        }
        guard maximumTracks >= 1 else { throw .invalidParameter(name: "maximumTracks", value: Double(maximumTracks), reason: "must be ≥ 1") }
        guard historyLength >= 1, historyLength <= 1024 else {
            throw .invalidParameter(name: "historyLength", value: Double(historyLength), reason: "must be in 1...1024")
        }
    }
}

/// Several faces at once, each a ``CorrelationFilterTracker`` with a stable integer ID, each
/// kept as a ``FaceTrack`` record.
///
/// Call ``update(frame:)`` on every frame and ``reconcile(_:in:detectedAt:detectionFrame:afterCut:)``
/// whenever the detector delivers faces (after that frame's update). Reconciling associates
/// detections with tracks by IoU with an optimal (Hungarian) assignment; unmatched detections
/// start tracks with new IDs; matched ones correct their track's drift and refresh its
/// landmarks — the track jumps to the detection and learns there (model kept, no allocation)
/// or, when the detection's size is outside the scale filter's range, is re-initialised on it
/// (same ID). Between detections the landmarks follow the box. Tracks end after
/// ``FaceTrackerOptions/maxMissedRounds`` unmatched rounds or ``FaceTrackerOptions/maxLostFrames``
/// lost frames in a row. IDs are never reused.
///
/// After warm-up, ``update(frame:)`` and ``reconcile(_:in:detectedAt:detectionFrame:afterCut:)``
/// allocate nothing, except when a track starts (its filter's buffers).
public final class FaceTracker {
    /// A track's record, its filter and its recent boxes (a ring indexed by frame number).
    private final class Entry {
        var track: FaceTrack
        let filter: CorrelationFilterTracker
        var history: [Box]
        var historyFrame: [Int]
        init(track: FaceTrack, filter: CorrelationFilterTracker, historyLength: Int) {
            self.track = track
            self.filter = filter
            history = [Box](repeating: Box(x: 0, y: 0, width: 0, height: 0), count: historyLength)
            historyFrame = [Int](repeating: -1, count: historyLength)
        }
        func record(_ frame: Int) {
            let i = frame % history.count
            history[i] = track.box
            historyFrame[i] = frame
        }
        func box(at frame: Int) -> Box? {
            guard frame >= 0 else { return nil }
            let i = frame % history.count
            return historyFrame[i] == frame ? history[i] : nil
        }
    }

    /// A detection accepted for reconciliation, carried to the present.
    private struct Accepted {
        var box: Box
        var landmarks: FaceLandmarks?
        var source: Int // index in the caller's detections
    }

    /// The parameters.
    public let options: FaceTrackerOptions
    /// The number of frames passed to ``update(frame:)`` so far: the frame number of the latest
    /// frame (0 before the first update). ``reconcile(_:in:detectedAt:detectionFrame:afterCut:)``
    /// takes detection times in these numbers.
    public private(set) var frameNumber = 0
    private var entries: [Entry] = []
    private var nextID = 1
    private let solver = HungarianSolver()
    private var costs: [Double] = []
    private var assignment: [Int] = []
    private var matched: [Bool] = []
    private var accepted: [Accepted] = []

    /// Creates an empty tracker.
    /// - Throws: ``TrackingError/invalidParameter(name:value:reason:)``.
    public init(options: FaceTrackerOptions = FaceTrackerOptions()) throws(TrackingError) {
        try options.validate()
        self.options = options
        accepted.reserveCapacity(16)
    }

    /// The number of faces currently tracked.
    public var count: Int { entries.count }

    /// The `index`-th track (`0..<count`, in ID order), without building an array.
    public func track(at index: Int) -> FaceTrack { entries[index].track }

    /// Every current track, in ID order (builds a new array).
    public var tracks: [FaceTrack] { entries.map(\.track) }

    /// Advances every track to `frame`: the filters locate their faces, landmarks follow the
    /// boxes, and tracks lost for ``FaceTrackerOptions/maxLostFrames`` frames end.
    public func update(frame: ImageView) throws(TrackingError) {
        frameNumber += 1
        for e in entries {
            let old = e.track.box
            let r = try e.filter.update(frame: frame)
            e.track.box = r.box
            e.track.trackingConfidence = r.psr
            e.track.isLost = r.isLost
            e.track.lostFrames = r.isLost ? e.track.lostFrames + 1 : 0
            e.track.age += 1
            if let marks = e.track.landmarks {
                e.track.landmarks = marks.moved(from: old, to: r.box)
                e.track.landmarksAge += 1
            }
            if let n = e.track.framesSinceClassified { e.track.framesSinceClassified = n + 1 }
            e.record(frameNumber)
        }
        let limit = options.maxLostFrames
        if entries.contains(where: { $0.track.lostFrames >= limit }) { entries.removeAll { $0.track.lostFrames >= limit } }
    }

    /// Counts `frame` as seen without moving the tracks (a frame that starts a new shot: the
    /// filters would search the new picture for the old appearance). Ages advance; boxes stay.
    func hold() {
        frameNumber += 1
        for e in entries {
            e.track.age += 1
            if e.track.landmarks != nil { e.track.landmarksAge += 1 }
            if let n = e.track.framesSinceClassified { e.track.framesSinceClassified = n + 1 }
            e.record(frameNumber)
        }
    }

    /// Starts a track on a box the caller chose (no detector: e.g. `ferdemo track --init-box`).
    /// - Returns: the new track's ID.
    /// - Throws: ``TrackingError/emptyBox(x:y:width:height:)``, ``TrackingError/boxOutsideFrame(x:y:width:height:frameWidth:frameHeight:)``.
    @discardableResult
    public func startTrack(at box: Box, in frame: ImageView) throws(TrackingError) -> Int {
        let filter = try CorrelationFilterTracker(options: options.tracker)
        try filter.initialize(frame: frame, box: box)
        return add(FaceTrack(id: nextID, box: box, landmarks: nil, landmarksAge: 0), filter: filter)
    }

    /// Associates `detections` (faces found by the detector, best first) with the tracks; see the
    /// type's summary. Detections with no area or outside the frame are ignored.
    ///
    /// - Parameters:
    ///   - detections: the detector's faces, in `detectionFrame`'s (or `frame`'s) coordinates.
    ///   - frame: the current frame (the one the last ``update(frame:)`` saw).
    ///   - detectedAt: the ``frameNumber`` of the frame the detections were found in, when older
    ///     than the current one (a detector running behind the stream). Each detection that overlaps
    ///     where a track was on that frame is first carried by that track's motion since then (box
    ///     and landmarks), so matching compares like with like. Nil: the current frame.
    ///   - detectionFrame: the frame the detections were found in, when older: new tracks are
    ///     initialised there, on the exact detection, then advanced to `frame` with one update.
    ///   - afterCut: the frame starts a new shot: tracks no detection matches end at once, and
    ///     matched ones are re-initialised on their detection (the old appearance model is stale).
    public func reconcile(
        _ detections: [FaceDetection], in frame: ImageView, detectedAt: Int? = nil,
        detectionFrame: ImageView? = nil, afterCut: Bool = false
    ) throws(TrackingError) {
        let then = detectedAt ?? frameNumber
        let stale = then != frameNumber
        let age = max(0, frameNumber - then)
        // 1. Accept detections, best first: all that overlap a track (they correct it), new faces
        //    while there is room for them.
        accepted.removeAll(keepingCapacity: true)
        var newFaces = 0
        for (j, d) in detections.enumerated() where d.box.isUsable {
            var box = d.box
            var marks: FaceLandmarks? = d.landmarks
            var matchesTrack = false
            if stale {
                if let (past, now) = motion(of: box, since: then) {
                    box = Self.carry(box, from: past, to: now)
                    marks = d.landmarks.moved(from: d.box, to: box)
                    matchesTrack = true
                }
            } else {
                for e in entries where e.track.box.iou(box) >= options.matchIoU {
                    matchesTrack = true
                    break
                }
            }
            if !matchesTrack {
                guard entries.count + newFaces < options.maximumTracks else { continue }
                newFaces += 1
            }
            accepted.append(Accepted(box: box, landmarks: marks, source: j))
        }
        // 2. Optimal assignment on 1 − IoU.
        let n = entries.count, m = accepted.count
        if matched.count < m { matched = [Bool](repeating: false, count: m) }
        for j in 0..<m { matched[j] = false }
        if n > 0, m > 0 {
            if costs.count != n * m { costs = [Double](repeating: 0, count: n * m) }
            for i in 0..<n {
                for j in 0..<m { costs[i * m + j] = 1 - entries[i].track.box.iou(accepted[j].box) }
            }
            solver.solve(costs: costs, rows: n, columns: m, assignment: &assignment)
        } else {
            if assignment.count != n { assignment = [Int](repeating: -1, count: n) }
            for i in 0..<n { assignment[i] = -1 }
        }
        // 3. Matched tracks are corrected; unmatched ones miss a round (or end, after a cut).
        var ended = false
        for i in 0..<n {
            let e = entries[i]
            let j = assignment[i]
            guard j >= 0, 1 - costs[i * m + j] >= options.matchIoU else {
                e.track.missedRounds += 1
                if afterCut || e.track.missedRounds >= options.maxMissedRounds {
                    e.track.missedRounds = .max
                    ended = true
                }
                continue
            }
            matched[j] = true
            let a = accepted[j]
            e.track.missedRounds = 0
            e.track.lostFrames = 0
            e.track.isLost = false
            if afterCut {
                try e.filter.initialize(frame: frame, box: a.box)
            } else {
                try correct(e, to: a.box, frame: frame)
            }
            if let b = e.filter.box { e.track.box = b }
            if let marks = a.landmarks {
                e.track.landmarks = marks.moved(from: a.box, to: e.track.box)
                e.track.landmarksAge = age
            }
            e.record(frameNumber)
        }
        if ended { entries.removeAll { $0.track.missedRounds == .max } }
        // 4. Unmatched detections start tracks.
        for j in 0..<m where !matched[j] {
            let d = detections[accepted[j].source]
            let filter = try CorrelationFilterTracker(options: options.tracker)
            do {
                try filter.initialize(frame: stale ? (detectionFrame ?? frame) : frame, box: d.box)
            } catch .emptyBox, .boxOutsideFrame {
                continue
            }
            var track = FaceTrack(id: nextID, box: d.box, landmarks: d.landmarks, landmarksAge: age)
            if stale, detectionFrame != nil {
                let r = try filter.update(frame: frame)
                track.landmarks = d.landmarks.moved(from: d.box, to: r.box)
                track.box = r.box
                track.trackingConfidence = r.psr
                track.isLost = r.isLost
            }
            add(track, filter: filter)
        }
    }

    /// Ends every track (IDs keep counting up).
    public func removeAll() { entries.removeAll(keepingCapacity: true) }

    /// Gives track `index` freshly classified (smoothed) scores.
    func setEmotion(_ scores: EmotionScores, at index: Int) {
        entries[index].track.emotion = scores
        entries[index].track.framesSinceClassified = 0
    }

    // MARK: Private

    @discardableResult
    private func add(_ track: FaceTrack, filter: CorrelationFilterTracker) -> Int {
        filter.learningPhase = stagger(track.id)
        let e = Entry(track: track, filter: filter, historyLength: options.historyLength)
        e.record(frameNumber)
        entries.append(e)
        nextID += 1
        return track.id
    }

    /// Where the track that overlapped `box` most on frame `then` was then and is now.
    private func motion(of box: Box, since then: Int) -> (past: Box, now: Box)? {
        guard frameNumber - then < options.historyLength else { return nil }
        var best: (past: Box, now: Box)?
        var bestIoU = options.matchIoU
        for e in entries {
            guard let past = e.box(at: then) else { continue }
            let iou = past.iou(box)
            if iou >= bestIoU { bestIoU = iou; best = (past, e.track.box) }
        }
        guard let best, best.past.area > 0 else { return nil }
        return best
    }

    /// `box` moved as a track moved from `past` to `now` (translation and uniform scale).
    private static func carry(_ box: Box, from past: Box, to now: Box) -> Box {
        let scale = (now.area / past.area).squareRoot()
        let (pcx, pcy) = past.center, (ncx, ncy) = now.center, (bcx, bcy) = box.center
        return Box(
            centerX: ncx + (bcx - pcx) * scale, centerY: ncy + (bcy - pcy) * scale,
            width: box.width * scale, height: box.height * scale)
    }

    private func correct(_ e: Entry, to d: Box, frame: ImageView) throws(TrackingError) {
        guard let current = e.filter.box else { return }
        let ratio = ((d.width * d.height) / max(current.area, 1)).squareRoot()
        // The box's scale relative to the filter's initial size.
        let scaleNow = (current.width * current.height).squareRoot() / max(1, e.filter.initialArea.squareRoot())
        if e.filter.scaleRange.contains(scaleNow * ratio) {
            try e.filter.correct(frame: frame, box: d, rate: options.correctionRate)
        } else {
            try e.filter.initialize(frame: frame, box: d)
        }
        e.filter.learningPhase = stagger(e.track.id)
    }

    /// The learning phase of track `id`: tracks learn on different frames (see
    /// ``CorrelationFilterTracker/learningPhase``). The first track (ID 1) keeps phase 0, so a
    /// single face is tracked exactly as by a lone ``CorrelationFilterTracker``.
    private func stagger(_ id: Int) -> Int { (id - 1) % max(1, options.tracker.modelUpdateInterval) }
}
