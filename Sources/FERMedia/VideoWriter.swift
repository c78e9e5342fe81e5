import CFFmpeg
import FERCore

/// Writes RGB8 frames to a video file (an annotated copy of the input, for example).
///
/// The container follows the extension: `.mp4`, `.mkv`, `.avi`. The codec is the first
/// available of ``Options/codecs`` (default: H.264 through libx264, then MPEG-4 Part 2,
/// then MJPEG; `.avi` prefers MPEG-4, which every AVI player reads).
///
/// The file is always left playable: ``finish()`` flushes the encoder and writes the
/// container trailer; it is idempotent, runs from `deinit`, and runs when a write fails.
/// Poll ``Interrupt/isRequested`` in the frame loop and call `finish()` to survive Ctrl-C.
public final class VideoWriter {
    /// Writer settings.
    public struct Options: Sendable {
        /// Frames per second of the output (default 30, the usual webcam rate).
        public var framesPerSecond: Int = 30
        /// Encoders to try, by FFmpeg name, in order; the first that FFmpeg has and that
        /// opens is used. `nil` means the default order for the container (see the type's docs).
        public var codecs: [String]?
        /// Target bit rate for MPEG-4/MJPEG in bits per second (2 Mbit/s: clean 640×480 at 30 fps).
        public var bitRate: Int = 2_000_000
        /// libx264 constant rate factor (23: x264's own default; lower is better and bigger).
        public var constantRateFactor: Int = 23
        /// libx264 preset ("veryfast": real-time at 640×480 on one core with modest size cost).
        public var preset: String = "veryfast"

        /// Default settings.
        public init() {}
    }

    /// The output path.
    public let path: String
    /// Frame width in pixels.
    public let width: Int
    /// Frame height in pixels.
    public let height: Int
    /// The FFmpeg encoder in use, e.g. "libx264".
    public private(set) var encoderName: String = ""
    /// Frames written so far.
    public private(set) var framesWritten = 0

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var headerWritten = false
    private var finished = false
    private let sourceData: UnsafeMutablePointer<UnsafePointer<UInt8>?>
    private let sourceStride: UnsafeMutablePointer<Int32>

    /// Opens `path` for writing `width`×`height` RGB8 frames.
    /// - Throws: ``MediaError/unsupportedContainer(path:fileExtension:)``,
    ///   ``MediaError/unsupportedCodec(path:codec:)``, ``MediaError/badImageSize(path:error:)``,
    ///   or ``MediaError/ffmpeg(path:operation:message:)`` (e.g. the directory is not writable).
    public init(path: String, width: Int, height: Int, options: Options = Options()) throws(MediaError) {
        _ = FFmpeg.quiet
        self.path = path
        self.width = width
        self.height = height
        sourceData = .allocate(capacity: 4)
        sourceData.initialize(repeating: nil, count: 4)
        sourceStride = .allocate(capacity: 4)
        sourceStride.initialize(repeating: 0, count: 4)
        // From here every stored property is set: a throw runs deinit, which releases all.
        try open(options)
    }

    deinit {
        try? finish()
        sourceData.deallocate()
        sourceStride.deallocate()
    }

    private func fail(_ op: String, _ r: Int32) -> MediaError { .ffmpeg(path: path, operation: op, message: FFmpeg.message(r)) }

    private func open(_ options: Options) throws(MediaError) {
        do { try ImageError.check(width: width, height: height) } catch { finished = true; throw .badImageSize(path: path, error: error) }
        let ext = path.split(separator: "/").last.flatMap { $0.contains(".") ? $0.split(separator: ".").last : nil }.map { $0.lowercased() } ?? ""
        let container: String
        let defaultCodecs: [String]
        switch ext {
        case "mp4": container = "mp4"; defaultCodecs = ["libx264", "mpeg4", "mjpeg"]
        case "mkv": container = "matroska"; defaultCodecs = ["libx264", "mpeg4", "mjpeg"]
        case "avi": container = "avi"; defaultCodecs = ["mpeg4", "mjpeg", "libx264"]
        default: finished = true; throw .unsupportedContainer(path: path, fileExtension: ext)
        }
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        var r = avformat_alloc_output_context2(&ctx, nil, container, path)
        guard r >= 0, let fmt = ctx else { finished = true; throw fail("avformat_alloc_output_context2", r) }
        format = fmt
        let fps = Int32(max(1, options.framesPerSecond))
        let wanted = options.codecs ?? defaultCodecs
        var lastError: Int32 = 0
        for name in wanted {
            guard let encoder = avcodec_find_encoder_by_name(name) else { continue }
            var cc = avcodec_alloc_context3(encoder)
            guard let c = cc else { continue }
            c.pointee.width = Int32(width)
            c.pointee.height = Int32(height)
            c.pointee.time_base = AVRational(num: 1, den: fps)
            c.pointee.framerate = AVRational(num: fps, den: 1)
            c.pointee.gop_size = fps
            // MJPEG wants full-range 4:2:0; the others the usual video-range 4:2:0.
            c.pointee.pix_fmt = name == "mjpeg" ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P
            c.pointee.thread_count = 1
            if name == "libx264" {
                _ = fercore_av_opt_set(c.pointee.priv_data, "preset", options.preset)
                _ = fercore_av_opt_set(c.pointee.priv_data, "crf", String(options.constantRateFactor))
                // No B-frames: every frame is output in order, and short clips survive MP4 edit
                // lists (with B-frames FFmpeg's MP4 reader dropped the last frame of 4-frame clips).
                c.pointee.max_b_frames = 0
            } else {
                c.pointee.bit_rate = Int64(options.bitRate)
                if name == "mjpeg" { c.pointee.color_range = AVCOL_RANGE_JPEG }
            }
            if (fmt.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 {
                c.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
            }
            r = avcodec_open2(c, encoder, nil)
            if r < 0 { lastError = r; avcodec_free_context(&cc); continue }
            codec = c
            encoderName = name
            break
        }
        guard let c = codec else {
            finished = true
            throw .unsupportedCodec(path: path, codec: wanted.joined(separator: ", ") + (lastError < 0 ? " (\(FFmpeg.message(lastError)))" : ""))
        }
        guard let st = avformat_new_stream(fmt, nil) else { finished = true; throw fail("avformat_new_stream", fercore_averror_enomem()) }
        stream = st
        st.pointee.time_base = c.pointee.time_base
        r = avcodec_parameters_from_context(st.pointee.codecpar, c)
        if r < 0 { finished = true; throw fail("avcodec_parameters_from_context", r) }
        if (fmt.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 {
            r = avio_open(&fmt.pointee.pb, path, AVIO_FLAG_WRITE)
            if r < 0 { finished = true; throw fail("avio_open (is the directory writable?)", r) }
        }
        r = avformat_write_header(fmt, nil)
        if r < 0 { finished = true; throw fail("avformat_write_header", r) }
        headerWritten = true
        frame = av_frame_alloc()
        packet = av_packet_alloc()
        guard let f = frame, packet != nil else { try? finish(); throw fail("av_frame_alloc", fercore_averror_enomem()) }
        f.pointee.format = c.pointee.pix_fmt.rawValue
        f.pointee.width = c.pointee.width
        f.pointee.height = c.pointee.height
        f.pointee.color_range = c.pointee.color_range
        r = av_frame_get_buffer(f, 0)
        if r < 0 { try? finish(); throw fail("av_frame_get_buffer", r) }
        scaler = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height),
                                c.pointee.pix_fmt, SWS_BILINEAR, nil, nil, nil)
        if scaler == nil { try? finish(); throw fail("sws_getContext", fercore_averror_enomem()) }
    }

