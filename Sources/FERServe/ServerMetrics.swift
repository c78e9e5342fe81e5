import Prometheus

/// The server's Prometheus metrics (swift-prometheus), served as text at `GET /metrics`.
///
/// | name | kind | labels |
/// |---|---|---|
/// | `fercore_http_requests_total` | counter | `route`, `status` |
/// | `fercore_http_request_duration_seconds` | histogram | `route` |
/// | `fercore_http_errors_total` | counter | `code` |
/// | `fercore_requests_in_flight` | gauge | |
/// | `fercore_faces_total` | counter | `route` (faces found by `/v1/analyze` and in streams) |
/// | `fercore_stream_connections` | gauge | |
/// | `fercore_stream_frames_total` | counter | |
/// | `fercore_stream_frame_duration_seconds` | histogram | |
package final class ServerMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    private let inFlight: Gauge
    private let streams: Gauge
    private let streamFrames: Counter
    private let streamFaces: Counter
    private let analyzeFaces: Counter
    private let frameDuration: DurationHistogram

    /// Buckets from 1 ms to 10 s: a small photo is analysed in milliseconds, a 40-megapixel one in seconds.
    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
        .milliseconds(100), .milliseconds(200), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10)
    ]

    package init() {
        inFlight = registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "fercore", metricName: "requests_in_flight", unitName: "", helpText: "HTTP requests being answered"))
        streams = registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "fercore", metricName: "stream_connections", unitName: "", helpText: "Open /v1/stream WebSockets"))
        streamFrames = registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "fercore", metricName: "stream_frames", unitName: "total", helpText: "Frames answered on /v1/stream"))
        let faces = MetricNameDescriptor(namespace: "fercore", metricName: "faces", unitName: "total", helpText: "Faces found")
        streamFaces = registry.makeCounter(descriptor: faces, labels: [("route", "/v1/stream")])
        analyzeFaces = registry.makeCounter(descriptor: faces, labels: [("route", "/v1/analyze")])
        frameDuration = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "fercore", metricName: "stream_frame_duration", unitName: "seconds", helpText: "Time to answer one stream frame"),
            labels: [], buckets: Self.buckets)
    }

    package func requestStarted() { inFlight.increment() }

    /// Counts a finished HTTP request: its route (the pattern, not the raw path, so that the
    /// label set stays bounded), status and duration.
    package func requestFinished(route: String, status: Int, seconds: Double, errorCode: String?) {
        inFlight.decrement()
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "fercore", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
            labels: [("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "fercore", metricName: "http_request_duration", unitName: "seconds", helpText: "Time to answer an HTTP request"),
            labels: [("route", route)], buckets: Self.buckets
        ).recordNanoseconds(Int64(seconds * 1e9))
        if let errorCode {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "fercore", metricName: "http_errors", unitName: "total", helpText: "HTTP error answers by code"),
                labels: [("code", errorCode)]
            ).increment()
        }
    }

    package func facesFound(_ n: Int) { analyzeFaces.increment(by: Int64(n)) }
    package func streamOpened() { streams.increment() }
    package func streamClosed() { streams.decrement() }

    package func streamFrame(faces: Int, seconds: Double) {
        streamFrames.increment()
        streamFaces.increment(by: Int64(faces))
        frameDuration.recordNanoseconds(Int64(seconds * 1e9))
    }

    /// The exposition text (format 0.0.4).
    package func text() -> [UInt8] { registry.emitToBuffer() }
}
