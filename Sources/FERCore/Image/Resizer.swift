/// How ``Resizer`` interpolates.
public enum Interpolation: Sendable, Hashable {
    /// Bilinear, as `cv2.INTER_LINEAR` (the reference packages' default).
    case linear
    /// Pixel-area averaging, as `cv2.INTER_AREA` (the better choice for shrinking).
    case area
}

/// Resizes 8-bit images bit-exactly as OpenCV's `cv2.resize` does (checked against
/// opencv-contrib-python-headless 5.0.0.93 by `Tools/make_image_fixtures.py`).
///
/// A `Resizer` owns its coefficient tables and row buffers and keeps them while the
/// source size, destination size, format and interpolation stay the same, so resizing
/// every frame of a stream allocates nothing after the first call. Not thread-safe: use
/// one per thread.
///
/// OpenCV conventions followed (opencv modules/imgproc/src/resize.cpp):
/// - pixel centres at half-integers: source x = (dx + 0.5) · scale − 0.5;
/// - `INTER_LINEAR` on 8-bit data uses 11-bit fixed-point weights (INTER_RESIZE_COEF_BITS),
///   horizontal sums kept as 32-bit integers, and the vertical step of its SIMD kernel
///   (`VResizeLinearVec_32s8u`: each row sum shifted right by 4, multiplied by the 16-bit
///   weight keeping the high half, then a rounding shift by 2) — not the plain rounded
///   division, which differs by one grey level on ~10 % of pixels;
/// - at the left/right border the source column is clamped with its weight set to zero;
///   at the top/bottom only the row index is clamped (the weight is kept);
/// - an exact 2× shrink in both directions with `INTER_LINEAR` is done as `INTER_AREA`;
/// - `INTER_AREA` with integer factors averages blocks (2×2: (sum + 2) >> 2, otherwise
///   the sum times 1/area in Float, rounded half to even); with other factors it weights
///   partial pixels in Float; if either direction enlarges it uses the bilinear machinery
///   with area-style coefficients.
public final class Resizer {
    private enum Mode: Equatable {
        case copy
        case areaFast(scaleX: Int, scaleY: Int)
        case areaGeneral
        case linear
    }

    private struct Key: Equatable {
        var srcWidth: Int, srcHeight: Int, dstWidth: Int, dstHeight: Int
        var channels: Int, interpolation: Interpolation
    }

    private var key: Key?
    private var mode: Mode = .copy
    // Bilinear tables: per destination column, byte offsets of the two source pixels and
    // their weights; per destination row, the first source row (unclamped) and weights.
    private var xOffset0: [Int32] = [], xOffset1: [Int32] = []
    private var xWeight0: [Int32] = [], xWeight1: [Int32] = []
    private var yIndex: [Int32] = [], yWeight0: [Int32] = [], yWeight1: [Int32] = []
    private var rowA: [Int32] = [], rowB: [Int32] = []
    // Area tables: (destination element, source element, weight) triples.
    private var xTabDst: [Int32] = [], xTabSrc: [Int32] = [], xTabWeight: [Float] = []
    private var yTabDst: [Int32] = [], yTabSrc: [Int32] = [], yTabWeight: [Float] = []
    private var areaBuf: [Float] = [], areaSum: [Float] = []

    /// Creates a resizer; tables are built on first use.
    public init() {}

    /// Resizes `src` into `dst` (the destination size is `dst`'s size).
    /// - Throws: ``ImageError/wrongFormat(expected:actual:)`` when the formats differ,
    ///   ``ImageError/empty(width:height:)`` for an empty view.
    public func resize(_ src: ImageView, into dst: MutableImageView, interpolation: Interpolation = .linear) throws(ImageError) {
        guard src.format == dst.format else { throw .wrongFormat(expected: src.format, actual: dst.format) }
        guard src.width > 0, src.height > 0 else { throw .empty(width: src.width, height: src.height) }
        guard dst.width > 0, dst.height > 0 else { throw .empty(width: dst.width, height: dst.height) }
        let k = Key(
            srcWidth: src.width, srcHeight: src.height, dstWidth: dst.width, dstHeight: dst.height,
            channels: src.channels, interpolation: interpolation)
        if key != k { plan(k) }
        switch mode {
        case .copy:
            let n = src.width * src.channels
            for y in 0..<src.height { dst.row(y).update(from: src.row(y), count: n) }
        case let .areaFast(sx, sy):
            resizeAreaFast(src, dst, sx, sy)
        case .areaGeneral:
            resizeAreaGeneral(src, dst)
        case .linear:
            resizeLinear(src, dst)
        }
    }

    // MARK: Planning

