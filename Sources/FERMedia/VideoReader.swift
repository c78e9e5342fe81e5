import CFFmpeg
import FERCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the frames of any video (or still image) FFmpeg can demux and decode, as RGB8.
///
/// ```swift
/// let reader = try VideoReader(path: "Samples/demo.mp4")
/// let frame = try ImageBuffer(width: reader.width, height: reader.height, format: .rgb8)
/// while let info = try reader.nextFrame(into: frame) { ... }
/// ```
/// Damaged packets are skipped as FFmpeg's own tools do; a truncated file ends early and
/// cleanly; a file that keeps failing to decode throws ``MediaError/corrupt(path:reason:)``.
/// After warm-up a frame costs no allocation on our side (FFmpeg recycles its own frame pool).
///
/// Every frame is delivered upright and at one size, ``width`` × ``height``:
/// - **Rotation.** A stream whose display matrix (or legacy `rotate` tag) says to turn it
///   by 90°, 180° or 270° (phones record sideways) is turned as a player would, and
///   ``width``/``height`` are the upright size (``Options/autorotate`` switches this off).
/// - **Size changes.** When the coded size changes mid-stream, each frame is scaled to fit
///   the first size with its aspect ratio kept (black bars fill the rest) and counted in
///   ``resizedFrameCount``, so buffers, detectors and writers downstream see one size.
/// - **Timing.** `FrameInfo.timestamp` is each frame's own presentation time, so a
///   variable-frame-rate clip keeps its timing (pass it to ``VideoWriter/write(_:timestamp:)``).
/// - **Inputs.** The path must be a regular file: a FIFO, directory or device is refused
///   with ``MediaError/notARegularFile(path:kind:)`` before FFmpeg opens it (a FIFO would
///   block the open until a writer appears).
public final class VideoReader: FrameSource {
    /// Reader settings.
    public struct Options: Sendable {
        /// Decoder threads; 1 keeps decoding on the caller's thread and deterministic in
        /// timing (FFmpeg's own default for library users is also 1).
        public var decoderThreads: Int = 1
        /// Consecutive packets that fail to decode before the file is declared corrupt
        /// (a few bad packets are normal in damaged-but-playable files; 25 ≈ one second at 25 fps).
        public var maximumConsecutiveErrors: Int = 25
        /// Turn frames upright as the stream's rotation metadata says (default true, as the
        /// `ffmpeg` tool's `-autorotate` and every player do).
        public var autorotate = true
        /// Refuse damage instead of skipping it: any decode error, or a frame the decoder
        /// flags as damaged (`AV_FRAME_FLAG_CORRUPT`, `decode_error_flags`), throws
        /// ``MediaError/corrupt(path:reason:)``, and decoders abort on minor errors
        /// (`AV_EF_EXPLODE`, CRC checks). Default false for video, where concealed frames
        /// are delivered and counted in ``VideoReader/corruptFrameCount``;
        /// ``ImageReader`` reads still images strictly.
        public var strict = false
        /// The only codecs FFmpeg may decode (FFmpeg codec names such as `png`), or nil for any.
        /// Set, FFmpeg opens no other decoder even while probing (`codec_whitelist`), and a file
        /// in another codec is ``MediaError/unrecognizedFormat(path:reason:)``: the attack surface
        /// for untrusted input is the formats you expect. ``ImageReader`` sets
        /// ``ImageReader/stillImageCodecs``.
        public var allowedCodecs: [String]?
        /// The largest frame accepted, width × height: a stream whose stated size is larger is
        /// ``MediaError/badImageSize(path:error:)`` before any frame is decoded into it. Default
        /// (and at most) FERCore's `ImageLimits.maximumPixels`.
        public var maximumPixels = ImageLimits.maximumPixels

        /// Default settings.
        public init() {}
    }

