import Foundation

/// A planned, batched, mixed-radix (2, 3, 4, 5) complex FFT of one length.
///
/// The transform is a Stockham autosort decimation-in-frequency FFT (no bit
/// reversal; each stage reads one buffer and writes the other). It is *batched*:
/// element `e` of transform `b` lives at index `e * batch + b`, so the innermost
/// loop runs over `batch` contiguous floats and vectorises. Real and imaginary
/// parts are kept in separate arrays. Twiddles are computed once at planning;
/// a transform allocates nothing.
final class FFTPlan {
    /// The transform length.
    let length: Int
    /// The radices, in the order the stages apply them.
    let radices: [Int]
    /// Per stage: offset of its twiddle table in `twiddleRe`/`twiddleIm`.
    let twiddleOffsets: [Int]
    let twiddleRe: UnsafeMutablePointer<Float>
    let twiddleIm: UnsafeMutablePointer<Float>
    let twiddleCount: Int

    /// Plans a transform of `length` points.
    /// - Throws: ``TrackingError/unsupportedFFTLength(_:)`` unless `length` ≥ 1 has no prime
    ///   factor other than 2, 3 and 5.
    init(length: Int) throws(TrackingError) {
        guard length >= 1, FFTPlan.isSupported(length) else { throw .unsupportedFFTLength(length) }
        self.length = length
        var rest = length
        var factors: [Int] = []
        // Radix 4 first (fewest stages), then 2, 3, 5.
        for p in [4, 2, 3, 5] {
            while rest % p == 0 { factors.append(p); rest /= p }
        }
        radices = factors
        var offsets: [Int] = []
        var total = 0
        var n = length
        for p in factors {
            offsets.append(total)
            total += (n / p) * (p - 1)
            n /= p
        }
        twiddleOffsets = offsets
        twiddleCount = max(total, 1)
        twiddleRe = .allocate(capacity: twiddleCount)
        twiddleIm = .allocate(capacity: twiddleCount)
        twiddleRe.initialize(repeating: 0, count: twiddleCount)
        twiddleIm.initialize(repeating: 0, count: twiddleCount)
        n = length
        for (stage, p) in factors.enumerated() {
            let m = n / p
            for k in 0..<m {
                for u in 1..<p {
                    // Computed in Double so long transforms keep float precision.
                    let angle = -2.0 * Double.pi * Double(k * u) / Double(n)
                    twiddleRe[offsets[stage] + k * (p - 1) + u - 1] = Float(cos(angle))
                    twiddleIm[offsets[stage] + k * (p - 1) + u - 1] = Float(sin(angle))
                }
            }
            n = m
        }
    }

    deinit {
        twiddleRe.deallocate()
        twiddleIm.deallocate()
    }

    /// Whether `n` ≥ 1 factors into 2, 3 and 5 only.
    static func isSupported(_ n: Int) -> Bool {
        guard n >= 1 else { return false }
        var r = n
        for p in [2, 3, 5] { while r % p == 0 { r /= p } }
        return r == 1
    }

    /// The smallest supported length ≥ `n`.
    static func nextSupported(_ n: Int) -> Int {
        var k = max(1, n)
        while !isSupported(k) { k += 1 }
        return k
    }

    /// Runs `batch` unnormalised transforms. The data starts in (`aRe`, `aIm`); the stages
    /// ping-pong with (`bRe`, `bIm`). Returns `true` when the result ends in `b`, `false` when in `a`.
    /// `inverse` flips the sign of the exponent (no 1/n scaling).
    @discardableResult
    func run(
        aRe: UnsafeMutablePointer<Float>, aIm: UnsafeMutablePointer<Float>,
        bRe: UnsafeMutablePointer<Float>, bIm: UnsafeMutablePointer<Float>,
        batch: Int, inverse: Bool
    ) -> Bool {
        var xr = aRe, xi = aIm, yr = bRe, yi = bIm
        var n = length
        var s = 1
        var inB = false
        let dir: Float = inverse ? -1 : 1
        for (stage, p) in radices.enumerated() {
            let m = n / p
            let twr = twiddleRe + twiddleOffsets[stage]
            let twi = twiddleIm + twiddleOffsets[stage]
            switch p {
            case 2: FFTPlan.radix2(xr, xi, yr, yi, m: m, s: s, batch: batch, twr: twr, twi: twi, dir: dir)
            case 3: FFTPlan.radix3(xr, xi, yr, yi, m: m, s: s, batch: batch, twr: twr, twi: twi, dir: dir)
            case 4: FFTPlan.radix4(xr, xi, yr, yi, m: m, s: s, batch: batch, twr: twr, twi: twi, dir: dir)
            default: FFTPlan.radix5(xr, xi, yr, yi, m: m, s: s, batch: batch, twr: twr, twi: twi, dir: dir)
            }
            swap(&xr, &yr)
            swap(&xi, &yi)
            inB.toggle()
            n = m
            s *= p
        }
        return inB
    }

