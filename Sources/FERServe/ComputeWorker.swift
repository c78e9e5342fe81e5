import FERCore
import FERDemoSupport
import FERMedia

/// What one compute thread owns: a ``FaceAnalyzer`` per (model, minimum face, flip) and an
/// ``EmotionClassifier`` per (model, flip) that requests have asked for, made on first use and
/// kept for the next requests (at most ``cacheLimit`` of each: the least recently used goes).
///
/// `@unchecked Sendable`: made on its thread and used only there (``ComputePool``).
package final class ComputeWorker: @unchecked Sendable {
    /// Configurations kept per kind; a request for a ninth evicts the least recently used.
    package static let cacheLimit = 8

    struct AnalyzerKey: Hashable {
        var model: String
        var minimumFace: Int
        var flip: Bool
    }

    struct ClassifierKey: Hashable {
        var model: String
        var flip: Bool
    }

    let weightsDirectory: String?
    private var analyzers: [(key: AnalyzerKey, value: FaceAnalyzer)] = []
    private var classifiers: [(key: ClassifierKey, value: EmotionClassifier)] = []

    package init(weightsDirectory: String?) {
        self.weightsDirectory = weightsDirectory
    }

    /// The analyzer for these parameters (made now if this thread has none).
    func analyzer(_ p: RequestParameters) throws(AnalysisError) -> FaceAnalyzer {
        let key = AnalyzerKey(model: p.model.name, minimumFace: p.minimumFace, flip: p.flip)
        if let i = analyzers.firstIndex(where: { $0.key == key }) {
            let entry = analyzers.remove(at: i)
            analyzers.append(entry)
            return entry.value
        }
        var options = FaceAnalyzer.Options()
        options.emotionModel = p.model
        options.detector.minimumFaceSize = p.minimumFace
        options.classifier.flipAveraging = p.flip
        let analyzer = try FaceAnalyzer(weightsDirectory: weightsDirectory, options: options)
        if analyzers.count >= Self.cacheLimit { analyzers.removeFirst() }
        analyzers.append((key, analyzer))
        return analyzer
    }

    /// The classifier for these parameters (made now if this thread has none).
    func classifier(_ p: RequestParameters) throws(EmotionError) -> EmotionClassifier {
        let key = ClassifierKey(model: p.model.name, flip: p.flip)
        if let i = classifiers.firstIndex(where: { $0.key == key }) {
            let entry = classifiers.remove(at: i)
            classifiers.append(entry)
            return entry.value
        }
        var options = EmotionClassifier.Options()
        options.flipAveraging = p.flip
        let classifier = try EmotionClassifier(model: p.model, weightsDirectory: weightsDirectory, options: options)
        if classifiers.count >= Self.cacheLimit { classifiers.removeFirst() }
        classifiers.append((key, classifier))
        return classifier
    }
}
