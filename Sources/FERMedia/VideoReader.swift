#if canImport(Glibc)
import Glibc
#endif
import CFFmpeg
import FERCore

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
public final class VideoReader: FrameSource {
    /// Reader settings.
    public struct Options: Sendable {
        /// Decoder threads; 1 keeps decoding on the caller's thread and deterministic in
        /// timing (FFmpeg's own default for library users is also 1).
        public var decoderThreads: Int = 1
        /// Consecutive packets that fail to decode before the file is declared corrupt
        /// (a few bad packets are normal in damaged-but-playable files; 25 ≈ one second at 25 fps).
        public var maximumConsecutiveErrors: Int = 25

        /// Default settings.
        public init() {}
    }

    /// The file being read.
    public let path: String
    /// Width of the video in pixels (from the stream header).
    public let width: Int
    /// Height of the video in pixels.
    public let height: Int
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
        _ = FFmpeg.quiet
        self.path = path
        self.options = options
        destinationData = .allocate(capacity: 4)
        destinationData.initialize(repeating: nil, count: 4)
        destinationStride = .allocate(capacity: 4)
        destinationStride.initialize(repeating: 0, count: 4)
        // Deallocation of the two arrays above and the FFmpeg objects is done by deinit,
        // which also runs when this initialiser throws after all stored properties are set;
        // until then, failures release what they made themselves.
        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            destinationData.deallocate(); destinationStride.deallocate()
            throw e == EACCES ? .permissionDenied(path: path) : .fileNotFound(path: path)
        }
        if (st.st_mode & S_IFMT) == S_IFREG && st.st_size == 0 {
            destinationData.deallocate(); destinationStride.deallocate()
            throw .emptyFile(path: path)
        }
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        var r = avformat_open_input(&ctx, path, nil, nil)
        guard r >= 0, let fmt = ctx else {
            destinationData.deallocate(); destinationStride.deallocate()
            if r == fercore_averror_enoent() { throw .fileNotFound(path: path) }
            if r == fercore_averror_eacces() { throw .permissionDenied(path: path) }
            throw .unrecognizedFormat(path: path, reason: FFmpeg.message(r))
        }
        var failure: MediaError?
        var codecContext: UnsafeMutablePointer<AVCodecContext>?
        var index: Int32 = -1
        var w = 0, h = 0, rate = 0.0, count: Int?, name = "", tb = 0.0, start: Int64 = 0
        setup: do {
            r = Self.findStreamInfo(fmt)
            if r < 0 { failure = .corrupt(path: path, reason: "no stream information: \(FFmpeg.message(r))"); break setup }
            index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
            guard index >= 0, let stream = fmt.pointee.streams[Int(index)], let par = stream.pointee.codecpar else {
                failure = .noVideoStream(path: path); break setup
            }
            name = String(cString: avcodec_get_name(par.pointee.codec_id))
            w = Int(par.pointee.width); h = Int(par.pointee.height)
            if w == 0 || h == 0 {
                // FFmpeg learns the size by decoding a first picture; it failed (a damaged or
                // truncated header, or a picture over the max_pixels limit set below).
                failure = .corrupt(path: path, reason: "no picture size could be decoded (damaged, truncated, or larger than \(ImageLimits.maximumPixels / 1_000_000) megapixels)")
                break setup
            }
            do { try ImageError.check(width: w, height: h) } catch { failure = .badImageSize(path: path, error: error); break setup }
            guard let decoder = avcodec_find_decoder(par.pointee.codec_id) else {
                failure = .unsupportedCodec(path: path, codec: name); break setup
            }
            codecContext = avcodec_alloc_context3(decoder)
            guard let cc = codecContext else { failure = .ffmpeg(path: path, operation: "avcodec_alloc_context3", message: "out of memory"); break setup }
            r = avcodec_parameters_to_context(cc, par)
            if r < 0 { failure = .ffmpeg(path: path, operation: "avcodec_parameters_to_context", message: FFmpeg.message(r)); break setup }
            cc.pointee.max_pixels = Int64(ImageLimits.maximumPixels)
            cc.pointee.thread_count = Int32(max(1, options.decoderThreads))
            r = avcodec_open2(cc, decoder, nil)
            if r < 0 { failure = .unsupportedCodec(path: path, codec: "\(name) (\(FFmpeg.message(r)))"); break setup }
            let guess = av_guess_frame_rate(fmt, stream, nil)
            rate = guess.den > 0 ? Double(guess.num) / Double(guess.den) : 0
            count = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
            tb = stream.pointee.time_base.den > 0 ? Double(stream.pointee.time_base.num) / Double(stream.pointee.time_base.den) : 0
            start = stream.pointee.start_time == FFmpeg.noPTS ? 0 : stream.pointee.start_time
        }
        format = fmt
        codec = codecContext
        streamIndex = index
        width = w; height = h; frameRate = rate; declaredFrameCount = count; codecName = name
        timeBase = tb; startTime = start
        if let failure { throw failure }
        frame = av_frame_alloc()
        packet = av_packet_alloc()
        if frame == nil || packet == nil { throw .ffmpeg(path: path, operation: "av_frame_alloc", message: "out of memory") }
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
        do { try buffer.reshape(width: w, height: h, format: .rgb8) } catch {
            finished = true
            throw .badImageSize(path: path, error: error)
        }
        // Cached: a new context is made only when the size or pixel format changes.
        scaler = sws_getCachedContext(scaler, Int32(w), Int32(h), AVPixelFormat(frm.pointee.format),
                                      Int32(w), Int32(h), AV_PIX_FMT_RGB24, SWS_BILINEAR, nil, nil, nil)
        guard let s = scaler else {
            finished = true
            throw .unsupportedCodec(path: path, codec: "\(codecName) pixel format \(frm.pointee.format)")
        }
        destinationData[0] = buffer.mutableView.base
        destinationStride[0] = Int32(buffer.rowBytes)
        withUnsafeMutablePointer(to: &frm.pointee.data) { data in
            withUnsafeMutablePointer(to: &frm.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { stride in
                        _ = sws_scale(s, src, stride, 0, Int32(h), destinationData, destinationStride)
                    }
                }
            }
        }
    }
}
