import Testing

@_spi(Kernels) @testable import FERCore

@Suite struct DrawingTests {
    func pixel(_ img: Image, _ x: Int, _ y: Int) -> [UInt8] {
        let i = (y * img.width + x) * 3
        return Array(img.pixels[i..<i + 3])
    }

    @Test func boxCoversExactlyItsOutline() throws {
        var img = try Image(width: 20, height: 16, format: .rgb8, repeating: 10)
        img.withMutableView { v in Canvas(v).drawBox(x: 3, y: 2, width: 10, height: 8, color: .red, thickness: 2) }
        for y in 0..<16 {
            for x in 0..<20 {
                let inside = x >= 3 && x < 13 && y >= 2 && y < 10
                let interior = x >= 5 && x < 11 && y >= 4 && y < 8
                let expected: [UInt8] = inside && !interior ? [255, 0, 0] : [10, 10, 10]
                #expect(pixel(img, x, y) == expected, "(\(x), \(y))")
            }
        }
    }

    @Test func clippingNeverWritesOutside() throws {
        var img = try Image(width: 8, height: 8, format: .rgb8)
        img.withMutableView { v in
            let c = Canvas(v)
            c.drawBox(x: -5, y: -5, width: 100, height: 100, color: .white, thickness: 3)
            c.drawText("Hello", x: 6, y: 6, color: .green, scale: 3)
            c.drawDot(x: -1, y: 9, radius: 3, color: .blue)
            c.drawBar(x: 4, y: 4, width: 100, height: 100, fraction: 2, color: .yellow)
        }
        #expect(img.pixels.count == 8 * 8 * 3)
    }

    /// The glyph "H" at scale 1: two full verticals and the bar on row 3.
    @Test func labelPixelsFollowTheFont() throws {
        var img = try Image(width: 12, height: 9, format: .rgb8)
        img.withMutableView { v in Canvas(v).drawText("H", x: 1, y: 1, color: .white) }
        for gy in 0..<7 {
            for gx in 0..<5 {
                let on = gx == 0 || gx == 4 || gy == 3
                #expect(pixel(img, 1 + gx, 1 + gy) == (on ? [255, 255, 255] : [0, 0, 0]), "(\(gx), \(gy))")
            }
        }
        #expect(BitmapFont.size(of: "Hi", scale: 2) == (22, 14))
        #expect(BitmapFont.rows.count == 95 * 7)
    }

    @Test func labelWithBackgroundAndScale() throws {
        var img = try Image(width: 30, height: 20, format: .rgb8)
        img.withMutableView { v in Canvas(v).drawText("I", x: 4, y: 4, color: .white, scale: 2, background: .blue) }
        // Background: one scaled pixel of padding around the 10x14 cell.
        #expect(pixel(img, 2, 2) == [0, 0, 255])
        #expect(pixel(img, 4, 4) == [0, 0, 255]) // "I" row 0 is .###. : column 0 off
        #expect(pixel(img, 6, 4) == [255, 255, 255]) // column 1 on, scaled x2
        #expect(pixel(img, 9, 5) == [255, 255, 255])
        #expect(pixel(img, 1, 1) == [0, 0, 0]) // outside the padding
    }

    @Test func alphaBlendsHalfway() throws {
        var img = try Image(width: 2, height: 1, format: .rgb8, repeating: 0)
        img.withMutableView { v in Canvas(v).fillRect(x: 0, y: 0, width: 1, height: 1, color: Color.white.withAlpha(128)) }
        // 255 * 128 / 255 = 128 exactly.
        #expect(pixel(img, 0, 0) == [128, 128, 128])
        #expect(pixel(img, 1, 0) == [0, 0, 0])
    }

    @Test func barFillsFraction() throws {
        var img = try Image(width: 10, height: 1, format: .rgb8)
        img.withMutableView { v in Canvas(v).drawBar(x: 0, y: 0, width: 10, height: 1, fraction: 0.3, color: .green, track: .white) }
        #expect((0..<10).map { pixel(img, $0, 0) == [0, 255, 0] } == [true, true, true] + Array(repeating: false, count: 7))
        #expect(pixel(img, 5, 0) == [255, 255, 255])
    }

    @Test func dotIsRoundAndCentred() throws {
        var img = try Image(width: 9, height: 9, format: .rgb8)
        img.withMutableView { v in Canvas(v).drawDot(x: 4, y: 4, radius: 2, color: .red) }
        #expect(pixel(img, 4, 4) == [255, 0, 0])
        #expect(pixel(img, 6, 4) == [255, 0, 0] && pixel(img, 4, 2) == [255, 0, 0])
        #expect(pixel(img, 6, 6) == [0, 0, 0]) // corner of the square stays clear
        #expect(pixel(img, 7, 4) == [0, 0, 0])
    }
}
