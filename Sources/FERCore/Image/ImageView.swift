/// The pixel layouts FERCore's image code handles.
public enum PixelFormat: Sendable, Hashable, CustomStringConvertible {
    /// One byte per pixel, luma.
    case gray8
    /// Three bytes per pixel, R, G, B.
    case rgb8

    /// Bytes (channels) per pixel.
    public var channels: Int {
        switch self {
        case .gray8: return 1
        case .rgb8: return 3
        }
    }

    public var description: String { self == .gray8 ? "Gray8" : "RGB8" }
}

/// Limits that protect against absurd image sizes.
public enum ImageLimits {
    /// The largest image, in pixels, FERCore allocates (100 megapixels, ~300 MB as RGB8):
    /// larger requests throw ``ImageError/tooLarge(width:height:limit:)`` instead of
    /// exhausting memory.
    public static let maximumPixels = 100_000_000
}

/// Why an image could not be created or used.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// Width or height is zero or negative.
    case empty(width: Int, height: Int)
    /// Width × height exceeds ``ImageLimits/maximumPixels``.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// A byte array does not match the stated size and format.
    case sizeMismatch(expected: Int, actual: Int)
    /// A crop rectangle lies (partly) outside the image.
    case cropOutside(x: Int, y: Int, width: Int, height: Int, imageWidth: Int, imageHeight: Int)
    /// The operation needs another pixel format.
    case wrongFormat(expected: PixelFormat, actual: PixelFormat)

    public var description: String {
        switch self {
        case let .empty(w, h):
            return "Image of \(w)x\(h) pixels is empty; width and height must both be at least 1."
        case let .tooLarge(w, h, limit):
            return "Image of \(w)x\(h) pixels exceeds FERCore's limit of \(limit / 1_000_000) megapixels; downscale it first."
        case let .sizeMismatch(expected, actual):
            return "Image data holds \(actual) bytes but its size and format need \(expected)."
        case let .cropOutside(x, y, w, h, iw, ih):
            return "Crop \(w)x\(h) at (\(x), \(y)) is not inside the \(iw)x\(ih) image; clamp the rectangle to the image first."
        case let .wrongFormat(expected, actual):
            return "This operation needs a \(expected) image but was given \(actual); convert it first."
        }
    }

    /// Checks that a crop rectangle lies inside a `imageWidth × imageHeight` image.
    static func checkCrop(x: Int, y: Int, width w: Int, height h: Int, imageWidth: Int, imageHeight: Int) throws(ImageError) {
        guard w > 0, h > 0, x >= 0, y >= 0, x + w <= imageWidth, y + h <= imageHeight else {
            throw .cropOutside(x: x, y: y, width: w, height: h, imageWidth: imageWidth, imageHeight: imageHeight)
        }
    }

    /// Validates a size against the limits.
    public static func check(width: Int, height: Int) throws(ImageError) {
        guard width > 0, height > 0 else { throw .empty(width: width, height: height) }
        guard width <= ImageLimits.maximumPixels / height else {
            throw .tooLarge(width: width, height: height, limit: ImageLimits.maximumPixels)
        }
    }
}

/// A read-only, non-owning view of 8-bit pixels with a row stride, so that a crop
/// is a view, not a copy. Valid only while the memory it points to is.
public struct ImageView {
    /// First byte of the top-left pixel.
    public let base: UnsafePointer<UInt8>
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Bytes from one row to the next (at least `width · channels`).
    public let rowBytes: Int
    /// The pixel layout.
    public let format: PixelFormat

    /// Creates a view; `rowBytes` defaults to tightly packed rows.
    public init(base: UnsafePointer<UInt8>, width: Int, height: Int, rowBytes: Int? = nil, format: PixelFormat) {
        self.base = base
        self.width = width
        self.height = height
        self.rowBytes = rowBytes ?? width * format.channels
        self.format = format
    }

    /// Bytes per pixel.
    @inline(__always) public var channels: Int { format.channels }

    /// The first byte of row `y`.
    @inline(__always) public func row(_ y: Int) -> UnsafePointer<UInt8> { base + y * rowBytes }

    /// The byte of channel `c` of pixel (`x`, `y`).
    @inline(__always) public subscript(x: Int, y: Int, c: Int) -> UInt8 { base[y * rowBytes + x * format.channels + c] }

    /// A view of the rectangle, sharing memory with this one.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) throws(ImageError) -> ImageView {
        try ImageError.checkCrop(x: x, y: y, width: w, height: h, imageWidth: width, imageHeight: height)
        return ImageView(base: base + y * rowBytes + x * channels, width: w, height: h, rowBytes: rowBytes, format: format)
    }
}

/// A writable, non-owning view of 8-bit pixels with a row stride.
public struct MutableImageView {
    /// First byte of the top-left pixel.
    public let base: UnsafeMutablePointer<UInt8>
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Bytes from one row to the next.
    public let rowBytes: Int
    /// The pixel layout.
    public let format: PixelFormat

