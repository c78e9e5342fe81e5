import Foundation
import FERCore

/// Where `ferdemo track` gets frames. A closure-free protocol so that FERMedia's video
/// reader can replace the folder reader at merge time.
protocol TrackFrameSource {
    /// Fills `image` with the next frame; returns false at the end.
    mutating func next(into image: inout Image) throws -> Bool
}

/// Reads a folder of binary PPM (P6, maxval 255) or PGM (P5) frames in file-name order.
struct PPMFolderSource: TrackFrameSource {
    enum ReadError: Error, CustomStringConvertible {
        case notFolder(String)
        case empty(String)
        case badHeader(String)
        var description: String {
            switch self {
            case let .notFolder(p): return "\(p) is not a folder of .ppm/.pgm frames; FFmpeg video input arrives with FERMedia."
            case let .empty(p): return "\(p) holds no .ppm or .pgm files."
            case let .badHeader(p): return "\(p) is not a binary PPM (P6) or PGM (P5) with maxval 255."
            }
        }
    }

    private let files: [String]
    private var index = 0

    init(folder: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else { throw ReadError.notFolder(folder) }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".ppm") || $0.hasSuffix(".pgm") }.sorted()
        guard !names.isEmpty else { throw ReadError.empty(folder) }
        files = names.map { folder + "/" + $0 }
    }

    mutating func next(into image: inout Image) throws -> Bool {
        guard index < files.count else { return false }
        let path = files[index]
        index += 1
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let bytes = [UInt8](data)
        // Header: magic, width, height, maxval as whitespace-separated tokens (comments skipped).
        var tokens: [String] = []
        var i = 0
        while tokens.count < 4 && i < bytes.count {
            if bytes[i] == UInt8(ascii: "#") { while i < bytes.count && bytes[i] != 10 { i += 1 }; continue }
            if bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9 { i += 1; continue }
            var t = ""
            while i < bytes.count, !(bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9) {
                t.append(Character(UnicodeScalar(bytes[i]))); i += 1
            }
            tokens.append(t)
        }
        i += 1 // the single whitespace after maxval
        guard tokens.count == 4, tokens[0] == "P6" || tokens[0] == "P5", let w = Int(tokens[1]), let h = Int(tokens[2]),
              tokens[3] == "255" else { throw ReadError.badHeader(path) }
        let format: PixelFormat = tokens[0] == "P6" ? .rgb8 : .gray8
        let n = w * h * format.channels
        guard bytes.count - i >= n else { throw ReadError.badHeader(path) }
        image = try Image(width: w, height: h, format: format, pixels: Array(bytes[i..<(i + n)]))
        return true
    }
}
