import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

@Suite("Tracking FFT")
struct FFTTests {
    /// Naive O(n²) 2-D DFT in Double: the truth.
    static func naiveDFT(_ re: [Float], _ im: [Float], width: Int, height: Int, inverse: Bool) -> ([Float], [Float]) {
        var outR = [Float](repeating: 0, count: re.count), outI = outR
        let sign = inverse ? 1.0 : -1.0
        for ky in 0..<height {
            for kx in 0..<width {
                var sr = 0.0, si = 0.0
                for y in 0..<height {
                    for x in 0..<width {
                        let a = sign * 2 * Double.pi * (Double(kx * x) / Double(width) + Double(ky * y) / Double(height))
                        let vr = Double(re[y * width + x]), vi = Double(im[y * width + x])
                        sr += vr * cos(a) - vi * sin(a)
                        si += vr * sin(a) + vi * cos(a)
                    }
                }
                let scale = inverse ? 1 / Double(width * height) : 1
                outR[ky * width + kx] = Float(sr * scale)
                outI[ky * width + kx] = Float(si * scale)
            }
        }
        return (outR, outI)
    }

    @Test("complex 2-D FFT matches a naive DFT for random 2-3-5 sizes, both directions")
    func complexMatchesNaive() throws {
        var rng = SplitMix64(seed: 61)
        let sizes = [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25, 27, 30, 32, 36, 40, 45, 48, 50]
        for _ in 0..<14 {
            let w = sizes.randomElement(using: &rng) ?? 8, h = sizes.randomElement(using: &rng) ?? 8
            let fft = try FFT2D(width: w, height: h)
            for inverse in [false, true] {
                var re = rng.floats(w * h), im = rng.floats(w * h)
                let (er, ei) = Self.naiveDFT(re, im, width: w, height: h, inverse: inverse)
                re.withUnsafeMutableBufferPointer { r in
                    im.withUnsafeMutableBufferPointer { i in
                        fft.transform(re: r.baseAddress!, im: i.baseAddress!, inverse: inverse)
                    }
                }
                // Float32 butterflies vs a Double reference: error grows ~ log(n)·ε·|X|; |X| ≤ n here,
                // so 1e-5·n (n ≤ 2500) bounds it with margin.
                let tol = 1e-5 * Float(w * h) / (inverse ? Float(w * h) : 1) + 1e-5
                #expect(maxAbsDiff(re, er) < tol, "re \(w)x\(h) inverse \(inverse)")
                #expect(maxAbsDiff(im, ei) < tol, "im \(w)x\(h) inverse \(inverse)")
            }
        }
    }

    @Test("two real signals at once: forward spectra match the naive DFT and the inverse round-trips")
    func realPairs() throws {
        var rng = SplitMix64(seed: 62)
        for (w, h) in [(40, 40), (30, 18), (25, 16), (12, 5)] {
            let fft = try FFT2D(width: w, height: h)
            let a = rng.floats(w * h), b = rng.floats(w * h)
            let zero = [Float](repeating: 0, count: w * h)
            let (ar, ai) = Self.naiveDFT(a, zero, width: w, height: h, inverse: false)
            let (br, bi) = Self.naiveDFT(b, zero, width: w, height: h, inverse: false)
            var sar = zero, sai = zero, sbr = zero, sbi = zero, ra = zero, rb = zero
            fft.forwardReal(a, b, aRe: &sar, aIm: &sai, bRe: &sbr, bIm: &sbi)
            let tol = 1e-5 * Float(w * h) // as above
            #expect(maxAbsDiff(sar, ar) < tol && maxAbsDiff(sai, ai) < tol)
            #expect(maxAbsDiff(sbr, br) < tol && maxAbsDiff(sbi, bi) < tol)
            fft.inverseReal(aRe: sar, aIm: sai, bRe: sbr, bIm: sbi, &ra, &rb)
            // Round trip of unit-range data: a few ulps per stage.
            #expect(maxAbsDiff(ra, a) < 1e-5 && maxAbsDiff(rb, b) < 1e-5)
        }
    }

    @Test("unsupported lengths are a typed error")
    func unsupported() {
        #expect(throws: TrackingError.unsupportedFFTLength(7)) { try FFTPlan(length: 7) }
        #expect(throws: TrackingError.unsupportedFFTLength(0)) { try FFTPlan(length: 0) }
        #expect(throws: TrackingError.unsupportedFFTLength(33)) { try FFT2D(width: 33, height: 4) }
        #expect(FFTPlan.nextSupported(49) == 50)
        #expect(FFTPlan.nextSupported(7) == 8)
    }
}
