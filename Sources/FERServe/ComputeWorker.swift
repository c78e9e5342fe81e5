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
    private var analyzers = RecentlyUsed<AnalyzerKey, FaceAnalyzer>(limit: cacheLimit)
    private var classifiers = RecentlyUsed<ClassifierKey, EmotionClassifier>(limit: cacheLimit)

    package init(weightsDirectory: String?) {
        self.weightsDirectory = weightsDirectory
    }

    /// The analyzer for these parameters (made now if this thread has none).
    func analyzer(_ p: RequestParameters) throws(AnalysisError) -> FaceAnalyzer {
        try analyzers.value(for: AnalyzerKey(model: p.model.name, minimumFace: p.minimumFace, flip: p.flip)) { () throws(AnalysisError) in
            var options = FaceAnalyzer.Options()
            options.emotionModel = p.model
            options.detector.minimumFaceSize = p.minimumFace
            options.classifier.flipAveraging = p.flip
            return try FaceAnalyzer(weightsDirectory: weightsDirectory, options: options)
        }
    }

    /// The classifier for these parameters (made now if this thread has none).
    func classifier(_ p: RequestParameters) throws(EmotionError) -> EmotionClassifier {
        try classifiers.value(for: ClassifierKey(model: p.model.name, flip: p.flip)) { () throws(EmotionError) in
            var options = EmotionClassifier.Options()
            options.flipAveraging = p.flip
            return try EmotionClassifier(model: p.model, weightsDirectory: weightsDirectory, options: options)
        }
    }
}

/// At most `limit` values by key, the least recently used dropped first (a handful of entries:
/// a linear search is the fastest lookup).
struct RecentlyUsed<Key: Equatable, Value> {
    let limit: Int
    private var entries: [(key: Key, value: Value)] = []

    init(limit: Int) { self.limit = limit }

    /// The value for `key`, made by `make` (and kept) when there is none.
    mutating func value<E: Error>(for key: Key, make: () throws(E) -> Value) throws(E) -> Value {
        if let i = entries.firstIndex(where: { $0.key == key }) {
            let entry = entries.remove(at: i)
            entries.append(entry)
            return entry.value
        }
        let value = try make()
        if entries.count >= limit { entries.removeFirst() }
        entries.append((key, value))
        return value
    }
}
