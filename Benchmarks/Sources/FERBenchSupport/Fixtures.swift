@_spi(Kernels) import FERCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the benchmarks find `Weights/`: `$FERCORE_WEIGHTS` when set, otherwise the
/// checkout's `Weights/` found from this file's path (the benchmark tool runs with
/// another working directory, so FERCore's own `./Weights` lookup would miss).
public enum BenchWeights {
    public static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["FERCORE_WEIGHTS"], !dir.isEmpty { return dir }
        // <root>/Benchmarks/Sources/FERBenchSupport/Fixtures.swift → <root>/Weights
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Weights").path
    }

    public static func network(_ model: ModelFile) throws -> Network {
        try Network(contentsOf: model.path(in: directory))
    }
}

/// Monotonic time in seconds.
@inline(__always)
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Fills a buffer with a fixed pseudo-random sequence in [-1, 1) (no denormals, no NaNs).
public func fillRandom(_ p: UnsafeMutablePointer<Float>, count: Int, seed: UInt64) {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        p[i] = Float(state >> 40) / Float(1 << 23) - 1
    }
}

/// Timing statistics of repeated runs, in seconds per call.
public struct Timing: Sendable {
    public var median: Double
    public var min: Double
    public var p90: Double
    public var samples: Int

    /// Runs `body` in samples of `repeats` calls (chosen so that one sample takes
    /// at least `minSampleSeconds`) and returns per-call statistics over `samples` samples.
    public static func measure(samples: Int = 15, minSampleSeconds: Double = 0.002, _ body: () -> Void) -> Timing {
        body() // warm-up: plans, page faults, OpenBLAS buffers
        var repeats = 1
        while true {
            let t0 = monotonicSeconds()
            for _ in 0..<repeats { body() }
            let dt = monotonicSeconds() - t0
            if dt >= minSampleSeconds || repeats >= 1 << 20 { break }
            repeats = Swift.max(repeats * 2, Int(Double(repeats) * minSampleSeconds / Swift.max(dt, 1e-9) * 1.2))
        }
        var times: [Double] = []
        times.reserveCapacity(samples)
        for _ in 0..<samples {
            let t0 = monotonicSeconds()
            for _ in 0..<repeats { body() }
            times.append((monotonicSeconds() - t0) / Double(repeats))
        }
        times.sort()
        return Timing(
            median: times[times.count / 2], min: times[0],
            p90: times[Swift.min(times.count - 1, (times.count * 9) / 10)], samples: samples)
    }
}

/// `2·MACs / seconds` in GFLOPS.
public func gflops(macs: Int, seconds: Double) -> Double { 2 * Double(macs) / seconds / 1e9 }

/// A pool of `threads` threads for FERCore's loops, with the benchmarks' OpenBLAS kept
/// single-threaded (its SGEMM is compared with one pool thread's packed kernel).
public func makePool(threads: Int) -> WorkerPool {
    BLAS.setThreads(1)
    return threads == 1 ? .serial : WorkerPool(threads: threads)
}

/// Owns random buffers for one layer and runs it, whole or in parts.
public final class LayerFixture {
    public let layer: LayerShape
    public let pool: WorkerPool
    let input: UnsafeMutablePointer<Float>
    let kernel: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
    let alpha: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    let scratchCount: Int
    /// The kernel, bias and alphas as the engine keeps them for ``PackedConvolution``.
    let packed: [Float]
    let paddedBias: [Float]
    let paddedAlpha: [Float]

    public init(_ layer: LayerShape, pool: WorkerPool) {
        self.layer = layer
        self.pool = pool
        let inCount = layer.input.count
        let kCount = layer.k * layer.n
        input = .allocate(capacity: inCount)
        kernel = .allocate(capacity: Swift.max(kCount, 1))
        bias = .allocate(capacity: layer.n)
        alpha = .allocate(capacity: layer.n)
        output = .allocate(capacity: layer.output.count)
        if let g = layer.geometry, layer.op == .conv {
            // The whole im2col matrix (runIm2col) and the layer's per-thread blocks (runLayer).
            scratchCount = Swift.max(
                Im2col.count(shape: layer.input, geometry: g),
                PackedConvolution.scratchCount(shape: layer.input, geometry: g, threads: pool.threads))
        } else {
            scratchCount = 0
        }
        scratch = .allocate(capacity: Swift.max(scratchCount, 1))
        fillRandom(input, count: inCount, seed: 1)
        fillRandom(kernel, count: kCount, seed: 2)
        fillRandom(bias, count: layer.n, seed: 3)
        for i in 0..<layer.n { alpha[i] = 0.25 }
        output.initialize(repeating: 0, count: layer.output.count)
        scratch.initialize(repeating: 0, count: Swift.max(scratchCount, 1))
        if layer.op == .conv || layer.op == .dense {
            packed = PackedConvolution.pack(Array(UnsafeBufferPointer(start: kernel, count: kCount)), k: layer.k, cout: layer.n)
            paddedBias = PackedConvolution.padChannels(Array(UnsafeBufferPointer(start: bias, count: layer.n)), cout: layer.n)
            paddedAlpha = PackedConvolution.padChannels(Array(UnsafeBufferPointer(start: alpha, count: layer.n)), cout: layer.n)
        } else {
            packed = []; paddedBias = []; paddedAlpha = []
        }
        if layer.op == .conv, !layer.isPointwise { runIm2col() } // so GEMM-only runs read a real A matrix
    }

    deinit {
        input.deallocate(); kernel.deallocate(); bias.deallocate(); alpha.deallocate()
        output.deallocate(); scratch.deallocate()
    }

    var activation: Activation {
        switch layer.activation {
        case .none: return .none
        case .relu: return .relu
        case .prelu: return .prelu(UnsafePointer(alpha))
        }
    }

