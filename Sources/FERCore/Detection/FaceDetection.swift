/// An axis-aligned rectangle in image pixels: top-left corner and size.
///
/// Coordinates are floating point because detectors refine boxes to sub-pixel
/// precision; round them (e.g. `rounded()`) where whole pixels are needed.
public struct Box: Sendable, Hashable, CustomStringConvertible {
    /// Left edge, in pixels from the image's left side.
    public var x: Float
    /// Top edge, in pixels from the image's top.
    public var y: Float
    /// Width in pixels.
    public var width: Float
    /// Height in pixels.
    public var height: Float

    /// Creates a box from its top-left corner and size.
    public init(x: Float, y: Float, width: Float, height: Float) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The box's area (0 for boxes with a negative side).
    public var area: Float { max(0, width) * max(0, height) }

    /// Intersection over union with `other` (0 when either box is empty).
    public func iou(_ other: Box) -> Float {
        intersectionOverUnion(x, y, width, height, other.x, other.y, other.width, other.height)
    }

    public var description: String { "[x \(x), y \(y), w \(width), h \(height)]" }
}

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
    public init(leftEye: SIMD2<Float>, rightEye: SIMD2<Float>, nose: SIMD2<Float>,
                mouthLeft: SIMD2<Float>, mouthRight: SIMD2<Float>) {
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

/// Intersection over union of two boxes given as (x, y, width, height); 0 when either is
/// empty or they do not overlap. Shared by ``Box`` and ``TrackBox``.
@inline(__always)
func intersectionOverUnion<T: BinaryFloatingPoint>(_ ax: T, _ ay: T, _ aw: T, _ ah: T,
                                                   _ bx: T, _ by: T, _ bw: T, _ bh: T) -> T {
    let ix = min(ax + aw, bx + bw) - max(ax, bx)
    let iy = min(ay + ah, by + bh) - max(ay, by)
    guard ix > 0, iy > 0 else { return 0 }
    let inter = ix * iy
    let union = max(0, aw) * max(0, ah) + max(0, bw) * max(0, bh) - inter
    return union > 0 ? inter / union : 0
}
