import FERCore
import Foundation
import Testing

@testable import FERMedia

@Suite struct ImageIOTests {
    /// PNG and BMP are lossless, and JPEGs are decoded by libjpeg-turbo with its defaults,
    /// as cv2.imread does: all three give exactly cv2.imread's pixels.
    @Test(arguments: [("png", 0), ("bmp", 0), ("jpg", 0)])
    func readsLikeOpenCV(_ ext: String, _ tolerance: Int) throws {
        let expected = try MediaPaths.expected().uint8s(ext).values
        let img = try ImageReader.read(path: MediaPaths.fixture("media/pattern.\(ext)"))
        #expect(img.width == 64 && img.height == 48 && img.format == .rgb8)
        let d = pixelDiff(img.pixels, expected)
        #expect(d.max <= tolerance, "\(ext): \(d)")
    }

    /// A truncated or corrupt JPEG is a typed error from libjpeg, never a crash.
    @Test func corruptJPEGIsATypedError() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: MediaPaths.fixture("media/pattern.jpg")))
        let path = MediaPaths.temporary("cut.jpg")
        try data.prefix(40).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: MediaError.self) { try ImageReader.read(path: path) }
        guard case .corrupt(let p, _)? = error else { Issue.record("expected .corrupt, got \(String(describing: error))"); return }
        #expect(p == path)
    }

    @Test func pngRoundTripIsExact() throws {
        let img = try pattern(3)
        let path = MediaPaths.temporary("roundtrip.png")
        try img.withView { v throws(MediaError) in try ImageWriter.write(v, to: path) }
        #expect(try ImageReader.read(path: path) == img)
    }

    /// JPEG at q-scale 2: flat areas within a few levels; edges ring (tolerance on the mean).
    @Test func jpegRoundTripIsClose() throws {
        let img = try pattern(5)
        let path = MediaPaths.temporary("roundtrip.jpg")
        try img.withView { v throws(MediaError) in try ImageWriter.write(v, to: path) }
        let back = try ImageReader.read(path: path)
        let d = pixelDiff(back.pixels, img.pixels)
        #expect(d.mean < 3, "\(d)")
    }

    @Test func grayPNGWritesAndReadsAsRGB() throws {
        let gray = try Image(width: 5, height: 3, format: .gray8, pixels: (0..<15).map { UInt8($0 * 17) })
        let path = MediaPaths.temporary("gray.png")
        try gray.withView { v throws(MediaError) in try ImageWriter.write(v, to: path) }
        let back = try ImageReader.read(path: path)
        #expect(back.format == .rgb8)
        for i in 0..<15 { #expect(back.pixels[3 * i] == gray.pixels[i] && back.pixels[3 * i + 2] == gray.pixels[i]) }
    }

    @Test func unsupportedExtension() throws {
        let img = try Image(width: 2, height: 2, format: .rgb8)
        #expect(throws: MediaError.unsupportedContainer(path: "/tmp/x.gif", fileExtension: "gif")) {
            try img.withView { v throws(MediaError) in try ImageWriter.write(v, to: "/tmp/x.gif") }
        }
    }

    /// A 0x0 BMP header: a clear error, no crash.
    @Test func zeroSizeImage() throws {
        let path = MediaPaths.temporary("zero.bmp")
        _ = FileManager.default.createFile(atPath: path, contents: Data(bmpHeader(width: 0, height: 0, payload: 0)))
        #expect(throws: MediaError.self) { try ImageReader.read(path: path) }
    }

    /// A 20000x20000 BMP header (1.2 GB as RGB) with 64 bytes of data: refused before any
    /// large allocation (ImageLimits.maximumPixels is 100 MP).
    @Test func hugeImageIsRefused() throws {
        let path = MediaPaths.temporary("huge.bmp")
        _ = FileManager.default.createFile(atPath: path, contents: Data(bmpHeader(width: 20000, height: 20000, payload: 64)))
        #expect {
            try ImageReader.read(path: path)
        } throws: { error in
            guard let e = error as? MediaError else { return false }
            switch e {
            case .badImageSize(_, .tooLarge): return true
            case .corrupt, .unrecognizedFormat: return true // FFmpeg's own max_pixels check got there first
            default: return false
            }
        }
    }

    @Test func folderSourceIsSortedAndOptionallyRecursive() throws {
        let dir = MediaPaths.temporary("folder-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        for (k, name) in ["b_2.png", "a_1.png", "sub/c_3.png", "notes.txt"].enumerated() {
            if name.hasSuffix(".txt") {
                _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data("x".utf8))
                continue
            }
            try pattern(k).withView { v throws(MediaError) in try ImageWriter.write(v, to: dir + "/" + name) }
        }
        let flat = try ImageFolderSource(folder: dir)
        #expect(flat.paths.map { ($0 as NSString).lastPathComponent } == ["a_1.png", "b_2.png"])
        var options = ImageFolderSource.Options()
        options.recursive = true
        let deep = try ImageFolderSource(folder: dir, options: options)
        #expect(deep.paths.count == 3)
        let frame = try ImageBuffer(width: 1, height: 1, format: .rgb8)
        var seen: [Int] = []
        while let info = try deep.nextFrame(into: frame) {
            seen.append(info.index)
            #expect(frame.width == 64 && frame.height == 48)
        }
        #expect(seen == [0, 1, 2])
        #expect(throws: MediaError.fileNotFound(path: dir + "/missing")) { try ImageFolderSource(folder: dir + "/missing") }
    }
}
