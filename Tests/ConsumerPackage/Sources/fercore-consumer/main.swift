// A user's program: the emotion network, the face detector and the whole pipeline, timed; and
// the README's FaceAnalyzer example (ReadmeExample.swift) on the sample clip's first frame.
//
//   fercore-consumer --info                 instruction set and build kind
//   fercore-consumer --bench ROOT [SECONDS] per-stage timings as JSON (ROOT: the FERCore checkout)
import FERCore
import FERMedia
import Foundation

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

/// Minimum and median of repeated runs for about `seconds` (at least 5 runs) after a warm-up.
func measure(_ seconds: Double, _ body: () throws -> Void) rethrows -> (min: Double, median: Double) {
    for _ in 0..<3 { try body() }
    var times: [Double] = []
    let end = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
    while times.count < 5 || DispatchTime.now().uptimeNanoseconds < end { times.append(try milliseconds(body)) }
    times.sort()
    return (times[0], times[times.count / 2])
}

/// Runs `body` with standard output sent to standard error.
func withStandardOutputOnStandardError(_ body: () throws -> Void) rethrows {
    fflush(nil)
    let saved = dup(1)
    dup2(2, 1)
    defer {
        fflush(nil)
        dup2(saved, 1)
        close(saved)
    }
    try body()
}

let arguments = CommandLine.arguments
if arguments.contains("--info") {
    print("instruction_set \(InstructionSet.current) supported \(InstructionSet.supported) debug \(FERCoreVersion.isDebugBuild)")
    exit(0)
}
guard arguments.count >= 3, arguments[1] == "--bench" else {
    print("usage: fercore-consumer --info | --bench FERCORE_ROOT [SECONDS]")
    exit(2)
}
let root = arguments[2]
let seconds = arguments.count > 3 ? Double(arguments[3]) ?? 2 : 2
let weights = root + "/Weights"
let sample = root + "/Samples/astronaut_pan.mp4"

// The first frame of the sample clip, for the detector.
let frame = try ImageBuffer(width: 640, height: 480, format: .rgb8)
let reader = try VideoReader(path: sample)
_ = try reader.nextFrame(into: frame)

// The README's example on that frame as a JPEG file. Its lines go to standard error: standard
// output carries only the JSON below. The same call checked here: one face, happy.
let photo = FileManager.default.temporaryDirectory.appendingPathComponent("fercore-consumer-\(getpid()).jpg").path
try ImageWriter.write(frame.view, to: photo)
try withStandardOutputOnStandardError { try printEmotions(inPhotoAt: photo) }
// The README's other two examples: the pipeline over the sample clip, the parts on its first frame.
try withStandardOutputOnStandardError { try printEmotions(inVideoAt: sample) }
try withStandardOutputOnStandardError { try detectAndClassify(checkout: root) }
let analyzed = try FaceAnalyzer().analyze(ImageReader.read(path: photo))
try FileManager.default.removeItem(atPath: photo)
guard analyzed.count == 1, analyzed[0].emotion.label == .happy else {
    FileHandle.standardError.write(Data("fercore-consumer: FaceAnalyzer found \(analyzed), not one happy face\n".utf8))
    exit(1)
}

// The default emotion model (fernet), one face, one thread.
let classifier = try EmotionClassifier(weightsDirectory: weights)
let face = Box(x: 273, y: 119, width: 54, height: 69)
var scores = EmotionScores.zero
let emotion = try measure(seconds) { scores = try classifier.classify(frame.view, box: face) }

// MTCNN on the 640×480 frame, minimum face 20, one thread.
let detector = try FaceDetector(weightsDirectory: weights)
var faces: [FaceDetection] = []
let detection = try measure(seconds) { try detector.detect(frame.view, into: &faces) }

// The whole pipeline over the sample clip (deferred detection, 2 threads), three runs.
var pipelineTimes: [Double] = []
for _ in 0..<3 {
    var config = PipelineOptions()
    config.weightsDirectory = weights
    let pipeline = try EmotionPipeline(options: config)
    let video = try VideoReader(path: sample)
    var result = FrameResult()
    pipelineTimes.append(try milliseconds {
        while let info = try video.nextFrame(into: frame) { try pipeline.process(frame.view, info: info, into: &result) }
    })
}
pipelineTimes.sort()
print("{\"instruction_set\": \"\(InstructionSet.current)\", \"label\": \"\(scores.label.name)\", \"faces\": \(faces.count), "
      + String(format: "\"emotion_ms_min\": %.4f, \"emotion_ms_median\": %.4f, \"detect_ms_min\": %.3f, \"detect_ms_median\": %.3f, \"pipeline_ms_min\": %.1f}",
               emotion.min, emotion.median, detection.min, detection.median, pipelineTimes[0]))