    /// The file being read.
    public let path: String
    /// Width of the delivered frames in pixels: the stream header's, upright (swapped with
    /// the height for a 90° or 270° rotation).
    public let width: Int
    /// Height of the delivered frames in pixels, upright.
    public let height: Int
    /// The clockwise rotation applied to every frame: 0, 90, 180 or 270 (0 when the
    /// stream has no rotation metadata or ``Options/autorotate`` is off).
    public let rotation: Int
    /// Frames delivered so far that the decoder flagged as damaged (concealed errors);
    /// always 0 with ``Options/strict``, which throws instead.
    public private(set) var corruptFrameCount = 0
    /// Frames delivered so far whose coded size differed from the stream's first size and
    /// were scaled to fit ``width`` × ``height``.
    public private(set) var resizedFrameCount = 0
    /// Frames per second FFmpeg reports for the stream (0 if unknown).
    public let frameRate: Double
    /// The number of frames the container declares, if it does (an estimate; the decoder
    /// may deliver a different count from a damaged file).
    public let declaredFrameCount: Int?
    /// The codec's name, e.g. "h264".
    public let codecName: String

    private let options: Options
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer?
    /// swscale's RGB24 destination, allocated by FFmpeg (aligned, padded rows): Debian's
    /// libswscale 6.7 writes up to 45 bytes past the last pixel of an RGB24 row when it
    /// converts 4:2:0 and 4:2:2 pictures (its SIMD loops store 16 pixels at a time), which
    /// corrupted the heap behind a tightly packed destination (found by the `jpeg` fuzz
    /// target). Frames are converted here, then copied row by row into the caller's buffer.
    private var staging: UnsafeMutablePointer<AVFrame>?
    /// The frame before rotation (coded size), made on the first rotated frame.
    private var unrotated: ImageBuffer?
    /// The stream's first coded size: every frame is scaled to it before rotation.
    private let codedWidth: Int
    private let codedHeight: Int
    private let streamIndex: Int32
    private let timeBase: Double
    private let startTime: Int64
    private let destinationData: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    private let destinationStride: UnsafeMutablePointer<Int32>
    private var draining = false
    private var finished = false
    private var index = 0
    private var consecutiveErrors = 0

