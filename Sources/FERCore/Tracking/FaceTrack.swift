/// One face followed through time: its identity, where it is, its landmarks and its emotion.
///
/// The one record of a face in FERCore. ``FaceTracker`` keeps it (box, landmarks, tracking
/// state) and ``EmotionPipeline`` adds the emotion; both hand out copies, so a `FaceTrack` in a
/// ``FrameResult`` is a snapshot of the face on that frame.
public struct FaceTrack: Sendable, Equatable {
    /// Stable identifier, unique within the tracker's lifetime (never reused).
    public let id: Int
    /// The face box on this frame (the correlation filter's box, corrected by matched detections).
    public internal(set) var box: Box
    /// The five landmarks, moved with the box since they were measured (nil until a detection
    /// with landmarks matched this track).
    public internal(set) var landmarks: FaceLandmarks?
    /// Frames since ``landmarks`` were measured by the detector: 0 when they come from a detection
    /// of this very frame; between detections they follow the box's motion (translation and scale).
    public internal(set) var landmarksAge: Int
    /// The smoothed emotion scores (nil until the face was first classified).
    public internal(set) var emotion: EmotionScores?
    /// Frames since the face was last classified: 0 when it was classified on this frame, nil
    /// before its first classification.
    public internal(set) var framesSinceClassified: Int?
    /// The correlation filter's peak-to-sidelobe ratio on this frame (see ``TrackingResult/psr``);
    /// infinite on the frame a track starts.
    public internal(set) var trackingConfidence: Float
    /// Whether the correlation filter reported the face lost on this frame (low PSR). A lost face
    /// keeps its last box; the track ends after ``FaceTrackerOptions/maxLostFrames`` such frames.
    public internal(set) var isLost: Bool
    /// Consecutive frames reported lost.
    public internal(set) var lostFrames: Int
    /// Consecutive detection rounds in which no detection matched this track.
    public internal(set) var missedRounds: Int
    /// Frames since the track started (0 on its first frame).
    public internal(set) var age: Int

    /// Whether the face was classified on this frame (``emotion`` is then fresh, otherwise carried).
    public var classifiedThisFrame: Bool { framesSinceClassified == 0 }

    /// A new track at `box`.
    init(id: Int, box: Box, landmarks: FaceLandmarks?, landmarksAge: Int) {
        self.id = id
        self.box = box
        self.landmarks = landmarks
        self.landmarksAge = landmarksAge
        emotion = nil
        framesSinceClassified = nil
        trackingConfidence = .infinity
        isLost = false
        lostFrames = 0
        missedRounds = 0
        age = 0
    }
}

extension FaceLandmarks {
    /// The landmarks carried from a face at `old` to the same face at `new`: each point keeps its
    /// position relative to the box (centre offset scaled by the change of the box's size).
    func moved(from old: Box, to new: Box) -> FaceLandmarks {
        let sx = old.width > 0 ? new.width / old.width : 1
        let sy = old.height > 0 ? new.height / old.height : 1
        let (ocx, ocy) = old.center, (ncx, ncy) = new.center
        func move(_ p: SIMD2<Float>) -> SIMD2<Float> {
            SIMD2(Float(ncx + (Double(p.x) - ocx) * sx), Float(ncy + (Double(p.y) - ocy) * sy))
        }
        return FaceLandmarks(
            leftEye: move(leftEye), rightEye: move(rightEye), nose: move(nose),
            mouthLeft: move(mouthLeft), mouthRight: move(mouthRight))
    }
}
