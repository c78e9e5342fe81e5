/// An axis-aligned box in pixel coordinates (x, y = top-left corner).
public struct TrackBox: Sendable, Hashable, CustomStringConvertible {
    /// Left edge.
    public var x: Double
    /// Top edge.
    public var y: Double
    /// Width.
    public var width: Double
    /// Height.
    public var height: Double

    /// Creates a box.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The centre point.
    public var center: (x: Double, y: Double) { (x + width / 2, y + height / 2) }

    /// Area (0 for an empty box).
    public var area: Double { max(0, width) * max(0, height) }

    /// Intersection over union with `other` (0 when either box is empty).
    public func iou(_ other: TrackBox) -> Double {
        intersectionOverUnion(x, y, width, height, other.x, other.y, other.width, other.height)
    }

    public var description: String { "(\(x), \(y), \(width)x\(height))" }
}
