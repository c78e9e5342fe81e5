import FERCore
import FERMedia
import Foundation

/// Reads and writes the image files `ferdemo` works on, through FERMedia (FFmpeg):
/// JPEG, PNG, BMP, PPM/PGM and whatever else FFmpeg's image decoders read.
enum ImageFiles {
    /// Reads an image as RGB8.
    static func read(_ path: String) throws -> Image {
        try ImageReader.read(path: path)
    }

    /// Writes `image` as PNG or JPEG (by the extension of `path`).
    static func write(_ image: Image, to path: String) throws {
        try image.withView { (view) throws(MediaError) in try ImageWriter.write(view, to: path) }
    }

    /// A copy of `image` (RGB8, as ``read(_:)`` returns) with each face's box, score and landmarks drawn in.
    static func annotated(_ image: Image, faces: [FaceDetection]) -> Image {
        var rgb = image // ImageReader always gives RGB8 (gray files are expanded)
        rgb.withMutableView { view in
            let canvas = Canvas(view)
            for face in faces {
                let x = Int(face.box.x.rounded()), y = Int(face.box.y.rounded())
                canvas.drawBox(
                    x: x, y: y, width: Int(face.box.width.rounded()), height: Int(face.box.height.rounded()),
                    color: .green, thickness: 2)
                canvas.drawText(
                    String(format: "%.3f", face.score), x: x, y: max(0, y - 10), color: .black,
                    background: Color.green.withAlpha(200))
                for p in face.landmarks.points {
                    canvas.drawDot(x: Double(p.x), y: Double(p.y), radius: 2, color: .red)
                }
            }
        }
        return rgb
    }
}
