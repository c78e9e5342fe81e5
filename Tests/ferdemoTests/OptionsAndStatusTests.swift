import Foundation
import Testing

/// ferdemo's options and exit statuses, run as a process: every numeric option is checked
/// before anything runs (status 2, a message naming the option, never a trap), and the same
/// failure gives the same status in every subcommand.
@Suite("ferdemo options and exit statuses", .serialized)
struct OptionsAndStatusTests {
    static let image = Demo.root.appendingPathComponent("Tests/Fixtures/media/pattern.jpg").path

    /// A run refused as a usage error: status 2, the option named, no crash report.
    static func expectUsageError(_ arguments: [String], mentions option: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try Demo.run(arguments)
        #expect(run.status == 2, "\(arguments): status \(run.status), stderr: \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(option), "\(arguments): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(!run.stderr.contains("Backtrace") && !run.stderr.contains("Fatal error"), "\(arguments)", sourceLocation: sourceLocation)
    }

    @Test("huge, zero and negative values of every integer option: status 2, no trap")
    func integerOptions() throws {
        let live = ["live", "--input", Demo.sample, "--no-window", "--quiet", "--max-frames", "2"]
        let cases: [([String], String)] = [
            (live, "--detect-every"), (live, "--classify-every"), (live, "--min-face"), (live, "--max-faces"),
            (live, "--threads"), (live, "--detection-latency"), (live, "--camera-fps"),
            (["detect", Self.image], "--min-face"), (["detect", Self.image], "--threads"), (["detect", Self.image], "--benchmark"),
            (["classify", Self.image], "--threads"), (["classify", Self.image], "--batch"),
            (["frames", Demo.sample], "--width"), (["frames", Demo.sample], "--height"), (["frames", Demo.sample], "--passes"),
            (["models"], "--threads")
        ]
        for (prefix, option) in cases {
            // --option=value so that a negative value is not taken for an option.
            for value in ["9223372036854775807", "-9223372036854775808", "-1"] {
                try Self.expectUsageError(prefix + ["\(option)=\(value)"], mentions: option)
            }
        }
        // Values ArgumentParser cannot parse as Int at all are usage errors too.
        try Self.expectUsageError(live + ["--classify-every", "9223372036854775808"], mentions: "--classify-every")
        try Self.expectUsageError(live + ["--max-frames", "0"], mentions: "--max-frames")
    }

    @Test("NaN, infinite and negative seconds, probabilities, boxes and sizes: status 2")
    func textOptions() throws {
        for value in ["nan", "inf", "-inf", "-1", "1e308"] {
            try Self.expectUsageError(["classify", "--benchmark", "--benchmark-seconds=\(value)"], mentions: "--benchmark-seconds")
            try Self.expectUsageError(["classify", Self.image, "--uncertain=\(value)"], mentions: "--uncertain")
            try Self.expectUsageError(["live", "--input", Demo.sample, "--no-window", "--hold-last-frame=\(value)"], mentions: "--hold-last-frame")
        }
        for box in ["0,0,1e300,1e300", "nan,1,2,3", "", "1,2,3", "1,2,0,4", "1e308,1e308,1e308,1e308"] {
            try Self.expectUsageError(["track", "--input", Demo.sample, "--init-box=\(box)"], mentions: "--init-box")
        }
        for size in ["0x0", "640", "99999999999999999999x1", "abc"] {
            try Self.expectUsageError(["live", "--input", Demo.sample, "--no-window", "--camera-size=\(size)"], mentions: "--camera-size")
        }
    }

    @Test("bad options exit 2 in every subcommand, with the usage banner")
    func usageErrors() throws {
        for arguments in [
            ["--no-such-option"], ["live", "--no-such-option"], ["detect"], ["classify"], ["track", "--input", Demo.sample],
            ["models", "--threads", "x"], ["frames", "--passes", "many"]
        ] {
            let run = try Demo.run(arguments)
            #expect(run.status == 2, "\(arguments): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains("Usage:"), "\(arguments): \(run.stderr)")
        }
        let help = try Demo.run(["live", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Exit status: 0 done") && help.stdout.contains("2 bad option"))
    }

    @Test("every subcommand's help has examples and the exit statuses")
    func helpSections() throws {
        for command in ["live", "models", "detect", "classify", "eval", "track", "frames"] {
            let help = try Demo.run([command, "--help"])
            #expect(help.status == 0, "\(command)")
            #expect(help.stdout.contains("EXAMPLES:\n  ferdemo \(command)"), "\(command) --help has no EXAMPLES section")
            #expect(help.stdout.contains("Exit status: 0 done"), "\(command) --help lists no exit statuses")
        }
    }

    @Test("detect and classify: the same status for the same image error")
    func imageErrors() throws {
        let missing = "/nonexistent/face.jpg"
        let corrupt = Demo.temporary("corrupt.jpg")
        try Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: corrupt)
        for (path, status) in [(missing, Int32(3)), (corrupt.path, 4)] {
            let detect = try Demo.run(["detect", path])
            let classify = try Demo.run(["classify", path])
            #expect(detect.status == status, "detect \(path): \(detect.stderr)")
            #expect(classify.status == status, "classify \(path): \(classify.stderr)")
            for run in [detect, classify] {
                #expect(!run.stderr.contains("Usage:"), "an unreadable image is not a usage error: \(run.stderr)")
                #expect(run.stderr.contains(path))
            }
        }
    }

    @Test("missing weights: status 7, one clear line, no usage banner")
    func weightsErrors() throws {
        let empty = Demo.temporary("no-weights")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let runs = [
            try Demo.run(["detect", "--weights", empty.path, Self.image]),
            try Demo.run(["classify", "--weights", empty.path, Self.image]),
            try Demo.run(["live", "--weights", empty.path, "--input", Demo.sample, "--no-window"]),
            try Demo.run(["models", "--weights", empty.path])
        ]
        for run in runs {
            #expect(run.status == 7, "\(run.stderr)")
            #expect(run.stderr.contains(empty.path), "the message names the missing file: \(run.stderr)")
            #expect(!run.stderr.contains("Usage:"), "\(run.stderr)")
        }
    }

    @Test("file errors in words, not NSCocoaErrorDomain dumps")
    func fileErrorsInWords() throws {
        let file = Demo.temporary("a-file")
        try Data("x".utf8).write(to: file)
        let run = try Demo.run(["detect", Self.image, "--annotate", file.path + "/faces"])
        #expect(run.status == 6, "\(run.stderr)")
        #expect(run.stderr.contains("exists and is not a folder"), "\(run.stderr)")
        #expect(!run.stderr.contains("NSCocoaErrorDomain") && !run.stderr.contains("Error Domain"), "\(run.stderr)")
    }
}
