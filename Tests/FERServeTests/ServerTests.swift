import FERCore
import FERDemoSupport
import FERMedia
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Testing

@testable import FERServe

/// The package root and the material the tests send.
enum ServeFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let weights = root.appendingPathComponent("Weights").path
    static let clip = root.appendingPathComponent("Samples/astronaut_pan.mp4").path

    /// Frames `indices` of the sample clip (a real face), each as the JPEG file bytes
    /// FERMedia's ImageWriter makes of it.
    static func jpegFrames(_ indices: [Int]) throws -> [[UInt8]] {
        let reader = try VideoReader(path: clip)
        defer { reader.close() }
        let buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        var frames: [[UInt8]] = []
        var i = 0
        while frames.count < indices.count, try reader.nextFrame(into: buffer) != nil {
            if indices.contains(i) {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("fercore-serve-\(getpid())-\(i).jpg").path
                try ImageWriter.write(buffer.view, to: path)
                frames.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
                try? FileManager.default.removeItem(atPath: path)
            }
            i += 1
        }
        return frames
    }

    static func options(_ change: (inout ServeOptions) -> Void = { _ in }) -> ServeOptions {
        var o = ServeOptions()
        o.port = 0
        o.weightsDirectory = weights
        o.sampleClip = clip
        change(&o)
        return o
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }
}

/// `ferdemo serve`'s HTTP API, in process (Hummingbird's router tester) and over loopback
/// (the WebSocket): answers equal FERCore's own results for the same image, and every error is
/// the stated status with a JSON body.
@Suite("Server", .serialized)
struct ServerTests {
    static let photo: [UInt8] = (try? ServeFixtures.jpegFrames([30]).first) ?? []

