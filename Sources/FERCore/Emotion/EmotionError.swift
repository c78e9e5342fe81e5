/// Why a face could not be classified.
public enum EmotionError: Error, Equatable, CustomStringConvertible {
    /// The network is not a 7-class classifier of square gray images (wrong weights file):
    /// its graph name, the file it was loaded from, and what does not fit.
    case wrongNetwork(name: String, path: String, reason: String)
    /// The face box has zero or negative width or height (in whole pixels: fer's crop truncates
    /// the corners).
    case emptyBox(Box)
    /// The face box does not overlap the image at all.
    case boxOutsideImage(Box, imageWidth: Int, imageHeight: Int)
    /// The image (or crop) itself is unusable: empty, too large or of another pixel format.
    case image(ImageError)
    /// The network rejected its input (for example a batch too large for the memory limit).
    case network(NetworkError)
    /// The weights file could not be loaded.
    case weights(WeightsError)
    /// A batch call was given a results buffer of the wrong length.
    case resultCountMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case let .wrongNetwork(name, path, reason):
            return "Network '\(name)' from \(path) cannot classify emotions: \(reason). Load an emotion model's file: "
                + EmotionModel.all.map { "Weights/\($0.file.fileName)" }.joined(separator: " or ") + "."
        case let .emptyBox(box):
            return "Face box \(box) has no area; pass a box at least 1x1 pixels (skip this face)."
        case let .boxOutsideImage(box, w, h):
            return "Face box \(box) lies wholly outside the \(w)x\(h) image; pass a box that overlaps the image."
        case let .image(error):
            return "Cannot classify this image: \(error)"
        case let .network(error):
            return "The emotion network failed: \(error)"
        case let .weights(error):
            return "Cannot load the emotion network: \(error)"
        case let .resultCountMismatch(expected, actual):
            return "The results buffer holds \(actual) entries for \(expected) faces; size it to the number of faces."
        }
    }
}
