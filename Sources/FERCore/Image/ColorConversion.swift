/// Pixel-format conversions with OpenCV's exact integer arithmetic, so that the networks
/// see the same bytes the reference packages (which call `cv2.cvtColor`) see.
///
/// All functions write into caller-provided storage and allocate nothing.
public enum ColorConversion {
    // RGB → gray, BT.601 luma in 15-bit fixed point as OpenCV's 8-bit RGB2Gray:
    // R 0.299, G 0.587, B 0.114 scaled by 2^15 (opencv modules/imgproc/src/color_rgb.simd.hpp,
    // RGB2Gray<uchar>), rounded by adding 2^14. The weights sum to exactly 32768, so white
    // stays 255. Verified against cv2 5.0 by Tests/Fixtures/image (Tools/make_image_fixtures.py).
    @usableFromInline static let grayR: Int32 = 9798
    @usableFromInline static let grayG: Int32 = 19235
    @usableFromInline static let grayB: Int32 = 3735

    // YUV → RGB, ITU-R BT.601 video range in 20-bit fixed point, as OpenCV's
    // YUV422/YUV420sp converters (opencv modules/imgproc/src/color_yuv.simd.hpp, ITUR_BT_601_*).
    static let cy: Int32 = 1_220_542
    static let cub: Int32 = 2_116_026
    static let cug: Int32 = -409_993
    static let cvg: Int32 = -852_492
    static let cvr: Int32 = 1_673_527
    static let half: Int32 = 1 << 19

    /// Converts RGB8 to Gray8 (`cv2.cvtColor(src, cv2.COLOR_RGB2GRAY)`, bit-exact).
    /// - Throws: ``ImageError/wrongFormat(expected:actual:)`` or ``ImageError/sizeMismatch(expected:actual:)``
    ///   when the views do not fit.
    public static func rgbToGray(_ src: ImageView, into dst: MutableImageView) throws(ImageError) {
        guard src.format == .rgb8 else { throw .wrongFormat(expected: .rgb8, actual: src.format) }
        guard dst.format == .gray8 else { throw .wrongFormat(expected: .gray8, actual: dst.format) }
        guard src.width == dst.width, src.height == dst.height else {
            throw .sizeMismatch(expected: src.width * src.height, actual: dst.width * dst.height)
        }
        for y in 0..<src.height {
            rgbRowToGray(src.row(y), dst.row(y), src.width)
        }
    }

    /// One row of RGB → gray.
    @inline(__always)
    static func rgbRowToGray(_ s: UnsafePointer<UInt8>, _ d: UnsafeMutablePointer<UInt8>, _ width: Int) {
        // A plain loop: LLVM vectorises this stride-3 pattern itself (measured faster than
        // building SIMD8 vectors lane by lane).
        for x in 0..<width {
            let p = s + 3 * x
            let v = Int32(p[0]) &* grayR &+ Int32(p[1]) &* grayG &+ Int32(p[2]) &* grayB &+ (1 << 14)
            d[x] = UInt8(truncatingIfNeeded: v &>> 15)
        }
    }

    /// Converts Gray8 to RGB8 by replicating the luma (`cv2.COLOR_GRAY2RGB`).
    /// - Throws: ``ImageError`` when the views do not fit.
    public static func grayToRGB(_ src: ImageView, into dst: MutableImageView) throws(ImageError) {
        guard src.format == .gray8 else { throw .wrongFormat(expected: .gray8, actual: src.format) }
        guard dst.format == .rgb8 else { throw .wrongFormat(expected: .rgb8, actual: dst.format) }
        guard src.width == dst.width, src.height == dst.height else {
            throw .sizeMismatch(expected: src.width * src.height, actual: dst.width * dst.height)
        }
        for y in 0..<src.height {
            let s = src.row(y), d = dst.row(y)
            for x in 0..<src.width {
                let v = s[x]
                d[3 * x] = v; d[3 * x + 1] = v; d[3 * x + 2] = v
            }
        }
    }

    @inline(__always)
    static func clampByte(_ v: SIMD8<Int32>) -> SIMD8<Int32> {
        // `replacing` rather than `clamped`, which compiled to unspecialised generic calls.
        v.replacing(with: 0, where: v .< 0).replacing(with: 255, where: v .> 255)
    }

