/// The five facial landmarks MTCNN's output network predicts, in image pixels.
///
/// "Left" and "right" follow the reference package (`mtcnn` 1.0.0): the left eye is
/// the one with the smaller x in an upright, frontal face (the subject's right eye).
public struct FaceLandmarks: Sendable, Hashable {
    /// Centre of the eye with the smaller x.
    public var leftEye: SIMD2<Float>
    /// Centre of the eye with the larger x.
    public var rightEye: SIMD2<Float>
    /// Tip of the nose.
    public var nose: SIMD2<Float>
    /// Mouth corner with the smaller x.
    public var mouthLeft: SIMD2<Float>
    /// Mouth corner with the larger x.
    public var mouthRight: SIMD2<Float>

    /// Creates landmarks from their five points.
    public init(
        leftEye: SIMD2<Float>, rightEye: SIMD2<Float>, nose: SIMD2<Float>,
        mouthLeft: SIMD2<Float>, mouthRight: SIMD2<Float>
    ) {
        self.leftEye = leftEye
        self.rightEye = rightEye
        self.nose = nose
        self.mouthLeft = mouthLeft
        self.mouthRight = mouthRight
    }

    /// The points in the reference's order: left eye, right eye, nose, mouth left, mouth right.
    public var points: [SIMD2<Float>] { [leftEye, rightEye, nose, mouthLeft, mouthRight] }
}

/// One face found by ``FaceDetector``.
public struct FaceDetection: Sendable, Hashable {
    /// The face's bounding box, clipped to the image as the reference does
    /// (corners within `0...width-1`, `0...height-1`).
    public var box: Box
    /// The output network's face probability (0...1).
    public var score: Float
    /// The five landmarks (not clipped: they may lie outside the image for a face cut by the border).
    public var landmarks: FaceLandmarks

    /// Creates a detection.
    public init(box: Box, score: Float, landmarks: FaceLandmarks) {
        self.box = box
        self.score = score
        self.landmarks = landmarks
    }
}
