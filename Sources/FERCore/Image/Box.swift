/// An axis-aligned rectangle in image pixels: top-left corner and size. The one box type of
/// FERCore: the detector finds them, the tracker follows them, the classifier crops them and
/// the pipeline reports them.
///
/// Coordinates are `Double` because detectors and trackers place boxes to sub-pixel precision;
/// round them where whole pixels are needed. A box may lie partly outside the image.
public struct Box: Sendable, Hashable, CustomStringConvertible {
    /// Left edge, in pixels from the image's left side.
    public var x: Double
    /// Top edge, in pixels from the image's top.
    public var y: Double
    /// Width in pixels.
    public var width: Double
    /// Height in pixels.
    public var height: Double

    /// Creates a box from its top-left corner and size.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Creates a box of the given size centred on (`centerX`, `centerY`).
    public init(centerX: Double, centerY: Double, width: Double, height: Double) {
        self.init(x: centerX - width / 2, y: centerY - height / 2, width: width, height: height)
    }

    /// The centre point.
    public var center: (x: Double, y: Double) { (x + width / 2, y + height / 2) }

    /// The box's area (0 for boxes with a negative side).
    public var area: Double { max(0, width) * max(0, height) }

    /// Whether every coordinate is finite and both sides are positive.
    public var isUsable: Bool { x.isFinite && y.isFinite && width.isFinite && height.isFinite && width > 0 && height > 0 }

    /// Intersection over union with `other` (0 when either box is empty).
    public func iou(_ other: Box) -> Double {
        intersectionOverUnion(x, y, width, height, other.x, other.y, other.width, other.height)
    }

    /// Whether the point (`px`, `py`) lies inside the box (edges included).
    public func contains(x px: Double, y py: Double) -> Bool {
        px >= x && py >= y && px <= x + width && py <= y + height
    }

    public var description: String { "[x \(x), y \(y), w \(width), h \(height)]" }
}

/// Intersection over union of two boxes given as (x, y, width, height); 0 when either is
/// empty or they do not overlap.
@inline(__always)
func intersectionOverUnion(
    _ ax: Double, _ ay: Double, _ aw: Double, _ ah: Double,
    _ bx: Double, _ by: Double, _ bw: Double, _ bh: Double
) -> Double {
    let ix = min(ax + aw, bx + bw) - max(ax, bx)
    let iy = min(ay + ah, by + bh) - max(ay, by)
    guard ix > 0, iy > 0 else { return 0 }
    let inter = ix * iy
    let union = max(0, aw) * max(0, ah) + max(0, bw) * max(0, bh) - inter
    return union > 0 ? inter / union : 0
}
