import CFFmpeg
import FERCore
import FERMedia
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

    /// A character device that fails every write with ENOSPC, like /dev/full: a private node
    /// (mknod c 1 7) in a temporary folder, so that a regression that replaced its output by a
    /// rename would replace this node and not the system's /dev/full. Without the right to
    /// create device nodes, /dev/full itself (such a user cannot rename over it either).
    static func fullDevice() throws -> String {
        let dir = temporary("dev")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("full").path
        // makedev(1, 7) in the Linux encoding (a macro Swift does not import): major 1, minor 7.
        if mknod(path, S_IFCHR | 0o666, dev_t(1 << 8 | 7)) == 0 { return path }
        return "/dev/full"
    }

    /// True when `path` is (still) a character device.
    static func isCharacterDevice(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR
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
        return Run(
            status: p.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Starts ferdemo with the given standard output and error (pipes, files, devices).
    static func start(_ arguments: [String], stdout: Any, stderr: Any, environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary())
        p.arguments = arguments
        p.currentDirectoryURL = root
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = nil
        env["WAYLAND_DISPLAY"] = nil
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.standardOutput = stdout
        p.standardError = stderr
        try p.run()
        return p
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

/// What a run left behind, read back the way a user's tools would.
enum Outputs {
    /// The container's duration in seconds as libavformat reports it after reading the header
    /// and probing the streams (what `ffprobe -show_format` prints), or nil when the file does
    /// not open as a video (e.g. an MP4 without its index).
    static func probedDuration(_ path: String) -> Double? {
        var context: UnsafeMutablePointer<AVFormatContext>?
        guard fercore_ffmpeg_load(nil, 0) == 1 else { return nil }
        guard avformat_open_input(&context, path, nil, nil) == 0, let c = context else { return nil }
        defer { avformat_close_input(&context) }
        guard avformat_find_stream_info(c, nil) >= 0, c.pointee.duration > 0 else { return nil }
        return Double(c.pointee.duration) / Double(AV_TIME_BASE)
    }

    /// The number of frames FERMedia's reader decodes from `path`.
    static func decodedFrames(_ path: String) throws -> Int {
        let reader = try VideoReader(path: path)
        let buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        var frames = 0
        while try reader.nextFrame(into: buffer) != nil { frames += 1 }
        return frames
    }

    /// The lines of a JSON Lines file, each parsed (a line that does not parse fails the test).
    static func jsonLines(_ url: URL) throws -> [[String: Any]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try jsonLines(text)
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        #expect(text.isEmpty || text.hasSuffix("\n"), "the last line is cut: \(text.suffix(80))")
        return try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line.prefix(120))")
        }
    }
}
