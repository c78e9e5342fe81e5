extension EmotionClassifier {
    /// Every tunable of the classifier; the defaults reproduce the `fer` package
    /// (fer 25.10.3 with `use_tflite=False`) exactly.
    public struct Options: Sendable, Equatable {
        /// Also classify the mirrored face and average the two probability vectors
        /// (test-time augmentation; costs a second forward pass, run in the same batch).
        /// Default `false`: fer does not do it. Faces are nearly symmetric and FER-2013
        /// training used flips, so averaging usually helps a little (Docs/Accuracy.md).
        public var flipAveraging = false
        /// Results whose top probability is below this are marked
        /// ``EmotionScores/isUncertain`` (shown as "uncertain"). Default 0: never, as fer.
        /// With seven classes a value around 0.4 flags the ambiguous faces.
        public var uncertaintyThreshold: Float = 0
        /// Where the face is cropped around its box (fer's margins and padding by default).
        public var geometry = FacePreprocessor.Geometry()
        /// The most faces run through the network at once (rounded down to a power of
        /// two, at least 1). Larger batches are split into power-of-two chunks so the
        /// workspace keeps at most log2(maximumBatch) + 1 plans (+1 with flip averaging)
        /// and never replans after warm-up. Default 16: past that the GEMMs gain
        /// nothing and the arena only grows (about 1.3 MB per face).
        public var maximumBatch = 16

        /// The defaults (fer's behaviour).
        public init() {}
    }
}
