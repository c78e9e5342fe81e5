// Pipeline (issue 7): EmotionPipeline.process per frame on synthetic scenes (TrackingScene: the
// astronaut's face, moving a few px per frame, tiled 1×1, 2×2 or 4×4 in a 640×480 frame), in
// synchronous mode (deterministic; the detector runs inline every 10th frame, so p50 is a
// tracking frame and the high percentiles are detection frames), classification every 5th
// frame per face — PipelineOptions's defaults apart from the mode and 16 maximum faces.
//
// - `pipeline-faces-N-tN`: one frame; cost linear in faces; mallocs per frame (0 after warm-up).
// - `pipeline-rss-10000`: 10,000 frames of the 4-face scene in one iteration; custom metrics
//   `rss start MB` (after warm-up) and `rss end MB` (after the 10,000 frames): memory stays flat.
import Benchmark
import FERBenchSupport
import FERCore
import Foundation

enum PipelineMetric {
    static let faces = BenchmarkMetric.custom("faces", polarity: .prefersLarger, useScalingFactor: false)
    static let rssStart = BenchmarkMetric.custom("rss start MB", polarity: .prefersSmaller, useScalingFactor: false)
    static let rssEnd = BenchmarkMetric.custom("rss end MB", polarity: .prefersSmaller, useScalingFactor: false)
}

/// Resident set size of this process in MB (Linux /proc/self/statm, pages × 4 KiB).
func residentMegabytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return -1 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return -1 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / (1 << 20)
}

final class PipelineFixture {
    let scene: TrackingScene
    let pipeline: EmotionPipeline
    var result = FrameResult()
    var index = 0

    init(grid: Int, threads: Int) throws {
        let faceSize: Double = grid == 1 ? 100 : (grid == 2 ? 80 : 40)
        scene = try TrackingScene(faceSize: faceSize, columns: grid, rows: grid)
        var config = PipelineOptions()
        config.detectionMode = .synchronous
        config.maximumFaces = 16
        config.threads = threads
        config.weightsDirectory = BenchPaths.root.appendingPathComponent("Weights").path
        pipeline = try EmotionPipeline(options: config)
        // Warm up: detections, track starts, classifier plans, a few detection rounds.
        for _ in 0..<(4 * scene.frames.count) { try step() }
    }

    func step() throws {
        index += 1
        try pipeline.process(scene.frame(index), info: FrameInfo(index: index, timestamp: Double(index) / 30), into: &result)
    }
}

func registerPipelineBenchmarks() {
    for grid in [1, 2, 4] {
        for threads in threadCounts {
            let box = FixtureBox<PipelineFixture>()
            Benchmark(
                "pipeline-faces-\(grid * grid)-t\(threads)",
                configuration: .init(
                    metrics: [.wallClock, .mallocCountTotal, PipelineMetric.faces],
                    timeUnits: .milliseconds,
                    maxDuration: .seconds(3),
                    maxIterations: 600
                ),
                closure: { benchmark in
                    guard let f = box.value else { return }
                    do {
                        try f.step()
                        benchmark.stopMeasurement()
                        benchmark.measurement(PipelineMetric.faces, f.result.faces.count)
                    } catch { benchmark.error("\(error)") }
                },
                setup: { box.value = try PipelineFixture(grid: grid, threads: threads) },
                teardown: { box.value = nil }
            )
        }
    }

    let box = FixtureBox<PipelineFixture>()
    Benchmark(
        "pipeline-rss-10000",
        configuration: .init(
            metrics: [.wallClock, PipelineMetric.rssStart, PipelineMetric.rssEnd],
            timeUnits: .seconds,
            warmupIterations: 0,
            maxDuration: .seconds(600),
            maxIterations: 1
        ),
        closure: { benchmark in
            guard let f = box.value else { return }
            let start = residentMegabytes()
            do {
                for _ in 0..<10_000 { try f.step() }
            } catch { benchmark.error("\(error)") }
            benchmark.stopMeasurement()
            benchmark.measurement(PipelineMetric.rssStart, start)
            benchmark.measurement(PipelineMetric.rssEnd, residentMegabytes())
        },
        setup: { box.value = try PipelineFixture(grid: 2, threads: 2) },
        teardown: { box.value = nil }
    )
}
