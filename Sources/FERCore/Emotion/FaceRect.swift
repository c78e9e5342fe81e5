/// An integer face rectangle in image pixels: top-left corner, width and height — the
/// `(x, y, w, h)` boxes the `fer` package passes to its classifier.
struct FaceRect: Sendable, Hashable, CustomStringConvertible {
    /// Left column (may be negative: a box partly outside the image).
    var x: Int
    /// Top row (may be negative).
    var y: Int
    /// Width in pixels.
    var width: Int
    /// Height in pixels.
    var height: Int

    /// Creates a rectangle.
    init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The integer box `fer` makes from a detector's float corners: each corner truncated
    /// toward zero (`int()`), width and height the differences of the truncated corners
    /// (fer 25.10.3 `FER.find_faces`, MTCNN branch).
    init(x1: Double, y1: Double, x2: Double, y2: Double) {
        let ix1 = Int(exactly: x1.rounded(.towardZero)) ?? 0, iy1 = Int(exactly: y1.rounded(.towardZero)) ?? 0
        let ix2 = Int(exactly: x2.rounded(.towardZero)) ?? 0, iy2 = Int(exactly: y2.rounded(.towardZero)) ?? 0
        self.init(x: ix1, y: iy1, width: ix2 - ix1, height: iy2 - iy1)
    }

    /// `[x, y, w, h]`.
    var description: String { "[\(x), \(y), \(width), \(height)]" }
}

extension FaceRect {
    /// The integer box of a detector's ``Box``: corners truncated toward zero (fer's rule
    /// for MTCNN boxes; FERCore's detector already returns whole-pixel corners).
    init(_ box: Box) {
        self.init(x1: box.x, y1: box.y, x2: box.x + box.width, y2: box.y + box.height)
    }
}

extension FaceRect {
    /// The same rectangle as a ``Box`` (for error messages).
    var box: Box { Box(x: Double(x), y: Double(y), width: Double(width), height: Double(height)) }
}
