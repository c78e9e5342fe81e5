import Testing

@_spi(Kernels) @testable import FERCore

@Suite struct ColorConversionTests {
    /// RGB → gray must equal cv2.cvtColor(COLOR_RGB2GRAY) exactly (same fixed-point weights).
    @Test(arguments: ["astronaut", "noise3"])
    func grayMatchesOpenCV(_ name: String) throws {
        let file = try ImageFixtures.file()
        let src = try ImageFixtures.image(file, "src.\(name)")
        let expected = try ImageFixtures.image(file, "gray.\(name)")
        var out = try Image(width: src.width, height: src.height, format: .gray8)
        try src.withView { s in try out.withMutableView { d in try ColorConversion.rgbToGray(s, into: d) } }
        #expect(byteDiff(out.pixels, expected.pixels).count == 0)
    }

    /// YUYV → RGB must equal cv2.cvtColor(COLOR_YUV2RGB_YUYV) exactly.
    @Test func yuyvMatchesOpenCV() throws {
        let file = try ImageFixtures.file()
        let (shape, input) = try file.uint8s("yuyv.in")
        let expected = try ImageFixtures.image(file, "yuyv.rgb")
        var out = try Image(width: shape[1], height: shape[0], format: .rgb8)
        try input.withUnsafeBufferPointer { p in
            try out.withMutableView { d in try ColorConversion.yuyvToRGB(p.baseAddress!, rowBytes: 2 * shape[1], into: d) }
        }
        #expect(byteDiff(out.pixels, expected.pixels).count == 0)
    }

    /// NV12 → RGB must equal cv2.cvtColor(COLOR_YUV2RGB_NV12) exactly.
    @Test func nv12MatchesOpenCV() throws {
        let file = try ImageFixtures.file()
        let (shape, input) = try file.uint8s("nv12.in")
        let expected = try ImageFixtures.image(file, "nv12.rgb")
        let width = shape[1], height = shape[0] * 2 / 3
        var out = try Image(width: width, height: height, format: .rgb8)
        try input.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            try out.withMutableView { d in
                try ColorConversion.nv12ToRGB(
                    luma: base, lumaRowBytes: width, chroma: base + width * height,
                    chromaRowBytes: width, into: d)
            }
        }
        #expect(byteDiff(out.pixels, expected.pixels).count == 0)
    }

    @Test func grayRoundTripKeepsLuma() throws {
        let gray = try Image(width: 3, height: 2, format: .gray8, pixels: [0, 1, 127, 128, 254, 255])
        var rgb = try Image(width: 3, height: 2, format: .rgb8)
        var back = gray
        try gray.withView { g in try rgb.withMutableView { d in try ColorConversion.grayToRGB(g, into: d) } }
        try rgb.withView { r in try back.withMutableView { d in try ColorConversion.rgbToGray(r, into: d) } }
        #expect(back == gray)
    }

    @Test func rejectsOddYUYVWidth() throws {
        var out = try Image(width: 3, height: 1, format: .rgb8)
        let bytes: [UInt8] = [0, 0, 0, 0, 0, 0]
        #expect(throws: ImageError.self) {
            try bytes.withUnsafeBufferPointer { p in
                try out.withMutableView { d in try ColorConversion.yuyvToRGB(p.baseAddress!, rowBytes: 6, into: d) }
            }
        }
    }
}
