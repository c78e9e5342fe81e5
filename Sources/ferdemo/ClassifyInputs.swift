import FERCore
import FERDemoSupport
import FERMedia
import Foundation

/// The images `ferdemo classify` reads: image files (folders searched recursively, in
/// sorted order) and `.safetensors` image sets (one U8 tensor per image).
struct ImageSources {
    /// File extensions taken as images inside folders.
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp"]

    private enum Entry {
        case file(String)
        case tensors(String)
    }

    private var entries: [Entry] = []

    /// Adds a file, folder (recursively) or .safetensors set.
    /// - Throws: ``CommandFailure`` with status 3 when nothing is at `path`, 4 when a folder cannot be listed.
    mutating func add(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandFailure("classify", .inputMissing, "no file or folder at '\(path)'; check the path.")
        }
        if isDirectory.boolValue {
            guard let walker = FileManager.default.enumerator(atPath: path) else {
                throw CommandFailure("classify", .inputUnreadable, "cannot list the folder '\(path)'; check its permissions.")
            }
            var found: [String] = []
            while let relative = walker.nextObject() as? String {
                let ext = (relative as NSString).pathExtension.lowercased()
                if Self.imageExtensions.contains(ext) { found.append((path as NSString).appendingPathComponent(relative)) }
            }
            entries += found.sorted().map(Entry.file)
        } else if path.lowercased().hasSuffix(".safetensors") {
            entries.append(.tensors(path))
        } else {
            entries.append(.file(path))
        }
    }

    /// Every file the sources read (for the check that no output overwrites one).
    var filePaths: [String] {
        entries.map { entry in
            switch entry {
            case let .file(p), let .tensors(p): return p
            }
        }
    }

    /// Calls `body` with each image's name and pixels, in order; stops early when `stop` says so.
    /// - Throws: ``CommandFailure`` (3 missing, 4 unreadable) for an image that cannot be read,
    ///   and whatever `body` throws.
    func forEachImage(stop: () -> Bool = { false }, _ body: (String, Image) throws -> Void) throws {
        for entry in entries {
            if stop() { return }
            switch entry {
            case let .file(path):
                let image: Image
                do { image = try ImageReader.read(path: path) } catch { throw ImageInputFailure.failure("classify", error) }
                try body(path, image)
            case let .tensors(path):
                let file: SafeTensorsFile
                do { file = try SafeTensorsFile(contentsOf: path) } catch { throw ImageInputFailure.failure("classify", error) }
                for name in file.tensors.keys.sorted() {
                    if stop() { return }
                    try body(name, try Self.image(file, name))
                }
            }
        }
    }

    /// A U8 tensor [H, W], [H, W, 1] (gray) or [H, W, 3] (RGB) as an image.
    /// - Throws: ``CommandFailure`` with status 4 for any other tensor.
    static func image(_ file: SafeTensorsFile, _ name: String) throws -> Image {
        do {
            let (shape, bytes) = try file.uint8s(name)
            let channels = shape.count == 3 ? shape[2] : 1
            guard shape.count == 2 || (shape.count == 3 && (channels == 1 || channels == 3)) else {
                throw CommandFailure(
                    "classify", .inputUnreadable,
                    "\(file.path): tensor \(name) has shape \(shape); images are U8 [H, W], [H, W, 1] or [H, W, 3].")
            }
            return try Image(width: shape[1], height: shape[0], format: channels == 3 ? .rgb8 : .gray8, pixels: bytes)
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure("classify", .inputUnreadable, "\(file.path): tensor \(name): \(error)")
        }
    }
}

/// CSV output of `ferdemo classify`, to a file (replaced only when complete) or standard output.
struct CSVOutput {
    /// The header row.
    static let header = "path,face,x,y,w,h," + EmotionLabel.allCases.map(\.name).joined(separator: ",") + ",label"

    private let file: OutputFile

    /// Opens `path` (`-` or nil: standard output).
    init(path: String?) throws(OutputError) {
        file = try OutputFile(path: path ?? "-", option: "--csv", mode: .replace)
    }

    /// One result row; probabilities with 9 significant digits (float32 round-trips).
    static func row(path: String, face: Int, x: Int, y: Int, width: Int, height: Int, scores: EmotionScores) -> String {
        let quoted =
            path.contains(",") || path.contains("\"") || path.contains("\n")
            ? "\"" + path.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : path
        let probabilities = EmotionLabel.allCases.map { String(format: "%.9g", Double(scores[$0])) }.joined(separator: ",")
        return "\(quoted),\(face),\(x),\(y),\(width),\(height),\(probabilities),\(scores.displayName)"
    }

    func write(_ line: String) throws(OutputError) {
        try file.write(line + "\n")
    }

    /// Flushes; a file is renamed into place.
    func close() throws(OutputError) {
        try file.finish()
    }
}
