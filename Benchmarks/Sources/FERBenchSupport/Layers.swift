@_spi(Kernels) import FERCore

/// The kind of compute layer a benchmark times.
public enum LayerOp: String, Sendable {
    /// FERCore's packed convolution (padded windows through `Im2col` first); compared with
    /// `Im2col` alone and one `cblas_sgemm` of the same M×N×K (OpenBLAS, benchmarks only).
    case conv
    /// FERCore's depthwise kernel.
    case depthwise
    /// FERCore's packed kernel, a 1×1 convolution of the batch's rows (`PackedConvolution.dense`);
    /// compared with one `cblas_sgemm` over the batch.
    case dense
}

/// The fused activation of a layer (what the real network runs after it).
public enum LayerActivation: String, Sendable {
    case none, relu, prelu
}

/// One compute layer of a shipped network with its exact input shape.
///
/// The catalogue below is written out by hand from `ferdemo models --verbose`;
/// ``LayerCatalog/macs(_:)`` summed over a network at its reference input equals
/// `Network.referenceMACs`, which `fercore-gemm-report` checks on every run.
public struct LayerShape: Sendable {
    /// `pnet`, `rnet`, `onet` or `mini_xception`, with the batch/size in ``workload``.
    public var network: String
    /// The batch or image size this layer list was made for, e.g. `384x288` or `b8`.
    public var workload: String
    /// The layer's name in the graph (`prelu1`, `separable_conv2d_3`, …).
    public var name: String
    public var op: LayerOp
    /// The layer's input (for dense: `n × 1 × 1 × inputs`).
    public var input: TensorShape
    public var kh: Int, kw: Int, stride: Int
    @_spi(Kernels) public var padding: Padding
    /// Output channels (conv) or units (dense); depthwise keeps `input.c`.
    public var cout: Int
    public var activation: LayerActivation

    /// The window over the input (nil for dense layers).
    @_spi(Kernels) public var geometry: WindowGeometry? {
        guard op != .dense else { return nil }
        return WindowGeometry(kernel: (kh, kw), stride: (stride, stride), padding: padding, inH: input.h, inW: input.w)
    }

    /// The layer's output shape.
    public var output: TensorShape {
        guard let g = geometry else { return TensorShape(n: input.n, h: 1, w: 1, c: cout) }
        return TensorShape(n: input.n, h: g.outH, w: g.outW, c: op == .depthwise ? input.c : cout)
    }

    /// GEMM rows: output positions over the batch (dense: the batch).
    public var m: Int { output.rows }
    /// GEMM columns: output channels / units (depthwise: channels).
    public var n: Int { op == .depthwise ? input.c : cout }
    /// GEMM shared dimension `kh·kw·cin` (depthwise: `kh·kw`, one filter per channel).
    public var k: Int {
        switch op {
        case .conv: return kh * kw * input.c
        case .depthwise: return kh * kw
        case .dense: return input.c
        }
    }

    /// Multiply–accumulates, counted as `Network.referenceMACs` counts them
    /// (padding positions included for 'same' windows).
    public var macs: Int { m * n * k }

    /// True for a 1×1 stride-1 unpadded conv, which runs GEMM on the input directly.
    public var isPointwise: Bool {
        guard op == .conv, let g = geometry else { return false }
        return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.padTop == 0 && g.padLeft == 0
    }

    /// `kh×kw/s pad cin→cout`, for tables.
    public var summary: String {
        switch op {
        case .conv: return "conv \(kh)x\(kw)/\(stride) \(padding.rawValue) \(input.c)→\(cout)"
        case .depthwise: return "dw \(kh)x\(kw)/\(stride) \(padding.rawValue) \(input.c)"
        case .dense: return "dense \(input.c)→\(cout)"
        }
    }
}

/// Walks a network layer by layer, tracking the current shape.
struct LayerListBuilder {
    var network: String
    var workload: String
    var shape: TensorShape
    var layers: [LayerShape] = []

    @discardableResult
    mutating func conv(
        _ name: String, _ k: Int, _ cout: Int, stride: Int = 1, padding: Padding = .valid,
        _ act: LayerActivation, from source: TensorShape? = nil
    ) -> TensorShape {
        let layer = LayerShape(
            network: network, workload: workload, name: name, op: .conv, input: source ?? shape,
            kh: k, kw: k, stride: stride, padding: padding, cout: cout, activation: act)
        layers.append(layer)
        if source == nil { shape = layer.output }
        return layer.output
    }

    mutating func depthwise(_ name: String) {
        let layer = LayerShape(
            network: network, workload: workload, name: name, op: .depthwise, input: shape,
            kh: 3, kw: 3, stride: 1, padding: .same, cout: shape.c, activation: .none)
        layers.append(layer)
        shape = layer.output
    }

    mutating func pool(_ k: Int, _ s: Int, _ padding: Padding) {
        // Pooling costs no MACs; only the shape moves on.
        if let g = WindowGeometry(kernel: (k, k), stride: (s, s), padding: padding, inH: shape.h, inW: shape.w) {
            shape = TensorShape(n: shape.n, h: g.outH, w: g.outW, c: shape.c)
        }
    }

