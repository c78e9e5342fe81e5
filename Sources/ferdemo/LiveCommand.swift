import ArgumentParser
import FERCore
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
        --json or --report is given. In the window, q or Esc quits. Ctrl-C stops cleanly: the output \
        video and the JSON Lines file are finalised.

        Exit codes: 0 done (also after Ctrl-C or q), 2 bad option, 3 input missing (file, folder or \
        camera), 4 input unreadable, 5 camera unusable, 1 other failures.
        """)

    @Option(help: "Video file, folder of images, camera path (/dev/video0) or camera index (0). Default: camera 0, else the sample clip.")
    var input: String?

    @Option(help: "Write the annotated video here (.mp4, .mkv or .avi).")
    var output: String?

    @Option(help: "Write one JSON object per frame here (JSON Lines).")
    var json: String?

    @Option(help: "Write a timeline of each face's emotion probabilities here (.png or .svg).")
    var report: String?

    @Option(help: "Run face detection every N frames (and at once when a track is lost).")
    var detectEvery = PipelineConfig().detectEvery

    @Option(help: "Classify each face every M frames (smoothed per track).")
    var classifyEvery = PipelineConfig().classifyEvery

    @Option(help: "Smallest face to detect, in pixels (MTCNN's minimum face size).")
    var minFace = FaceDetectorOptions().minimumFaceSize

    @Option(help: "Track and classify at most this many faces.")
    var maxFaces = PipelineConfig().maximumFaces

    @Option(help: "Threads for detection, tracking and classification.")
    var threads = PipelineConfig().threads

    @Option(help: "Stop after this many frames.")
    var maxFrames: Int?

    @Option(help: "Files and folders: apply each detection this many frames after the frame it ran on (0: at once). The output is the same on every run.")
    var detectionLatency = PipelineConfig().detectionLatency

    @Option(help: "A folder's images are 'frames' of one sequence (tracked across images) or separate 'photos' (each detected on its own); 'auto' chooses frames when the file names are consecutively numbered.")
    var folderAs: FolderMode = .auto

    @Flag(help: "In the window, show a file as fast as it can be processed instead of at its own frame rate.")
    var fast = false

    @Flag(help: "Never open a window, even when a display is available.")
    var noWindow = false

    @Flag(help: "Print no progress bar and no summary (errors still go to stderr).")
    var quiet = false

    @Flag(help: "Run detection inline on the frame path (frames with detection take longer).")
    var syncDetection = false

    @Option(help: "Directory holding the *.safetensors weights (default: $FERCORE_WEIGHTS or ./Weights).")
    var weights: String?

    @Option(help: ArgumentHelp("Keep the window open on the last frame for this many seconds (screenshots, tests).", visibility: .hidden))
    var holdLastFrame: Double = 0

    func validate() throws {
        guard (1...1_000_000).contains(detectEvery) else { throw ValidationError("--detect-every must be in 1...1000000.") }
        guard (1...1_000_000).contains(classifyEvery) else { throw ValidationError("--classify-every must be in 1...1000000.") }
        guard minFace >= 1 else { throw ValidationError("--min-face must be at least 1 pixel.") }
        guard (1...256).contains(maxFaces) else { throw ValidationError("--max-faces must be in 1...256.") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256.") }
        if let maxFrames, maxFrames < 1 { throw ValidationError("--max-frames must be at least 1.") }
        guard (0...1000).contains(detectionLatency) else { throw ValidationError("--detection-latency must be in 0...1000.") }
        if let report { try Report.validate(path: report) }
        if let output {
            let ext = (output as NSString).pathExtension.lowercased()
            guard ["mp4", "mkv", "avi"].contains(ext) else { throw ValidationError("--output must end in .mp4, .mkv or .avi, got '\(output)'.") }
        }
    }

    func run() throws {
        let source: LiveInput
        do { source = try LiveInput.open(input) } catch let error as LiveInputError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(error.exitCode)
        }
        defer { source.close() }

        var config = PipelineConfig()
        config.detectEvery = detectEvery
        config.classifyEvery = classifyEvery
        config.maximumFaces = maxFaces
        config.threads = threads
        config.detector.minimumFaceSize = minFace
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
        let pipeline: EmotionPipeline
        do { pipeline = try EmotionPipeline(config: config) } catch { throw ValidationErrorMessage("\(error)") }

        var window: Window?
        if !noWindow, Window.displayAvailable {
            do { window = try Window(title: "ferdemo live — q or Esc quits", width: 640, height: 480) } catch {
                FileHandle.standardError.write(Data("ferdemo live: \(error) Continuing headless.\n".utf8))
            }
        }
        let headless = window == nil
        if !quiet {
            FileHandle.standardError.write(Data(("ferdemo live: \(source.name)\(photos ? " as separate photos" : "") → \(headless ? "headless" : "window")"
                + ", detect every \(detectEvery), classify every \(classifyEvery), \(threads) thread(s)\n").utf8))
        }

        var jsonWriter: JSONLinesWriter?
        if let json { jsonWriter = try JSONLinesWriter(path: json) }
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
        // A parent may have blocked SIGINT for its threads (test runners do), and a blocked mask is
        // inherited through exec: unblock it so that Ctrl-C reaches the handler.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        Interrupt.install()
        defer { Interrupt.reset() }
        var interrupted = false, quitByUser = false
        var fps = 0.0
        let start = monotonicNow()
        var previous = start
        var failure: Error?
        var pacer = Pacer(framesPerSecond: photos ? 1 : 0)

        loop: while true {
            if let maxFrames, summary.frames >= maxFrames { break }
            if Interrupt.isRequested { interrupted = true; break }
            do {
                guard let info = try source.next(into: frame) else { break }
                if photos, summary.frames > 0 { try pipeline.reset() }
                try pipeline.process(frame.view, info: info, into: &result)
                try jsonWriter?.write(result, source: folderPath)
                reportData?.record(result)
                if annotate {
                    Overlay.draw(result, on: frame.mutableView, fps: fps)
                    if let output {
                        if videoWriter == nil {
                            var options = VideoWriter.Options()
                            options.framesPerSecond = max(1, Int(source.framesPerSecond.rounded()))
                            videoWriter = try VideoWriter(path: output, width: frame.width, height: frame.height, options: options)
                        }
                        try videoWriter?.write(frame.view)
                    }
                    if let w = window {
                        if !fast, !source.isCamera { pacer.wait(until: info.timestamp) }
                        try w.present(frame.view)
                        if w.poll() == .quit { quitByUser = true; break loop }
                    }
                }
            } catch {
                failure = error
                break
            }
            let now = monotonicNow()
            let dt = now - previous
            previous = now
            fps = fps == 0 ? 1 / max(dt, 1e-6) : 0.9 * fps + 0.1 / max(dt, 1e-6)
            summary.record(result, loopSeconds: dt)
            progress.update(frames: summary.frames)
        }
        summary.wallSeconds = monotonicNow() - start
        progress.finish(frames: summary.frames)

        // Finalise every output whatever ended the loop (end, q, Ctrl-C, an error).
        var finishErrors: [String] = []
        do { try videoWriter?.finish() } catch { finishErrors.append("\(error)") }
        do { try jsonWriter?.finish() } catch { finishErrors.append("\(error)") }
        if let report, let reportData {
            do { try reportData.write(to: report) } catch { finishErrors.append("\(error)") }
        }
        if let w = window, holdLastFrame > 0, !quitByUser, !interrupted {
            FileHandle.standardError.write(Data("ferdemo live: holding the last frame for \(holdLastFrame) s\n".utf8))
            let until = monotonicNow() + holdLastFrame
            while monotonicNow() < until, !Interrupt.isRequested {
                if w.poll() == .quit { break }
                try? w.present(frame.view)
                usleep(20_000)
            }
        }
        if !quiet {
            if interrupted { FileHandle.standardError.write(Data("ferdemo live: stopped by Ctrl-C; outputs finalised.\n".utf8)) }
            print(summary.text(mode: config.detectionMode, threads: threads))
            var written: [String] = []
            if let output, let v = videoWriter { written.append("\(output) (\(v.framesWritten) frames, \(v.encoderName))") }
            if let json, let j = jsonWriter { written.append("\(json) (\(j.linesWritten) lines)") }
            if let report, finishErrors.isEmpty { written.append(report) }
            if !written.isEmpty { print("  wrote " + written.joined(separator: ", ")) }
        }
        if let failure {
            FileHandle.standardError.write(Data("ferdemo live: stopped at frame \(summary.frames): \(failure)\n".utf8))
            throw ExitCode(summary.frames == 0 ? 4 : 1)
        }
        if !finishErrors.isEmpty {
            FileHandle.standardError.write(Data(("ferdemo live: " + finishErrors.joined(separator: "; ") + "\n").utf8))
            throw ExitCode(1)
        }
    }
}

/// Seconds on the monotonic clock.
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
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
            origin = (t, monotonicNow())
            return
        }
        let delay = (t - origin.stream) - (monotonicNow() - origin.clock)
        // Cap a single wait (a timestamp jump in a broken file must not freeze the window).
        if delay > 0 { usleep(useconds_t(min(delay, 2) * 1e6)) }
    }
}
