// Engine: SGEMM peak, per-layer times and whole forward passes.
//
// - `sgemm-1024-bN`: OpenBLAS on a big square SGEMM with N OpenBLAS threads
//   (BLAS.setThreads(N), reset to 1 in teardown); custom metric GFLOPS×1000.
//   b1 is the peak per-layer numbers compare with (each GEMM block runs on one thread).
// - `layer-<net>-<size>-<layer>-tN`: one real layer shape as the engine runs it on a pool of
//   N threads; at t1 also im2col alone and cblas_sgemm alone on the layer's exact M×N×K.
// - `forward-<net>-<size>-tN`: one Workspace.run after a warm-up run in setup, with malloc
//   counts; Thresholds/ holds 0 mallocs for each (absolute tolerance 0).
// fercore-gemm-report prints the same layers as a table with the fraction of peak.
import Benchmark
@_spi(Kernels) import FERBenchSupport
@_spi(Kernels) import FERCore

/// Custom metrics: integers, so GFLOPS are reported ×1000 (i.e. MFLOPS).
enum FERMetric {
    static let layerMFLOPS = BenchmarkMetric.custom("layer MFLOPS", polarity: .prefersLarger, useScalingFactor: false)
    static let gemmMFLOPS = BenchmarkMetric.custom("GEMM MFLOPS", polarity: .prefersLarger, useScalingFactor: false)
    static let im2colNanos = BenchmarkMetric.custom("im2col ns", polarity: .prefersSmaller, useScalingFactor: false)
    static let layerNanos = BenchmarkMetric.custom("layer ns", polarity: .prefersSmaller, useScalingFactor: false)
}

func registerEngineBenchmarks() {
    // OpenBLAS' own peak at 1 and 2 of its threads (only here: FERCore keeps it at 1).
    for blasThreads in threadCounts {
        let peak = FixtureBox<SGEMMFixture>()
        Benchmark(
            "sgemm-1024-b\(blasThreads)",
            configuration: .init(metrics: [.wallClock, FERMetric.gemmMFLOPS], maxDuration: .seconds(1), maxIterations: 100),
            closure: { benchmark in
                guard let fixture = peak.value else { return }
                let ns = nanos { fixture.run() }
                benchmark.measurement(FERMetric.gemmMFLOPS, mflops(macs: fixture.macs, nanos: ns))
            },
            setup: {
                BLAS.setThreads(blasThreads)
                peak.value = SGEMMFixture(m: 1024, n: 1024, k: 1024)
            },
            teardown: {
                peak.value = nil
                BLAS.setThreads(1)
            }
        )
    }

    for threads in threadCounts {
        let suffix = "t\(threads)"

        // Every compute layer of P-Net on 384×288 and mini-Xception batch 1.
        for layer in LayerCatalog.pnet(width: 384, height: 288) + LayerCatalog.miniXception(batch: 1) {
            let box = FixtureBox<LayerFixture>()
            let name = "layer-\(layer.network)-\(layer.workload)-\(layer.name)-\(suffix)"
            let parts = threads == 1 // GEMM alone is one single-threaded call: the same at every pool size
            Benchmark(
                name,
                configuration: .init(
                    metrics: [.wallClock, FERMetric.layerMFLOPS, FERMetric.layerNanos]
                        + (parts ? [FERMetric.gemmMFLOPS, FERMetric.im2colNanos] : [])),
                closure: { benchmark in
                    guard let fixture = box.value else { return }
                    if parts {
                        let im2col = nanos { fixture.runIm2col() }
                        if fixture.hasGEMM {
                            let gemm = nanos { fixture.runGEMM() }
                            benchmark.measurement(FERMetric.gemmMFLOPS, mflops(macs: layer.macs, nanos: gemm))
                        }
                        if layer.op == .conv, !layer.isPointwise { benchmark.measurement(FERMetric.im2colNanos, im2col) }
                    }
                    let whole = nanos { fixture.runLayer() }
                    benchmark.measurement(FERMetric.layerNanos, whole)
                    benchmark.measurement(FERMetric.layerMFLOPS, mflops(macs: layer.macs, nanos: whole))
                },
                setup: {
                    BLAS.setThreads(1)
                    box.value = LayerFixture(layer, pool: pool(threads))
                },
                teardown: { box.value = nil }
            )
        }

        // Whole forward passes: 0 mallocs after the warm-up run in setup.
        for forward in ForwardCase.all {
            let box = FixtureBox<ForwardFixture>()
            Benchmark(
                "forward-\(forward.label.replacingOccurrences(of: " ", with: "-"))-\(suffix)",
                configuration: zeroMallocConfiguration(),
                closure: { benchmark in
                    guard let fixture = box.value else { return }
                    fixture.run()
                    blackHole(fixture.workspace.output(0).buffer.first)
                },
                setup: {
                    BLAS.setThreads(1)
                    box.value = try forward.makeFixture(pool: pool(threads)) // plans and runs once
                    box.value?.run()
                },
                teardown: { box.value = nil }
            )
        }
    }
}
