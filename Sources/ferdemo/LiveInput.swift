import FERCore
import FERDemoSupport
import FERMedia
import Foundation

/// Why `ferdemo live` could not open its input. Each message says what was wrong and what to do;
/// the exit codes let scripts tell the cases apart.
enum LiveInputError: Error, CustomStringConvertible {
    /// No camera at the given device path or index.
    case missingCamera(path: String, underlying: String)
    /// A camera exists but cannot be used (busy, permission, not a capture device, no format).
    case cameraUnusable(path: String, underlying: String)
    /// No file or folder at the path.
    case missingFile(path: String)
    /// The file exists but is not a readable video or image.
    case unreadable(path: String, underlying: String)
    /// A folder with no images in it.
    case emptyFolder(path: String)
    /// No input given, no camera, and the sample clip is not where it should be.
    case noDefaultInput

    var description: String {
        switch self {
        case let .missingCamera(path, underlying):
            return "ferdemo live: no camera at \(path) (\(underlying)). Plug one in, pick another with --input /dev/videoN or an index, or give a video file."
        case let .cameraUnusable(path, underlying):
            return "ferdemo live: cannot use the camera \(path): \(underlying)"
        case let .missingFile(path):
            return
                "ferdemo live: no file or folder at '\(path)'. Check the path; --input takes a video file, a folder of images, a camera path (/dev/video0) or a camera index (0)."
        case let .unreadable(path, underlying):
            return "ferdemo live: cannot read '\(path)' as a video or image: \(underlying)"
        case let .emptyFolder(path):
            return "ferdemo live: the folder '\(path)' holds no .jpg, .jpeg, .png, .bmp, .ppm or .pgm images."
        case .noDefaultInput:
            return "ferdemo live: no camera found and the sample clip Samples/astronaut_pan.mp4 is missing; give --input VIDEO, FOLDER or /dev/videoN."
        }
    }

    /// The exit status: 3 missing input, 4 unreadable input, 5 camera unusable.
    var status: ExitStatus {
        switch self {
        case .missingCamera, .missingFile, .noDefaultInput: return .inputMissing
        case .unreadable, .emptyFolder: return .inputUnreadable
        case .cameraUnusable: return .cameraUnusable
        }
    }

    /// The message without the "ferdemo live: " prefix (``CommandFailure`` adds the command).
    var message: String {
        let text = description
        return text.hasPrefix("ferdemo live: ") ? String(text.dropFirst("ferdemo live: ".count)) : text
    }
}

/// The frame sources `ferdemo live` reads, behind one concrete type (FrameSource has an
/// associated error type, so an enum is simpler than an existential and allocates nothing).
enum LiveInput {
    case camera(V4L2Camera)
    case video(VideoReader)
    case folder(ImageFolderSource)

    /// Where the frames come from, for the banner.
    var name: String {
        switch self {
        case let .camera(c): return "camera \(c.path) (\(c.card), \(c.width)x\(c.height) @ \(c.framesPerSecond) fps)"
        case let .video(v): return "\(v.path) (\(v.width)x\(v.height), \(v.codecName), \(String(format: "%.2f", v.frameRate)) fps)"
        case let .folder(f): return "folder of \(f.paths.count) images"
        }
    }

    /// The size of every frame, when one size holds for the whole input (a camera's format, a
    /// video's first size: later sizes are fitted to it); nil for a folder (each image its own).
    var frameSize: (width: Int, height: Int)? {
        switch self {
        case let .camera(c): return (c.width, c.height)
        case let .video(v): return (v.width, v.height)
        case .folder: return nil
        }
    }

    /// Frames expected, when known (files and folders), for the progress bar's ETA.
    var expectedFrames: Int? {
        switch self {
        case .camera: return nil
        case let .video(v): return v.declaredFrameCount
        case let .folder(f): return f.paths.count
        }
    }

    /// Frames per second for an output video.
    var framesPerSecond: Double {
        switch self {
        case let .camera(c): return c.framesPerSecond > 0 ? c.framesPerSecond : 30
        case let .video(v): return v.frameRate > 0 ? v.frameRate : 30
        case .folder: return 30
        }
    }

    var isCamera: Bool { if case .camera = self { return true } else { return false } }

    /// The files this input reads (the video, the camera node, every image of the folder), which
    /// no output may overwrite.
    var inputPaths: [String] {
        switch self {
        case let .camera(c): return [c.path]
        case let .video(v): return [v.path]
        case let .folder(f): return f.paths
        }
    }

    /// The next frame, or nil at the end of the stream.
    func next(into buffer: ImageBuffer) throws -> FrameInfo? {
        switch self {
        case let .camera(c): return try c.nextFrame(into: buffer)
        case let .video(v): return try v.nextFrame(into: buffer)
        case let .folder(f): return try f.nextFrame(into: buffer)
        }
    }

    func close() {
        switch self {
        case let .camera(c): c.close()
        case let .video(v): v.close()
        case let .folder(f): f.close()
        }
    }

    /// Opens `spec`: nil → /dev/video0 if present, else the sample clip; a number → /dev/videoN;
    /// a /dev/video* path or any character device (e.g. /dev/v4l/by-id/…) → that camera; a
    /// directory → its images; anything else → a video file.
    static func open(_ spec: String?, camera options: V4L2Camera.Options = V4L2Camera.Options()) throws -> LiveInput {
        let fm = FileManager.default
        guard let spec else {
            if fm.fileExists(atPath: "/dev/video0"), let camera = try? V4L2Camera(path: "/dev/video0", options: options) { return .camera(camera) }
            guard let sample = sampleClipPath() else { throw LiveInputError.noDefaultInput }
            return try openFile(sample)
        }
        switch InputSpec(spec) {
        case let .cameraIndex(index): return try openCamera("/dev/video\(index)", options)
        case let .camera(path): return try openCamera(path, options)
        case .path: break
        }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: spec, isDirectory: &isDirectory) else { throw LiveInputError.missingFile(path: spec) }
        if isDirectory.boolValue {
            let folder: ImageFolderSource
            do { folder = try ImageFolderSource(folder: spec) } catch { throw LiveInputError.unreadable(path: spec, underlying: "\(error)") }
            guard !folder.paths.isEmpty else { throw LiveInputError.emptyFolder(path: spec) }
            return .folder(folder)
        }
        return try openFile(spec)
    }

    private static func openFile(_ path: String) throws -> LiveInput {
        do { return .video(try VideoReader(path: path)) } catch {
            if case .fileNotFound = error { throw LiveInputError.missingFile(path: path) }
            throw LiveInputError.unreadable(path: path, underlying: "\(error)")
        }
    }

    private static func openCamera(_ path: String, _ options: V4L2Camera.Options) throws -> LiveInput {
        do { return .camera(try V4L2Camera(path: path, options: options)) } catch {
            if case .noSuchDevice = error { throw LiveInputError.missingCamera(path: path, underlying: "\(error)") }
            throw LiveInputError.cameraUnusable(path: path, underlying: "\(error)")
        }
    }

    /// Samples/astronaut_pan.mp4 under the working directory, or in the source checkout this
    /// binary was built from (as ModelFile.defaultDirectory() finds Weights/).
    static func sampleClipPath() -> String? {
        let fm = FileManager.default
        let relative = "Samples/astronaut_pan.mp4"
        let cwd = fm.currentDirectoryPath + "/" + relative
        if fm.fileExists(atPath: cwd) { return cwd }
        // <root>/Sources/ferdemo/LiveInput.swift → <root>/Samples/…
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = root.appendingPathComponent(relative).path
        return fm.fileExists(atPath: source) ? source : nil
    }
}
