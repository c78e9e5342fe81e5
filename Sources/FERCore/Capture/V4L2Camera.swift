import CV4L2

#if canImport(Glibc)
    import Glibc
#endif

/// A pixel format, size and frame rate a camera offers.
public struct CameraMode: Sendable, Hashable, CustomStringConvertible {
    /// The V4L2 four-character code, e.g. "YUYV", "MJPG".
    public var fourCC: String
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Frames per second offered at this size (empty when the driver does not list them).
    public var framesPerSecond: [Double]

    public var description: String {
        "\(fourCC) \(width)x\(height) @ " + framesPerSecond.map { "\($0)" }.joined(separator: "/")
    }
}

/// A V4L2 webcam as a ``FrameSource``, through libv4l2 (which also converts formats the
/// camera does not deliver natively, e.g. MJPEG → RGB24).
///
/// Frames are captured with mmap streaming into ``Options/bufferCount`` driver buffers; each
/// ``nextFrame(into:)`` waits with `poll` up to ``Options/timeoutMilliseconds``. If the
/// camera delivers YUYV natively it is read as YUYV and converted by
/// ``ColorConversion/yuyvToRGB(_:rowBytes:into:)`` (bit-exact with OpenCV), otherwise
/// libv4l2 is asked for RGB24. Unplugging the camera ends the stream (`nil`, with
/// ``endReason``), it does not throw. Damaged frames are dropped (``droppedFrames``); spurious
/// wake-ups (`EAGAIN` after `poll`, e.g. a JPEG frame libv4l2 could not decode) are waited out
/// within the timeout.
///
/// Tested without hardware by `Tests/Support/fake_v4l2` (an `LD_PRELOAD` fake device under
/// libv4l2; Docs/Reliability.md, "Cameras").
public final class V4L2Camera: FrameSource {
    /// Camera settings.
    public struct Options: Sendable {
        /// Requested width (640: the size the MTCNN reference pipeline was tuned on; the driver
        /// may pick the nearest size it supports, see ``V4L2Camera/width``).
        public var width = 640
        /// Requested height (480).
        public var height = 480
        /// Requested frame rate (30, the common webcam rate).
        public var framesPerSecond = 30
        /// Driver buffers for mmap streaming (4: enough to absorb one slow frame; V4L2 drivers need ≥ 2).
        public var bufferCount = 4
        /// How long ``V4L2Camera/nextFrame(into:)`` waits for a frame (2000 ms: ten frame
        /// periods at the slowest usual 5 fps).
        public var timeoutMilliseconds = 2000
        /// Read YUYV and convert with FERCore's SIMD converter when the camera offers it
        /// natively (default), instead of libv4l2's conversion to RGB24.
        public var preferNativeYUYV = true
        /// Damaged frames (fewer bytes than the format needs) in a row before
        /// ``V4L2Camera/nextFrame(into:)`` gives up with ``CameraError/streamingFailed(path:reason:)``
        /// (30: a second at 30 fps). A damaged frame is dropped, never shown: USB cameras lose
        /// one now and then, and its bytes would be half of this frame and half of an old one.
        public var maximumDamagedFrames = 30

        /// Default settings.
        public init() {}
    }

    /// The device path.
    public let path: String
    /// The negotiated width (may differ from the request).
    public private(set) var width = 0
    /// The negotiated height.
    public private(set) var height = 0
    /// The negotiated frame rate (0 if the driver does not report it).
    public private(set) var framesPerSecond = 0.0
    /// The driver's name (from VIDIOC_QUERYCAP), e.g. "uvcvideo".
    public private(set) var driver = ""
    /// The card name, e.g. "Integrated Camera".
    public private(set) var card = ""
    /// Why the stream ended, if it ended on its own (e.g. the camera was unplugged).
    public private(set) var endReason: String?
    /// Damaged frames dropped so far (fewer bytes than the format needs).
    public private(set) var droppedFrames = 0

