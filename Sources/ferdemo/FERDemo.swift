import ArgumentParser
import FERCore
import FERDemoSupport
import Foundation

@main
struct FERDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferdemo",
        abstract: "FERCore's demo: face detection and emotion recognition in pure Swift.",
        discussion: ExitStatus.helpText,
        version: "\(FERCoreVersion.string) (kernels: \(InstructionSet.current))",
        subcommands: [Live.self, Models.self, Detect.self, Classify.self, Eval.self, Track.self, Frames.self, Serve.self],
        defaultSubcommand: Live.self
    )

    /// ArgumentParser's `main`, with ferdemo's exit statuses: usage errors exit 2 (not
    /// EX_USAGE, 64), failures of a run print one line without the usage banner, runs stopped
    /// by SIGTERM/SIGHUP/a closed pipe end by that signal, and help text that cannot be
    /// written is an output failure like any other.
    static func main() {
        // A closed pipe, and a file over the size limit (ulimit -f), must be write errors
        // (EPIPE, EFBIG) that end the run cleanly, not signals that kill the process in the
        // middle of writing a video.
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CommandFailure {
            Console.err(failure.description + "\n")
            Glibc.exit(failure.status.rawValue)
        } catch let end as EndBySignal {
            ExitStatus.terminate(bySignal: end.signal)
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            let text = fullMessage(for: error)
            if code == .success {
                // --help, --version: standard output, checked like every other output.
                do { try Console.out(text.isEmpty ? "" : text + "\n") } catch { finish(writing: error) }
                Glibc.exit(ExitStatus.success.rawValue)
            }
            if code == .validationFailure {
                Console.err(text + "\n")
                Glibc.exit(ExitStatus.usage.rawValue)
            }
            Console.err("ferdemo: \(FileErrorText.describe(error))\n")
            Glibc.exit(code == .failure ? ExitStatus.failure.rawValue : code.rawValue)
        }
        if let failure = Console.standardErrorFailure { finish(writing: failure) }
        Glibc.exit(ExitStatus.success.rawValue)
    }

    /// Ends the process after standard output or error failed: by SIGPIPE for a closed pipe
    /// (as if the signal had not been ignored), otherwise with status 6.
    static func finish(writing failure: OutputError) -> Never {
        if failure.isBrokenPipe { ExitStatus.terminate(bySignal: SIGPIPE) }
        Console.err("ferdemo: \(failure)\n")
        Glibc.exit(ExitStatus.outputFailed.rawValue)
    }
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load every shipped network, check it, and print its layers and shapes; list the emotion models.",
        discussion: """
            EXAMPLES:
              ferdemo models
              ferdemo models --verbose --weights /opt/fercore/Weights

            \(ExitStatus.helpText)
            """)

    @Option(help: "Directory holding the *.safetensors weights (default: $FERCORE_WEIGHTS or ./Weights).")
    var weights: String?

    @Option(help: "Threads for FERCore's loops (1...256).")
    var threads: Int = 1

    @Flag(help: "Print every compiled step.")
    var verbose = false

    func validate() throws {
        try OptionCheck.range(threads, "--threads", OptionLimits.threads)
    }

    func run() throws {
        try Output.out("models", "ferdemo \(FERCoreVersion.string) — kernels: \(InstructionSet.current) (CPU supports \(InstructionSet.supported))\n")
        for model in ModelFile.allCases {
            let path = model.path(in: weights)
            let line: String
            do {
                let net = try Network(contentsOf: path)
                let input = net.referenceInputShape
                let workspace = Workspace(network: net)
                let outputs = try workspace.run(Tensor(shape: input))
                let shapes = zip(net.outputNames, outputs).map { "\($0.0) \($0.1.shape.sampleDims)" }.joined(separator: ", ")
                let dynamic = net.acceptsAnySpatialSize ? " (any H×W)" : ""
                var text =
                    "\(net.name): input \(input.sampleDims)\(dynamic) → \(shapes); \(net.stepCount) steps, "
                    + String(format: "%.2f MMAC", Double(net.referenceMACs) / 1e6) + " — \(path)\n"
                if verbose {
                    for step in net.stepDescriptions { text += "    " + step + "\n" }
                }
                line = text
            } catch {
                throw CommandFailure("models", .weightsUnusable, "\(error)")
            }
            try Output.out("models", line)
        }
        try Output.out("models", "\nemotion models (--model NAME; PublicTest: FER-2013, 3,589 faces, top-1, Docs/Accuracy.md):\n")
        for model in EmotionModel.all {
            let line: String
            do {
                let net = try Network(contentsOf: model.file.path(in: weights))
                let input = net.referenceInputShape
                let mark = model == .default ? " (default)" : ""
                line =
                    "  \(model.name)\(mark): input \(input.h)x\(input.w) gray, "
                    + String(
                        format: "PublicTest %.2f %% (flip %.2f %%), %.1f MMAC", model.publicTestAccuracy * 100,
                        model.publicTestAccuracyFlip * 100, Double(net.referenceMACs) / 1e6)
                    + " — \(model.summary)\n"
            } catch {
                throw CommandFailure("models", .weightsUnusable, "\(error)")
            }
            try Output.out("models", line)
        }
    }
}
