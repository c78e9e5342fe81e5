import ArgumentParser
import FERCore
import FERDemoSupport
import Foundation

/// `ferdemo classify`: emotion probabilities for images, folders or face crops, as CSV.
struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify the facial expression of faces in images (or of face crops) and write CSV.",
        discussion: """
            PATH may be an image, a folder (searched recursively for .jpg/.jpeg/.png/.bmp) or a \
            .safetensors file of U8 tensors (HxW gray or HxWx3 RGB), each tensor one image named by \
            its key (Tools/eval_fer2013.py writes one to compare on exactly cv2's decoded pixels).
            CSV columns: path, face, x, y, w, h, angry, disgust, fear, happy, sad, surprise, neutral, label.
            Without --cropped faces are found by MTCNN (FaceDetector, default options) and cropped \
            around their boxes as the fer package does; with --cropped the box is the whole image.
            The CSV file is replaced only when it is complete (--csv - or no --csv: standard output). \
            Images are read in order; the first one that is missing (status 3) or cannot be read \
            (status 4) stops the command, as in `ferdemo detect`. Ctrl-C stops after the current \
            image and keeps the rows so far; SIGTERM and SIGHUP too, and then ferdemo ends by that signal.

            EXAMPLES:
              ferdemo classify photo.jpg
              ferdemo classify --csv emotions.csv photos/
              ferdemo classify --cropped --model mini-xception face48.png
              ferdemo classify --benchmark --threads 1

            \(ExitStatus.helpText)
            """
    )

    @Argument(help: "Images, folders or .safetensors image sets.")
    var paths: [String] = []

    @Option(help: "Write results as CSV to this file (default, or -: standard output).")
    var csv: String?

    @Flag(help: "Take every image as a face crop (no detection, no margin), as FER-2013's faces.")
    var cropped = false

    @OptionGroup var modelOption: EmotionModelOption

    @OptionGroup var shared: ClassificationOptions

    @Option(help: "Mark results below this top probability as 'uncertain' (0...1; 0 never marks one).")
    var uncertain: Float = 0

    @Flag(help: "Time the classifier instead: per-face latency at batch 1 and throughput at batch 8 (prints one JSON line).")
    var benchmark = false

    @Option(help: "Seconds spent per benchmark measurement (0...3600).")
    var benchmarkSeconds: Double = 3

    @Option(
        help: ArgumentHelp(
            "Also write every decoded image, gray, as F32 tensors to this .safetensors file "
                + "(to compare FERCore's image decoding with cv2's).", visibility: .hidden))
    var dumpPixels: String?

    func validate() throws {
        try OptionCheck.range(uncertain, "--uncertain", OptionLimits.uncertainty)
        try OptionCheck.range(benchmarkSeconds, "--benchmark-seconds", OptionLimits.seconds)
        guard benchmark || !paths.isEmpty else { throw ValidationError("give at least one PATH (image, folder or .safetensors)") }
    }

    func run() throws {
        Interrupt.install()
        defer { Interrupt.reset() }
        var sources = ImageSources()
        if !benchmark {
            for path in paths { try sources.add(path) }
            var outputs: [OutputPlan.Entry] = []
            if let csv { outputs.append(.init(option: "--csv", path: csv)) }
            if let dumpPixels { outputs.append(.init(option: "--dump-pixels", path: dumpPixels)) }
            let inputs = sources.filePaths.map { OutputPlan.Entry(option: "PATHS", path: $0) } + Output.weightsInputs(shared.weights)
            try Output.checkPlan("classify", outputs: outputs, inputs: inputs, standardOutputCarriesText: false)
        }
        let pool = WorkerPool(threads: shared.threads)
        var options = EmotionClassifier.Options()
        options.flipAveraging = shared.flip
        options.uncertaintyThreshold = uncertain
        options.maximumBatch = shared.batch
        let classifier: EmotionClassifier
        do {
            classifier = try EmotionClassifier(model: modelOption.model, weightsDirectory: shared.weights, options: options, pool: pool)
        } catch { throw ModelLoadFailure.failure("classify", "the classifier", error) }
        if benchmark {
            try EmotionBenchmark(classifier: classifier, threads: shared.threads, seconds: benchmarkSeconds).run()
            try Output.endIfSignalled()
            return
        }
        var detector: FaceDetector?
        if !cropped {
            do {
                detector = try FaceDetector(weightsDirectory: shared.weights, pool: pool)
            } catch { throw ModelLoadFailure.failure("classify", "the detector", error) }
        }
        let out: CSVOutput
        do { out = try CSVOutput(path: csv) } catch { throw Output.failure("classify", error) }
        /// Rows go through here: a write error ends the command (status 6, or SIGPIPE).
        func write(_ line: String) throws {
            do { try out.write(line) } catch { throw Output.failure("classify", error) }
        }
        try write(CSVOutput.header)
        let start = Date()
        var pending: [Image] = []
        var names: [String] = []
        var results: [EmotionScores] = []
        var count = 0
        func flush() throws {
            guard !pending.isEmpty else { return }
            results = [EmotionScores](repeating: .zero, count: pending.count)
            do {
                try withViews(pending) { views in try classifier.classify(crops: views, into: &results) }
            } catch { throw CommandFailure("classify", .failure, "\(error)") }
            for (i, r) in results.enumerated() {
                try write(
                    CSVOutput.row(
                        path: names[i], face: 0, x: 0, y: 0, width: pending[i].width,
                        height: pending[i].height, scores: r))
            }
            count += pending.count
            pending.removeAll(keepingCapacity: true)
            names.removeAll(keepingCapacity: true)
        }
        var dumped: [SafeTensorsWriter.Entry] = []
        var boxes: [Box] = []
        let interrupted = { Interrupt.isRequested }
        try sources.forEachImage(stop: interrupted) { name, image in
            if dumpPixels != nil { dumped.append(Self.grayEntry(name, image)) }
            if let detector {
                // Detected faces: MTCNN on the RGB image, then fer's crop around each box.
                let faces: [FaceDetection]
                do throws(DetectionError) {
                    faces = try image.withView { (v) throws(DetectionError) in try detector.detect(v) }
                } catch { throw DetectionFailure.failure("classify", name, error) }
                boxes = faces.map(\.box)
                results = [EmotionScores](repeating: .zero, count: boxes.count)
                do {
                    try image.withView { (v) throws(EmotionError) in try classifier.classify(v, boxes: boxes, into: &results) }
                } catch { throw CommandFailure("classify", .failure, "\(name): \(error)") }
                for (i, (b, r)) in zip(boxes, results).enumerated() {
                    // fer's integer box: corners truncated toward zero.
                    let x1 = Int(b.x.rounded(.towardZero)), y1 = Int(b.y.rounded(.towardZero))
                    let x2 = Int((b.x + b.width).rounded(.towardZero)), y2 = Int((b.y + b.height).rounded(.towardZero))
                    try write(CSVOutput.row(path: name, face: i, x: x1, y: y1, width: x2 - x1, height: y2 - y1, scores: r))
                }
                count += boxes.count
                return
            }
            pending.append(image)
            names.append(name)
            if pending.count == shared.batch { try flush() }
        }
        try flush()
        do { try out.close() } catch { throw Output.failure("classify", error) }
        if let dumpPixels {
            let bytes = SafeTensorsWriter.encode(dumped)
            do {
                let file = try OutputFile(path: dumpPixels, option: "--dump-pixels", mode: .replace)
                try file.write(bytes)
                try file.finish()
            } catch { throw Output.failure("classify", error) }
        }
        let seconds = Date().timeIntervalSince(start)
        let stopped = Interrupt.isRequested ? " (stopped by a signal; the rows so far are written)" : ""
        Console.err(String(format: "classified %d faces in %.2f s", count, seconds) + (csv.map { " → \($0)" } ?? "") + stopped + "\n")
        try Output.endIfSignalled()
    }
}

