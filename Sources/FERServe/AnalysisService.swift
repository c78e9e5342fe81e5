import FERCore
import FERDemoSupport
import FERMedia

/// `/v1/analyze`'s answer: the image's size, the model, and every face with its box,
/// landmarks, detection score and emotion (the fields of `ferdemo live --json`'s faces).
package struct AnalyzeResponse: Codable, Sendable, Equatable {
    package var width: Int
    package var height: Int
    package var model: String
    package var faces: [AnalyzedFaceRecord]
    package var timings: [String: Double]

    enum CodingKeys: String, CodingKey {
        case width, height, model, faces
        case timings = "timings_ms"
    }
}

/// One face of an ``AnalyzeResponse``.
package struct AnalyzedFaceRecord: Codable, Sendable, Equatable {
    /// `[x, y, width, height]` in pixels (2 decimals).
    package var box: BoxRecord
    /// Left eye, right eye, nose, mouth left, mouth right.
    package var landmarks: LandmarksRecord
    /// MTCNN's O-Net score (5 decimals).
    package var detectionScore: Double
    package var probabilities: EmotionProbabilities
    package var label: String
    package var confidence: Double

    enum CodingKeys: String, CodingKey {
        case box, landmarks, probabilities, label, confidence
        case detectionScore = "detection_score"
    }

    init(_ face: AnalyzedFace) {
        func point(_ p: SIMD2<Float>) -> PointRecord { PointRecord(x: rounded(Double(p.x), 2), y: rounded(Double(p.y), 2)) }
        box = BoxRecord(
            x: rounded(face.box.x, 2), y: rounded(face.box.y, 2), width: rounded(face.box.width, 2), height: rounded(face.box.height, 2))
        let l = face.landmarks
        landmarks = LandmarksRecord(
            leftEye: point(l.leftEye), rightEye: point(l.rightEye), nose: point(l.nose), mouthLeft: point(l.mouthLeft),
            mouthRight: point(l.mouthRight))
        detectionScore = rounded(Double(face.detectionScore), 5)
        probabilities = EmotionProbabilities(scores: face.emotion)
        label = face.emotion.label.name
        confidence = rounded(Double(face.emotion.confidence), 5)
    }
}

/// `/v1/classify`'s answer.
package struct ClassifyResponse: Codable, Sendable, Equatable {
    package var width: Int
    package var height: Int
    package var model: String
    package var probabilities: EmotionProbabilities
    package var label: String
    package var confidence: Double
    package var timings: [String: Double]

    enum CodingKeys: String, CodingKey {
        case width, height, model, probabilities, label, confidence
        case timings = "timings_ms"
    }
}

extension EmotionProbabilities {
    /// The seven probabilities of `scores`, 5 decimals.
    init(scores: EmotionScores) {
        var p = EmotionProbabilities(angry: 0, disgust: 0, fear: 0, happy: 0, sad: 0, surprise: 0, neutral: 0)
        for label in EmotionLabel.allCases { p[label.rawValue] = rounded(Double(scores[label]), 5) }
        self = p
    }
}

/// `value` to `decimals` places (JSON numbers as people read them, not 0.30000001192092896).
func rounded(_ value: Double, _ decimals: Int) -> Double {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    return (value * scale).rounded() / scale
}

/// The work of the HTTP endpoints, run on a compute thread.
enum AnalysisService {
    /// Decodes `body`, then runs `work` on the image; `work` gets the image and the decoding
    /// time in milliseconds (3 decimals) and returns the answer or the API's error.
    static func decoded<R>(
        _ body: [UInt8], maximumPixels: Int, _ work: (Image, Double) -> Result<R, APIError>
    ) -> Result<R, APIError> {
        let start = MonotonicClock.seconds()
        let image: Image
        do { image = try ImageReader.decode(body, name: "the request body", maximumPixels: maximumPixels) } catch {
            return .failure(.image(error))
        }
        return work(image, milliseconds(since: start))
    }

    static func milliseconds(since start: Double) -> Double { rounded((MonotonicClock.seconds() - start) * 1e3, 3) }

    /// Decodes `body` and analyses it: `/v1/analyze`.
    static func analyze(
        _ body: [UInt8], parameters: RequestParameters, maximumPixels: Int, worker: ComputeWorker
    ) -> Result<AnalyzeResponse, APIError> {
        decoded(body, maximumPixels: maximumPixels) { image, decodeTime in
            let start = MonotonicClock.seconds()
            let faces: [AnalyzedFace]
            do throws(AnalysisError) { faces = try worker.analyzer(parameters).analyze(image) } catch { return .failure(.analysis(error)) }
            return .success(
                AnalyzeResponse(
                    width: image.width, height: image.height, model: parameters.model.name, faces: faces.map(AnalyzedFaceRecord.init),
                    timings: ["decode": decodeTime, "analyze": milliseconds(since: start)]))
        }
    }

    /// Decodes `body`, a face already cropped, and classifies the whole image: `/v1/classify`.
    static func classify(
        _ body: [UInt8], parameters: RequestParameters, maximumPixels: Int, worker: ComputeWorker
    ) -> Result<ClassifyResponse, APIError> {
        decoded(body, maximumPixels: maximumPixels) { image, decodeTime in
            let start = MonotonicClock.seconds()
            let scores: EmotionScores
            do throws(EmotionError) {
                let classifier = try worker.classifier(parameters)
                scores = try image.withView { (view) throws(EmotionError) in try classifier.classify(crop: view) }
            } catch { return .failure(.analysis(.emotion(error))) }
            return .success(
                ClassifyResponse(
                    width: image.width, height: image.height, model: parameters.model.name,
                    probabilities: EmotionProbabilities(scores: scores), label: scores.label.name,
                    confidence: rounded(Double(scores.confidence), 5),
                    timings: ["decode": decodeTime, "classify": milliseconds(since: start)]))
        }
    }
}
