import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

@Suite("ScaleFilter")
struct ScaleFilterTests {
    /// `update(sameFrame: true)` copies the estimate's samples whose patch is unchanged; it must
    /// train exactly the model that recomputing every sample trains (same scales chosen after).
    @Test("reusing the estimate's samples trains the same model as recomputing them")
    func reuseMatchesRecompute() throws {
        var scene = SyntheticScene(width: 160, height: 120, seed: 11)
        let start = Box(x: 50, y: 35, width: 50, height: 50)
        scene.objects = [(SyntheticScene.Texture(seed: 12, frequency: 0.2...0.6), start)]
        let params = CorrelationFilterOptions()
        func make() -> ScaleFilter {
            ScaleFilter(
                options: params, targetWidth: 50, targetHeight: 50, templateWidth: 200, templateHeight: 200,
                frameWidth: 160, frameHeight: 120)
        }
        let reusing = make(), recomputing = make()
        let first = scene.render()
        first.withView { v in
            reusing.update(v, cx: 75, cy: 60, rate: 1)
            recomputing.update(v, cx: 75, cy: 60, rate: 1)
        }
        for t in 1...6 {
            // Growing 3 %/frame so the chosen scale shifts and only part of the samples are reused.
            let s = pow(1.03, Double(t))
            scene.objects[0].box = Box(x: 75 - 25 * s, y: 60 - 25 * s, width: 50 * s, height: 50 * s)
            let frame = scene.render()
            frame.withView { v in
                let a = reusing.estimate(v, cx: 75, cy: 60)
                let b = recomputing.estimate(v, cx: 75, cy: 60)
                // Exact: the same samples in the same order give bit-identical sums.
                #expect(a == b, "frame \(t): \(a) vs \(b)")
                reusing.update(v, cx: 75, cy: 60, sameFrame: true)
                recomputing.update(v, cx: 75, cy: 60, sameFrame: false)
            }
        }
        #expect(reusing.currentScale > 1.05, "the target grew 19 %; scale \(reusing.currentScale)")
    }
}
