import FERCore
import Foundation

/// Reads and writes the image files `ferdemo` works on.
///
/// Stand-in until FERMedia's FFmpeg-based ImageReader lands: binary PPM (P6, RGB) and
/// PGM (P5, gray) with maxval 255 only. Everything in ferdemo goes through
/// ``ImageFiles/read`` and ``ImageFiles/writePPM``, so swapping in FERMedia touches this file only.
enum ImageFiles {
    /// What went wrong with an image file.
    struct FileError: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "\(path): \(reason)" }
    }

    /// Reads a binary PPM (P6) as RGB8 or PGM (P5) as Gray8.
    static func read(_ path: String) throws -> Image {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, reason: "cannot read the file (missing or no permission)")
        }
        let bytes = [UInt8](data)
        var i = 0
        func token() throws -> String {
            // Header tokens are separated by whitespace; '#' starts a comment to the end of the line.
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "#") {
                    while i < bytes.count, bytes[i] != 10 { i += 1 }
                } else if bytes[i] == 32 || (9...13).contains(bytes[i]) {
                    i += 1
                } else { break }
            }
            let start = i
            while i < bytes.count, !(bytes[i] == 32 || (9...13).contains(bytes[i])) { i += 1 }
            guard i > start else { throw FileError(path: path, reason: "truncated header") }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }
        let magic = try token()
        guard magic == "P6" || magic == "P5" else {
            throw FileError(path: path, reason: "not a binary PPM/PGM (magic \(magic.prefix(2))); only P6 and P5 are supported until FERMedia's reader lands — convert with e.g. `ffmpeg -i in.jpg out.ppm`")
        }
        guard let width = Int(try token()), let height = Int(try token()), let maxval = Int(try token()) else {
            throw FileError(path: path, reason: "malformed header")
        }
        guard maxval == 255 else { throw FileError(path: path, reason: "maxval \(maxval); only 8-bit (255) is supported") }
        i += 1  // the single whitespace after maxval
        let format: PixelFormat = magic == "P6" ? .rgb8 : .gray8
        let count = width.multipliedReportingOverflow(by: height).partialValue * format.channels
        guard width > 0, height > 0, count > 0, i + count <= bytes.count else {
            throw FileError(path: path, reason: "\(width)x\(height) needs \(count) pixel bytes, the file has \(max(0, bytes.count - i))")
        }
        return try Image(width: width, height: height, format: format, pixels: Array(bytes[i..<(i + count)]))
    }

    /// Writes `image` as binary PPM (gray images are expanded to RGB).
    static func writePPM(_ image: Image, to path: String) throws {
        var out = [UInt8]("P6\n\(image.width) \(image.height)\n255\n".utf8)
        if image.format == .rgb8 {
            out += image.pixels
        } else {
            out.reserveCapacity(out.count + image.pixels.count * 3)
            for v in image.pixels { out += [v, v, v] }
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(out)) else {
            throw FileError(path: path, reason: "cannot write the file")
        }
    }

    /// An RGB copy of `image` with each face's box and landmarks drawn in.
    static func annotated(_ image: Image, faces: [FaceDetection]) -> Image {
        var rgb = image
        if image.format == .gray8, let expanded = try? Image(width: image.width, height: image.height, format: .rgb8,
                                                            pixels: image.pixels.flatMap { [$0, $0, $0] }) {
            rgb = expanded
        }
        let w = rgb.width, h = rgb.height
        func plot(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < w, y < h else { return }
            let p = (y * w + x) * 3
            rgb.pixels[p] = c.0
            rgb.pixels[p + 1] = c.1
            rgb.pixels[p + 2] = c.2
        }
        for face in faces {
            let x0 = Int(face.box.x.rounded()), y0 = Int(face.box.y.rounded())
            let x1 = Int((face.box.x + face.box.width).rounded()), y1 = Int((face.box.y + face.box.height).rounded())
            for t in 0..<2 {
                for x in x0...max(x0, x1) { plot(x, y0 + t, (0, 255, 0)); plot(x, y1 - t, (0, 255, 0)) }
                for y in y0...max(y0, y1) { plot(x0 + t, y, (0, 255, 0)); plot(x1 - t, y, (0, 255, 0)) }
            }
            for p in face.landmarks.points {
                let cx = Int(p.x.rounded()), cy = Int(p.y.rounded())
                for dy in -2...2 { for dx in -2...2 { plot(cx + dx, cy + dy, (255, 0, 0)) } }
            }
        }
        return rgb
    }
}