    /// The whole layer as the engine runs it (``PackedConvolution`` with bias/activation
    /// fused, for dense layers as a 1×1 convolution of the rows, or the depthwise loop).
    public func runLayer() {
        switch layer.op {
        case .conv, .dense:
            packed.withUnsafeBufferPointer { w in
                paddedBias.withUnsafeBufferPointer { b in
                    paddedAlpha.withUnsafeBufferPointer { a in
                        let act: Activation
                        switch layer.activation {
                        case .none: act = .none
                        case .relu: act = .relu
                        case .prelu: act = .prelu(a.baseAddress!)
                        }
                        if layer.op == .dense {
                            PackedConvolution.dense(
                                input: input, rows: layer.input.n, inputs: layer.input.c, packed: w.baseAddress!,
                                bias: b.baseAddress!, cout: layer.cout, activation: act, output: output, pool: pool)
                        } else if let g = layer.geometry {
                            PackedConvolution.conv2d(
                                input: input, shape: layer.input, geometry: g, packed: w.baseAddress!,
                                bias: b.baseAddress!, cout: layer.cout, activation: act, output: output,
                                scratch: scratch, pool: pool)
                        }
                    }
                }
            }
        case .depthwise:
            guard let g = layer.geometry else { return }
            Depthwise.conv2d(
                input: input, shape: layer.input, geometry: g, kernel: kernel, bias: nil,
                activation: activation, output: output, pool: pool)
        }
    }

    /// im2col alone (no-op for pointwise convs, depthwise and dense layers).
    public func runIm2col() {
        guard layer.op == .conv, !layer.isPointwise, let g = layer.geometry else { return }
        Im2col.im2col(input: input, shape: layer.input, geometry: g, into: scratch, pool: pool)
    }

    /// `cblas_sgemm` alone on this layer's exact GEMM shape (M × N × K); nil for depthwise.
    public var hasGEMM: Bool { layer.op != .depthwise }

    var gemmA: UnsafePointer<Float> {
        (layer.op == .conv && !layer.isPointwise) ? UnsafePointer(scratch) : UnsafePointer(input)
    }

    public func runGEMM() {
        BLAS.gemm(m: layer.m, n: layer.n, k: layer.k, a: gemmA, b: kernel, c: output)
    }
}

/// A square (or any) SGEMM with its own buffers: the peak to compare layers with.
public final class SGEMMFixture {
    public let m: Int, n: Int, k: Int
    let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>

    public init(m: Int, n: Int, k: Int) {
        self.m = m; self.n = n; self.k = k
        a = .allocate(capacity: m * k); b = .allocate(capacity: k * n); c = .allocate(capacity: m * n)
        fillRandom(a, count: m * k, seed: 4)
        fillRandom(b, count: k * n, seed: 5)
        c.initialize(repeating: 0, count: m * n)
    }

    deinit { a.deallocate(); b.deallocate(); c.deallocate() }

    public var macs: Int { m * n * k }

    public func run() { BLAS.gemm(m: m, n: n, k: k, a: a, b: b, c: c) }
}

/// One network, one workspace and one input, planned and warmed up.
public final class ForwardFixture {
    public let network: Network
    public let workspace: Workspace
    public let shape: TensorShape

    let input: UnsafeMutableBufferPointer<Float>

    public init(_ model: ModelFile, batch: Int = 1, height: Int? = nil, width: Int? = nil, pool: WorkerPool) throws {
        network = try BenchWeights.network(model)
        workspace = Workspace(network: network, pool: pool)
        let ref = network.referenceInputShape
        shape = TensorShape(n: batch, h: height ?? ref.h, w: width ?? ref.w, c: ref.c)
        input = .allocate(capacity: shape.count)
        if let base = input.baseAddress { fillRandom(base, count: shape.count, seed: 6) }
        try workspace.run(UnsafeBufferPointer(input), shape: shape) // plans and sizes the arena once
    }

    deinit { input.deallocate() }

    /// One forward pass as a caller runs it: copy the input in, run every layer.
    /// (The planner may reuse the input's memory for later layers, so it is copied each time.)
    public func run() {
        try? workspace.run(UnsafeBufferPointer(input), shape: shape)
    }
}

/// The forward passes the benchmarks and the report time.
public struct ForwardCase: Sendable {
    public var label: String
    public var model: ModelFile
    public var batch: Int
    public var height: Int?
    public var width: Int?

    public static let all: [ForwardCase] = [
        ForwardCase(label: "pnet 384x288", model: .pnet, batch: 1, height: 288, width: 384),
        ForwardCase(label: "rnet b1", model: .rnet, batch: 1),
        ForwardCase(label: "rnet b16", model: .rnet, batch: 16),
        ForwardCase(label: "onet b1", model: .onet, batch: 1),
        ForwardCase(label: "onet b8", model: .onet, batch: 8),
        ForwardCase(label: "mini_xception b1", model: .emotion, batch: 1),
        ForwardCase(label: "mini_xception b8", model: .emotion, batch: 8)
    ]

    public func makeFixture(pool: WorkerPool) throws -> ForwardFixture {
        try ForwardFixture(model, batch: batch, height: height, width: width, pool: pool)
    }

    /// The compute layers of this case (for MAC counts).
    public var layers: [LayerShape] {
        switch model {
        case .pnet: return LayerCatalog.pnet(width: width ?? 12, height: height ?? 12)
        case .rnet: return LayerCatalog.rnet(batch: batch)
        case .onet: return LayerCatalog.onet(batch: batch)
        case .emotion: return LayerCatalog.miniXception(batch: batch)
        // No per-layer catalog: the emotion benchmarks time these models whole.
        case .fernet, .fernetInt8: return []
        }
    }
}
