/// The per-target float buffers of ``CorrelationFilterTracker``, allocated once per
/// initialisation (sized by the cell grid and channel count) and freed with the tracker.
final class FloatStorage {
    let count: Int
    let channels: Int
    /// Template patch, 3 planes of `patchPixels`.
    let patch: UnsafeMutablePointer<Float>
    /// Features, `channels` planes of `count` (spatial, windowed).
    let features: UnsafeMutablePointer<Float>
    /// Feature spectra.
    let featRe: UnsafeMutablePointer<Float>, featIm: UnsafeMutablePointer<Float>
    /// Learned filter spectra.
    let filterRe: UnsafeMutablePointer<Float>, filterIm: UnsafeMutablePointer<Float>
    /// Filter solved on the current frame.
    let newRe: UnsafeMutablePointer<Float>, newIm: UnsafeMutablePointer<Float>
    /// Label spectrum, Hann window, masks.
    let labelRe: UnsafeMutablePointer<Float>, labelIm: UnsafeMutablePointer<Float>
    let window: UnsafeMutablePointer<Float>
    let mask: UnsafeMutablePointer<Float>, defaultMask: UnsafeMutablePointer<Float>
    /// ADMM work for two channels at a time (2·count each).
    let sxyRe: UnsafeMutablePointer<Float>, sxyIm: UnsafeMutablePointer<Float>, sxx: UnsafeMutablePointer<Float>
    let lRe: UnsafeMutablePointer<Float>, lIm: UnsafeMutablePointer<Float>
    let gRe: UnsafeMutablePointer<Float>, gIm: UnsafeMutablePointer<Float>
    /// Real spatial work (two grids) and the response.
    let spatialA: UnsafeMutablePointer<Float>, spatialB: UnsafeMutablePointer<Float>
    let response: UnsafeMutablePointer<Float>
    let respRe: UnsafeMutablePointer<Float>, respIm: UnsafeMutablePointer<Float>
    /// Channel reliability weights (current and this frame's).
    let weights: UnsafeMutablePointer<Float>, newWeights: UnsafeMutablePointer<Float>
    private let all: [UnsafeMutablePointer<Float>]

    /// Empty storage (before initialisation).
    convenience init() { self.init(count: 1, channels: 1, patchPixels: 1) }

    init(count: Int, channels: Int, patchPixels: Int) {
        self.count = count
        self.channels = channels
        func make(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        let cc = count * channels
        patch = make(3 * patchPixels)
        features = make(cc); featRe = make(cc); featIm = make(cc)
        filterRe = make(cc); filterIm = make(cc); newRe = make(cc); newIm = make(cc)
        labelRe = make(count); labelIm = make(count); window = make(count)
        mask = make(count); defaultMask = make(count)
        sxyRe = make(2 * count); sxyIm = make(2 * count); sxx = make(2 * count)
        lRe = make(2 * count); lIm = make(2 * count); gRe = make(2 * count); gIm = make(2 * count)
        spatialA = make(count); spatialB = make(count); response = make(count)
        respRe = make(count); respIm = make(count)
        weights = make(channels); newWeights = make(channels)
        all = [
            patch, features, featRe, featIm, filterRe, filterIm, newRe, newIm, labelRe, labelIm, window, mask,
            defaultMask, sxyRe, sxyIm, sxx, lRe, lIm, gRe, gIm, spatialA, spatialB, response, respRe, respIm,
            weights, newWeights
        ]
    }

    deinit { for p in all { p.deallocate() } }
}
