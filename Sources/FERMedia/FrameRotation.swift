import FERCore

/// Turns RGB8 frames upright by a multiple of 90°, as a player does for a clip whose
/// container says how to display it (phones record sideways and set a display matrix).
enum FrameRotation {
    /// Side of the square tiles the 90° rotations copy, so that both the rows read and the
    /// rows written stay in cache (32 × 32 RGB pixels: 3 KB per tile).
    static let tile = 32

    /// Writes `source` rotated `degrees` clockwise (90, 180 or 270) into `destination`,
    /// which must be `source` transposed in size for 90/270 and equal for 180.
    static func rotate(_ source: ImageView, clockwise degrees: Int, into destination: MutableImageView) {
        let w = source.width, h = source.height
        switch degrees {
        case 90:
            // destination(x, y) = source(y, h - 1 - x): destination row y is source column y, bottom up.
            for ty in stride(from: 0, to: w, by: tile) {
                for tx in stride(from: 0, to: h, by: tile) {
                    for y in ty..<min(ty + tile, w) {
                        let d = destination.row(y)
                        for x in tx..<min(tx + tile, h) {
                            let s = source.row(h - 1 - x) + 3 * y
                            d[3 * x] = s[0]; d[3 * x + 1] = s[1]; d[3 * x + 2] = s[2]
                        }
                    }
                }
            }
        case 270:
            // destination(x, y) = source(w - 1 - y, x).
            for ty in stride(from: 0, to: w, by: tile) {
                for tx in stride(from: 0, to: h, by: tile) {
                    for y in ty..<min(ty + tile, w) {
                        let d = destination.row(y)
                        let column = 3 * (w - 1 - y)
                        for x in tx..<min(tx + tile, h) {
                            let s = source.row(x) + column
                            d[3 * x] = s[0]; d[3 * x + 1] = s[1]; d[3 * x + 2] = s[2]
                        }
                    }
                }
            }
        case 180:
            for y in 0..<h {
                let s = source.row(h - 1 - y)
                let d = destination.row(y)
                for x in 0..<w {
                    let p = 3 * (w - 1 - x)
                    d[3 * x] = s[p]; d[3 * x + 1] = s[p + 1]; d[3 * x + 2] = s[p + 2]
                }
            }
        default:
            for y in 0..<h { destination.row(y).update(from: source.row(y), count: 3 * w) }
        }
    }
}
