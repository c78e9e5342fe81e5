// fercore-gemm-report: in one process, the OpenBLAS SGEMM peak and the achieved
// GFLOPS of every compute layer of FERCore's networks (im2col, GEMM alone, whole
// layer), plus whole forward passes, at 1 and 2 threads, printed as Markdown.
//
//   swift run -c release fercore-gemm-report [--samples N] [--threads 1,2] [--quick]
//   (no CPU flags: FERCore picks its kernels at run time; FERCORE_ISA=avx2 or avx512 to compare)
//
// Medians (or minima) of N samples; each sample repeats a call until it lasts >= 2 ms.
// The engine splits each conv into blocks of output rows over its WorkerPool (FERCore does
// not link OpenBLAS; the report's own OpenBLAS runs single-threaded outside the 2-thread
// peak), so per-layer "% of peak" is relative to the 1-thread SGEMM peak; at 2 threads the
// table gives the speedup over 1 thread and the fraction of 2 × the 1-thread peak.
// OpenBLAS' own 2-thread peak is printed for reference only.
@_spi(Kernels) import FERBenchSupport
@_spi(Kernels) import FERCore
import Foundation

struct Options {
    var samples = 15
    var threads = [1, 2]
    var quick = false
    /// `median` (default) or `min`: the best sample is the better estimate on a machine shared with other work.
    var useMin = false

    init(_ args: [String]) {
        var i = 1
        while i < args.count {
            switch args[i] {
            case "--samples" where i + 1 < args.count:
                samples = max(3, Int(args[i + 1]) ?? samples); i += 1
            case "--threads" where i + 1 < args.count:
                threads = args[i + 1].split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }; i += 1
            case "--quick":
                quick = true
            case "--statistic" where i + 1 < args.count:
                useMin = args[i + 1] == "min"; i += 1
            case "-h", "--help":
                print("usage: fercore-gemm-report [--samples N (15)] [--threads 1,2] [--statistic median|min] [--quick (P-Net and mini-Xception b1 only)]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("unknown argument \(args[i]); see --help\n".utf8))
                exit(2)
            }
            i += 1
        }
    }
}

let options = Options(CommandLine.arguments)

extension Timing {
    /// The statistic the tables report (see `--statistic`).
    var chosen: Double { options.useMin ? min : median }
}

func cpuInfo() -> (model: String, flags: String) {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return ("unknown", "") }
    var model = "unknown", flags: Set<Substring> = []
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { continue }
        if parts[0] == "model name", model == "unknown" { model = parts[1] }
        if parts[0] == "flags", flags.isEmpty { flags = Set(parts[1].split(separator: " ")) }
    }
    let wanted = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"]
    return (model, wanted.filter { flags.contains(Substring($0)) }.joined(separator: " "))
}

