import Foundation

@_spi(Kernels) @testable import FERCore

/// Largest absolute difference between two arrays (infinity when lengths differ).
func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var m: Float = 0
    for i in a.indices {
        let d = abs(a[i] - b[i])
        if d.isNaN { return .infinity }
        m = max(m, d)
    }
    return m
}

func maxAbs(_ a: [Float]) -> Float { a.reduce(0) { max($0, abs($1)) } }

enum Paths {
    /// The package root (this file is Tests/FERCoreTests/Support/TestSupport.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static func weights(_ model: ModelFile) -> String { root.appendingPathComponent("Weights/\(model.fileName)").path }
    static func fixture(_ relative: String) -> String { root.appendingPathComponent("Tests/Fixtures/\(relative)").path }
    static func temporaryFile(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fercore-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }
}

/// Makes a FIFO at a fresh temporary path and runs `body` with it. Should `body` block
/// in an `open` of the FIFO for reading (the hang this guards against), a helper thread
/// opens the FIFO for writing after a few seconds, which releases the reader, and the
/// returned flag is true: the test then fails instead of hanging.
func withFIFO(_ name: String, _ body: (String) throws -> Void) rethrows -> Bool {
    let path = Paths.temporaryFile(name)
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
