import FERCore
import Foundation
import Testing

@testable import FERMedia

/// Hostile inputs and faults of issue 13 for reading: FIFOs and other non-files, damaged
/// pictures, rotation metadata, variable frame rates and mid-stream size changes.
@Suite struct MediaReliabilityTests {
    @Test func fifoAsVideoOrImageIsRefusedWithoutBlocking() throws {
        for ext in ["mp4", "jpg", "png"] {
            let blocked = withFIFO("input.\(ext)") { fifo in
                #expect(throws: MediaError.notARegularFile(path: fifo, kind: .fifo)) { try VideoReader(path: fifo) }
                #expect(throws: MediaError.notARegularFile(path: fifo, kind: .fifo)) { try ImageReader.read(path: fifo) }
                #expect(MediaError.notARegularFile(path: fifo, kind: .fifo).description.contains("FIFO"))
            }
            #expect(!blocked, "\(ext): opening the FIFO blocked until the watchdog opened its other end")
        }
    }

    @Test func directoriesAndDevicesAreRefused() throws {
        let dir = MediaPaths.temporary("a-directory.mp4")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        #expect(throws: MediaError.notARegularFile(path: dir, kind: .directory)) { try VideoReader(path: dir) }
        #expect(throws: MediaError.notARegularFile(path: "/dev/null", kind: .characterDevice)) { try VideoReader(path: "/dev/null") }
        #expect(throws: MediaError.notARegularFile(path: "/dev/zero", kind: .characterDevice)) { try ImageReader.read(path: "/dev/zero") }
        #expect(MediaError.notARegularFile(path: "/dev/video9", kind: .characterDevice).description.contains("--input /dev/videoN"))
    }

