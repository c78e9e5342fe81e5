import FERCore
import FERDemoSupport
import Testing

/// The parsers of user text behind ferdemo's options (FERDemoSupport/UserText.swift).
@Suite struct UserTextTests {
    @Test func counts() throws {
        #expect(try UserText.count("7", option: "--x", in: 1...10) == 7)
        #expect(try UserText.count(" +7 ", option: "--x", in: 1...10) == 7)
        #expect(throws: UserTextError.outOfRange(option: "--x", text: "0", range: "1...10")) { try UserText.count("0", option: "--x", in: 1...10) }
        // Too large for Int: out of range, not a trap and not "not a number".
        #expect(throws: UserTextError.outOfRange(option: "--x", text: "9223372036854775808", range: "at least 1")) {
            try UserText.count("9223372036854775808", option: "--x", in: 1...Int.max)
        }
        #expect(throws: UserTextError.outOfRange(option: "--x", text: "9223372036854775807", range: "1...10")) {
            try UserText.count("9223372036854775807", option: "--x", in: 1...10)
        }
        for bad in ["1.5", "abc", "--3", "0x10", "1e3", "-"] {
            #expect(throws: UserTextError.self, "\(bad)") { try UserText.count(bad, option: "--x", in: 0...10) }
        }
        #expect(throws: UserTextError.empty(option: "--x", expected: "a whole number in 0...10")) { try UserText.count("  ", option: "--x", in: 0...10) }
    }

    @Test func seconds() throws {
        #expect(try UserText.seconds("2.5", option: "--s", in: 0...3600) == 2.5)
        #expect(try UserText.seconds("1e-3", option: "--s", in: 0...3600) == 0.001)
        for bad in ["nan", "NaN", "inf", "-inf", "infinity", "0x1p3", "", "1e999", "--1", "1,5"] {
            #expect(throws: UserTextError.self, "\(bad)") { try UserText.seconds(bad, option: "--s", in: 0...3600) }
        }
        #expect(throws: UserTextError.notFinite(option: "--s", text: "1e999", expected: "seconds in 0...3600")) {
            try UserText.seconds("1e999", option: "--s", in: 0...3600)
        }
        #expect(throws: UserTextError.outOfRange(option: "--s", text: "-1", range: "0...3600")) {
            try UserText.seconds("-1", option: "--s", in: 0...3600)
        }
    }

    @Test func checksOfParsedValues() throws {
        #expect(throws: UserTextError.notFinite(option: "--s", text: "nan", expected: "a number in 0...3600")) {
            try UserText.check(Double.nan, option: "--s", in: 0...3600)
        }
        #expect(throws: UserTextError.self) { try UserText.check(Double.infinity, option: "--s", in: 0...3600) }
        #expect(throws: UserTextError.outOfRange(option: "--t", text: "\(Int.max)", range: "1...256")) {
            try UserText.check(Int.max, option: "--t", in: 1...256)
        }
        try UserText.check(256, option: "--t", in: 1...256)
        try UserText.check(0.5, option: "--u", in: 0...1)
    }

    @Test func boxes() throws {
        #expect(try UserText.box("120,80,64,78", option: "--b") == PixelBox(x: 120, y: 80, width: 64, height: 78))
        #expect(try UserText.box(" -5.5 , 0 ,1, 1.25 ", option: "--b") == PixelBox(x: -5.5, y: 0, width: 1, height: 1.25))
        let malformed = ["", "1,2,3", "1,2,3,4,5", ",,,", "1,,3,4", "a,b,c,d", "nan,1,2,3", "1,2,inf,4", "0x10,1,2,3"]
        for text in malformed {
            #expect(throws: UserTextError.self, "'\(text)'") { try UserText.box(text, option: "--b") }
        }
        // Values that used to reach an Int conversion and trap.
        #expect(throws: UserTextError.outOfRange(option: "--b", text: "0,0,1e300,1e300", range: "within ±1000000 px")) {
            try UserText.box("0,0,1e300,1e300", option: "--b")
        }
        #expect(throws: UserTextError.outOfRange(option: "--b", text: "1,2,0,4", range: "a box whose width and height are at least 1 px")) {
            try UserText.box("1,2,0,4", option: "--b")
        }
        #expect(
            UserTextError.malformed(option: "--init-box", text: "1,2,3", expected: "four numbers x,y,w,h in pixels (e.g. 120,80,64,78)")
                .description == "--init-box '1,2,3': expected four numbers x,y,w,h in pixels (e.g. 120,80,64,78).")
    }

    @Test func sizes() throws {
        #expect(try UserText.size("640x480", option: "--c", sides: 1...16384) == PixelSize(width: 640, height: 480))
        #expect(try UserText.size("1280X720", option: "--c", sides: 1...16384) == PixelSize(width: 1280, height: 720))
        #expect(try UserText.size("320×240", option: "--c", sides: 1...16384) == PixelSize(width: 320, height: 240))
        for bad in ["", "640", "640x", "x480", "640x480x3", "-640x480", "abc", "0x0", "99999999999999999999x1", "640.5x480"] {
            #expect(throws: UserTextError.self, "'\(bad)'") { try UserText.size(bad, option: "--c", sides: 1...16384) }
        }
    }

    @Test func inputSpecs() {
        #expect(InputSpec("0") == .cameraIndex(0))
        #expect(InputSpec("12") == .cameraIndex(12))
        #expect(InputSpec("/dev/video3") == .camera("/dev/video3"))
        #expect(InputSpec("/dev/null") == .camera("/dev/null")) // a character device
        #expect(InputSpec("clip.mp4", isCharacterDevice: { _ in false }) == .path("clip.mp4"))
        #expect(InputSpec("-1", isCharacterDevice: { _ in false }) == .path("-1"))
        #expect(InputSpec("", isCharacterDevice: { _ in true }) == .path(""))
        // All digits but beyond Int: a file name, not a trap.
        #expect(InputSpec("99999999999999999999", isCharacterDevice: { _ in false }) == .path("99999999999999999999"))
    }

    /// Every parser on many generated strings: a parser either returns a value that meets its
    /// contract or throws a UserTextError; none traps. (A seeded sweep in the unit tests; the
    /// fuzz targets explore further.)
    @Test func generatedTextNeverTraps() {
        let alphabet = Array("0123456789.,-+eExX× naif\t")
        var generator = SplitMix64(seed: 0x5EED_F00D)
        func next() -> UInt64 { generator.next() }
        for _ in 0..<20_000 {
            let length = Int(next() % 24)
            let text = String((0..<length).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] })
            if let b = try? UserText.box(text, option: "--b") {
                #expect(b.width >= 1 && b.height >= 1 && [b.x, b.y, b.width, b.height].allSatisfy { $0.isFinite && abs($0) <= 1e6 }, "\(text)")
            }
            if let s = try? UserText.size(text, option: "--c", sides: 1...16384) {
                #expect((1...16384).contains(s.width) && (1...16384).contains(s.height), "\(text)")
            }
            if let v = try? UserText.seconds(text, option: "--s", in: 0...3600) {
                #expect(v.isFinite && (0...3600).contains(v), "\(text)")
            }
            if let c = try? UserText.count(text, option: "--n", in: -5...5) {
                #expect((-5...5).contains(c), "\(text)")
            }
            _ = InputSpec(text, isCharacterDevice: { _ in false })
        }
    }
}
