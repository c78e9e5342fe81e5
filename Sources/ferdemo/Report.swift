import ArgumentParser
import FERCore
import FERDemoSupport
import FERMedia
import Foundation

/// `--report FILE`: a timeline of each face's emotion probabilities, as a PNG (stacked bands,
/// drawn with FERCore's Canvas and written by FERMedia's ImageWriter) or an SVG (one line per
/// emotion), chosen by the file's extension. Samples are kept only when a report is asked for.
struct Report {
    private struct Sample {
        var time: Double
        var probabilities: SIMD8<Float>
    }

    private var series: [Int: [Sample]] = [:]
    private var firstTime: Double?
    private var lastTime = 0.0

    mutating func record(_ r: FrameResult) {
        if firstTime == nil { firstTime = r.timestamp }
        lastTime = r.timestamp
        for face in r.faces {
            guard let e = face.emotion else { continue }
            series[face.id, default: []].append(Sample(time: r.timestamp, probabilities: e.storage))
        }
    }

    /// Writes the report; the format follows the extension (.png or .svg). A regular file is
    /// replaced only once the new report is whole (``OutputFile``'s rules: a device or FIFO is
    /// written in place, a link's target is replaced and the link kept).
    /// - Throws: ``OutputError``, or the PNG encoder's ``MediaError``.
    func write(to path: String) throws {
        switch (path as NSString).pathExtension.lowercased() {
        case "svg":
            let file = try OutputFile(path: path, option: "--report", mode: .replace)
            try file.write(svg())
            try file.finish()
        default:
            let image = try png()
            try OutputFile.writeWhole(path: path, option: "--report", suffix: ".png") { temporary in
                try ImageWriter.write(image.view, to: temporary)
            }
        }
    }

    /// Refuses a report (or plot) name that is neither .png nor .svg (a usage error).
    static func validate(path: String, option: String = "--report") throws {
        let ext = (path as NSString).pathExtension.lowercased()
        guard ext == "png" || ext == "svg" else { throw ValidationError("\(option) '\(path)': use a .png or .svg file name.") }
    }

    private var ids: [Int] { series.keys.sorted() }
    private var span: (Double, Double) {
        let t0 = firstTime ?? 0
        return (t0, max(lastTime, t0 + 1e-3))
    }

    // Layout shared by both formats.
    private static let width = 960, left = 70, right = 20, top = 40, panel = 150, gap = 40, legend = 30

    private func height() -> Int { Self.top + max(1, ids.count) * (Self.panel + Self.gap) + Self.legend }

    private func png() throws -> ImageBuffer {
        let h = height(), w = Self.width
        let buffer = try ImageBuffer(width: w, height: h, format: .rgb8)
        let canvas = Canvas(buffer.mutableView)
        canvas.fillRect(x: 0, y: 0, width: w, height: h, color: .white)
        canvas.drawText("Emotion probabilities per face (stacked), ferdemo live", x: Self.left, y: 12, color: .black, scale: 2)
        let (t0, t1) = span
        let plotW = w - Self.left - Self.right
        for (p, id) in ids.enumerated() {
            let y0 = Self.top + p * (Self.panel + Self.gap)
            canvas.drawText("#\(id)", x: 8, y: y0 + Self.panel / 2 - 8, color: Overlay.color(for: id).darker, scale: 2)
            canvas.fillRect(x: Self.left, y: y0, width: plotW, height: Self.panel, color: Color(r: 235, g: 235, b: 235))
            guard let samples = series[id] else { continue }
            // Each sample fills the columns up to the next sample's time.
            for (k, s) in samples.enumerated() {
                let xa = Self.left + Int(Double(plotW) * (s.time - t0) / (t1 - t0))
                let next = k + 1 < samples.count ? samples[k + 1].time : s.time + (t1 - t0) / Double(max(1, samples.count))
                let xb = max(xa + 1, Self.left + Int(Double(plotW) * (next - t0) / (t1 - t0)))
                var acc = 0.0
                for label in EmotionLabel.allCases {
                    let v = Double(s.probabilities[label.rawValue])
                    let ya = y0 + Self.panel - Int((acc + v) * Double(Self.panel))
                    let yb = y0 + Self.panel - Int(acc * Double(Self.panel))
                    canvas.fillRect(
                        x: xa, y: ya, width: min(xb, Self.left + plotW) - xa, height: yb - ya,
                        color: Overlay.emotionColors[label.rawValue])
                    acc += v
                }
            }
            // Axes: time ticks below the panel, probability ticks (0, 0.5, 1) on its left.
            for t in Self.ticks(from: t0, to: t1) {
                let x = Self.left + Int(Double(plotW) * (t - t0) / (t1 - t0))
                canvas.fillRect(x: x, y: y0 + Self.panel, width: 1, height: 5, color: .black)
                let text = Self.tickLabel(t, from: t0, to: t1)
                let tw = BitmapFont.size(of: text).width
                canvas.drawText(text, x: min(max(Self.left, x - tw / 2), Self.left + plotW - tw), y: y0 + Self.panel + 7, color: .black)
            }
            for (v, text) in [(0.0, "0"), (0.5, "0.5"), (1.0, "1")] {
                let y = y0 + Self.panel - Int(v * Double(Self.panel))
                canvas.fillRect(x: Self.left - 5, y: min(y, y0 + Self.panel - 1), width: 5, height: 1, color: .black)
                canvas.drawText(text, x: Self.left - 8 - BitmapFont.size(of: text).width, y: min(max(y0, y - 3), y0 + Self.panel - 7), color: .black)
            }
        }
        canvas.drawText("time (s)", x: Self.left + plotW - BitmapFont.size(of: "time (s)").width, y: h - Self.legend - 12, color: .black)
        var lx = Self.left
        let ly = h - Self.legend + 8
        for label in EmotionLabel.allCases {
            canvas.fillRect(x: lx, y: ly, width: 14, height: 14, color: Overlay.emotionColors[label.rawValue])
            canvas.drawText(label.name, x: lx + 18, y: ly + 1, color: .black, scale: 2)
            lx += 18 + BitmapFont.size(of: label.name, scale: 2).width + 20
        }
        return buffer
    }

