import ArgumentParser
import FERCore
import Foundation

/// `ferdemo detect`: the MTCNN face detector on image files.
struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find faces and five landmarks in images (JPEG, PNG, BMP, PPM, … through FFmpeg).")

    @Argument(help: "Image files (JPEG, PNG, BMP, PPM/PGM, … anything FFmpeg decodes).")
    var images: [String]

    @Flag(help: "Print one JSON object per image (JSON Lines).")
    var json = false

    @Option(help: "Smallest face to find, in pixels (the reference's default is 20).")
    var minFace: Int = 20

    @Option(help: "Write an annotated copy of each image (PNG) into this directory.")
    var annotate: String?

    @Option(help: "Threads for the detector.")
    var threads: Int = 1

    @Option(help: "Time N detections per image after one warm-up call and report the median (ms).")
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

    func run() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard benchmark >= 0 else { throw ValidationError("--benchmark must be 0 or more") }
        var options = FaceDetectorOptions()
        options.minimumFaceSize = minFace
        let detector: FaceDetector
        do {
            detector = try FaceDetector(weightsDirectory: weights, options: options, pool: WorkerPool(threads: threads))
        } catch {
            throw ValidationError("\(error)")
        }
        if let annotate {
            try FileManager.default.createDirectory(atPath: annotate, withIntermediateDirectories: true)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var faces: [FaceDetection] = []
        for path in images {
            let image = try ImageFiles.read(path)
            var median: Double?
            try image.withView { (view) throws(DetectionError) in
                try detector.detect(view, into: &faces)
                if benchmark > 0 {
                    // Warm up for at least 0.3 s (caches, the pool's threads, CPU frequency).
                    let warm = DispatchTime.now().uptimeNanoseconds + 300_000_000
                    while DispatchTime.now().uptimeNanoseconds < warm { try detector.detect(view, into: &faces) }
                    var times: [Double] = []
                    for _ in 0..<benchmark {
                        let start = DispatchTime.now().uptimeNanoseconds
                        try detector.detect(view, into: &faces)
                        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                    }
                    times.sort()
                    median = times[times.count / 2]
                }
            }
            if json {
                let entry = ImageJSON(path: path, width: image.width, height: image.height, faces: faces.map { f in
                    func p(_ v: SIMD2<Float>) -> [Float] { [v.x, v.y] }
                    let l = f.landmarks
                    return FaceJSON(box: [f.box.x, f.box.y, f.box.width, f.box.height], score: f.score,
                                    landmarks: .init(left_eye: p(l.leftEye), right_eye: p(l.rightEye), nose: p(l.nose),
                                                     mouth_left: p(l.mouthLeft), mouth_right: p(l.mouthRight)))
                }, median_ms: median)
                print(String(decoding: try encoder.encode(entry), as: UTF8.self))
            } else {
                let timing = median.map { String(format: ", median %.2f ms over %d runs", $0, benchmark) } ?? ""
                let st = detector.statistics
                print("\(path): \(image.width)x\(image.height), \(faces.count) face(s)\(timing); "
                      + "\(st.levels) levels, candidates P-Net \(st.proposals) → R-Net \(st.refined) → O-Net \(st.faces)")
                for (i, f) in faces.enumerated() {
                    print(String(format: "  %d: box x %.1f y %.1f w %.1f h %.1f  score %.4f  eyes (%.1f, %.1f) (%.1f, %.1f)",
                                 i, f.box.x, f.box.y, f.box.width, f.box.height, f.score,
                                 f.landmarks.leftEye.x, f.landmarks.leftEye.y, f.landmarks.rightEye.x, f.landmarks.rightEye.y))
                }
            }
            if let annotate {
                let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + ".faces.png"
                try ImageFiles.write(ImageFiles.annotated(image, faces: faces), to: annotate + "/" + name)
            }
        }
    }
}