    /// Opens a video or image file.
    /// - Throws: ``MediaError`` saying what is wrong with the file.
    public init(path: String, options: Options = Options()) throws(MediaError) {
        try FFmpeg.load()
        // Missing, empty, or not a regular file (a FIFO would block avformat_open_input).
        _ = try MediaFile.checkRegular(path)
        self.path = path
        self.options = options
        destinationData = .allocate(capacity: 4)
        destinationData.initialize(repeating: nil, count: 4)
        destinationStride = .allocate(capacity: 4)
        destinationStride.initialize(repeating: 0, count: 4)
        // Deallocation of the two arrays above and the FFmpeg objects is done by deinit,
        // which also runs when this initialiser throws after all stored properties are set;
        // until then, failures release what they made themselves.
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        var openOptions: OpaquePointer?
        defer { av_dict_free(&openOptions) }
        if let codecs = options.allowedCodecs {
            _ = av_dict_set(&openOptions, "codec_whitelist", codecs.joined(separator: ","), 0)
        }
        var r = avformat_open_input(&ctx, path, nil, &openOptions)
        guard r >= 0, let fmt = ctx else {
            destinationData.deallocate(); destinationStride.deallocate()
            if r == fercore_averror_enoent() { throw .fileNotFound(path: path) }
            if r == fercore_averror_eacces() { throw .permissionDenied(path: path) }
            throw .unrecognizedFormat(path: path, reason: FFmpeg.message(r))
        }
        var failure: MediaError?
        var codecContext: UnsafeMutablePointer<AVCodecContext>?
        var index: Int32 = -1
        var w = 0, h = 0, rate = 0.0, count: Int?, name = "", tb = 0.0, start: Int64 = 0, turn = 0
        setup: do {
            r = Self.findStreamInfo(fmt)
            if r < 0 { failure = .corrupt(path: path, reason: "no stream information: \(FFmpeg.message(r))"); break setup }
            index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
            guard index >= 0, let stream = fmt.pointee.streams[Int(index)], let par = stream.pointee.codecpar else {
                failure = .noVideoStream(path: path); break setup
            }
            name = String(cString: avcodec_get_name(par.pointee.codec_id))
            if let codecs = options.allowedCodecs, !codecs.contains(name) {
                failure = .unrecognizedFormat(path: path, reason: "its codec, \(name), is not one this reader takes (\(codecs.joined(separator: ", ")))")
                break setup
            }
            w = Int(par.pointee.width); h = Int(par.pointee.height)
            if w == 0 || h == 0 {
                // FFmpeg learns the size by decoding a first picture; it failed (a damaged or
                // truncated header, or a picture over the max_pixels limit set below).
                failure = .corrupt(
                    path: path,
                    reason: "no picture size could be decoded (damaged, truncated, or larger than \(ImageLimits.maximumPixels / 1_000_000) megapixels)")
                break setup
            }
            do { try ImageError.check(width: w, height: h) } catch { failure = .badImageSize(path: path, error: error); break setup }
            if w > options.maximumPixels / h {
                failure = .badImageSize(path: path, error: .tooLarge(width: w, height: h, limit: options.maximumPixels))
                break setup
            }
            guard let decoder = avcodec_find_decoder(par.pointee.codec_id) else {
                failure = .unsupportedCodec(path: path, codec: name); break setup
            }
            codecContext = avcodec_alloc_context3(decoder)
            guard let cc = codecContext else { failure = .ffmpeg(path: path, operation: "avcodec_alloc_context3", message: "out of memory"); break setup }
            r = avcodec_parameters_to_context(cc, par)
            if r < 0 { failure = .ffmpeg(path: path, operation: "avcodec_parameters_to_context", message: FFmpeg.message(r)); break setup }
            cc.pointee.max_pixels = Int64(ImageLimits.maximumPixels)
            cc.pointee.thread_count = Int32(max(1, options.decoderThreads))
            if options.strict {
                cc.pointee.err_recognition |= AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER
                // Not for TIFF: its decoder "explodes" on the ResolutionUnit tag (296) that nearly
                // every TIFF has, so strict reading refused all of them. A damaged TIFF still
                // fails (the decoder returns an error; FERMediaTests.tiffWithResolutionReads).
                if name != "tiff" { cc.pointee.err_recognition |= AV_EF_EXPLODE }
            }
            r = avcodec_open2(cc, decoder, nil)
            if r < 0 { failure = .unsupportedCodec(path: path, codec: "\(name) (\(FFmpeg.message(r)))"); break setup }
            let guess = av_guess_frame_rate(fmt, stream, nil)
            rate = guess.den > 0 ? Double(guess.num) / Double(guess.den) : 0
            count = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
            tb = stream.pointee.time_base.den > 0 ? Double(stream.pointee.time_base.num) / Double(stream.pointee.time_base.den) : 0
            start = stream.pointee.start_time == FFmpeg.noPTS ? 0 : stream.pointee.start_time
            if options.autorotate { turn = Self.rotation(of: stream) }
        }
        format = fmt
        codec = codecContext
        streamIndex = index
        codedWidth = w; codedHeight = h; rotation = turn
        width = turn % 180 == 0 ? w : h
        height = turn % 180 == 0 ? h : w
        frameRate = rate; declaredFrameCount = count; codecName = name
        timeBase = tb; startTime = start
        if let failure { throw failure }
        frame = av_frame_alloc()
        packet = av_packet_alloc()
        if frame == nil || packet == nil { throw .ffmpeg(path: path, operation: "av_frame_alloc", message: "out of memory") }
    }

    /// The clockwise rotation a player applies: the display matrix (as ffmpeg computes it),
    /// else the legacy `rotate` tag; rounded to a multiple of 90° when within 1° of one,
    /// other angles (and mirroring) ignored.
    private static func rotation(of stream: UnsafeMutablePointer<AVStream>) -> Int {
        var degrees = fercore_stream_display_rotation(stream)
        if degrees.isNaN, let tag = av_dict_get(stream.pointee.metadata, "rotate", nil, 0),
            let value = tag.pointee.value, let parsed = Double(String(cString: value))
        {
            degrees = parsed - 360 * (parsed / 360).rounded(.down)
        }
        guard degrees.isFinite else { return 0 }
        let quarter = (degrees / 90).rounded()
        guard abs(degrees - 90 * quarter) < 1 else { return 0 }
        return (Int(quarter) % 4 + 4) % 4 * 90
    }

