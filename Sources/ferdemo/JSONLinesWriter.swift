import FERCore
import FERDemoSupport
import Foundation

/// Writes one JSON object per frame (JSON Lines) without allocating per frame: each line is
/// formatted by hand into a reused byte buffer and handed to an ``OutputFile`` (written in
/// place, so a reader can follow it; `-` is standard output). A regular file is buffered; a
/// pipe, terminal or device gets each line as soon as it is complete. A stopped run, or a
/// failed write (the file is cut back to its last whole line), leaves lines that all parse.
///
/// A line: `{"frame":12,"timestamp":0.4,["source":"photos/a.jpg",]"faces":[{"id":1,"box":[x,y,w,h],
/// "landmarks":[[x,y],…5]|null,"landmarks_age":n|null,"lost":false,"probabilities":{"angry":p,…},
/// "label":"happy","confidence":p}],"timings_ms":{"tracking":…,"detection":…,"reconcile":…,
/// "classification":…,"total":…}}`.
/// `source` names the image file (folder input only); `landmarks_age` is the number of frames
/// since the detector measured the landmarks (they follow the box in between); a face not
/// classified yet has `"probabilities":null,"label":null,"confidence":null`.
final class JSONLinesWriter {
    let path: String
    private let file: OutputFile
    private var line: [UInt8] = []
    private(set) var linesWritten = 0
    private static let labelKeys: [[UInt8]] = EmotionLabel.allCases.map { Array("\"\($0.name)\":".utf8) }
    private static let labelNames: [[UInt8]] = EmotionLabel.allCases.map { Array("\"\($0.name)\"".utf8) }

    /// Creates (truncates) the file, or takes standard output for `-`.
    init(path: String) throws(OutputError) {
        self.path = path
        file = try OutputFile(path: path, option: "--json", mode: .stream)
        line.reserveCapacity(4096)
    }

    /// Appends the line for `result`; `source` is the image file it came from (folders).
    func write(_ result: FrameResult, source: String? = nil) throws(OutputError) {
        line.removeAll(keepingCapacity: true)
        append("{\"frame\":"); appendInt(result.frameIndex)
        append(",\"timestamp\":"); appendFixed(result.timestamp, 4)
        if let source {
            append(",\"source\":")
            appendString(source)
        }
        append(",\"faces\":[")
        for (k, face) in result.faces.enumerated() {
            if k > 0 { append(",") }
            append("{\"id\":"); appendInt(face.id)
            append(",\"box\":[")
            appendFixed(Double(face.box.x), 2); append(","); appendFixed(Double(face.box.y), 2); append(",")
            appendFixed(Double(face.box.width), 2); append(","); appendFixed(Double(face.box.height), 2)
            append("],\"landmarks\":")
            if let lm = face.landmarks {
                append("[")
                appendPoint(lm.leftEye); append(","); appendPoint(lm.rightEye); append(","); appendPoint(lm.nose); append(",")
                appendPoint(lm.mouthLeft); append(","); appendPoint(lm.mouthRight)
                append("]")
            } else {
                append("null")
            }
            append(",\"landmarks_age\":")
            if face.landmarks != nil { appendInt(face.landmarksAge) } else { append("null") }
            append(face.isLost ? ",\"lost\":true" : ",\"lost\":false")
            if let e = face.emotion {
                append(",\"probabilities\":{")
                for label in EmotionLabel.allCases {
                    if label.rawValue > 0 { append(",") }
                    line.append(contentsOf: Self.labelKeys[label.rawValue])
                    appendFixed(Double(e[label]), 5)
                }
                append("},\"label\":")
                line.append(contentsOf: Self.labelNames[e.label.rawValue])
                append(",\"confidence\":"); appendFixed(Double(e.confidence), 5)
            } else {
                append(",\"probabilities\":null,\"label\":null,\"confidence\":null")
            }
            append("}")
        }
        let t = result.timings
        append("],\"timings_ms\":{\"tracking\":"); appendFixed(t.tracking * 1e3, 3)
        append(",\"detection\":"); appendFixed(t.detection * 1e3, 3)
        append(",\"reconcile\":"); appendFixed(t.reconcile * 1e3, 3)
        append(",\"classification\":"); appendFixed(t.classification * 1e3, 3)
        append(",\"total\":"); appendFixed(t.total * 1e3, 3)
        append("}}\n")
        try file.write(line)
        if !file.isRegularFile { try file.flush() }
        linesWritten += 1
    }

    /// Flushes and closes the file (idempotent; standard output is flushed, not closed).
    func finish() throws(OutputError) {
        try file.finish()
    }

    // MARK: Formatting without allocation

    @inline(__always) private func append(_ s: StaticString) {
        s.withUTF8Buffer { line.append(contentsOf: $0) }
    }

    /// `s` as a JSON string (quotes, backslashes and control characters escaped).
    private func appendString(_ s: String) {
        line.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                line.append(UInt8(ascii: "\\"))
                line.append(b)
            case 0..<0x20:
                append("\\u00")
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                line.append(hex[Int(b >> 4)])
                line.append(hex[Int(b & 15)])
            default:
                line.append(b)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    private func appendPoint(_ p: SIMD2<Float>) {
        append("["); appendFixed(Double(p.x), 2); append(","); appendFixed(Double(p.y), 2); append("]")
    }

    private func appendInt(_ value: Int) {
        if value < 0 { line.append(UInt8(ascii: "-")) }
        appendUnsigned(value.magnitude, minimumDigits: 1)
    }

    private func appendUnsigned(_ value: UInt, minimumDigits: Int) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value, count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[count] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                count += 1
            } while n > 0 || count < minimumDigits
            for i in stride(from: count - 1, through: 0, by: -1) { line.append(d[i]) }
        }
    }

    /// `value` with `decimals` digits after the point (trailing zeros kept); `null` for NaN/∞.
    private func appendFixed(_ value: Double, _ decimals: Int) {
        guard value.isFinite, abs(value) < 1e15 else { append("null"); return }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = UInt(scaled / scale)
        let fraction = UInt(scaled - Double(whole) * scale)
        if value < 0, scaled > 0 { line.append(UInt8(ascii: "-")) }
        appendUnsigned(whole, minimumDigits: 1)
        if decimals > 0 {
            line.append(UInt8(ascii: "."))
            appendUnsigned(fraction, minimumDigits: decimals)
        }
    }
}
