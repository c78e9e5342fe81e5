import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// FaceAnalyzer is FaceDetector then EmotionClassifier, nothing more: on the detection goldens'
/// real photos (Tools/make_detection_goldens.py) its faces equal those of the two called by hand,
/// bit for bit (same networks, same options, same threads: no tolerance needed), serially and
/// from several tasks at once.
@Suite("FaceAnalyzer")
struct FaceAnalyzerTests {
    static let weights = Paths.root.appendingPathComponent("Weights").path

    /// The golden images (RGB photos with one to four faces, a gray one, one without faces).
    static func images() throws -> [(name: String, image: Image)] {
        let file = try DetectionFixtures.file()
        var seen = Set<String>()
        return try DetectionFixtures.cases().compactMap { c in
            guard seen.insert(c.image).inserted else { return nil }
            return (c.image, try DetectionFixtures.image(c.image, in: file))
        }
    }

    /// What a user writes without FaceAnalyzer: the detector, then the classifier on its boxes.
    static func byHand(_ image: Image, options: FaceAnalyzer.Options = .init()) throws -> [AnalyzedFace] {
        let pool = options.threads == 1 ? WorkerPool.serial : WorkerPool(threads: options.threads)
        let detector = try FaceDetector(weightsDirectory: weights, options: options.detector, pool: pool)
        let classifier = try EmotionClassifier(weightsDirectory: weights, options: options.classifier, pool: pool)
        return try image.withView { view in
            let faces = try detector.detect(view)
            var scores = [EmotionScores](repeating: .zero, count: faces.count)
            try classifier.classify(view, boxes: faces.map(\.box), into: &scores)
            return zip(faces, scores).map {
                AnalyzedFace(box: $0.box, landmarks: $0.landmarks, detectionScore: $0.score, emotion: $1)
            }
        }
    }

    @Test("equals FaceDetector then EmotionClassifier by hand on every golden image")
    func equalsByHand() throws {
        let analyzer = try FaceAnalyzer(weightsDirectory: Self.weights)
        var total = 0
        for (name, image) in try Self.images() {
            let faces = try analyzer.analyze(image)
            #expect(faces == (try Self.byHand(image)), "\(name)")
            // The ImageView entry point gives the same.
            let viaView = try image.withView { (v) throws(AnalysisError) in try analyzer.analyze(v) }
            #expect(viaView == faces, "\(name)")
            for face in faces {
                #expect(abs(face.emotion.probabilities.reduce(0, +) - 1) < 1e-5, "\(name)") // softmax; float32 rounding only
                #expect(face.emotion.confidence == face.emotion.probabilities.max())
            }
            total += faces.count
        }
        #expect(total == 8) // the goldens: astronaut 1, border 1, group 4, gray 1, large_face 1, noface 0
    }

    @Test("the four faces of the group photo, best detection first")
    func groupPhoto() throws {
        let image = try #require(try Self.images().first { $0.name == "group" }).image
        let faces = try FaceAnalyzer(weightsDirectory: Self.weights).analyze(image)
        #expect(faces.count == 4)
        #expect(zip(faces, faces.dropFirst()).allSatisfy { $0.detectionScore >= $1.detectionScore })
        for face in faces {
            #expect(face.box.isUsable && face.box.x + face.box.width <= Double(image.width))
            #expect(face.box.contains(x: Double(face.landmarks.nose.x), y: Double(face.landmarks.nose.y)))
        }
    }

    @Test("options reach the detector and the classifier (minimum face 40, flip averaging, 2 threads)")
    func options() throws {
        var options = FaceAnalyzer.Options()
        options.detector.minimumFaceSize = 40
        options.detector.maximumFaces = 3
        options.classifier.flipAveraging = true
        options.threads = 2
        let analyzer = try FaceAnalyzer(weightsDirectory: Self.weights, options: options)
        #expect(analyzer.options == options)
        for (name, image) in try Self.images() {
            let faces = try analyzer.analyze(image)
            #expect(faces == (try Self.byHand(image, options: options)), "\(name)")
            #expect(faces.count <= 3)
        }
        // Flip averaging changes the probabilities (it is not silently dropped).
        let image = try #require(try Self.images().first { $0.name == "astronaut" }).image
        let plain = try FaceAnalyzer(weightsDirectory: Self.weights).analyze(image)
        let flipped = try analyzer.analyze(image)
        #expect(plain.count == 1 && flipped.count == 1)
        #expect(plain.first?.emotion != flipped.first?.emotion)
    }

