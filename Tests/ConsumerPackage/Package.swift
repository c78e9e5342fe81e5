// swift-tools-version:6.0
// A package that depends on FERCore the way a user's package does, built with a plain
// `swift build -c release` (no flags): Tools/check_consumer_build.sh builds it and compares its
// speed with the same program built with the Makefile's old -march flags; `make test` checks
// that it runs the kernels the CPU supports. The dependency line is rewritten by the script for
// the versioned variant (a tagged local clone).
import PackageDescription

let package = Package(
    name: "FERCoreConsumer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "FERCore", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "fercore-consumer",
            dependencies: [.product(name: "FERCore", package: "FERCore"), .product(name: "FERMedia", package: "FERCore")]
        ),
    ]
)
