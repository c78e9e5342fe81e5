/// One tracked face as ``FaceTracker`` reports it.
public struct TrackedFace: Sendable, Equatable {
    /// Stable identifier, unique within the ``FaceTracker``'s lifetime (never reused).
    public var id: Int
    /// The face box in frame pixels.
    public var box: TrackBox
    /// The tracker's peak-to-sidelobe ratio this frame (see ``TrackingResult/psr``).
    public var confidence: Float
    /// Whether the correlation tracker reported the face lost this frame.
    public var isLost: Bool
}

/// Tunables of ``FaceTracker``.
public struct FaceTrackerParams: Sendable, Equatable {
    /// The single-face tracker's parameters.
    public var tracker = CorrelationFilterParams()
    /// A detection and a track match only when their IoU is at least this. 0.3 is the usual
    /// SORT-style gate (Bewley et al., ICIP 2016).
    public var matchIoU: Double = 0.3
    /// A track ends after this many consecutive detection rounds without a match
    /// (SORT's `max_age` idea, counted in rounds, not frames). Default 3.
    public var maxMissedRounds: Int = 3
    /// A track ends after this many consecutive frames reported lost by its tracker. Default 10
    /// (a third of a second at 30 FPS; short occlusions survive, a lost face goes quickly).
    public var maxLostFrames: Int = 10
    /// Learning rate when a matched detection corrects a track (``CorrelationFilterTracker/correct(frame:box:rate:)``).
    /// 0.2: ten times the per-frame rate, so a detection weighs like ten tracked frames.
    public var correctionRate: Float = 0.2
    /// Creates the defaults.
    public init() {}
}

/// Several faces at once, each a ``CorrelationFilterTracker`` with a stable integer ID.
///
/// Call ``update(frame:)`` on every frame and ``reconcile(detections:frame:)`` whenever the
/// detector delivers faces for a frame (after that frame's update). Reconciling associates
/// detections with tracks by IoU with an optimal (Hungarian) assignment; unmatched detections
/// start tracks with new IDs; matched ones correct their track's drift — the track jumps to the
/// detection and learns there (model kept, no allocation) or, when the detection's size is
/// outside the scale filter's range, is re-initialised on it (same ID). Tracks end after
/// ``FaceTrackerParams/maxMissedRounds`` unmatched rounds or ``FaceTrackerParams/maxLostFrames``
/// lost frames in a row. IDs are never reused.
public final class FaceTracker {
    private final class Track {
        let id: Int
        let tracker: CorrelationFilterTracker
        var face: TrackedFace
        var missedRounds = 0
        var lostFrames = 0
        init(id: Int, tracker: CorrelationFilterTracker, face: TrackedFace) {
            self.id = id
            self.tracker = tracker
            self.face = face
        }
    }

    /// The parameters.
    public let params: FaceTrackerParams
    private var tracks: [Track] = []
    private var nextID = 1
    private let solver = HungarianSolver()
    private var costs: [Double] = []
    private var assignment: [Int] = []
    private var matched: [Bool] = []

    /// Creates an empty tracker.
    /// - Throws: ``TrackingError/invalidParameter(name:value:reason:)``.
    public init(params: FaceTrackerParams = FaceTrackerParams()) throws(TrackingError) {
        try params.tracker.validate()
        guard params.matchIoU > 0, params.matchIoU <= 1 else {
            throw .invalidParameter(name: "matchIoU", value: params.matchIoU, reason: "must be in (0, 1]")
        }
        guard params.maxMissedRounds >= 1, params.maxLostFrames >= 1 else {
            throw .invalidParameter(name: "maxMissedRounds/maxLostFrames", value: Double(min(params.maxMissedRounds, params.maxLostFrames)),
                                    reason: "must be ≥ 1")
        }
        self.params = params
    }

    /// The faces currently tracked, in ID order.
    public var faces: [TrackedFace] { tracks.map(\.face) }

    /// The number of faces currently tracked (no allocation, unlike ``faces``).
    public var count: Int { tracks.count }

    /// The `index`-th tracked face (`0..<count`, ID order), without building an array.
    public func face(at index: Int) -> TrackedFace { tracks[index].face }

    /// Advances every track to `frame`; ends tracks lost for too long. Returns the faces.
    /// (Builds a new array per call; ``update(frame:into:)`` reuses the caller's instead.)
    @discardableResult
    public func update(frame: ImageView) throws(TrackingError) -> [TrackedFace] {
        try advance(frame: frame)
        return faces
    }

    /// As ``update(frame:)``, but writes the faces into `faces` (cleared first, its capacity
    /// kept): after warm-up (same or fewer faces than before) a call allocates nothing.
    public func update(frame: ImageView, into faces: inout [TrackedFace]) throws(TrackingError) {
        try advance(frame: frame)
        faces.removeAll(keepingCapacity: true)
        for t in tracks { faces.append(t.face) }
    }

