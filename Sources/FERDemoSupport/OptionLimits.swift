/// The range of every numeric ferdemo option, checked before anything runs (a value outside
/// its range is a usage error, exit status 2). The bounds are wide enough for any real use and
/// narrow enough that no later arithmetic on them can overflow or allocate without bound.
public enum OptionLimits {
    /// `--threads`: 1...256. Each thread is a pthread with its own stack and workspace; no
    /// machine FERCore targets has more cores than that, and a huge value would try to start
    /// that many threads.
    public static let threads = 1...256
    /// `--detect-every`, `--classify-every`: 1...1,000,000 frames (over 9 hours at 30 fps).
    public static let framePeriod = 1...1_000_000
    /// `--detection-latency`: 0...1000 frames (the pipeline keeps a ring of past boxes per face).
    public static let detectionLatency = 0...1000
    /// `--min-face`: 1...100,000 px. The upper bound keeps the pyramid's scale arithmetic far
    /// from overflow; the detector itself may refuse sizes that need too much memory.
    public static let minimumFace = 1...100_000
    /// `--max-faces`: 1...256 faces tracked at once.
    public static let maximumFaces = 1...256
    /// `--max-frames`: at least 1.
    public static let maximumFrames = 1...Int.max
    /// `detect --benchmark`: 0...100,000 timed runs per image (0: no benchmark).
    public static let benchmarkRuns = 0...100_000
    /// `classify --batch`: 1...1024 faces per network batch (the classifier runs chunks of at
    /// most 16; larger batches only cost memory).
    public static let batch = 1...1024
    /// `classify --uncertain`: a probability, 0...1.
    public static let uncertainty = 0.0...1.0
    /// `classify --benchmark-seconds`, the hidden `live --hold-last-frame`: 0...3600 s.
    public static let seconds = 0.0...3600.0
    /// `frames --width`/`--height` and `live --camera-size`: 1...16384 px per side (FFmpeg's and
    /// V4L2's practical maximum; FERCore's 100-megapixel image limit applies on top).
    public static let side = 1...16_384
    /// `frames --passes`: 1...1000.
    public static let passes = 1...1000
    /// `live --camera-fps`: 1...1000 frames per second.
    public static let cameraRate = 1...1000
}
