// swift-tools-version:6.1
// FERCore's benchmarks: a package of their own so that FERCore itself never
// depends on package-benchmark (apple/swift-nio keeps its Benchmarks/ the same way).
//
//   swift package benchmark                     # all benchmarks (see Docs/Performance.md)
//   swift package benchmark thresholds check    # fails when a gated hot path mallocs
//   swift run -c release fercore-gemm-report    # per-layer GFLOPS vs SGEMM peak, Markdown
//   (add -Xswiftc -Xcc -Xswiftc -march=x86-64-v3 after `swift package` / `swift run`, as the Makefile does)
//
// One file per area in Benchmarks/FERCoreBenchmarks/ (Engine, Frames, Detection, Emotion,
// Tracking); a Pipeline file can be added the same way and registered in FERCoreBenchmarks.swift.
import PackageDescription

let package = Package(
    name: "FERCoreBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "FERCore", path: ".."),
        // Only the malloc interposer trait: the default traits would also pull in
        // swift-runtime-interposer (Linux, Swift 6.3), which this machine kind lacks.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Shapes of the real layers, weights lookup and timing helpers shared by both executables.
        // OpenBLAS for the SGEMM peak the packed kernel is compared with (FERCore does not link it).
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "FERBenchSupport",
            dependencies: ["COpenBLAS", .product(name: "FERCore", package: "FERCore"), .product(name: "FERMedia", package: "FERCore")],
            path: "Sources/FERBenchSupport"
        ),
        .executableTarget(
            name: "FERCoreBenchmarks",
            dependencies: [
                "FERBenchSupport",
                .product(name: "FERCore", package: "FERCore"),
                .product(name: "FERMedia", package: "FERCore"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/FERCoreBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "fercore-gemm-report",
            dependencies: ["FERBenchSupport", .product(name: "FERCore", package: "FERCore")],
            path: "Sources/fercore-gemm-report"
        ),
    ],
    swiftLanguageModes: [.v6]
)
