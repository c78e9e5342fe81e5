/// The tunables of ``FaceDetector``. Every default is the reference's: `mtcnn` 1.0.0
/// (`mtcnn/mtcnn.py` docstring and the stage signatures in `mtcnn/stages/stage_pnet.py`,
/// `stage_rnet.py`, `stage_onet.py`).
public struct FaceDetectorOptions: Sendable, Hashable {
    /// The smallest face, in pixels, the pyramid is built to find (default 20,
    /// `StagePNet.__call__(min_face_size=20)`). Smaller values add larger pyramid
    /// levels and cost time roughly in proportion to `(20 / minimumFaceSize)²`.
    public var minimumFaceSize: Int = 20
    /// The factor between pyramid levels (default 0.709 ≈ 1/√2, `scale_factor=0.709`).
    /// Must lie in `0.1..<1`.
    public var scaleFactor: Double = 0.709
    /// P-Net: a 12×12 window is a candidate when its face probability is strictly
    /// above this (default 0.6, `threshold_pnet`).
    public var proposalThreshold: Float = 0.6
    /// R-Net: candidates whose face probability is not above this are dropped
    /// (default 0.7, `threshold_rnet`).
    public var refineThreshold: Double = 0.7
    /// O-Net: faces whose probability is not above this are dropped
    /// (default 0.8, `threshold_onet`; the package's README says 0.7, its code uses 0.8).
    public var outputThreshold: Double = 0.8
    /// P-Net non-maximum suppression within one pyramid level, IoU over union
    /// (default 0.5, `nms_pnet1`).
    public var proposalLevelNMS: Double = 0.5
    /// P-Net non-maximum suppression across levels, IoU over union (default 0.7, `nms_pnet2`).
    public var proposalNMS: Double = 0.7
    /// R-Net non-maximum suppression, IoU over union (default 0.7, `nms_rnet`).
    public var refineNMS: Double = 0.7
    /// O-Net non-maximum suppression, intersection over the smaller box
    /// (default 0.7, `nms_onet` with `method="min"`).
    public var outputNMS: Double = 0.7
    /// Keep at most this many faces, the highest scores (default `Int.max`: the reference has no limit).
    public var maximumFaces: Int = .max

    /// The reference's defaults.
    public init() {}

    /// Checks every field's range.
    public func validate() throws(DetectionError) {
        func bad(_ name: String, _ value: String, _ allowed: String) -> DetectionError {
            .invalidOption(name: name, value: value, allowed: allowed)
        }
        guard minimumFaceSize >= 1 else { throw bad("minimumFaceSize", "\(minimumFaceSize)", "at least 1") }
        guard scaleFactor >= 0.1, scaleFactor < 1 else { throw bad("scaleFactor", "\(scaleFactor)", "0.1 ..< 1") }
        // Checked one by one (no array literal: detect() validates on every call and
        // must not allocate).
        func unit(_ name: String, _ t: Double) throws(DetectionError) {
            guard t >= 0, t <= 1 else { throw bad(name, "\(t)", "0 ... 1") }
        }
        try unit("proposalThreshold", Double(proposalThreshold))
        try unit("refineThreshold", refineThreshold)
        try unit("outputThreshold", outputThreshold)
        try unit("proposalLevelNMS", proposalLevelNMS)
        try unit("proposalNMS", proposalNMS)
        try unit("refineNMS", refineNMS)
        try unit("outputNMS", outputNMS)
        guard maximumFaces >= 0 else { throw bad("maximumFaces", "\(maximumFaces)", "0 or more") }
    }
}
