import Foundation
import Testing

/// The SDL2 window under Xvfb: ferdemo shows the first annotated frames, xwd takes a
/// screenshot of the virtual screen, and the overlay's colours must be in it.
@Suite("ferdemo live window under Xvfb")
struct WindowTests {
    static let xvfb = "/usr/bin/Xvfb"
    static let xwd = "/usr/bin/xwd"

    @Test(
        "the overlay (ID 1's green box and label) is drawn in the window",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: xvfb) && FileManager.default.isExecutableFile(atPath: xwd),
            "needs Xvfb and xwd (Debian packages xvfb and x11-apps; Tools/setup_system.sh installs them)"))
    func overlayDrawn() throws {
        // A free display number: no X socket and no lock file for it, or a stale pair left by
        // an X server that is gone (ours is killed with SIGKILL below, which leaves both behind;
        // X servers themselves treat a lock whose process is dead as free).
        func lockPath(_ n: Int) -> String { "/tmp/.X\(n)-lock" }
        func socketPath(_ n: Int) -> String { "/tmp/.X11-unix/X\(n)" }
        func isFree(_ n: Int) -> Bool {
            let fm = FileManager.default
            guard fm.fileExists(atPath: lockPath(n)) || fm.fileExists(atPath: socketPath(n)) else { return true }
            guard let text = try? String(contentsOfFile: lockPath(n), encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
                kill(pid, 0) != 0, errno == ESRCH
            else { return false }
            try? fm.removeItem(atPath: lockPath(n))
            try? fm.removeItem(atPath: socketPath(n))
            return true
        }
        guard let display = (90..<140).first(where: isFree) else {
            Issue.record("no free X display number in 90..<140")
            return
        }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.xvfb)
        server.arguments = [":\(display)", "-screen", "0", "800x600x24", "-nolisten", "tcp"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            // SIGKILL: the test runner's threads block SIGTERM/SIGINT, and children inherit that mask.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            // The killed server cannot remove its lock and socket: remove them for the next run.
            try? FileManager.default.removeItem(atPath: lockPath(display))
            try? FileManager.default.removeItem(atPath: socketPath(display))
        }
        #expect(Demo.waitFor(10) { FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(display)") }, "Xvfb did not start")

        let (demo, _, err) = try Demo.start(
            ["live", "--input", Demo.sample, "--max-frames", "2", "--sync-detection", "--min-face", "30", "--hold-last-frame", "60"],
            environment: ["DISPLAY": ":\(display)"])
        defer {
            if demo.isRunning { kill(demo.processIdentifier, SIGINT) }
            demo.waitUntilExit()
        }
        let holding = Demo.waitFor(90) { ((try? String(contentsOf: err, encoding: .utf8)) ?? "").contains("holding the last frame") }
        let log = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(holding, "ferdemo did not reach the window's hold: \(log)")
        #expect(log.contains("→ window"), "ferdemo did not open a window: \(log)")
        usleep(300_000)

        let shot = Demo.temporary("screen.xwd")
        let grab = Process()
        grab.executableURL = URL(fileURLWithPath: Self.xwd)
        grab.arguments = ["-root", "-display", ":\(display)", "-silent", "-out", shot.path]
        try grab.run()
        grab.waitUntilExit()
        #expect(grab.terminationStatus == 0)
        let image = try XWDImage(data: Data(contentsOf: shot))
        #expect(image.width == 800 && image.height == 600)
        // Overlay.palette[0] = pure green (ID 1's box and label background): the clip has no such
        // pixel (its background is a blue-green gradient, the photo has none), the overlay hundreds.
        let green = image.count { $0 == (0, 255, 0) }
        #expect(green >= 200, "pure-green overlay pixels in the screenshot: \(green)")
        // The header text is white on a dark band; some white must be there too.
        #expect(image.count { $0 == (255, 255, 255) } >= 50)
    }
}

/// The subset of the X Window Dump format xwd writes for a 24-bit TrueColor screen:
/// a big-endian header (XWDFileHeader, 25 CARD32s), the window name, the colour map, then
/// 24- or 32-bit pixels in the header's byte order.
struct XWDImage {
    let width: Int, height: Int
    private let pixels: [(UInt8, UInt8, UInt8)]

    struct FormatError: Error, CustomStringConvertible { let description: String }

    init(data: Data) throws {
        let bytes = [UInt8](data)
        func card32(_ i: Int) -> Int { Int(bytes[4 * i]) << 24 | Int(bytes[4 * i + 1]) << 16 | Int(bytes[4 * i + 2]) << 8 | Int(bytes[4 * i + 3]) }
        guard bytes.count >= 100 else { throw FormatError(description: "XWD file too short") }
        let headerSize = card32(0), width = card32(4), height = card32(5), byteOrder = card32(7)
        let bitsPerPixel = card32(11), bytesPerLine = card32(12), ncolors = card32(19)
        let redMask = card32(14), greenMask = card32(15), blueMask = card32(16)
        guard bitsPerPixel == 32 || bitsPerPixel == 24 else {
            throw FormatError(description: "XWD with \(bitsPerPixel) bits per pixel; expected 24 or 32")
        }
        let step = bitsPerPixel / 8
        let start = headerSize + 12 * ncolors
        guard bytes.count >= start + bytesPerLine * height else { throw FormatError(description: "XWD pixel data truncated") }
        func shift(_ mask: Int) -> Int { mask == 0 ? 0 : mask.trailingZeroBitCount }
        var pixels: [(UInt8, UInt8, UInt8)] = []
        pixels.reserveCapacity(width * height)
        for y in 0..<height {
            for x in 0..<width {
                let o = start + y * bytesPerLine + step * x
                var v = 0
                for k in 0..<step {
                    // byte_order 0 = LSBFirst: the first byte is the least significant.
                    v |= Int(bytes[o + k]) << (byteOrder == 0 ? 8 * k : 8 * (step - 1 - k))
                }
                pixels.append(
                    (
                        UInt8((v & redMask) >> shift(redMask)), UInt8((v & greenMask) >> shift(greenMask)),
                        UInt8((v & blueMask) >> shift(blueMask))
                    ))
            }
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    func count(where predicate: ((UInt8, UInt8, UInt8)) -> Bool) -> Int {
        pixels.reduce(0) { $0 + (predicate($1) ? 1 : 0) }
    }
}