    private let options: Options
    private var fd: Int32 = -1
    private var buffers: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
    private var pixelFormat: UInt32 = 0
    private var bytesPerLine = 0
    /// Bytes a whole frame occupies in a driver buffer (the last row need not be padded).
    private var frameBytes: Int { bytesPerLine * (height - 1) + width * (pixelFormat == fercore_pix_fmt_yuyv() ? 2 : 3) }
    private var streaming = false
    private var index = 0
    private var firstTimestamp: Double?

    /// Opens `/dev/video<index>`.
    public convenience init(index: Int, options: Options = Options()) throws(CameraError) {
        try self.init(path: "/dev/video\(index)", options: options)
    }

    /// Opens the device, negotiates format, size and rate, and starts streaming.
    /// - Throws: ``CameraError`` saying what is wrong and what to do.
    public init(path: String, options: Options = Options()) throws(CameraError) {
        self.path = path
        self.options = options
        // Every stored property has a value now: a throw below runs deinit, which closes.
        fercore_v4l2_quiet_log()
        let f = fercore_v4l2_open(path)
        if f < 0 {
            let e = errno
            switch e {
            case ENOENT, ENODEV, ENXIO: throw .noSuchDevice(path: path)
            case EACCES, EPERM: throw .permissionDenied(path: path)
            case EBUSY: throw .busy(path: path)
            case EISDIR: throw .notACaptureDevice(path: path, reason: "it is a directory")
            // v4l2_open queries the device itself; a node that is not V4L2 answers ENOTTY.
            case ENOTTY, EINVAL: throw .notACaptureDevice(path: path, reason: "it does not answer VIDIOC_QUERYCAP")
            default: throw Self.systemError(path, "open", e)
            }
        }
        fd = f
        try queryCapabilities()
        try negotiate()
        try startStreaming()
    }

    deinit { close() }

    static func systemError(_ path: String, _ op: String, _ e: Int32) -> CameraError {
        .system(path: path, operation: op, errno: e, message: String(cString: strerror(e)))
    }

    private func ioctl<T>(_ request: UInt, _ arg: inout T) -> Int32 {
        withUnsafeMutablePointer(to: &arg) { fercore_v4l2_ioctl_ptr(fd, request, $0) }
    }

