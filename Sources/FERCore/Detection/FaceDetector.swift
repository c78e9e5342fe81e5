/// Finds faces and their five landmarks with the MTCNN cascade, giving the same
/// results as the `mtcnn` 1.0.0 package (TensorFlow) on the same image.
///
/// ```swift
/// let detector = try FaceDetector(pool: WorkerPool(threads: 2))
/// let faces = try detector.detect(image)        // best first
/// for face in faces { print(face.box, face.score, face.landmarks.nose) }
/// ```
///
/// The cascade: P-Net scans an image pyramid (levels in parallel over the pool's
/// threads), R-Net and O-Net refine all candidates in batches. The detector keeps
/// every buffer between calls: after a call on an image of a given size, further
/// calls of that size allocate nothing (use ``detect(_:into:)`` to reuse the result
/// array too). One detector serves one thread at a time.
public final class FaceDetector {
    /// The tunables; changes apply to the next call.
    public var options: FaceDetectorOptions
    /// The threads used by the pyramid, the crops and the networks' own loops.
    public let pool: WorkerPool
    /// Candidate counts of the most recent call.
    public private(set) var statistics = DetectionStatistics()

    let proposal: ProposalStage
    let refine: RefineStage
    let output: RefineStage
    private let table: UnsafeMutablePointer<Float>
    /// The shrunk copy of an image larger than ``FaceDetectorOptions/downscaleAbovePixels``.
    private var working: ImageBuffer?
    private let shrinker = Resizer()
    /// Stage outputs of the last call (inspected by tests).
    private(set) var proposals: [Candidate] = []
    private(set) var refined: [Candidate] = []
    private(set) var finals: [Candidate] = []

    /// Loads P-Net, R-Net and O-Net from `weightsDirectory` (default: ``ModelFile/defaultDirectory()``).
    public convenience init(
        weightsDirectory: String? = nil, options: FaceDetectorOptions = FaceDetectorOptions(),
        pool: WorkerPool = .serial
    ) throws(DetectionError) {
        func load(_ model: ModelFile) throws(DetectionError) -> Network {
            do { return try Network(contentsOf: model.path(in: weightsDirectory)) } catch {
                throw .weights(model: model.rawValue, underlying: error)
            }
        }
        try self.init(pnet: load(.pnet), rnet: load(.rnet), onet: load(.onet), options: options, pool: pool)
    }

    /// Uses already loaded networks (they may be shared between detectors).
    public init(
        pnet: Network, rnet: Network, onet: Network, options: FaceDetectorOptions = FaceDetectorOptions(),
        pool: WorkerPool = .serial
    ) throws(DetectionError) {
        try options.validate()
        self.options = options
        self.pool = pool
        proposal = try ProposalStage(network: pnet, pool: pool)
        // Chunk sizes bound the activation memory, R-Net ≈ 60 KB and O-Net ≈ 300 KB per candidate,
        // to about the L2 cache per thread (1 MB on the machines measured): 16 R-Net candidates
        // per thread ran 3 % faster overall than all 85 of a 640×480 frame in one batch, whose
        // 5 MB of activations went through memory (each candidate is computed the same way in
        // any batch, so the chunking changes no result).
        refine = try RefineStage(name: "R-Net", network: rnet, pool: pool, maximumBatch: 16 * pool.threads, landmarks: false)
        output = try RefineStage(name: "O-Net", network: onet, pool: pool, maximumBatch: 4 * pool.threads, landmarks: true)
        // mtcnn/utils/images.py normalize_images: (x - 127.5) / 128, exact in float32, for the
        // crops; the pyramid applies the same normalisation as it reads (AreaResizer.scale, .bias).
        table = .allocate(capacity: 256)
        for v in 0..<256 { table[v] = Float(v) * AreaResizer.scale + AreaResizer.bias }
    }

    deinit { table.deallocate() }

    /// The faces in `image` (RGB8, or Gray8 treated as R = G = B), best score first.
    /// Images too small for a 12×12 window give no faces.
    public func detect(_ image: ImageView) throws(DetectionError) -> [FaceDetection] {
        var faces: [FaceDetection] = []
        try detect(image, into: &faces)
        return faces
    }

