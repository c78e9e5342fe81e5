import CFFmpeg
import FERCore

/// Small helpers around FFmpeg's C API shared by the readers and writers.
enum FFmpeg {
    /// FFmpeg's message for an error code.
    static func message(_ code: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buf in
            guard let base = buf.baseAddress else { return "FFmpeg error \(code)" }
            fercore_av_strerror(code, base, 256)
            return String(cString: base)
        }
    }

    /// Silences FFmpeg's own logging once: errors reach the caller as ``MediaError`` values.
    static let quiet: Void = { av_log_set_level(AV_LOG_QUIET) }()

    static let again = fercore_averror_eagain()
    static let endOfFile = fercore_averror_eof()
    static let noPTS = fercore_av_nopts_value()

    /// The largest frame a decoder may allocate, as a string for the `max_pixels` option
    /// (FERCore's ``ImageLimits/maximumPixels``), so an absurd header fails fast.
    static let maxPixelsOption = String(ImageLimits.maximumPixels)
}