    /// A folder holding a FIFO named like an image: the folder source reports it (or skips
    /// it when asked) instead of hanging on it.
    @Test func folderWithAFIFOImage() throws {
        let dir = MediaPaths.temporary("fifo-folder-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try pattern(0).withView { v throws(MediaError) in try ImageWriter.write(v, to: dir + "/a.png") }
        #expect(mkfifo(dir + "/b.jpg", 0o600) == 0)
        let frame = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        let source = try ImageFolderSource(folder: dir)
        #expect(try source.nextFrame(into: frame)?.index == 0)
        #expect(throws: MediaError.notARegularFile(path: dir + "/b.jpg", kind: .fifo)) { try source.nextFrame(into: frame) }
        var options = ImageFolderSource.Options()
        options.skipUnreadable = true
        let skipping = try ImageFolderSource(folder: dir, options: options)
        var count = 0
        while try skipping.nextFrame(into: frame) != nil { count += 1 }
        #expect(count == 1)
    }

    /// A textured 160×120 JPEG (large enough that half of it is many MCU rows).
    static func textured() throws -> (Image, [UInt8]) {
        var image = try Image(width: 160, height: 120, format: .rgb8)
        var rng = SplitMix64(seed: 11)
        for i in image.pixels.indices { image.pixels[i] = UInt8(truncatingIfNeeded: rng.next() >> 56) }
        let path = MediaPaths.temporary("textured.jpg")
        try image.withView { v throws(MediaError) in try ImageWriter.write(v, to: path) }
        return (image, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// libjpeg-turbo fills what a cut file lacks with grey and only warns; that warning is
    /// now an error (cv2.imread returns the grey-filled picture).
    /// Images are decoded only by the codecs ImageReader names (ImageReader.stillImageCodecs):
    /// a JPEG XL file (its codestream signature, FF 0A) is refused before any decoder for it
    /// opens, even while FFmpeg probes the stream. (The fuzzer's unexplained heap corruptions
    /// came with libjxl errors in its log; no image now reaches libjxl.)
    @Test func codecsOutsideTheStillImageListAreRefused() throws {
        let path = MediaPaths.temporary("signature.jxl")
        try Data([0xFF, 0x0A] + [UInt8](repeating: 0, count: 200)).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: MediaError.self) { try ImageReader.read(path: path) }
        guard case let .unrecognizedFormat(p, reason)? = error else {
            Issue.record("expected unrecognizedFormat, got \(String(describing: error))")
            return
        }
        #expect(p == path && reason.contains("jpegxl") && reason.contains("png"))
        #expect(!ImageReader.stillImageCodecs.contains("jpegxl"))
        // A PNG (in the list) still reads.
        let png = try ImageReader.read(path: MediaPaths.fixture("media/pattern.png"))
        #expect(png.width == 64 && png.height == 48)
    }

    /// A TIFF with a resolution (tags 282, 283, 296, as nearly every TIFF) reads, with the
    /// pattern's pixels (both files lossless); cut short, it is an error, not an image.
    @Test func tiffWithResolutionReads() throws {
        let tiff = try ImageReader.read(path: MediaPaths.fixture("media/pattern.tiff"))
        let png = try ImageReader.read(path: MediaPaths.fixture("media/pattern.png"))
        #expect(tiff == png)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: MediaPaths.fixture("media/pattern.tiff")))
        let path = MediaPaths.temporary("cut.tiff")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(throws: MediaError.self) { try ImageReader.read(path: path) }
    }

    /// In-memory decoding refuses an image over its pixel limit, for every format: JPEG and
    /// PNG from their headers, the others (BMP, TIFF here) from the size FFmpeg states before
    /// the picture is decoded; within the limit the pixels equal the file reader's.
    @Test func decodeFromMemoryKeepsItsPixelLimit() throws {
        for name in ["pattern.jpg", "pattern.png", "pattern.bmp", "pattern.tiff"] {
            let path = MediaPaths.fixture("media/\(name)")
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let error = #expect(throws: MediaError.self) { try ImageReader.decode(bytes, name: name, maximumPixels: 64 * 48 - 1) }
            guard case .badImageSize(_, .tooLarge(64, 48, 64 * 48 - 1))? = error else {
                Issue.record("\(name): \(String(describing: error))")
                continue
            }
            #expect(try ImageReader.decode(bytes, name: name, maximumPixels: 64 * 48) == ImageReader.read(path: path))
        }
    }

    @Test func truncatedJPEGIsAnError() throws {
        let (_, bytes) = try Self.textured()
        for fraction in [0.5, 0.8, 0.98] {
            let path = MediaPaths.temporary("half-\(fraction).jpg")
            try Data(bytes.prefix(Int(Double(bytes.count) * fraction))).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: MediaError.self) { try ImageReader.read(path: path) }
            guard case let .corrupt(p, reason)? = error else { Issue.record("\(fraction): got \(String(describing: error))"); continue }
            #expect(p == path && reason.contains("Premature end"), "\(fraction): \(reason)")
        }
    }

    /// Bytes of the entropy-coded data overwritten with a restart marker: "Corrupt JPEG data".
    @Test func corruptJPEGDataIsAnError() throws {
        var (_, bytes) = try Self.textured()
        // The scan starts after the SOS marker's header; overwrite two bytes in the middle of it.
        let sos = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA })
        let middle = sos + (bytes.count - sos) / 2
        bytes[middle] = 0xFF
        bytes[middle + 1] = 0xD3
        let path = MediaPaths.temporary("corrupt-data.jpg")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: MediaError.self) { try ImageReader.read(path: path) }
        guard case let .corrupt(_, reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(reason.contains("Corrupt JPEG data"), "\(reason)")
    }

    /// Junk before the end-of-image marker (some cameras write it) leaves every pixel decoded:
    /// still accepted, with the same pixels as the clean file.
    @Test func junkBeforeEndOfImageIsAccepted() throws {
        let (_, bytes) = try Self.textured()
        #expect(bytes.suffix(2) == [0xFF, 0xD9])
        let clean = MediaPaths.temporary("clean.jpg"), junk = MediaPaths.temporary("junk.jpg")
        try Data(bytes).write(to: URL(fileURLWithPath: clean))
        try Data(bytes.dropLast(2) + [0x00, 0x11, 0x22, 0xFF, 0xD9]).write(to: URL(fileURLWithPath: junk))
        #expect(try ImageReader.read(path: junk) == ImageReader.read(path: clean))
    }

    /// The FFmpeg path (PNG, BMP) is strict for still images too.
    @Test(arguments: ["png", "bmp"])
    func truncatedImageThroughFFmpegIsAnError(_ ext: String) throws {
        let (image, _) = try Self.textured()
        let path = MediaPaths.temporary("whole.\(ext)")
        if ext == "png" {
            try image.withView { v throws(MediaError) in try ImageWriter.write(v, to: path) }
        } else {
            var bmp = bmpHeader(width: 160, height: 120, payload: 0)
            bmp += image.pixels // BGR bottom-up in a real BMP; any bytes make a valid 24-bit picture
            try Data(bmp).write(to: URL(fileURLWithPath: path))
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try ImageReader.read(path: path).width == 160)
        let cut = MediaPaths.temporary("cut.\(ext)")
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: cut))
        let error = #expect(throws: MediaError.self) { try ImageReader.read(path: cut) }
        switch error {
        case .corrupt?, .unrecognizedFormat?: break
        default: Issue.record("\(ext): got \(String(describing: error))")
        }
    }

    // MARK: Rotation

    /// Writes 4 pattern frames (64×48, white square left of centre) to an MP4 and sets its
    /// track matrix to what FFmpeg's muxer writes for `rotate=degrees` (movenc.c).
    static func rotatedClip(_ degrees: Int) throws -> String {
        let path = MediaPaths.temporary("rotated-\(degrees).mp4")
        let writer = try VideoWriter(path: path, width: 64, height: 48)
        for _ in 0..<4 { try pattern(0).withView { v throws(MediaError) in try writer.write(v) } }
        try writer.finish()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let tkhd = try #require((0..<(bytes.count - 4)).first { bytes[$0..<($0 + 4)].elementsEqual("tkhd".utf8) })
        #expect(bytes[tkhd + 4] == 0, "tkhd version 0 expected")
        let matrix = tkhd + 4 + 40
        func word(_ i: Int) -> Int32 { Int32(bitPattern: bytes[(matrix + 4 * i)..<(matrix + 4 * i + 4)].reduce(0) { $0 << 8 | UInt32($1) }) }
        #expect((0..<9).map(word) == [1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30], "identity matrix at the expected offset")
        let (a, b, c, d): (Int32, Int32, Int32, Int32)
        switch degrees {
        case 90: (a, b, c, d) = (0, 1, -1, 0)
        case 180: (a, b, c, d) = (-1, 0, 0, -1)
        default: (a, b, c, d) = (0, -1, 1, 0)
        }
        for (i, v) in [a << 16, b << 16, 0, c << 16, d << 16, 0, 0, 0, 1 << 30].enumerated() {
            for k in 0..<4 { bytes[matrix + 4 * i + k] = UInt8(truncatingIfNeeded: UInt32(bitPattern: v) >> (24 - 8 * UInt32(k))) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [90, 180, 270])
    func rotationMetadataGivesUprightFrames(_ degrees: Int) throws {
        let path = try Self.rotatedClip(degrees)
        var raw = VideoReader.Options()
        raw.autorotate = false
        let (plain, plainFrames, stored) = try readAll(path, options: raw)
        #expect(plain.rotation == 0 && plainFrames.count == 4)
        let (reader, frames, upright) = try readAll(path)
        #expect(reader.rotation == degrees)
        let (w, h) = degrees == 180 ? (64, 48) : (48, 64)
        #expect(reader.width == w && reader.height == h)
        #expect(frames.count == 4 && frames.allSatisfy { $0.width == w && $0.height == h })
        let s = try #require(stored), u = try #require(upright)
        // Each upright pixel is the stored pixel the clockwise rotation maps there (plain
        // per-pixel formulas, independent of the reader's tiled copy).
        var mismatches = 0
        for y in 0..<h {
            for x in 0..<w {
                let (sx, sy): (Int, Int)
                switch degrees {
                case 90: (sx, sy) = (y, 47 - x)
                case 180: (sx, sy) = (63 - x, 47 - y)
                default: (sx, sy) = (63 - y, x)
                }
                for ch in 0..<3 where u.pixels[(y * w + x) * 3 + ch] != s.pixels[(sy * 64 + sx) * 3 + ch] { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
        // And the direction is a player's: the square (stored at x 4..<16, y 18..<30, centre
        // (10, 24)) appears where a clockwise turn puts it.
        let cx: Int, cy: Int
        switch degrees {
        case 90: (cx, cy) = (47 - 24, 10)
        case 180: (cx, cy) = (63 - 10, 47 - 24)
        default: (cx, cy) = (24, 63 - 10)
        }
        let i = (cy * w + cx) * 3
        #expect(u.pixels[i] > 200 && u.pixels[i + 1] > 200 && u.pixels[i + 2] > 200, "\(degrees)° square centre")
    }

    @Test func frameRotationTilesCoverOddSizes() throws {
        // 70×37: not multiples of the 32-pixel tile. Pixel value encodes its position.
        let w = 70, h = 37
        var values: [UInt8] = []
        for i in 0..<(w * h * 3) {
            let pixel: Int = i / 3
            values.append(UInt8(truncatingIfNeeded: pixel &* 7 &+ i % 3))
        }
        let source = try Image(width: w, height: h, format: .rgb8, pixels: values)
        for degrees in [90, 180, 270] {
            let (dw, dh) = degrees == 180 ? (w, h) : (h, w)
            var out = try Image(width: dw, height: dh, format: .rgb8)
            source.withView { s in out.withMutableView { d in FrameRotation.rotate(s, clockwise: degrees, into: d) } }
            for y in 0..<dh {
                for x in 0..<dw {
                    let (sx, sy) = degrees == 90 ? (y, h - 1 - x) : degrees == 180 ? (w - 1 - x, h - 1 - y) : (w - 1 - y, x)
                    #expect(out.pixels[(y * dw + x) * 3 + 1] == source.pixels[(sy * w + sx) * 3 + 1])
                }
            }
        }
    }

    // MARK: Timing and size changes

    @Test(arguments: ["mkv", "mp4"])
    func variableFrameRateKeepsItsTiming(_ ext: String) throws {
        // Gaps of 33 ms to 650 ms, as a phone's VFR clip or a dropping camera gives.
        let times = [0.0, 0.033, 0.1, 0.15, 0.5, 0.55, 1.2, 1.233]
        let first = MediaPaths.temporary("vfr-source.\(ext)")
        let writer = try VideoWriter(path: first, width: 64, height: 48)
        for (k, t) in times.enumerated() { try pattern(k % 12).withView { v throws(MediaError) in try writer.write(v, timestamp: t) } }
        try writer.finish()
        let source = try readAll(first)
        // 1 ms: the container's time base (mkv: 1 ms; mp4: the writer's 1/30000 s).
        #expect(source.frames.count == times.count)
        for (frame, t) in zip(source.frames, times) { #expect(abs(frame.timestamp - t) <= 0.001, "\(ext): \(frame.timestamp) vs \(t)") }

        // Re-encoding with the reader's timestamps (what `ferdemo --output` does) keeps them.
        let copy = MediaPaths.temporary("vfr-copy.\(ext)")
        let reader = try VideoReader(path: first)
        let out = try VideoWriter(path: copy, width: reader.width, height: reader.height)
        let buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        while let info = try reader.nextFrame(into: buffer) { try out.write(buffer.view, timestamp: info.timestamp) }
        try out.finish()
        let copied = try readAll(copy)
        #expect(copied.frames.count == times.count)
        for (frame, t) in zip(copied.frames, times) { #expect(abs(frame.timestamp - t) <= 0.002, "\(ext) copy: \(frame.timestamp) vs \(t)") }
    }

    @Test func timestampsThatGoBackwardsAreMovedForward() throws {
        let path = MediaPaths.temporary("backwards.mkv")
        let writer = try VideoWriter(path: path, width: 64, height: 48)
        for t in [0.0, 0.5, 0.5, 0.2, .nan, 0.6] { try pattern(0).withView { v throws(MediaError) in try writer.write(v, timestamp: t) } }
        try writer.finish()
        let frames = try readAll(path).frames
        #expect(frames.count == 6)
        // Strictly increasing, the given times kept where they were in order.
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
        #expect(abs(frames[1].timestamp - 0.5) <= 0.001 && abs(frames[5].timestamp - 0.6) <= 0.001)
    }

    /// Two JPEG sizes in one MJPEG stream: every frame comes at the first size (the smaller
    /// one centred, aspect kept, black bars), and a writer takes them all.
    @Test func sizeChangeMidStreamKeepsTheFirstSize() throws {
        var stream: [UInt8] = []
        for (k, size) in [(64, 48), (64, 48), (32, 32), (128, 48), (64, 48)].enumerated() {
            let path = MediaPaths.temporary("part-\(k).jpg")
            let image = try Image(width: size.0, height: size.1, format: .rgb8, repeating: 200)
            try image.withView { v throws(MediaError) in try ImageWriter.write(v, to: path) }
            stream += [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        let path = MediaPaths.temporary("sizes.mjpeg")
        try Data(stream).write(to: URL(fileURLWithPath: path))
        let reader = try VideoReader(path: path)
        #expect(reader.width == 64 && reader.height == 48)
        let out = try VideoWriter(path: MediaPaths.temporary("sizes.mkv"), width: reader.width, height: reader.height)
        let buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        var count = 0
        while try reader.nextFrame(into: buffer) != nil {
            #expect(buffer.width == 64 && buffer.height == 48)
            let p = Image(buffer.view).pixels
            func at(_ x: Int, _ y: Int) -> Int { Int(p[(y * 64 + x) * 3]) }
            switch count {
            case 2:
                // 32×32 → 48×48 centred: columns 8..<56 are the picture, the rest black.
                #expect(at(2, 24) == 0 && at(61, 24) == 0 && abs(at(32, 24) - 200) <= 3)
            case 3:
                // 128×48 → 64×24 centred: rows 12..<36 are the picture.
                #expect(at(32, 2) == 0 && at(32, 45) == 0 && abs(at(32, 24) - 200) <= 3)
            default:
                #expect(abs(at(2, 24) - 200) <= 3) // JPEG of a flat grey: within 3 levels
            }
            try out.write(buffer.view)
            count += 1
        }
        try out.finish()
        #expect(count == 5)
        #expect(reader.resizedFrameCount == 2)
    }

    /// Debian's libswscale 6.7 stores 16 RGB24 pixels at a time when it converts 4:2:0 and
    /// 4:2:2 pictures, up to 45 bytes past a row's last pixel: into the heap after a tightly
    /// packed destination (the `jpeg` fuzz target's heap corruption) or, for a letterboxed
    /// frame, over the black margin. A 6-pixel-wide colour JPEG frame after a 64×48 one is
    /// converted without scaling into columns 29..<35; every other column must stay black.
    /// (Tests/Fixtures/media/narrow420.jpg is 4:2:0, flat RGB (220, 120, 40).)
    @Test func narrowFrameLeavesTheMarginBlack() throws {
        let first = MediaPaths.temporary("narrow-first.jpg")
        let wide = try Image(width: 64, height: 48, format: .rgb8, repeating: 90)
        try wide.withView { v throws(MediaError) in try ImageWriter.write(v, to: first) }
        // The narrow frame is cv2's (Tools/make_image_fixtures.py): ImageWriter writes 4:4:4,
        // which swscale converts without overshooting.
        let stream =
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: first)))
            + [UInt8](try Data(contentsOf: URL(fileURLWithPath: MediaPaths.fixture("media/narrow420.jpg"))))
        let path = MediaPaths.temporary("narrow.mjpeg")
        try Data(stream).write(to: URL(fileURLWithPath: path))
        let reader = try VideoReader(path: path)
        let buffer = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        _ = try reader.nextFrame(into: buffer)
        #expect(try reader.nextFrame(into: buffer) != nil)
        let p = Image(buffer.view).pixels
        var touched = 0
        for y in 0..<48 {
            for x in 0..<64 where x < 29 || x >= 35 { if p[(y * 64 + x) * 3..<(y * 64 + x) * 3 + 3].contains(where: { $0 != 0 }) { touched += 1 } }
        }
        #expect(touched == 0, "\(touched) margin pixels written")
        #expect(abs(Int(p[(24 * 64 + 31) * 3]) - 220) <= 6)
    }
}
