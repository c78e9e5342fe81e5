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
        .executableTarget(
            name: "ferdemo",
            dependencies: [
                "FERCore",
                "FERMedia",
                "FERDemoSupport",
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
            name: "ferdemoTests",
            dependencies: ["FERMedia", "FERCore", "FERDemoSupport", "CFFmpeg"],
            path: "Tests/ferdemoTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
