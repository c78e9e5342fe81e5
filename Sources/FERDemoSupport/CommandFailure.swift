/// A subcommand's failure that is not a usage error: printed as `ferdemo <command>: <message>`
/// on standard error, without the usage banner, and ended with its ``ExitStatus``.
public struct CommandFailure: Error, Sendable, CustomStringConvertible {
    /// The subcommand, e.g. "live".
    public var command: String
    /// The status the process exits with.
    public var status: ExitStatus
    /// What was wrong, where, and what to do.
    public var message: String

    /// Creates a failure.
    public init(_ command: String, _ status: ExitStatus, _ message: String) {
        self.command = command
        self.status = status
        self.message = message
    }

    /// The line printed on standard error.
    public var description: String { "ferdemo \(command): \(message)" }
}

/// A run that was stopped by a signal (SIGTERM, SIGHUP) or a closed pipe (SIGPIPE) and has
/// finalised its outputs: the process now ends by that signal (``ExitStatus/terminate(bySignal:)``).
public struct EndBySignal: Error, Sendable {
    /// The signal to end by.
    public var signal: Int32

    /// Creates the request.
    public init(signal: Int32) { self.signal = signal }
}
