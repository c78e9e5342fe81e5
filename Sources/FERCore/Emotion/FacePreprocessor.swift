/// Turns a face in an image into the mini-Xception's input exactly as the `fer` package
/// does (fer 25.10.3 `fer/fer.py`, `FER.detect_emotions` with `use_tflite=False`), so
/// that FERCore's probabilities equal those of the reference Keras model:
///
/// 1. **Gray.** `cv2.cvtColor(img, COLOR_BGR2GRAY)`: BT.601 luma in OpenCV's fixed point
///    (``ColorConversion/rgbToGray(_:into:)``; our frames are RGB, fer's BGR — same weights
///    on the same colours).
/// 2. **Pad.** `FER.pad`: the gray image framed by ``Geometry/padding`` (40) pixels of one
///    value, the mean of its bottom two rows (`cv2.mean`, then rounded half to even to a
///    byte as `cv2.copyMakeBorder` does with a `Scalar`). Only the pixels the crop touches
///    are ever converted or padded; nothing the size of the frame is copied.
/// 3. **Square.** `FER.tosquare`: the shorter side grows to the longer one, the box
///    moving left/up by `diff // 2`.
/// 4. **Margin.** `FER.__apply_offsets`: ``Geometry/marginX``/``Geometry/marginY`` (10)
///    pixels more on each side.
/// 5. **Crop.** In padded coordinates the left/top edges are clamped to 0 and the
///    right/bottom ones cut at the padded image's edge (numpy slicing).
/// 6. **Resize.** `cv2.resize(face, (64, 64))`: bilinear (`INTER_LINEAR`, cv2's default),
///    bit-exact (``Resizer``).
/// 7. **Scale.** `(x / 255 - 0.5) * 2` in float32 (`FER.__preprocess_input`, v2), to [-1, 1].
///
/// Deviations, all for input fer mishandles: a box with zero or negative width/height throws
/// ``EmotionError/emptyBox(_:)`` (fer would crop a 20×20 patch around a point); a box that
/// does not overlap the image throws ``EmotionError/boxOutsideImage(_:imageWidth:imageHeight:)``
/// (fer would classify padding, or — far to the left/top, where numpy reads a negative stop
/// as "from the end" — a wrong part of the image). A box partly outside is handled as fer
/// does: the part outside is padding. A 1×1 box is valid (its crop is 21×21 pixels around it).
///
/// A preprocessor owns its buffers and reuses them: after the first face of a given crop
/// size it allocates nothing. Not thread-safe.
public final class FacePreprocessor {
    /// The crop policy; every default is `fer`'s.
    public struct Geometry: Sendable, Equatable {
        /// Pixels added on the left and the right of the squared box (fer `offsets[0]`, default 10).
        public var marginX = 10
        /// Pixels added above and below the squared box (fer `offsets[1]`, default 10).
        public var marginY = 10
        /// Width of the constant border fer adds around the gray image (fer `PADDING`, 40).
        /// It matters only where the box comes within this distance of the image edge: beyond
        /// the border the crop is cut, not padded.
        public var padding = 40
        /// Makes the box square before adding the margins (fer `tosquare`, always on in fer).
        public var makesSquare = true

        /// The `fer` defaults.
        public init() {}
    }

    /// A crop rectangle in image coordinates: it may extend past the image edges (up to
    /// ``Geometry/padding``), where it reads the padding value.
    public struct CropRegion: Sendable, Hashable {
        /// Left column (≥ −padding).
        public var x: Int
        /// Top row (≥ −padding).
        public var y: Int
        /// Width (≥ 1).
        public var width: Int
        /// Height (≥ 1).
        public var height: Int
    }

    /// The side of the network input (mini-Xception: 64).
    public let inputSize: Int
    /// The crop policy.
    public var geometry: Geometry

    private let crop: ImageBuffer
    private let resized: ImageBuffer
    private let bottomRows: ImageBuffer
    private let gray: ImageBuffer
    private let resizer = Resizer()

    /// Creates a preprocessor producing `inputSize`×`inputSize` inputs.
    public init(inputSize: Int = 64, geometry: Geometry = Geometry()) {
        self.inputSize = max(1, inputSize)
        self.geometry = geometry
        // 1×1 placeholders; every buffer grows on first use and is then reused.
        // (ImageBuffer's init only throws for sizes < 1.)
        crop = Self.buffer()
        resized = Self.buffer()
        bottomRows = Self.buffer()
        gray = Self.buffer()
    }