    /// Converts packed YUYV 4:2:2 (YUY2: Y0 U Y1 V, the usual webcam format) to RGB8,
    /// bit-exact with `cv2.cvtColor(src, cv2.COLOR_YUV2RGB_YUYV)`.
    ///
    /// - Parameters:
    ///   - src: the first byte of the frame.
    ///   - rowBytes: bytes from one source row to the next (at least `2 · width`).
    ///   - dst: an RGB8 view whose size is the frame's; `dst.width` must be even.
    /// - Throws: ``ImageError`` when the sizes or formats do not fit.
    public static func yuyvToRGB(_ src: UnsafePointer<UInt8>, rowBytes: Int, into dst: MutableImageView) throws(ImageError) {
        guard dst.format == .rgb8 else { throw .wrongFormat(expected: .rgb8, actual: dst.format) }
        guard dst.width % 2 == 0, rowBytes >= 2 * dst.width else {
            throw .sizeMismatch(expected: 2 * dst.width + dst.width % 2, actual: rowBytes)
        }
        for y in 0..<dst.height {
            let s = src + y * rowBytes
            let d = dst.row(y)
            var x = 0
            // 8 pixels (4 chroma pairs) per step.
            while x + 8 <= dst.width {
                var yv = SIMD8<Int32>(), u = SIMD8<Int32>(), v = SIMD8<Int32>()
                let p = s + 2 * x
                for i in 0..<8 {
                    yv[i] = Int32(p[2 * i])
                    u[i] = Int32(p[4 * (i >> 1) + 1])
                    v[i] = Int32(p[4 * (i >> 1) + 3])
                }
                store8(yv, u, v, d + 3 * x)
                x += 8
            }
            while x < dst.width {
                let p = s + 2 * x
                let u = Int32(p[1]) - 128, v = Int32(p[3]) - 128
                storePixel(Int32(p[0]), u, v, d + 3 * x)
                storePixel(Int32(p[2]), u, v, d + 3 * x + 3)
                x += 2
            }
        }
    }

    /// Converts NV12 (a full-resolution Y plane followed by an interleaved U/V plane at half
    /// resolution) to RGB8, bit-exact with `cv2.cvtColor(src, cv2.COLOR_YUV2RGB_NV12)`.
    ///
    /// - Parameters:
    ///   - luma: the Y plane.
    ///   - lumaRowBytes: the distance between the Y plane's rows, in bytes.
    ///   - chroma: the UV plane (`height/2` rows of `width` bytes: U V U V ...).
    ///   - chromaRowBytes: the distance between the UV plane's rows, in bytes.
    ///   - dst: an RGB8 view with even width and height.
    /// - Throws: ``ImageError`` when the sizes or formats do not fit.
    public static func nv12ToRGB(
        luma: UnsafePointer<UInt8>, lumaRowBytes: Int,
        chroma: UnsafePointer<UInt8>, chromaRowBytes: Int,
        into dst: MutableImageView
    ) throws(ImageError) {
        guard dst.format == .rgb8 else { throw .wrongFormat(expected: .rgb8, actual: dst.format) }
        guard dst.width % 2 == 0, dst.height % 2 == 0, lumaRowBytes >= dst.width, chromaRowBytes >= dst.width else {
            throw .sizeMismatch(expected: dst.width, actual: min(lumaRowBytes, chromaRowBytes))
        }
        for y in 0..<dst.height {
            let s = luma + y * lumaRowBytes
            let c = chroma + (y >> 1) * chromaRowBytes
            let d = dst.row(y)
            var x = 0
            while x + 8 <= dst.width {
                var yv = SIMD8<Int32>(), u = SIMD8<Int32>(), v = SIMD8<Int32>()
                for i in 0..<8 {
                    yv[i] = Int32(s[x + i])
                    u[i] = Int32(c[x + (i & ~1)])
                    v[i] = Int32(c[x + (i & ~1) + 1])
                }
                store8(yv, u, v, d + 3 * x)
                x += 8
            }
            while x < dst.width {
                let u = Int32(c[x]) - 128, v = Int32(c[x + 1]) - 128
                storePixel(Int32(s[x]), u, v, d + 3 * x)
                storePixel(Int32(s[x + 1]), u, v, d + 3 * x + 3)
                x += 2
            }
        }
    }

    /// Eight pixels of the BT.601 arithmetic; `u`, `v` not yet centred.
    @inline(__always)
    static func store8(_ yv: SIMD8<Int32>, _ u0: SIMD8<Int32>, _ v0: SIMD8<Int32>, _ d: UnsafeMutablePointer<UInt8>) {
        let u = u0 &- 128, v = v0 &- 128
        let y16 = yv &- 16
        let yy = y16.replacing(with: 0, where: y16 .< 0) &* cy
        let r = clampByte((yy &+ half &+ v &* cvr) &>> 20)
        let g = clampByte((yy &+ half &+ v &* cvg &+ u &* cug) &>> 20)
        let b = clampByte((yy &+ half &+ u &* cub) &>> 20)
        for i in 0..<8 {
            d[3 * i] = UInt8(truncatingIfNeeded: r[i])
            d[3 * i + 1] = UInt8(truncatingIfNeeded: g[i])
            d[3 * i + 2] = UInt8(truncatingIfNeeded: b[i])
        }
    }

    /// One pixel of the BT.601 arithmetic; `u`, `v` centred on 0.
    @inline(__always)
    static func storePixel(_ yv: Int32, _ u: Int32, _ v: Int32, _ d: UnsafeMutablePointer<UInt8>) {
        let yy = max(0, yv - 16) * cy
        d[0] = UInt8(clamping: (yy + half + cvr * v) >> 20)
        d[1] = UInt8(clamping: (yy + half + cvg * v + cug * u) >> 20)
        d[2] = UInt8(clamping: (yy + half + cub * u) >> 20)
    }
}
