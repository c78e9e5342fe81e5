#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Ctrl-C handling that a frame loop can poll, so the loop can end cleanly and finalise
/// what it writes (a video file stays playable) instead of being killed mid-write.
///
/// ```swift
/// Interrupt.install()
/// while !Interrupt.isRequested, let info = try source.nextFrame(into: frame) { ... }
/// try writer.finish()
/// ```
/// The first SIGINT only sets the flag; the handler then restores the default action, so a
/// second Ctrl-C terminates the process as usual (an escape hatch if a loop never polls).
public enum Interrupt {
    private static let flag = Atomic<Bool>(false)

    /// Installs the SIGINT handler (idempotent) and clears the flag.
    public static func install() {
        flag.store(false, ordering: .sequentiallyConsistent)
        // The handler does only async-signal-safe work: a lock-free atomic store and signal().
        signal(SIGINT) { _ in
            Interrupt.flag.store(true, ordering: .sequentiallyConsistent)
            signal(SIGINT, SIG_DFL)
        }
    }

    /// Whether SIGINT arrived since ``install()`` (or ``request()`` was called).
    public static var isRequested: Bool { flag.load(ordering: .sequentiallyConsistent) }

    /// Sets the flag as if Ctrl-C had been pressed (for a UI's quit button, and for tests).
    public static func request() { flag.store(true, ordering: .sequentiallyConsistent) }

    /// Clears the flag and restores the default SIGINT action.
    public static func reset() {
        signal(SIGINT, SIG_DFL)
        flag.store(false, ordering: .sequentiallyConsistent)
    }
}
