import Testing

@testable import FERCore

@Suite("HOG features")
struct HOGFeaturesTests {
    /// The gradient row's truncation (adds and a compare, so that it vectorises without SSE4.1)
    /// must equal `rounded(.towardZero)` bit for bit wherever the bins reach (0…18), and beyond:
    /// every float on a fine grid, every whole number and its two neighbours, and the largest
    /// float below 2²³.
    @Test("truncateNonNegative equals rounded(.towardZero) on 0 ..< 2^23")
    func truncation() {
        var values: [Float] = [0, .leastNonzeroMagnitude, .leastNormalMagnitude, 0.5, 1, 17.5, 18, 8_388_607.5, Float(8_388_608).nextDown]
        for i in 0...(18 * 4096) { values.append(Float(i) / 4096) }
        for n in 0...40 {
            let f = Float(n)
            values += [f, f.nextUp, f > 0 ? f.nextDown : 0]
        }
        for x in [Float](arrayLiteral: 1000.25, 65_536.75, 1_000_000.5, 4_194_303.75) { values += [x, x.nextUp, x.nextDown] }
        for x in values {
            let expected = x.rounded(.towardZero)
            let got = HOGFeatures.truncateNonNegative(x)
            #expect(got.bitPattern == expected.bitPattern, "\(x): \(got) != \(expected)")
        }
    }
}
