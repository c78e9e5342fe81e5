// FERCore benchmarks on ordo-one/package-benchmark.
//
//   cd Benchmarks && swift package benchmark --no-progress            # no CPU flags: FERCore
//                                                                      # picks its kernels at run time
//   swift package … benchmark --filter 'forward.*'                   # one group (regex, whole name)
//   swift package … benchmark thresholds check --no-progress         # fails when a gated path mallocs
//
// One file per area, each registering its benchmarks from `benchmarks` below:
// - EngineBenchmarks.swift: SGEMM peak, per-layer times, forward passes (0-malloc gate).
// - FrameBenchmarks.swift: decode, RGB→gray, resize of 640×480 frames (issue 3).
// - DetectionBenchmarks.swift: FaceDetector on 640×480 and 1280×720 (issue 4).
// - EmotionBenchmarks.swift: EmotionClassifier at batch 1 and 8 (issue 5).
// - TrackingBenchmarks.swift: CorrelationFilterTracker and FaceTracker updates (issue 6).
// To add an area (e.g. the pipeline of issue 7): a new file with a `registerXBenchmarks()`
// function, called below, and its malloc thresholds in Thresholds/.
//
// Threads: FERCore's thread count is its WorkerPool's (FERCore does not link OpenBLAS; the
// benchmarks' own OpenBLAS, for the SGEMM comparison, is kept single-threaded outside
// `sgemm-1024-bN`). `-tN` benchmarks use the pool of N threads made once below.
// Kernels: InstructionSet.current (FERCORE_ISA=generic|avx2|avx512 to compare paths).
import Benchmark
import FERBenchSupport
import FERCore
import Foundation

/// One pool per thread count, made once: threads are started at init, not per benchmark.
let pools: [Int: WorkerPool] = [1: .serial, 2: WorkerPool(threads: 2)]
let threadCounts = [1, 2]

func pool(_ threads: Int) -> WorkerPool { pools[threads] ?? .serial }

/// Holds what a benchmark's setup builds, so that nothing is allocated at registration.
final class FixtureBox<T> {
    var value: T?
}

/// The p90 malloc gate: no allocation at all per measured call (absolute tolerance 0).
let zeroMallocs: [BenchmarkMetric: BenchmarkThresholds] = [.mallocCountTotal: .init(absolute: [.p90: 0])]

/// The configuration of a gated hot path: wall clock, mallocs and throughput, up to 1 s or
/// 1,000 iterations, and the zero-malloc gate.
func zeroMallocConfiguration() -> Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput], maxDuration: .seconds(1), maxIterations: 1_000,
        thresholds: zeroMallocs)
}

@inline(__always)
func nanos(_ body: () -> Void) -> Int {
    let t0 = monotonicSeconds()
    body()
    return Int(((monotonicSeconds() - t0) * 1e9).rounded())
}

func mflops(macs: Int, nanos: Int) -> Int {
    Int((2 * Double(macs) / Double(max(nanos, 1)) * 1e3).rounded())
}

/// Reports a setup failure as the benchmark's error instead of crashing the run.
func reportingErrors(_ benchmark: Benchmark, _ body: () throws -> Void) {
    do { try body() } catch { benchmark.error("setup failed: \(error)") }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .milliseconds(400),
        maxIterations: 2_000
    )
    registerEngineBenchmarks()
    registerFrameBenchmarks()
    registerDetectionBenchmarks()
    registerEmotionBenchmarks()
    registerTrackingBenchmarks()
    registerPipelineBenchmarks()
}
