/// `tf.image.resize(method=AREA)` (TensorFlow `core/kernels/image/resize_area_op.cc`,
/// `align_corners=False`) from a U8 image through a normalisation table, into float
/// RGB: the reference's pyramid levels, reproduced operation by operation in `Float`.
///
/// Each output pixel is the average of the input area it covers: whole input pixels
/// weigh 1, the partly covered first and last ones their covered fraction; the sum is
/// multiplied by `1 / (height_scale · width_scale)`. The order of the float additions
/// follows TensorFlow's loop so results agree to the last bit or so.
struct AreaResizer {
    private var xStart: [Int] = []
    private var xEnd: [Int] = []
    private var xStartScale: [Float] = []
    private var xEndScale: [Float] = []

    /// The weight TensorFlow gives cell `v` of the span [`lo`, `hi`) (`scale` = its length).
    @inline(__always)
    private static func weight(_ v: Int, _ lo: Float, _ hi: Float, _ scale: Float) -> Float {
        Float(v) < lo ? (Float(v + 1) > hi ? scale : Float(v + 1) - lo) : (Float(v + 1) > hi ? hi - Float(v) : 1)
    }

    /// Resizes `image` (RGB8 or Gray8; gray is read as R = G = B) to `outWidth`×`outHeight`,
    /// mapping each byte through `table`, and writes packed HWC RGB floats to `output`.
    mutating func resize(_ image: ImageView, table: UnsafePointer<Float>, outWidth: Int, outHeight: Int,
                         output: UnsafeMutablePointer<Float>) {
        let inW = image.width, inH = image.height
        guard outWidth > 0, outHeight > 0, inW > 0, inH > 0 else { return }
        let ws = Float(inW) / Float(outWidth)
        let hs = Float(inH) / Float(outHeight)
        xStart.removeAll(keepingCapacity: true)
        xEnd.removeAll(keepingCapacity: true)
        xStartScale.removeAll(keepingCapacity: true)
        xEndScale.removeAll(keepingCapacity: true)
        for x in 0..<outWidth {
            let lo = Float(x) * ws, hi = Float(x + 1) * ws
            let start = Int(lo.rounded(.down))
            let end = Int(hi.rounded(.up))
            xStart.append(start)
            xEnd.append(end)
            xStartScale.append(Self.weight(start, lo, hi, ws))
            xEndScale.append(Self.weight(end - 1, lo, hi, ws))
        }
        // C++: float scale = 1.0 / (height_scale * width_scale), a double division.
        let scale = Float(1.0 / Double(hs * ws))
        let gray = image.format == .gray8
        xStart.withUnsafeBufferPointer { xs in
        xEnd.withUnsafeBufferPointer { xe in
        xStartScale.withUnsafeBufferPointer { xss in
        xEndScale.withUnsafeBufferPointer { xes in
            for y in 0..<outHeight {
                let lo = Float(y) * hs, hi = Float(y + 1) * hs
                let yStart = Int(lo.rounded(.down))
                let yEnd = Int(hi.rounded(.up))
                let out = output + y * outWidth * 3
                for x in 0..<outWidth {
                    let s = xs[x], e = xe[x], ss = xss[x], es = xes[x]
                    var sum0: Float = 0, sum1: Float = 0, sum2: Float = 0
                    for i in yStart..<yEnd {
                        let ys = Self.weight(i, lo, hi, hs)
                        let row = image.row(min(inH - 1, max(0, i)))
                        if gray {
                            var sy = table[Int(row[min(inW - 1, max(0, s))])] * ss
                            if s + 1 != e {
                                var c = s + 1
                                while c < e - 1 { sy += table[Int(row[min(inW - 1, c)])]; c += 1 }
                                sy += table[Int(row[min(inW - 1, max(0, e - 1))])] * es
                            }
                            sum0 += sy * ys
                        } else {
                            var p = 3 * min(inW - 1, max(0, s))
                            var sy0 = table[Int(row[p])] * ss
                            var sy1 = table[Int(row[p + 1])] * ss
                            var sy2 = table[Int(row[p + 2])] * ss
                            if s + 1 != e {
                                var c = s + 1
                                while c < e - 1 {
                                    p = 3 * min(inW - 1, c)
                                    sy0 += table[Int(row[p])]
                                    sy1 += table[Int(row[p + 1])]
                                    sy2 += table[Int(row[p + 2])]
                                    c += 1
                                }
                                p = 3 * min(inW - 1, max(0, e - 1))
                                sy0 += table[Int(row[p])] * es
                                sy1 += table[Int(row[p + 1])] * es
                                sy2 += table[Int(row[p + 2])] * es
                            }
                            sum0 += sy0 * ys
                            sum1 += sy1 * ys
                            sum2 += sy2 * ys
                        }
                    }
                    if gray { sum1 = sum0; sum2 = sum0 }
                    out[3 * x] = sum0 * scale
                    out[3 * x + 1] = sum1 * scale
                    out[3 * x + 2] = sum2 * scale
                }
            }
        }}}}
    }
}