    // Stage layout (Stockham DIF): input element (q + s·(k + r·m)), output (q + s·(p·k + u)),
    // output u multiplied by w_n^(k·u), n = p·m. Each element is `batch` contiguous floats.

    private static func radix2(
        _ xr: UnsafeMutablePointer<Float>, _ xi: UnsafeMutablePointer<Float>,
        _ yr: UnsafeMutablePointer<Float>, _ yi: UnsafeMutablePointer<Float>,
        m: Int, s: Int, batch: Int,
        twr: UnsafeMutablePointer<Float>, twi: UnsafeMutablePointer<Float>, dir: Float
    ) {
        for k in 0..<m {
            let wr = twr[k], wi = twi[k] * dir
            for q in 0..<s {
                let i0 = (q + s * k) * batch, i1 = (q + s * (k + m)) * batch
                let o0 = (q + s * (2 * k)) * batch, o1 = (q + s * (2 * k + 1)) * batch
                for b in 0..<batch {
                    let ar = xr[i0 + b], ai = xi[i0 + b], br = xr[i1 + b], bi = xi[i1 + b]
                    yr[o0 + b] = ar + br
                    yi[o0 + b] = ai + bi
                    let dr = ar - br, di = ai - bi
                    yr[o1 + b] = dr * wr - di * wi
                    yi[o1 + b] = dr * wi + di * wr
                }
            }
        }
    }

    private static func radix3(
        _ xr: UnsafeMutablePointer<Float>, _ xi: UnsafeMutablePointer<Float>,
        _ yr: UnsafeMutablePointer<Float>, _ yi: UnsafeMutablePointer<Float>,
        m: Int, s: Int, batch: Int,
        twr: UnsafeMutablePointer<Float>, twi: UnsafeMutablePointer<Float>, dir: Float
    ) {
        let sn = Float(sin(2.0 * Double.pi / 3.0)) * dir
        for k in 0..<m {
            let w1r = twr[2 * k], w1i = twi[2 * k] * dir, w2r = twr[2 * k + 1], w2i = twi[2 * k + 1] * dir
            for q in 0..<s {
                let i0 = (q + s * k) * batch, i1 = (q + s * (k + m)) * batch, i2 = (q + s * (k + 2 * m)) * batch
                let o0 = (q + s * (3 * k)) * batch, o1 = o0 + s * batch, o2 = o0 + 2 * s * batch
                for b in 0..<batch {
                    let a0r = xr[i0 + b], a0i = xi[i0 + b]
                    let a1r = xr[i1 + b], a1i = xi[i1 + b]
                    let a2r = xr[i2 + b], a2i = xi[i2 + b]
                    let t1r = a1r + a2r, t1i = a1i + a2i
                    let t2r = a0r - 0.5 * t1r, t2i = a0i - 0.5 * t1i
                    let dr = (a1r - a2r) * sn, di = (a1i - a2i) * sn
                    yr[o0 + b] = a0r + t1r
                    yi[o0 + b] = a0i + t1i
                    // y1 = t2 − i·d, y2 = t2 + i·d (forward sign).
                    let y1r = t2r + di, y1i = t2i - dr
                    let y2r = t2r - di, y2i = t2i + dr
                    yr[o1 + b] = y1r * w1r - y1i * w1i
                    yi[o1 + b] = y1r * w1i + y1i * w1r
                    yr[o2 + b] = y2r * w2r - y2i * w2i
                    yi[o2 + b] = y2r * w2i + y2i * w2r
                }
            }
        }
    }

    private static func radix4(
        _ xr: UnsafeMutablePointer<Float>, _ xi: UnsafeMutablePointer<Float>,
        _ yr: UnsafeMutablePointer<Float>, _ yi: UnsafeMutablePointer<Float>,
        m: Int, s: Int, batch: Int,
        twr: UnsafeMutablePointer<Float>, twi: UnsafeMutablePointer<Float>, dir: Float
    ) {
        for k in 0..<m {
            let w1r = twr[3 * k], w1i = twi[3 * k] * dir
            let w2r = twr[3 * k + 1], w2i = twi[3 * k + 1] * dir
            let w3r = twr[3 * k + 2], w3i = twi[3 * k + 2] * dir
            for q in 0..<s {
                let i0 = (q + s * k) * batch, i1 = (q + s * (k + m)) * batch
                let i2 = (q + s * (k + 2 * m)) * batch, i3 = (q + s * (k + 3 * m)) * batch
                let o0 = (q + s * (4 * k)) * batch, sb = s * batch
                for b in 0..<batch {
                    let a0r = xr[i0 + b], a0i = xi[i0 + b], a1r = xr[i1 + b], a1i = xi[i1 + b]
                    let a2r = xr[i2 + b], a2i = xi[i2 + b], a3r = xr[i3 + b], a3i = xi[i3 + b]
                    let s02r = a0r + a2r, s02i = a0i + a2i, d02r = a0r - a2r, d02i = a0i - a2i
                    let s13r = a1r + a3r, s13i = a1i + a3i
                    // −i·dir·(a1 − a3)
                    let d13r = (a1i - a3i) * dir, d13i = -(a1r - a3r) * dir
                    yr[o0 + b] = s02r + s13r
                    yi[o0 + b] = s02i + s13i
                    let y1r = d02r + d13r, y1i = d02i + d13i
                    let y2r = s02r - s13r, y2i = s02i - s13i
                    let y3r = d02r - d13r, y3i = d02i - d13i
                    yr[o0 + sb + b] = y1r * w1r - y1i * w1i
                    yi[o0 + sb + b] = y1r * w1i + y1i * w1r
                    yr[o0 + 2 * sb + b] = y2r * w2r - y2i * w2i
                    yi[o0 + 2 * sb + b] = y2r * w2i + y2i * w2r
                    yr[o0 + 3 * sb + b] = y3r * w3r - y3i * w3i
                    yi[o0 + 3 * sb + b] = y3r * w3i + y3i * w3r
                }
            }
        }
    }

