import FERCore
import Foundation
import Hummingbird
import HummingbirdWebSocket

extension FERServer {
    /// The query parameters each endpoint takes.
    static let analyzeParameters: Set<String> = ["model", "min_face", "flip"]
    static let classifyParameters: Set<String> = ["model", "flip"]
    static let streamParameters: Set<String> = ["model", "min_face", "flip", "token"]

    struct Health: Encodable {
        let status: String
        let version: String
        let models: [String]
        let threads: Int
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in
            JSONText.response(Health(status: "ok", version: FERCoreVersion.string, models: EmotionModel.all.map(\.name), threads: self.options.threads))
        }
        router.get("/metrics") { request, _ in
            try self.authorize(request, allowQuery: false)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.text())))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPISpec.yaml)))
        }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: LivePage.html)))
        }
        router.get("/sample.mp4") { _, _ in
            guard let clip = self.sampleClip else {
                throw APIError(.notFound, code: "not_found", "This server has no sample clip (ferdemo serve --sample PATH).")
            }
            // Made once, on a compute thread (re-encoding takes about a second).
            let bytes = try await self.pool.submit(admit: false) { _ in clip.playable() }
            guard let bytes else {
                throw APIError(.notFound, code: "not_found", "The sample clip \(clip.path) can no longer be read.")
            }
            return Response(status: .ok, headers: [.contentType: "video/mp4"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.post("/v1/analyze") { request, _ in
            try self.authorize(request, allowQuery: false)
            let parameters = try self.parameters(request, allowed: Self.analyzeParameters)
            let body = try await self.imageBody(request)
            let limit = self.options.maximumPixels
            let answer = try await self.compute { worker in
                AnalysisService.analyze(body, parameters: parameters, maximumPixels: limit, worker: worker)
            }
            self.metrics.facesFound(answer.faces.count)
            return JSONText.response(answer)
        }
        router.post("/v1/classify") { request, _ in
            try self.authorize(request, allowQuery: false)
            let parameters = try self.parameters(request, allowed: Self.classifyParameters)
            let body = try await self.imageBody(request)
            let limit = self.options.maximumPixels
            return JSONText.response(
                try await self.compute { worker in
                    AnalysisService.classify(body, parameters: parameters, maximumPixels: limit, worker: worker)
                })
        }
        // Reached only when the WebSocket router did not upgrade: say why.
        router.get("/v1/stream") { request, _ -> Response in
            try self.checkStream(request)
            throw APIError(
                .upgradeRequired, code: "websocket_upgrade_required",
                "/v1/stream is a WebSocket: connect with a WebSocket client (Upgrade: websocket).", headers: [.upgrade: "websocket"])
        }
    }

    /// The checks made before a stream is upgraded (and, when one fails, again by the HTTP
    /// route, which answers the error).
    func checkStream(_ request: Request) throws(APIError) {
        try authorize(request, allowQuery: true)
        _ = try parameters(request, allowed: Self.streamParameters)
        let open = streams.withLock { $0 }
        guard open < options.streamLimit else {
            throw APIError(
                .serviceUnavailable, code: "overloaded", "\(open) streams are open, this server's limit; retry later.",
                headers: [.retryAfter: "5"])
        }
    }

    func addStream(to router: Router<BasicWebSocketRequestContext>) {
        // Every WebSocket request is upgraded and checked afterwards: a refused handshake can
        // only be a bare HTTP 400 (NIO's upgrader), and a browser cannot read a handshake's
        // status anyway. A refused stream gets the JSON error as its one message, then a close
        // (1008 policy violation; 1013 try again later when the server is full). A plain GET
        // gets the same error with its HTTP status (the route in addRoutes).
        router.ws("/v1/stream") { _, _ in
            .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            do { try self.checkStream(context.request) } catch let error as APIError {
                try await outbound.write(.text(APIError.body(code: error.code, message: error.message)))
                if error.status == .serviceUnavailable {
                    try await outbound.close(.unknown(1013), reason: error.code)
                } else {
                    try await outbound.close(.policyViolation, reason: error.code)
                }
                return
            }
            // Counted here: a slot is taken only by a stream that runs.
            let admitted = self.streams.withLock { n -> Bool in
                guard n < self.options.streamLimit else { return false }
                n += 1
                return true
            }
            guard admitted else {
                try await outbound.write(.text(APIError.body(code: "overloaded", message: "This server's streams are all in use; retry later.")))
                try await outbound.close(.unknown(1013), reason: "overloaded")
                return
            }
            self.metrics.streamOpened()
            defer {
                self.streams.withLock { $0 -= 1 }
                self.metrics.streamClosed()
            }
            let parameters: RequestParameters
            do { parameters = try self.parameters(context.request, allowed: Self.streamParameters) } catch {
                try await outbound.close(.policyViolation, reason: "bad_parameter")
                return
            }
            let options = self.options
            let made: Result<StreamSession, APIError> = try await self.pool.submit(admit: false) { _ in
                do {
                    return .success(
                        try StreamSession(
                            parameters: parameters, weightsDirectory: options.weightsDirectory, maximumPixels: options.maximumPixels,
                            maximumFaces: 8))
                } catch { return .failure(APIError(.internalServerError, code: "internal", "\(error)")) }
            }
            let session: StreamSession
            switch made {
            case .success(let s): session = s
            case .failure(let e):
                try await outbound.write(.text(APIError.body(code: e.code, message: e.message)))
                try await outbound.close(.unexpectedServerError, reason: "the stream could not start")
                return
            }
            // One frame at a time: the next message is read only after this one's answer is
            // written, so a client that sends faster than the server works is held back by TCP,
            // and one that does not read its answers blocks its own writes; the server keeps at
            // most one frame and one answer per stream.
            for try await message in inbound.messages(maxSize: options.maximumBodyBytes) {
                switch message {
                case .binary(let buffer):
                    let bytes = Array(buffer.readableBytesView)
                    let start = MonotonicClock.seconds()
                    let (json, faces) = try await self.pool.submit(admit: false) { _ in session.process(bytes) }
                    self.metrics.streamFrame(faces: faces, seconds: MonotonicClock.seconds() - start)
                    try await outbound.write(.text(json))
                case .text:
                    try await outbound.write(
                        .text(APIError.body(code: "bad_message", message: "Send each frame as a binary message holding a JPEG (or PNG) image.")))
                }
            }
        }
    }
}

/// Turns every error into a JSON answer (``APIError``'s, Hummingbird's own such as 404, and
/// anything unexpected as 500) and counts every request in ``ServerMetrics``.
struct ErrorAndMetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let server: FERServer

    static let routes: Set<String> = ["/", "/healthz", "/metrics", "/openapi.yaml", "/sample.mp4", "/v1/analyze", "/v1/classify", "/v1/stream"]

    /// The methods of each route (405 with Allow for the others; HEAD wherever GET is).
    static let methods: [String: [HTTPRequest.Method]] = [
        "/": [.get], "/healthz": [.get], "/metrics": [.get], "/openapi.yaml": [.get], "/sample.mp4": [.get],
        "/v1/analyze": [.post], "/v1/classify": [.post], "/v1/stream": [.get]
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = MonotonicClock.seconds()
        server.metrics.requestStarted()
        let route = Self.routes.contains(request.uri.path) ? request.uri.path : "other"
        var code: String?
        var response: Response
        do {
            if let allowed = Self.methods[request.uri.path] {
                if request.method == .head, allowed.contains(.get) {
                    // HEAD: the GET's status and headers, no body.
                    var head = request.head
                    head.method = .get
                    response = try await next(Request(head: head, body: .init(buffer: ByteBuffer())), context)
                    let length = response.body.contentLength
                    response.body = .init()
                    if let length { response.headers[.contentLength] = String(length) }
                    server.metrics.requestFinished(route: route, status: Int(response.status.code), seconds: MonotonicClock.seconds() - start, errorCode: nil)
                    return response
                }
                guard allowed.contains(request.method) else {
                    let names = (allowed + (allowed.contains(.get) ? [.head] : [])).map(\.rawValue).joined(separator: ", ")
                    throw APIError(
                        .methodNotAllowed, code: "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path); use \(names).",
                        headers: [.allow: names])
                }
            }
            response = try await next(request, context)
        } catch let error as APIError {
            code = error.code
            response = try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let mapped: APIError
            switch error.status {
            case .notFound:
                mapped = APIError(.notFound, code: "not_found", "No such path: \(request.method) \(request.uri.path). See /openapi.yaml.")
            case .methodNotAllowed:
                mapped = APIError(.methodNotAllowed, code: "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path).")
            case .contentTooLarge:
                mapped = APIError.bodyTooLarge(limit: server.options.maximumBodyBytes)
            default:
                mapped = APIError(error.status, code: error.status.code < 500 ? "bad_request" : "internal", error.body ?? error.status.reasonPhrase)
            }
            code = mapped.code
            response = try mapped.response(from: request, context: context)
        } catch {
            let mapped = APIError(.internalServerError, code: "internal", "Unexpected error: \(error)")
            code = mapped.code
            response = try mapped.response(from: request, context: context)
        }
        server.metrics.requestFinished(route: route, status: Int(response.status.code), seconds: MonotonicClock.seconds() - start, errorCode: code)
        return response
    }
}
