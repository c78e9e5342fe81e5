#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `--input` names: a camera by index (`0` → `/dev/video0`), a camera by path, or a file
/// or folder.
public enum InputSpec: Equatable, Sendable {
    /// A bare non-negative number: the camera `/dev/video<N>`.
    case cameraIndex(Int)
    /// A `/dev/video*` path, or any character device (`/dev/v4l/by-id/…` links to one).
    case camera(String)
    /// Anything else: a video file, an image file or a folder.
    case path(String)

    /// Reads `text`; `isCharacterDevice` is asked only for paths outside `/dev/video*`
    /// (the default asks `stat`).
    public init(_ text: String, isCharacterDevice: (String) -> Bool = InputSpec.isCharacterDevice) {
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let index = Int(text) {
            self = .cameraIndex(index)
        } else if text.hasPrefix("/dev/video") || (!text.isEmpty && isCharacterDevice(text)) {
            self = .camera(text)
        } else {
            self = .path(text)
        }
    }

    /// True when `path` (links followed) is a character device.
    public static func isCharacterDevice(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR
    }
}
