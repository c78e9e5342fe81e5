/// One face found by ``FaceAnalyzer``: where it is, how sure the detector is, and its emotion.
///
/// Plain data: the detector's ``FaceDetection`` fields and the classifier's ``EmotionScores``
/// for the same face, unchanged.
public struct AnalyzedFace: Sendable, Equatable {
    /// The face's bounding box in image pixels, as ``FaceDetection/box`` (clipped to the image).
    public var box: Box
    /// The five landmarks, as ``FaceDetection/landmarks`` (not clipped).
    public var landmarks: FaceLandmarks
    /// The detector's face probability (0...1), as ``FaceDetection/score``.
    public var detectionScore: Float
    /// The face's expression: ``EmotionScores/label`` and ``EmotionScores/confidence``, and all
    /// seven probabilities (``EmotionScores/probabilities``, or one by one with
    /// `emotion[.happy]`).
    public var emotion: EmotionScores

    /// Creates a face from its parts.
    public init(box: Box, landmarks: FaceLandmarks, detectionScore: Float, emotion: EmotionScores) {
        self.box = box
        self.landmarks = landmarks
        self.detectionScore = detectionScore
        self.emotion = emotion
    }
}
