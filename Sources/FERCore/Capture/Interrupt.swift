import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Stop requests from signals that a frame loop can poll, so the loop ends cleanly and
/// finalises what it writes (a video file stays playable, a JSON Lines file whole) instead
/// of being killed mid-write.
///
/// ```swift
/// Interrupt.install()                       // SIGINT, SIGTERM, SIGHUP
/// while !Interrupt.isRequested, let info = try source.nextFrame(into: frame) { ... }
/// Interrupt.beginFinalising()
/// try writer.finish()
/// if let signal = Interrupt.signal, signal != SIGINT { /* end by the signal, e.g. re-raise it */ }
/// ```
///
/// The handler only records the signal (lock-free atomics, async-signal-safe). It stays
/// installed until ``reset()``: a second Ctrl-C, or a SIGTERM after a Ctrl-C, does not kill
/// the process while it finalises its outputs; after ``beginFinalising()`` each further
/// signal prints one line on standard error saying so. SIGQUIT (Ctrl-\\) and SIGKILL keep
/// their default actions and remain the way to abandon a run at once. Handlers are installed
/// with `SA_RESTART`, so interrupted reads and writes resume; a loop that blocks must poll
/// ``isRequested`` itself (`poll` with a timeout does).
package enum Interrupt {
    private static let flag = Atomic<Bool>(false)
    private static let first = Atomic<Int32>(0)
    private static let count = Atomic<Int>(0)
    private static let finalising = Atomic<Bool>(false)

    /// The signals ``install(signals:)`` handles by default: SIGINT (Ctrl-C), SIGTERM (what
    /// `kill`, `timeout`, systemd and container runtimes send) and SIGHUP (the terminal closed).
    package static let defaultSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Installs the handler for `signals`, unblocks them on the calling thread (a parent may
    /// have blocked them, and a blocked mask is inherited through exec; threads started later
    /// inherit the unblocked mask) and clears the state.
    package static func install(signals: [Int32] = defaultSignals) {
        flag.store(false, ordering: .sequentiallyConsistent)
        first.store(0, ordering: .sequentiallyConsistent)
        count.store(0, ordering: .sequentiallyConsistent)
        finalising.store(false, ordering: .sequentiallyConsistent)
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals {
            sigaddset(&set, s)
            var action = sigaction()
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            #if canImport(Glibc)
                action.__sigaction_handler.sa_handler = { Interrupt.received($0) }
            #else
                action.__sigaction_u.__sa_handler = { Interrupt.received($0) }
            #endif
            sigaction(s, &action, nil)
        }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The handler's work: async-signal-safe only (atomics and `write(2)`).
    private static func received(_ signal: Int32) {
        _ = first.compareExchange(expected: 0, desired: signal, ordering: .sequentiallyConsistent)
        count.add(1, ordering: .sequentiallyConsistent)
        flag.store(true, ordering: .sequentiallyConsistent)
        if finalising.load(ordering: .sequentiallyConsistent) {
            let note: StaticString = "\nStill finishing the outputs; they are closed properly before exit (Ctrl-\\ abandons them).\n"
            _ = write(STDERR_FILENO, note.utf8Start, note.utf8CodeUnitCount)
        }
    }

    /// Whether a stop was requested: a signal arrived since ``install(signals:)``, or ``request()`` was called.
    package static var isRequested: Bool { flag.load(ordering: .sequentiallyConsistent) }

    /// The first signal received since ``install(signals:)``, or nil (none, or only ``request()``).
    package static var signal: Int32? {
        let s = first.load(ordering: .sequentiallyConsistent)
        return s == 0 ? nil : s
    }

    /// How many handled signals arrived since ``install(signals:)``.
    package static var signalCount: Int { count.load(ordering: .sequentiallyConsistent) }

    /// Sets the flag as if Ctrl-C had been pressed (for a UI's quit button, and for tests).
    package static func request() { flag.store(true, ordering: .sequentiallyConsistent) }

    /// Marks the start of finalisation: further signals are acknowledged on standard error
    /// (and still do not interrupt).
    package static func beginFinalising() { finalising.store(true, ordering: .sequentiallyConsistent) }

    /// Restores the default action of `signals` and clears the state.
    package static func reset(signals: [Int32] = defaultSignals) {
        for s in signals { restoreDefaultAction(s) }
        flag.store(false, ordering: .sequentiallyConsistent)
        first.store(0, ordering: .sequentiallyConsistent)
        count.store(0, ordering: .sequentiallyConsistent)
        finalising.store(false, ordering: .sequentiallyConsistent)
    }
}

/// `signal(s, SIG_DFL)` (inside ``Interrupt`` the name `signal` is its property).
private func restoreDefaultAction(_ s: Int32) {
    signal(s, SIG_DFL)
}
