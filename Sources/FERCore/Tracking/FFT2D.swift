/// A planned 2-D FFT of a `width` × `height` grid (row-major, `[y][x]`), both sides
/// with factors 2, 3 and 5 only, plus the real-signal helpers the correlation filter uses.
///
/// Each 1-D pass is batched over the other axis (see ``FFTPlan``); between the passes the
/// grid is transposed so that the batch is always contiguous. Spectra are full
/// `width × height` complex grids in the same `[y][x]` layout (unnormalised forward,
/// `1/(width·height)` on the inverse, as OpenCV's `DFT_SCALE`). Real signals are
/// transformed two at a time (one as the real part, one as the imaginary part) and
/// separated with the Hermitian symmetry, which halves the cost of real transforms.
/// All scratch memory is allocated at init: a transform allocates nothing.
final class FFT2D {
    /// Grid width (x, fastest-varying).
    let width: Int
    /// Grid height (y).
    let height: Int
    /// `width · height`.
    let count: Int
    private let planX: FFTPlan
    private let planY: FFTPlan
    private let s1r: UnsafeMutablePointer<Float>, s1i: UnsafeMutablePointer<Float>
    private let s2r: UnsafeMutablePointer<Float>, s2i: UnsafeMutablePointer<Float>
    private let pr: UnsafeMutablePointer<Float>, pi: UnsafeMutablePointer<Float>
    /// Index of the frequency −k for each k (for the Hermitian split).
    private let mirror: UnsafeMutablePointer<Int32>

    /// Plans a `width` × `height` transform, run with `isa`'s stage loops.
    /// - Throws: ``TrackingError/unsupportedFFTLength(_:)`` when a side has another prime factor.
    init(width: Int, height: Int, isa: InstructionSet = .current) throws(TrackingError) {
        planX = try FFTPlan(length: width, isa: isa)
        planY = try FFTPlan(length: height, isa: isa)
        self.width = width
        self.height = height
        count = width * height
        s1r = .allocate(capacity: count); s1i = .allocate(capacity: count)
        s2r = .allocate(capacity: count); s2i = .allocate(capacity: count)
        pr = .allocate(capacity: count); pi = .allocate(capacity: count)
        for p in [s1r, s1i, s2r, s2i, pr, pi] { p.initialize(repeating: 0, count: count) }
        mirror = .allocate(capacity: count)
        for y in 0..<height {
            for x in 0..<width {
                mirror[y * width + x] = Int32(((height - y) % height) * width + (width - x) % width)
            }
        }
    }

    deinit {
        for p in [s1r, s1i, s2r, s2i, pr, pi] { p.deallocate() }
        mirror.deallocate()
    }

    /// In-place complex 2-D transform of (`re`, `im`), each `count` floats in `[y][x]` order.
    /// The inverse is scaled by `1/count`.
    func transform(re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>, inverse: Bool) {
        // Pass along y, batched over the `width` contiguous columns.
        let yInScratch = planY.run(aRe: re, aIm: im, bRe: s1r, bIm: s1i, batch: width, inverse: inverse)
        let (r1r, r1i) = yInScratch ? (s1r, s1i) : (re, im)
        // Transpose to [x][y] into s2, then pass along x batched over `height`.
        FFT2D.transpose(r1r, r1i, to: s2r, s2i, rows: height, cols: width, scale: 1)
        let freeR = yInScratch ? re : s1r, freeI = yInScratch ? im : s1i
        let xInOther = planX.run(aRe: s2r, aIm: s2i, bRe: freeR, bIm: freeI, batch: height, inverse: inverse)
        let (r2r, r2i) = xInOther ? (freeR, freeI) : (s2r, s2i)
        let scale: Float = inverse ? 1 / Float(count) : 1
        if r2r == re {
            // Result sits in the caller's buffer in [x][y] order: go through s2 (free now).
            FFT2D.transpose(r2r, r2i, to: s2r, s2i, rows: width, cols: height, scale: scale)
            re.update(from: s2r, count: count)
            im.update(from: s2i, count: count)
        } else {
            FFT2D.transpose(r2r, r2i, to: re, im, rows: width, cols: height, scale: scale)
        }
    }

    /// Forward transforms of two real grids `a` and `b` at once into the full spectra
    /// (`aRe`, `aIm`) and (`bRe`, `bIm`). Pass `b == nil` for a single signal.
    func forwardReal(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
        aRe: UnsafeMutablePointer<Float>, aIm: UnsafeMutablePointer<Float>,
        bRe: UnsafeMutablePointer<Float>?, bIm: UnsafeMutablePointer<Float>?
    ) {
        pr.update(from: a, count: count)
        if let b { pi.update(from: b, count: count) } else { pi.update(repeating: 0, count: count) }
        transform(re: pr, im: pi, inverse: false)
        guard let bRe, let bIm else {
            // Only a: its spectrum is Z itself (the imaginary input was zero).
            aRe.update(from: pr, count: count)
            aIm.update(from: pi, count: count)
            return
        }
        // A[k] = (Z[k] + conj Z[−k]) / 2, B[k] = (Z[k] − conj Z[−k]) / (2i).
        for k in 0..<count {
            let j = Int(mirror[k])
            let zr = pr[k], zi = pi[k], cr = pr[j], ci = -pi[j]
            aRe[k] = 0.5 * (zr + cr)
            aIm[k] = 0.5 * (zi + ci)
            bRe[k] = 0.5 * (zi - ci)
            bIm[k] = -0.5 * (zr - cr)
        }
    }

    /// Inverse transforms of two Hermitian spectra (of real signals) at once into real
    /// grids `a` and `b`. Pass `b == nil` (and nil spectra) for one signal.
    func inverseReal(
        aRe: UnsafePointer<Float>, aIm: UnsafePointer<Float>,
        bRe: UnsafePointer<Float>?, bIm: UnsafePointer<Float>?,
        _ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>?
    ) {
        if let bRe, let bIm {
            // Z = A + i·B; the inverse is a + i·b with a, b real.
            for k in 0..<count {
                pr[k] = aRe[k] - bIm[k]
                pi[k] = aIm[k] + bRe[k]
            }
        } else {
            pr.update(from: aRe, count: count)
            pi.update(from: aIm, count: count)
        }
        transform(re: pr, im: pi, inverse: true)
        a.update(from: pr, count: count)
        if let b { b.update(from: pi, count: count) }
    }

    private static func transpose(
        _ sr: UnsafeMutablePointer<Float>, _ si: UnsafeMutablePointer<Float>,
        to dr: UnsafeMutablePointer<Float>, _ di: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, scale: Float
    ) {
        // Blocked so both sides stay in cache.
        let block = 16
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + block)
            var c0 = 0
            while c0 < cols {
                let c1 = min(cols, c0 + block)
                for r in r0..<r1 {
                    for c in c0..<c1 {
                        dr[c * rows + r] = sr[r * cols + c] * scale
                        di[c * rows + r] = si[r * cols + c] * scale
                    }
                }
                c0 = c1
            }
            r0 = r1
        }
    }
}
