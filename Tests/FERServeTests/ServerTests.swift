import FERCore
import FERDemoSupport
import FERMedia
import Foundation
import Synchronization
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
        o.quiet = true
        change(&o)
        return o
    }

    /// Runs `body` with a server listening on a free loopback port, then stops it.
    static func withServer(
        _ options: ServeOptions, _ body: (FERServer, Int) async throws -> Void
    ) async throws {
        let server = try FERServer(options: options)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw LoopbackClient.ClientError.protocolError("no port") }
        do { try await body(server, port) } catch {
            task.cancel()
            _ = try? await task.value
            throw error
        }
        task.cancel()
        _ = try? await task.value
    }
}

/// `ferdemo serve` over loopback: answers equal FERCore's own results for the same image, and
/// every error is the stated status with a JSON body `{"error", "code"}`.
@Suite("Server", .serialized)
struct ServerTests {
    static let photo: [UInt8] = (try? ServeFixtures.jpegFrames([30]).first) ?? []

    /// `/v1/analyze` answers exactly what FaceAnalyzer finds in the same decoded image: the boxes
    /// and landmarks to the 2 decimals the API prints (tolerance 0.005 px), the probabilities
    /// and scores to its 5 decimals (tolerance 5e-6).
    @Test func analyzeEqualsFaceAnalyzer() async throws {
        let image = try ImageReader.decode(Self.photo, name: "photo")
        let expected = try FaceAnalyzer(weightsDirectory: ServeFixtures.weights).analyze(image)
        #expect(!expected.isEmpty, "frame 30 of the sample clip has a face")
        try await ServeFixtures.withServer(ServeFixtures.options()) { _, port in
            let reply = try await LoopbackClient.request(
                port: port, "POST", "/v1/analyze", headers: ["Content-Type": "image/jpeg"], body: Self.photo)
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"] == "application/json")
            let answer = try JSONDecoder().decode(AnalyzeResponse.self, from: Data(reply.body))
            #expect(answer.width == image.width && answer.height == image.height)
            #expect(answer.model == "fernet") // the default model
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

    /// `model`, `flip` and `min_face` reach the analysis: fernet with flip averaging gives
    /// FaceAnalyzer's fernet probabilities, and a minimum face larger than the face finds none.
    @Test func parametersReachTheAnalysis() async throws {
        let image = try ImageReader.decode(Self.photo, name: "photo")
        var options = FaceAnalyzer.Options()
        options.emotionModel = .fernet
        options.classifier.flipAveraging = true
        let expected = try #require(try FaceAnalyzer(weightsDirectory: ServeFixtures.weights, options: options).analyze(image).first)
        try await ServeFixtures.withServer(ServeFixtures.options()) { _, port in
            let reply = try await LoopbackClient.request(port: port, "POST", "/v1/analyze?model=fernet&flip=true", body: Self.photo)
            #expect(reply.status == 200)
            let answer = try JSONDecoder().decode(AnalyzeResponse.self, from: Data(reply.body))
            #expect(answer.model == "fernet")
            let first = try #require(answer.faces.first)
            for label in EmotionLabel.allCases {
                #expect(abs(first.probabilities[label.rawValue] - Double(expected.emotion[label])) <= 5e-6)
            }
            let none = try await LoopbackClient.request(port: port, "POST", "/v1/analyze?min_face=400", body: Self.photo)
            #expect(none.status == 200)
            #expect(try JSONDecoder().decode(AnalyzeResponse.self, from: Data(none.body)).faces.isEmpty)
        }
    }

    /// `/v1/classify` on a crop (sent as PNG: lossless) equals EmotionClassifier's
    /// `classify(crop:)` on the same pixels.
    @Test func classifyEqualsClassifier() async throws {
        let image = try ImageReader.decode(Self.photo, name: "photo")
        let face = try #require(try FaceAnalyzer(weightsDirectory: ServeFixtures.weights).analyze(image).first)
        let x = max(0, Int(face.box.x)), y = max(0, Int(face.box.y))
        let w = min(Int(face.box.width), image.width - x), h = min(Int(face.box.height), image.height - y)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for r in 0..<h {
            for c in 0..<(3 * w) { pixels[r * 3 * w + c] = image.pixels[(y + r) * 3 * image.width + 3 * x + c] }
        }
        let crop = try Image(width: w, height: h, format: .rgb8, pixels: pixels)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fercore-serve-crop-\(getpid()).png").path
        try crop.withView { (v) throws(MediaError) in try ImageWriter.write(v, to: path) }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let expected = try crop.withView { (v) throws(EmotionError) in
            try EmotionClassifier(weightsDirectory: ServeFixtures.weights).classify(crop: v)
        }
        try await ServeFixtures.withServer(ServeFixtures.options()) { _, port in
            let reply = try await LoopbackClient.request(port: port, "POST", "/v1/classify", headers: ["Content-Type": "image/png"], body: png)
            #expect(reply.status == 200)
            let answer = try JSONDecoder().decode(ClassifyResponse.self, from: Data(reply.body))
            #expect(answer.width == w && answer.height == h)
            #expect(answer.label == expected.label.name)
            for label in EmotionLabel.allCases {
                #expect(abs(answer.probabilities[label.rawValue] - Double(expected[label])) <= 5e-6)
            }
        }
    }

    /// Every bad request gets its status and a JSON body `{"error", "code"}`.
    @Test func badRequests() async throws {
        let cases: [(String, String, String, [UInt8], Int, String)] = [
            ("POST", "/v1/analyze", "image/jpeg", [], 422, "undecodable_image"),
            ("POST", "/v1/analyze", "image/jpeg", Array("not an image at all".utf8), 422, "undecodable_image"),
            ("POST", "/v1/analyze", "image/jpeg", Array(Self.photo.prefix(Self.photo.count / 2)), 422, "undecodable_image"),
            ("POST", "/v1/analyze", "image/png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], 422, "undecodable_image"),
            ("POST", "/v1/analyze", "text/plain", Array("hello".utf8), 415, "unsupported_media_type"),
            ("POST", "/v1/analyze?min_face=3", "image/jpeg", Self.photo, 400, "bad_parameter"),
            ("POST", "/v1/analyze?min_face=abc", "image/jpeg", Self.photo, 400, "bad_parameter"),
            ("POST", "/v1/analyze?model=resnet", "image/jpeg", Self.photo, 400, "bad_parameter"),
            ("POST", "/v1/analyze?flip=maybe", "image/jpeg", Self.photo, 400, "bad_parameter"),
            ("POST", "/v1/analyze?minface=40", "image/jpeg", Self.photo, 400, "bad_parameter"),
            ("POST", "/v1/classify?min_face=40", "image/jpeg", Self.photo, 400, "bad_parameter"),
            ("POST", "/v1/nothing", "image/jpeg", Self.photo, 404, "not_found"),
            ("GET", "/v1/stream", "", [], 426, "websocket_upgrade_required"),
            ("GET", "/v1/stream?min_face=2", "", [], 400, "bad_parameter"),
            ("PUT", "/v1/analyze", "image/jpeg", Self.photo, 405, "method_not_allowed"),
            ("DELETE", "/healthz", "", [], 405, "method_not_allowed")
        ]
        try await ServeFixtures.withServer(ServeFixtures.options()) { _, port in
            for (method, path, type, body, status, code) in cases {
                let reply = try await LoopbackClient.request(
                    port: port, method, path, headers: type.isEmpty ? [:] : ["Content-Type": type], body: body)
                #expect(reply.status == status, "\(method) \(path) \(type): \(reply.text)")
                #expect(reply.headers["content-type"] == "application/json")
                let json = try reply.json()
                #expect(json["code"] as? String == code, "\(path): \(reply.text)")
                #expect((json["error"] as? String)?.isEmpty == false)
            }
        }
    }

    /// A body over `--max-body-bytes` is 413 body_too_large; an image over `--max-pixels` is 413
    /// image_too_large, refused from its header alone.
    @Test func limits() async throws {
        let options = ServeFixtures.options {
            $0.maximumBodyBytes = 200_000
            $0.maximumPixels = 10_000
        }
        try await ServeFixtures.withServer(options) { _, port in
            let big = try await LoopbackClient.request(port: port, "POST", "/v1/analyze", body: [UInt8](repeating: 0xFF, count: 300_000))
            #expect(big.status == 413)
            #expect(try big.json()["code"] as? String == "body_too_large")
            // A PNG header claiming 100000 x 100000 pixels, and nothing else.
            var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
            png += [0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0]
            let huge = try await LoopbackClient.request(port: port, "POST", "/v1/analyze", headers: ["Content-Type": "image/png"], body: png)
            #expect(huge.status == 413)
            #expect(try huge.json()["code"] as? String == "image_too_large")
            let photo = try await LoopbackClient.request(port: port, "POST", "/v1/analyze", body: Self.photo)
            #expect(photo.status == 413, "640x480 is over 10,000 pixels")
            #expect(try photo.json()["code"] as? String == "image_too_large")
        }
    }

    /// With a token, /v1/* and /metrics need it (401 with WWW-Authenticate otherwise; the
    /// stream also takes ?token=); /healthz, /openapi.yaml and the page do not.
    @Test func token() async throws {
        try await ServeFixtures.withServer(ServeFixtures.options { $0.token = "s3cret" }) { _, port in
            for path in ["/metrics", "/v1/stream"] {
                let reply = try await LoopbackClient.request(port: port, "GET", path)
                #expect(reply.status == 401, "\(path)")
                #expect(reply.headers["www-authenticate"] == "Bearer")
                #expect(try reply.json()["code"] as? String == "unauthorized")
            }
            let wrong = try await LoopbackClient.request(port: port, "POST", "/v1/analyze", headers: ["Authorization": "Bearer wrong"], body: Self.photo)
            #expect(wrong.status == 401)
            let right = try await LoopbackClient.request(port: port, "POST", "/v1/analyze", headers: ["Authorization": "Bearer s3cret"], body: Self.photo)
            #expect(right.status == 200)
            // A refused stream: its one message is the JSON error, then the server closes it.
            let refused = try await LoopbackClient.webSocket(port: port, path: "/v1/stream?token=nope", send: [.binary(Self.photo)])
            #expect(refused.answers.count == 1 && refused.answers[0].contains(#""code":"unauthorized""#), "\(refused)")
            let stream = try await LoopbackClient.webSocket(port: port, path: "/v1/stream?token=s3cret", send: [.binary(Self.photo)])
            #expect(stream.status == 101 && stream.answers.count == 1)
            for path in ["/healthz", "/openapi.yaml", "/"] {
                #expect(try await LoopbackClient.request(port: port, "GET", path).status == 200, "\(path)")
            }
        }
        #expect(constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }

    /// When `--max-concurrent` requests are running or waiting, the next gets 503 with
    /// Retry-After at once, and requests are served again afterwards. The pool is held busy by
    /// a job that waits for the test, so this does not depend on timing.
    @Test func overloadIs503() async throws {
        try await ServeFixtures.withServer(ServeFixtures.options { $0.maximumConcurrent = 1 }) { server, port in
            let gate = DispatchSemaphore(value: 0)
            let started = DispatchSemaphore(value: 0)
            let blocker = Task {
                try await server.pool.submit(admit: true) { _ in
                    started.signal(); gate.wait()
                }
            }
            try await LoopbackClient.offThread { started.wait() }
            let busy = try await LoopbackClient.request(port: port, "POST", "/v1/analyze", body: Self.photo)
            #expect(busy.status == 503)
            #expect(busy.headers["retry-after"] == "1")
            #expect(try busy.json()["code"] as? String == "overloaded")
            #expect(try await LoopbackClient.request(port: port, "GET", "/healthz").status == 200, "health answers while computing")
            gate.signal()
            try await blocker.value
            #expect(try await LoopbackClient.request(port: port, "POST", "/v1/analyze", body: Self.photo).status == 200)
        }
    }

    /// A client that sends its next request as soon as it has an answer is never refused, even
    /// with `--max-concurrent 1`: a request's place is given back before its answer is written
    /// (it was given back after, and a client with exactly `limit` keep-alive connections then
    /// got mostly 503s: 2015 of 2377 under wrk).
    @Test func sequentialRequestsAreNeverRefused() async throws {
        try await ServeFixtures.withServer(ServeFixtures.options { $0.maximumConcurrent = 1 }) { _, port in
            let statuses = try await LoopbackClient.keepAliveStatuses(port: port, count: 60, "POST", "/v1/classify", body: Self.photo)
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        }
    }

    /// With `--max-connections 1`, a second connection is not served while the first is open
    /// (it waits to be accepted), and is served as soon as the first closes.
    @Test func connectionLimit() async throws {
        try await ServeFixtures.withServer(ServeFixtures.options { $0.maximumConnections = 1 }) { _, port in
            let served = try await LoopbackClient.offThread { () -> (Bool, Bool) in
                let idle = try LoopbackClient.connect(port)
                try LoopbackClient.send(idle, Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                _ = try LoopbackClient.readHead(idle) // accepted and answered; kept open (keep-alive)
                let second = try LoopbackClient.connect(port) // completes in the kernel's backlog
                defer { close(second) }
                var short = timeval(tv_sec: 1, tv_usec: 0)
                setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &short, socklen_t(MemoryLayout<timeval>.size))
                try LoopbackClient.send(second, Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                let whileOpen = (try? LoopbackClient.readHead(second)) != nil
                close(idle)
                var long = timeval(tv_sec: 20, tv_usec: 0)
                setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &long, socklen_t(MemoryLayout<timeval>.size))
                let afterClose = (try? LoopbackClient.readHead(second))?.0 == 200
                return (whileOpen, afterClose)
            }
            #expect(!served.0, "a second connection was served while the limit of 1 was in use")
            #expect(served.1, "the waiting connection was not served after the first closed")
        }
    }

    /// /metrics counts requests by route and status, errors by code, and faces.
    @Test func metricsCount() async throws {
        try await ServeFixtures.withServer(ServeFixtures.options()) { _, port in
            #expect(try await LoopbackClient.request(port: port, "POST", "/v1/analyze", body: Self.photo).status == 200)
            #expect(try await LoopbackClient.request(port: port, "POST", "/v1/analyze", body: Array("junk".utf8)).status == 422)
            let text = try await LoopbackClient.request(port: port, "GET", "/metrics").text
            #expect(text.contains(#"fercore_http_requests_total{route="/v1/analyze",status="200"} 1"#), "\(text)")
            #expect(text.contains(#"fercore_http_requests_total{route="/v1/analyze",status="422"} 1"#))
            #expect(text.contains(#"fercore_http_errors_total{code="undecodable_image"} 1"#))
            #expect(text.contains(#"fercore_faces_total{route="/v1/analyze"} 1"#))
            #expect(text.contains("fercore_http_request_duration_seconds_bucket"))
        }
    }

    /// The WebSocket stream: each binary frame gets one answer, in order, with the pipeline's
    /// tracked ID (the one face keeps its ID) and the frame's size; a text message gets an
    /// error answer and the stream goes on; the answers equal an EmotionPipeline's (synchronous
    /// detection, one thread) on the same decoded frames.
    @Test func streamAnswersEachFrame() async throws {
        let frames = try ServeFixtures.jpegFrames([30, 31, 32, 33, 34, 35])
        var options = PipelineOptions()
        options.threads = 1
        options.detectionMode = .synchronous
        options.weightsDirectory = ServeFixtures.weights
        let pipeline = try EmotionPipeline(options: options)
        var expected: [Int] = []
        for (i, frame) in frames.enumerated() {
            let image = try ImageReader.decode(frame, name: "frame")
            let result = try image.withView { (v) throws(PipelineError) in try pipeline.process(v, info: FrameInfo(index: i, timestamp: 0)) }
            expected.append(result.faces.count)
        }
        try await ServeFixtures.withServer(ServeFixtures.options()) { _, port in
            let (status, answers) = try await LoopbackClient.webSocket(
                port: port, path: "/v1/stream", send: frames.map { .binary($0) } + [.text("hello"), .binary(frames[0])])
            #expect(status == 101)
            #expect(answers.count == frames.count + 2)
            let records = try answers.prefix(frames.count).map { try JSONDecoder().decode(StreamFrameRecord.self, from: Data($0.utf8)) }
            #expect(records.map(\.frame) == Array(0..<frames.count))
            #expect(records.map(\.faces.count) == expected)
            #expect(records.allSatisfy { $0.width == 640 && $0.height == 480 })
            let ids = Set(records.flatMap { $0.faces.map(\.id) })
            #expect(ids.count == 1, "one face, one ID: \(ids)")
            #expect(answers[frames.count].contains(#""code":"bad_message""#))
            #expect(answers[frames.count + 1].contains(#""frame":\#(frames.count)"#), "the stream goes on after a bad message")
        }
    }
}
