import FERCore
import FERDemoSupport
import FERMedia
import Foundation
import Testing

/// `ferdemo live` end to end: the built binary run as a process (debug builds are slow, so
/// the runs are a few frames long).
@Suite("ferdemo live", .serialized)
struct LiveCommandTests {
    /// Few frames, detection every 2, min face 30: a few seconds in a debug build.
    static let quick = [
        "live", "--input", Demo.sample, "--no-window", "--sync-detection", "--detect-every", "2",
        "--min-face", "30", "--threads", "2"
    ]

    @Test("headless on the sample: a playable video, valid JSON Lines, a report, a summary")
    func headless() throws {
        let video = Demo.temporary("out.mp4"), json = Demo.temporary("out.jsonl"), report = Demo.temporary("report.svg")
        let run = try Demo.run(Self.quick + ["--max-frames", "4", "--output", video.path, "--json", json.path, "--report", report.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("Summary: 4 frames"))
        #expect(run.stdout.contains("#1") && run.stdout.contains("happy"))

        let reader = try VideoReader(path: video.path)
        let buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        var frames = 0
        while try reader.nextFrame(into: buffer) != nil { frames += 1 }
        #expect(frames == 4)
        #expect(buffer.width == 640 && buffer.height == 480)

        let lines = try String(contentsOf: json, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        for (i, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["frame"] as? Int == i)
            #expect(object["timestamp"] is Double || object["timestamp"] is Int)
            let faces = try #require(object["faces"] as? [[String: Any]])
            #expect(faces.count == 1, "frame \(i)")
            let face = try #require(faces.first)
            #expect(face["id"] as? Int == 1)
            #expect((face["box"] as? [Double])?.count == 4)
            #expect((face["landmarks"] as? [[Double]])?.count == 5)
            #expect(face["label"] as? String == "happy")
            let probabilities = try #require(face["probabilities"] as? [String: Double])
            #expect(probabilities.count == 7)
            // The seven probabilities sum to 1 (tolerance: 5-decimal rounding of seven values).
            #expect(abs(probabilities.values.reduce(0, +) - 1) < 1e-4)
            // Every line is a FrameRecord, the schema's type (FERDemoSupport).
            let record = try JSONDecoder().decode(FrameRecord.self, from: Data(line.utf8))
            #expect(record.frame == i && record.faces.first?.label == "happy" && record.source == nil)
        }
        let svg = try String(contentsOf: report, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("polyline"))
    }

    @Test("input errors: clear messages and exit codes")
    func inputErrors() throws {
        let missing = try Demo.run(["live", "--input", "/nonexistent/clip.mp4", "--no-window"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no file or folder at '/nonexistent/clip.mp4'"))

        let garbage = Demo.temporary("garbage.mp4")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(to: garbage)
        let unreadable = try Demo.run(["live", "--input", garbage.path, "--no-window"])
        #expect(unreadable.status == 4)
        #expect(unreadable.stderr.contains("cannot read"))

        let camera = try Demo.run(["live", "--input", "/dev/video99", "--no-window"])
        #expect(camera.status == 3)
        #expect(camera.stderr.contains("no camera at /dev/video99"))

        let emptyFolder = Demo.temporary("empty")
        try FileManager.default.createDirectory(at: emptyFolder, withIntermediateDirectories: true)
        let empty = try Demo.run(["live", "--input", emptyFolder.path, "--no-window"])
        #expect(empty.status == 4)
        #expect(empty.stderr.contains("holds no"))

        let badOption = try Demo.run(["live", "--detect-every", "0", "--no-window"])
        #expect(badOption.status == 2)
        #expect(badOption.stderr.contains("--detect-every"))
    }

    @Test("Ctrl-C finalises the video and the JSON Lines")
    func interrupt() throws {
        let video = Demo.temporary("int.mp4"), json = Demo.temporary("int.jsonl")
        let (process, out, err) = try Demo.start(Self.quick + ["--output", video.path, "--json", json.path])
        // Wait for the first frames to be processed (the progress bar prints on stderr), then SIGINT.
        let started = Demo.waitFor(60) {
            ((try? String(contentsOf: err, encoding: .utf8)) ?? "").contains("frames")
        }
        #expect(started)
        usleep(500_000)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "stderr: \(stderr)")
        #expect(stderr.contains("stopped by Ctrl-C"))
        let lines = try String(contentsOf: json, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 1 && lines.count < 300)
        for line in lines { _ = try JSONSerialization.jsonObject(with: Data(line.utf8)) }
        let reader = try VideoReader(path: video.path)
        let buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        var frames = 0
        while try reader.nextFrame(into: buffer) != nil { frames += 1 }
        #expect(frames == lines.count, "video \(frames) frames, JSON \(lines.count) lines; stdout: \(stdout)")
    }

    /// A variable-frame-rate clip (gaps of 33 to 650 ms, as a phone or a dropping camera gives)
    /// written with --output keeps its timing. Before, ferdemo wrote every frame 1/fps after the
    /// last at the rate FFmpeg guessed (1000 fps for this Matroska file): 1.233 s became 7 ms.
    @Test("--output keeps a variable-frame-rate clip's timing")
    func variableFrameRateOutput() throws {
        let times = [0.0, 0.033, 0.1, 0.15, 0.5, 0.55, 1.2, 1.233]
        let input = Demo.temporary("vfr-input.mkv"), output = Demo.temporary("vfr-output.mkv")
        let writer = try VideoWriter(path: input.path, width: 64, height: 48)
        for (k, t) in times.enumerated() {
            let image = try Image(width: 64, height: 48, format: .rgb8, repeating: UInt8(20 * k))
            try image.withView { v throws(MediaError) in try writer.write(v, timestamp: t) }
        }
        try writer.finish()
        let run = try Demo.run(["live", "--input", input.path, "--no-window", "--quiet", "--output", output.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let reader = try VideoReader(path: output.path)
        let buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        var stamps: [Double] = []
        while let info = try reader.nextFrame(into: buffer) { stamps.append(info.timestamp) }
        #expect(stamps.count == times.count)
        for (got, want) in zip(stamps, times) { #expect(abs(got - want) <= 0.002, "\(stamps) vs \(times)") }
    }
}