    /// `/v1/analyze` answers exactly what FaceAnalyzer finds in the same decoded image: the boxes
    /// and landmarks to the 2 decimals the API prints (tolerance 0.005 px), the probabilities
    /// and scores to its 5 decimals (tolerance 5e-6).
    @Test func analyzeEqualsFaceAnalyzer() async throws {
        let server = try FERServer(options: ServeFixtures.options())
        let image = try ImageReader.decode(Self.photo, name: "photo")
        let expected = try FaceAnalyzer(weightsDirectory: ServeFixtures.weights).analyze(image)
        #expect(!expected.isEmpty, "frame 30 of the sample clip has a face")
        try await server.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/analyze", method: .post, headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: Self.photo)
            ) { response in
                #expect(response.status == .ok)
                let answer = try JSONDecoder().decode(AnalyzeResponse.self, from: Data(response.body.readableBytesView))
                #expect(answer.width == image.width && answer.height == image.height)
                #expect(answer.model == "mini-xception")
                #expect(answer.faces.count == expected.count)
                for (got, want) in zip(answer.faces, expected) {
                    #expect(abs(got.box.x - want.box.x) <= 0.005 && abs(got.box.y - want.box.y) <= 0.005)
                    #expect(abs(got.box.width - want.box.width) <= 0.005 && abs(got.box.height - want.box.height) <= 0.005)
                    #expect(abs(got.landmarks.nose.x - Double(want.landmarks.nose.x)) <= 0.005)
                    #expect(got.label == want.emotion.label.name)
                    for label in EmotionLabel.allCases {
                        #expect(abs(got.probabilities[label.rawValue] - Double(want.emotion[label])) <= 5e-6)
                    }
                    #expect(abs(got.detectionScore - Double(want.detectionScore)) <= 5e-6)
                }
            }
        }
    }

    /// `model`, `min_face` and `flip` reach the analysis: fernet's probabilities differ from
    /// mini-Xception's, and a minimum face larger than the image's faces finds none.
    @Test func parametersReachTheAnalysis() async throws {
        let server = try FERServer(options: ServeFixtures.options())
        let image = try ImageReader.decode(Self.photo, name: "photo")
        var options = FaceAnalyzer.Options()
        options.emotionModel = .fernet
        options.classifier.flipAveraging = true
        let expected = try FaceAnalyzer(weightsDirectory: ServeFixtures.weights, options: options).analyze(image)
        try await server.application().test(.router) { client in
            try await client.execute(uri: "/v1/analyze?model=fernet&flip=true", method: .post, body: ByteBuffer(bytes: Self.photo)) { response in
                #expect(response.status == .ok)
                let answer = try JSONDecoder().decode(AnalyzeResponse.self, from: Data(response.body.readableBytesView))
                #expect(answer.model == "fernet")
                let first = try #require(answer.faces.first)
                #expect(abs(first.probabilities[3] - Double(expected[0].emotion[.happy])) <= 5e-6)
            }
            try await client.execute(uri: "/v1/analyze?min_face=400", method: .post, body: ByteBuffer(bytes: Self.photo)) { response in
                #expect(response.status == .ok)
                let answer = try JSONDecoder().decode(AnalyzeResponse.self, from: Data(response.body.readableBytesView))
                #expect(answer.faces.isEmpty)
            }
        }
    }

    /// `/v1/classify` on a crop equals EmotionClassifier's `classify(crop:)` on the same pixels.
    @Test func classifyEqualsClassifier() async throws {
        let server = try FERServer(options: ServeFixtures.options())
        let image = try ImageReader.decode(Self.photo, name: "photo")
        let face = try #require(try FaceAnalyzer(weightsDirectory: ServeFixtures.weights).analyze(image).first)
        // The face's box, cut out and sent as PNG (lossless: the server sees the same pixels).
        let x = max(0, Int(face.box.x)), y = max(0, Int(face.box.y))
        let w = min(Int(face.box.width), image.width - x), h = min(Int(face.box.height), image.height - y)
        var crop = try Image(width: w, height: h, format: .rgb8)
        crop.withMutableView { dst in
            image.withView { src in
                for r in 0..<h { dst.row(r).update(from: src.row(y + r) + 3 * x, count: 3 * w) }
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fercore-serve-crop-\(getpid()).png").path
        try crop.withView { (v) throws(MediaError) in try ImageWriter.write(v, to: path) }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let expected = try crop.withView { (v) throws(EmotionError) in
            try EmotionClassifier(weightsDirectory: ServeFixtures.weights).classify(crop: v)
        }
        try await server.application().test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png)) {
                response in
                #expect(response.status == .ok)
                let answer = try JSONDecoder().decode(ClassifyResponse.self, from: Data(response.body.readableBytesView))
                #expect(answer.width == w && answer.height == h)
                #expect(answer.label == expected.label.name)
                for label in EmotionLabel.allCases {
                    #expect(abs(answer.probabilities[label.rawValue] - Double(expected[label])) <= 5e-6)
                }
            }
        }
    }

    /// Every bad request gets its status and a JSON body `{"error", "code"}`.
    @Test(arguments: [
        ("/v1/analyze", "image/jpeg", "", 422, "undecodable_image"),
        ("/v1/analyze", "image/jpeg", "not an image at all", 422, "undecodable_image"),
        ("/v1/analyze", "image/png", "\u{89}PNG\r\n\u{1A}\n", 422, "undecodable_image"),
        ("/v1/analyze", "text/plain", "hello", 415, "unsupported_media_type"),
        ("/v1/analyze?min_face=3", "image/jpeg", "x", 400, "bad_parameter"),
        ("/v1/analyze?min_face=abc", "image/jpeg", "x", 400, "bad_parameter"),
        ("/v1/analyze?model=resnet", "image/jpeg", "x", 400, "bad_parameter"),
        ("/v1/analyze?flip=maybe", "image/jpeg", "x", 400, "bad_parameter"),
        ("/v1/analyze?minface=40", "image/jpeg", "x", 400, "bad_parameter"),
        ("/v1/classify?min_face=40", "image/jpeg", "x", 400, "bad_parameter"),
        ("/v1/nothing", "image/jpeg", "x", 404, "not_found"),
    ])
    func badRequests(path: String, type: String, body: String, status: Int, code: String) async throws {
        let server = try FERServer(options: ServeFixtures.options())
        try await server.application().test(.router) { client in
            try await client.execute(uri: path, method: .post, headers: [.contentType: type], body: ByteBuffer(string: body)) { response in
                #expect(Int(response.status.code) == status)
                #expect(response.headers[.contentType] == "application/json")
                let json = try ServeFixtures.json(response.body)
                #expect(json["code"] as? String == code)
                #expect((json["error"] as? String)?.isEmpty == false)
            }
        }
    }

    /// A body over `--max-body-bytes` is 413 body_too_large; an image over `--max-pixels` is 413
    /// image_too_large, refused from its header; a plain GET of the stream is 426.
    @Test func limits() async throws {
        let server = try FERServer(
            options: ServeFixtures.options {
                $0.maximumBodyBytes = 1000
                $0.maximumPixels = 10_000
            })
        try await server.application().test(.router) { client in
            try await client.execute(uri: "/v1/analyze", method: .post, body: ByteBuffer(bytes: Self.photo)) { response in
                #expect(response.status == .contentTooLarge)
                #expect(try ServeFixtures.json(response.body)["code"] as? String == "body_too_large")
            }
            // A PNG header claiming 100000 x 100000 pixels, and nothing else.
            var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
            png += [0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0]
            try await client.execute(uri: "/v1/analyze", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png)) {
                response in
                #expect(response.status == .contentTooLarge)
                #expect(try ServeFixtures.json(response.body)["code"] as? String == "image_too_large")
            }
            try await client.execute(uri: "/v1/stream", method: .get) { response in
                #expect(response.status == .upgradeRequired)
                #expect(try ServeFixtures.json(response.body)["code"] as? String == "websocket_upgrade_required")
            }
        }
    }

    /// With a token, /v1/* and /metrics need it (401 with WWW-Authenticate otherwise);
    /// /healthz, /openapi.yaml and the page do not.
    @Test func token() async throws {
        let server = try FERServer(options: ServeFixtures.options { $0.token = "s3cret" })
        try await server.application().test(.router) { client in
            for path in ["/metrics", "/v1/stream"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                }
            }
            try await client.execute(uri: "/v1/analyze", method: .post, headers: [.authorization: "Bearer wrong"], body: ByteBuffer(bytes: Self.photo)) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/analyze", method: .post, headers: [.authorization: "Bearer s3cret"], body: ByteBuffer(bytes: Self.photo)) {
                #expect($0.status == .ok)
            }
            for path in ["/healthz", "/openapi.yaml", "/"] {
                try await client.execute(uri: path, method: .get) { #expect($0.status == .ok) }
            }
        }
        #expect(constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }

    /// When `--max-concurrent` requests are running or waiting, the next gets 503 with
    /// Retry-After at once; when they finish, requests are served again. (The pool is held
    /// busy by a job that waits for the test, so this does not depend on timing.)
    @Test func overloadIs503() async throws {
        let server = try FERServer(options: ServeFixtures.options { $0.maximumConcurrent = 1 })
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let blocker = Task { try await server.pool.submit(admit: true) { _ in started.signal(); gate.wait() } }
        started.wait()
        try await server.application().test(.router) { client in
            try await client.execute(uri: "/v1/analyze", method: .post, body: ByteBuffer(bytes: Self.photo)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                #expect(try ServeFixtures.json(response.body)["code"] as? String == "overloaded")
            }
            gate.signal()
            try await blocker.value
            try await client.execute(uri: "/v1/analyze", method: .post, body: ByteBuffer(bytes: Self.photo)) { #expect($0.status == .ok) }
        }
    }

    /// /metrics counts requests by route and status, errors by code, and faces.
    @Test func metricsCount() async throws {
        let server = try FERServer(options: ServeFixtures.options())
        try await server.application().test(.router) { client in
            try await client.execute(uri: "/v1/analyze", method: .post, body: ByteBuffer(bytes: Self.photo)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/analyze", method: .post, body: ByteBuffer(string: "junk")) { #expect($0.status == .unprocessableContent) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"fercore_http_requests_total{route="/v1/analyze",status="200"} 1"#))
                #expect(text.contains(#"fercore_http_requests_total{route="/v1/analyze",status="422"} 1"#))
                #expect(text.contains(#"fercore_http_errors_total{code="undecodable_image"} 1"#))
                #expect(text.contains(#"fercore_faces_total{route="/v1/analyze"} 1"#))
                #expect(text.contains("fercore_http_request_duration_seconds_bucket"))
            }
        }
    }

    /// The WebSocket stream over loopback: each binary frame gets one answer, in order, with
    /// the pipeline's tracked ID (the same face keeps its ID) and the frame's size; a text
    /// message gets an error answer and the stream goes on.
    @Test func streamAnswersEachFrame() async throws {
        let server = try FERServer(options: ServeFixtures.options())
        let frames = try ServeFixtures.jpegFrames([30, 31, 32, 33])
        try await server.application().test(.live) { client in
            try await client.ws("/v1/stream") { inbound, outbound, _ in
                var answers: [[String: Any]] = []
                var iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                for frame in frames {
                    try await outbound.write(.binary(ByteBuffer(bytes: frame)))
                    guard case .text(let text) = try await iterator.next() else { Issue.record("no text answer"); return }
                    answers.append(try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]))
                }
                try await outbound.write(.text("hello"))
                guard case .text(let text) = try await iterator.next() else { Issue.record("no error answer"); return }
                #expect(text.contains("bad_message"))
                #expect(answers.map { $0["frame"] as? Int } == [0, 1, 2, 3])
                let ids = answers.map { (($0["faces"] as? [[String: Any]])?.first?["id"] as? Int) }
                #expect(ids.allSatisfy { $0 != nil && $0 == ids[0] }, "one face, one ID: \(ids)")
                #expect(answers[0]["width"] as? Int == 640)
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }
}
