import FERCore
import FERMedia
import Foundation
import Synchronization
import Testing

/// The fake V4L2 camera of Tests/Support/fake_v4l2: compiled with the system's C compiler into
/// a temporary shared library, loaded into `ferdemo` with LD_PRELOAD, where it answers for
/// ``device`` below libv4l2 (see the C file for how, and for the faults it plays).
enum FakeCamera {
    /// The device path the fake answers for (under /dev/video, so ferdemo takes it for a camera).
    static let device = "/dev/video-fercore-fake"
    static let source = Demo.root.appendingPathComponent("Tests/Support/fake_v4l2/fake_v4l2.c").path

    enum Format: String {
        case yuyv = "YUYV"
        case mjpeg = "MJPG"
    }

    private static let cache = Mutex<[String: String]>([:])

    /// The shared library, built once per test process.
    static func library() throws -> String {
        if let built = cache.withLock({ $0["library"] }) { return built }
        let compilers = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang", "/opt/swift/usr/bin/clang"]
        guard let cc = compilers.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("no C compiler found (looked for \(compilers)) to build the fake camera")
            throw CancellationError()
        }
        let dir = Demo.temporary("fake-v4l2")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let output = dir.appendingPathComponent("libfake_v4l2.so").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: cc)
        p.arguments = ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-o", output, source, "-ldl", "-lpthread"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            Issue.record("building the fake camera failed: \(message)")
            throw CancellationError()
        }
        cache.withLock { $0["library"] = output }
        return output
    }

    /// A folder of `count` frames of the sample clip at `width`×`height`: raw YUYV files (BT.601
    /// studio range, what a webcam sends) or JPEG files (an MJPEG camera's frames). Built once
    /// per format and size.
    static func frames(_ format: Format, width: Int, height: Int, count: Int = 24) throws -> String {
        let key = "\(format.rawValue)-\(width)x\(height)-\(count)"
        if let folder = cache.withLock({ $0[key] }) { return folder }
        let dir = Demo.temporary("frames-\(key)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let reader = try VideoReader(path: Demo.sample)
        let frame = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        let sized = try ImageBuffer(width: width, height: height, format: .rgb8)
        let resizer = Resizer()
        var k = 0
        while k < count, try reader.nextFrame(into: frame) != nil {
            try resizer.resize(frame.view, into: sized.mutableView, interpolation: .area)
            let name = dir.appendingPathComponent(String(format: "frame%04d", k)).path
            switch format {
            case .yuyv: try Data(yuyv(sized.view)).write(to: URL(fileURLWithPath: name + ".yuyv"))
            case .mjpeg: try ImageWriter.write(sized.view, to: name + ".jpg")
            }
            k += 1
        }
        cache.withLock { $0[key] = dir.path }
        return dir.path
    }

    /// RGB8 → YUYV with the BT.601 studio-range integer formulas (ITU-R BT.601; what
    /// ColorConversion.yuyvToRGB inverts), chroma averaged over each pixel pair.
    static func yuyv(_ image: ImageView) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: image.width * image.height * 2)
        for y in 0..<image.height {
            let row = image.row(y)
            for x in stride(from: 0, to: image.width - 1, by: 2) {
                var u = 0, v = 0
                for k in 0..<2 {
                    let r = Int(row[3 * (x + k)]), g = Int(row[3 * (x + k) + 1]), b = Int(row[3 * (x + k) + 2])
                    out[2 * (y * image.width + x + k)] = UInt8(clamping: ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16)
                    u += ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128
                    v += ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128
                }
                out[2 * (y * image.width + x) + 1] = UInt8(clamping: u / 2)
                out[2 * (y * image.width + x) + 3] = UInt8(clamping: v / 2)
            }
        }
        return out
    }

    /// The environment that makes `ferdemo` see the fake camera.
    static func environment(_ format: Format, width: Int, height: Int, fps: Int = 30, faults: String = "") throws -> [String: String] {
        var env = [
            "LD_PRELOAD": try library(), "FAKE_V4L2_DEVICE": device, "FAKE_V4L2_FORMAT": format.rawValue,
            "FAKE_V4L2_SIZE": "\(width)x\(height)", "FAKE_V4L2_FPS": "\(fps)",
            "FAKE_V4L2_FRAMES": try frames(format, width: width, height: height)
        ]
        if !faults.isEmpty { env["FAKE_V4L2_FAULTS"] = faults }
        return env
    }
}
