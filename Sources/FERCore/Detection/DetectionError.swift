/// Why face detection could not run.
public enum DetectionError: Error, Equatable, CustomStringConvertible {
    /// A network's weights file could not be loaded.
    case weights(model: String, underlying: WeightsError)
    /// A network lacks the outputs its stage reads (a wrong weights file): the stage,
    /// the file, and what is missing.
    case wrongNetwork(stage: String, path: String, reason: String)
    /// A network refused an input (for instance a pyramid level too large for the workspace limit).
    case network(stage: String, underlying: NetworkError)
    /// An option lies outside its allowed range.
    case invalidOption(name: String, value: String, allowed: String)
    /// The image exceeds ``ImageLimits/maximumPixels``.
    case imageTooLarge(width: Int, height: Int, limit: Int)
    /// For this image size, the minimum face size needs a first pyramid level of more than
    /// ``FaceDetectorOptions/maximumLevelPixels`` pixels; `smallestAllowed` fits.
    case minimumFaceTooSmall(
        minimumFaceSize: Int, imageWidth: Int, imageHeight: Int, smallestAllowed: Int,
        maximumLevelPixels: Int)

    public var description: String {
        switch self {
        case let .weights(model, underlying):
            return "Face detector: could not load the \(model) weights: \(underlying) "
                + "Check the weights directory (FERCORE_WEIGHTS or ./Weights; `make weights` recreates them)."
        case let .wrongNetwork(stage, path, reason):
            return "Face detector, \(stage): the network from \(path) \(reason); load the matching file of Weights/ "
                + "(\(ModelFile.pnet.fileName), \(ModelFile.rnet.fileName), \(ModelFile.onet.fileName))."
        case let .network(stage, underlying):
            return "Face detector, \(stage): \(underlying)"
        case let .invalidOption(name, value, allowed):
            return "Face detector option \(name) = \(value) is out of range; allowed: \(allowed)."
        case let .minimumFaceTooSmall(minimumFace, width, height, smallest, bound):
            let scale = 12 / Double(max(1, minimumFace))
            let level = Double(width) * scale * Double(height) * scale
            return "Face detector: a minimum face of \(minimumFace) px in a \(width)x\(height) image needs a first pyramid level of "
                + "\(Self.megapixels(level)) megapixels (the image scaled by 12/\(minimumFace)), more than the bound of "
                + "\(Self.megapixels(Double(bound))) (FaceDetectorOptions.maximumLevelPixels). Use a minimum face of at least "
                + "\(smallest) px (ferdemo: --min-face \(smallest)), or a smaller image."
        case let .imageTooLarge(width, height, limit):
            return "Face detector: image \(width)x\(height) has more than \(limit) pixels; downscale it first."
        }
    }

    private static func megapixels(_ pixels: Double) -> String {
        let tenths = (pixels / 100_000).rounded()
        return "\(Int(tenths) / 10).\(Int(tenths) % 10)"
    }
}