    private static func buffer() -> ImageBuffer {
        do { return try ImageBuffer(width: 1, height: 1, format: .gray8) } catch { preconditionFailure("\(error)") }
    }

    /// The region fer crops for `box` in an image of `imageWidth`×`imageHeight` (steps 3–5); the
    /// box's corners are first truncated to whole pixels, as fer does with a detector's boxes.
    public func region(for box: Box, imageWidth: Int, imageHeight: Int) throws(EmotionError) -> CropRegion {
        try region(for: FaceRect(box), imageWidth: imageWidth, imageHeight: imageHeight)
    }

    func region(for box: FaceRect, imageWidth: Int, imageHeight: Int) throws(EmotionError) -> CropRegion {
        guard box.width > 0, box.height > 0 else { throw .emptyBox(box.box) }
        // Coordinates beyond ±2^31 are clamped first (any image is far smaller), so that
        // the arithmetic below cannot overflow for absurd boxes or options.
        let limit = 1 << 31
        var (x, y) = (min(max(box.x, -limit), limit), min(max(box.y, -limit), limit))
        var (w, h) = (min(box.width, limit), min(box.height, limit))
        guard x < imageWidth, y < imageHeight, x + w > 0, y + h > 0 else {
            throw .boxOutsideImage(box.box, imageWidth: imageWidth, imageHeight: imageHeight)
        }
        if geometry.makesSquare {
            // fer tosquare: `diff // 2` with diff > 0, so plain integer division.
            if h > w {
                x -= (h - w) / 2
                w = h
            } else if w > h {
                y -= (w - h) / 2
                h = w
            }
        }
        let pad = min(max(0, geometry.padding), limit)
        let marginX = min(max(geometry.marginX, -limit), limit), marginY = min(max(geometry.marginY, -limit), limit)
        // Padded coordinates: fer adds PADDING to every edge, clamps x1/y1 at 0, and numpy
        // slicing cuts x2/y2 at the padded size. The box overlaps the image, so with margins
        // ≥ 0 the crop is never empty; the guard covers negative margins.
        let x1 = max(0, x - marginX + pad), y1 = max(0, y - marginY + pad)
        let x2 = min(imageWidth + 2 * pad, x + w + marginX + pad)
        let y2 = min(imageHeight + 2 * pad, y + h + marginY + pad)
        guard x2 > x1, y2 > y1 else { throw .boxOutsideImage(box.box, imageWidth: imageWidth, imageHeight: imageHeight) }
        return CropRegion(x: x1 - pad, y: y1 - pad, width: x2 - x1, height: y2 - y1)
    }

    /// The border value fer pads with: the mean of the bottom two rows of the gray image,
    /// rounded half to even (step 2).
    public func paddingValue(of image: ImageView) throws(EmotionError) -> UInt8 {
        let rows = min(2, image.height)
        let bottom = try view(image, x: 0, y: image.height - rows, width: image.width, height: rows)
        let g = try grayView(of: bottom, using: bottomRows)
        var sum = 0
        for r in 0..<g.height {
            let row = g.row(r)
            for c in 0..<g.width { sum += Int(row[c]) }
        }
        // cv2.mean: integer sum times (1 / count) in double; copyMakeBorder's Scalar → uchar
        // is saturate_cast, i.e. cvRound (round half to even).
        let mean = Double(sum) * (1.0 / Double(g.width * g.height))
        return UInt8(max(0, min(255, mean.rounded(.toNearestOrEven))))
    }

