import Testing

@_spi(Kernels) @testable import FERCore

/// Fixture helpers: Tests/Fixtures/image/image_ops.safetensors (Tools/make_image_fixtures.py).
enum ImageFixtures {
    static func file() throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: Paths.fixture("image/image_ops.safetensors"))
    }

    /// A U8 tensor as an image (HxW → gray, HxWx3 → RGB).
    static func image(_ file: SafeTensorsFile, _ name: String) throws -> Image {
        let (shape, values) = try file.uint8s(name)
        let format: PixelFormat = shape.count == 3 && shape[2] == 3 ? .rgb8 : .gray8
        return try Image(width: shape[1], height: shape[0], format: format, pixels: values)
    }
}

/// Counts differing bytes and the largest difference.
func byteDiff(_ a: [UInt8], _ b: [UInt8]) -> (count: Int, max: Int) {
    guard a.count == b.count else { return (Int.max, Int.max) }
    var count = 0, m = 0
    for i in a.indices where a[i] != b[i] {
        count += 1
        m = max(m, abs(Int(a[i]) - Int(b[i])))
    }
    return (count, m)
}

@Suite struct ResizeTests {
    struct Case: CustomStringConvertible {
        var index: Int, source: String, width: Int, height: Int, interpolation: Interpolation
        var description: String { "resize.\(index) \(source) -> \(width)x\(height) \(interpolation)" }
    }

    static func cases(_ file: SafeTensorsFile) -> [Case] {
        (file.metadata["fercore.resize"] ?? "").split(separator: ";").compactMap { item in
            let f = item.split(separator: " ").map(String.init)
            guard f.count == 5, let k = Int(f[0]), let w = Int(f[2]), let h = Int(f[3]) else { return nil }
            return Case(index: k, source: f[1], width: w, height: h, interpolation: f[4] == "area" ? .area : .linear)
        }
    }

    /// Every case must equal cv2.resize byte for byte (the issue allows 1 grey level; the
    /// implementation follows OpenCV's fixed-point arithmetic exactly, so we hold it to 0).
    @Test func matchesOpenCVExactly() throws {
        let file = try ImageFixtures.file()
        let cases = Self.cases(file)
        #expect(cases.count == 20)
        let resizer = Resizer()
        for c in cases {
            let src = try ImageFixtures.image(file, "src.\(c.source)")
            let expected = try ImageFixtures.image(file, "resize.\(c.index)")
            var out = try Image(width: c.width, height: c.height, format: src.format)
            try src.withView { s in try out.withMutableView { d in try resizer.resize(s, into: d, interpolation: c.interpolation) } }
            let diff = byteDiff(out.pixels, expected.pixels)
            #expect(diff.count == 0, "\(c): \(diff.count) bytes differ, max \(diff.max)")
        }
    }

    /// A strided crop resizes like the same pixels copied out tightly.
    @Test func stridedCropEqualsCopy() throws {
        let file = try ImageFixtures.file()
        let src = try ImageFixtures.image(file, "src.astronaut")
        let resizer = Resizer()
        var fromView = try Image(width: 33, height: 29, format: .rgb8)
        var fromCopy = fromView
        try src.withView { s in
            let crop = try s.cropped(x: 17, y: 9, width: 70, height: 61)
            let copy = Image(crop)
            try fromView.withMutableView { d in try resizer.resize(crop, into: d) }
            try copy.withView { c in try fromCopy.withMutableView { d in try resizer.resize(c, into: d) } }
        }
        #expect(fromView == fromCopy)
    }

    @Test func rejectsFormatMismatch() throws {
        let src = try Image(width: 4, height: 4, format: .rgb8)
        var dst = try Image(width: 2, height: 2, format: .gray8)
        #expect(throws: ImageError.wrongFormat(expected: .rgb8, actual: .gray8)) {
            try src.withView { s in try dst.withMutableView { d in try Resizer().resize(s, into: d) } }
        }
    }
}
