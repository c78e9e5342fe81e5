import Foundation

/// A network run in int8: u8 activations and 7-bit s8 weights with per-output-channel scales,
/// int32 sums, float epilogues (Docs/Architecture.md, "Int8").
///
/// It runs the graphs FERCore's own emotion model has: a chain of blocks, each a `conv2d`
/// (any kernel and stride, `valid` or `same` padding, input channels a multiple of 4 after the
/// first), an optional `batch_norm` (folded into the convolution), `relu`, and an optional
/// `max_pool2d` (`valid`); then `global_avg_pool`, `dense` and an optional `softmax`. The file is
/// a float graph and its tensors plus `__metadata__["fercore.int8"]`, which gives every
/// convolution's input scale, calibrated on FER-2013 Training images. Tools/quantize_emotion.py
/// writes the shipped one with batch norm already folded and the kernels already on their 7-bit
/// grid (GPTQ rounding), so the rounding below leaves them where the tool put them:
///
/// - the image (in [-1, 1]) enters as u8 with scale 1/127 and zero point 128;
/// - every later convolution reads the u8 output of the one before (ReLU outputs: zero point 0),
///   quantized with the scale the metadata gives for it;
/// - weights: the batch-norm-folded kernel, per output channel `scale = max|w| / 63`,
///   `q = round(w / scale)` (7 bits so that AVX2's `vpmaddubsw` never saturates; VNNI gives the
///   same sums);
/// - the last convolution's output stays float; global average pooling, the dense layer and
///   softmax run in float.
///
/// Results are bit-identical on every instruction-set path and equal a numpy model of the same
/// arithmetic (Tools/quantize_emotion.py writes the goldens). Immutable and `Sendable`; run it
/// through a ``QuantizedWorkspace``, one per thread.
public final class QuantizedNetwork: Sendable {
    /// The graph's name.
    public let name: String
    /// The file it was loaded from.
    public let path: String
    /// The input shape (batch 1), gray or colour as the graph says.
    public let referenceInputShape: TensorShape
    /// Values per sample of the output (7 for an emotion model).
    public let outputCount: Int
    /// Multiply–accumulate count of one forward pass.
    public let referenceMACs: Int
    /// The calibration note of the file's `fercore.int8` metadata (data, images, method).
    public let calibration: String

    struct Conv: Sendable {
        var name: String
        var inH: Int, inW: Int, cin: Int
        var geometry: WindowGeometry
        var cout: Int
        var kPadded: Int
        var packed: [Int8]
        /// Per output channel, padded to a multiple of 16: the epilogue's scale and bias.
        var scale: [Float]
        var bias: [Float]
        var inputZeroPoint: UInt8
        var pool: WindowGeometry?
        /// True for the last convolution (float output for the pooling and dense head).
        var floatOutput: Bool
        var outH: Int { geometry.outH }
        var outW: Int { geometry.outW }
        var finalH: Int { pool?.outH ?? geometry.outH }
        var finalW: Int { pool?.outW ?? geometry.outW }
    }

    let convs: [Conv]
    let denseWeights: [Float] // [in][out]
    let denseBias: [Float]
    let denseIn: Int
    let softmax: Bool
    /// The image's u8 scale (1/127) and zero point (128).
    static let inputScale: Float = 1.0 / 127
    static let inputZeroPoint: UInt8 = 128

    /// The metadata key of the quantization parameters.
    public static let metadataKey = "fercore.int8"

    private struct Metadata: Decodable {
        var format: String
        var version: Int
        var input_scales: [String: Double]
        var calibration: String?
    }

    /// Loads the int8 network stored at `path`.
    /// - Throws: ``WeightsError`` when the file is unusable, has no `fercore.int8` metadata, or
    ///   its graph is not a chain this engine runs in int8.
    public convenience init(contentsOf path: String) throws(WeightsError) {
        try self.init(file: SafeTensorsFile(contentsOf: path))
    }