func fmt(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
func us(_ seconds: Double) -> String { seconds < 1e-4 ? fmt(seconds * 1e6, 2) : fmt(seconds * 1e6, 1) }

let cpu = cpuInfo()
let layerSets: [[LayerShape]] =
    options.quick
    ? [LayerCatalog.pnet(width: 384, height: 288), LayerCatalog.miniXception(batch: 1)]
    : [
        LayerCatalog.pnet(width: 384, height: 288), LayerCatalog.miniXception(batch: 1), LayerCatalog.miniXception(batch: 8),
        LayerCatalog.rnet(batch: 16), LayerCatalog.onet(batch: 8)
    ]
let forwardCases = options.quick ? ForwardCase.all.filter { $0.model == .pnet || $0.label == "mini_xception b1" } : ForwardCase.all

print("# FERCore GEMM report\n")
print("- date: \(ISO8601DateFormatter().string(from: Date()))")
print("- CPU: \(cpu.model), \(ProcessInfo.processInfo.activeProcessorCount) cores; flags: \(cpu.flags)")
print(
    "- FERCore \(FERCoreVersion.string) kernels: \(InstructionSet.current) (CPU supports \(InstructionSet.supported); FERCORE_ISA overrides)\(FERCoreVersion.isDebugBuild ? ", DEBUG BUILD" : "")"
)
print("- OpenBLAS core (comparison only): \(BLAS.coreName)")
print("- statistic: \(options.useMin ? "min" : "median") of \(options.samples) samples (each sample ≥ 2 ms of repeated calls)")
print("- weights: \(BenchWeights.directory)")

// The hand-written layer lists must agree with the networks' own MAC counts.
print("\n## Layer list check (MACs at the reference input vs Network.referenceMACs)\n")
for (model, layers) in [
    (ModelFile.pnet, LayerCatalog.pnet(width: 12, height: 12)), (.rnet, LayerCatalog.rnet(batch: 1)),
    (.onet, LayerCatalog.onet(batch: 1)), (.emotion, LayerCatalog.miniXception(batch: 1))
] {
    if let net = try? BenchWeights.network(model) {
        let ours = LayerCatalog.macs(layers)
        print("- \(net.name): \(ours) vs \(net.referenceMACs) — \(ours == net.referenceMACs ? "ok" : "MISMATCH")")
    } else {
        print("- \(model.rawValue): weights not found in \(BenchWeights.directory)")
    }
}

var forwardResults: [Int: [String: Timing]] = [:]
/// Whole-layer time at 1 thread, by "network workload layer", for the speedup column.
var oneThreadLayer: [String: Double] = [:]

/// The SGEMM 1024³ peak with `blasThreads` OpenBLAS threads (reset to 1 afterwards).
func sgemmPeak(blasThreads: Int) -> Timing {
    BLAS.setThreads(blasThreads)
    defer { BLAS.setThreads(1) }
    let fixture = SGEMMFixture(m: 1024, n: 1024, k: 1024)
    // About half a second of SGEMM first: in a run on this machine the first 15 samples
    // right after the build gave 80 GFLOPS, the same measure at the end 91.
    let t0 = monotonicSeconds()
    while monotonicSeconds() - t0 < 0.5 { fixture.run() }
    return Timing.measure(samples: options.samples, minSampleSeconds: 0.01) { fixture.run() }
}

let peakMACs = 1024 * 1024 * 1024
let peak1Timing = sgemmPeak(blasThreads: 1)
let peak1 = gflops(macs: peakMACs, seconds: peak1Timing.chosen)
let peak2Timing = sgemmPeak(blasThreads: 2)
print("\n## SGEMM 1024×1024×1024 peak\n")
print("| OpenBLAS threads | GFLOPS (\(options.useMin ? "min" : "median")) | best | median |")
print("|---:|---:|---:|---:|")
for (t, timing) in [(1, peak1Timing), (2, peak2Timing)] {
    print(
        "| \(t) | **\(fmt(gflops(macs: peakMACs, seconds: timing.chosen)))** | \(fmt(gflops(macs: peakMACs, seconds: timing.min))) | \(fmt(gflops(macs: peakMACs, seconds: timing.median))) |"
    )
}
print("\nPer-layer fractions use the 1-thread peak, \(fmt(peak1)) GFLOPS (one OpenBLAS thread against one pool thread of the packed kernel).")

for threads in options.threads {
    let pool = makePool(threads: threads) // OpenBLAS at 1 thread, FERCore's pool at `threads`
    let budget = peak1 * Double(threads)

    print("\n## \(threads) thread\(threads == 1 ? "" : "s") (WorkerPool(threads: \(threads)), OpenBLAS at 1 thread)\n")
    if threads == 1 {
        print(
            "| network | layer | op | input → output | M×N×K | MMAC | im2col µs | GEMM µs | GEMM GFLOPS | GEMM % peak | layer µs | layer GFLOPS | layer % peak |"
        )
        print("|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    } else {
        print("% of peak = layer GFLOPS / (\(threads) × \(fmt(peak1))); speedup = 1-thread layer time / this one.\n")
        print("| network | layer | op | M×N×K | MMAC | layer µs | layer GFLOPS | % of \(threads)×peak | speedup |")
        print("|---|---|---|---|---:|---:|---:|---:|---:|")
    }
    for layers in layerSets {
        for layer in layers {
            let fixture = LayerFixture(layer, pool: pool)
            let key = "\(layer.network) \(layer.workload) \(layer.name)"
            let whole = Timing.measure(samples: options.samples) { fixture.runLayer() }.chosen
            let g = gflops(macs: layer.macs, seconds: whole)
            if threads == 1 {
                oneThreadLayer[key] = whole
                let im2colCell: String
                if layer.op == .conv, !layer.isPointwise {
                    im2colCell = us(Timing.measure(samples: options.samples) { fixture.runIm2col() }.chosen)
                } else {
                    im2colCell = "–"
                }
                var gemmCells = ["–", "–", "–"]
                if fixture.hasGEMM {
                    let t = Timing.measure(samples: options.samples) { fixture.runGEMM() }.chosen
                    let gg = gflops(macs: layer.macs, seconds: t)
                    gemmCells = [us(t), fmt(gg), fmt(100 * gg / peak1, 0) + "%"]
                }
                let shapes =
                    "\(layer.input.sampleDims.map(String.init).joined(separator: "×")) → \(layer.output.sampleDims.map(String.init).joined(separator: "×"))"
                let row =
                    [
                        "\(layer.network) \(layer.workload)", layer.name, layer.summary, shapes, "\(layer.m)×\(layer.n)×\(layer.k)",
                        fmt(Double(layer.macs) / 1e6, 3), im2colCell
                    ] + gemmCells + [us(whole), fmt(g), fmt(100 * g / peak1, 0) + "%"]
                print("| " + row.joined(separator: " | ") + " |")
            } else {
                let speedup = oneThreadLayer[key].map { fmt($0 / whole, 2) + "×" } ?? "–"
                let row = [
                    "\(layer.network) \(layer.workload)", layer.name, layer.summary, "\(layer.m)×\(layer.n)×\(layer.k)",
                    fmt(Double(layer.macs) / 1e6, 3), us(whole), fmt(g), fmt(100 * g / budget, 0) + "%", speedup
                ]
                print("| " + row.joined(separator: " | ") + " |")
            }
        }
    }

    var results: [String: Timing] = [:]
    for c in forwardCases {
        guard let fixture = try? c.makeFixture(pool: pool) else {
            print("\n(\(c.label): weights not found)")
            continue
        }
        results[c.label] = Timing.measure(samples: options.samples, minSampleSeconds: 0.005) { fixture.run() }
    }
    forwardResults[threads] = results
}

let peakAfter = sgemmPeak(blasThreads: 1)
print("\nSGEMM 1024³ at 1 OpenBLAS thread re-measured after everything: \(fmt(gflops(macs: peakMACs, seconds: peakAfter.chosen))) GFLOPS (drift check).")

print("\n## Forward passes (Workspace.run with input copy; median ms [min–p90]; effective GFLOPS from the chosen statistic)\n")
print(
    "| network | input | MMAC | " + options.threads.map { "\($0) thread\($0 == 1 ? "" : "s")" }.joined(separator: " | ") + " | effective GFLOPS ("
        + options.threads.map(String.init).joined(separator: "/") + " threads) | speedup, last vs first |")
print("|---|---|---:|" + options.threads.map { _ in "---:|" }.joined() + "---:|---:|")
for c in forwardCases {
    let macs = LayerCatalog.macs(c.layers)
    var cells: [String] = []
    var effective: [String] = []
    for threads in options.threads {
        if let t = forwardResults[threads]?[c.label] {
            cells.append("\(fmt(t.median * 1e3, 3)) [\(fmt(t.min * 1e3, 3))–\(fmt(t.p90 * 1e3, 3))]")
            effective.append(fmt(gflops(macs: macs, seconds: t.chosen)))
        } else {
            cells.append("–")
            effective.append("–")
        }
    }
    let shape = TensorShape(
        n: c.batch, h: c.height ?? (c.model == .pnet ? 12 : c.layers.first?.input.h ?? 0),
        w: c.width ?? (c.layers.first?.input.w ?? 0), c: c.layers.first?.input.c ?? 0)
    var speedup = "–"
    if let a = options.threads.first, let b = options.threads.last, a != b,
        let ta = forwardResults[a]?[c.label], let tb = forwardResults[b]?[c.label]
    {
        speedup = fmt(ta.chosen / tb.chosen, 2) + "×"
    }
    print(
        "| \(c.label) | \(shape) | \(fmt(Double(macs) / 1e6, 2)) | " + cells.joined(separator: " | ") + " | " + effective.joined(separator: " / ") + " | "
            + speedup + " |")
}
