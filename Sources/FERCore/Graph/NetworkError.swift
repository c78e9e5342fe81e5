/// Why a network could not run on an input.
public enum NetworkError: Error, Equatable, CustomStringConvertible {
    /// The input's channel count differs from the network's.
    case wrongChannelCount(network: String, expected: Int, actual: Int)
    /// A fixed-size network was given another height or width.
    case wrongInputSize(network: String, expected: TensorShape, actual: TensorShape)
    /// A shape extent is zero or negative.
    case emptyInput(network: String, shape: TensorShape)
    /// The input is smaller than a layer's window, so that layer has no output.
    case inputTooSmall(network: String, shape: TensorShape, layer: String)
    /// The activations for this input would exceed the workspace limit.
    case inputTooLarge(network: String, shape: TensorShape, bytes: Int, limit: Int)
    /// A layer with a fixed input width (dense after flatten) sees another width
    /// because the input's height or width differs from the reference.
    case layerInputMismatch(network: String, layer: String, expected: Int, actual: Int, input: TensorShape)
    /// The element buffer does not hold `shape.count` floats.
    case bufferSizeMismatch(network: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case let .wrongChannelCount(network, expected, actual):
            return "Network '\(network)' takes \(expected)-channel input (NHWC) but was given \(actual) channels; "
                + "convert the image (e.g. to gray or RGB) first."
        case let .wrongInputSize(network, expected, actual):
            return "Network '\(network)' takes exactly \(expected.h)x\(expected.w) input but was given \(actual.h)x\(actual.w); "
                + "resize the input first."
        case let .emptyInput(network, shape):
            return "Network '\(network)' was given an empty input of shape \(shape); every extent must be at least 1."
        case let .inputTooSmall(network, shape, layer):
            return "Network '\(network)': input \(shape.h)x\(shape.w) is too small for layer '\(layer)', whose window does not fit; "
                + "use a larger input."
        case let .inputTooLarge(network, shape, bytes, limit):
            return "Network '\(network)': input of shape \(shape) needs \(bytes / (1 << 20)) MiB of activations, more than the "
                + "\(limit / (1 << 20)) MiB workspace limit; downscale the input or raise Workspace.memoryLimit."
        case let .layerInputMismatch(network, layer, expected, actual, input):
            return "Network '\(network)': layer '\(layer)' takes \(expected) inputs but an input of \(input.h)x\(input.w) gives it \(actual); "
                + "this network only accepts its reference size, so resize the input first."
        case let .bufferSizeMismatch(network, expected, actual):
            return "Network '\(network)': the input buffer holds \(actual) floats but its shape needs \(expected)."
        }
    }
}
