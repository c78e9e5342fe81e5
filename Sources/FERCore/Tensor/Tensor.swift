/// A dense Float32 tensor in NHWC layout that owns its storage.
///
/// `Tensor` is the convenient, copying type for inputs and outputs at API
/// boundaries. The per-frame hot path uses ``Workspace`` buffers instead, which
/// are planned once and never reallocated.
public struct Tensor: Sendable, Equatable {
    /// The tensor's shape.
    public private(set) var shape: TensorShape
    /// The elements, NHWC order (channels fastest).
    public var scalars: [Float]

    /// Creates a tensor filled with `value`.
    public init(shape: TensorShape, repeating value: Float = 0) {
        self.shape = shape
        self.scalars = [Float](repeating: value, count: max(shape.count, 0))
    }

    /// Creates a tensor from elements in NHWC order.
    ///
    /// - Throws: ``TensorError/elementCountMismatch(expected:actual:)`` when
    ///   `scalars.count` differs from `shape.count`.
    public init(shape: TensorShape, scalars: [Float]) throws(TensorError) {
        guard shape.count == scalars.count, shape.count >= 0 else {
            throw .elementCountMismatch(expected: shape.count, actual: scalars.count)
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// Reads the element at batch `n`, row `y`, column `x`, channel `c`.
    public subscript(n: Int, y: Int, x: Int, c: Int) -> Float {
        get { scalars[((n * shape.h + y) * shape.w + x) * shape.c + c] }
        set { scalars[((n * shape.h + y) * shape.w + x) * shape.c + c] = newValue }
    }
}

/// Errors about tensor construction and shapes.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// The element array does not fill the shape.
    case elementCountMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case let .elementCountMismatch(expected, actual):
            return "Tensor needs \(expected) elements for its shape but was given \(actual); "
                + "pass an array of exactly shape.n*h*w*c floats in NHWC order."
        }
    }
}
