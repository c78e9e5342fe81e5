import ArgumentParser
import FERCore
import FERDemoSupport
import FERMedia
import Foundation

/// `ferdemo live` (the default subcommand): the detect–track–classify pipeline on a camera,
/// a video file or a folder of images, shown in a window or run headless.
struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect, track and classify faces live: camera, video file or image folder; window or headless.",
        discussion: """
            With no arguments: the first camera (/dev/video0) if present, otherwise the sample clip \
            Samples/astronaut_pan.mp4; a window when a display is available (DISPLAY or WAYLAND_DISPLAY), \
            otherwise headless with a progress bar and a summary. Nothing is written unless --output, \
            --json or --report is given; --json - writes the JSON Lines to standard output (the summary \
            then goes to standard error). No output may name an input or another output. In the window, \
            q or Esc quits.

            Ctrl-C, SIGTERM and SIGHUP stop cleanly: the output video, the JSON Lines file and the report \
            are finalised first (a second Ctrl-C does not interrupt that; Ctrl-\\ abandons them). A write \
            error on any output (disk full, a closed pipe) stops the run the same way.

            EXAMPLES:
              ferdemo live
              ferdemo live --input clip.mp4 --output annotated.mp4 --json faces.jsonl
              ferdemo live --input clip.mp4 --report timeline.svg --no-window
              ferdemo live --input /dev/video2 --camera-size 1280x720
              ferdemo live --input photos/ --folder-as photos --json - | jq .source

            \(ExitStatus.helpText)
            """)

    @Option(help: "Video file, folder of images, camera path (/dev/video0) or camera index (0). Default: camera 0, else the sample clip.")
    var input: String?

    @Option(help: "Write the annotated video here (.mp4, .mkv or .avi).")
    var output: String?

    @Option(help: "Write one JSON object per frame here (JSON Lines); - for standard output.")
    var json: String?

    @Option(help: "Write a timeline of each face's emotion probabilities here (.png or .svg).")
    var report: String?

    @Option(help: "Run face detection every N frames (and at once when a track is lost); 1...1000000.")
    var detectEvery = PipelineOptions().detectEvery

    @Option(help: "Classify each face every M frames (smoothed per track); 1...1000000.")
    var classifyEvery = PipelineOptions().classifyEvery

    @Option(help: "Smallest face to detect, in pixels (MTCNN's minimum face size).")
    var minFace = FaceDetectorOptions().minimumFaceSize

    @Option(help: "Track and classify at most this many faces (1...256).")
    var maxFaces = PipelineOptions().maximumFaces

    @Option(help: "Threads for detection, tracking and classification (1...256).")
    var threads = PipelineOptions().threads

    @Option(help: "Stop after this many frames.")
    var maxFrames: Int?

    @Option(
        help: "Files and folders: apply each detection this many frames after the frame it ran on (0...1000; 0: at once). The output is the same on every run.")
    var detectionLatency = PipelineOptions().detectionLatency

    @Option(
        help:
            "A folder's images are 'frames' of one sequence (tracked across images) or separate 'photos' (each detected on its own); 'auto' chooses frames when the file names are consecutively numbered."
    )
    var folderAs: FolderMode = .auto

    @Option(help: "Cameras: the size to ask for, WIDTHxHEIGHT (the camera may choose the nearest size it has).")
    var cameraSize = "640x480"

    @Option(help: "Cameras: the frame rate to ask for (1...1000).")
    var cameraFps = 30

    @Flag(help: "In the window, show a file as fast as it can be processed instead of at its own frame rate.")
    var fast = false

    @Flag(help: "Never open a window, even when a display is available.")
    var noWindow = false

    @Flag(help: "Print no progress bar and no summary (errors still go to stderr).")
    var quiet = false

    @Flag(help: "Run detection inline on the frame path (frames with detection take longer).")
    var syncDetection = false

    @OptionGroup var modelOption: EmotionModelOption

    @Option(help: "Directory holding the *.safetensors weights (default: $FERCORE_WEIGHTS or ./Weights).")
    var weights: String?

    @Option(help: ArgumentHelp("Keep the window open on the last frame for this many seconds (screenshots, tests).", visibility: .hidden))
    var holdLastFrame: Double = 0

    func validate() throws {
        try OptionCheck.range(detectEvery, "--detect-every", OptionLimits.framePeriod)
        try OptionCheck.range(classifyEvery, "--classify-every", OptionLimits.framePeriod)
        try OptionCheck.range(minFace, "--min-face", OptionLimits.minimumFace)
        try OptionCheck.range(maxFaces, "--max-faces", OptionLimits.maximumFaces)
        try OptionCheck.range(threads, "--threads", OptionLimits.threads)
        if let maxFrames { try OptionCheck.range(maxFrames, "--max-frames", OptionLimits.maximumFrames) }
        try OptionCheck.range(detectionLatency, "--detection-latency", OptionLimits.detectionLatency)
        try OptionCheck.range(holdLastFrame, "--hold-last-frame", OptionLimits.seconds)
        try OptionCheck.range(cameraFps, "--camera-fps", OptionLimits.cameraRate)
        _ = try OptionCheck.parse { () throws(UserTextError) in try UserText.size(cameraSize, option: "--camera-size", sides: OptionLimits.side) }
        if let report { try Report.validate(path: report) }
        if let output {
            let ext = (output as NSString).pathExtension.lowercased()
            guard ["mp4", "mkv", "avi"].contains(ext) else { throw ValidationError("--output must end in .mp4, .mkv or .avi, got '\(output)'.") }
        }
    }

    func run() throws {
        // Signals first: a SIGTERM while the networks load must also end cleanly.
        Interrupt.install()
        defer { Interrupt.reset() }
        let size = try OptionCheck.parse { () throws(UserTextError) in try UserText.size(cameraSize, option: "--camera-size", sides: OptionLimits.side) }
        var cameraOptions = V4L2Camera.Options()
        cameraOptions.width = size.width
        cameraOptions.height = size.height
        cameraOptions.framesPerSecond = cameraFps

        let source: LiveInput
        do { source = try LiveInput.open(input, camera: cameraOptions) } catch let error as LiveInputError {
            throw CommandFailure("live", error.status, error.message)
        }
        defer { source.close() }

        // Nothing is written over an input or another output, nor two outputs to one file.
        let jsonToStandardOutput = json == "-"
        var outputs: [OutputPlan.Entry] = []
        if let output { outputs.append(.init(option: "--output", path: output)) }
        if let json { outputs.append(.init(option: "--json", path: json)) }
        if let report { outputs.append(.init(option: "--report", path: report)) }
        let inputs = source.inputPaths.map { OutputPlan.Entry(option: "--input", path: $0) } + Output.weightsInputs(weights)
        try Output.checkPlan("live", outputs: outputs, inputs: inputs, standardOutputCarriesText: !quiet && !jsonToStandardOutput)
        // The video and the report are written later: check now that they can be.
        for entry in outputs where entry.option != "--json" {
            do { try OutputFile.preflight(path: entry.path, option: entry.option) } catch { throw Output.failure("live", error) }
        }

        var config = PipelineOptions()
        config.detectEvery = detectEvery
        config.classifyEvery = classifyEvery
        config.maximumFaces = maxFaces
        config.threads = threads
        config.detector.minimumFaceSize = minFace
        // A minimum face too small for this input's frame size would fail at the first frame:
        // refuse it now, as detect does (status 2, nothing written, the value that fits named).
        if let size = source.frameSize {
            do throws(DetectionError) {
                try config.detector.validate(imageWidth: size.width, imageHeight: size.height)
            } catch { throw CommandFailure("live", .usage, "\(source.name): \(error)") }
        }
        // A camera keeps the lowest latency (detections applied as soon as they arrive); files and
        // folders apply them at fixed frames, so the same input gives the same output on every run.
        config.detectionMode = syncDetection ? .synchronous : (source.isCamera ? .asynchronous : .deferred)
        config.detectionLatency = detectionLatency
        let photos: Bool
        switch (source, folderAs) {
        case (.folder, .photos): photos = true
        case let (.folder(f), .auto): photos = !f.isNumberedSequence
        default: photos = false
        }
        config.weightsDirectory = weights
        config.emotionModel = modelOption.model
        let pipeline: EmotionPipeline
        do { pipeline = try EmotionPipeline(options: config) } catch {
            throw ModelLoadFailure.failure("live", "the networks", error)
        }

        var window: Window?
        if !noWindow, Window.displayAvailable {
            do { window = try Window(title: "ferdemo live — q or Esc quits", width: 640, height: 480) } catch {
                Console.err("ferdemo live: \(error) Continuing headless.\n")
            }
        }
        let headless = window == nil
        if !quiet {
            Console.err(
                "ferdemo live: \(source.name)\(photos ? " as separate photos" : "") → \(headless ? "headless" : "window")"
                    + ", detect every \(detectEvery), classify every \(classifyEvery), \(threads) thread(s)\n")
        }

        // Every write error is remembered with the output it hit; the first one stops the run.
        var outputFailure: OutputError?
        var failedInLoop = false
        var videoFailure: MediaError?
        var jsonWriter: JSONLinesWriter?
        if let json {
            do { jsonWriter = try JSONLinesWriter(path: json) } catch { throw Output.failure("live", error) }
        }
        var folderPath: String? { if case let .folder(f) = source { return f.lastPath } else { return nil } }
        var videoWriter: VideoWriter?
        var reportData: Report? = report == nil ? nil : Report()
        var summary = LiveSummary()
        let expected = min(source.expectedFrames ?? Int.max, maxFrames ?? Int.max)
        let progress = ProgressBar(total: expected == Int.max ? nil : expected, enabled: headless && !quiet)
        let annotate = window != nil || output != nil

        let frame = try ImageBuffer(width: 640, height: 480, format: .rgb8)
        var result = FrameResult()
        result.faces.reserveCapacity(maxFaces)
        var quitByUser = false
        var fps = 0.0
        let start = MonotonicClock.seconds()
        var previous = start
        var inputFailure: Error?
        var runFailure: Error?
        var pacer = Pacer(framesPerSecond: photos ? 1 : 0)

        loop: while true {
            if let maxFrames, summary.frames >= maxFrames { break }
            if Interrupt.isRequested { break }
            let info: FrameInfo
            do {
                guard let next = try source.next(into: frame) else { break }
                info = next
            } catch {
                inputFailure = error
                break
            }
            do {
                if photos, summary.frames > 0 { try pipeline.reset() }
                try pipeline.process(frame.view, info: info, into: &result)
            } catch {
                runFailure = error
                break
            }
            do { try jsonWriter?.write(result, source: folderPath) } catch {
                outputFailure = error
                break
            }
            reportData?.record(result)
            if annotate {
                Overlay.draw(result, on: frame.mutableView, fps: fps)
                if let output {
                    do {
                        if videoWriter == nil {
                            var options = VideoWriter.Options()
                            options.framesPerSecond = max(1, Int(source.framesPerSecond.rounded()))
                            videoWriter = try VideoWriter(path: output, width: frame.width, height: frame.height, options: options)
                        }
                        // The frame's own time: a variable-frame-rate clip keeps its duration
                        // (a camera's frames keep their capture times, gaps included).
                        try videoWriter?.write(frame.view, timestamp: info.timestamp)
                    } catch {
                        videoFailure = error
                        break
                    }
                }
                if let w = window {
                    if !fast, !source.isCamera { pacer.wait(until: info.timestamp) }
                    do { try w.present(frame.view) } catch {
                        runFailure = error
                        break
                    }
                    if w.poll() == .quit { quitByUser = true; break loop }
                }
            }
            let now = MonotonicClock.seconds()
            let dt = now - previous
            previous = now
            fps = fps == 0 ? 1 / max(dt, 1e-6) : 0.9 * fps + 0.1 / max(dt, 1e-6)
            summary.record(result, loopSeconds: dt)
            progress.update(frames: summary.frames)
            if let failure = Console.standardErrorFailure {
                outputFailure = failure
                break
            }
        }
        summary.wallSeconds = MonotonicClock.seconds() - start
        progress.finish(frames: summary.frames)
        failedInLoop = outputFailure != nil || videoFailure != nil

        // Finalise every output whatever ended the loop (end, q, a signal, an error). Signals
        // arriving from here on are acknowledged and do not interrupt this.
        Interrupt.beginFinalising()
        do { try videoWriter?.finish() } catch { videoFailure = videoFailure ?? error }
        do { try jsonWriter?.finish() } catch { outputFailure = outputFailure ?? error }
        var reportWritten = false
        if let report, let reportData {
            do {
                try reportData.write(to: report)
                reportWritten = true
            } catch let error as OutputError {
                outputFailure = outputFailure ?? error
            } catch {
                Console.err("ferdemo live: writing the report '\(report)' failed: \(error)\n")
                outputFailure = outputFailure ?? .writeFailed(output: "--report", path: report, errno: EIO)
            }
        }
        if let w = window, holdLastFrame > 0, !quitByUser, !Interrupt.isRequested {
            Console.err("ferdemo live: holding the last frame for \(holdLastFrame) s\n")
            let until = MonotonicClock.seconds() + holdLastFrame
            while MonotonicClock.seconds() < until, !Interrupt.isRequested {
                if w.poll() == .quit { break }
                try? w.present(frame.view)
                usleep(20_000)
            }
        }
        if case let .camera(c) = source, c.droppedFrames > 0 {
            Console.err("ferdemo live: dropped \(c.droppedFrames) damaged frame(s) from the camera (fewer bytes than a frame needs).\n")
        }
        if let signal = Interrupt.signal {
            let name = signal == SIGINT ? "Ctrl-C (SIGINT)" : signal == SIGTERM ? "SIGTERM" : signal == SIGHUP ? "SIGHUP" : "signal \(signal)"
            Console.err("ferdemo live: stopped by \(name) at frame \(summary.frames); outputs finalised.\n")
        }
        if !quiet {
            var text = summary.text(mode: config.detectionMode, threads: threads) + "\n"
            var written: [String] = []
            if let output, let v = videoWriter, videoFailure == nil { written.append("\(output) (\(v.framesWritten) frames, \(v.encoderName))") }
            if let json, let j = jsonWriter, outputFailure?.output != "--json" {
                written.append("\(jsonToStandardOutput ? "standard output" : json) (\(j.linesWritten) lines)")
            }
            if let report, reportWritten { written.append(report) }
            if !written.isEmpty { text += "  wrote " + written.joined(separator: ", ") + "\n" }
            // The summary goes where it cannot mix with the JSON Lines.
            if jsonToStandardOutput || outputFailure?.output == Console.standardOutputName {
                Console.err(text)
            } else {
                do { try Console.out(text) } catch { outputFailure = outputFailure ?? error }
            }
        }

        // The exit status: output failures first (they lose data), then the input, the run, a signal.
        if let videoFailure {
            let when = failedInLoop ? "stopped after \(summary.frames) frames" : "at the end, after \(summary.frames) frames"
            throw CommandFailure(
                "live", .outputFailed, "writing the video '\(output ?? "")' (--output) failed (\(when); the other outputs are finalised): \(videoFailure)")
        }
        if let outputFailure {
            let when = failedInLoop ? "stopped after \(summary.frames) frames" : "at the end, after \(summary.frames) frames"
            let message = "\(outputFailure) (\(when); the other outputs are finalised)"
            if outputFailure.isBrokenPipe {
                Console.err("ferdemo live: \(message)\n")
                throw EndBySignal(signal: SIGPIPE)
            }
            throw CommandFailure("live", .outputFailed, message)
        }
        if let inputFailure {
            let status: ExitStatus = source.isCamera ? .cameraUnusable : .inputUnreadable
            throw CommandFailure(
                "live", status,
                "reading \(source.isCamera ? "the camera" : "the input") failed after \(summary.frames) frames: \(inputFailure) Outputs finalised.")
        }
        if let runFailure {
            throw CommandFailure("live", .failure, "stopped after \(summary.frames) frames: \(runFailure) Outputs finalised.")
        }
        // A camera's stream has no end of its own: when it ends, the camera failed (unplugged).
        if case let .camera(c) = source, let reason = c.endReason, !Interrupt.isRequested, !quitByUser {
            throw CommandFailure("live", .cameraUnusable, "the camera \(c.path) stopped after \(summary.frames) frames: \(reason). Outputs finalised.")
        }
        try Output.endIfSignalled()
    }
}

/// How `ferdemo live` reads a folder of images.
enum FolderMode: String, ExpressibleByArgument, CaseIterable {
    case auto, frames, photos
}

/// Shows frames at their own timestamps, as a video player does: waits until the frame's time
/// (relative to the first frame) has passed on the monotonic clock. If processing falls behind,
/// frames are shown as soon as they are ready and the clock is not reset (no catch-up burst
/// beyond the backlog). `framesPerSecond` > 0 overrides the timestamps (photos: one a second).
struct Pacer {
    let framesPerSecond: Double
    private var origin: (stream: Double, clock: Double)?
    private var count = 0

    init(framesPerSecond: Double) { self.framesPerSecond = framesPerSecond }

    mutating func wait(until timestamp: Double) {
        let t = framesPerSecond > 0 ? Double(count) / framesPerSecond : timestamp
        count += 1
        guard let origin else {
            origin = (t, MonotonicClock.seconds())
            return
        }
        let delay = (t - origin.stream) - (MonotonicClock.seconds() - origin.clock)
        // Cap a single wait (a timestamp jump in a broken file must not freeze the window).
        if delay > 0 { usleep(useconds_t(min(delay, 2) * 1e6)) }
    }
}
