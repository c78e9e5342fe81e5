import FERCore

#if canImport(Glibc)
    import Glibc
#endif

/// The images of a folder as a FERCore `FrameSource`, in file-name order (byte-wise, so
/// `frame_0001.png` < `frame_0002.png`), optionally including subfolders.
///
/// Timestamps are `index / framesPerSecond`, as if the folder were a video.
public final class ImageFolderSource: FrameSource {
    /// Source settings.
    public struct Options: Sendable {
        /// Also read images in subfolders (default: no).
        public var recursive = false
        /// File extensions (lower case, without the dot) treated as images.
        public var extensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "ppm", "pgm"]
        /// The rate used for timestamps (default 30, like a webcam).
        public var framesPerSecond: Double = 30
        /// Whether an unreadable image ends the stream with an error (default) or is skipped.
        public var skipUnreadable = false

        /// Default settings.
        public init() {}
    }

    /// The image paths, in the order they are delivered.
    public let paths: [String]
    /// The path of the image the last ``nextFrame(into:)`` delivered (nil before the first).
    public private(set) var lastPath: String?
    private let options: Options
    private var position = 0
    private var delivered = 0
    private var closed = false

    /// Lists the images in `folder`.
    /// - Throws: ``MediaError/fileNotFound(path:)`` if the folder does not exist or cannot be listed.
    public init(folder: String, options: Options = Options()) throws(MediaError) {
        self.options = options
        var found: [String] = []
        guard Self.list(folder, options, into: &found) else { throw .fileNotFound(path: folder) }
        paths = found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func list(_ folder: String, _ options: Options, into found: inout [String]) -> Bool {
        guard let dir = opendir(folder) else { return false }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                if options.recursive { _ = list(path, options, into: &found) }
            } else if let dot = name.lastIndex(of: "."), options.extensions.contains(name[name.index(after: dot)...].lowercased()) {
                found.append(path)
            }
        }
        return true
    }

    /// Decodes the next image into `buffer`.
    /// - Returns: `nil` after the last image.
    /// - Throws: the image's ``MediaError`` unless ``Options/skipUnreadable`` is set.
    public func nextFrame(into buffer: ImageBuffer) throws(MediaError) -> FrameInfo? {
        while !closed && position < paths.count {
            let path = paths[position]
            position += 1
            do {
                try ImageReader.read(path: path, into: buffer)
            } catch {
                if options.skipUnreadable { continue }
                throw error
            }
            lastPath = path
            let info = FrameInfo(index: delivered, timestamp: Double(delivered) / max(options.framesPerSecond, 1e-9))
            delivered += 1
            return info
        }
        return nil
    }

    /// Whether the file names look like the frames of one sequence rather than separate photos:
    /// every name is a common prefix, a number and a common extension (`img/0001.jpg`,
    /// `frame_12.png`), and the numbers run consecutively (each one more than the one before).
    public var isNumberedSequence: Bool {
        guard paths.count >= 2 else { return false }
        var prefix: Substring?, suffix: Substring?, last: Int?
        for path in paths {
            let name = path.split(separator: "/").last ?? Substring(path)
            guard let dot = name.lastIndex(of: ".") else { return false }
            let stem = name[..<dot]
            let digits = stem.reversed().prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 12, let number = Int(String(digits.reversed())) else { return false }
            let head = stem.dropLast(digits.count)
            if prefix == nil { prefix = head; suffix = name[dot...] }
            guard head == prefix, name[dot...] == suffix else { return false }
            if let last, number != last + 1 { return false }
            last = number
        }
        return true
    }

    /// Ends the stream. Idempotent.
    public func close() { closed = true }
}
