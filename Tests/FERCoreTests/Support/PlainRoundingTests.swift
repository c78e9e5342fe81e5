import Testing

@testable import FERCore

@Suite("Rounding without SSE4.1")
struct PlainRoundingTests {
    /// Values on a fine grid over the ranges the callers use (HOG bins 0…18, bytes, int8
    /// inputs), every whole and half number up to 300 and their neighbours, and the edges of
    /// the stated ranges.
    static func samples(lower: Float, upper: Float) -> [Float] {
        var values: [Float] = [0, .leastNonzeroMagnitude, .leastNormalMagnitude, 0.5, 1, 1.5, 2.5, 17.5, 18, upper, upper.nextDown]
        for i in 0...(300 * 256) { values.append(Float(i) / 256) }
        for h in 0...600 {
            let f = Float(h) / 2
            values += [f, f.nextUp, f > 0 ? f.nextDown : 0]
        }
        for x in [Float](arrayLiteral: 1000.25, 65_536.75, 1_000_000.5, 2_097_151.5, 4_194_303.5) where x < upper {
            values += [x, x.nextUp, x.nextDown]
        }
        if lower < 0 { values += values.map { -$0 } }
        return values.filter { $0 >= lower && $0 <= upper }
    }

    @Test("truncateNonNegative equals rounded(.towardZero) bit for bit on 0 ..< 2^23")
    func truncation() {
        for x in Self.samples(lower: 0, upper: Float(8_388_608).nextDown) {
            let expected = x.rounded(.towardZero), got = PlainRounding.truncateNonNegative(x)
            #expect(got.bitPattern == expected.bitPattern, "\(x): \(got) != \(expected)")
        }
    }

    @Test("nearestEven equals rounded(.toNearestOrEven) on |x| <= 2^22 (up to the sign of zero); NaN and infinities pass through")
    func nearestEven() {
        for x in Self.samples(lower: -4_194_304, upper: 4_194_304) {
            let expected = x.rounded(.toNearestOrEven), got = PlainRounding.nearestEven(x)
            #expect(got == expected, "\(x): \(got) != \(expected)")
            #expect(got.sign == expected.sign || got == 0, "\(x): sign of \(got)")
        }
        #expect(PlainRounding.nearestEven(.nan).isNaN)
        #expect(PlainRounding.nearestEven(.infinity) == .infinity)
        #expect(PlainRounding.nearestEven(-.infinity) == -.infinity)
        // Beyond 2²² the value still saturates a byte the same way.
        for x: Float in [5e6, 1e9, 1e18, -5e6, -1e18] {
            #expect(UInt8(clamping: Int(PlainRounding.nearestEven(x))) == UInt8(clamping: Int(x.rounded(.toNearestOrEven))))
        }
    }
}
