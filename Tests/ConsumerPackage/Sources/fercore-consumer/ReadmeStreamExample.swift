// A README example, verbatim from `import` to the closing brace: main.swift calls it, so
// `make test` (Tools/check_consumer_build.sh --check) compiles and runs the snippet the README
// shows, and ReadmeSnippetTests checks the README still holds exactly this text.
import FERCore
import FERMedia

func printEmotions(inVideoAt path: String) throws {
    let pipeline = try EmotionPipeline(options: PipelineOptions())      // MTCNN + CSR-DCF + emotion CNN
    let video = try VideoReader(path: path)                          // or V4L2Camera(...), ImageFolderSource(...)
    let frame = try ImageBuffer(width: video.width, height: video.height, format: .rgb8)
    var result = FrameResult()
    while let info = try video.nextFrame(into: frame) {               // one buffer reused for the whole stream
        try pipeline.process(frame.view, info: info, into: &result)   // allocates nothing after warm-up
        for face in result.faces { print(info.index, face.id, face.emotion?.label.name ?? "–") }
    }
}