    private func queryCapabilities() throws(CameraError) {
        var cap = v4l2_capability()
        if ioctl(fercore_vidioc_querycap(), &cap) < 0 {
            let e = errno
            if e == ENOTTY || e == EINVAL { throw .notACaptureDevice(path: path, reason: "it does not answer VIDIOC_QUERYCAP") }
            throw Self.systemError(path, "VIDIOC_QUERYCAP", e)
        }
        driver = withUnsafeBytes(of: cap.driver) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        card = withUnsafeBytes(of: cap.card) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let caps = (cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS)) != 0 ? cap.device_caps : cap.capabilities
        guard (caps & UInt32(V4L2_CAP_VIDEO_CAPTURE)) != 0 else {
            throw .notACaptureDevice(path: path, reason: "\(driver) '\(card)' has no video-capture capability (a metadata or output node?)")
        }
        guard (caps & UInt32(V4L2_CAP_STREAMING)) != 0 else {
            throw .notACaptureDevice(path: path, reason: "\(driver) '\(card)' does not support streaming I/O")
        }
    }

    /// The formats, sizes and rates the device lists (what `v4l2-ctl --list-formats-ext` shows).
    public func modes() -> [CameraMode] {
        var result: [CameraMode] = []
        var fmtIndex: UInt32 = 0
        while true {
            var desc = v4l2_fmtdesc()
            desc.index = fmtIndex
            desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard ioctl(fercore_vidioc_enum_fmt(), &desc) == 0 else { break }
            let code = Self.fourCCString(desc.pixelformat)
            var sizeIndex: UInt32 = 0
            while true {
                var size = v4l2_frmsizeenum()
                size.index = sizeIndex
                size.pixel_format = desc.pixelformat
                guard ioctl(fercore_vidioc_enum_framesizes(), &size) == 0 else { break }
                let (w, h): (UInt32, UInt32) =
                    size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue
                    ? (size.discrete.width, size.discrete.height) : (size.stepwise.max_width, size.stepwise.max_height)
                result.append(CameraMode(fourCC: code, width: Int(w), height: Int(h), framesPerSecond: rates(desc.pixelformat, w, h)))
                if size.type != V4L2_FRMSIZE_TYPE_DISCRETE.rawValue { break }
                sizeIndex += 1
            }
            fmtIndex += 1
        }
        return result
    }

    private func rates(_ format: UInt32, _ w: UInt32, _ h: UInt32) -> [Double] {
        var out: [Double] = []
        var i: UInt32 = 0
        while true {
            var ival = v4l2_frmivalenum()
            ival.index = i
            ival.pixel_format = format
            ival.width = w
            ival.height = h
            guard ioctl(fercore_vidioc_enum_frameintervals(), &ival) == 0,
                ival.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue
            else { break }
            if ival.discrete.numerator > 0 { out.append(Double(ival.discrete.denominator) / Double(ival.discrete.numerator)) }
            i += 1
        }
        return out
    }

    static func fourCCString(_ code: UInt32) -> String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: code >> (8 * $0)) }, as: UTF8.self)
    }

    private func negotiate() throws(CameraError) {
        let yuyv = fercore_pix_fmt_yuyv(), rgb = fercore_pix_fmt_rgb24()
        let native = modes().contains { $0.fourCC == "YUYV" }
        let order = options.preferNativeYUYV && native ? [yuyv, rgb] : [rgb, yuyv]
        var reasons: [String] = []
        for want in order {
            var fmt = v4l2_format()
            fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            fmt.fmt.pix.width = UInt32(options.width)
            fmt.fmt.pix.height = UInt32(options.height)
            fmt.fmt.pix.pixelformat = want
            fmt.fmt.pix.field = V4L2_FIELD_NONE.rawValue
            if ioctl(fercore_vidioc_s_fmt(), &fmt) < 0 {
                let e = errno
                if e == EBUSY { throw .busy(path: path) }
                reasons.append("VIDIOC_S_FMT \(Self.fourCCString(want)): \(String(cString: strerror(e)))")
                continue
            }
            guard fmt.fmt.pix.pixelformat == want, fmt.fmt.pix.width > 0, fmt.fmt.pix.height > 0 else {
                reasons.append(
                    "asked for \(Self.fourCCString(want)), got \(Self.fourCCString(fmt.fmt.pix.pixelformat)) "
                        + "\(fmt.fmt.pix.width)x\(fmt.fmt.pix.height)")
                continue
            }
            // Our YUYV converter handles even widths (4:2:2 pairs).
            if want == yuyv && fmt.fmt.pix.width % 2 != 0 { reasons.append("odd YUYV width \(fmt.fmt.pix.width)"); continue }
            let pixels = Int(fmt.fmt.pix.width).multipliedReportingOverflow(by: Int(fmt.fmt.pix.height))
            guard !pixels.overflow, pixels.partialValue <= ImageLimits.maximumPixels else {
                reasons.append("\(fmt.fmt.pix.width)x\(fmt.fmt.pix.height) exceeds FERCore's \(ImageLimits.maximumPixels / 1_000_000)-megapixel limit")
                continue
            }
            pixelFormat = want
            width = Int(fmt.fmt.pix.width)
            height = Int(fmt.fmt.pix.height)
            let minimum = width * (want == yuyv ? 2 : 3)
            bytesPerLine = max(Int(fmt.fmt.pix.bytesperline), minimum)
            break
        }
        guard pixelFormat != 0 else {
            throw .noUsableFormat(path: path, reason: reasons.isEmpty ? "the driver lists no formats" : reasons.joined(separator: "; "))
        }
        var parm = v4l2_streamparm()
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        parm.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(max(1, options.framesPerSecond)))
        // Not every driver lets the rate be set; the camera then runs at its own rate.
        if ioctl(fercore_vidioc_s_parm(), &parm) == 0, parm.parm.capture.timeperframe.numerator > 0 {
            framesPerSecond = Double(parm.parm.capture.timeperframe.denominator) / Double(parm.parm.capture.timeperframe.numerator)
        }
    }

    private func startStreaming() throws(CameraError) {
        var req = v4l2_requestbuffers()
        req.count = UInt32(max(2, options.bufferCount))
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        req.memory = V4L2_MEMORY_MMAP.rawValue
        if ioctl(fercore_vidioc_reqbufs(), &req) < 0 {
            let e = errno
            throw e == EBUSY ? .busy(path: path) : Self.systemError(path, "VIDIOC_REQBUFS", e)
        }
        guard req.count >= 2 else {
            throw .streamingFailed(
                path: path, reason: "the driver granted \(req.count) buffer(s) of the \(max(2, options.bufferCount)) asked for; streaming needs at least 2")
        }
        for i in 0..<req.count {
            var buf = v4l2_buffer()
            buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buf.memory = V4L2_MEMORY_MMAP.rawValue
            buf.index = i
            if ioctl(fercore_vidioc_querybuf(), &buf) < 0 { throw Self.systemError(path, "VIDIOC_QUERYBUF", errno) }
            // A buffer smaller than a frame would be read past its end: refuse the driver's setup.
            guard Int(buf.length) >= frameBytes else {
                throw .streamingFailed(
                    path: path,
                    reason: "buffer \(i) holds \(buf.length) bytes, but a \(width)x\(height) "
                        + "\(Self.fourCCString(pixelFormat)) frame needs \(frameBytes)")
            }
            let p = v4l2_mmap(nil, Int(buf.length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, Int64(buf.m.offset))
            guard let mapped = p, mapped != fercore_map_failed() else { throw Self.systemError(path, "mmap", errno) }
            buffers.append((mapped, Int(buf.length)))
            if ioctl(fercore_vidioc_qbuf(), &buf) < 0 { throw Self.systemError(path, "VIDIOC_QBUF", errno) }
        }
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        if ioctl(fercore_vidioc_streamon(), &type) < 0 {
            let e = errno
            throw e == EBUSY ? .busy(path: path) : Self.systemError(path, "VIDIOC_STREAMON", e)
        }
        streaming = true
    }

    /// Waits for the next frame and converts it into `buffer` (RGB8, the negotiated size).
    /// - Returns: the frame's index and timestamp (driver time, seconds since the first frame),
    ///   or `nil` once the camera is gone (unplugged) or closed; see ``endReason``.
    /// - Throws: ``CameraError/timeout(path:milliseconds:)`` if no frame arrives in time
    ///   (the stream stays open: the caller may retry), ``CameraError/streamingFailed(path:reason:)``
    ///   for a buffer the driver should not have returned or too many damaged frames in a row,
    ///   or a driver failure.
    public func nextFrame(into buffer: ImageBuffer) throws(CameraError) -> FrameInfo? {
        guard fd >= 0, streaming else { return nil }
        let deadline = MonotonicClock.milliseconds() + options.timeoutMilliseconds
        var damaged = 0
        while true {
            // Poll for what is left of the timeout: wake-ups without a frame (EAGAIN) and
            // dropped frames must not stretch the wait beyond it.
            let left = deadline - MonotonicClock.milliseconds()
            guard left > 0 else { throw .timeout(path: path, milliseconds: options.timeoutMilliseconds) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            var r: Int32
            repeat { r = poll(&pfd, 1, Int32(min(left, Int(Int32.max)))) } while r < 0 && errno == EINTR
            if r < 0 { throw Self.systemError(path, "poll", errno) }
            if r == 0 { throw .timeout(path: path, milliseconds: options.timeoutMilliseconds) }
            if (Int32(pfd.revents) & (POLLERR | POLLHUP | POLLNVAL)) != 0 && (Int32(pfd.revents) & POLLIN) == 0 {
                end("the device reported an error or hang-up (unplugged?)")
                return nil
            }
            var buf = v4l2_buffer()
            buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buf.memory = V4L2_MEMORY_MMAP.rawValue
            if ioctl(fercore_vidioc_dqbuf(), &buf) < 0 {
                let e = errno
                if e == ENODEV || e == EIO || e == EPIPE { end("VIDIOC_DQBUF: \(String(cString: strerror(e))) (unplugged?)"); return nil }
                // Readable but no frame: a spurious wake-up, or a frame libv4l2 could not
                // convert (it then re-queues it). Wait again within the timeout.
                if e == EAGAIN { continue }
                throw Self.systemError(path, "VIDIOC_DQBUF", e)
            }
            guard Int(buf.index) < buffers.count else {
                // Nothing can be re-queued: the index names no buffer of ours.
                throw .streamingFailed(path: path, reason: "the driver returned buffer \(buf.index), but only \(buffers.count) exist")
            }
            let needed = frameBytes
            if buf.bytesused != 0 && Int(buf.bytesused) < needed {
                // A damaged frame: drop it, give the buffer back, wait for the next one.
                droppedFrames += 1
                damaged += 1
                if ioctl(fercore_vidioc_qbuf(), &buf) < 0 {
                    let e = errno
                    if e == ENODEV { end("VIDIOC_QBUF: device gone (unplugged?)"); return nil }
                    throw Self.systemError(path, "VIDIOC_QBUF", e)
                }
                if damaged >= options.maximumDamagedFrames {
                    throw .streamingFailed(
                        path: path,
                        reason: "\(damaged) frames in a row carried \(buf.bytesused) bytes where a "
                            + "\(width)x\(height) \(Self.fourCCString(pixelFormat)) frame needs \(needed)")
                }
                continue
            }
            let mapped = buffers[Int(buf.index)]
            do {
                try buffer.reshape(width: width, height: height, format: .rgb8)
                let src = UnsafePointer(mapped.pointer.assumingMemoryBound(to: UInt8.self))
                if pixelFormat == fercore_pix_fmt_yuyv() {
                    try ColorConversion.yuyvToRGB(src, rowBytes: bytesPerLine, into: buffer.mutableView)
                } else {
                    let dst = buffer.mutableView
                    for y in 0..<height { dst.row(y).update(from: src + y * bytesPerLine, count: width * 3) }
                }
            } catch {
                _ = ioctl(fercore_vidioc_qbuf(), &buf)
                throw .noUsableFormat(path: path, reason: error.description)
            }
            if ioctl(fercore_vidioc_qbuf(), &buf) < 0 {
                let e = errno
                if e == ENODEV { end("VIDIOC_QBUF: device gone (unplugged?)") } else { throw Self.systemError(path, "VIDIOC_QBUF", e) }
            }
            let t = Double(buf.timestamp.tv_sec) + Double(buf.timestamp.tv_usec) / 1e6
            if firstTimestamp == nil { firstTimestamp = t }
            let info = FrameInfo(index: index, timestamp: t - (firstTimestamp ?? t))
            index += 1
            return info
        }
    }

    private func end(_ reason: String) {
        endReason = reason
        close()
    }

    /// Stops streaming, unmaps the buffers and closes the device. Idempotent.
    public func close() {
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = ioctl(fercore_vidioc_streamoff(), &type)
            streaming = false
        }
        for b in buffers { _ = v4l2_munmap(b.pointer, b.length) }
        buffers.removeAll()
        if fd >= 0 { _ = v4l2_close(fd); fd = -1 }
    }
}
