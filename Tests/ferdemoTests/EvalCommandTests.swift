import FERCore
import FERDemoSupport
import FERMedia
import Foundation
import Testing

/// `ferdemo eval` and the confusion matrix behind it.
@Suite("ferdemo eval")
struct EvalCommandTests {
    @Test("confusion matrix: accuracy, recall, precision and both tables from known counts")
    func matrixArithmetic() {
        var m = ConfusionMatrix(classes: ["a", "b", "c"])
        // truth a: 3 right, 1 as b; truth b: 2 right; truth c: 1 as a. Nothing predicted c.
        for (t, p) in [(0, 0), (0, 0), (0, 0), (0, 1), (1, 1), (1, 1), (2, 0)] { m.add(truth: t, predicted: p) }
        m.add(truth: 5, predicted: 0) // out of range: ignored
        #expect(m.total == 7 && m.correct == 5)
        #expect(abs(m.accuracy - 5.0 / 7) < 1e-12)
        #expect(m.recall(0) == 0.75 && m.recall(1) == 1 && m.recall(2) == 0)
        #expect(m.precision(0) == 0.75 && abs((m.precision(1) ?? 0) - 2.0 / 3) < 1e-12 && m.precision(2) == nil)
        #expect(m.classTable.contains("| a | 4 | 75.0 % | 75.0 % |"))
        #expect(m.classTable.contains("| c | 1 | 0.0 % | – |"))
        #expect(m.matrixTable.contains("| a | 3 | 1 | 0 |"))
        let svg = m.svg(title: "t <&>")
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n") && svg.contains("t &lt;&amp;&gt;"))
    }

    /// A labelled folder of small gray images (contents do not matter for these checks).
    static func folder(_ labels: [String: Int]) throws -> URL {
        let dir = Demo.temporary("eval")
        var seed: UInt8 = 1
        for (label, count) in labels {
            let sub = dir.appendingPathComponent(label)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            for i in 0..<count {
                var pixels = [UInt8](repeating: 0, count: 48 * 48)
                for j in pixels.indices { pixels[j] = UInt8(truncatingIfNeeded: j &* Int(seed) &+ i * 7) }
                seed &+= 13
                let image = try Image(width: 48, height: 48, format: .gray8, pixels: pixels)
                try image.withView { (v) throws(MediaError) in try ImageWriter.write(v, to: sub.appendingPathComponent("\(i).png").path) }
            }
        }
        return dir
    }

    @Test("a labelled folder: every image counted once, tables printed, plots written, --exclude honoured")
    func labelledFolder() throws {
        let dir = try Self.folder(["happy": 3, "sad": 2, "fear": 1])
        defer { try? FileManager.default.removeItem(at: dir) }
        let svg = dir.appendingPathComponent("cm.svg").path, png = dir.appendingPathComponent("cm.png").path
        for model in ["fernet", "mini-xception"] {
            let r = try Demo.run(["eval", "--model", model, "--plot", svg, dir.path])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("6 images") && r.stdout.contains("accuracy "))
            #expect(r.stdout.contains("| happy | 3 |") && r.stdout.contains("| sad | 2 |") && r.stdout.contains("| angry | 0 |"))
            // The matrix rows of the true classes sum to their image counts.
            let happyRow = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("| happy | ") && !$0.contains("%") })
            let counts = happyRow.split(separator: "|").dropFirst(1).compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            #expect(counts.count == 7 && counts.reduce(0, +) == 3)
            #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("<svg"))
        }
        let r = try Demo.run(["eval", "--model", "fernet", "--int8", "--flip", "--plot", png, dir.path])
        #expect(r.status == 0 && r.stdout.contains("fernet-int8") && r.stdout.contains("int8), flip-averaged"), "\(r.stderr)")
        let plot = try ImageReader.read(path: png)
        #expect(plot.width == ConfusionMatrix.PlotLayout.width(7) && plot.height == ConfusionMatrix.PlotLayout.height(7))

        let list = dir.appendingPathComponent("exclude.csv")
        try "path,label\nhappy/0.png,happy\nsad/1.png,sad\n".write(to: list, atomically: true, encoding: .utf8)
        let ex = try Demo.run(["eval", "--exclude", list.path, dir.path])
        #expect(ex.status == 0 && ex.stdout.contains("4 images (2 excluded by --exclude)"), "\(ex.stdout) \(ex.stderr)")
    }

    @Test("bad folders and options: statuses 2 and 3 with messages that say what to do")
    func failures() throws {
        let dir = try Self.folder(["happy": 1, "joy": 1])
        defer { try? FileManager.default.removeItem(at: dir) }
        let unknown = try Demo.run(["eval", dir.path])
        #expect(unknown.status == 2 && unknown.stderr.contains("not named after a label"))
        let missing = try Demo.run(["eval", dir.appendingPathComponent("none").path])
        #expect(missing.status == 3)
        let model = try Demo.run(["eval", "--model", "resnet", dir.path])
        #expect(model.status == 2 && model.stderr.contains("fernet"))
        let int8 = try Demo.run(["eval", "--model", "mini-xception", "--int8", dir.path])
        #expect(int8.status == 2 && int8.stderr.contains("no int8 variant"))
        let plot = try Demo.run(["eval", "--plot", "x.jpg", dir.path])
        #expect(plot.status == 2)
    }

    @Test("ferdemo models lists every emotion model with input size, accuracy and cost")
    func modelsList() throws {
        let r = try Demo.run(["models"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("fernet (default): input 48x48 gray, PublicTest 68.12 %"))
        #expect(r.stdout.contains("fernet-int8: input 48x48 gray, PublicTest 67.85 %"))
        #expect(r.stdout.contains("mini-xception: input 64x64 gray, PublicTest 65.23 %"))
        #expect(r.stdout.contains("MMAC"))
    }
}
