// A README example, verbatim from `import` to the closing brace: main.swift calls it, so
// `make test` (Tools/check_consumer_build.sh --check) compiles and runs the snippet the README
// shows, and ReadmeSnippetTests checks the README still holds exactly this text.
import FERCore
import FERMedia

func printEmotions(inPhotoAt path: String) throws {
    let analyzer = try FaceAnalyzer()                  // MTCNN + emotion CNN; Sendable: share one
    let photo = try ImageReader.read(path: path)       // an Image (JPEG, PNG, BMP, ...)
    for face in try analyzer.analyze(photo) {          // every face, best detection first
        print(face.box, face.emotion.label, face.emotion.confidence)
    }
}