    @Test("shared by concurrent tasks: every result equals the serial one", arguments: [1, 2])
    func concurrentTasks(threads: Int) async throws {
        var options = FaceAnalyzer.Options()
        options.threads = threads
        let analyzer = try FaceAnalyzer(weightsDirectory: Self.weights, options: options)
        let images = try Self.images().map(\.image)
        let serial = try images.map { (image) throws(AnalysisError) in try analyzer.analyze(image) }
        // Each image three times, all at once.
        let jobs = (0..<3 * images.count).map { $0 % images.count }
        let results = await withTaskGroup(of: (Int, Result<[AnalyzedFace], AnalysisError>).self) { group in
            for (job, index) in jobs.enumerated() {
                group.addTask { (job, Result { () throws(AnalysisError) in try analyzer.analyze(images[index]) }) }
            }
            var results = [Result<[AnalyzedFace], AnalysisError>?](repeating: nil, count: jobs.count)
            for await (job, result) in group { results[job] = result }
            return results
        }
        for (job, index) in jobs.enumerated() {
            #expect(try #require(results[job]).get() == serial[index], "job \(job), image \(index)")
        }
    }

    @Test("bad options and missing weights are typed errors")
    func errors() throws {
        var options = FaceAnalyzer.Options()
        options.threads = 0
        #expect(throws: AnalysisError.invalidOption(name: "threads", value: "0", allowed: "1...256")) {
            try FaceAnalyzer(weightsDirectory: Self.weights, options: options)
        }
        options = FaceAnalyzer.Options()
        options.detector.minimumFaceSize = 0
        #expect(throws: AnalysisError.detection(.invalidOption(name: "minimumFaceSize", value: "0", allowed: "at least 1"))) {
            try FaceAnalyzer(weightsDirectory: Self.weights, options: options)
        }
        do {
            _ = try FaceAnalyzer(weightsDirectory: "/nonexistent-fercore-weights")
            Issue.record("no error without weights")
        } catch {
            guard case .detection(.weights(model: "mtcnn_pnet", underlying: _)) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect("\(error)".contains("weights"))
        }
    }

    @Test("a minimum face too small for the image is the detector's error, at the call")
    func minimumFaceTooSmall() throws {
        var options = FaceAnalyzer.Options()
        options.detector.minimumFaceSize = 1
        options.detector.maximumLevelPixels = 1 << 16
        let analyzer = try FaceAnalyzer(weightsDirectory: Self.weights, options: options)
        let image = try Image(width: 640, height: 480, format: .rgb8)
        do {
            _ = try analyzer.analyze(image)
            Issue.record("no error")
        } catch {
            guard case .detection(.minimumFaceTooSmall) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
        }
    }

    @Test("a box thinner than a whole pixel is classified as one pixel; other boxes as they are")
    func classificationBox() {
        let face = Box(x: 12, y: 30.5, width: 40.25, height: 51)
        #expect(FaceAnalyzer.classificationBox(for: face) == face)
        // At the right edge of a 100-px image the detector clips a face to x 99 ... 99.6.
        let sliver = Box(x: 99, y: 20.7, width: 0.6, height: 30)
        #expect(FaceAnalyzer.classificationBox(for: sliver) == Box(x: 99, y: 20, width: 1, height: 30))
        #expect(
            FaceAnalyzer.classificationBox(for: Box(x: 5.5, y: 7, width: 3, height: 0.2))
                == Box(x: 5, y: 7, width: 3, height: 1))
    }
}
