import CFFmpeg
import FERCore

#if canImport(Glibc)
    import Glibc
#endif

/// Writes still images: PNG (lossless) or JPEG, chosen by the extension.
public enum ImageWriter {
    /// Encodes `image` (RGB8 or Gray8) and writes it to `path` (`.png`, `.jpg`, `.jpeg`).
    /// - Parameters:
    ///   - image: the picture, RGB8 or Gray8.
    ///   - path: the file to write; its extension chooses the format.
    ///   - quality: JPEG quality 1...31 on FFmpeg's q-scale (lower is better; 2 ≈ libjpeg quality 95).
    /// - Throws: ``MediaError/unsupportedContainer(path:fileExtension:)`` for another extension,
    ///   ``MediaError/permissionDenied(path:)`` when the file cannot be created, or an FFmpeg failure.
    public static func write(_ image: ImageView, to path: String, quality: Int = 2) throws(MediaError) {
        try FFmpeg.load()
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        let jpeg: Bool
        switch ext {
        case "png": jpeg = false
        case "jpg", "jpeg": jpeg = true
        default: throw .unsupportedContainer(path: path, fileExtension: ext)
        }
        guard let encoder = avcodec_find_encoder(jpeg ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_PNG) else {
            throw .unsupportedCodec(path: path, codec: jpeg ? "mjpeg" : "png")
        }
        var codec = avcodec_alloc_context3(encoder)
        var frame = av_frame_alloc()
        var packet = av_packet_alloc()
        defer {
            avcodec_free_context(&codec)
            av_frame_free(&frame)
            av_packet_free(&packet)
        }
        guard let c = codec, let f = frame, let p = packet else {
            throw .ffmpeg(path: path, operation: "avcodec_alloc_context3", message: "out of memory")
        }
        let sourceFormat: AVPixelFormat = image.format == .rgb8 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_GRAY8
        let targetFormat: AVPixelFormat = jpeg ? AV_PIX_FMT_YUVJ444P : sourceFormat
        c.pointee.width = Int32(image.width)
        c.pointee.height = Int32(image.height)
        c.pointee.pix_fmt = targetFormat
        c.pointee.time_base = AVRational(num: 1, den: 25)
        if jpeg {
            c.pointee.flags |= AV_CODEC_FLAG_QSCALE
            c.pointee.global_quality = Int32(FF_QP2LAMBDA) * Int32(min(max(quality, 1), 31))
            c.pointee.color_range = AVCOL_RANGE_JPEG
        }
        var r = avcodec_open2(c, encoder, nil)
        if r < 0 { throw .ffmpeg(path: path, operation: "avcodec_open2", message: FFmpeg.message(r)) }
        f.pointee.format = targetFormat.rawValue
        f.pointee.width = c.pointee.width
        f.pointee.height = c.pointee.height
        f.pointee.quality = c.pointee.global_quality
        f.pointee.pts = 0
        r = av_frame_get_buffer(f, 0)
        if r < 0 { throw .ffmpeg(path: path, operation: "av_frame_get_buffer", message: FFmpeg.message(r)) }
        guard
            let sws = sws_getContext(
                c.pointee.width, c.pointee.height, sourceFormat, c.pointee.width, c.pointee.height,
                targetFormat, SWS_BILINEAR, nil, nil, nil)
        else {
            throw .ffmpeg(path: path, operation: "sws_getContext", message: "unsupported conversion")
        }
        defer { sws_freeContext(sws) }
        // A padded copy: swscale's SIMD loops read a little past the end of the last row.
        let channels = image.format == .rgb8 ? 3 : 1
        let packedRow = image.width * channels
        let staging = UnsafeMutablePointer<UInt8>.allocate(capacity: packedRow * image.height + 64)
        staging.initialize(repeating: 0, count: packedRow * image.height + 64)
        defer { staging.deallocate() }
        for y in 0..<image.height { (staging + y * packedRow).update(from: image.base + y * image.rowBytes, count: packedRow) }
        var srcData: [UnsafePointer<UInt8>?] = [UnsafePointer(staging), nil, nil, nil]
        var srcStride: [Int32] = [Int32(packedRow), 0, 0, 0]
        withUnsafeMutablePointer(to: &f.pointee.data) { data in
            withUnsafeMutablePointer(to: &f.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { stride in
                        _ = sws_scale(sws, &srcData, &srcStride, 0, c.pointee.height, dst, stride)
                    }
                }
            }
        }
        r = avcodec_send_frame(c, f)
        if r >= 0 { r = avcodec_send_frame(c, nil) }
        if r < 0 { throw .ffmpeg(path: path, operation: "avcodec_send_frame", message: FFmpeg.message(r)) }
        guard let file = fopen(path, "wb") else {
            throw errno == EACCES ? .permissionDenied(path: path) : .ffmpeg(path: path, operation: "fopen", message: String(cString: strerror(errno)))
        }
        var writeFailed = false
        while avcodec_receive_packet(c, p) == 0 {
            if fwrite(p.pointee.data, 1, Int(p.pointee.size), file) != Int(p.pointee.size) { writeFailed = true }
            av_packet_unref(p)
        }
        if fclose(file) != 0 { writeFailed = true }
        if writeFailed { throw .ffmpeg(path: path, operation: "fwrite", message: "could not write all bytes (disk full?)") }
    }
}
