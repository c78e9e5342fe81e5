import ArgumentParser
import FERCore
import Foundation

struct Track: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Track faces through a clip with FERCore's CSR-DCF tracker and write a CSV (frame, id, x, y, w, h, confidence).")

    @Option(help: "A folder of .ppm/.pgm frames (video files arrive with FERMedia).")
    var input: String

    @Option(help: "The initial box x,y,w,h in pixels (needed until the detector is merged).")
    var initBox: String?

    @Option(help: "Write the per-frame boxes to this CSV file.")
    var csv: String?

    @Option(help: "Annotated video output (not yet available: needs FERMedia).")
    var output: String?

    @Flag(help: "Print the median and mean milliseconds per update.")
    var timing = false

    func run() throws {
        if output != nil { throw ValidationError("--output needs FERMedia's VideoWriter, which is not merged yet.") }
        guard let initBox else { throw ValidationError("Give --init-box x,y,w,h (detector-driven start arrives with the pipeline).") }
        let parts = initBox.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4 else { throw ValidationError("--init-box must be four numbers x,y,w,h, got \(initBox).") }
        var source = try PPMFolderSource(folder: input)
        var image = try Image(width: 1, height: 1, format: .gray8)
        guard try source.next(into: &image) else { throw ValidationError("\(input) has no frames.") }
        let tracker = try FaceTracker()
        var lines = ["frame,id,x,y,w,h,confidence"]
        func record(_ frame: Int, _ faces: [TrackedFace]) {
            for f in faces {
                lines.append(String(format: "%d,%d,%.2f,%.2f,%.2f,%.2f,%.3f", frame, f.id, f.box.x, f.box.y, f.box.width, f.box.height,
                                    f.confidence.isFinite ? f.confidence : 0))
            }
        }
        let first = try image.withView { (v) throws(TrackingError) in
            try tracker.reconcile(detections: [TrackBox(x: parts[0], y: parts[1], width: parts[2], height: parts[3])], frame: v)
        }
        record(0, first)
        var times: [Double] = []
        var cpuTimes: [Double] = []
        var frameIndex = 1
        var faces: [TrackedFace] = []
        faces.reserveCapacity(16)
        while try source.next(into: &image) {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = Self.threadCPUMilliseconds()
            try image.withView { (v) throws(TrackingError) in try tracker.update(frame: v, into: &faces) }
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
