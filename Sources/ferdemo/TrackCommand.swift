import ArgumentParser
import FERCore
import Foundation

struct Track: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Track faces through a clip with FERCore's CSR-DCF tracker and write a CSV (frame, id, x, y, w, h, confidence).")

    @Option(help: "A video file, a folder of images or a camera (path or index), as for `ferdemo live`.")
    var input: String

    @Option(help: "The initial box x,y,w,h in pixels.")
    var initBox: String?

    @Option(help: "Write the per-frame boxes to this CSV file.")
    var csv: String?

    @Option(help: "Annotated video output (use `ferdemo live --output`; not offered here).")
    var output: String?

    @Flag(help: "Print the median and mean milliseconds per update.")
    var timing = false

    func run() throws {
        if output != nil { throw ValidationError("--output is not offered by `track`; `ferdemo live --input … --output FILE` writes an annotated video.") }
        guard let initBox else { throw ValidationError("Give --init-box x,y,w,h (`ferdemo live` starts tracks from the detector).") }
        let parts = initBox.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4 else { throw ValidationError("--init-box must be four numbers x,y,w,h, got \(initBox).") }
        // The same inputs as `ferdemo live` (FERMedia's readers, libv4l2), one reused buffer.
        let source = try LiveInput.open(input)
        defer { source.close() }
        let frame = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        guard try source.next(into: frame) != nil else { throw ValidationError("\(input) has no frames.") }
        let tracker = try FaceTracker()
        var lines = ["frame,id,x,y,w,h,confidence"]
        func record(_ frame: Int, _ faces: [TrackedFace]) {
            for f in faces {
                lines.append(String(format: "%d,%d,%.2f,%.2f,%.2f,%.2f,%.3f", frame, f.id, f.box.x, f.box.y, f.box.width, f.box.height,
                                    f.confidence.isFinite ? f.confidence : 0))
            }
        }
        let first = try tracker.reconcile(detections: [TrackBox(x: parts[0], y: parts[1], width: parts[2], height: parts[3])],
                                          frame: frame.view)
        record(0, first)
        var times: [Double] = []
        var cpuTimes: [Double] = []
        var frameIndex = 1
        var faces: [TrackedFace] = []
        faces.reserveCapacity(16)
        while try source.next(into: frame) != nil {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = Self.threadCPUMilliseconds()
            try tracker.update(frame: frame.view, into: &faces)
            cpuTimes.append(Self.threadCPUMilliseconds() - cpuStart)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            record(frameIndex, faces)
            frameIndex += 1
        }
        if let csv { try (lines.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8) }
        if timing, !times.isEmpty {
            let sorted = times.sorted()
            let cpu = cpuTimes.sorted()
            print(String(format: "ms_per_update median %.3f mean %.3f frames %d cpu_median %.3f cpu_mean %.3f cpu_max %.3f",
                         sorted[sorted.count / 2], times.reduce(0, +) / Double(times.count), times.count, cpu[cpu.count / 2],
                         cpu.reduce(0, +) / Double(cpu.count), cpu[cpu.count - 1]))
        }
    }

    /// CPU time of the calling thread (unaffected by other processes on a loaded machine).
    private static func threadCPUMilliseconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
    }
}
