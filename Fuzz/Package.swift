// swift-tools-version:6.0
// libFuzzer targets for FERCore and FERMedia (Docs/Reliability.md). Built only by
// `make fuzz` (swift build --sanitize=fuzzer --sanitize=address), never by `make test`.
import PackageDescription

let targets = ["safetensors", "manifest", "jpeg", "image", "video", "detect", "usertext"]

let package = Package(
    name: "FERCoreFuzz",
    dependencies: [.package(name: "FERCore", path: "..")],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "FERCore", package: "FERCore")],
            path: "Sources/Shared"
        ),
    ] + targets.map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: [
                "FuzzSupport",
                .product(name: "FERCore", package: "FERCore"),
                .product(name: "FERMedia", package: "FERCore"),
                .product(name: "FERDemoSupport", package: "FERCore"),
            ],
            path: "Sources/\(name)",
            // libFuzzer supplies main(): the sources are a library's (no top-level code).
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    },
    swiftLanguageModes: [.v6]
)
