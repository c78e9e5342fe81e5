#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// ferdemo's exit statuses, the same for every subcommand (README, "Exit codes").
///
/// A run stopped by SIGTERM, SIGHUP or a broken pipe finalises its outputs and then ends by
/// that same signal (its default action re-raised), so a shell reports 128 + the signal number
/// (143, 129, 141), systemd counts the stop as clean, and a parent sees `WIFSIGNALED`; see
/// ``terminate(bySignal:)``. Ctrl-C (SIGINT) is a user's stop and exits 0, as q in the window does.
public enum ExitStatus: Int32, CaseIterable, Sendable, CustomStringConvertible {
    /// Done, or stopped by the user (Ctrl-C, q, Esc).
    case success = 0
    /// Any other failure (a network failed mid-run, an internal error).
    case failure = 1
    /// A bad option or argument: out of range, malformed, or an output that names an input
    /// or another output. Nothing was written.
    case usage = 2
    /// An input is missing: no such file, folder or camera.
    case inputMissing = 3
    /// An input exists but cannot be read: not an image or video, damaged, or not permitted.
    case inputUnreadable = 4
    /// A camera exists but cannot be used (busy, not a capture device, no usable format) or
    /// failed while streaming.
    case cameraUnusable = 5
    /// An output could not be created or written (disk full, permission, an I/O error).
    case outputFailed = 6
    /// The network weights are missing or invalid.
    case weightsUnusable = 7

    /// The one-line meaning, for the README and help texts.
    public var description: String {
        switch self {
        case .success: return "done, or stopped by the user (Ctrl-C, q, Esc)"
        case .failure: return "other failures"
        case .usage: return "bad option or argument (nothing was written)"
        case .inputMissing: return "input missing (file, folder, camera)"
        case .inputUnreadable: return "input unreadable (not an image or video, damaged, not permitted)"
        case .cameraUnusable: return "camera unusable (busy, not a capture device, failed while streaming)"
        case .outputFailed: return "an output could not be written (disk full, permission, I/O error)"
        case .weightsUnusable: return "network weights missing or invalid"
        }
    }

    /// The exit-status paragraph every subcommand's help ends with.
    public static let helpText = """
        Exit status: 0 done (also after Ctrl-C), 1 other failures, 2 bad option or argument, \
        3 input missing, 4 input unreadable, 5 camera unusable, 6 an output could not be written, \
        7 weights missing or invalid. After SIGTERM or SIGHUP, and when a reader closes a pipe \
        ferdemo writes to, the outputs are finalised and ferdemo ends by that signal (a shell \
        shows 143, 129, 141).
        """

    /// Ends the process by `signal`, as if its default action had run when it arrived: the
    /// handler is reset to `SIG_DFL`, the signal unblocked and raised. Call it only after every
    /// output is finalised and standard output is flushed.
    public static func terminate(bySignal signal: Int32) -> Never {
        var action = sigaction()
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = SIG_DFL
        #else
            action.__sigaction_u.__sa_handler = SIG_DFL
        #endif
        sigaction(signal, &action, nil)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
        // Only reached if the signal's default action does not end the process.
        _exit(128 + signal)
    }
}
