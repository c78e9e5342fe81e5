// A README example, verbatim from `import` to the closing brace: main.swift calls it, so
// `make test` (Tools/check_consumer_build.sh --check) compiles and runs the snippet the README
// shows, and ReadmeSnippetTests checks the README still holds exactly this text.
import FERCore
import FERMedia

func detectAndClassify(checkout root: String) throws {     // root: your FERCore checkout
    let weights = root + "/Weights"
    let sample = root + "/Samples/astronaut_pan.mp4"

    // The first frame of the sample clip.
    let frame = try ImageBuffer(width: 640, height: 480, format: .rgb8)
    let reader = try VideoReader(path: sample)
    _ = try reader.nextFrame(into: frame)

    // MTCNN on the 640×480 frame, minimum face 20, one thread.
    let detector = try FaceDetector(weightsDirectory: weights)
    var faces: [FaceDetection] = []
    try detector.detect(frame.view, into: &faces)

    // The emotion network on one face.
    let classifier = try EmotionClassifier(weightsDirectory: weights)
    let face = Box(x: 273, y: 119, width: 54, height: 69)
    let scores = try classifier.classify(frame.view, box: face)
    print(InstructionSet.current, faces.count, scores.label.name)     // e.g. "AVX-512 1 happy"
}
