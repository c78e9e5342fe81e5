import ArgumentParser
import FERCore
import FERDemoSupport
import FERMedia

#if canImport(Glibc)
    import Glibc
#endif

/// `ferdemo frames`: decode + colour conversion + resize per frame, the input stage of the
/// pipeline, timed (Tools/compare_frames.py runs the same steps with OpenCV).
struct Frames: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time decode + RGB→gray + resize per frame of a video (compare: Tools/compare_frames.py).",
        discussion: """
            EXAMPLES:
              ferdemo frames
              ferdemo frames clip.mp4 --width 320 --height 240 --passes 5

            \(ExitStatus.helpText)
            """)

    @Argument(help: "Video file.")
    var video = "Samples/astronaut_pan.mp4"

    @Option(help: "Resize target width (1...16384).")
    var width = 400

    @Option(help: "Resize target height (1...16384).")
    var height = 300

    @Option(help: "Passes over the file, 1...1000 (the first one warms up and is not timed; at least 2 are run).")
    var passes = 3

    func validate() throws {
        try OptionCheck.range(width, "--width", OptionLimits.side)
        try OptionCheck.range(height, "--height", OptionLimits.side)
        try OptionCheck.range(passes, "--passes", OptionLimits.passes)
    }

    func run() throws {
        Interrupt.install()
        defer { Interrupt.reset() }
        let frame = try ImageBuffer(width: 640, height: 480, format: .rgb8)
        let gray = try ImageBuffer(width: 640, height: 480, format: .gray8)
        let small = try ImageBuffer(width: width, height: height, format: .rgb8)
        let resizer = Resizer()
        var decode = 0.0, convert = 0.0, resize = 0.0, frames = 0
        for pass in 0..<max(2, passes) {
            if Interrupt.isRequested { break }
            let reader: VideoReader
            do { reader = try VideoReader(path: video) } catch {
                if case .fileNotFound = error { throw CommandFailure("frames", .inputMissing, error.description) }
                throw CommandFailure("frames", .inputUnreadable, error.description)
            }
            while !Interrupt.isRequested {
                let t0 = MonotonicClock.seconds()
                guard try reader.nextFrame(into: frame) != nil else { break }
                let t1 = MonotonicClock.seconds()
                try gray.reshape(width: frame.width, height: frame.height, format: .gray8)
                try ColorConversion.rgbToGray(frame.view, into: gray.mutableView)
                let t2 = MonotonicClock.seconds()
                try resizer.resize(frame.view, into: small.mutableView, interpolation: .linear)
                let t3 = MonotonicClock.seconds()
                if pass > 0 {
                    decode += t1 - t0; convert += t2 - t1; resize += t3 - t2; frames += 1
                }
            }
        }
        let n = Double(max(frames, 1))
        try Output.out(
            "frames",
            "frames \(frames) decode_ms \(decode / n * 1e3) gray_ms \(convert / n * 1e3) resize_ms \(resize / n * 1e3) "
                + "total_ms \((decode + convert + resize) / n * 1e3)\n")
        try Output.endIfSignalled()
    }
}
