import ArgumentParser
import FERCore
import FERDemoSupport
import FERMedia
import Foundation

/// `ferdemo eval FOLDER`: an emotion model's accuracy on a labelled folder of face crops.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure an emotion model on a labelled folder of face crops: accuracy, per-class recall and precision, confusion matrix.",
        discussion: """
            FOLDER holds one sub-folder per label, named as the labels are (angry, disgust, fear, happy, \
            sad, surprise, neutral; FER-2013's and the seed's layout: FOLDER/<label>/*.jpg). Every image \
            is taken as a face crop (as `ferdemo classify --cropped`): gray, resized to the model's input, \
            scaled. Prints the accuracy, a Markdown table of per-class images, recall and precision, and \
            the confusion matrix (rows: true label, columns: predicted); --plot also draws the matrix \
            (.svg or .png). --exclude leaves out the images a CSV file lists in its first column, as paths \
            relative to FOLDER (e.g. FER-2013's publictest_duplicates.csv).

            EXAMPLES:
              ferdemo eval ../shared/data/fer2013-publictest
              ferdemo eval --model mini-xception --flip --plot confusion.svg DIR
              ferdemo eval --exclude publictest_duplicates.csv DIR

            \(ExitStatus.helpText)
            """
    )

    @Argument(help: "Labelled folder: FOLDER/<label>/*.jpg.")
    var folder: String

    @OptionGroup var modelOption: EmotionModelOption

    @OptionGroup var shared: ClassificationOptions

    @Option(help: "Also draw the confusion matrix to this file (.svg or .png).")
    var plot: String?

    @Option(help: "Leave out the images listed (first CSV column, relative to FOLDER) in this file.")
    var exclude: String?

    func validate() throws {
        if let plot { try Report.validate(path: plot, option: "--plot") }
    }

    func run() throws {
        Interrupt.install()
        defer { Interrupt.reset() }
        let (files, excluded) = try listImages()
        var outputs: [OutputPlan.Entry] = []
        if let plot { outputs.append(.init(option: "--plot", path: plot)) }
        let inputs =
            files.map { OutputPlan.Entry(option: "FOLDER", path: $0.path) } + Output.weightsInputs(shared.weights)
            + (exclude.map { [OutputPlan.Entry(option: "--exclude", path: $0)] } ?? [])
        try Output.checkPlan("eval", outputs: outputs, inputs: inputs, standardOutputCarriesText: true)

        let model = modelOption.model
        var options = EmotionClassifier.Options()
        options.flipAveraging = shared.flip
        options.maximumBatch = shared.batch
        let classifier: EmotionClassifier
        do {
            classifier = try EmotionClassifier(model: model, weightsDirectory: shared.weights, options: options, pool: WorkerPool(threads: shared.threads))
        } catch { throw ModelLoadFailure.failure("eval", "the classifier", error) }

        var matrix = ConfusionMatrix(classes: EmotionLabel.allCases.map(\.name))
        var pending: [Image] = []
        var truths: [Int] = []
        var results: [EmotionScores] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            results = [EmotionScores](repeating: .zero, count: pending.count)
            do {
                try withViews(pending) { views in try classifier.classify(crops: views, into: &results) }
            } catch { throw CommandFailure("eval", .failure, "\(error)") }
            for (t, r) in zip(truths, results) { matrix.add(truth: t, predicted: r.label.rawValue) }
            pending.removeAll(keepingCapacity: true)
            truths.removeAll(keepingCapacity: true)
        }
        let start = Date()
        for file in files {
            if Interrupt.isRequested { break }
            let image: Image
            do { image = try ImageReader.read(path: file.path) } catch { throw ImageInputFailure.failure("eval", error) }
            pending.append(image)
            truths.append(file.label.rawValue)
            if pending.count == shared.batch { try flush() }
        }
        try flush()
        let seconds = Date().timeIntervalSince(start)

        let precision = model.precision.rawValue
        let title =
            "ferdemo eval \(folder): \(model.name) (\(classifier.inputSize)x\(classifier.inputSize), \(precision))"
            + (shared.flip ? ", flip-averaged" : "")
        var text = "\(title)\n"
        text +=
            "\(matrix.total) images" + (excluded > 0 ? " (\(excluded) excluded by --exclude)" : "")
            + String(format: ", %.1f s", seconds) + (Interrupt.isRequested ? " (stopped by a signal: partial)" : "") + "\n"
        text += String(format: "accuracy %.2f %%\n\n", matrix.accuracy * 100)
        text += matrix.classTable + "\n" + matrix.matrixTable
        try Output.out("eval", text)
        if let plot {
            do { try Self.writePlot(matrix, title: title, to: plot) } catch let e as OutputError {
                throw Output.failure("eval", e)
            } catch { throw CommandFailure("eval", .outputFailed, "--plot '\(plot)': \(error)") }
        }
        try Output.endIfSignalled()
    }

    struct LabelledFile {
        var path: String
        var label: EmotionLabel
    }

    /// The images of FOLDER's label folders, in sorted order, less the excluded ones.
    private func listImages() throws -> ([LabelledFile], Int) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            throw CommandFailure("eval", .inputMissing, "no folder at '\(folder)'; check the path.")
        }
        guard isDirectory.boolValue else {
            throw CommandFailure("eval", .usage, "'\(folder)' is a file; give a folder holding <label>/*.jpg.")
        }
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: folder) else {
            throw CommandFailure("eval", .inputUnreadable, "cannot list the folder '\(folder)'; check its permissions.")
        }
        let skip = try excludedPaths()
        var files: [LabelledFile] = []
        var excluded = 0
        var labelFolders = 0
        for entry in entries.sorted() {
            let sub = (folder as NSString).appendingPathComponent(entry)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: sub, isDirectory: &isDir), isDir.boolValue else { continue }
            guard let label = EmotionLabel(name: entry) else {
                throw CommandFailure(
                    "eval", .usage,
                    "'\(sub)' is not named after a label; FOLDER may hold only "
                        + EmotionLabel.allCases.map(\.name).joined(separator: ", ") + " (as folders).")
            }
            labelFolders += 1
            guard let names = try? fm.contentsOfDirectory(atPath: sub) else {
                throw CommandFailure("eval", .inputUnreadable, "cannot list the folder '\(sub)'; check its permissions.")
            }
            for name in names.sorted() where ImageSources.imageExtensions.contains((name as NSString).pathExtension.lowercased()) {
                if skip.contains(entry + "/" + name) {
                    excluded += 1
                    continue
                }
                files.append(LabelledFile(path: (sub as NSString).appendingPathComponent(name), label: label))
            }
        }
        guard labelFolders > 0, !files.isEmpty else {
            throw CommandFailure("eval", .inputMissing, "'\(folder)' has no <label>/ folder with images (.jpg/.jpeg/.png/.bmp).")
        }
        return (files, excluded)
    }

    /// The first column of every line of --exclude (a header naming no image is harmless).
    private func excludedPaths() throws -> Set<String> {
        guard let exclude else { return [] }
        let text: String
        do { text = try String(contentsOfFile: exclude, encoding: .utf8) } catch {
            throw ImageInputFailure.failure("eval", error)
        }
        var paths = Set<String>()
        for line in text.split(whereSeparator: \.isNewline) {
            let first = line.split(separator: ",", maxSplits: 1).first.map(String.init) ?? ""
            let trimmed = first.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { paths.insert(trimmed) }
        }
        return paths
    }

    /// The confusion matrix drawn to `path` (.svg text, or a .png drawn with FERCore's Canvas).
    static func writePlot(_ matrix: ConfusionMatrix, title: String, to path: String) throws {
        if (path as NSString).pathExtension.lowercased() == "svg" {
            let file = try OutputFile(path: path, option: "--plot", mode: .replace)
            try file.write(matrix.svg(title: title))
            try file.finish()
            return
        }
        typealias L = ConfusionMatrix.PlotLayout
        let n = matrix.classes.count
        let w = L.width(n), h = L.height(n), c = L.cell
        let buffer = try ImageBuffer(width: w, height: h, format: .rgb8)
        let canvas = Canvas(buffer.mutableView)
        canvas.fillRect(x: 0, y: 0, width: w, height: h, color: .white)
        canvas.drawText(title, x: 8, y: 10, color: .black, scale: 1)
        let predicted = "predicted"
        canvas.drawText(predicted, x: L.left + n * c / 2 - BitmapFont.size(of: predicted, scale: 2).width / 2, y: 36, color: .black, scale: 2)
        for (j, name) in matrix.classes.enumerated() {
            let tw = BitmapFont.size(of: name, scale: 2).width
            canvas.drawText(name, x: L.left + j * c + (c - tw) / 2, y: L.top - 22, color: .black, scale: 2)
        }
        for (i, name) in matrix.classes.enumerated() {
            let y = L.top + i * c
            let tw = BitmapFont.size(of: name, scale: 2).width
            canvas.drawText(name, x: max(2, L.left - 8 - tw), y: y + c / 2 - 7, color: .black, scale: 2)
            for j in 0..<n {
                let f = matrix.rowFraction(i, j)
                let (r, g, b) = L.shade(f)
                let x = L.left + j * c
                canvas.fillRect(x: x, y: y, width: c, height: c, color: Color(r: r, g: g, b: b))
                canvas.drawBox(x: x, y: y, width: c, height: c, color: Color(r: 153, g: 153, b: 153), thickness: 1)
                let ink: Color = L.darkCell(f) ? .white : .black
                let count = "\(matrix.counts[i][j])", share = String(format: "%.1f%%", f * 100)
                canvas.drawText(count, x: x + (c - BitmapFont.size(of: count, scale: 2).width) / 2, y: y + c / 2 - 16, color: ink, scale: 2)
                canvas.drawText(share, x: x + (c - BitmapFont.size(of: share).width) / 2, y: y + c / 2 + 6, color: ink)
            }
        }
        canvas.drawText("true", x: 8, y: L.top - 22, color: .black, scale: 2)
        canvas.drawText(matrix.summary, x: L.left, y: L.top + n * c + 24, color: .black)
        try OutputFile.writeWhole(path: path, option: "--plot", suffix: ".png") { temporary in
            try ImageWriter.write(buffer.view, to: temporary)
        }
    }
}
