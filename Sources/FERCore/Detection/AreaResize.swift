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

    /// Fills `normalized` (`image.width · image.height` values) with the image's pixels
    /// mapped through `table`, as (R, G, B, 0); gray is read as R = G = B. Done once per
    /// detection so that the pyramid's levels read floats, not bytes through the table.
    static func normalize(_ image: ImageView, table: UnsafePointer<Float>, into normalized: UnsafeMutablePointer<SIMD4<Float>>) {
        let w = image.width
        for y in 0..<image.height {
            let row = image.row(y)
            let out = normalized + y * w
            if image.format == .gray8 {
                for x in 0..<w {
                    let v = table[Int(row[x])]
                    out[x] = SIMD4(v, v, v, 0)
                }
            } else {
                for x in 0..<w {
                    out[x] = SIMD4(table[Int(row[3 * x])], table[Int(row[3 * x + 1])], table[Int(row[3 * x + 2])], 0)
                }
            }
        }
    }

    /// Resizes the normalised image (`inWidth`×`inHeight` values from ``normalize(_:table:into:)``)
    /// to `outWidth`×`outHeight`, writing packed HWC RGB floats to `output`. The three
    /// channels travel together in one `SIMD4`; each lane sees exactly the scalar
    /// sequence of additions and multiplications TensorFlow's loop performs.
    mutating func resize(_ source: UnsafePointer<SIMD4<Float>>, inWidth inW: Int, inHeight inH: Int,
                         outWidth: Int, outHeight: Int, output: UnsafeMutablePointer<Float>) {
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
                    let s = xs[x], e = xe[x]
                    let ss = SIMD4<Float>(repeating: xss[x]), es = SIMD4<Float>(repeating: xes[x])
                    let first = min(inW - 1, max(0, s)), last = min(inW - 1, max(0, e - 1))
                    var sum = SIMD4<Float>(repeating: 0)
                    for i in yStart..<yEnd {
                        let ys = SIMD4<Float>(repeating: Self.weight(i, lo, hi, hs))
                        let row = source + min(inH - 1, max(0, i)) * inW
                        var sy = row[first] * ss
                        if s + 1 != e {
                            var c = s + 1
                            while c < e - 1 { sy += row[min(inW - 1, c)]; c += 1 }
                            sy += row[last] * es
                        }
                        sum += sy * ys
                    }
                    let v = sum * scale
                    out[3 * x] = v[0]
                    out[3 * x + 1] = v[1]
                    out[3 * x + 2] = v[2]
                }
            }
        }}}}
    }
}
