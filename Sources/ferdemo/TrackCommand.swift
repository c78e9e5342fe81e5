import ArgumentParser
import FERCore
import FERDemoSupport
import Foundation

struct Track: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Track one face through a clip with FERCore's CSR-DCF tracker and write its box on every frame as CSV.",
        discussion: """
            The CSV columns are frame, id, x, y, w, h, confidence (the tracker's peak-to-sidelobe ratio) \
            and lost (1 when the tracker reports the face lost on that frame: it then keeps the last box \
            and searches around it). Without --csv the CSV goes to stdout. No detector runs: the face is \
            the one given by --init-box on the first frame (`ferdemo live` starts tracks from the detector).

            Rows are written as the frames are tracked; a --csv file is replaced only when the run ends \
            (Ctrl-C, SIGTERM and SIGHUP end it cleanly too, keeping the rows so far).

            EXAMPLES:
              ferdemo track --input clip.mp4 --init-box 120,80,64,78
              ferdemo track --input frames/ --init-box 120,80,64,78 --csv boxes.csv
              ferdemo track --input /dev/video0 --init-box 200,120,90,110 --timing

            \(ExitStatus.helpText)
            """)

    @Option(help: "A video file, a folder of images or a camera (path or index), as for `ferdemo live`.")
    var input: String

    @Option(help: "The face's box on the first frame: x,y,w,h in pixels (width and height at least 1).")
    var initBox: String

    @Option(help: "Write the CSV to this file instead of standard output (- : standard output).")
    var csv: String?

    @Flag(help: "Print the median and mean milliseconds per update (to stderr when the CSV goes to stdout).")
    var timing = false

    func validate() throws {
        _ = try OptionCheck.parse { () throws(UserTextError) in try UserText.box(initBox, option: "--init-box") }
    }

    func run() throws {
        let box = try OptionCheck.parse { () throws(UserTextError) in try UserText.box(initBox, option: "--init-box") }
        Interrupt.install()
        defer { Interrupt.reset() }
        // The same inputs as `ferdemo live` (FERMedia's readers, libv4l2), one reused buffer.
        let source: LiveInput
        do { source = try LiveInput.open(input) } catch let error as LiveInputError {
            throw CommandFailure("track", error.status, error.message)
        }
        defer { source.close() }
        let csvToStandardOutput = csv == nil || csv == "-"
        if let csv {
            try Output.checkPlan(
                "track", outputs: [.init(option: "--csv", path: csv)],
                inputs: source.inputPaths.map { .init(option: "--input", path: $0) },
                standardOutputCarriesText: timing && !csvToStandardOutput)
        }
        let out: OutputFile
        do { out = try OutputFile(path: csv ?? "-", option: "--csv", mode: .replace) } catch { throw Output.failure("track", error) }
        func write(_ line: String) throws {
            do {
                try out.write(line)
                // Standard output gets each frame's rows at once (a reader may be following).
                if !out.isRegularFile { try out.flush() }
            } catch { throw Output.failure("track", error) }
        }
        let frame = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        do {
            guard try source.next(into: frame) != nil else {
                throw CommandFailure("track", .inputUnreadable, "\(input) has no frames.")
            }
        } catch let error as CommandFailure { throw error } catch {
            throw CommandFailure("track", source.isCamera ? .cameraUnusable : .inputUnreadable, "reading \(input) failed: \(error)")
        }
        // Without a detector a lost face cannot be handed over: the track is kept (reported lost)
        // and its filter keeps searching around the last position.
        var params = FaceTrackerOptions()
        params.maxLostFrames = .max
        let tracker = try FaceTracker(options: params)
        func record(_ frame: Int) throws {
            var rows = ""
            for i in 0..<tracker.count {
                let t = tracker.track(at: i)
                rows += String(
                    format: "%d,%d,%.2f,%.2f,%.2f,%.2f,%.3f,%d\n", frame, t.id, t.box.x, t.box.y, t.box.width, t.box.height,
                    t.trackingConfidence.isFinite ? t.trackingConfidence : 0, t.isLost ? 1 : 0)
            }
            try write(rows)
        }
        do {
            try tracker.startTrack(at: Box(x: box.x, y: box.y, width: box.width, height: box.height), in: frame.view)
        } catch {
            throw CommandFailure("track", .usage, "--init-box \(initBox): \(error)")
        }
        try write("frame,id,x,y,w,h,confidence,lost\n")
        try record(0)
        var times: [Double] = []
        var cpuTimes: [Double] = []
        var frameIndex = 1
        while !Interrupt.isRequested {
            do {
                guard try source.next(into: frame) != nil else { break }
            } catch {
                throw CommandFailure(
                    "track", source.isCamera ? .cameraUnusable : .inputUnreadable,
                    "reading \(input) failed after \(frameIndex) frames: \(error)")
            }
            let start = MonotonicClock.nanoseconds()
            let cpuStart = Self.threadCPUMilliseconds()
            do { try tracker.update(frame: frame.view) } catch {
                throw CommandFailure("track", .failure, "frame \(frameIndex): \(error)")
            }
            cpuTimes.append(Self.threadCPUMilliseconds() - cpuStart)
            times.append(Double(MonotonicClock.nanoseconds() - start) / 1e6)
            try record(frameIndex)
            frameIndex += 1
        }
        Interrupt.beginFinalising()
        do { try out.finish() } catch { throw Output.failure("track", error) }
        // A camera's stream has no end of its own: when it ends, the camera failed (unplugged).
        if case let .camera(c) = source, let reason = c.endReason, !Interrupt.isRequested {
            throw CommandFailure("track", .cameraUnusable, "the camera \(c.path) stopped after \(frameIndex) frames: \(reason). The CSV is written.")
        }
        if timing, !times.isEmpty {
            let sorted = times.sorted()
            let cpu = cpuTimes.sorted()
            let report = String(
                format: "ms_per_update median %.3f mean %.3f frames %d cpu_median %.3f cpu_mean %.3f cpu_max %.3f",
                sorted[sorted.count / 2], times.reduce(0, +) / Double(times.count), times.count, cpu[cpu.count / 2],
                cpu.reduce(0, +) / Double(cpu.count), cpu[cpu.count - 1])
            if csvToStandardOutput { Console.err(report + "\n") } else { try Output.out("track", report + "\n") }
        }
        try Output.endIfSignalled()
    }

    /// CPU time of the calling thread (unaffected by other processes on a loaded machine).
    private static func threadCPUMilliseconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
    }
}
