// Tracking (issue 6): updates on synthetic frames (TrackingScene: the astronaut's face from
// frame 0 of the sample clip, scaled, moving 2 px per frame right/left and 1 px down/up,
// cycling through 16 pre-rendered 640×480 frames). Single-threaded: neither tracker takes a pool.
//
// - `track-csrdcf-faceN`: CorrelationFilterTracker.update(frame:) with a face N ≈ 50, 100,
//   200 px wide (initialised on frame 0, warmed up over two cycles in setup).
// - `track-faces-N`: FaceTracker.update(frame:) with N = 1, 4, 16 tracks of ~40 px faces in
//   a 4×4 grid of 160×120 cells (all 16 faces are in every frame; N of them are tracked).
// Custom metric `lost`: tracks reported lost (or ended) by the measured update (0 expected).
// 0-malloc gate on both.
import Benchmark
import FERBenchSupport
import FERCore

enum TrackingMetric {
    static let lost = BenchmarkMetric.custom("lost", polarity: .prefersSmaller, useScalingFactor: false)
}

final class SingleTrackFixture {
    let scene: TrackingScene
    let tracker: CorrelationFilterTracker
    var index = 0

    init(faceSize: Double) throws {
        scene = try TrackingScene(faceSize: faceSize)
        tracker = try CorrelationFilterTracker()
        try tracker.initialize(frame: scene.frame(0), box: scene.initialBoxes[0])
        for _ in 0..<(2 * scene.frames.count) { try step() }
    }

    @discardableResult
    func step() throws -> TrackingResult {
        index += 1
        return try tracker.update(frame: scene.frame(index))
    }
}

final class MultiTrackFixture {
    let scene: TrackingScene
    let tracker: FaceTracker
    var index = 0

    init(faces: Int) throws {
        scene = try TrackingScene(faceSize: 40, columns: 4, rows: 4)
        tracker = try FaceTracker()
        for box in scene.initialBoxes.prefix(faces) { try tracker.startTrack(at: box, in: scene.frame(0)) }
        for _ in 0..<(2 * scene.frames.count) { try step() }
    }

    func step() throws {
        index += 1
        try tracker.update(frame: scene.frame(index))
    }
}

func registerTrackingBenchmarks() {
    for size in [50, 100, 200] {
        let box = FixtureBox<SingleTrackFixture>()
        Benchmark(
            "track-csrdcf-face\(size)",
            configuration: .init(
                metrics: [.wallClock, .mallocCountTotal, TrackingMetric.lost],
                timeUnits: .microseconds,
                maxDuration: .seconds(2),
                maxIterations: 1_000,
                thresholds: zeroMallocs
            ),
            closure: { benchmark in
                guard let f = box.value else { return }
                do {
                    let r = try f.step()
                    benchmark.stopMeasurement()
                    benchmark.measurement(TrackingMetric.lost, r.isLost ? 1 : 0)
                } catch { benchmark.error("\(error)") }
            },
            setup: { box.value = try SingleTrackFixture(faceSize: Double(size)) },
            teardown: { box.value = nil }
        )
    }

    for faces in [1, 4, 16] {
        let box = FixtureBox<MultiTrackFixture>()
        Benchmark(
            "track-faces-\(faces)",
            configuration: .init(
                metrics: [.wallClock, .mallocCountTotal, TrackingMetric.lost],
                timeUnits: .microseconds,
                maxDuration: .seconds(2),
                maxIterations: 500,
                thresholds: zeroMallocs
            ),
            closure: { benchmark in
                guard let f = box.value else { return }
                do {
                    try f.step()
                    benchmark.stopMeasurement()
                    var lost = faces - f.tracker.count
                    for i in 0..<f.tracker.count where f.tracker.track(at: i).isLost { lost += 1 }
                    benchmark.measurement(TrackingMetric.lost, lost)
                } catch { benchmark.error("\(error)") }
            },
            setup: { box.value = try MultiTrackFixture(faces: faces) },
            teardown: { box.value = nil }
        )
    }
}