    /// avformat_find_stream_info decodes a first picture of each stream; passing `max_pixels`
    /// makes an absurd header (say 20000×20000) fail there instead of allocating gigabytes.
    private static func findStreamInfo(_ fmt: UnsafeMutablePointer<AVFormatContext>) -> Int32 {
        let n = Int(fmt.pointee.nb_streams)
        guard n > 0 else { return avformat_find_stream_info(fmt, nil) }
        let dicts = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: n)
        dicts.initialize(repeating: nil, count: n)
        defer {
            for i in 0..<n { av_dict_free(&dicts[i]) }
            dicts.deallocate()
        }
        for i in 0..<n { _ = av_dict_set(&dicts[i], "max_pixels", FFmpeg.maxPixelsOption, 0) }
        return avformat_find_stream_info(fmt, dicts)
    }

    deinit {
        close()
        destinationData.deallocate()
        destinationStride.deallocate()
    }

    /// Releases the file and decoder. Idempotent.
    public func close() {
        finished = true
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if codec != nil { avcodec_free_context(&codec) }
        if format != nil { avformat_close_input(&format) }
        if let s = scaler { sws_freeContext(s); scaler = nil }
        if staging != nil { av_frame_free(&staging) }
    }

    /// Decodes the next frame into `buffer` as RGB8.
    /// - Returns: the frame's index and timestamp, or `nil` at the end of the file.
    /// - Throws: ``MediaError/corrupt(path:reason:)`` when the data keeps failing to decode,
    ///   ``MediaError/badImageSize(path:error:)`` if a frame's size is out of limits.
    public func nextFrame(into buffer: ImageBuffer) throws(MediaError) -> FrameInfo? {
        guard !finished, let fmt = format, let cc = codec, let frm = frame, let pkt = packet else { return nil }
        while true {
            let r = avcodec_receive_frame(cc, frm)
            if r == 0 {
                consecutiveErrors = 0
                if (frm.pointee.flags & AV_FRAME_FLAG_CORRUPT) != 0 || frm.pointee.decode_error_flags != 0 {
                    if options.strict {
                        av_frame_unref(frm)
                        finished = true
                        throw .corrupt(path: path, reason: "the decoder reported damaged data in frame \(index)")
                    }
                    corruptFrameCount += 1
                }
                let info = FrameInfo(index: index, timestamp: timestamp(frm))
                index += 1
                try convert(frm, into: buffer)
                av_frame_unref(frm)
                return info
            }
            if r == FFmpeg.endOfFile { finished = true; return nil }
            if r != FFmpeg.again {
                // A decoder error on output (rare): count it like a bad packet.
                try countError(r)
                continue
            }
            if draining { finished = true; return nil }
            let read = av_read_frame(fmt, pkt)
            if read < 0 {
                // End of file, or a truncated/unreadable tail: flush what the decoder holds.
                draining = true
                _ = avcodec_send_packet(cc, nil)
                continue
            }
            if pkt.pointee.stream_index != streamIndex { av_packet_unref(pkt); continue }
            let sent = avcodec_send_packet(cc, pkt)
            av_packet_unref(pkt)
            if sent < 0 && sent != FFmpeg.again { try countError(sent) }
        }
    }

    private func countError(_ code: Int32) throws(MediaError) {
        consecutiveErrors += 1
        if options.strict {
            finished = true
            throw .corrupt(path: path, reason: "decoding failed at frame \(index): \(FFmpeg.message(code))")
        }
        if consecutiveErrors > options.maximumConsecutiveErrors {
            finished = true
            throw .corrupt(path: path, reason: "\(consecutiveErrors) packets in a row failed to decode after frame \(index): \(FFmpeg.message(code))")
        }
    }

    private func timestamp(_ frm: UnsafeMutablePointer<AVFrame>) -> Double {
        let pts = frm.pointee.best_effort_timestamp
        if pts == FFmpeg.noPTS || timeBase == 0 { return frameRate > 0 ? Double(index) / frameRate : 0 }
        return Double(pts - startTime) * timeBase
    }

    private func convert(_ frm: UnsafeMutablePointer<AVFrame>, into buffer: ImageBuffer) throws(MediaError) {
        let w = Int(frm.pointee.width), h = Int(frm.pointee.height)
        do {
            try buffer.reshape(width: width, height: height, format: .rgb8)
            if rotation != 0, unrotated == nil {
                unrotated = try ImageBuffer(width: codedWidth, height: codedHeight, format: .rgb8)
            }
        } catch {
            finished = true
            throw .badImageSize(path: path, error: error)
        }
        // The coded-size picture goes straight into the caller's buffer, or first into
        // `unrotated` when it must be turned.
        let target = rotation != 0 ? (unrotated ?? buffer) : buffer
        if w == codedWidth && h == codedHeight {
            try scale(frm, into: target.mutableView)
        } else {
            // A mid-stream size change: fit the picture into the first size, aspect kept.
            resizedFrameCount += 1
            let view = target.mutableView
            let factor = min(Double(codedWidth) / Double(max(1, w)), Double(codedHeight) / Double(max(1, h)))
            let fw = min(codedWidth, max(1, Int((Double(w) * factor).rounded())))
            let fh = min(codedHeight, max(1, Int((Double(h) * factor).rounded())))
            let x0 = (codedWidth - fw) / 2, y0 = (codedHeight - fh) / 2
            for y in 0..<codedHeight { view.row(y).update(repeating: 0, count: 3 * codedWidth) }
            try scale(
                frm,
                into: MutableImageView(
                    base: view.row(y0) + 3 * x0, width: fw, height: fh,
                    rowBytes: view.rowBytes, format: .rgb8))
        }
        if rotation != 0, let source = unrotated {
            FrameRotation.rotate(source.view, clockwise: rotation, into: buffer.mutableView)
        }
    }

    /// Converts (and scales, if the sizes differ) the decoded picture into `destination` as RGB8.
    private func scale(_ frm: UnsafeMutablePointer<AVFrame>, into destination: MutableImageView) throws(MediaError) {
        let w = Int(frm.pointee.width), h = Int(frm.pointee.height)
        // Gray pictures (gray JPEGs, PGM, gray PNG) are expanded to RGB by copying:
        // exact, and a gray image read back through RGB→gray is unchanged.
        if frm.pointee.format == AV_PIX_FMT_GRAY8.rawValue, w == destination.width, h == destination.height,
            let src = frm.pointee.data.0
        {
            let stride = Int(frm.pointee.linesize.0)
            for y in 0..<h {
                let s = src + y * stride
                let d = destination.row(y)
                for x in 0..<w {
                    let v = s[x]
                    d[3 * x] = v
                    d[3 * x + 1] = v
                    d[3 * x + 2] = v
                }
            }
            return
        }
        // Cached: a new context is made only when a size or the pixel format changes.
        scaler = sws_getCachedContext(
            scaler, Int32(w), Int32(h), AVPixelFormat(frm.pointee.format),
            Int32(destination.width), Int32(destination.height), AV_PIX_FMT_RGB24,
            SWS_BILINEAR, nil, nil, nil)
        guard let s = scaler else {
            finished = true
            throw .unsupportedCodec(path: path, codec: "\(codecName) pixel format \(frm.pointee.format)")
        }
        let out = try stagingFrame(width: destination.width, height: destination.height)
        destinationData[0] = out.pointee.data.0
        destinationStride[0] = out.pointee.linesize.0
        withUnsafeMutablePointer(to: &frm.pointee.data) { data in
            withUnsafeMutablePointer(to: &frm.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { stride in
                        _ = sws_scale(s, src, stride, 0, Int32(h), destinationData, destinationStride)
                    }
                }
            }
        }
        guard let base = out.pointee.data.0 else { return }
        let rowBytes = 3 * destination.width, stride = Int(out.pointee.linesize.0)
        for y in 0..<destination.height {
            destination.row(y).update(from: base + y * stride, count: rowBytes)
        }
    }

    /// The RGB24 staging frame at `width`×`height`, reallocated only when the size changes.
    private func stagingFrame(width: Int, height: Int) throws(MediaError) -> UnsafeMutablePointer<AVFrame> {
        if let f = staging, Int(f.pointee.width) == width, Int(f.pointee.height) == height { return f }
        if staging != nil { av_frame_free(&staging) }
        guard let f = av_frame_alloc() else {
            throw .ffmpeg(path: path, operation: "av_frame_alloc", message: FFmpeg.message(fercore_averror_enomem()))
        }
        f.pointee.format = AV_PIX_FMT_RGB24.rawValue
        f.pointee.width = Int32(width)
        f.pointee.height = Int32(height)
        staging = f
        // align 0: FFmpeg's own choice for the running CPU (rows aligned and padded for SIMD).
        let r = av_frame_get_buffer(f, 0)
        guard r >= 0 else {
            av_frame_free(&staging)
            throw .ffmpeg(path: path, operation: "av_frame_get_buffer", message: FFmpeg.message(r))
        }
        return f
    }
}
