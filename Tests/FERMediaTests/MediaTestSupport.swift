import FERCore
import Foundation

@testable import FERMedia

enum MediaPaths {
    /// The package root (this file is Tests/FERMediaTests/MediaTestSupport.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func fixture(_ relative: String) -> String { root.appendingPathComponent("Tests/Fixtures/\(relative)").path }
    static func sample(_ name: String) -> String { root.appendingPathComponent("Samples/\(name)").path }
    /// A fresh path in a per-process temporary directory.
    static func temporary(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fermedia-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }
    static func expected() throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: fixture("media/expected.safetensors"))
    }
}

/// Largest and mean absolute difference of two equally sized byte arrays.
func pixelDiff(_ a: [UInt8], _ b: [UInt8]) -> (max: Int, mean: Double) {
    guard a.count == b.count, !a.isEmpty else { return (Int.max, .infinity) }
    var m = 0, total = 0
    for i in a.indices {
        let d = abs(Int(a[i]) - Int(b[i]))
        m = max(m, d)
        total += d
    }
    return (m, Double(total) / Double(a.count))
}

/// The pattern of Tools/make_image_fixtures.py: flat (20k, 100, 220 - 15k), white 12x12 square at (4 + 4k, 18).
func pattern(_ k: Int, width: Int = 64, height: Int = 48) throws -> Image {
    var img = try Image(width: width, height: height, format: .rgb8)
    for y in 0..<height {
        for x in 0..<width {
            let inSquare = y >= 18 && y < 30 && x >= 4 + 4 * k && x < 16 + 4 * k
            let px: [UInt8] = inSquare ? [255, 255, 255] : [UInt8(20 * k), 100, UInt8(220 - 15 * k)]
            for c in 0..<3 { img.pixels[(y * width + x) * 3 + c] = px[c] }
        }
    }
    return img
}

/// A BMP header (24-bit, BI_RGB) for any size, with `payload` bytes of pixel data after it.
func bmpHeader(width: Int32, height: Int32, payload: Int) -> [UInt8] {
    var b: [UInt8] = Array("BM".utf8)
    func le32(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
    func le16(_ v: Int16) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
    le32(Int32(54 + payload)); le32(0); le32(54)
    le32(40); le32(width); le32(height); le16(1); le16(24); le32(0); le32(0); le32(2835); le32(2835); le32(0); le32(0)
    b.append(contentsOf: [UInt8](repeating: 0x7F, count: payload))
    return b
}

/// Makes a FIFO at a fresh temporary path and runs `body` with it. Should `body` block
/// opening the FIFO for reading (the hang this guards against), a helper thread opens its
/// other end after 3 s, which releases the reader, and the returned flag is true: the test
/// then fails instead of hanging.
func withFIFO(_ name: String, _ body: (String) throws -> Void) rethrows -> Bool {
    let path = MediaPaths.temporary(name)
    unlink(path)
    precondition(mkfifo(path, 0o600) == 0, "mkfifo \(path) failed")
    defer { unlink(path) }
    let watchdog = FIFOWatchdog(path: path)
    let thread = Thread { watchdog.watch() }
    thread.start()
    defer { watchdog.stop() }
    try body(path)
    return watchdog.hadToRelease
}

/// The helper thread of ``withFIFO(_:_:)``.
final class FIFOWatchdog: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var done = false
    private var released = false

    init(path: String) { self.path = path }

    var hadToRelease: Bool { lock.withLock { released } }

    func stop() { lock.withLock { done = true } }

    func watch() {
        // 3 s is far longer than any check of a path needs, and short enough for a test.
        for _ in 0..<30 {
            usleep(100_000)
            if lock.withLock({ done }) { return }
        }
        // A non-blocking open for writing succeeds only when a reader is blocked on the FIFO.
        let fd = open(path, O_WRONLY | O_NONBLOCK)
        if fd >= 0 {
            lock.withLock { released = true }
            close(fd)
        }
    }
}

/// Reads every frame of `path`: (size, timestamp) per frame and the last frame's pixels.
func readAll(_ path: String, options: VideoReader.Options = VideoReader.Options()) throws
    -> (reader: VideoReader, frames: [(width: Int, height: Int, timestamp: Double)], last: Image?)
{
    let reader = try VideoReader(path: path, options: options)
    let buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8)
    var frames: [(Int, Int, Double)] = []
    var last: Image?
    while let info = try reader.nextFrame(into: buffer) {
        frames.append((buffer.width, buffer.height, info.timestamp))
        last = Image(buffer.view)
    }
    return (reader, frames, last)
}
