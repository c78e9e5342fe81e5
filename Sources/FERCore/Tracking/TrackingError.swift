/// Why a tracker could not be created, initialised or updated.
public enum TrackingError: Error, Equatable, CustomStringConvertible {
    /// An FFT was planned for a length with a prime factor other than 2, 3 or 5.
    case unsupportedFFTLength(Int)
    /// The initial box has a zero, negative or non-finite size.
    case emptyBox(x: Double, y: Double, width: Double, height: Double)
    /// The initial box does not overlap the frame.
    case boxOutsideFrame(x: Double, y: Double, width: Double, height: Double, frameWidth: Int, frameHeight: Int)
    /// A frame's size differs from the frame the tracker was initialised on.
    case frameSizeChanged(expectedWidth: Int, expectedHeight: Int, width: Int, height: Int)
    /// A frame is empty.
    case emptyFrame(width: Int, height: Int)
    /// `update` was called before `initialize`.
    case notInitialized
    /// A parameter is outside its valid range.
    case invalidParameter(name: String, value: Double, reason: String)

    public var description: String {
        switch self {
        case let .unsupportedFFTLength(n):
            return "FFT length \(n) is not supported: lengths must be ≥ 1 with prime factors 2, 3 and 5 only; use FFTPlan.nextSupported(\(n))."
        case let .emptyBox(x, y, w, h):
            return "Tracking box (\(x), \(y), \(w)x\(h)) has no area; give a box with width and height ≥ 1 pixel."
        case let .boxOutsideFrame(x, y, w, h, fw, fh):
            return "Tracking box (\(x), \(y), \(w)x\(h)) lies outside the \(fw)x\(fh) frame; give a box that overlaps the frame."
        case let .frameSizeChanged(ew, eh, w, h):
            return "Frame is \(w)x\(h) but the tracker was initialised on \(ew)x\(eh) frames; re-initialise the tracker after a size change."
        case let .emptyFrame(w, h):
            return "Frame of \(w)x\(h) pixels is empty; pass a frame with width and height ≥ 1."
        case .notInitialized:
            return "The tracker has no target yet; call initialize(frame:box:) before update(frame:)."
        case let .invalidParameter(name, value, reason):
            return "Tracker parameter \(name) = \(value) is invalid: \(reason)."
        }
    }
}
