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
    /// Images with more pixels than this are shrunk before detection to the scale of the
    /// pyramid's first level, `12 / minimumFaceSize`, when that scale is below 1 (default
    /// 2,073,600 = 1920×1080; FERCore's own rule, the reference has none). The detector then
    /// holds the pixels the smallest face needs rather than the whole frame: a 3840×2160
    /// frame at the default minimum face is scanned at 2304×1296. The copy is made with
    /// area averaging (`cv2.INTER_AREA`) and P-Net's pyramid is built from it (its first
    /// level is the copy); P-Net's candidates are mapped back and R-Net and O-Net crop the
    /// image itself, at full resolution. Images up to this size (640×480, 1280×720,
    /// 1920×1080 frames) are used as they are and give exactly the faces the reference's
    /// processing gives.
    public var downscaleAbovePixels: Int = 1920 * 1080
    /// The largest first pyramid level, in pixels (default 16,777,216 = 4096²): a minimum
    /// face whose first level (the image scaled by `12 / minimumFaceSize`) would be larger is
    /// refused up front by ``validate(imageWidth:imageHeight:)`` with
    /// ``DetectionError/minimumFaceTooSmall(minimumFaceSize:imageWidth:imageHeight:smallestAllowed:maximumLevelPixels:)``,
    /// which names the smallest minimum face that fits (``smallestMinimumFaceSize(imageWidth:imageHeight:)``).
    /// At the default minimum face this admits any image up to 46 megapixels.
    ///
    /// With ``downscaleAbovePixels`` this bounds detection's memory for any image: about
    /// 19 bytes per pixel P-Net's pyramid starts from (that image as floats, and the shrunk
    /// copy), which has at most `max(downscaleAbovePixels, maximumLevelPixels)` pixels,
    /// plus per thread ~30 MB for P-Net (large levels are scanned in strips of 512 Ki pixels)
    /// and ~35 MB for R-Net/O-Net batches. Docs/Reliability.md has the measurements.
    public var maximumLevelPixels: Int = 1 << 24

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
        guard maximumLevelPixels >= 1 << 16 else {
            throw bad("maximumLevelPixels", "\(maximumLevelPixels)", "at least 65536 (256x256)")
        }
        guard downscaleAbovePixels >= 0 else { throw bad("downscaleAbovePixels", "\(downscaleAbovePixels)", "0 or more") }
    }

    /// The smallest `minimumFaceSize` whose first pyramid level stays within
    /// ``maximumLevelPixels`` for an image of this size: `ceil(12·√(width·height / maximumLevelPixels))`.
    public func smallestMinimumFaceSize(imageWidth: Int, imageHeight: Int) -> Int {
        let pixels = Double(max(0, imageWidth)) * Double(max(0, imageHeight))
        let bound = Double(max(1, maximumLevelPixels))
        let smallest = (Double(ImagePyramid.window) * (pixels / bound).squareRoot()).rounded(.up)
        return smallest < 1e15 ? max(1, Int(smallest)) : .max
    }

    /// Checks every field's range (``validate()``) and that ``minimumFaceSize`` fits the
    /// bound for an image of this size. ``FaceDetector`` calls it before any work; call it
    /// yourself to refuse a setting up front, once the frame size is known.
    /// - Throws: ``DetectionError/invalidOption(name:value:allowed:)`` or
    ///   ``DetectionError/minimumFaceTooSmall(minimumFaceSize:imageWidth:imageHeight:smallestAllowed:maximumLevelPixels:)``.
    public func validate(imageWidth: Int, imageHeight: Int) throws(DetectionError) {
        try validate()
        let smallest = smallestMinimumFaceSize(imageWidth: imageWidth, imageHeight: imageHeight)
        guard minimumFaceSize >= smallest else {
            throw .minimumFaceTooSmall(
                minimumFaceSize: minimumFaceSize, imageWidth: imageWidth, imageHeight: imageHeight,
                smallestAllowed: smallest, maximumLevelPixels: maximumLevelPixels)
        }
    }
}