    private func plan(_ k: Key) {
        key = k
        let scaleX = Double(k.srcWidth) / Double(k.dstWidth)
        let scaleY = Double(k.srcHeight) / Double(k.dstHeight)
        if k.srcWidth == k.dstWidth && k.srcHeight == k.dstHeight { mode = .copy; return }
        let isx = Int(scaleX.rounded(.down)), isy = Int(scaleY.rounded(.down))
        let integerScale = abs(scaleX - Double(isx)) < Double.ulpOfOne && abs(scaleY - Double(isy)) < Double.ulpOfOne
        var interpolation = k.interpolation
        // resize.cpp: "if (interpolation == INTER_LINEAR && is_area_fast && iscale_x == 2 && iscale_y == 2)"
        if interpolation == .linear && integerScale && isx == 2 && isy == 2 { interpolation = .area }
        if interpolation == .area && scaleX >= 1 && scaleY >= 1 {
            if integerScale { mode = .areaFast(scaleX: isx, scaleY: isy); return }
            mode = .areaGeneral
            Self.areaTable(
                source: k.srcWidth, destination: k.dstWidth, scale: scaleX, step: k.channels,
                into: &xTabDst, &xTabSrc, &xTabWeight)
            Self.areaTable(
                source: k.srcHeight, destination: k.dstHeight, scale: scaleY, step: 1,
                into: &yTabDst, &yTabSrc, &yTabWeight)
            Self.refill(&areaBuf, count: k.dstWidth * k.channels)
            Self.refill(&areaSum, count: k.dstWidth * k.channels)
            return
        }
        mode = .linear
        let areaMode = interpolation == .area
        let cn = k.channels
        // Tables are refilled in place: a stream of face crops changes size every frame,
        // and a new plan must not allocate once the largest size has been seen.
        xOffset0.removeAll(keepingCapacity: true); xOffset1.removeAll(keepingCapacity: true)
        xWeight0.removeAll(keepingCapacity: true); xWeight1.removeAll(keepingCapacity: true)
        for dx in 0..<k.dstWidth {
            var (sx, fx) = Self.coordinate(dx, scale: scaleX, areaMode: areaMode)
            if sx < 0 { sx = 0; fx = 0 }
            if sx >= k.srcWidth - 1 { sx = k.srcWidth - 1; fx = 0 }
            let (w0, w1) = Self.fixedWeights(fx)
            xOffset0.append(Int32(sx * cn))
            xOffset1.append(Int32(min(sx + 1, k.srcWidth - 1) * cn))
            xWeight0.append(w0)
            xWeight1.append(w1)
        }
        yIndex.removeAll(keepingCapacity: true); yWeight0.removeAll(keepingCapacity: true)
        yWeight1.removeAll(keepingCapacity: true)
        for dy in 0..<k.dstHeight {
            let (sy, fy) = Self.coordinate(dy, scale: scaleY, areaMode: areaMode)
            let (w0, w1) = Self.fixedWeights(fy)
            yIndex.append(Int32(sy)); yWeight0.append(w0); yWeight1.append(w1)
        }
        Self.refill(&rowA, count: k.dstWidth * cn)
        Self.refill(&rowB, count: k.dstWidth * cn)
    }

    /// Makes `array` hold `count` zeros, reusing its storage.
    private static func refill<T: Numeric>(_ array: inout [T], count: Int) {
        array.removeAll(keepingCapacity: true)
        array.append(contentsOf: repeatElement(0, count: count))
    }

    /// Source coordinate (integer part, fraction) of destination index `d`, as resize.cpp
    /// computes it (the fraction in Float, from Double arithmetic).
    private static func coordinate(_ d: Int, scale: Double, areaMode: Bool) -> (Int, Float) {
        if areaMode {
            let s = Int((Double(d) * scale).rounded(.down))
            var f = Float(Double(d + 1) - Double(s + 1) / scale)
            f = f <= 0 ? 0 : f - f.rounded(.down)
            return (s, f)
        }
        let f = Float((Double(d) + 0.5) * scale - 0.5)
        let s = Int(f.rounded(.down))
        return (s, f - Float(s))
    }

    /// 11-bit fixed-point weights (1 − f, f), each rounded half to even as saturate_cast<short>.
    private static func fixedWeights(_ f: Float) -> (Int32, Int32) {
        (Int32(((1 - f) * 2048).rounded(.toNearestOrEven)), Int32((f * 2048).rounded(.toNearestOrEven)))
    }