    /// Creates a view; `rowBytes` defaults to tightly packed rows.
    public init(base: UnsafeMutablePointer<UInt8>, width: Int, height: Int, rowBytes: Int? = nil, format: PixelFormat) {
        self.base = base
        self.width = width
        self.height = height
        self.rowBytes = rowBytes ?? width * format.channels
        self.format = format
    }

    /// Bytes per pixel.
    @inline(__always) public var channels: Int { format.channels }

    /// The first byte of row `y`.
    @inline(__always) public func row(_ y: Int) -> UnsafeMutablePointer<UInt8> { base + y * rowBytes }

    /// The same pixels, read-only.
    public var readOnly: ImageView { ImageView(base: base, width: width, height: height, rowBytes: rowBytes, format: format) }

    /// A writable view of the rectangle, sharing memory with this one.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) throws(ImageError) -> MutableImageView {
        try ImageError.checkCrop(x: x, y: y, width: w, height: h, imageWidth: width, imageHeight: height)
        return MutableImageView(base: base + y * rowBytes + x * channels, width: w, height: h, rowBytes: rowBytes, format: format)
    }
}

/// An owning, reusable pixel buffer: the frame storage of a stream. Changing its
/// size reallocates only when the new image needs more bytes than it holds.
public final class ImageBuffer {
    /// Width in pixels.
    public private(set) var width: Int
    /// Height in pixels.
    public private(set) var height: Int
    /// The pixel layout.
    public private(set) var format: PixelFormat
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int

    /// Allocates a zeroed buffer.
    public init(width: Int, height: Int, format: PixelFormat) throws(ImageError) {
        try ImageError.check(width: width, height: height)
        self.width = width
        self.height = height
        self.format = format
        capacity = width * height * format.channels
        storage = .allocate(capacity: capacity)
        storage.initialize(repeating: 0, count: capacity)
    }

    deinit { storage.deallocate() }

    /// Bytes per row (tightly packed).
    public var rowBytes: Int { width * format.channels }

    /// Re-shapes the buffer, keeping its memory when it is large enough.
    /// Pixel contents are unspecified afterwards.
    public func reshape(width: Int, height: Int, format: PixelFormat) throws(ImageError) {
        try ImageError.check(width: width, height: height)
        let needed = width * height * format.channels
        if needed > capacity {
            storage.deallocate()
            storage = .allocate(capacity: needed)
            storage.initialize(repeating: 0, count: needed)
            capacity = needed
        }
        self.width = width
        self.height = height
        self.format = format
    }

    /// A read-only view of the whole buffer.
    public var view: ImageView { ImageView(base: storage, width: width, height: height, format: format) }

    /// A writable view of the whole buffer.
    public var mutableView: MutableImageView { MutableImageView(base: storage, width: width, height: height, format: format) }
}

/// An owning image value (copy-on-write bytes), convenient at API boundaries and in tests.
public struct Image: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// The pixel layout.
    public let format: PixelFormat
    /// Tightly packed rows, top to bottom.
    public var pixels: [UInt8]

    /// Creates an image filled with `value`.
    public init(width: Int, height: Int, format: PixelFormat, repeating value: UInt8 = 0) throws(ImageError) {
        try ImageError.check(width: width, height: height)
        self.width = width
        self.height = height
        self.format = format
        pixels = [UInt8](repeating: value, count: width * height * format.channels)
    }

    /// Wraps existing bytes (tightly packed rows).
    public init(width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) throws(ImageError) {
        try ImageError.check(width: width, height: height)
        guard pixels.count == width * height * format.channels else {
            throw .sizeMismatch(expected: width * height * format.channels, actual: pixels.count)
        }
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    /// Copies the pixels of a view.
    public init(_ view: ImageView) {
        width = view.width
        height = view.height
        format = view.format
        var out = [UInt8](repeating: 0, count: view.width * view.height * view.channels)
        let rowLength = view.width * view.channels
        out.withUnsafeMutableBufferPointer { dst in
            guard let d = dst.baseAddress else { return }
            for y in 0..<view.height { (d + y * rowLength).update(from: view.row(y), count: rowLength) }
        }
        pixels = out
    }

    /// Calls `body` with a read-only view of the pixels.
    public func withView<R, E: Error>(_ body: (ImageView) throws(E) -> R) throws(E) -> R {
        try pixels.withUnsafeBufferPointer { (buffer) throws(E) -> R in
            // `pixels` is never empty: the initialisers reject empty sizes.
            guard let base = buffer.baseAddress else { preconditionFailure("Image has no pixels") }
            return try body(ImageView(base: base, width: width, height: height, format: format))
        }
    }

    /// Calls `body` with a writable view of the pixels.
    public mutating func withMutableView<R, E: Error>(_ body: (MutableImageView) throws(E) -> R) throws(E) -> R {
        let (w, h, f) = (width, height, format)
        return try pixels.withUnsafeMutableBufferPointer { (buffer) throws(E) -> R in
            guard let base = buffer.baseAddress else { preconditionFailure("Image has no pixels") }
            return try body(MutableImageView(base: base, width: w, height: h, format: f))
        }
    }
}
