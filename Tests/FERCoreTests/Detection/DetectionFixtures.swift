import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// The fixtures of Tools/make_detection_goldens.py (`mtcnn` 1.0.0 on public-domain images).
enum DetectionFixtures {
    struct Case: Decodable {
        var `case`: String
        var image: String
        var min_face: Int
        var canonical_pyramid_patched: Bool
        var faces: Int
    }
    private struct Meta: Decodable { var cases: [Case] }

    /// A reference face: box (x, y, w, h), score, landmarks in the reference's order.
    struct ReferenceFace {
        var box: Box
        var score: Float
        var landmarks: [SIMD2<Float>]
    }

    static func file() throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: Paths.fixture("detection/detection.safetensors"))
    }

    static func cases() throws -> [Case] {
        let json = try #require(try file().metadata["fercore.detection"])
        return try JSONDecoder().decode(Meta.self, from: Data(json.utf8)).cases
    }

    static func image(_ name: String, in file: SafeTensorsFile) throws -> Image {
        let (shape, bytes) = try file.uint8s(name + ".image")
        try #require(shape.count == 3 && (shape[2] == 1 || shape[2] == 3))
        return try Image(width: shape[1], height: shape[0], format: shape[2] == 1 ? .gray8 : .rgb8, pixels: bytes)
    }

    static func faces(_ name: String, in file: SafeTensorsFile) throws -> [ReferenceFace] {
        let (shape, v) = try file.floats(name + ".faces")
        try #require(shape.count == 2 && shape[1] == 15)
        return (0..<shape[0]).map { i in
            let r = Array(v[i * 15..<(i + 1) * 15])
            return ReferenceFace(
                box: Box(x: Double(r[0]), y: Double(r[1]), width: Double(r[2]), height: Double(r[3])), score: r[4],
                landmarks: (0..<5).map { SIMD2(r[5 + 2 * $0], r[6 + 2 * $0]) })
        }
    }

    /// One detector for all tests of a suite (loading the weights takes a moment).
    static func detector(minimumFaceSize: Int = 20, threads: Int = 1) throws -> FaceDetector {
        var options = FaceDetectorOptions()
        options.minimumFaceSize = minimumFaceSize
        return try FaceDetector(
            weightsDirectory: Paths.root.appendingPathComponent("Weights").path, options: options,
            pool: threads == 1 ? .serial : WorkerPool(threads: threads))
    }
}