    /// resize.cpp computeResizeAreaTab: the source elements covering each destination one.
    private static func areaTable(
        source: Int, destination: Int, scale: Double, step: Int,
        into dsts: inout [Int32], _ srcs: inout [Int32], _ weights: inout [Float]
    ) {
        dsts.removeAll(keepingCapacity: true)
        srcs.removeAll(keepingCapacity: true)
        weights.removeAll(keepingCapacity: true)
        for d in 0..<destination {
            let fs1 = Double(d) * scale
            let fs2 = fs1 + scale
            let cellWidth = min(scale, Double(source) - fs1)
            var s1 = Int(fs1.rounded(.up))
            let s2 = min(Int(fs2.rounded(.down)), source - 1)
            s1 = min(s1, s2)
            if Double(s1) - fs1 > 1e-3 {
                dsts.append(Int32(d * step)); srcs.append(Int32((s1 - 1) * step))
                weights.append(Float((Double(s1) - fs1) / cellWidth))
            }
            if s1 < s2 {
                for s in s1..<s2 {
                    dsts.append(Int32(d * step)); srcs.append(Int32(s * step))
                    weights.append(Float(1.0 / cellWidth))
                }
            }
            if fs2 - Double(s2) > 1e-3 {
                dsts.append(Int32(d * step)); srcs.append(Int32(s2 * step))
                weights.append(Float(min(min(fs2 - Double(s2), 1), cellWidth) / cellWidth))
            }
        }
    }

    // MARK: Kernels

    private func resizeAreaFast(_ src: ImageView, _ dst: MutableImageView, _ sx: Int, _ sy: Int) {
        let cn = src.channels
        let n = dst.width * cn
        if sx == 2 && sy == 2 {
            // ResizeAreaFastVec_SIMD_8u: (a + b + c + d + 2) >> 2.
            for y in 0..<dst.height {
                let s0 = src.row(2 * y), s1 = src.row(2 * y + 1), d = dst.row(y)
                for dx in 0..<dst.width {
                    for c in 0..<cn {
                        let i = 2 * dx * cn + c
                        let sum = Int(s0[i]) + Int(s0[i + cn]) + Int(s1[i]) + Int(s1[i + cn])
                        d[dx * cn + c] = UInt8(truncatingIfNeeded: (sum + 2) >> 2)
                    }
                }
            }
            return
        }
        let scale = 1 / Float(sx * sy)
        for y in 0..<dst.height {
            let d = dst.row(y)
            for e in 0..<n {
                let dx = e / cn, c = e - dx * cn
                var sum = 0
                for yy in 0..<sy {
                    let s = src.row(y * sy + yy) + dx * sx * cn + c
                    for xx in 0..<sx { sum += Int(s[xx * cn]) }
                }
                d[e] = Self.roundByte(Float(sum) * scale)
            }
        }
    }

    @inline(__always)
    private static func roundByte(_ v: Float) -> UInt8 {
        UInt8(clamping: Int(PlainRounding.nearestEven(v)))
    }

    private func resizeAreaGeneral(_ src: ImageView, _ dst: MutableImageView) {
        let n = dst.width * dst.channels
        let cn = src.channels
        xTabDst.withUnsafeBufferPointer { xd in
            xTabSrc.withUnsafeBufferPointer { xs in
                xTabWeight.withUnsafeBufferPointer { xw in
                    areaBuf.withUnsafeMutableBufferPointer { buf in
                        areaSum.withUnsafeMutableBufferPointer { sum in
                            for e in 0..<n { sum[e] = 0 }
                            var previous = Int(yTabDst[0])
                            for j in 0..<yTabDst.count {
                                let beta = yTabWeight[j]
                                let dy = Int(yTabDst[j])
                                let s = src.row(Int(yTabSrc[j]))
                                for e in 0..<n { buf[e] = 0 }
                                for k in 0..<xd.count {
                                    let di = Int(xd[k]), si = Int(xs[k])
                                    let alpha = xw[k]
                                    for c in 0..<cn { buf[di + c] = buf[di + c] + Float(s[si + c]) * alpha }
                                }
                                if dy != previous {
                                    let d = dst.row(previous)
                                    for e in 0..<n {
                                        d[e] = Self.roundByte(sum[e])
                                        sum[e] = beta * buf[e]
                                    }
                                    previous = dy
                                } else {
                                    for e in 0..<n { sum[e] = sum[e] + beta * buf[e] }
                                }
                            }
                            let d = dst.row(previous)
                            for e in 0..<n { d[e] = Self.roundByte(sum[e]) }
                        }
                    }
                }
            }
        }
    }

