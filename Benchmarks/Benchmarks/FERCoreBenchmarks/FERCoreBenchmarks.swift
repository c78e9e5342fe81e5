// FERCore benchmarks on ordo-one/package-benchmark.
//
//   cd Benchmarks && swift package benchmark                      # everything
//   swift package benchmark --filter 'forward.*'                  # forward passes only (regex, whole name)
//   swift package benchmark thresholds check --filter 'forward.*' # fails when a forward pass mallocs
//
// Three groups, each at 1 and 2 threads (Engine.setBLASThreads(n) + WorkerPool(threads: n)):
// - `sgemm-1024-tN`: OpenBLAS peak on a big square SGEMM (custom metric GFLOPS×1000).
// - `layer-<net>-<size>-<layer>-tN`: one real layer shape, timed in three parts per iteration:
//   im2col alone, cblas_sgemm alone on the layer's exact M×N×K, the whole layer.
// - `forward-<net>-<size>-tN`: one Workspace.run after a warm-up run in setup, with malloc
//   counts; Thresholds/ holds 0 mallocs for each (absolute tolerance 0).
// fercore-gemm-report prints the same layers as a table with the fraction of peak.
import Benchmark
import FERBenchSupport
import FERCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Custom metrics: integers, so GFLOPS are reported ×1000 (i.e. MFLOPS).
enum FERMetric {
    static let layerMFLOPS = BenchmarkMetric.custom("layer MFLOPS", polarity: .prefersLarger, useScalingFactor: false)
    static let gemmMFLOPS = BenchmarkMetric.custom("GEMM MFLOPS", polarity: .prefersLarger, useScalingFactor: false)
    static let im2colNanos = BenchmarkMetric.custom("im2col ns", polarity: .prefersSmaller, useScalingFactor: false)
    static let layerNanos = BenchmarkMetric.custom("layer ns", polarity: .prefersSmaller, useScalingFactor: false)
}

/// One pool per thread count, made once: threads are started at init, not per benchmark.
let pools: [Int: WorkerPool] = [1: .serial, 2: WorkerPool(threads: 2)]
let threadCounts = [1, 2]

/// Holds what a benchmark's setup builds, so that nothing is allocated at registration.
final class Slot<T> {
    var value: T?
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

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .milliseconds(400),
        maxIterations: 2_000
    )

    for threads in threadCounts {
        let pool = pools[threads] ?? .serial
        let suffix = "t\(threads)"

        // OpenBLAS peak for this thread count.
        let peak = Slot<SGEMMFixture>()
        Benchmark(
            "sgemm-1024-\(suffix)",
            configuration: .init(metrics: [.wallClock, FERMetric.gemmMFLOPS], maxDuration: .seconds(1), maxIterations: 100),
            closure: { benchmark in
                guard let fixture = peak.value else { return }
                let ns = nanos { fixture.run() }
                benchmark.measurement(FERMetric.gemmMFLOPS, mflops(macs: fixture.macs, nanos: ns))
            },
            setup: {
                Engine.setBLASThreads(threads)
                peak.value = SGEMMFixture(m: 1024, n: 1024, k: 1024)
            },
            teardown: { peak.value = nil }
        )

        // Every compute layer of P-Net on 384×288 and mini-Xception batch 1.
        for layer in LayerCatalog.pnet(width: 384, height: 288) + LayerCatalog.miniXception(batch: 1) {
            let slot = Slot<LayerFixture>()
            let name = "layer-\(layer.network)-\(layer.workload)-\(layer.name)-\(suffix)"
            Benchmark(
                name,
                configuration: .init(metrics: [.wallClock, FERMetric.layerMFLOPS, FERMetric.gemmMFLOPS, FERMetric.im2colNanos, FERMetric.layerNanos]),
                closure: { benchmark in
                    guard let fixture = slot.value else { return }
                    let im2col = nanos { fixture.runIm2col() }
                    if fixture.hasGEMM {
                        let gemm = nanos { fixture.runGEMM() }
                        benchmark.measurement(FERMetric.gemmMFLOPS, mflops(macs: layer.macs, nanos: gemm))
                    }
                    let whole = nanos { fixture.runLayer() }
                    if layer.op == .conv, !layer.isPointwise { benchmark.measurement(FERMetric.im2colNanos, im2col) }
                    benchmark.measurement(FERMetric.layerNanos, whole)
                    benchmark.measurement(FERMetric.layerMFLOPS, mflops(macs: layer.macs, nanos: whole))
                },
                setup: {
                    Engine.setBLASThreads(threads)
                    slot.value = LayerFixture(layer, pool: pool)
                },
                teardown: { slot.value = nil }
            )
        }

        // Whole forward passes: 0 mallocs after the warm-up run in setup.
        for forward in ForwardCase.all {
            let slot = Slot<ForwardFixture>()
            Benchmark(
                "forward-\(forward.label.replacingOccurrences(of: " ", with: "-"))-\(suffix)",
                configuration: .init(
                    metrics: [.wallClock, .mallocCountTotal, .throughput],
                    maxDuration: .seconds(1),
                    maxIterations: 1_000,
                    thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])]
                ),
                closure: { benchmark in
                    guard let fixture = slot.value else { return }
                    fixture.run()
                    blackHole(fixture.workspace.output(0).buffer.first)
                },
                setup: {
                    Engine.setBLASThreads(threads)
                    slot.value = try forward.makeFixture(pool: pool) // plans and runs once
                    slot.value?.run()
                },
                teardown: { slot.value = nil }
            )
        }
    }
}
