// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "FERCore",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "FERCore", targets: ["FERCore"]),
        .library(name: "FERMedia", targets: ["FERMedia"]),
        // ferdemo's parsers and output rules, a product only so that Fuzz/ can reach them.
        .library(name: "FERDemoSupport", targets: ["FERDemoSupport"]),
        .executable(name: "ferdemo", targets: ["ferdemo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `ferdemo serve` only (FERServe): a package depending on the FERCore or FERMedia
        // products builds none of these.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CV4L2",
            path: "Sources/CV4L2",
            pkgConfig: "libv4l2",
            providers: [.apt(["libv4l-dev"])]
        ),
        // SDL2 for ferdemo's window, loaded with dlopen when a window is opened (start-up time).
        .target(
            name: "CSDL2",
            path: "Sources/CSDL2",
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // FFmpeg's headers (libavformat-dev, libavcodec-dev, libswscale-dev, libavutil-dev); the
        // libraries are opened with dlopen on first use, not linked (start-up time: Sources/CFFmpeg).
        .target(
            name: "CFFmpeg",
            path: "Sources/CFFmpeg",
            linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]
        ),
        // The innermost loops for AVX2+FMA and AVX-512, chosen at run time (no build flags needed).
        .target(
            name: "CFERKernels",
            path: "Sources/CFERKernels"
        ),
        .target(
            name: "FERCore",
            dependencies: ["CV4L2", "CFERKernels"],
            path: "Sources/FERCore"
        ),
        .systemLibrary(
            name: "CJPEG",
            path: "Sources/CJPEG",
            pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]
        ),
        .target(
            name: "FERMedia",
            dependencies: ["FERCore", "CFFmpeg", "CJPEG"],
            path: "Sources/FERMedia"
        ),
        // ferdemo's parsers of user text, exit statuses, and output files (written in place or
        // through a temporary and a rename), in a library of their own so that tests and fuzz
        // targets can reach them. Depends on nothing but the C library.
        .target(
            name: "FERDemoSupport",
            path: "Sources/FERDemoSupport"
        ),
        // `ferdemo serve`: the HTTP and WebSocket API, the live page and the metrics
        // (Docs/Serving.md), on Hummingbird 2.
        .target(
            name: "FERServe",
            dependencies: [
                "FERCore",
                "FERMedia",
                "FERDemoSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/FERServe"
        ),
        .executableTarget(
            name: "ferdemo",
            dependencies: [
                "FERCore",
                "FERMedia",
                "FERDemoSupport",
                "FERServe",
                "CSDL2",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/ferdemo"
        ),
        .testTarget(
            name: "FERCoreTests",
            dependencies: ["FERCore"],
            path: "Tests/FERCoreTests"
        ),
        .testTarget(
            name: "FERMediaTests",
            dependencies: ["FERMedia", "FERCore"],
            path: "Tests/FERMediaTests"
        ),
        .testTarget(
            name: "FERServeTests",
            dependencies: [
                "FERServe",
                "FERCore",
                "FERMedia",
                "FERDemoSupport",
                // No HummingbirdTesting: it brings AsyncHTTPClient and BoringSSL (minutes of CI
                // build); the tests talk HTTP and WebSocket over loopback themselves (LoopbackClient).
            ],
            path: "Tests/FERServeTests"
        ),
        .testTarget(
            name: "ferdemoTests",
            dependencies: ["FERMedia", "FERCore", "FERDemoSupport", "CFFmpeg"],
            path: "Tests/ferdemoTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
