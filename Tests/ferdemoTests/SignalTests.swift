import Foundation
import Testing

/// Signals sent to a running `ferdemo live`: each one ends the run with the video finalised
/// (libavformat reads its duration), every JSON line whole, the report written, and the
/// documented status. No assertion depends on timing: each step waits for what it needs.
@Suite("ferdemo live: signals", .serialized)
struct SignalTests {
    /// Every frame detected (slow enough that a signal lands mid-run), sample clip, all outputs.
    static func arguments(video: URL, json: URL, report: URL) -> [String] {
        [
            "live", "--input", Demo.sample, "--no-window", "--detect-every", "1", "--sync-detection",
            "--output", video.path, "--json", json.path, "--report", report.path
        ]
    }

    /// Waits until the run has written at least `lines` JSON lines (it is mid-run then).
    static func waitForLines(_ json: URL, _ lines: Int) -> Bool {
        Demo.waitFor(120) {
            ((try? String(contentsOf: json, encoding: .utf8)) ?? "").split(separator: "\n").count >= lines
        }
    }

    /// The outputs a stopped run must leave: a video whose frames match the JSON lines and
    /// whose duration libavformat reads, whole JSON lines, a whole SVG report.
    static func expectFinalised(video: URL, json: URL, report: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let lines = try Outputs.jsonLines(json)
        #expect(lines.count >= 1 && lines.count < 300, "\(lines.count) lines", sourceLocation: sourceLocation)
        for (i, line) in lines.enumerated() { #expect(line["frame"] as? Int == i, sourceLocation: sourceLocation) }
        let duration = Outputs.probedDuration(video.path)
        #expect(duration != nil, "libavformat cannot read the video's duration (not finalised)", sourceLocation: sourceLocation)
        // The clip runs at 30 fps: duration = frames / 30, within one frame (the container's rounding).
        if let duration {
            #expect(abs(duration - Double(lines.count) / 30) <= 1.0 / 30 + 1e-6, "\(duration) s for \(lines.count) frames", sourceLocation: sourceLocation)
        }
        #expect(try Outputs.decodedFrames(video.path) == lines.count, sourceLocation: sourceLocation)
        let svg = try String(contentsOf: report, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"), sourceLocation: sourceLocation)
    }

    @Test("SIGTERM and SIGHUP: outputs finalised, then ferdemo ends by the signal (143, 129 in a shell)", arguments: [SIGTERM, SIGHUP])
    func terminate(signal: Int32) throws {
        let video = Demo.temporary("sig.mp4"), json = Demo.temporary("sig.jsonl"), report = Demo.temporary("sig.svg")
        let (process, _, err) = try Demo.start(Self.arguments(video: video, json: json, report: report))
        #expect(Self.waitForLines(json, 3))
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(
            process.terminationReason == .uncaughtSignal && process.terminationStatus == signal,
            "\(process.terminationReason) \(process.terminationStatus): \(stderr)")
        #expect(stderr.contains("stopped by \(signal == SIGTERM ? "SIGTERM" : "SIGHUP")") && stderr.contains("outputs finalised"), "\(stderr)")
        try Self.expectFinalised(video: video, json: json, report: report)
    }

    /// The report goes to a FIFO whose pipe holds 4 KiB and is not read: finalisation blocks on
    /// it, so the second Ctrl-C (and a SIGTERM) certainly arrive during finalisation.
    @Test("Ctrl-C, then Ctrl-C and SIGTERM during finalisation: acknowledged, not obeyed; status 0, outputs whole")
    func signalsDuringFinalisation() throws {
        let video = Demo.temporary("fin.mp4"), json = Demo.temporary("fin.jsonl")
        let fifo = Demo.temporary("report.svg")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let reader = open(fifo.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        #expect(reader >= 0)
        defer { close(reader) }
        let setPipeSize: Int32 = 1031 // F_SETPIPE_SZ: Linux-only, not imported
        #expect(fcntl(reader, setPipeSize, 4096) >= 4096)
        let (process, _, err) = try Demo.start(Self.arguments(video: video, json: json, report: fifo))
        #expect(Self.waitForLines(json, 3))
        kill(process.processIdentifier, SIGINT)
        // The report's first bytes arrive only once the loop has ended and finalisation began.
        var pfd = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
        #expect(Demo.waitFor(120) { poll(&pfd, 1, 0) == 1 })
        kill(process.processIdentifier, SIGINT)
        kill(process.processIdentifier, SIGTERM)
        #expect(Demo.waitFor(60) { ((try? String(contentsOf: err, encoding: .utf8)) ?? "").contains("Still finishing the outputs") })
        #expect(process.isRunning, "a signal during finalisation ended the process")
        // Now drain the FIFO: finalisation completes.
        var svg = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        _ = fcntl(reader, F_SETFL, 0)
        while true {
            let n = read(reader, &chunk, chunk.count)
            if n <= 0 { break }
            svg.append(contentsOf: chunk[0..<n])
        }
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "the first signal (Ctrl-C) decides: \(stderr)")
        let text = String(decoding: svg, as: UTF8.self)
        #expect(text.hasPrefix("<svg") && text.hasSuffix("</svg>\n"), "\(svg.count) bytes of report")
        let lines = try Outputs.jsonLines(json)
        #expect(Outputs.probedDuration(video.path) != nil)
        #expect(try Outputs.decodedFrames(video.path) == lines.count)
    }

    @Test("standard output closed by its reader (--json - | head -1): outputs finalised, ends by SIGPIPE (141)")
    func brokenStandardOutput() throws {
        let video = Demo.temporary("pipe.mp4"), report = Demo.temporary("pipe.svg")
        let pipe = Pipe()
        let err = Demo.temporary("err.txt")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = try Demo.start(
            ["live", "--input", Demo.sample, "--no-window", "--json", "-", "--output", video.path, "--report", report.path],
            stdout: pipe, stderr: try FileHandle(forWritingTo: err))
        // Read one line, as `head -1` does, then close the pipe.
        var first = Data()
        while !first.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            first.append(chunk)
        }
        try pipe.fileHandleForReading.close()
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGPIPE, "\(process.terminationStatus): \(stderr)")
        #expect(stderr.contains("writing standard output (--json) failed: Broken pipe (EPIPE)"), "\(stderr)")
        let line = try #require(String(decoding: first, as: UTF8.self).split(separator: "\n").first)
        #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) is [String: Any])
        let frames = try Outputs.decodedFrames(video.path)
        #expect(frames >= 1 && frames < 300)
        #expect(Outputs.probedDuration(video.path) != nil)
        #expect(try String(contentsOf: report, encoding: .utf8).hasSuffix("</svg>\n"))
    }

    @Test("standard error closed by its reader: outputs finalised, ends by SIGPIPE")
    func brokenStandardError() throws {
        let video = Demo.temporary("epipe.mp4"), json = Demo.temporary("epipe.jsonl"), report = Demo.temporary("epipe.svg")
        let pipe = Pipe()
        try pipe.fileHandleForReading.close() // nobody will read ferdemo's progress
        let process = try Demo.start(
            Self.arguments(video: video, json: json, report: report), stdout: FileHandle.nullDevice,
            stderr: pipe.fileHandleForWriting)
        try pipe.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(
            process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGPIPE, "\(process.terminationReason) \(process.terminationStatus)")
        try Self.expectFinalised(video: video, json: json, report: report)
    }
}
