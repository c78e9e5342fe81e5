import Foundation

/// The counts of a classifier's answers against the truth on a labelled set (`ferdemo eval`):
/// rows are the true classes, columns the predicted ones. Gives accuracy, per-class recall and
/// precision, and renders itself as a Markdown table and as an SVG plot.
public struct ConfusionMatrix: Sendable, Equatable {
    /// The class names, in index order.
    public let classes: [String]
    /// `counts[truth][predicted]`.
    public private(set) var counts: [[Int]]

    /// An empty matrix over `classes`.
    public init(classes: [String]) {
        self.classes = classes
        counts = Array(repeating: Array(repeating: 0, count: classes.count), count: classes.count)
    }

    /// Counts one answer. Indices outside the classes are ignored (callers pass valid ones).
    public mutating func add(truth: Int, predicted: Int) {
        guard counts.indices.contains(truth), counts.indices.contains(predicted) else { return }
        counts[truth][predicted] += 1
    }

    /// The number of answers counted.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    /// The number of correct answers (the diagonal).
    public var correct: Int { counts.indices.reduce(0) { $0 + counts[$1][$1] } }
    /// Fraction correct (0 when empty).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
    /// Images whose true class is `i`.
    public func support(_ i: Int) -> Int { counts[i].reduce(0, +) }
    /// Images predicted as `i`.
    public func predictedCount(_ i: Int) -> Int { counts.reduce(0) { $0 + $1[i] } }
    /// Recall of class `i`: correct / true `i` (nil when no image is of class `i`).
    public func recall(_ i: Int) -> Double? {
        let n = support(i)
        return n == 0 ? nil : Double(counts[i][i]) / Double(n)
    }
    /// Precision of class `i`: correct / predicted `i` (nil when nothing was predicted as `i`).
    public func precision(_ i: Int) -> Double? {
        let n = predictedCount(i)
        return n == 0 ? nil : Double(counts[i][i]) / Double(n)
    }

    private static func percent(_ v: Double?) -> String { v.map { String(format: "%.1f %%", $0 * 100) } ?? "–" }

    /// Per-class images, recall and precision, then the totals, as a Markdown table.
    public var classTable: String {
        var lines = ["| class | images | recall | precision |", "|---|---:|---:|---:|"]
        for (i, name) in classes.enumerated() {
            lines.append("| \(name) | \(support(i)) | \(Self.percent(recall(i))) | \(Self.percent(precision(i))) |")
        }
        lines.append("| **all** | \(total) | **\(Self.percent(accuracy))** (accuracy) | |")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The confusion matrix as a Markdown table (rows: true class, columns: predicted).
    public var matrixTable: String {
        var lines = [
            "| true \\ predicted | " + classes.joined(separator: " | ") + " |",
            "|---|" + String(repeating: "---:|", count: classes.count)
        ]
        for (i, name) in classes.enumerated() {
            lines.append("| \(name) | " + counts[i].map(String.init).joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The fraction of row `truth`'s images predicted as `predicted` (0 for an empty row).
    public func rowFraction(_ truth: Int, _ predicted: Int) -> Double {
        let n = support(truth)
        return n == 0 ? 0 : Double(counts[truth][predicted]) / Double(n)
    }

    /// Layout of the plot (shared by the SVG and the PNG renderer): a cell per pair, shaded by
    /// the row fraction (white 0 → dark blue 1), with the count and the percentage in it.
    public enum PlotLayout {
        /// Cell side in pixels.
        public static let cell = 104
        /// Left margin (row labels).
        public static let left = 130
        /// Top margin (title and column labels).
        public static let top = 90
        /// Bottom margin (axis caption and the summary line).
        public static let bottom = 60
        /// Total width for `n` classes.
        public static func width(_ n: Int) -> Int { left + n * cell + 20 }
        /// Total height for `n` classes.
        public static func height(_ n: Int) -> Int { top + n * cell + bottom }
        /// The cell colour for a row fraction: (r, g, b).
        public static func shade(_ f: Double) -> (UInt8, UInt8, UInt8) {
            let t = max(0, min(1, f))
            return (UInt8(255 - 222 * t), UInt8(255 - 160 * t), UInt8(255 - 75 * t))
        }
        /// True when text on a cell of this fraction should be white.
        public static func darkCell(_ f: Double) -> Bool { f > 0.5 }
    }

    /// The plot as an SVG document; `title` is its first line.
    public func svg(title: String) -> String {
        let n = classes.count
        let w = PlotLayout.width(n), h = PlotLayout.height(n), c = PlotLayout.cell
        let (left, top) = (PlotLayout.left, PlotLayout.top)
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" font-family=\"sans-serif\">\n"
        s += "<rect width=\"\(w)\" height=\"\(h)\" fill=\"white\"/>\n"
        s += "<text x=\"\(left)\" y=\"24\" font-size=\"16\">\(esc(title))</text>\n"
        s += "<text x=\"\(left + n * c / 2)\" y=\"48\" font-size=\"13\" text-anchor=\"middle\">predicted</text>\n"
        for (j, name) in classes.enumerated() {
            s += "<text x=\"\(left + j * c + c / 2)\" y=\"\(top - 10)\" font-size=\"13\" text-anchor=\"middle\">\(esc(name))</text>\n"
        }
        for (i, name) in classes.enumerated() {
            let y = top + i * c
            s += "<text x=\"\(left - 8)\" y=\"\(y + c / 2 + 5)\" font-size=\"13\" text-anchor=\"end\">\(esc(name))</text>\n"
            for j in 0..<n {
                let f = rowFraction(i, j)
                let (r, g, b) = PlotLayout.shade(f)
                let x = left + j * c
                let ink = PlotLayout.darkCell(f) ? "white" : "black"
                s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(c)\" height=\"\(c)\" fill=\"rgb(\(r),\(g),\(b))\" stroke=\"#999\"/>\n"
                s += "<text x=\"\(x + c / 2)\" y=\"\(y + c / 2 - 2)\" font-size=\"14\" text-anchor=\"middle\" fill=\"\(ink)\">\(counts[i][j])</text>\n"
                s +=
                    "<text x=\"\(x + c / 2)\" y=\"\(y + c / 2 + 16)\" font-size=\"11\" text-anchor=\"middle\" fill=\"\(ink)\">"
                    + String(format: "%.1f%%", f * 100) + "</text>\n"
            }
        }
        s +=
            "<text x=\"14\" y=\"\(top + n * c / 2)\" font-size=\"13\" transform=\"rotate(-90 14 \(top + n * c / 2))\" "
            + "text-anchor=\"middle\">true</text>\n"
        s += "<text x=\"\(left)\" y=\"\(top + n * c + 30)\" font-size=\"13\">\(esc(summary))</text>\n"
        s += "</svg>\n"
        return s
    }

    /// One line: accuracy, images, and the rows' fractions meaning.
    public var summary: String {
        String(format: "accuracy %.2f %% (%d of %d); cells: count and share of the true class's images", accuracy * 100, correct, total)
    }
}