    private func svg() -> String {
        let h = height(), w = Self.width
        let (t0, t1) = span
        let plotW = Double(w - Self.left - Self.right)
        func hex(_ c: Color) -> String { String(format: "#%02x%02x%02x", c.r, c.g, c.b) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" font-family=\"sans-serif\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(Self.left)\" y=\"24\" font-size=\"16\">Emotion probabilities per face, ferdemo live</text>\n"
        for (p, id) in ids.enumerated() {
            let y0 = Double(Self.top + p * (Self.panel + Self.gap))
            let panel = Double(Self.panel)
            out += "<text x=\"8\" y=\"\(Int(y0 + panel / 2))\" font-size=\"16\" fill=\"\(hex(Overlay.color(for: id).darker))\">#\(id)</text>\n"
            out += "<rect x=\"\(Self.left)\" y=\"\(Int(y0))\" width=\"\(Int(plotW))\" height=\"\(Self.panel)\" fill=\"#f0f0f0\" stroke=\"#999\"/>\n"
            guard let samples = series[id] else { continue }
            for label in EmotionLabel.allCases {
                let points = samples.map { s in
                    String(
                        format: "%.1f,%.1f", Double(Self.left) + plotW * (s.time - t0) / (t1 - t0),
                        y0 + panel * (1 - Double(s.probabilities[label.rawValue])))
                }.joined(separator: " ")
                out +=
                    "<polyline fill=\"none\" stroke=\"\(hex(Overlay.emotionColors[label.rawValue]))\" stroke-width=\"1.5\" points=\"\(points)\"><title>\(label.name)</title></polyline>\n"
            }
            for t in Self.ticks(from: t0, to: t1) {
                let x = Double(Self.left) + plotW * (t - t0) / (t1 - t0)
                out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>", x, y0 + panel, x, y0 + panel + 5)
                out += String(
                    format: "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%@</text>\n", x, Int(y0 + panel + 17),
                    Self.tickLabel(t, from: t0, to: t1))
            }
            for (v, text) in [(0.0, "0"), (0.5, "0.5"), (1.0, "1")] {
                let y = y0 + panel * (1 - v)
                out += String(format: "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\"/>", Self.left - 5, y, Self.left, y)
                out += String(format: "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%@</text>\n", Self.left - 8, y + 4, text)
            }
        }
        out += "<text x=\"\(w - Self.right)\" y=\"\(h - Self.legend - 4)\" font-size=\"11\" text-anchor=\"end\">time (s)</text>\n"
        var lx = Self.left
        for label in EmotionLabel.allCases {
            out += "<rect x=\"\(lx)\" y=\"\(h - Self.legend + 8)\" width=\"14\" height=\"14\" fill=\"\(hex(Overlay.emotionColors[label.rawValue]))\"/>"
            out += "<text x=\"\(lx + 18)\" y=\"\(h - Self.legend + 20)\" font-size=\"13\">\(label.name)</text>\n"
            lx += 18 + label.name.count * 8 + 20
        }
        out += "</svg>\n"
        return out
    }
}

extension Report {
    /// Tick positions for the time axis: multiples of a step of 1, 2 or 5 × 10ⁿ seconds chosen so
    /// that between 3 and 10 ticks fall in `t0...t1`.
    static func ticks(from t0: Double, to t1: Double) -> [Double] {
        let span = t1 - t0
        guard span.isFinite, span > 0 else { return [t0] }
        let raw = span / 8
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { span / $0 <= 10 } ?? 10 * magnitude
        var out: [Double] = []
        var t = (t0 / step).rounded(.up) * step
        while t <= t1 + step * 1e-9, out.count < 20 {
            out.append(t)
            t += step
        }
        return out
    }

    /// A tick's label with as many decimals as the tick step needs.
    static func tickLabel(_ t: Double, from t0: Double, to t1: Double) -> String {
        let span = t1 - t0
        let decimals = span >= 8 ? 0 : (span >= 0.8 ? 1 : 2)
        return String(format: "%.\(decimals)f", t)
    }
}

extension Color {
    /// The colour at 60% brightness (text on white).
    var darker: Color { Color(r: UInt8(Int(r) * 6 / 10), g: UInt8(Int(g) * 6 / 10), b: UInt8(Int(b) * 6 / 10)) }
}