    /// Writes the network input for the face `box` of `image` (RGB8 or Gray8) into
    /// `output` (`inputSize`² floats), and its mirror image into `mirrored` when given.
    public func prepare(
        image: ImageView, box: Box, into output: UnsafeMutablePointer<Float>,
        mirrored: UnsafeMutablePointer<Float>? = nil
    ) throws(EmotionError) {
        try checkImage(image)
        let region = try region(for: FaceRect(box), imageWidth: image.width, imageHeight: image.height)
        let inside =
            region.x >= 0 && region.y >= 0 && region.x + region.width <= image.width
            && region.y + region.height <= image.height
        let fill: UInt8 = inside ? 0 : try paddingValue(of: image)
        do {
            try crop.reshape(width: region.width, height: region.height, format: .gray8)
        } catch { throw .image(error) }
        let dst = crop.mutableView
        if !inside {
            for r in 0..<dst.height { dst.row(r).update(repeating: fill, count: dst.width) }
        }
        // The part of the region inside the image, converted (or copied) to gray in place.
        let ix1 = max(0, region.x), iy1 = max(0, region.y)
        let ix2 = min(image.width, region.x + region.width), iy2 = min(image.height, region.y + region.height)
        let src = try view(image, x: ix1, y: iy1, width: ix2 - ix1, height: iy2 - iy1)
        let target: MutableImageView
        do {
            target = try dst.cropped(x: ix1 - region.x, y: iy1 - region.y, width: ix2 - ix1, height: iy2 - iy1)
        } catch { throw .image(error) }
        try writeGray(src, into: target)
        try finish(crop.view, into: output, mirrored: mirrored)
    }

    /// Writes the network input for an image that is already a face crop (the whole view,
    /// no margin: how FER-2013's 48×48 faces are fed) into `output`, and its mirror image
    /// into `mirrored` when given. Steps 1, 6 and 7 only.
    public func prepare(
        crop face: ImageView, into output: UnsafeMutablePointer<Float>,
        mirrored: UnsafeMutablePointer<Float>? = nil
    ) throws(EmotionError) {
        try checkImage(face)
        try finish(try grayView(of: face, using: gray), into: output, mirrored: mirrored)
    }

    /// The resized gray bytes of the last prepared face (`inputSize`², before scaling):
    /// what fer passes to `(x / 255 - 0.5) * 2`. Valid until the next `prepare`.
    public var lastResizedFace: ImageView { resized.view }

    // MARK: Steps

    private func checkImage(_ image: ImageView) throws(EmotionError) {
        do { try ImageError.check(width: image.width, height: image.height) } catch { throw .image(error) }
    }

    private func view(_ image: ImageView, x: Int, y: Int, width: Int, height: Int) throws(EmotionError) -> ImageView {
        do { return try image.cropped(x: x, y: y, width: width, height: height) } catch { throw .image(error) }
    }

    /// `image` itself when gray, else its gray conversion in `buffer`.
    private func grayView(of image: ImageView, using buffer: ImageBuffer) throws(EmotionError) -> ImageView {
        if image.format == .gray8 { return image }
        do {
            try buffer.reshape(width: image.width, height: image.height, format: .gray8)
        } catch { throw .image(error) }
        try writeGray(image, into: buffer.mutableView)
        return buffer.view
    }

    private func writeGray(_ src: ImageView, into dst: MutableImageView) throws(EmotionError) {
        switch src.format {
        case .gray8:
            for r in 0..<src.height { dst.row(r).update(from: src.row(r), count: src.width) }
        case .rgb8:
            do { try ColorConversion.rgbToGray(src, into: dst) } catch { throw .image(error) }
        }
    }

    /// Resize to the input size, then scale to [-1, 1] (and mirror).
    private func finish(
        _ face: ImageView, into output: UnsafeMutablePointer<Float>,
        mirrored: UnsafeMutablePointer<Float>?
    ) throws(EmotionError) {
        let n = inputSize
        do {
            try resized.reshape(width: n, height: n, format: .gray8)
            try resizer.resize(face, into: resized.mutableView, interpolation: .linear)
        } catch { throw .image(error) }
        let out = resized.view
        for r in 0..<n {
            let row = out.row(r)
            let o = output + r * n
            for c in 0..<n { o[c] = Self.scale(row[c]) }
            if let m = mirrored {
                let mo = m + r * n
                for c in 0..<n { mo[n - 1 - c] = Self.scale(row[c]) }
            }
        }
    }

    /// fer's `(x / 255.0 - 0.5) * 2.0` on a float32 array: three float32 roundings, in that order.
    @inline(__always) static func scale(_ v: UInt8) -> Float {
        (Float(v) / 255 - 0.5) * 2
    }
}
