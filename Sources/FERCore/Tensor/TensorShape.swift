/// The shape of a 4-D activation tensor in FERCore's one layout, NHWC.
///
/// FERCore stores every activation as batch × height × width × channels with
/// channels fastest (see Docs/Architecture.md for why). A flattened vector of
/// length `k` is the shape `n × 1 × 1 × k`.
public struct TensorShape: Hashable, Sendable, CustomStringConvertible {
    /// Batch size.
    public var n: Int
    /// Height in rows.
    public var h: Int
    /// Width in columns.
    public var w: Int
    /// Channels (the fastest-varying axis).
    public var c: Int

    /// Creates a shape from its four extents.
    public init(n: Int, h: Int, w: Int, c: Int) {
        self.n = n
        self.h = h
        self.w = w
        self.c = c
    }

    /// Creates the shape of one sample (`n == 1`).
    public init(h: Int, w: Int, c: Int) {
        self.init(n: 1, h: h, w: w, c: c)
    }

    /// Number of elements (`n·h·w·c`).
    public var count: Int { n * h * w * c }

    /// Number of elements in one sample (`h·w·c`).
    public var sampleCount: Int { h * w * c }

    /// Number of spatial positions over the whole batch (`n·h·w`): the row count of
    /// the activation viewed as a `(n·h·w) × c` matrix.
    public var rows: Int { n * h * w }

    /// True when every extent is positive.
    public var isValid: Bool { n > 0 && h > 0 && w > 0 && c > 0 }

    /// The shape of one sample as the `[H, W, C]` triple the graph format uses.
    public var sampleDims: [Int] { [h, w, c] }

    public var description: String { "[\(n), \(h), \(w), \(c)]" }
}
