import ArgumentParser
import FERCore
import FERDemoSupport
import Foundation

/// `ferdemo detect`: the MTCNN face detector on image files.
struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find faces and five landmarks in images (JPEG, PNG, BMP, PPM, TIFF, WebP, GIF, TGA).",
        discussion: """
            Images are read in order; the first one that is missing (status 3) or cannot be read \
            (status 4) stops the command, as in `ferdemo classify`. Ctrl-C stops after the current \
            image; SIGTERM and SIGHUP too, and then ferdemo ends by that signal.

            EXAMPLES:
              ferdemo detect photo.jpg
              ferdemo detect --json --min-face 40 a.jpg b.png > faces.jsonl
              ferdemo detect --annotate annotated/ --threads 2 photo.jpg
              ferdemo detect --benchmark 50 photo.jpg

            \(ExitStatus.helpText)
            """)

    @Argument(help: "Image files: JPEG, PNG, BMP, PPM/PGM/PBM/PAM, TIFF, WebP, GIF or TGA.")
    var images: [String]

    @Flag(help: "Print one JSON object per image (JSON Lines).")
    var json = false

    @Option(help: "Smallest face to find, in pixels (20, as the reference's).")
    var minFace: Int = 20

    @Option(help: "Write an annotated copy of each image (PNG) into this directory.")
    var annotate: String?

    @Option(help: "Threads for the detector (1...256).")
    var threads: Int = 1

    @Option(help: "Time N detections per image after one warm-up call and report the median (ms); 0...100000.")
    var benchmark: Int = 0

    @Option(help: "Directory holding the *.safetensors weights (default: $FERCORE_WEIGHTS or ./Weights).")
    var weights: String?

    private struct FaceJSON: Encodable {
        struct Landmarks: Encodable {
            var left_eye: [Float], right_eye: [Float], nose: [Float], mouth_left: [Float], mouth_right: [Float]
        }
        var box: [Double]
        var score: Float
        var landmarks: Landmarks
    }

    private struct ImageJSON: Encodable {
        var path: String
        var width: Int
        var height: Int
        var faces: [FaceJSON]
        var median_ms: Double?
    }

    func validate() throws {
        try OptionCheck.range(minFace, "--min-face", OptionLimits.minimumFace)
        try OptionCheck.range(threads, "--threads", OptionLimits.threads)
        try OptionCheck.range(benchmark, "--benchmark", OptionLimits.benchmarkRuns)
    }

    /// Where `--annotate` writes the annotated copy of `path`.
    private func annotatedPath(_ path: String, in directory: String) -> String {
        directory + "/" + URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + ".faces.png"
    }

    func run() throws {
        Interrupt.install()
        defer { Interrupt.reset() }
        if let annotate {
            let outputs = images.map { OutputPlan.Entry(option: "--annotate", path: annotatedPath($0, in: annotate)) }
            let inputs = images.map { OutputPlan.Entry(option: "IMAGES", path: $0) } + Output.weightsInputs(weights)
            try Output.checkPlan("detect", outputs: outputs, inputs: inputs, standardOutputCarriesText: false)
        }
        var options = FaceDetectorOptions()
        options.minimumFaceSize = minFace
        let detector: FaceDetector
        do {
            detector = try FaceDetector(weightsDirectory: weights, options: options, pool: WorkerPool(threads: threads))
        } catch {
            throw ModelLoadFailure.failure("detect", "the detector", error)
        }
        if let annotate {
            do { try OutputDirectory.create(annotate, option: "--annotate") } catch { throw Output.failure("detect", error) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var faces: [FaceDetection] = []
        for path in images {
            if Interrupt.isRequested { break }
            let image: Image
            do { image = try ImageFiles.read(path) } catch { throw ImageInputFailure.failure("detect", error) }
            var median: Double?
            do {
                try image.withView { (view) throws(DetectionError) in
                    try detector.detect(view, into: &faces)
                    if benchmark > 0 {
                        // Warm up for at least 0.3 s (caches, the pool's threads, CPU frequency).
                        let warm = MonotonicClock.nanoseconds() + 300_000_000
                        while MonotonicClock.nanoseconds() < warm, !Interrupt.isRequested { try detector.detect(view, into: &faces) }
                        var times: [Double] = []
                        for _ in 0..<benchmark where !Interrupt.isRequested {
                            let start = MonotonicClock.nanoseconds()
                            try detector.detect(view, into: &faces)
                            times.append(Double(MonotonicClock.nanoseconds() - start) / 1e6)
                        }
                        times.sort()
                        median = times.isEmpty ? nil : times[times.count / 2]
                    }
                }
            } catch {
                throw DetectionFailure.failure("detect", path, error)
            }
            var text: String
            if json {
                let entry = ImageJSON(
                    path: path, width: image.width, height: image.height,
                    faces: faces.map { f in
                        func p(_ v: SIMD2<Float>) -> [Float] { [v.x, v.y] }
                        let l = f.landmarks
                        return FaceJSON(
                            box: [f.box.x, f.box.y, f.box.width, f.box.height], score: f.score,
                            landmarks: .init(
                                left_eye: p(l.leftEye), right_eye: p(l.rightEye), nose: p(l.nose),
                                mouth_left: p(l.mouthLeft), mouth_right: p(l.mouthRight)))
                    }, median_ms: median)
                text = String(decoding: try encoder.encode(entry), as: UTF8.self) + "\n"
            } else {
                let timing = median.map { String(format: ", median %.2f ms over %d runs", $0, benchmark) } ?? ""
                let st = detector.statistics
                text =
                    "\(path): \(image.width)x\(image.height), \(faces.count) face(s)\(timing); "
                    + "\(st.levels) levels, candidates P-Net \(st.proposals) → R-Net \(st.refined) → O-Net \(st.faces)\n"
                for (i, f) in faces.enumerated() {
                    text += String(
                        format: "  %d: box x %.1f y %.1f w %.1f h %.1f  score %.4f  eyes (%.1f, %.1f) (%.1f, %.1f)\n",
                        i, f.box.x, f.box.y, f.box.width, f.box.height, f.score,
                        f.landmarks.leftEye.x, f.landmarks.leftEye.y, f.landmarks.rightEye.x, f.landmarks.rightEye.y)
                }
            }
            try Output.out("detect", text)
            if let annotate {
                let target = annotatedPath(path, in: annotate)
                let drawn = ImageFiles.annotated(image, faces: faces)
                do {
                    try OutputFile.writeWhole(path: target, option: "--annotate", suffix: ".png") { temporary in
                        try ImageFiles.write(drawn, to: temporary)
                    }
                } catch let error as OutputError {
                    throw Output.failure("detect", error)
                } catch {
                    throw CommandFailure("detect", .outputFailed, "writing '\(target)' (--annotate) failed: \(error)")
                }
            }
        }
        try Output.endIfSignalled()
    }
}
