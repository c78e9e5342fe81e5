/// Why a camera could not be opened or read.
public enum CameraError: Error, Equatable, CustomStringConvertible {
    /// No device node at the path.
    case noSuchDevice(path: String)
    /// The node exists but this user may not open it.
    case permissionDenied(path: String)
    /// Another program is using the camera.
    case busy(path: String)
    /// The node is not a V4L2 video capture device (e.g. /dev/null, a regular file, a
    /// metadata-only node, an output device).
    case notACaptureDevice(path: String, reason: String)
    /// The device offers no format FERCore can convert (or refused the requested one).
    case noUsableFormat(path: String, reason: String)
    /// No frame arrived within the timeout.
    case timeout(path: String, milliseconds: Int)
    /// Streaming cannot work as the driver set it up, or the frames it delivers are unusable:
    /// too few or too small buffers, a buffer index out of range, damaged frames in a row.
    case streamingFailed(path: String, reason: String)
    /// Any other driver failure: which call, and the system's message.
    case system(path: String, operation: String, errno: Int32, message: String)

    /// What was wrong, where, and what to do.
    public var description: String {
        switch self {
        case let .noSuchDevice(p):
            return "No video device at '\(p)'; check that the camera is plugged in (ls /dev/video*) or pass another device."
        case let .permissionDenied(p):
            return "Permission denied opening '\(p)'; add your user to the 'video' group (sudo usermod -aG video $USER, then log in again)."
        case let .busy(p): return "'\(p)' is busy; close the other program using the camera and retry."
        case let .notACaptureDevice(p, r): return "'\(p)' is not a video capture device (\(r)); pass a camera node such as /dev/video0."
        case let .noUsableFormat(p, r): return "'\(p)' offers no usable pixel format (\(r)); try another size or frame rate."
        case let .timeout(p, ms):
            return "No frame from '\(p)' within \(ms) ms; the camera may be covered by another mode or stalled; retry or raise the timeout."
        case let .streamingFailed(p, r):
            return "Streaming from '\(p)' failed: \(r); unplug and replug the camera, or try another size or frame rate."
        case let .system(p, op, e, m): return "'\(p)': \(op) failed (errno \(e): \(m))."
        }
    }
}
