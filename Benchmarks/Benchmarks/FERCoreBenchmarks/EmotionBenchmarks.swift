// Emotion (issue 5): EmotionClassifier at batch 1 and 8, after a warm-up call in setup.
//
// - `emotion-box-bB-tT`: classify(_:boxes:into:) on frame 0 of the sample clip with the
//   detector's face box (B copies): fer's crop, gray, resize to 64×64, scale, then the network.
// - `emotion-crop-bB-tT`: classify(crops:into:) on 48×48 gray crops (FER-2013-like, already
//   cropped): gray check, resize 48→64, scale, network.
// - `emotion-preprocessed-bB-tT`: classify(preprocessed:into:): 64×64 floats in, network only.
// The same three for FERCore's own model (48×48 input) as `emotion-fernet-…` and in int8 as
// `emotion-fernet-int8-…` (issue 16); the unprefixed names stay mini-Xception's.
// 0-malloc gate on all.
import Benchmark
import FERBenchSupport
import FERCore

final class EmotionFixture {
    let classifier: EmotionClassifier
    let frame: ImageBuffer
    let boxes: [Box]
    let cropImage: ImageBuffer
    let crops: [ImageView]
    let inputs: UnsafeMutableBufferPointer<Float>
    let outputs: UnsafeMutableBufferPointer<EmotionScores>
    var results: [EmotionScores]

    init(model: EmotionModel, batch: Int, pool: WorkerPool) throws {
        classifier = try EmotionClassifier(model: model, weightsDirectory: BenchWeights.directory, pool: pool)
        frame = try SampleScene.frame(0)
        let face = try SampleScene.face(in: frame.view)
        boxes = Array(repeating: face, count: batch)
        // A 48×48 gray crop of the face, as FER-2013 stores faces.
        let gray = try ImageBuffer(width: frame.width, height: frame.height, format: .gray8)
        try ColorConversion.rgbToGray(frame.view, into: gray.mutableView)
        cropImage = try ImageBuffer(width: 48, height: 48, format: .gray8)
        try Resizer().resize(
            try gray.view.cropped(x: Int(face.x), y: Int(face.y), width: Int(face.width), height: Int(face.height)),
            into: cropImage.mutableView, interpolation: .area)
        crops = Array(repeating: cropImage.view, count: batch)
        let side = classifier.inputSize
        let base = UnsafeMutablePointer<Float>.allocate(capacity: batch * side * side)
        inputs = UnsafeMutableBufferPointer(start: base, count: batch * side * side)
        for i in 0..<batch {
            try classifier.preprocessor.prepare(crop: cropImage.view, into: base + i * side * side)
        }
        outputs = .allocate(capacity: batch)
        outputs.initialize(repeating: .zero)
        results = Array(repeating: .zero, count: batch)
        // Warm-up: plans the workspace for this batch and sizes the preprocessor's buffers.
        try classifier.classify(frame.view, boxes: boxes, into: &results)
        try classifier.classify(crops: crops, into: &results)
        try classifier.classify(preprocessed: UnsafeBufferPointer(inputs), into: outputs)
    }

    deinit {
        inputs.deallocate()
        outputs.deallocate()
    }
}

func registerEmotionBenchmarks() {
    enum Input: String { case box, crop, preprocessed }
    let models: [(EmotionModel, String)] = [(.miniXception, "emotion"), (.fernet, "emotion-fernet"), (.fernetInt8, "emotion-fernet-int8")]
    for (model, prefix) in models {
        for threads in threadCounts {
            for batch in [1, 8] {
                for input in [Input.box, .crop, .preprocessed] {
                    let box = FixtureBox<EmotionFixture>()
                    Benchmark(
                        "\(prefix)-\(input.rawValue)-b\(batch)-t\(threads)",
                        configuration: zeroMallocConfiguration(),
                        closure: { benchmark in
                            guard let f = box.value else { return }
                            do {
                                switch input {
                                case .box: try f.classifier.classify(f.frame.view, boxes: f.boxes, into: &f.results)
                                case .crop: try f.classifier.classify(crops: f.crops, into: &f.results)
                                case .preprocessed: try f.classifier.classify(preprocessed: UnsafeBufferPointer(f.inputs), into: f.outputs)
                                }
                            } catch { benchmark.error("\(error)") }
                            blackHole(f.results[0].confidence + f.outputs[0].confidence)
                        },
                        setup: { box.value = try EmotionFixture(model: model, batch: batch, pool: pool(threads)) },
                        teardown: { box.value = nil }
                    )
                }
            }
        }
    }
}
