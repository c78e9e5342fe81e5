import FERCore
import FERDemoSupport
import Foundation

/// A one-line progress display on stderr for headless runs: frames, FPS and, when
/// the total is known, a bar and the ETA. On a terminal it redraws in place a few
/// times a second; otherwise (logs, CI) it prints a plain line every few seconds.
final class ProgressBar {
    private let total: Int?
    private let start = MonotonicClock.nanoseconds()
    private var lastDraw: UInt64 = 0
    private let interactive = isatty(STDERR_FILENO) != 0
    private let enabled: Bool

    init(total: Int?, enabled: Bool) {
        self.total = total.flatMap { $0 > 0 ? $0 : nil }
        self.enabled = enabled
    }

    /// Updates the display after `frames` frames; draws at most 5 times a second
    /// on a terminal and every 5 seconds otherwise.
    func update(frames: Int, force: Bool = false) {
        guard enabled else { return }
        let now = MonotonicClock.nanoseconds()
        let interval: UInt64 = interactive ? 200_000_000 : 5_000_000_000
        guard force || now - lastDraw >= interval else { return }
        lastDraw = now
        let elapsed = Double(now - start) / 1e9
        let fps = elapsed > 0 ? Double(frames) / elapsed : 0
        var line: String
        if let total {
            let fraction = min(1, Double(frames) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let eta = fps > 0 ? Double(total - frames) / fps : 0
            line = String(format: "%@ %5.1f%% %d/%d frames  %.1f FPS  ETA %@", bar, fraction * 100, frames, total, fps, Self.clock(eta))
        } else {
            line = String(format: "%d frames  %.1f FPS  %@ elapsed", frames, fps, Self.clock(elapsed))
        }
        Console.err(interactive ? "\r\u{1B}[K" + line : line + "\n")
    }

    /// Ends the in-place line.
    func finish(frames: Int) {
        guard enabled else { return }
        update(frames: frames, force: true)
        if interactive { Console.err("\n") }
    }

    static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}
