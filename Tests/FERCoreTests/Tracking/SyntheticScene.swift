import Foundation

@_spi(Kernels) @testable import FERCore

/// A deterministic synthetic scene: a textured background and textured elliptical "faces"
/// that can move and scale. The texture is a seeded sum of sinusoids, evaluated in each
/// object's own coordinates so that it moves and scales with the object.
struct SyntheticScene {
    struct Texture {
        var fx: [Double], fy: [Double], phase: [Double], amp: [Double], base: [Double]
        init(seed: UInt64, frequency: ClosedRange<Double>) {
            var rng = SplitMix64(seed: seed)
            fx = (0..<6).map { _ in Double.random(in: frequency, using: &rng) * (Bool.random(using: &rng) ? 1 : -1) }
            fy = (0..<6).map { _ in Double.random(in: frequency, using: &rng) * (Bool.random(using: &rng) ? 1 : -1) }
            phase = (0..<6).map { _ in Double.random(in: 0...(2 * .pi), using: &rng) }
            amp = (0..<6).map { _ in Double.random(in: 10...25, using: &rng) }
            base = (0..<3).map { _ in Double.random(in: 60...190, using: &rng) }
        }
        func value(_ u: Double, _ v: Double, _ c: Int) -> Double {
            var s = base[c]
            for i in 0..<6 where i % 3 == c || i >= 3 { s += amp[i] * sin(fx[i] * u + fy[i] * v + phase[i]) }
            return s
        }
    }

    let width: Int
    let height: Int
    let background: Texture
    var objects: [(texture: Texture, box: Box)] = []

    init(width: Int, height: Int, seed: UInt64) {
        self.width = width
        self.height = height
        background = Texture(seed: seed, frequency: 0.05...0.2)
    }

    /// Renders RGB8 pixels.
    func render() -> Image {
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                var rgb = (0..<3).map { background.value(Double(x), Double(y), $0) }
                for (tex, b) in objects {
                    let u = (Double(x) + 0.5 - b.x) / b.width, v = (Double(y) + 0.5 - b.y) / b.height
                    let du = u - 0.5, dv = v - 0.5
                    if du * du + dv * dv <= 0.25 {
                        // Texture in object units (×40 so a 40-px object shows the base frequencies).
                        rgb = (0..<3).map { tex.value(u * 40, v * 40, $0) + ($0 == 0 ? 40 : -20) }
                    }
                }
                for c in 0..<3 { px[(y * width + x) * 3 + c] = UInt8(max(0, min(255, rgb[c].rounded()))) }
            }
        }
        // Image init cannot fail: size and byte count match by construction.
        return try! Image(width: width, height: height, format: .rgb8, pixels: px)
    }
}
