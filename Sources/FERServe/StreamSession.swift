import FERCore
import FERDemoSupport
import FERMedia

/// One frame's answer on `/v1/stream`: the ``FrameRecord`` fields of `ferdemo live --json`
/// (tracked IDs, smoothed emotions, timings) and the frame's size.
package struct StreamFrameRecord: Codable, Sendable, Equatable {
    package var frame: Int
    package var timestamp: Double
    package var width: Int
    package var height: Int
    package var faces: [FaceRecord]
    package var timings: TimingsRecord

    enum CodingKeys: String, CodingKey {
        case frame, timestamp, width, height, faces
        case timings = "timings_ms"
    }
}

/// The state of one `/v1/stream` connection: its own ``EmotionPipeline`` (tracks, IDs and
/// smoothing belong to the stream), run in synchronous detection mode on one compute thread
/// per frame, so each answer depends only on the frames sent before it.
///
/// `@unchecked Sendable`: its frames run on compute threads one at a time (the connection
/// waits for each answer before it reads the next frame).
final class StreamSession: @unchecked Sendable {
    private let pipeline: EmotionPipeline
    private let maximumPixels: Int
    private var result = FrameResult()
    private var record = FrameRecord()
    private var index = 0
    private var start: Double?

    init(parameters: RequestParameters, weightsDirectory: String?, maximumPixels: Int, maximumFaces: Int) throws(PipelineError) {
        var options = PipelineOptions()
        options.threads = 1
        options.detectionMode = .synchronous
        options.emotionModel = parameters.model
        options.detector.minimumFaceSize = parameters.minimumFace
        options.classifier.flipAveraging = parameters.flip
        options.maximumFaces = maximumFaces
        options.weightsDirectory = weightsDirectory
        pipeline = try EmotionPipeline(options: options)
        self.maximumPixels = maximumPixels
    }

    /// Decodes and processes one frame; the answer (or the error for this frame) as JSON text,
    /// and the number of faces.
    func process(_ bytes: [UInt8]) -> (json: String, faces: Int) {
        let now = MonotonicClock.seconds()
        let t0 = start ?? now
        start = t0
        let image: Image
        do { image = try ImageReader.decode(bytes, name: "frame \(index)", maximumPixels: maximumPixels) } catch {
            return (frameError(.image(error)), 0)
        }
        guard image.format == .rgb8 else { return (frameError(APIError(.unprocessableContent, code: "undecodable_image", "not RGB")), 0) }
        do {
            try image.withView { (view) throws(PipelineError) in
                try pipeline.process(view, info: FrameInfo(index: index, timestamp: now - t0), into: &result)
            }
        } catch {
            return (frameError(APIError(.internalServerError, code: "internal", "\(error)")), 0)
        }
        index += 1
        record.update(from: result, source: nil)
        let answer = StreamFrameRecord(
            frame: record.frame, timestamp: rounded(record.timestamp, 4), width: image.width, height: image.height,
            faces: record.faces.map { $0.rounded() },
            timings: TimingsRecord(
                tracking: rounded(record.timings.tracking, 3), detection: rounded(record.timings.detection, 3),
                reconcile: rounded(record.timings.reconcile, 3), classification: rounded(record.timings.classification, 3),
                total: rounded(record.timings.total, 3)))
        return (JSONText.encode(answer), answer.faces.count)
    }

    private func frameError(_ error: APIError) -> String {
        JSONText.encode(StreamError(error: error.message, code: error.code, frame: index))
    }

    struct StreamError: Encodable {
        let error: String
        let code: String
        let frame: Int
    }
}

extension FaceRecord {
    /// The record with its numbers at the decimals `ferdemo live --json` prints.
    func rounded() -> FaceRecord {
        var r = self
        r.box = BoxRecord(rounding: box)
        r.landmarks = landmarks.map {
            LandmarksRecord(
                leftEye: PointRecord(rounding: $0.leftEye), rightEye: PointRecord(rounding: $0.rightEye),
                nose: PointRecord(rounding: $0.nose), mouthLeft: PointRecord(rounding: $0.mouthLeft),
                mouthRight: PointRecord(rounding: $0.mouthRight))
        }
        if var p = probabilities {
            for i in 0..<EmotionLabel.count { p[i] = FERServe.rounded(p[i], 5) }
            r.probabilities = p
        }
        r.confidence = confidence.map { FERServe.rounded($0, 5) }
        return r
    }
}

extension BoxRecord {
    init(rounding b: BoxRecord) {
        self.init(x: rounded(b.x, 2), y: rounded(b.y, 2), width: rounded(b.width, 2), height: rounded(b.height, 2))
    }
}

extension PointRecord {
    init(rounding p: PointRecord) {
        self.init(x: rounded(p.x, 2), y: rounded(p.y, 2))
    }
}
