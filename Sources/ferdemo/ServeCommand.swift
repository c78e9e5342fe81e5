import ArgumentParser
import FERCore
import FERDemoSupport
import FERServe
import Foundation
import Synchronization

/// `ferdemo serve`: the HTTP and WebSocket API (Docs/Serving.md).
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve FERCore over HTTP and WebSocket: /v1/analyze, /v1/classify, /v1/stream, /metrics and a live page.",
        discussion: """
            Listens on 127.0.0.1 unless --host says otherwise. Every error is JSON \
            {"error": ..., "code": ...} with a 4xx/5xx status; the API is described at /openapi.yaml \
            and in Docs/Serving.md. The token may also come from $FERCORE_TOKEN (a command line is \
            visible to every user of the machine). Ctrl-C or SIGTERM stops the server after the \
            requests in progress.

            EXAMPLES:
              ferdemo serve
              ferdemo serve --threads 2 --port 9000
              curl --data-binary @photo.jpg -H 'Content-Type: image/jpeg' http://127.0.0.1:8080/v1/analyze

            \(ExitStatus.helpText)
            """)

    @Option(help: "Address to listen on; 0.0.0.0 for every interface.")
    var host = "127.0.0.1"

    @Option(help: "TCP port (0: any free port, printed at start-up).")
    var port = 8080

    @Option(help: "Compute threads: images analysed at once, one core each (1...256).")
    var threads = 1

    @Option(help: "Bearer token required on /v1/* and /metrics (default: $FERCORE_TOKEN, else none).")
    var token: String?

    @Option(help: "Largest request body or stream frame, in bytes.")
    var maxBodyBytes = 10 << 20

    @Option(help: "Largest image, in pixels.")
    var maxPixels = 40_000_000

    @Option(help: "Requests running or waiting at once before 503 + Retry-After (default 4 x threads).")
    var maxConcurrent: Int?

    @Option(help: "WebSocket streams open at once (default 2 x threads).")
    var maxStreams: Int?

    @Option(help: "TCP connections open at once; more wait to be accepted.")
    var maxConnections = 1024

    @Option(help: "Seconds a request body may take to arrive (408 after); idle connections close after 6 x this.")
    var timeout = 10.0

    @Option(help: "The clip the live page plays when the browser has no camera (default: Samples/astronaut_pan.mp4).")
    var sample: String?

    @Option(help: "Directory holding the *.safetensors weights (default: $FERCORE_WEIGHTS or ./Weights).")
    var weights: String?

    func validate() throws {
        try OptionCheck.range(port, "--port", 0...65_535)
        try OptionCheck.range(threads, "--threads", OptionLimits.threads)
        try OptionCheck.range(maxBodyBytes, "--max-body-bytes", 1...(1 << 30))
        try OptionCheck.range(maxPixels, "--max-pixels", 1...ImageLimits.maximumPixels)
        if let maxConcurrent { try OptionCheck.range(maxConcurrent, "--max-concurrent", 1...100_000) }
        if let maxStreams { try OptionCheck.range(maxStreams, "--max-streams", 1...10_000) }
        try OptionCheck.range(maxConnections, "--max-connections", 1...1_000_000)
        try OptionCheck.range(timeout, "--timeout", 0.1...3600)
        if let token, token.isEmpty { throw ValidationError("--token is empty; give a token or leave the option out.") }
    }

    func run() throws {
        var options = ServeOptions()
        options.host = host
        options.port = port
        options.threads = threads
        options.token = token ?? ProcessInfo.processInfo.environment["FERCORE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        options.maximumBodyBytes = maxBodyBytes
        options.maximumPixels = maxPixels
        options.maximumConcurrent = maxConcurrent ?? 0
        options.maximumStreams = maxStreams ?? 0
        options.maximumConnections = maxConnections
        options.timeout = timeout
        options.weightsDirectory = weights
        if let sample {
            guard FileManager.default.isReadableFile(atPath: sample) else {
                throw CommandFailure("serve", .inputMissing, "no readable sample clip at '\(sample)'; check the path.")
            }
            options.sampleClip = sample
        } else {
            options.sampleClip = LiveInput.sampleClipPath()
        }
        let server: FERServer
        do { server = try FERServer(options: options) } catch { throw ModelLoadFailure.failure("serve", "the networks", error) }
        let settings = options
        let app = server.application { port in
            let auth = settings.token == nil ? "no token" : "bearer token required"
            Console.err(
                "ferdemo serve: listening on http://\(settings.host):\(port)/ (\(settings.threads) compute thread"
                    + "\(settings.threads == 1 ? "" : "s"), \(auth)); Ctrl-C stops\n")
        }
        let outcome = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await app.runService() } catch { outcome.withLock { $0 = "\(error)" } }
            done.signal()
        }
        done.wait()
        if let failure = outcome.withLock({ $0 }) {
            throw CommandFailure("serve", .failure, "the server stopped: \(failure)\(Self.hint(failure, options: options))")
        }
    }

    /// What to do about a failure to listen, from the system's words.
    static func hint(_ failure: String, options: ServeOptions) -> String {
        if failure.contains("Address already in use") {
            return ". Port \(options.port) on \(options.host) is taken: stop the other server or choose another --port."
        }
        if failure.contains("Permission denied") {
            return ". Ports below 1024 need privileges: choose --port 1024 or above (8080 is the default)."
        }
        if failure.contains("UnknownHost") || failure.contains("Cannot assign requested address") {
            return ". --host \(options.host) is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its own addresses."
        }
        return ""
    }
}
