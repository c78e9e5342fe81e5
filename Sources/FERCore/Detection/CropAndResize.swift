/// `tf.image.crop_and_resize(method="bilinear", extrapolation_value=0)` (TensorFlow
/// `core/kernels/image/crop_and_resize_op.cc`) of one box of a U8 image through a
/// normalisation table: how `mtcnn` 1.0.0 (`mtcnn/utils/images.py`, `extract_patches`)
/// cuts the R-Net and O-Net inputs out of the normalised image.
///
/// The box is given normalised as the reference passes it, `[y1/H, x1/W, y2/H, x2/W]`
/// rounded to float32, and sampled at `y1·(H-1) + i·(y2-y1)·(H-1)/(size-1)`: corners map
/// to corners of the `(H-1)`-wide pixel grid (so the crop is a hair smaller than the box,
/// as in the reference). Samples outside the image are 0, i.e. grey 127.5 before
/// normalisation.
enum CropAndResize {
    /// Writes a `size`×`size` RGB float patch of `image` (RGB8 or Gray8 read as R = G = B)
    /// to `output` (packed HWC).
    static func crop(
        _ image: ImageView, table: UnsafePointer<Float>, y1: Float, x1: Float, y2: Float, x2: Float,
        size: Int, output: UnsafeMutablePointer<Float>
    ) {
        let hm1 = Float(image.height - 1), wm1 = Float(image.width - 1)
        let count = size * size * 3
        guard size > 1, y1.isFinite, x1.isFinite, y2.isFinite, x2.isFinite else {
            output.update(repeating: 0, count: count)
            return
        }
        let hs = (y2 - y1) * hm1 / Float(size - 1)
        let ws = (x2 - x1) * wm1 / Float(size - 1)
        let gray = image.format == .gray8
        for y in 0..<size {
            let out = output + y * size * 3
            let inY = y1 * hm1 + Float(y) * hs
            guard inY >= 0, inY <= hm1 else {
                out.update(repeating: 0, count: size * 3)
                continue
            }
            let top = Int(inY.rounded(.down)), bottom = Int(inY.rounded(.up))
            let yl = inY - Float(top)
            let rowT = image.row(top), rowB = image.row(bottom)
            for x in 0..<size {
                let inX = x1 * wm1 + Float(x) * ws
                guard inX >= 0, inX <= wm1 else {
                    out[3 * x] = 0
                    out[3 * x + 1] = 0
                    out[3 * x + 2] = 0
                    continue
                }
                let left = Int(inX.rounded(.down)), right = Int(inX.rounded(.up))
                let xl = inX - Float(left)
                if gray {
                    let tl = table[Int(rowT[left])], tr = table[Int(rowT[right])]
                    let bl = table[Int(rowB[left])], br = table[Int(rowB[right])]
                    let t = tl + (tr - tl) * xl
                    let b = bl + (br - bl) * xl
                    let v = t + (b - t) * yl
                    out[3 * x] = v
                    out[3 * x + 1] = v
                    out[3 * x + 2] = v
                } else {
                    for c in 0..<3 {
                        let tl = table[Int(rowT[3 * left + c])], tr = table[Int(rowT[3 * right + c])]
                        let bl = table[Int(rowB[3 * left + c])], br = table[Int(rowB[3 * right + c])]
                        let t = tl + (tr - tl) * xl
                        let b = bl + (br - bl) * xl
                        out[3 * x + c] = t + (b - t) * yl
                    }
                }
            }
        }
    }
}
