/// Where and when a frame came from.
public struct FrameInfo: Sendable, Hashable {
    /// Zero-based position of the frame in its stream.
    public var index: Int
    /// Presentation time in seconds from the start of the stream (for cameras: from the
    /// first captured frame).
    public var timestamp: Double

    /// Creates frame information.
    public init(index: Int, timestamp: Double) {
        self.index = index
        self.timestamp = timestamp
    }
}

/// A stream of RGB8 frames: a camera, a video file, a folder of images.
///
/// The caller owns one ``ImageBuffer`` and passes it to every ``nextFrame(into:)`` call;
/// the source reshapes it to the frame's size (reallocating only if the frame grew), so a
/// stream of equal-sized frames allocates nothing per frame.
public protocol FrameSource: AnyObject {
    /// The error a source reports.
    associatedtype Failure: Error

    /// Reads the next frame into `buffer` (reshaped to the frame's size, format ``PixelFormat/rgb8``).
    /// - Returns: the frame's index and timestamp, or `nil` at the end of the stream (and on
    ///   every call after it).
    func nextFrame(into buffer: ImageBuffer) throws(Failure) -> FrameInfo?

    /// Releases the device or file. Idempotent; ``nextFrame(into:)`` returns `nil` afterwards.
    func close()
}