extension Classify {
    /// The image's gray bytes (BT.601 as cv2 for RGB) as an F32 [H, W] tensor entry.
    static func grayEntry(_ name: String, _ image: Image) -> SafeTensorsWriter.Entry {
        var values = [Float](repeating: 0, count: image.width * image.height)
        if image.format == .gray8 {
            for i in values.indices { values[i] = Float(image.pixels[i]) }
        } else if var gray = try? Image(width: image.width, height: image.height, format: .gray8) {
            _ = try? image.withView { (src) throws(ImageError) in
                try gray.withMutableView { (dst) throws(ImageError) in try ColorConversion.rgbToGray(src, into: dst) }
            }
            for i in values.indices { values[i] = Float(gray.pixels[i]) }
        }
        return SafeTensorsWriter.Entry(name: name, shape: [image.height, image.width], values: values)
    }
}

/// Calls `body` with read-only views of `images` (kept alive for the call).
func withViews<R>(_ images: [Image], _ body: ([ImageView]) throws -> R) throws -> R {
    var views: [ImageView] = []
    views.reserveCapacity(images.count)
    func nest(_ i: Int) throws -> R {
        if i == images.count { return try body(views) }
        return try images[i].withView { v in
            views.append(v)
            return try nest(i + 1)
        }
    }
    return try nest(0)
}
