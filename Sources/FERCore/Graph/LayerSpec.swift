import Foundation

/// The graph description stored as JSON under `fercore.graph` in a weights
/// file's metadata (Docs/GraphFormat.md is the specification).
public struct GraphDescription: Decodable, Sendable {
    /// Always `fercore-graph`.
    public var format: String
    /// Format version; this reader understands 1.
    public var version: Int
    /// The network's name, e.g. `pnet`.
    public var name: String
    /// The graph input.
    public var input: InputSpec
    /// Names of the layers whose values are the network outputs, in order.
    public var outputs: [String]
    /// The layers in execution order.
    public var layers: [LayerSpec]

    /// The graph input: its reference shape and whether other sizes are accepted.
    public struct InputSpec: Decodable, Sendable {
        /// The input's name, which layers use to refer to it.
        public var name: String
        /// The reference `[H, W, C]`.
        public var shape: [Int]
        /// `dynamic` (any height and width) or `fixed`.
        public var spatial: String?
    }

    /// The key under which the description is stored in `__metadata__`.
    public static let metadataKey = "fercore.graph"
}

/// One layer of a ``GraphDescription``.
public struct LayerSpec: Decodable, Sendable {
    /// Unique layer name.
    public var name: String
    /// The operation (see ``LayerOp``), as written in the file.
    public var op: String
    /// Names of the values this layer reads.
    public var inputs: [String]
    /// Operation attributes.
    public var attrs: LayerAttributes
    /// Role → tensor name in the file.
    public var params: [String: String]
    /// Output shape for the reference input: `[H, W, C]`, or `[N]` for a vector.
    public var shape: [Int]

    private enum CodingKeys: String, CodingKey { case name, op, inputs, attrs, params, shape }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        op = try c.decode(String.self, forKey: .op)
        inputs = try c.decodeIfPresent([String].self, forKey: .inputs) ?? []
        attrs = try c.decodeIfPresent(LayerAttributes.self, forKey: .attrs) ?? LayerAttributes()
        params = try c.decodeIfPresent([String: String].self, forKey: .params) ?? [:]
        shape = try c.decode([Int].self, forKey: .shape)
    }
}

/// Attributes any op may carry; each op reads the ones it needs.
public struct LayerAttributes: Decodable, Sendable {
    /// Window size `[kh, kw]` of a convolution.
    public var kernel: [Int]?
    /// Window size `[kh, kw]` of a pooling layer.
    public var pool: [Int]?
    /// Stride `[sh, sw]`.
    public var stride: [Int]?
    /// `valid`, `same` or `ceil`.
    public var padding: String?
    /// Output channels of a convolution.
    public var filters: Int?
    /// Output width of a dense layer.
    public var units: Int?
    /// Batch-norm epsilon.
    public var epsilon: Double?
    /// Flatten order: a permutation of `[0, 1, 2]`, slowest axis first.
    public var order: [Int]?

    /// No attributes.
    public init() {}
}

/// The operations a graph may use.
///
/// The case names are the op names of the file format (Docs/GraphFormat.md), spelled as there.
public enum LayerOp: String, Sendable, CaseIterable {
    /// A 2-D convolution: `kernel` `[KH, KW, Cin, filters]`, optional `bias`.
    case conv2d
    /// One `[KH, KW]` filter per channel: `kernel` `[KH, KW, C]`, optional `bias`.
    case depthwise_conv2d
    /// A depthwise convolution (no bias) followed by a 1×1 convolution: `depthwise`, `pointwise`, optional `bias`.
    case separable_conv2d
    /// Inference batch normalisation: `gamma`, `beta`, `mean`, `variance` and `epsilon`.
    case batch_norm
    /// `max(x, 0)`.
    case relu
    /// `x < 0 ? alpha[c]·x : x`: `alpha` per channel.
    case prelu
    /// Max pooling (`valid`, `same` or Caffe's `ceil` padding).
    case max_pool2d
    /// The mean of each channel over height and width.
    case global_avg_pool
    /// The sample's elements as one vector, in the axis order `order`.
    case flatten
    /// A fully connected layer: `kernel` `[inputs, units]`, optional `bias`.
    case dense
    /// Softmax over the channels.
    case softmax
    /// The sum of two values of the same shape.
    case add
}