    /// Like ``detect(_:)`` but reuses `faces`' storage (emptied first).
    ///
    /// - Throws: ``DetectionError/invalidOption(name:value:allowed:)`` and
    ///   ``DetectionError/minimumFaceTooSmall(minimumFaceSize:imageWidth:imageHeight:smallestAllowed:maximumLevelPixels:)``
    ///   before any work (see ``FaceDetectorOptions/validate(imageWidth:imageHeight:)``),
    ///   ``DetectionError/imageTooLarge(width:height:limit:)`` beyond ``ImageLimits/maximumPixels``.
    public func detect(_ image: ImageView, into faces: inout [FaceDetection]) throws(DetectionError) {
        faces.removeAll(keepingCapacity: true)
        guard image.width >= 0, image.height >= 0,
            image.width.multipliedReportingOverflow(by: image.height).partialValue <= ImageLimits.maximumPixels
        else {
            throw .imageTooLarge(width: image.width, height: image.height, limit: ImageLimits.maximumPixels)
        }
        try options.validate(imageWidth: image.width, imageHeight: image.height)
        statistics = DetectionStatistics()
        proposals.removeAll(keepingCapacity: true)
        refined.removeAll(keepingCapacity: true)
        finals.removeAll(keepingCapacity: true)
        guard image.width > 0, image.height > 0 else { return }

        // An image far larger than the smallest face needs is shrunk to the first level's
        // scale for P-Net's pyramid (the minimum face scales with the copy); P-Net's
        // candidates are mapped back, and R-Net and O-Net work on the image itself.
        var view = image
        var scaleX = 1.0, scaleY = 1.0
        var minimumFace = Double(options.minimumFaceSize)
        let first = Double(ImagePyramid.window) / minimumFace
        if image.width * image.height > options.downscaleAbovePixels, first < 1,
            Int(Double(image.width) * first) >= ImagePyramid.window, Int(Double(image.height) * first) >= ImagePyramid.window
        {
            let w = Int(Double(image.width) * first), h = Int(Double(image.height) * first)
            do throws(ImageError) {
                if let working {
                    try working.reshape(width: w, height: h, format: image.format)
                } else {
                    working = try ImageBuffer(width: w, height: h, format: image.format)
                }
                guard let working else { return }
                try shrinker.resize(image, into: working.mutableView, interpolation: .area)
                view = working.view
            } catch {
                throw .imageTooLarge(width: image.width, height: image.height, limit: ImageLimits.maximumPixels)
            }
            scaleX = Double(w) / Double(image.width)
            scaleY = Double(h) / Double(image.height)
            // The copy's sides were truncated: a face of the minimum size is now 12 px or a
            // hair less, so the first level is the copy or a hair larger, never smaller.
            minimumFace *= min(scaleX, scaleY)
        }
        statistics.workingWidth = view.width
        statistics.workingHeight = view.height

        // P-Net scans the (shrunk) working image; its candidates come back in the image's
        // coordinates, and R-Net and O-Net crop the image itself at full resolution.
        try proposal.run(
            view, options: options, minimumFaceSize: minimumFace, pool: pool,
            mapBack: (scaleX, scaleY), output: &proposals)
        statistics.levels = proposal.levels.count
        statistics.proposals = proposals.count

        refined.append(contentsOf: proposals)
        try refine.run(
            &refined, image: image, table: table, pool: pool, threshold: options.refineThreshold,
            nms: options.refineNMS, nmsMode: .union, square: true)
        statistics.refined = refined.count

        finals.append(contentsOf: refined)
        try output.run(
            &finals, image: image, table: table, pool: pool, threshold: options.outputThreshold,
            nms: options.outputNMS, nmsMode: .minimum, square: false)
        statistics.faces = finals.count

        // limit_bboxes (fit_to_image=True): corners clipped to the pixel grid, landmarks not.
        let maxX = Double(image.width - 1), maxY = Double(image.height - 1)
        for c in finals.prefix(options.maximumFaces) {
            let x1 = min(max(c.x1, 0), maxX), x2 = min(max(c.x2, 0), maxX)
            let y1 = min(max(c.y1, 0), maxY), y2 = min(max(c.y2, 0), maxY)
            let m = c.landmarks
            faces.append(
                FaceDetection(
                    box: Box(x: x1, y: y1, width: x2 - x1, height: y2 - y1),
                    score: Float(c.score),
                    landmarks: FaceLandmarks(
                        leftEye: SIMD2(m[0], m[5]), rightEye: SIMD2(m[1], m[6]), nose: SIMD2(m[2], m[7]),
                        mouthLeft: SIMD2(m[3], m[8]), mouthRight: SIMD2(m[4], m[9]))))
        }
    }
}

/// How many candidates each stage of the last ``FaceDetector`` call produced.
public struct DetectionStatistics: Sendable, Hashable {
    /// Pyramid levels scanned by P-Net.
    public var levels = 0
    /// Candidates after P-Net and its two NMS passes (R-Net's batch).
    public var proposals = 0
    /// Candidates after R-Net (O-Net's batch).
    public var refined = 0
    /// Faces after O-Net, before ``FaceDetectorOptions/maximumFaces``.
    public var faces = 0
    /// The size of the image the cascade ran on: the input's, or that of its shrunk copy
    /// (see ``FaceDetectorOptions/downscaleAbovePixels``).
    public var workingWidth = 0
    /// The working image's height (see ``workingWidth``).
    public var workingHeight = 0

    /// No candidates yet.
    public init() {}
}
