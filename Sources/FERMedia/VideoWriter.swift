import CFFmpeg
import FERCore

/// Writes RGB8 frames to a video file (an annotated copy of the input, for example).
///
/// The container follows the extension: `.mp4`, `.mkv`, `.avi`. The codec is the first
/// available of ``Options/codecs`` (default: H.264 through libx264, then MPEG-4 Part 2,
/// then MJPEG; `.avi` prefers MPEG-4, which every AVI player reads).
///
/// ``finish()`` flushes the encoder, writes the container trailer (the index an MP4 needs to
/// play) and closes the file; it is idempotent and also runs from `deinit`, which cannot
/// report an error: call `finish()` yourself and check it. Nothing is swallowed: a failed
/// write (a full disk, an I/O error) throws ``MediaError/writeFailed(path:framesWritten:reason:)``
/// and a failed finalisation ``MediaError/notFinalized(path:framesWritten:reason:)``, both
/// saying that the file may not play. Stop the frame loop on SIGINT/SIGTERM (as ferdemo does) and
/// call `finish()` so that an interrupted run still leaves a playable file.
///
/// Frames keep their timing when written with ``write(_:timestamp:)`` (a variable-frame-rate
/// clip keeps its duration); without timestamps they are spaced `1 / framesPerSecond`.
/// Memory stays bounded for large frames: above 1920×1080 libx264 runs with one thread and
/// no lookahead (``Options/lookaheadFrames``), so a 4K stream holds a few frames, not dozens.
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
        /// libx264 rate-control lookahead in frames. `nil` (the default) chooses by frame
        /// size: up to 1920×1080, x264's own "veryfast" settings (10 frames, with its
        /// macroblock tree); above, 0 frames and no macroblock tree, because each frame x264
        /// holds costs ~20 MB at 3840×2160 (a 4K run with `--output` peaked at 630 MB with 4
        /// frames and 540 MB with 0; the 0-frame file of the synthetic 4K clip was 1.6× larger
        /// at the same CRF). Any value also pins x264 to one thread.
        public var lookaheadFrames: Int?

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
    /// The encoder's time base denominator: timestamps are kept to 1/`ticksPerSecond` s
    /// (1000 ticks per nominal frame, at most 65535 for MPEG-4 Part 2's 16-bit field).
    public let ticksPerSecond: Int

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var headerWritten = false
    private var finished = false
    private let framesPerSecond: Int
    /// The first frame's timestamp (output time 0) and the last frame's pts, in ticks.
    private var firstTimestamp: Double?
    private var lastPTS: Int64 = -1
    private var nominalTicks: Int64 = 1
    /// The first failure, reported again by ``finish()``.
    private var failure: MediaError?
    private let sourceData: UnsafeMutablePointer<UnsafePointer<UInt8>?>
    private let sourceStride: UnsafeMutablePointer<Int32>
    /// The frame's pixels copied into memory with 64 spare bytes after the last row: swscale's
    /// SIMD input loops read a little past the end of a row, which past the last row of a
    /// caller's buffer can be an unmapped page (a SEGV seen under ThreadSanitizer's allocator).
    private let staging: UnsafeMutablePointer<UInt8>
    private static let stagingPadding = 64

    /// Opens `path` for writing `width`×`height` RGB8 frames.
    /// - Throws: ``MediaError/unsupportedContainer(path:fileExtension:)``,
    ///   ``MediaError/unsupportedCodec(path:codec:)``, ``MediaError/badImageSize(path:error:)``,
    ///   or ``MediaError/ffmpeg(path:operation:message:)`` (e.g. the directory is not writable).
    public init(path: String, width: Int, height: Int, options: Options = Options()) throws(MediaError) {
        try FFmpeg.load()
        self.path = path
        self.width = width
        self.height = height
        framesPerSecond = max(1, min(options.framesPerSecond, 1000))
        ticksPerSecond = min(65535, framesPerSecond * 1000)
        sourceData = .allocate(capacity: 4)
        sourceData.initialize(repeating: nil, count: 4)
        sourceStride = .allocate(capacity: 4)
        sourceStride.initialize(repeating: 0, count: 4)
        let stagingBytes = max(0, width) * 3 * max(0, height) + Self.stagingPadding
        staging = .allocate(capacity: stagingBytes)
        staging.initialize(repeating: 0, count: stagingBytes)
        // From here every stored property is set: a throw runs deinit, which releases all.
        try open(options)
    }

    deinit {
        try? finish()
        sourceData.deallocate()
        sourceStride.deallocate()
        staging.deallocate()
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
        let fps = Int32(framesPerSecond)
        nominalTicks = Int64(max(1, (Double(ticksPerSecond) / Double(framesPerSecond)).rounded()))
        let wanted = options.codecs ?? defaultCodecs
        var lastError: Int32 = 0
        for name in wanted {
            guard let encoder = avcodec_find_encoder_by_name(name) else { continue }
            var cc = avcodec_alloc_context3(encoder)
            guard let c = cc else { continue }
            c.pointee.width = Int32(width)
            c.pointee.height = Int32(height)
            c.pointee.time_base = AVRational(num: 1, den: Int32(ticksPerSecond))
            c.pointee.framerate = AVRational(num: fps, den: 1)
            c.pointee.gop_size = fps
            // MJPEG wants full-range 4:2:0; the others the usual video-range 4:2:0.
            c.pointee.pix_fmt = name == "mjpeg" ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P
            c.pointee.thread_count = 1
            if name == "libx264" {
                _ = fercore_av_opt_set(c.pointee.priv_data, "preset", options.preset)
                _ = fercore_av_opt_set(c.pointee.priv_data, "crf", String(options.constantRateFactor))
                // Bounded memory: x264 keeps its lookahead frames in flight (~20 MB each at 4K).
                let lookahead = options.lookaheadFrames ?? (width * height > 1920 * 1080 ? 0 : nil)
                if let lookahead {
                    let frames = max(0, lookahead)
                    _ = fercore_av_opt_set(
                        c.pointee.priv_data, "x264-params",
                        "rc-lookahead=\(frames):sync-lookahead=0:threads=1:lookahead-threads=1"
                            + (frames == 0 ? ":mbtree=0" : ""))
                }
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
            if r < 0 {
                finished = true
                if r == fercore_averror_eacces() { throw .permissionDenied(path: path) }
                throw fail("avio_open (is the directory writable?)", r)
            }
        }
        r = avformat_write_header(fmt, nil)
        if r < 0 { finished = true; throw .writeFailed(path: path, framesWritten: 0, reason: "writing the header: \(FFmpeg.message(r))") }
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
        scaler = sws_getContext(
            Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height),
            c.pointee.pix_fmt, SWS_BILINEAR, nil, nil, nil)
        if scaler == nil { try? finish(); throw fail("sws_getContext", fercore_averror_enomem()) }
    }

    /// Encodes one RGB8 frame of the size the writer was opened with.
    ///
    /// - Parameters:
    ///   - image: an RGB8 frame of ``width`` × ``height``.
    ///   - timestamp: the frame's presentation time in seconds, e.g. the reader's
    ///     `FrameInfo.timestamp`; the first frame's is output time 0. Frames then keep their
    ///     source timing (a variable-frame-rate clip keeps its duration). `nil` places the frame
    ///     `1 / framesPerSecond` after the previous one. A timestamp that is not after the
    ///     previous frame's by at least 1 ms (or not finite) is moved 1 ms after it.
    /// - Throws: ``MediaError/frameMismatch(expectedWidth:expectedHeight:width:height:format:)``
    ///   for a wrong frame (the writer stays usable), ``MediaError/writerFinished(path:)`` after
    ///   ``finish()``, ``MediaError/writeFailed(path:framesWritten:reason:)`` when the file cannot be
    ///   written (the writer then stops; ``finish()`` reports it again), or another FFmpeg failure.
    public func write(_ image: ImageView, timestamp: Double? = nil) throws(MediaError) {
        if let failure { throw failure }
        guard !finished, let c = codec, let f = frame, let s = scaler else { throw .writerFinished(path: path) }
        guard image.width == width, image.height == height, image.format == .rgb8 else {
            throw .frameMismatch(expectedWidth: width, expectedHeight: height, width: image.width, height: image.height, format: image.format)
        }
        var r = av_frame_make_writable(f)
        if r < 0 { throw stop(fail("av_frame_make_writable", r)) }
        let packedRow = width * 3
        if image.rowBytes == packedRow {
            staging.update(from: image.base, count: packedRow * height)
        } else {
            for y in 0..<height { (staging + y * packedRow).update(from: image.base + y * image.rowBytes, count: packedRow) }
        }
        sourceData[0] = UnsafePointer(staging)
        sourceStride[0] = Int32(packedRow)
        withUnsafeMutablePointer(to: &f.pointee.data) { data in
            withUnsafeMutablePointer(to: &f.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { stride in
                        _ = sws_scale(s, sourceData, sourceStride, 0, Int32(height), dst, stride)
                    }
                }
            }
        }
        f.pointee.pts = presentationTicks(timestamp)
        lastPTS = f.pointee.pts
        r = avcodec_send_frame(c, f)
        if r < 0 { throw stop(fail("avcodec_send_frame", r)) }
        // Counted once the encoder's packets so far are in the file: a frame whose write
        // failed is not counted (the error says how many went before it).
        try drain()
        framesWritten += 1
    }

    /// The pts of the next frame, in ticks: strictly after the previous one.
    private func presentationTicks(_ timestamp: Double?) -> Int64 {
        var pts = lastPTS < 0 ? 0 : lastPTS + nominalTicks
        if let timestamp, timestamp.isFinite {
            let first = firstTimestamp ?? timestamp
            firstTimestamp = first
            let ticks = ((timestamp - first) * Double(ticksPerSecond)).rounded()
            // Beyond ±2^53 ticks (≈ 4,000 years at 65535 ticks/s) a Double is no longer exact.
            if abs(ticks) < 9.0e15 { pts = Int64(ticks) }
        }
        // At least 1 ms after the previous frame: Matroska stores milliseconds, and two
        // frames at the same stored time would make its muxer fail.
        return max(pts, lastPTS < 0 ? 0 : lastPTS + minimumGap)
    }

    /// The smallest gap between two frames, in ticks (1 ms).
    private var minimumGap: Int64 { Int64(max(1, ticksPerSecond / 1000)) }

    /// Records `error` as the writer's failure, stops it (closing what can be closed without
    /// finalising a broken file) and returns the error to throw.
    private func stop(_ error: MediaError) -> MediaError {
        if failure == nil { failure = error }
        finished = true
        closeFile(finalize: false)
        return error
    }

    /// Moves every packet the encoder has ready into the file.
    private func drain() throws(MediaError) {
        guard let c = codec, let p = packet, let fmt = format, let st = stream else { return }
        while true {
            var r = avcodec_receive_packet(c, p)
            if r == FFmpeg.again || r == FFmpeg.endOfFile { return }
            if r < 0 { throw stop(fail("avcodec_receive_packet", r)) }
            // One frame per packet: an explicit duration lets the MP4 muxer close the last
            // sample's time range (without it, players and FFmpeg's reader drop the last frame).
            if p.pointee.duration <= 0 { p.pointee.duration = nominalTicks }
            av_packet_rescale_ts(p, c.pointee.time_base, st.pointee.time_base)
            p.pointee.stream_index = st.pointee.index
            r = av_interleaved_write_frame(fmt, p)
            if r < 0 {
                throw stop(.writeFailed(path: path, framesWritten: framesWritten, reason: FFmpeg.message(r)))
            }
        }
    }

    /// Flushes the encoder, writes the container trailer and closes the file. Idempotent;
    /// `deinit` calls it too (but cannot report its error).
    /// - Throws: the first failure of a previous ``write(_:timestamp:)`` again, or
    ///   ``MediaError/notFinalized(path:framesWritten:reason:)`` when flushing, the trailer or
    ///   closing the file fails: the file then may not play. The file is closed either way.
    public func finish() throws(MediaError) {
        if finished {
            closeFile(finalize: false)
            if let failure { throw failure }
            return
        }
        finished = true
        var problem: String?
        if let c = codec, headerWritten {
            _ = avcodec_send_frame(c, nil)
            // A failure here stops the writer (drain records it) and is reported as it is.
            try drain()
        }
        if let reason = closeFile(finalize: true) { problem = reason }
        if let problem {
            let error = MediaError.notFinalized(path: path, framesWritten: framesWritten, reason: problem)
            failure = error
            throw error
        }
    }

    /// Closes the file, writing the trailer first when `finalize` is set; returns what
    /// failed (trailer or close), or nil.
    @discardableResult
    private func closeFile(finalize: Bool) -> String? {
        var problem: String?
        if let fmt = format {
            if headerWritten {
                if finalize {
                    let r = av_write_trailer(fmt)
                    if r < 0 { problem = "writing the index (trailer): \(FFmpeg.message(r))" }
                }
                headerWritten = false
            }
            if (fmt.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0, let pb = fmt.pointee.pb {
                // What is still buffered is written now: a full disk can surface only here, and
                // avio_close reports close(2)'s result, not the flush's, so check pb.error first.
                avio_flush(pb)
                if finalize, pb.pointee.error < 0, problem == nil {
                    problem = "writing the file: \(FFmpeg.message(pb.pointee.error))"
                }
                let r = avio_closep(&fmt.pointee.pb)
                if finalize, r < 0, problem == nil { problem = "closing the file: \(FFmpeg.message(r))" }
            }
            avformat_free_context(fmt)
            format = nil
        }
        if codec != nil { avcodec_free_context(&codec) }
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if let s = scaler { sws_freeContext(s); scaler = nil }
        stream = nil
        return problem
    }
}
