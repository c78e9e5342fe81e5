import Synchronization

/// The faces in an image and the expression of each, in one call: MTCNN finds the faces
/// (``FaceDetector``) and an emotion model (``Options/emotionModel``, default FERCore's `fernet`)
/// classifies them (``EmotionClassifier``).
///
/// ```swift
/// let analyzer = try FaceAnalyzer()                     // loads the four networks once
/// for face in try analyzer.analyze(photo) {             // photo: an Image, e.g. from FERMedia's ImageReader
///     print(face.box, face.emotion.label, face.emotion.confidence)
/// }
/// ```
///
/// A call runs the detector on the image and then the classifier on the detector's boxes, all
/// faces in one batch. Nothing is added or changed on the way: the boxes, landmarks and scores
/// are the detector's (best score first) and the probabilities are those the classifier gives
/// for those boxes, exactly as when the two are called by hand. Options of both are set
/// through ``Options``.
///
/// For video, use ``EmotionPipeline`` instead: it tracks faces between detections (stable
/// IDs, far less work per frame) and smooths each face's emotion over time.
///
/// ## Sharing between tasks
///
/// A `FaceAnalyzer` is `Sendable`: one analyzer can be shared by every task and thread of a
/// program and called from several at once, with no wrapper of your own. The networks are
/// loaded once and shared by all calls (they are immutable). What a call writes to (the
/// detector's and the classifier's buffers) is not shared: each call borrows a set of
/// buffers of its own from the analyzer (a `Mutex` guards only the taking and the giving
/// back), so calls made at the same time run in parallel and never wait for one another.
/// The analyzer keeps as many sets as calls ever ran at once, one after serial use; each
/// holds what a ``FaceDetector`` and an ``EmotionClassifier`` hold for the images it saw.
/// With ``Options/threads`` above 1, one call at a time also uses the analyzer's threads.
/// Results never depend on which set or thread a call got.
///
/// A set of buffers, once it has worked on an image of a given size with a given number of
/// faces, allocates nothing more for the next such image: a call then allocates only the array
/// it returns. (For frame after frame without even that, use ``FaceDetector/detect(_:into:)``
/// and ``EmotionClassifier/classify(_:boxes:into:)``, or ``EmotionPipeline``.)
public final class FaceAnalyzer: Sendable {
    /// The options the analyzer was created with.
    public let options: Options

    private let pnet: Network
    private let rnet: Network
    private let onet: Network
    /// The emotion model's networks, loaded once and shared by every set of buffers.
    private let emotion: (network: Network, quantized: QuantizedNetwork?)
    /// The threads every call may use (``Options/threads``); a call made while another uses
    /// them runs on its own thread (``WorkerPool`` runs one loop at a time).
    private let pool: WorkerPool
    /// The buffer sets no call is using.
    private let idle: Mutex<[Workbench]>

    /// Loads MTCNN (P-Net, R-Net, O-Net) and the emotion model (``Options/emotionModel``) from `weightsDirectory`
    /// (default: ``ModelFile/defaultDirectory()``, that is `$FERCORE_WEIGHTS` or `./Weights`)
    /// and prepares one set of buffers.
    ///
    /// - Throws: ``AnalysisError/invalidOption(name:value:allowed:)`` for a bad
    ///   ``Options/threads``; ``AnalysisError/detection(_:)`` when the detector's weights
    ///   cannot be loaded or its options are out of range; ``AnalysisError/emotion(_:)`` when
    ///   the classifier's weights cannot be loaded.
    public init(weightsDirectory: String? = nil, options: Options = Options()) throws(AnalysisError) {
        try options.validate()
        // The errors are those FaceDetector(weightsDirectory:) and EmotionClassifier(weightsDirectory:) throw.
        func load(_ model: ModelFile) throws(AnalysisError) -> Network {
            do { return try Network(contentsOf: model.path(in: weightsDirectory)) } catch {
                throw .detection(.weights(model: model.rawValue, underlying: error))
            }
        }
        self.options = options
        pnet = try load(.pnet)
        rnet = try load(.rnet)
        onet = try load(.onet)
        do { emotion = try EmotionClassifier.load(options.emotionModel, weightsDirectory: weightsDirectory) } catch {
            throw .emotion(error)
        }
        pool = options.threads == 1 ? .serial : WorkerPool(threads: options.threads)
        // The first set now, so that bad options and wrong networks show here, not in a call.
        let first = try Workbench(
            pnet: pnet, rnet: rnet, onet: onet, emotion: emotion, options: options, pool: pool)
        idle = Mutex([first])
    }