    private static func radix5(
        _ xr: UnsafeMutablePointer<Float>, _ xi: UnsafeMutablePointer<Float>,
        _ yr: UnsafeMutablePointer<Float>, _ yi: UnsafeMutablePointer<Float>,
        m: Int, s: Int, batch: Int,
        twr: UnsafeMutablePointer<Float>, twi: UnsafeMutablePointer<Float>, dir: Float
    ) {
        let c1 = Float(cos(2.0 * Double.pi / 5.0)), c2 = Float(cos(4.0 * Double.pi / 5.0))
        let s1 = Float(sin(2.0 * Double.pi / 5.0)) * dir, s2 = Float(sin(4.0 * Double.pi / 5.0)) * dir
        for k in 0..<m {
            let w1r = twr[4 * k], w1i = twi[4 * k] * dir
            let w2r = twr[4 * k + 1], w2i = twi[4 * k + 1] * dir
            let w3r = twr[4 * k + 2], w3i = twi[4 * k + 2] * dir
            let w4r = twr[4 * k + 3], w4i = twi[4 * k + 3] * dir
            for q in 0..<s {
                let i0 = (q + s * k) * batch, ms = m * s * batch
                let o0 = (q + s * (5 * k)) * batch, sb = s * batch
                for b in 0..<batch {
                    let a0r = xr[i0 + b], a0i = xi[i0 + b]
                    let a1r = xr[i0 + ms + b], a1i = xi[i0 + ms + b]
                    let a2r = xr[i0 + 2 * ms + b], a2i = xi[i0 + 2 * ms + b]
                    let a3r = xr[i0 + 3 * ms + b], a3i = xi[i0 + 3 * ms + b]
                    let a4r = xr[i0 + 4 * ms + b], a4i = xi[i0 + 4 * ms + b]
                    let b1r = a1r + a4r, b1i = a1i + a4i, b2r = a2r + a3r, b2i = a2i + a3i
                    let d1r = a1r - a4r, d1i = a1i - a4i, d2r = a2r - a3r, d2i = a2i - a3i
                    let t1r = a0r + c1 * b1r + c2 * b2r, t1i = a0i + c1 * b1i + c2 * b2i
                    let t2r = a0r + c2 * b1r + c1 * b2r, t2i = a0i + c2 * b1i + c1 * b2i
                    let u1r = s1 * d1r + s2 * d2r, u1i = s1 * d1i + s2 * d2i
                    let u2r = s2 * d1r - s1 * d2r, u2i = s2 * d1i - s1 * d2i
                    yr[o0 + b] = a0r + b1r + b2r
                    yi[o0 + b] = a0i + b1i + b2i
                    // y1 = t1 − i·u1, y4 = t1 + i·u1, y2 = t2 − i·u2, y3 = t2 + i·u2.
                    let y1r = t1r + u1i, y1i = t1i - u1r
                    let y4r = t1r - u1i, y4i = t1i + u1r
                    let y2r = t2r + u2i, y2i = t2i - u2r
                    let y3r = t2r - u2i, y3i = t2i + u2r
                    yr[o0 + sb + b] = y1r * w1r - y1i * w1i
                    yi[o0 + sb + b] = y1r * w1i + y1i * w1r
                    yr[o0 + 2 * sb + b] = y2r * w2r - y2i * w2i
                    yi[o0 + 2 * sb + b] = y2r * w2i + y2i * w2r
                    yr[o0 + 3 * sb + b] = y3r * w3r - y3i * w3i
                    yi[o0 + 3 * sb + b] = y3r * w3i + y3i * w3r
                    yr[o0 + 4 * sb + b] = y4r * w4r - y4i * w4i
                    yi[o0 + 4 * sb + b] = y4r * w4i + y4i * w4r
                }
            }
        }
    }
}
