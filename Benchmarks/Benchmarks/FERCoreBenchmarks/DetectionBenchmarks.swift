// Detection (issue 4): FaceDetector.detect(_:into:) after a warm-up call in setup.
//
// - `detect-640x480-minN-tT`: frame 0 of the sample clip at min face N = 20 and 40.
// - `detect-1280x720-min20-tT`: the same frame scaled to 960×720, pillarboxed to 1280×720.
// - `detect-640x480-min20-pnet-only-tT`, `…-through-rnet-tT`: per-stage cost through public
//   options only (Sources are not ours to instrument): proposalThreshold = 1 keeps every
//   P-Net candidate out (pyramid + P-Net + empty NMS), refineThreshold = 1 stops after R-Net
//   (O-Net gets no candidate). Differences with the full call give R-Net and O-Net; NMS
//   cannot be separated this way.
// Custom metrics: the statistics of the call (pyramid levels, proposals, refined, faces).
// 0-malloc gate on the full calls (main 601c7d9 removed the last one, an array literal in
// FaceDetectorOptions.validate(), which detect() calls every time).
import Benchmark
import FERBenchSupport
import FERCore

enum DetectionMetric {
    static let levels = BenchmarkMetric.custom("levels", polarity: .prefersSmaller, useScalingFactor: false)
    static let proposals = BenchmarkMetric.custom("proposals", polarity: .prefersSmaller, useScalingFactor: false)
    static let refined = BenchmarkMetric.custom("refined", polarity: .prefersSmaller, useScalingFactor: false)
    static let faces = BenchmarkMetric.custom("faces", polarity: .prefersLarger, useScalingFactor: false)
}

final class DetectionFixture {
    let detector: FaceDetector
    let image: ImageBuffer
    var faces: [FaceDetection] = []

    init(image: ImageBuffer, options: FaceDetectorOptions, pool: WorkerPool) throws {
        detector = try FaceDetector(weightsDirectory: BenchWeights.directory, options: options, pool: pool)
        self.image = image
        faces.reserveCapacity(64)
        try detector.detect(image.view, into: &faces) // sizes every buffer for this image size
        try detector.detect(image.view, into: &faces)
    }
}

func registerDetectionBenchmarks() {
    struct Case {
        var name: String
        var large: Bool
        var minimumFace: Int
        var stage: Stage
        enum Stage { case full, pnetOnly, throughRNet }
    }
    let cases = [
        Case(name: "detect-640x480-min20", large: false, minimumFace: 20, stage: .full),
        Case(name: "detect-640x480-min40", large: false, minimumFace: 40, stage: .full),
        Case(name: "detect-1280x720-min20", large: true, minimumFace: 20, stage: .full),
        Case(name: "detect-640x480-min20-pnet-only", large: false, minimumFace: 20, stage: .pnetOnly),
        Case(name: "detect-640x480-min20-through-rnet", large: false, minimumFace: 20, stage: .throughRNet)
    ]
    for threads in threadCounts {
        for c in cases {
            let box = FixtureBox<DetectionFixture>()
            Benchmark(
                "\(c.name)-t\(threads)",
                configuration: .init(
                    metrics: [
                        .wallClock, .mallocCountTotal, DetectionMetric.levels, DetectionMetric.proposals,
                        DetectionMetric.refined, DetectionMetric.faces
                    ],
                    timeUnits: .milliseconds,
                    maxDuration: .seconds(2),
                    maxIterations: 200,
                    thresholds: c.stage == .full ? zeroMallocs : nil
                ),
                closure: { benchmark in
                    guard let f = box.value else { return }
                    do { try f.detector.detect(f.image.view, into: &f.faces) } catch { benchmark.error("\(error)") }
                    benchmark.stopMeasurement()
                    let s = f.detector.statistics
                    benchmark.measurement(DetectionMetric.levels, s.levels)
                    benchmark.measurement(DetectionMetric.proposals, s.proposals)
                    benchmark.measurement(DetectionMetric.refined, s.refined)
                    benchmark.measurement(DetectionMetric.faces, s.faces)
                },
                setup: {
                    let frame = try SampleScene.frame(0)
                    let image = c.large ? try SampleScene.letterboxed(frame.view, width: 1280, height: 720) : frame
                    var options = FaceDetectorOptions()
                    options.minimumFaceSize = c.minimumFace
                    switch c.stage {
                    case .full: break
                    case .pnetOnly: options.proposalThreshold = 1
                    case .throughRNet: options.refineThreshold = 1
                    }
                    box.value = try DetectionFixture(image: image, options: options, pool: pool(threads))
                },
                teardown: { box.value = nil }
            )
        }
    }
}