    /// Builds the int8 network of an already-read file.
    public init(file: SafeTensorsFile) throws(WeightsError) {
        let path = file.path
        func fail(_ layer: String, _ detail: String) -> WeightsError {
            .invalidGraph(
                path: path, layer: layer,
                detail: detail + " (int8 runs chains of conv2d, batch_norm, relu, max_pool2d, "
                    + "then global_avg_pool, dense, softmax; see Docs/GraphFormat.md)")
        }
        guard let graphText = file.metadata[GraphDescription.metadataKey] else { throw .missingGraph(path: path) }
        let graph: GraphDescription
        do { graph = try JSONDecoder().decode(GraphDescription.self, from: Data(graphText.utf8)) } catch {
            throw .invalidGraph(path: path, layer: "(graph)", detail: "the graph JSON cannot be read: \(error)")
        }
        guard let metaText = file.metadata[Self.metadataKey] else {
            throw .invalidGraph(
                path: path, layer: "(file)",
                detail: "no '\(Self.metadataKey)' metadata: this is not an int8 model file; "
                    + "make one with Tools/quantize_emotion.py")
        }
        let meta: Metadata
        do { meta = try JSONDecoder().decode(Metadata.self, from: Data(metaText.utf8)) } catch {
            throw .invalidGraph(path: path, layer: "(file)", detail: "the '\(Self.metadataKey)' metadata cannot be read: \(error)")
        }
        guard meta.format == "fercore-int8", meta.version == 1 else {
            throw .invalidGraph(
                path: path, layer: "(file)",
                detail: "'\(Self.metadataKey)' is \(meta.format) version \(meta.version); "
                    + "this FERCore reads fercore-int8 version 1")
        }
        let shape = graph.input.shape
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }) else { throw fail("input", "the input shape must be [H, W, C]") }
        func tensor(_ spec: LayerSpec, _ role: String, count: Int? = nil) throws(WeightsError) -> (shape: [Int], values: [Float]) {
            guard let name = spec.params[role] else { throw fail(spec.name, "parameter '\(role)' is missing") }
            let t = try file.floats(name)
            if let count, t.values.count != count {
                throw fail(spec.name, "parameter '\(role)' has \(t.values.count) values, not \(count)")
            }
            return t
        }

        var convs: [Conv] = []
        var (h, w, c) = (shape[0], shape[1], shape[2])
        var previous = graph.input.name
        var macs = 0
        var layers = graph.layers[...]
        var denseW: [Float] = [], denseB: [Float] = [], denseIn = 0, classes = 0, softmax = false
        var sawHead = false
        // Raw blocks first: their requantization needs the next block's input scale.
        struct Block {
            var spec: LayerSpec; var w: [Float]; var b: [Float]; var g: WindowGeometry; var cin: Int; var cout: Int; var inH: Int; var inW: Int;
            var pool: WindowGeometry?
        }
        var blocks: [Block] = []
        while let spec = layers.first {
            layers = layers.dropFirst()
            guard spec.inputs == [previous] else { throw fail(spec.name, "reads \(spec.inputs), not the previous layer '\(previous)'") }
            previous = spec.name
            switch spec.op {
            case "conv2d":
                guard !sawHead else { throw fail(spec.name, "a convolution after global_avg_pool") }
                guard let k = spec.attrs.kernel, k.count == 2, let s = spec.attrs.stride, s.count == 2,
                    let pad = Padding(rawValue: spec.attrs.padding ?? "valid"), pad != .ceil, let filters = spec.attrs.filters
                else {
                    throw fail(spec.name, "kernel, stride, padding (valid/same) and filters are required")
                }
                let kernel = try tensor(spec, "kernel", count: k[0] * k[1] * c * filters)
                var bias = [Float](repeating: 0, count: filters)
                if spec.params["bias"] != nil { bias = try tensor(spec, "bias", count: filters).values }
                guard let g = WindowGeometry(kernel: (k[0], k[1]), stride: (s[0], s[1]), padding: pad, inH: h, inW: w) else {
                    throw fail(spec.name, "the window does not fit the \(h)x\(w) input")
                }
                guard blocks.isEmpty || c % 4 == 0 else { throw fail(spec.name, "input channels \(c) are not a multiple of 4") }
                blocks.append(Block(spec: spec, w: kernel.values, b: bias, g: g, cin: c, cout: filters, inH: h, inW: w, pool: nil))
                macs += g.outH * g.outW * k[0] * k[1] * c * filters
                (h, w, c) = (g.outH, g.outW, filters)
                // Batch norm (folded) and ReLU must follow.
                if let bn = layers.first, bn.op == "batch_norm" {
                    layers = layers.dropFirst()
                    guard bn.inputs == [previous] else { throw fail(bn.name, "does not read '\(previous)'") }
                    previous = bn.name
                    let gamma = try tensor(bn, "gamma", count: c).values, beta = try tensor(bn, "beta", count: c).values
                    let mean = try tensor(bn, "mean", count: c).values, variance = try tensor(bn, "variance", count: c).values
                    let eps = bn.attrs.epsilon ?? 1e-3
                    var last = blocks[blocks.count - 1]
                    let kk = last.w.count / c
                    for o in 0..<c {
                        let sc = Double(gamma[o]) / (Double(variance[o]) + eps).squareRoot()
                        guard sc.isFinite else { throw fail(bn.name, "a variance plus epsilon is not positive") }
                        for r in 0..<kk { last.w[r * c + o] = Float(Double(last.w[r * c + o]) * sc) }
                        last.b[o] = Float((Double(last.b[o]) - Double(mean[o])) * sc + Double(beta[o]))
                    }
                    blocks[blocks.count - 1] = last
                }
                guard let relu = layers.first, relu.op == "relu", relu.inputs == [previous] else {
                    throw fail(spec.name, "is not followed by relu (u8 activations need ReLU outputs)")
                }
                layers = layers.dropFirst()
                previous = relu.name
                if let pool = layers.first, pool.op == "max_pool2d" {
                    layers = layers.dropFirst()
                    guard pool.inputs == [previous], let p = pool.attrs.pool, p.count == 2, let s = pool.attrs.stride, s.count == 2,
                        (pool.attrs.padding ?? "valid") == "valid",
                        let g = WindowGeometry(kernel: (p[0], p[1]), stride: (s[0], s[1]), padding: .valid, inH: h, inW: w)
                    else {
                        throw fail(pool.name, "only 'valid' max pools that fit their input run in int8")
                    }
                    previous = pool.name
                    blocks[blocks.count - 1].pool = g
                    (h, w) = (g.outH, g.outW)
                }
            case "global_avg_pool":
                guard !blocks.isEmpty, !sawHead else { throw fail(spec.name, "global_avg_pool must follow the convolutions") }
                sawHead = true
            case "flatten":
                guard sawHead else { throw fail(spec.name, "flatten is supported only after global_avg_pool") }
            case "dense":
                guard sawHead, classes == 0, let units = spec.attrs.units else { throw fail(spec.name, "one dense layer after global_avg_pool") }
                denseIn = c
                denseW = try tensor(spec, "kernel", count: c * units).values
                denseB = spec.params["bias"] != nil ? try tensor(spec, "bias", count: units).values : [Float](repeating: 0, count: units)
                classes = units
                macs += c * units
            case "softmax":
                guard classes > 0, layers.isEmpty else { throw fail(spec.name, "softmax must be the last layer") }
                softmax = true
            default:
                throw fail(spec.name, "op '\(spec.op)' has no int8 implementation")
            }
        }
        guard classes > 0, let first = blocks.first else { throw fail("(graph)", "no convolution or no dense head") }
        guard graph.outputs == [previous] else { throw fail(previous, "the graph's output must be its last layer") }
        _ = first

        // Quantize each block: weights per channel, epilogue scale and bias into the next input's scale.
        var inScale = Double(Self.inputScale)
        for (i, blk) in blocks.enumerated() {
            let isLast = i == blocks.count - 1
            var outScale = 1.0
            if !isLast {
                let next = blocks[i + 1].spec.name
                guard let s = meta.input_scales[next], s.isFinite, s > 0 else {
                    throw fail(next, "'\(Self.metadataKey)' gives no positive input scale for it")
                }
                outScale = Double(Float(s))
            }
            let k = blk.w.count / blk.cout
            let kPadded = (k + 3) / 4 * 4
            let blocksOf16 = (blk.cout + 15) / 16
            var q = [Int8](repeating: 0, count: k * blk.cout)
            var scale = [Float](repeating: 0, count: blocksOf16 * 16), bias = scale
            let zp: UInt8 = i == 0 ? Self.inputZeroPoint : 0
            for o in 0..<blk.cout {
                var maxAbs: Float = 0
                for r in 0..<k { maxAbs = max(maxAbs, abs(blk.w[r * blk.cout + o])) }
                let ws: Float = maxAbs > 0 ? maxAbs / QuantizedKernels.weightLimit : 1
                var columnSum = 0
                for r in 0..<k {
                    let v = (blk.w[r * blk.cout + o] / ws).rounded(.toNearestOrEven)
                    let qi = Int8(max(-QuantizedKernels.weightLimit, min(QuantizedKernels.weightLimit, v)))
                    q[r * blk.cout + o] = qi
                    columnSum += Int(qi)
                }
                let combined = inScale * Double(ws)
                scale[o] = Float(combined / outScale)
                bias[o] = Float((Double(blk.b[o]) - combined * Double(zp) * Double(columnSum)) / outScale)
            }
            convs.append(
                Conv(
                    name: blk.spec.name, inH: blk.inH, inW: blk.inW, cin: blk.cin, geometry: blk.g, cout: blk.cout,
                    kPadded: kPadded, packed: QuantizedKernels.pack(q, k: k, n: blk.cout), scale: scale, bias: bias,
                    inputZeroPoint: zp, pool: blk.pool, floatOutput: isLast))
            inScale = outScale
        }
        name = graph.name
        self.path = path
        referenceInputShape = TensorShape(h: shape[0], w: shape[1], c: shape[2])
        outputCount = classes
        referenceMACs = macs
        calibration = meta.calibration ?? ""
        self.convs = convs
        denseWeights = denseW
        denseBias = denseB
        self.denseIn = denseIn
        self.softmax = softmax
    }

    /// Quantized weights of convolution `index` as `[k][cout]` (for tests and tools).
    func weights(ofConvolution index: Int) -> [Int8] {
        let cv = convs[index]
        let k = cv.geometry.kh * cv.geometry.kw * cv.cin, k4 = cv.kPadded / 4
        var out = [Int8](repeating: 0, count: k * cv.cout)
        for r in 0..<k {
            for o in 0..<cv.cout { out[r * cv.cout + o] = cv.packed[(o / 16) * k4 * 64 + (r / 4) * 64 + (o % 16) * 4 + r % 4] }
        }
        return out
    }
}
