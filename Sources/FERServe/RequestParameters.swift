import FERCore
import Hummingbird

/// The query parameters of `/v1/analyze`, `/v1/classify` and `/v1/stream`, checked.
package struct RequestParameters: Sendable, Equatable {
    /// `model`: the emotion model (default: the server's, normally fernet).
    package var model: EmotionModel
    /// `min_face`: the smallest face side the detector looks for, in pixels (default 20, as `mtcnn`).
    package var minimumFace: Int
    /// `flip`: average each face with its mirror image (default false).
    package var flip: Bool

    /// The range of `min_face`: below 12 px MTCNN's P-Net sees nothing (its window is 12 px);
    /// above 10,000 px no image this server takes has such a face.
    package static let minimumFaceRange = 12...10_000

    package init(model: EmotionModel = .default, minimumFace: Int = 20, flip: Bool = false) {
        self.model = model
        self.minimumFace = minimumFace
        self.flip = flip
    }

    /// Reads the parameters from a query; an unknown parameter is an error too (a typo such as
    /// `minface=40` must not be silently ignored).
    package init(query: [(String, String)], defaultModel: EmotionModel, allowed: Set<String>) throws(APIError) {
        self.init(model: defaultModel)
        for (name, value) in query {
            switch name {
            case "model" where allowed.contains(name):
                guard let m = EmotionModel(name: value) else {
                    throw .badParameter(name, value, allowed: EmotionModel.names)
                }
                model = m
            case "min_face" where allowed.contains(name):
                guard let n = Int(value), Self.minimumFaceRange.contains(n) else {
                    throw .badParameter(name, value, allowed: "an integer in \(Self.minimumFaceRange.lowerBound)...\(Self.minimumFaceRange.upperBound)")
                }
                minimumFace = n
            case "flip" where allowed.contains(name):
                switch value.lowercased() {
                case "true", "1", "yes": flip = true
                case "false", "0", "no": flip = false
                default: throw .badParameter(name, value, allowed: "true or false")
                }
            case "token" where allowed.contains(name):
                continue
            default:
                throw APIError(
                    .badRequest, code: "bad_parameter",
                    "Unknown query parameter '\(name)'; this endpoint takes: \(allowed.sorted().joined(separator: ", ")).")
            }
        }
    }
}