    mutating func flatten() { shape = TensorShape(n: shape.n, h: 1, w: 1, c: shape.sampleCount) }

    mutating func dense(_ name: String, _ units: Int, _ act: LayerActivation, from source: TensorShape? = nil) {
        let input = source ?? shape
        let layer = LayerShape(
            network: network, workload: workload, name: name, op: .dense, input: input,
            kh: 1, kw: 1, stride: 1, padding: .valid, cout: units, activation: act)
        layers.append(layer)
        if source == nil { shape = layer.output }
    }
}

/// The compute layers of FERCore's four networks, as `ferdemo models --verbose` lists them.
public enum LayerCatalog {
    /// P-Net on one pyramid level of `width × height` (3 channels, batch 1).
    ///
    /// 640×480 at min face 20: the first scale is 12/20 = 0.6, giving 384×288.
    public static func pnet(width: Int, height: Int) -> [LayerShape] {
        var b = LayerListBuilder(network: "pnet", workload: "\(width)x\(height)", shape: TensorShape(n: 1, h: height, w: width, c: 3))
        b.conv("prelu1", 3, 10, .prelu)
        b.pool(2, 2, .same)
        b.conv("prelu2", 3, 16, .prelu)
        b.conv("prelu3", 3, 32, .prelu)
        let trunk = b.shape
        b.conv("bbox", 1, 4, .none, from: trunk)
        b.conv("conv4-2", 1, 2, .none, from: trunk)
        return b.layers
    }

    /// R-Net on `batch` 24×24 crops.
    public static func rnet(batch: Int) -> [LayerShape] {
        var b = LayerListBuilder(network: "rnet", workload: "b\(batch)", shape: TensorShape(n: batch, h: 24, w: 24, c: 3))
        b.conv("prelu1", 3, 28, .prelu)
        b.pool(3, 2, .same)
        b.conv("prelu2", 3, 48, .prelu)
        b.pool(3, 2, .valid)
        b.conv("prelu3", 2, 64, .prelu)
        b.flatten()
        b.dense("prelu4", 128, .prelu)
        let hidden = b.shape
        b.dense("bbox", 4, .none, from: hidden)
        b.dense("fc5-2", 2, .none, from: hidden)
        return b.layers
    }

    /// O-Net on `batch` 48×48 crops.
    public static func onet(batch: Int) -> [LayerShape] {
        var b = LayerListBuilder(network: "onet", workload: "b\(batch)", shape: TensorShape(n: batch, h: 48, w: 48, c: 3))
        b.conv("prelu1", 3, 32, .prelu)
        b.pool(3, 2, .same)
        b.conv("prelu2", 3, 64, .prelu)
        b.pool(3, 2, .valid)
        b.conv("prelu3", 3, 64, .prelu)
        b.pool(2, 2, .same)
        b.conv("prelu4", 2, 128, .prelu)
        b.flatten()
        b.dense("prelu5", 256, .prelu)
        let hidden = b.shape
        b.dense("bbox", 4, .none, from: hidden)
        b.dense("landmarks", 10, .none, from: hidden)
        b.dense("fc6-3", 2, .none, from: hidden)
        return b.layers
    }

    /// mini-Xception (emotion) on `batch` 64×64 gray faces.
    public static func miniXception(batch: Int) -> [LayerShape] {
        var b = LayerListBuilder(network: "mini_xception", workload: "b\(batch)", shape: TensorShape(n: batch, h: 64, w: 64, c: 1))
        b.conv("activation_1", 3, 8, .relu)
        b.conv("activation_2", 3, 8, .relu)
        // Four residual blocks: separable → separable → max pool, plus a 1×1/2 shortcut.
        let blocks: [(cout: Int, sep: (String, String, String, String), shortcut: String)] = [
            (16, ("separable_conv2d_1", "activation_3", "separable_conv2d_2", "batch_normalization_5"), "batch_normalization_3"),
            (32, ("separable_conv2d_3", "activation_4", "separable_conv2d_4", "batch_normalization_8"), "batch_normalization_6"),
            (64, ("separable_conv2d_5", "activation_5", "separable_conv2d_6", "batch_normalization_11"), "batch_normalization_9"),
            (128, ("separable_conv2d_7", "activation_6", "separable_conv2d_8", "batch_normalization_14"), "batch_normalization_12")
        ]
        for block in blocks {
            let entry = b.shape
            b.depthwise(block.sep.0)
            b.conv(block.sep.1, 1, block.cout, .relu)
            b.depthwise(block.sep.2)
            b.conv(block.sep.3, 1, block.cout, .none)
            b.pool(3, 2, .same)
            b.conv(block.shortcut, 1, block.cout, stride: 2, padding: .same, .none, from: entry)
        }
        b.conv("conv2d_7", 3, 7, padding: .same, .none)
        return b.layers
    }

    /// Total MACs of a layer list.
    public static func macs(_ layers: [LayerShape]) -> Int { layers.reduce(0) { $0 + $1.macs } }
}
