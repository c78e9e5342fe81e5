/// One level of the detection pyramid: the image scaled by `scale`.
struct PyramidLevel: Equatable {
    /// The factor from image to level coordinates.
    var scale: Double
    /// Level width in pixels.
    var width: Int
    /// Level height in pixels.
    var height: Int
}

/// The scales at which P-Net scans an image.
///
/// The first scale maps a `minimumFaceSize` face onto P-Net's 12-pixel window,
/// each next one is `scaleFactor` times the previous, and a scale is kept while the
/// scaled image's short side is at least 12 pixels (the original MTCNN rule,
/// kpzhang93/MTCNN_face_detection_alignment `detect_face.m`). `mtcnn` 1.0.0
/// (`mtcnn/utils/images.py`, `build_scale_pyramid`) instead computes the count as
/// `round(-(log(min_side / 12) / log(factor) + 1))` counted from scale 1, which keeps
/// levels below 12 px whenever the minimum face size exceeds 20 and then finds nothing;
/// at the default 20 both give the same scales (checked by Tools/make_detection_goldens.py).
enum ImagePyramid {
    /// P-Net's window (and so the smallest useful level side).
    static let window = 12

    /// Fills `levels` with the pyramid of a `width`×`height` image (empty when the image
    /// is too small for one 12×12 window).
    /// (`minimumFaceSize` is fractional when the detector works on a shrunk copy of a large
    /// image: the face size in the copy's pixels.)
    static func build(width: Int, height: Int, minimumFaceSize: Double, scaleFactor: Double, into levels: inout [PyramidLevel]) {
        levels.removeAll(keepingCapacity: true)
        let minSide = Double(min(width, height))
        let first = Double(window) / minimumFaceSize
        var k = 0
        while true {
            // numpy: m * scale_factor ** arange(n), i.e. pow per level, not a running product.
            let scale = first * pow(scaleFactor, Double(k))
            guard minSide * scale >= Double(window) else { break }
            // tf.image.resize converts the float size shape * scale to int32 by truncation.
            let w = Int(Double(width) * scale)
            let h = Int(Double(height) * scale)
            levels.append(PyramidLevel(scale: scale, width: w, height: h))
            k += 1
            if k > 200 { break } // unreachable for factor < 1; guards a pathological loop
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
