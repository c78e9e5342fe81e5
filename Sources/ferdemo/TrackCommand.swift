import ArgumentParser
import FERCore
import Foundation

struct Track: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Track one face through a clip with FERCore's CSR-DCF tracker and write its box on every frame as CSV.",
        discussion: """
        The CSV columns are frame, id, x, y, w, h, confidence (the tracker's peak-to-sidelobe ratio) \
        and lost (1 when the tracker reports the face lost on that frame: it then keeps the last box \
        and searches around it). Without --csv the CSV goes to stdout. No detector runs: the face is \
        the one given by --init-box on the first frame (`ferdemo live` starts tracks from the detector).

        EXAMPLES:
          ferdemo track --input clip.mp4 --init-box 120,80,64,78
          ferdemo track --input frames/ --init-box 120,80,64,78 --csv boxes.csv --timing
        """)

    @Option(help: "A video file, a folder of images or a camera (path or index), as for `ferdemo live`.")
    var input: String

    @Option(help: "The face's box on the first frame: x,y,w,h in pixels.")
    var initBox: String

    @Option(help: "Write the CSV to this file instead of stdout.")
    var csv: String?

    @Flag(help: "Print the median and mean milliseconds per update (to stderr when the CSV goes to stdout).")
    var timing = false

    func run() throws {
        let parts = initBox.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, let x = parts[0], let y = parts[1], let w = parts[2], let h = parts[3],
              x.isFinite, y.isFinite, w.isFinite, h.isFinite, w >= 1, h >= 1 else {
            throw ValidationError("--init-box must be four finite numbers x,y,w,h with w and h at least 1, got '\(initBox)'.")
        }
        // The same inputs as `ferdemo live` (FERMedia's readers, libv4l2), one reused buffer.
        let source = try LiveInput.open(input)
        defer { source.close() }
        let frame = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        guard try source.next(into: frame) != nil else { throw ValidationError("\(input) has no frames.") }
        // Without a detector a lost face cannot be handed over: the track is kept (reported lost)
        // and its filter keeps searching around the last position.
        var params = FaceTrackerParams()
        params.maxLostFrames = .max
        let tracker = try FaceTracker(params: params)
        var lines = ["frame,id,x,y,w,h,confidence,lost"]
        func record(_ frame: Int) {
            for i in 0..<tracker.count {
                let t = tracker.track(at: i)
                lines.append(String(format: "%d,%d,%.2f,%.2f,%.2f,%.2f,%.3f,%d", frame, t.id, t.box.x, t.box.y, t.box.width, t.box.height,
                                    t.trackingConfidence.isFinite ? t.trackingConfidence : 0, t.isLost ? 1 : 0))
            }
        }
        try tracker.startTrack(at: Box(x: x, y: y, width: w, height: h), in: frame.view)
        record(0)
        var times: [Double] = []
        var cpuTimes: [Double] = []
        var frameIndex = 1
        while try source.next(into: frame) != nil {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = Self.threadCPUMilliseconds()
            try tracker.update(frame: frame.view)
            cpuTimes.append(Self.threadCPUMilliseconds() - cpuStart)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            record(frameIndex)
            frameIndex += 1
        }
        let text = lines.joined(separator: "\n") + "\n"
        if let csv { try text.write(toFile: csv, atomically: true, encoding: .utf8) } else { print(text, terminator: "") }
        if timing, !times.isEmpty {
            let sorted = times.sorted()
            let cpu = cpuTimes.sorted()
            let report = String(format: "ms_per_update median %.3f mean %.3f frames %d cpu_median %.3f cpu_mean %.3f cpu_max %.3f",
                                sorted[sorted.count / 2], times.reduce(0, +) / Double(times.count), times.count, cpu[cpu.count / 2],
                                cpu.reduce(0, +) / Double(cpu.count), cpu[cpu.count - 1])
            if csv == nil { FileHandle.standardError.write(Data((report + "\n").utf8)) } else { print(report) }
        }
    }

    /// CPU time of the calling thread (unaffected by other processes on a loaded machine).
    private static func threadCPUMilliseconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
    }
}
