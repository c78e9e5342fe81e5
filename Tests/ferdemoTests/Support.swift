import Foundation
import Testing

/// Locating and running the built `ferdemo` binary.
enum Demo {
    /// The package root (this file is Tests/ferdemoTests/Support.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = root.appendingPathComponent("Samples/astronaut_pan.mp4").path

    /// The `ferdemo` built next to this test bundle (`swift build --build-tests` builds it into
    /// the same directory), or `$FERDEMO_BINARY`.
    static func binary() throws -> String {
        let fm = FileManager.default
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["FERDEMO_BINARY"] { candidates.append(env) }
        // The xctest bundle (or its runner) lives in the build products directory.
        for url in [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0])] {
            var dir = url.deletingLastPathComponent()
            for _ in 0..<3 {
                candidates.append(dir.appendingPathComponent("ferdemo").path)
                dir = dir.deletingLastPathComponent()
            }
        }
        candidates.append(root.appendingPathComponent(".build/debug/ferdemo").path)
        guard let found = candidates.first(where: { fm.isExecutableFile(atPath: $0) }) else {
            Issue.record("ferdemo binary not found (looked in \(candidates)); run `swift build --build-tests` first or set FERDEMO_BINARY")
            throw CancellationError()
        }
        return found
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts ferdemo with `arguments`; stdout and stderr go to temporary files.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, URL, URL) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary())
        p.arguments = arguments
        p.currentDirectoryURL = root
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = nil
        env["WAYLAND_DISPLAY"] = nil
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = temporary("out.txt"), err = temporary("err.txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        return (p, out, err)
    }

    /// Runs ferdemo to completion.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let (p, out, err) = try start(arguments, environment: environment)
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    static func temporary(_ name: String) -> URL {
        URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("ferdemo-test-\(UUID().uuidString)-\(name)")
    }

    /// Waits until `condition` holds or `seconds` pass.
    static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }
}
