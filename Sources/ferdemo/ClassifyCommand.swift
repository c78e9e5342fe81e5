import ArgumentParser
import FERCore
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
            """
    )

    @Argument(help: "Images, folders or .safetensors image sets.")
    var paths: [String] = []

    @Option(help: "Write results as CSV to this file (default: print them).")
    var csv: String?

    @Flag(help: "Take every image as a face crop (no detection, no margin), as FER-2013's faces.")
    var cropped = false

    @Flag(help: "Average the probabilities of each face and its mirror image.")
    var flip = false

    @Option(help: "Mark results below this top probability as 'uncertain' (default 0: never).")
    var uncertain: Float = 0

    @Option(help: "Threads for FERCore's loops.")
    var threads: Int = 1

    @Option(help: "Faces per network batch.")
    var batch: Int = 16

    @Option(help: "Directory holding the *.safetensors weights (default: $FERCORE_WEIGHTS or ./Weights).")
    var weights: String?

    @Flag(help: "Time the classifier instead: per-face latency at batch 1 and throughput at batch 8 (prints one JSON line).")
    var benchmark = false

    @Option(help: "Seconds spent per benchmark measurement.")
    var benchmarkSeconds: Double = 3

    @Option(help: ArgumentHelp("Also write every decoded image, gray, as F32 tensors to this .safetensors file "
                               + "(to compare FERCore's image decoding with cv2's).", visibility: .hidden))
    var dumpPixels: String?

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard benchmark || !paths.isEmpty else { throw ValidationError("give at least one PATH (image, folder or .safetensors)") }
    }

    func run() throws {
        let pool = WorkerPool(threads: threads)
        var options = EmotionClassifier.Options()
        options.flipAveraging = flip
        options.uncertaintyThreshold = uncertain
        options.maximumBatch = batch
        let classifier: EmotionClassifier
        do {
            classifier = try EmotionClassifier(weightsDirectory: weights, options: options, pool: pool)
        } catch { throw ValidationError("\(error)") }
        if benchmark {
            try EmotionBenchmark(classifier: classifier, threads: threads, seconds: benchmarkSeconds).run()
            return
        }
        var detector: FaceDetector?
        if !cropped {
            do {
                detector = try FaceDetector(weightsDirectory: weights, pool: pool)
            } catch { throw ValidationError("\(error)") }
        }
        var out = try CSVOutput(path: csv)
        try out.write(CSVOutput.header)
        var sources = ImageSources()
        for path in paths { try sources.add(path) }
        let start = Date()
        var pending: [Image] = []
        var names: [String] = []
        var results: [EmotionScores] = []
        var count = 0
        func flush() throws {
            guard !pending.isEmpty else { return }
            results = [EmotionScores](repeating: .zero, count: pending.count)
            try withViews(pending) { views in try classifier.classify(crops: views, into: &results) }
            for (i, r) in results.enumerated() {
                try out.write(CSVOutput.row(path: names[i], face: 0, x: 0, y: 0, width: pending[i].width,
                                            height: pending[i].height, scores: r))
            }
            count += pending.count
            pending.removeAll(keepingCapacity: true)
            names.removeAll(keepingCapacity: true)
        }
        var dumped: [SafeTensorsWriter.Entry] = []
        var boxes: [Box] = []
        try sources.forEachImage { name, image in
            if dumpPixels != nil { dumped.append(Self.grayEntry(name, image)) }
            if let detector {
                // Detected faces: MTCNN on the RGB image, then fer's crop around each box.
                let faces: [FaceDetection]
                do {
                    faces = try image.withView { (v) throws(DetectionError) in try detector.detect(v) }
                } catch { throw ValidationError("\(name): \(error)") }
                boxes = faces.map(\.box)
                results = [EmotionScores](repeating: .zero, count: boxes.count)
                do {
                    try image.withView { (v) throws(EmotionError) in try classifier.classify(v, boxes: boxes, into: &results) }
                } catch { throw ValidationError("\(name): \(error)") }
                for (i, (b, r)) in zip(boxes, results).enumerated() {
                    // fer's integer box: corners truncated toward zero.
                    let x1 = Int(b.x.rounded(.towardZero)), y1 = Int(b.y.rounded(.towardZero))
                    let x2 = Int((b.x + b.width).rounded(.towardZero)), y2 = Int((b.y + b.height).rounded(.towardZero))
                    try out.write(CSVOutput.row(path: name, face: i, x: x1, y: y1, width: x2 - x1, height: y2 - y1, scores: r))
                }
                count += boxes.count
                return
            }
            pending.append(image)
            names.append(name)
            if pending.count == batch { try flush() }
        }
        try flush()
        try out.close()
        if let dumpPixels {
            let bytes = SafeTensorsWriter.encode(dumped)
            guard FileManager.default.createFile(atPath: dumpPixels, contents: Data(bytes)) else {
                throw ValidationError("\(dumpPixels): cannot write")
            }
        }
        let seconds = Date().timeIntervalSince(start)
        FileHandle.standardError.write(Data(String(format: "classified %d faces in %.2f s%@\n", count, seconds,
                                                   csv.map { " → \($0)" } ?? "").utf8))
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
