import FERCore
import Foundation

/// Draws a ``FrameResult`` onto its frame: per face a box, the ID, the emotion label and its
/// confidence, the landmarks and a bar chart of the seven probabilities; at the top left the
/// FPS and per-stage milliseconds. Used for the window and the annotated video.
enum Overlay {
    /// Box colours by track ID (cycled): saturated colours that stay visible on skin and on
    /// the sample's blue-green gradient. ID 1 is pure green (the window test looks for it).
    static let palette: [Color] = [
        Color(r: 0, g: 255, b: 0), Color(r: 255, g: 0, b: 255), Color(r: 0, g: 200, b: 255),
        Color(r: 255, g: 160, b: 0), Color(r: 255, g: 255, b: 0), Color(r: 255, g: 64, b: 64)
    ]

    /// Bar colours by emotion (angry, disgust, fear, happy, sad, surprise, neutral). Neutral is a
    /// mid grey: visible on the window's dark bar background and on the report's light panels.
    static let emotionColors: [Color] = [
        Color(r: 230, g: 40, b: 40), Color(r: 120, g: 170, b: 40), Color(r: 150, g: 80, b: 200),
        Color(r: 255, g: 210, b: 0), Color(r: 60, g: 110, b: 230), Color(r: 255, g: 140, b: 0),
        Color(r: 120, g: 120, b: 130)
    ]

    static func color(for id: Int) -> Color { palette[(max(id, 1) - 1) % palette.count] }

    /// Draws `result` on `frame`. `fps` is the recent frame rate shown in the header.
    static func draw(_ result: FrameResult, on frame: MutableImageView, fps: Double) {
        let canvas = Canvas(frame)
        let scale = frame.width >= 960 ? 2 : 1
        for face in result.faces {
            let c = color(for: face.id)
            let x = Int(face.box.x.rounded()), y = Int(face.box.y.rounded())
            let w = Int(face.box.width.rounded()), h = Int(face.box.height.rounded())
            canvas.drawBox(x: x, y: y, width: w, height: h, color: c, thickness: 2 * scale)
            if let lm = face.landmarks {
                for p in [lm.leftEye, lm.rightEye, lm.nose, lm.mouthLeft, lm.mouthRight] {
                    canvas.drawDot(x: Double(p.x), y: Double(p.y), radius: 2 * scale, color: c.withAlpha(200))
                }
            }
            var label = "#\(face.id)"
            if let e = face.emotion { label += " \(e.displayName) \(String(format: "%.2f", e.confidence))" }
            let textHeight = BitmapFont.lineHeight * scale
            let ty = y - textHeight - 2 * scale >= 0 ? y - textHeight - 2 * scale : y + h + 2 * scale
            canvas.drawText(label, x: x + scale, y: ty, color: .black, scale: scale, background: c)
            if let e = face.emotion { drawBars(e, canvas: canvas, x: x + w + 4 * scale, y: y, scale: scale, frameWidth: frame.width) }
        }
        let t = result.timings
        let header = String(
            format: "%.1f FPS  track %.1f  det %.1f  cls %.1f  total %.1f ms  faces %d",
            fps, t.tracking * 1e3, max(t.detection, t.detectorRun) * 1e3, t.classification * 1e3,
            t.total * 1e3, result.faces.count)
        canvas.drawText(header, x: 4 * scale, y: 4 * scale, color: .white, scale: scale, background: Color.black.withAlpha(160))
    }

    /// Seven labelled bars (3-letter names), to the right of the face, or to its left when
    /// there is no room on the right.
    private static func drawBars(_ e: EmotionScores, canvas: Canvas, x: Int, y: Int, scale: Int, frameWidth: Int) {
        let barWidth = 50 * scale, row = (BitmapFont.lineHeight + 2) * scale
        let labelWidth = 4 * BitmapFont.advance * scale
        let total = labelWidth + barWidth + 4 * scale
        let x0 = x + total <= frameWidth ? x : max(0, x - total - 8 * scale)
        canvas.fillRect(
            x: x0 - 2 * scale, y: y - 2 * scale, width: total + 2 * scale, height: 7 * row + 2 * scale,
            color: Color.black.withAlpha(140))
        for label in EmotionLabel.allCases {
            let ry = y + label.rawValue * row
            canvas.drawText(String(label.name.prefix(3)), x: x0, y: ry, color: .white, scale: scale)
            canvas.drawBar(
                x: x0 + labelWidth, y: ry, width: barWidth, height: BitmapFont.glyphHeight * scale,
                fraction: Double(e[label]), color: emotionColors[label.rawValue], track: Color(r: 60, g: 60, b: 60, alpha: 200))
        }
    }
}