    /// ``update(frame:)`` without building any result array: allocates nothing (read the
    /// faces with ``count`` and ``face(at:)``).
    public func advance(frame: ImageView) throws(TrackingError) {
        for t in tracks {
            let r = try t.tracker.update(frame: frame)
            t.face.box = r.box
            t.face.confidence = r.psr
            t.face.isLost = r.isLost
            t.lostFrames = r.isLost ? t.lostFrames + 1 : 0
        }
        let limit = params.maxLostFrames
        if tracks.contains(where: { $0.lostFrames >= limit }) { tracks.removeAll { $0.lostFrames >= limit } }
    }

    /// Associates `detections` (faces found in `frame`) with the tracks; see the type's summary.
    /// Detections with no area or outside the frame are ignored. Returns the faces.
    @discardableResult
    public func reconcile(detections: [TrackBox], frame: ImageView) throws(TrackingError) -> [TrackedFace] {
        try merge(detections: detections, frame: frame)
        return faces
    }

    /// ``reconcile(detections:frame:)`` without building the result array. Allocates nothing
    /// once its scratch arrays have grown to the largest track and detection counts seen, except
    /// when a detection starts a new track (a new ``CorrelationFilterTracker`` and its buffers).
    ///
    /// - Parameter startFrame: the frame the detections were found in, when it is older than
    ///   `frame` (a detector running behind the stream): new tracks are initialised there, on the
    ///   exact detection, and then advanced to `frame` with one update. Nil: `frame` itself.
    public func merge(detections: [TrackBox], frame: ImageView, startFrame: ImageView? = nil) throws(TrackingError) {
        let n = tracks.count, m = detections.count
        if matched.count < m { matched = [Bool](repeating: false, count: m) }
        for j in 0..<m { matched[j] = false }
        if n > 0, m > 0 {
            if costs.count != n * m { costs = [Double](repeating: 0, count: n * m) }
            for i in 0..<n {
                for j in 0..<m { costs[i * m + j] = 1 - tracks[i].face.box.iou(detections[j]) }
            }
            solver.solve(costs: costs, rows: n, columns: m, assignment: &assignment)
        } else {
            if assignment.count != n { assignment = [Int](repeating: -1, count: n) }
            for i in 0..<n { assignment[i] = -1 }
        }
        for i in 0..<n {
            let t = tracks[i]
            let j = assignment[i]
            guard j >= 0, 1 - costs[i * m + j] >= params.matchIoU else {
                t.missedRounds += 1
                continue
            }
            matched[j] = true
            t.missedRounds = 0
            t.lostFrames = 0
            try correct(t, to: detections[j], frame: frame)
        }
        tracks.removeAll { $0.missedRounds >= params.maxMissedRounds }
        for j in 0..<m where !matched[j] {
            let d = detections[j]
            let tracker = try CorrelationFilterTracker(params: params.tracker)
            var face = TrackedFace(id: nextID, box: d, confidence: .infinity, isLost: false)
            do {
                try tracker.initialize(frame: startFrame ?? frame, box: d)
            } catch .emptyBox, .boxOutsideFrame {
                continue
            }
            if startFrame != nil {
                let r = try tracker.update(frame: frame)
                face.box = r.box
                face.confidence = r.psr
                face.isLost = r.isLost
            }
            tracker.learningPhase = stagger(nextID)
            tracks.append(Track(id: nextID, tracker: tracker, face: face))
            nextID += 1
        }
    }

    private func correct(_ t: Track, to d: TrackBox, frame: ImageView) throws(TrackingError) {
        guard let current = t.tracker.box else { return }
        let ratio = ((d.width * d.height) / max(current.area, 1)).squareRoot()
        let initial = t.tracker.scaleRange
        // The box's scale relative to the tracker's initial size.
        let scaleNow = (current.width * current.height).squareRoot() / max(1, (t.tracker.initialArea).squareRoot())
        if initial.contains(scaleNow * ratio) {
            try t.tracker.correct(frame: frame, box: d, rate: params.correctionRate)
        } else {
            try t.tracker.initialize(frame: frame, box: d)
        }
        if let b = t.tracker.box { t.face.box = b }
        t.face.isLost = false
        t.tracker.learningPhase = stagger(t.id)
    }

    /// The learning phase of track `id`: tracks learn on different frames (see
    /// ``CorrelationFilterTracker/learningPhase``). The first track (ID 1) keeps phase 0, so a
    /// single face is tracked exactly as by a lone ``CorrelationFilterTracker``.
    private func stagger(_ id: Int) -> Int { (id - 1) % max(1, params.tracker.modelUpdateInterval) }

    /// Forgets every track (IDs keep counting up).
    public func reset() { tracks.removeAll() }
}
