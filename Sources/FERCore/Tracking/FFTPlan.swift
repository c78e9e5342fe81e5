import CFERKernels
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
    /// The instruction-set level of the stage loops (all levels give the same bits).
    let level: Int32

    /// Plans a transform of `length` points, run with `isa`'s stage loops.
    /// - Throws: ``TrackingError/unsupportedFFTLength(_:)`` unless `length` ≥ 1 has no prime
    ///   factor other than 2, 3 and 5.
    init(length: Int, isa: InstructionSet = .current) throws(TrackingError) {
        guard length >= 1, FFTPlan.isSupported(length) else { throw .unsupportedFFTLength(length) }
        self.length = length
        level = Int32(isa.rawValue)
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
            // Stockham DIF stage (fer_tracker.h): input element (q + s·(k + r·m)), output
            // (q + s·(p·k + u)), output u multiplied by w_n^(k·u), n = p·m; each element is `batch`
            // contiguous floats.
            fer_fft_stage(level, Int32(p), xr, xi, yr, yi, m, s, batch, twr, twi, dir)
            swap(&xr, &yr)
            swap(&xi, &yi)
            inB.toggle()
            n = m
            s *= p
        }
        return inB
    }
}
