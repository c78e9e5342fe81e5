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

    /// Loads FFmpeg's libraries on first use (they are opened with dlopen, not linked, so a
    /// program that never touches a video does not pay for loading them) and silences FFmpeg's
    /// own logging: errors reach the caller as ``MediaError`` values.
    ///
    /// - Throws: ``MediaError/librariesUnavailable(reason:)`` when the libraries are missing.
    static func load() throws(MediaError) {
        if let failure = loaded { throw failure }
    }

    private static let loaded: MediaError? = {
        let reason = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { buf -> String? in
            guard let base = buf.baseAddress else { return "no memory for the message" }
            return fercore_ffmpeg_load(base, 512) == 1 ? nil : String(cString: base)
        }
        if let reason { return .librariesUnavailable(reason: reason) }
        av_log_set_level(AV_LOG_QUIET)
        return nil
    }()

    static let again = fercore_averror_eagain()
    static let endOfFile = fercore_averror_eof()
    static let noPTS = fercore_av_nopts_value()

    /// The largest frame a decoder may allocate, as a string for the `max_pixels` option
    /// (FERCore's ``ImageLimits/maximumPixels``), so an absurd header fails fast.
    static let maxPixelsOption = String(ImageLimits.maximumPixels)
}
