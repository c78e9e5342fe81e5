/// How a sliding window (convolution or pooling) treats the image border.
@_spi(Kernels) public enum Padding: String, Sendable, Hashable, CaseIterable {
    /// No padding: `out = floor((in - k) / s) + 1`.
    case valid
    /// TensorFlow's 'same': `out = ceil(in / s)`; the total padding
    /// `max((out - 1)·s + k - in, 0)` is split with the extra pixel on the
    /// bottom/right (tensorflow/core/framework/kernel_shape_util.cc).
    case same
    /// Caffe's pooling rounding: `out = ceil((in - k) / s) + 1`, windows that run
    /// past the bottom/right edge are clipped (caffe/src/caffe/layers/pooling_layer.cpp);
    /// less one when the last window would start past the input (possible only with a
    /// stride larger than the window; PyTorch's rule, which Caffe applies when padded), so
    /// that every window holds at least one input pixel.
    case ceil
}

/// The resolved geometry of a 2-D sliding window over one input size.
@_spi(Kernels) public struct WindowGeometry: Hashable, Sendable {
    /// Window height and width.
    public var kh: Int, kw: Int
    /// Vertical and horizontal stride.
    public var sh: Int, sw: Int
    /// Input height and width.
    public var inH: Int, inW: Int
    /// Output height and width.
    public var outH: Int, outW: Int
    /// Rows and columns of padding before the first input row/column.
    public var padTop: Int, padLeft: Int

    /// Resolves the window for an input size, or returns nil when the input is
    /// smaller than the window under `valid`/`ceil` rules (no output at all).
    public init?(kernel: (Int, Int), stride: (Int, Int), padding: Padding, inH: Int, inW: Int) {
        (kh, kw) = kernel
        (sh, sw) = stride
        self.inH = inH
        self.inW = inW
        guard kh > 0, kw > 0, sh > 0, sw > 0, inH > 0, inW > 0 else { return nil }
        switch padding {
        case .valid:
            guard inH >= kh, inW >= kw else { return nil }
            outH = (inH - kh) / sh + 1
            outW = (inW - kw) / sw + 1
            padTop = 0
            padLeft = 0
        // The formulas below are the documented ones rearranged so that no intermediate
        // can overflow, whatever the (untrusted, file-given) window and stride.
        case .same:
            outH = (inH - 1) / sh + 1
            outW = (inW - 1) / sw + 1
            padTop = max(kh - (inH - (outH - 1) * sh), 0) / 2
            padLeft = max(kw - (inW - (outW - 1) * sw), 0) / 2
        case .ceil:
            guard inH >= kh, inW >= kw else { return nil }
            outH = Self.ceilOutput(inH, kh, sh)
            outW = Self.ceilOutput(inW, kw, sw)
            padTop = 0
            padLeft = 0
        }
    }

    /// `ceil(a / b)` for `a ≥ 0`, `b > 0`, without computing `a + b - 1`.
    private static func ceilDivide(_ a: Int, _ b: Int) -> Int { a == 0 ? 0 : (a - 1) / b + 1 }

    /// Caffe ceil-mode output size for `input ≥ kernel`: `ceil((in - k) / s) + 1`, less one
    /// when the last window would start at or past the input's end.
    private static func ceilOutput(_ input: Int, _ kernel: Int, _ stride: Int) -> Int {
        let out = ceilDivide(input - kernel, stride) + 1
        let (lastStart, overflow) = (out - 1).multipliedReportingOverflow(by: stride)
        return out > 1 && (overflow || lastStart >= input) ? out - 1 : out
    }
}
