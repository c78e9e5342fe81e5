import ArgumentParser
import FERCore
import FERDemoSupport
import FERMedia
import Foundation

/// Range checks for `validate()`: a value out of range is a usage error (exit status 2)
/// whose message names the option and its range.
enum OptionCheck {
    static func range(_ value: Int, _ option: String, _ range: ClosedRange<Int>) throws {
        do { try UserText.check(value, option: option, in: range) } catch { throw ValidationError(error.description) }
    }

    static func range(_ value: Double, _ option: String, _ range: ClosedRange<Double>) throws {
        do { try UserText.check(value, option: option, in: range) } catch { throw ValidationError(error.description) }
    }

    static func range(_ value: Float, _ option: String, _ range: ClosedRange<Double>) throws {
        try Self.range(Double(value), option, range)
    }

    /// Parses with `parse`, turning its error into a usage error.
    static func parse<T>(_ parse: () throws(UserTextError) -> T) throws -> T {
        do { return try parse() } catch { throw ValidationError(error.description) }
    }
}

/// Standard output of a subcommand: an output failure ends the command (status 6, or by
/// SIGPIPE when the reader has gone).
enum Output {
    static func out(_ command: String, _ text: String) throws {
        do { try Console.out(text) } catch { throw failure(command, error) }
    }

    /// The error that ends `command` after `error`: ``EndBySignal`` (SIGPIPE) for a closed
    /// pipe, otherwise a ``CommandFailure`` with status 6. The message goes to standard error first.
    static func failure(_ command: String, _ error: OutputError) -> Error {
        if error.isBrokenPipe {
            Console.err("ferdemo \(command): \(error)\n")
            return EndBySignal(signal: SIGPIPE)
        }
        return CommandFailure(command, .outputFailed, error.description)
    }

    /// The refusal of a set of outputs, as a usage error (status 2, nothing written).
    static func checkPlan(_ command: String, outputs: [OutputPlan.Entry], inputs: [OutputPlan.Entry], standardOutputCarriesText: Bool) throws {
        do {
            try OutputPlan.check(outputs: outputs, inputs: inputs, standardOutputCarriesText: standardOutputCarriesText)
        } catch {
            throw CommandFailure(command, .usage, error.description)
        }
    }

    /// The weights files a run reads, as inputs no output may overwrite.
    static func weightsInputs(_ directory: String?) -> [OutputPlan.Entry] {
        ModelFile.allCases.map { OutputPlan.Entry(option: "--weights", path: $0.path(in: directory)) }
    }

    /// How a run ends after a signal it handled: SIGINT (the user's stop) returns normally;
    /// SIGTERM and SIGHUP throw ``EndBySignal`` so that the process ends by the signal.
    static func endIfSignalled() throws {
        if let s = Interrupt.signal, s != SIGINT { throw EndBySignal(signal: s) }
    }
}

/// The failure for an error thrown while the networks are set up (FaceDetector,
/// EmotionClassifier, EmotionPipeline): a rejected option value is a usage error (2), anything
/// else means the weights could not be loaded (7).
enum ModelLoadFailure {
    static func failure(_ command: String, _ what: String, _ error: Error) -> CommandFailure {
        CommandFailure(command, isOptionError(error) ? .usage : .weightsUnusable, "cannot load \(what): \(error)")
    }

    static func isOptionError(_ error: Error) -> Bool {
        switch error {
        case let e as PipelineError:
            switch e {
            case .invalidConfiguration: return true
            case let .detection(inner): return isOptionError(inner)
            default: return false
            }
        case let e as DetectionError:
            switch e {
            case .invalidOption, .minimumFaceTooSmall: return true
            default: return false
            }
        default:
            return false
        }
    }
}

/// The failure for a detection error on one image: a minimum face too small for this image's
/// size (FaceDetectorOptions.maximumLevelPixels) is the option's fault (2), anything else 1.
enum DetectionFailure {
    static func failure(_ command: String, _ name: String, _ error: DetectionError) -> CommandFailure {
        CommandFailure(command, ModelLoadFailure.isOptionError(error) ? .usage : .failure, "\(name): \(error)")
    }
}

/// Exit statuses and messages for the images `detect` and `classify` read (the same for both).
enum ImageInputFailure {
    /// The failure for an image that could not be read: 3 when it does not exist, 4 otherwise.
    static func failure(_ command: String, _ error: Error) -> CommandFailure {
        if let media = error as? MediaError, case .fileNotFound = media {
            return CommandFailure(command, .inputMissing, media.description)
        }
        return CommandFailure(command, .inputUnreadable, FileErrorText.describe(error))
    }
}

/// Foundation's file errors (CocoaError) in words: what failed, where, and what to do,
/// instead of an `NSCocoaErrorDomain` dump.
enum FileErrorText {
    static func describe(_ error: Error) -> String {
        guard let cocoa = error as? CocoaError else { return "\(error)" }
        let path = cocoa.filePath ?? cocoa.url?.path ?? "a file"
        var posix: Int32 = 0
        if let underlying = cocoa.underlying as? POSIXError { posix = underlying.code.rawValue }
        let reason = posix != 0 ? String(cString: strerror(posix)) : nil
        switch cocoa.code {
        case .fileNoSuchFile, .fileReadNoSuchFile:
            return "no file or folder at '\(path)'; check the path."
        case .fileReadNoPermission, .fileWriteNoPermission:
            return "permission denied for '\(path)'; check the permissions of the file and of its folder."
        case .fileWriteOutOfSpace:
            return "no space left to write '\(path)'; free some space or write elsewhere."
        case .fileWriteVolumeReadOnly:
            return "'\(path)' is on a read-only file system; write elsewhere."
        case .fileWriteFileExists:
            return "'\(path)' already exists and is not a folder; choose another path."
        default:
            let what = cocoa.code.rawValue >= 512 && cocoa.code.rawValue < 1024 ? "writing" : "reading"
            return "\(what) '\(path)' failed: \(reason ?? "error \(cocoa.code.rawValue)")."
        }
    }
}