    /// Encodes one RGB8 frame of the size the writer was opened with.
    /// - Throws: ``MediaError/frameMismatch(expectedWidth:expectedHeight:width:height:format:)``
    ///   for a wrong frame (the writer stays usable), ``MediaError/writerFinished(path:)`` after
    ///   ``finish()``, or an FFmpeg failure (the file is then finalised with what it has).
    public func write(_ image: ImageView) throws(MediaError) {
        guard !finished, let c = codec, let f = frame, let s = scaler else { throw .writerFinished(path: path) }
        guard image.width == width, image.height == height, image.format == .rgb8 else {
            throw .frameMismatch(expectedWidth: width, expectedHeight: height, width: image.width, height: image.height, format: image.format)
        }
        var r = av_frame_make_writable(f)
        if r < 0 { try? finish(); throw fail("av_frame_make_writable", r) }
        sourceData[0] = image.base
        sourceStride[0] = Int32(image.rowBytes)
        withUnsafeMutablePointer(to: &f.pointee.data) { data in
            withUnsafeMutablePointer(to: &f.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { stride in
                        _ = sws_scale(s, sourceData, sourceStride, 0, Int32(height), dst, stride)
                    }
                }
            }
        }
        f.pointee.pts = Int64(framesWritten)
        r = avcodec_send_frame(c, f)
        if r < 0 { try? finish(); throw fail("avcodec_send_frame", r) }
        framesWritten += 1
        try drain()
    }

    /// Moves every packet the encoder has ready into the file.
    private func drain() throws(MediaError) {
        guard let c = codec, let p = packet, let fmt = format, let st = stream else { return }
        while true {
            var r = avcodec_receive_packet(c, p)
            if r == FFmpeg.again || r == FFmpeg.endOfFile { return }
            if r < 0 { finished = true; closeFile(); throw fail("avcodec_receive_packet", r) }
            // One frame per packet: an explicit duration lets the MP4 muxer close the last
            // sample's time range (without it, players and FFmpeg's reader drop the last frame).
            if p.pointee.duration <= 0 { p.pointee.duration = 1 }
            av_packet_rescale_ts(p, c.pointee.time_base, st.pointee.time_base)
            p.pointee.stream_index = st.pointee.index
            r = av_interleaved_write_frame(fmt, p)
            if r < 0 { finished = true; closeFile(); throw fail("av_interleaved_write_frame", r) }
        }
    }

    /// Flushes the encoder, writes the container trailer and closes the file. Idempotent;
    /// called by `deinit` and after a failed write, so the file is always finalised.
    /// - Throws: an FFmpeg failure while flushing (the file is still closed).
    public func finish() throws(MediaError) {
        guard !finished else { closeFile(); return }
        finished = true
        var failure: MediaError?
        if let c = codec, headerWritten {
            _ = avcodec_send_frame(c, nil)
            // `finished` is set, so drain's failure paths only close; collect the error.
            do { try drain() } catch { failure = error }
        }
        closeFile()
        if let failure { throw failure }
    }

    private func closeFile() {
        if let fmt = format {
            if headerWritten { _ = av_write_trailer(fmt); headerWritten = false }
            if (fmt.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0, fmt.pointee.pb != nil { avio_closep(&fmt.pointee.pb) }
            avformat_free_context(fmt)
            format = nil
        }
        if codec != nil { avcodec_free_context(&codec) }
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if let s = scaler { sws_freeContext(s); scaler = nil }
        stream = nil
    }
}
