import ArgumentParser
import FERCore
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
    mutating func add(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(path): no such file or folder")
        }
        if isDirectory.boolValue {
            guard let walker = FileManager.default.enumerator(atPath: path) else {
                throw ValidationError("\(path): cannot list this folder")
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

    /// Calls `body` with each image's name and pixels, in order.
    func forEachImage(_ body: (String, Image) throws -> Void) throws {
        for entry in entries {
            switch entry {
            case let .file(path):
                try body(path, try Self.decode(path))
            case let .tensors(path):
                let file: SafeTensorsFile
                do { file = try SafeTensorsFile(contentsOf: path) } catch { throw ValidationError("\(error)") }
                for name in file.tensors.keys.sorted() {
                    try body(name, try Self.image(file, name))
                }
            }
        }
    }

    /// A U8 tensor [H, W], [H, W, 1] (gray) or [H, W, 3] (RGB) as an image.
    static func image(_ file: SafeTensorsFile, _ name: String) throws -> Image {
        do {
            let (shape, bytes) = try file.uint8s(name)
            let channels = shape.count == 3 ? shape[2] : 1
            guard shape.count == 2 || (shape.count == 3 && (channels == 1 || channels == 3)) else {
                throw ValidationError("\(file.path): tensor \(name) has shape \(shape); images are U8 [H, W], [H, W, 1] or [H, W, 3]")
            }
            return try Image(width: shape[1], height: shape[0], format: channels == 3 ? .rgb8 : .gray8, pixels: bytes)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(file.path): tensor \(name): \(error)")
        }
    }

    /// Decodes an image file with FERMedia's FFmpeg-based reader (RGB8).
    static func decode(_ path: String) throws -> Image {
        do { return try ImageReader.read(path: path) } catch { throw ValidationError("\(error)") }
    }
}

/// CSV output of `ferdemo classify`, to a file or standard output.
struct CSVOutput {
    /// The header row.
    static let header = "path,face,x,y,w,h," + EmotionLabel.allCases.map(\.name).joined(separator: ",") + ",label"

    private let handle: FileHandle
    private let closes: Bool
    private var buffer = ""

    init(path: String?) throws {
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw ValidationError("\(path): cannot create the CSV file")
            }
            handle = h
            closes = true
        } else {
            handle = FileHandle.standardOutput
            closes = false
        }
    }

    /// One result row; probabilities with 9 significant digits (float32 round-trips).
    static func row(path: String, face: Int, x: Int, y: Int, width: Int, height: Int, scores: EmotionScores) -> String {
        let quoted = path.contains(",") || path.contains("\"") ? "\"" + path.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : path
        let probabilities = EmotionLabel.allCases.map { String(format: "%.9g", Double(scores[$0])) }.joined(separator: ",")
        return "\(quoted),\(face),\(x),\(y),\(width),\(height),\(probabilities),\(scores.displayName)"
    }

    mutating func write(_ line: String) throws {
        buffer += line
        buffer += "\n"
        if buffer.utf8.count > 1 << 16 { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        do { try handle.write(contentsOf: Data(buffer.utf8)) } catch { throw ValidationError("cannot write the CSV: \(error)") }
        buffer = ""
    }

    mutating func close() throws {
        try flush()
        if closes { try handle.close() }
    }
}
