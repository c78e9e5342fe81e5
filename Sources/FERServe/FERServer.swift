import FERCore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// JSON text of an `Encodable` value (keys sorted, so that equal answers are equal bytes; `/` not escaped).
enum JSONText {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return #"{"code":"internal","error":"the answer could not be encoded"}"# }
        return String(decoding: data, as: UTF8.self)
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: encode(value))))
    }
}

/// `ferdemo serve`: FERCore behind HTTP and a WebSocket (Docs/Serving.md).
///
/// Routes: `POST /v1/analyze`, `POST /v1/classify`, `GET /v1/stream` (WebSocket),
/// `GET /healthz`, `GET /metrics`, `GET /openapi.yaml`, `GET /` (the live page) and
/// `GET /sample.mp4`. Analyses run on a ``ComputePool`` of ``ServeOptions/threads`` threads;
/// every error is a JSON body with a 4xx or 5xx status (``APIError``).
package final class FERServer: Sendable {
    package let options: ServeOptions
    package let metrics = ServerMetrics()
    let pool: ComputePool
    let streams = Mutex(0)
    let sampleClip: SampleClip?

    /// Checks the options and the weights (a server that cannot analyse must not start), then
    /// starts the compute threads, each with the default analyzer loaded.
    package init(options: ServeOptions) throws {
        self.options = options
        let defaults = RequestParameters(model: options.defaultModel)
        let weights = options.weightsDirectory
        // The first analyzer on this thread: missing or corrupt weights stop the start-up here.
        let probe = ComputeWorker(weightsDirectory: weights)
        _ = try probe.analyzer(defaults)
        sampleClip = options.sampleClip.map(SampleClip.init(path:))
        pool = ComputePool(threads: options.threads, limit: options.admissionLimit) { index in
            if index == 0 { return probe }
            let worker = ComputeWorker(weightsDirectory: weights)
            _ = try? worker.analyzer(defaults)
            return worker
        }
    }

    deinit { pool.stop() }

    /// Runs the server until the task running it is cancelled (the tests; `ferdemo serve` runs
    /// ``application(onRunning:)`` as a service, which SIGINT and SIGTERM stop).
    package func run(onRunning: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        try await application(onRunning: onRunning).run()
    }

    /// The Hummingbird application: both routers, the HTTP/1.1 server with WebSocket upgrade,
    /// the idle timeout and the WebSocket frame limit.
    package func application(onRunning: @escaping @Sendable (Int) -> Void = { _ in })
        -> some ApplicationProtocol
    {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(ErrorAndMetricsMiddleware(server: self))
        addRoutes(to: router)
        let wsRouter = Router(context: BasicWebSocketRequestContext.self)
        addStream(to: wsRouter)
        let idle = TimeAmount.nanoseconds(Int64(max(options.timeout, 1) * 6e9))
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: wsRouter,
                configuration: .init(
                    http1: .init(idleTimeout: idle),
                    ws: .init(maxFrameSize: options.maximumBodyBytes, autoPing: .enabled(timePeriod: .seconds(30))))),
            configuration: .init(
                address: .hostname(options.host, port: options.port), serverName: "fercore",
                availableConnectionsDelegate: MaximumAvailableConnections(options.maximumConnections)),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: {
                var logger = Logger(label: "ferdemo.serve")
                logger.logLevel = options.quiet ? .critical : .warning
                return logger
            }()
        )
    }

    // MARK: Checks shared by the routes

    /// Throws 401 unless the request carries the token (when the server has one), compared in
    /// constant time; `allowQuery` also takes `?token=` (browsers cannot set WebSocket headers).
    func authorize(_ request: Request, allowQuery: Bool) throws(APIError) {
        guard let token = options.token else { return }
        var given: Substring?
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            given = header.dropFirst(7)
        } else if allowQuery {
            given = request.uri.queryParameters["token"]
        }
        guard let given, constantTimeEqual(Array(given.utf8), Array(token.utf8)) else { throw .unauthorized }
    }

    func parameters(_ request: Request, allowed: Set<String>) throws(APIError) -> RequestParameters {
        let query = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
        return try RequestParameters(query: query, defaultModel: options.defaultModel, allowed: allowed)
    }

    /// The body, refused when over the limit (413) or when it has not arrived within the
    /// timeout (408), or when it is declared as something other than an image (415).
    func imageBody(_ request: Request) async throws -> [UInt8] {
        if let type = request.headers[.contentType] {
            let media = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            // application/x-www-form-urlencoded is what `curl --data-binary @photo.jpg` sends
            // unless told otherwise: taken like octet-stream (the bytes say what they are).
            let sniffed = ["application/octet-stream", "application/x-www-form-urlencoded"]
            guard media.hasPrefix("image/") || sniffed.contains(media) else { throw APIError.unsupportedMediaType(type) }
        }
        let limit = options.maximumBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError.bodyTooLarge(limit: limit)
        }
        let seconds = options.timeout
        let body = request.body
        let buffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                do { return try await body.collect(upTo: limit) } catch let error as HTTPError where error.status == .contentTooLarge {
                    throw APIError.bodyTooLarge(limit: limit)
                } catch is NIOTooManyBytesError {
                    // A chunked body (no Content-Length) that outgrew the limit.
                    throw APIError.bodyTooLarge(limit: limit)
                }
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else { throw APIError.timeout(seconds: seconds) }
            return buffer
        }
        return Array(buffer.readableBytesView)
    }

    /// Runs `job` on a compute thread; 503 when the pool is full.
    func compute<T: Sendable>(_ job: @escaping @Sendable (ComputeWorker) -> Result<T, APIError>) async throws -> T {
        do {
            return try await pool.submit(admit: true, job).get()
        } catch let error as ComputePoolError {
            switch error {
            case .overloaded: throw APIError.overloaded(limit: pool.limit)
            case .stopped:
                throw APIError(
                    .serviceUnavailable, code: "shutting_down", "The server is shutting down; retry on another replica.", headers: [.retryAfter: "1"])
            }
        }
    }
}

/// True when `a` and `b` are equal, in a time that depends only on their lengths (a token
/// must not be guessable byte by byte from response times).
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    let n = max(a.count, b.count)
    for i in 0..<n {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0
        difference |= x ^ y
    }
    return difference == 0 && a.count == b.count
}
