@_spi(Kernels) @testable import FERCore

extension ReferenceKernels {
    /// Reference int8 convolution (``QuantizedNetwork``'s arithmetic, with plain loops): `x` is an
    /// NHWC u8 image `[h, w, cin]` whose out-of-image taps read `zeroPoint`, `weights` the s8
    /// kernel `[kh·kw·cin][cout]`; each output is the exact integer sum, then
    /// `Float(sum) · scale[o]` (rounded) `+ bias[o]` (rounded), ReLU when asked, and — for a u8
    /// output — rounding half to even clamped to [0, 255]. Returns the outputs as floats
    /// (`outH × outW × cout`), or nil when the window does not fit.
    static func quantizedConv2d(
        _ x: [UInt8], h: Int, w: Int, cin: Int, zeroPoint: UInt8, weights: [Int8], kh: Int, kw: Int, cout: Int,
        stride: (Int, Int), padding: Padding, scale: [Float], bias: [Float], relu: Bool, u8Output: Bool
    ) -> [Float]? {
        guard let g = WindowGeometry(kernel: (kh, kw), stride: stride, padding: padding, inH: h, inW: w) else { return nil }
        var y = [Float](repeating: 0, count: g.outH * g.outW * cout)
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                for co in 0..<cout {
                    var sum = 0
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let iy = oy * g.sh - g.padTop + ky, ix = ox * g.sw - g.padLeft + kx
                            let inside = iy >= 0 && iy < h && ix >= 0 && ix < w
                            for ci in 0..<cin {
                                let a = inside ? Int(x[(iy * w + ix) * cin + ci]) : Int(zeroPoint)
                                sum += a * Int(weights[((ky * kw + kx) * cin + ci) * cout + co])
                            }
                        }
                    }
                    let product = Float(sum) * scale[co]
                    var v = product + bias[co]
                    if relu { v = max(v, 0) }
                    if u8Output { v = v.isNaN ? 0 : min(max(v.rounded(.toNearestOrEven), 0), 255) }
                    y[(oy * g.outW + ox) * cout + co] = v
                }
            }
        }
        return y
    }
}
