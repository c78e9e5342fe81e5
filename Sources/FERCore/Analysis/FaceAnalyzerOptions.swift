extension FaceAnalyzer {
    /// Everything ``FaceAnalyzer`` can be tuned with, in one value; each default says where it
    /// comes from.
    ///
    /// ```swift
    /// var options = FaceAnalyzer.Options()
    /// options.detector.minimumFaceSize = 40      // only faces of 40 px and more: faster
    /// options.classifier.flipAveraging = true    // average with the mirrored face
    /// options.threads = 2
    /// let analyzer = try FaceAnalyzer(options: options)
    /// ```
    public struct Options: Sendable, Equatable {
        /// Compute threads of one ``FaceAnalyzer/analyze(_:)-(Image)`` call, the caller's
        /// included: the detector's pyramid levels and both networks' loops are split over
        /// them. Must lie in `1...256`. Default 1: a call runs wholly on its caller's thread,
        /// so that several calls at once (from several tasks) each use one core. With more,
        /// the analyzer starts `threads - 1` threads of its own, shared by all its calls: one
        /// call at a time uses them and calls made meanwhile run on their own threads (the
        /// results are the same either way).
        public var threads: Int = 1
        /// The face detector's options. Default `FaceDetectorOptions()`: the `mtcnn` 1.0.0
        /// defaults (minimum face 20 px, every face kept). Set
        /// ``FaceDetectorOptions/minimumFaceSize`` to skip small faces (and save time), and
        /// ``FaceDetectorOptions/maximumFaces`` to keep only the most certain faces.
        public var detector = FaceDetectorOptions()
        /// The emotion classifier's options. Default `EmotionClassifier.Options()`: the `fer`
        /// package's preprocessing, no flip averaging, never uncertain. Set
        /// ``EmotionClassifier/Options/flipAveraging`` to average each face with its mirror image.
        public var classifier = EmotionClassifier.Options()
        /// The emotion model the classifier runs. Default ``EmotionModel/default``
        /// (`fernet`, FERCore's own); ``EmotionModel/all`` lists the others.
        public var emotionModel = EmotionModel.default

        /// The defaults: the reference packages' settings, one thread.
        public init() {}

        /// Checks the analyzer's own fields (the detector and the classifier check theirs
        /// when the analyzer is created).
        /// - Throws: ``AnalysisError/invalidOption(name:value:allowed:)``.
        public func validate() throws(AnalysisError) {
            guard threads >= 1, threads <= 256 else {
                throw .invalidOption(name: "threads", value: "\(threads)", allowed: "1...256")
            }
        }
    }
}
