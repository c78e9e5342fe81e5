/// An integer face rectangle in image pixels: top-left corner, width and height — the
/// `(x, y, w, h)` boxes the `fer` package passes to its classifier.
public struct FaceRect: Sendable, Hashable, CustomStringConvertible {
    /// Left column (may be negative: a box partly outside the image).
    public var x: Int
    /// Top row (may be negative).
    public var y: Int
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    /// Creates a rectangle.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The integer box `fer` makes from a detector's float corners: each corner truncated
    /// toward zero (`int()`), width and height the differences of the truncated corners
    /// (fer 25.10.3 `FER.find_faces`, MTCNN branch).
    public init(x1: Float, y1: Float, x2: Float, y2: Float) {
        let ix1 = Int(exactly: x1.rounded(.towardZero)) ?? 0, iy1 = Int(exactly: y1.rounded(.towardZero)) ?? 0
        let ix2 = Int(exactly: x2.rounded(.towardZero)) ?? 0, iy2 = Int(exactly: y2.rounded(.towardZero)) ?? 0
        self.init(x: ix1, y: iy1, width: ix2 - ix1, height: iy2 - iy1)
    }

    /// `[x, y, w, h]`.
    public var description: String { "[\(x), \(y), \(width), \(height)]" }
}

extension FaceRect {
    /// The integer box of a detector's ``Box``: corners truncated toward zero (fer's rule
    /// for MTCNN boxes; FERCore's detector already returns whole-pixel corners).
    public init(_ box: Box) {
        self.init(x1: box.x, y1: box.y, x2: box.x + box.width, y2: box.y + box.height)
    }
}
