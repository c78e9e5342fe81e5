import FERCore

/// Everything `ferdemo serve` can be tuned with; each default is what a server on a developer's
/// machine should do (Docs/Serving.md explains the limits).
package struct ServeOptions: Sendable {
    /// The address to bind. Default loopback: nothing listens beyond this machine unless told to.
    package var host = "127.0.0.1"
    /// The TCP port (0: any free port, printed at start-up).
    package var port = 8080
    /// Compute threads: requests analysed at the same time, one core each. Default 1.
    package var threads = 1
    /// The bearer token every `/v1/` call and `/metrics` must carry (nil: no token needed).
    package var token: String?
    /// The largest request body, in bytes (413 beyond). Default 10 MiB.
    package var maximumBodyBytes = 10 << 20
    /// The largest image, in pixels (413 beyond). Default 40 megapixels.
    package var maximumPixels = 40_000_000
    /// Requests running or waiting for a compute thread at once; the next gets 503 with
    /// Retry-After. Default 0: 4 × ``threads``.
    package var maximumConcurrent = 0
    /// WebSocket streams open at once; the next upgrade gets 503. Default 0: 2 × ``threads``.
    package var maximumStreams = 0
    /// TCP connections open at once; more wait in the kernel's accept queue until one closes
    /// (file descriptors and per-connection memory stay bounded). Default 1024.
    package var maximumConnections = 1024
    /// Seconds a request body may take to arrive (408 after), and an idle connection may stay open.
    package var timeout = 10.0
    /// Where the networks are (nil: `ModelFile.defaultDirectory()`).
    package var weightsDirectory: String?
    /// The clip the live page plays when the browser has no camera (nil: none, `/sample.mp4` is 404).
    package var sampleClip: String?
    /// The emotion model when a request names none.
    package var defaultModel = EmotionModel.default

    /// Log only critical messages (the tests, which stop servers by cancelling them).
    package var quiet = false

    package init() {}

    /// ``maximumConcurrent`` with its default applied.
    package var admissionLimit: Int { maximumConcurrent > 0 ? maximumConcurrent : 4 * threads }
    /// ``maximumStreams`` with its default applied.
    package var streamLimit: Int { maximumStreams > 0 ? maximumStreams : 2 * threads }
}