    /// The faces in `image` (RGB8, or Gray8), best detection score first, each with its
    /// emotion. An image without faces gives an empty array.
    ///
    /// - Throws: ``AnalysisError/detection(_:)`` when the detector refuses the image (more
    ///   than ``ImageLimits/maximumPixels``, or a ``FaceDetectorOptions/minimumFaceSize`` too
    ///   small for its size: see ``FaceDetectorOptions/validate(imageWidth:imageHeight:)``);
    ///   ``AnalysisError/emotion(_:)`` when the classifier fails on it.
    public func analyze(_ image: Image) throws(AnalysisError) -> [AnalyzedFace] {
        try image.withView { (view) throws(AnalysisError) in try analyze(view) }
    }

    /// The faces in the pixels `image` points to (RGB8, or Gray8), best detection score
    /// first, each with its emotion; for frames in an ``ImageBuffer`` (`buffer.view`) or
    /// memory of your own. The view is read during the call only.
    ///
    /// - Throws: as ``analyze(_:)-(Image)``.
    public func analyze(_ image: ImageView) throws(AnalysisError) -> [AnalyzedFace] {
        let bench: Workbench
        if let free = idle.withLock({ $0.popLast() }) {
            bench = free
        } else {
            bench = try Workbench(
                pnet: pnet, rnet: rnet, onet: onet, emotion: emotion, options: options, pool: pool)
        }
        defer { idle.withLock { $0.append(bench) } }
        return try bench.analyze(image)
    }

    /// The box the classifier is given for a detected face: the face's own box, except that
    /// a sliver narrower or lower than one whole pixel (a face cut by the image's edge; the
    /// classifier truncates corners to whole pixels as `fer` does and refuses an empty box)
    /// is widened to one pixel, which `fer` would crop as the patch around that point.
    static func classificationBox(for box: Box) -> Box {
        let x1 = box.x.rounded(.towardZero), x2 = (box.x + box.width).rounded(.towardZero)
        let y1 = box.y.rounded(.towardZero), y2 = (box.y + box.height).rounded(.towardZero)
        guard x2 - x1 < 1 || y2 - y1 < 1 else { return box }
        return Box(x: x1, y: y1, width: max(1, x2 - x1), height: max(1, y2 - y1))
    }
}

/// One set of the buffers a ``FaceAnalyzer`` call works in: a detector and a classifier on the
/// analyzer's shared networks, and the call's scratch arrays.
///
/// `@unchecked Sendable`: it moves between threads, but only inside ``FaceAnalyzer``, which
/// hands each set to one call at a time (taken from and given back to its `Mutex`).
private final class Workbench: @unchecked Sendable {
    let detector: FaceDetector
    let classifier: EmotionClassifier
    private var faces: [FaceDetection] = []
    private var boxes: [Box] = []
    private var scores: [EmotionScores] = []

    init(
        pnet: Network, rnet: Network, onet: Network, emotion: (network: Network, quantized: QuantizedNetwork?),
        options: FaceAnalyzer.Options, pool: WorkerPool
    ) throws(AnalysisError) {
        do {
            detector = try FaceDetector(pnet: pnet, rnet: rnet, onet: onet, options: options.detector, pool: pool)
        } catch { throw .detection(error) }
        do {
            classifier = try EmotionClassifier(
                network: emotion.network, model: options.emotionModel, quantized: emotion.quantized, options: options.classifier,
                pool: pool)
        } catch { throw .emotion(error) }
    }

    func analyze(_ image: ImageView) throws(AnalysisError) -> [AnalyzedFace] {
        do { try detector.detect(image, into: &faces) } catch { throw .detection(error) }
        guard !faces.isEmpty else { return [] }
        boxes.removeAll(keepingCapacity: true)
        scores.removeAll(keepingCapacity: true)
        for face in faces {
            boxes.append(FaceAnalyzer.classificationBox(for: face.box))
            scores.append(.zero)
        }
        do { try classifier.classify(image, boxes: boxes, into: &scores) } catch { throw .emotion(error) }
        var result: [AnalyzedFace] = []
        result.reserveCapacity(faces.count)
        for (face, emotion) in zip(faces, scores) {
            result.append(AnalyzedFace(box: face.box, landmarks: face.landmarks, detectionScore: face.score, emotion: emotion))
        }
        return result
    }
}
