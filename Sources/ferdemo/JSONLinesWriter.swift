import FERCore
import FERDemoSupport
import FERServe
import Foundation

/// Writes one ``FrameRecord`` per frame (JSON Lines; the schema is FERDemoSupport's
/// FrameRecord.swift) without allocating per frame: the record and its faces are reused, and
/// ``FrameRecordEncoder`` formats the line into a reused buffer handed to an ``OutputFile``
/// (written in place, so a reader can follow it; `-` is standard output). A regular file is
/// buffered; a pipe, terminal or device gets each line as soon as it is complete. A stopped
/// run, or a failed write (the file is cut back to its last whole line), leaves lines that all parse.
final class JSONLinesWriter {
    let path: String
    private let file: OutputFile
    private var record = FrameRecord()
    private var encoder = FrameRecordEncoder()
    private(set) var linesWritten = 0

    /// Creates (truncates) the file, or takes standard output for `-`.
    init(path: String) throws(OutputError) {
        self.path = path
        file = try OutputFile(path: path, option: "--json", mode: .stream)
        record.faces.reserveCapacity(16)
    }

    /// Appends the line for `result`; `source` is the image file it came from (folders).
    func write(_ result: FrameResult, source: String? = nil) throws(OutputError) {
        record.update(from: result, source: source)
        encoder.encode(record)
        try file.write(encoder.line)
        if !file.isRegularFile { try file.flush() }
        linesWritten += 1
    }

    /// Flushes and closes the file (idempotent; standard output is flushed, not closed).
    func finish() throws(OutputError) {
        try file.finish()
    }
}