    /// Horizontal pass of one source row into 32-bit sums (weights sum to 2048).
    @inline(__always)
    private static func horizontal(
        _ s: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<Int32>, width: Int, channels cn: Int,
        _ o0: UnsafePointer<Int32>, _ o1: UnsafePointer<Int32>,
        _ w0: UnsafePointer<Int32>, _ w1: UnsafePointer<Int32>
    ) {
        // Specialised per channel count: a fixed inner trip count lets the compiler unroll.
        switch cn {
        case 3:
            for dx in 0..<width {
                let a = s + Int(o0[dx]), b = s + Int(o1[dx])
                let wa = w0[dx], wb = w1[dx], o = out + 3 * dx
                o[0] = Int32(a[0]) &* wa &+ Int32(b[0]) &* wb
                o[1] = Int32(a[1]) &* wa &+ Int32(b[1]) &* wb
                o[2] = Int32(a[2]) &* wa &+ Int32(b[2]) &* wb
            }
        case 1:
            for dx in 0..<width {
                out[dx] = Int32(s[Int(o0[dx])]) &* w0[dx] &+ Int32(s[Int(o1[dx])]) &* w1[dx]
            }
        default:
            for dx in 0..<width {
                let a = s + Int(o0[dx]), b = s + Int(o1[dx])
                let wa = w0[dx], wb = w1[dx]
                for c in 0..<cn { out[dx * cn + c] = Int32(a[c]) &* wa &+ Int32(b[c]) &* wb }
            }
        }
    }

    private func resizeLinear(_ src: ImageView, _ dst: MutableImageView) {
        let cn = src.channels
        let n = dst.width * cn
        let lastRow = src.height - 1
        xOffset0.withUnsafeBufferPointer { o0 in
            xOffset1.withUnsafeBufferPointer { o1 in
                xWeight0.withUnsafeBufferPointer { w0 in
                    xWeight1.withUnsafeBufferPointer { w1 in
                        rowA.withUnsafeMutableBufferPointer { ra in
                            rowB.withUnsafeMutableBufferPointer { rb in
                                guard let p0 = o0.baseAddress, let p1 = o1.baseAddress, let q0 = w0.baseAddress, let q1 = w1.baseAddress,
                                    var top = ra.baseAddress, var bottom = rb.baseAddress
                                else { return }
                                var topRow = -1, bottomRow = -1
                                for dy in 0..<dst.height {
                                    let sy = Int(yIndex[dy])
                                    let r0 = min(max(sy, 0), lastRow), r1 = min(max(sy + 1, 0), lastRow)
                                    // Reuse the horizontal sums of rows already computed (rows advance monotonically).
                                    if r0 != topRow {
                                        if r0 == bottomRow {
                                            swap(&top, &bottom); swap(&topRow, &bottomRow)
                                        } else {
                                            Self.horizontal(src.row(r0), top, width: dst.width, channels: cn, p0, p1, q0, q1)
                                            topRow = r0
                                        }
                                    }
                                    if r1 != bottomRow {
                                        if r1 == topRow {
                                            bottom.update(from: top, count: n)
                                        } else {
                                            Self.horizontal(src.row(r1), bottom, width: dst.width, channels: cn, p0, p1, q0, q1)
                                        }
                                        bottomRow = r1
                                    }
                                    Self.vertical(top, bottom, dst.row(dy), count: n, yWeight0[dy], yWeight1[dy])
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The vertical step of VResizeLinearVec_32s8u, 16 values per SIMD step.
    @inline(__always)
    private static func vertical(
        _ s0: UnsafePointer<Int32>, _ s1: UnsafePointer<Int32>, _ d: UnsafeMutablePointer<UInt8>,
        count n: Int, _ b0: Int32, _ b1: Int32
    ) {
        var i = 0
        let vb0 = SIMD16<Int32>(repeating: b0), vb1 = SIMD16<Int32>(repeating: b1)
        let lo = SIMD16<Int32>(repeating: 0), hi = SIMD16<Int32>(repeating: 255)
        while i + 16 <= n {
            let a = UnsafeRawPointer(s0 + i).loadUnaligned(as: SIMD16<Int32>.self)
            let b = UnsafeRawPointer(s1 + i).loadUnaligned(as: SIMD16<Int32>.self)
            let v = ((((a &>> 4) &* vb0) &>> 16) &+ (((b &>> 4) &* vb1) &>> 16) &+ 2) &>> 2
            // `replacing(with:where:)` rather than `clamped`: the latter compiled to unspecialised
            // generic pointwiseMin/Max calls here (seen with perf).
            let c = v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
            let bytes = SIMD16<UInt8>(truncatingIfNeeded: c)
            UnsafeMutableRawPointer(d + i).storeBytes(of: bytes, as: SIMD16<UInt8>.self)
            i += 16
        }
        while i < n {
            let v = ((((s0[i] >> 4) * b0) >> 16) + (((s1[i] >> 4) * b1) >> 16) + 2) >> 2
            d[i] = UInt8(clamping: v)
            i += 1
        }
    }
}
