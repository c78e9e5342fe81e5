import ArgumentParser
import FERCore
import FERDemoSupport

/// `--model NAME`: the emotion network a subcommand runs (``EmotionModel``; `ferdemo models`
/// lists them).
struct EmotionModelOption: ParsableArguments {
    @Option(
        name: .customLong("model"),
        help: ArgumentHelp(
            "Emotion model: \(EmotionModel.names) (`ferdemo models` lists them).",
            valueName: "name"))
    var name: String = EmotionModel.default.name

    @Flag(help: "Run the model's int8 variant (fernet: fernet-int8; AVX-512 VNNI or AVX2 integer multiply-add).")
    var int8 = false

    func validate() throws {
        guard let model = EmotionModel(name: name) else {
            throw ValidationError("--model '\(name)' is not an emotion model; use one of: \(EmotionModel.names).")
        }
        if int8, model.int8Variant == nil {
            throw ValidationError("--int8: the model \(model.name) has no int8 variant; use it without --int8, or --model fernet.")
        }
    }

    /// The chosen model (validated): `--model`, or its int8 variant with `--int8`.
    var model: EmotionModel {
        let named = EmotionModel(name: name) ?? .default
        return int8 ? (named.int8Variant ?? named) : named
    }
}

/// The options `classify` and `eval` share: flip averaging, threads, batch size and the
/// weights directory, with their ranges checked once.
struct ClassificationOptions: ParsableArguments {
    @Flag(help: "Average the probabilities of each face and its mirror image.")
    var flip = false

    @Option(help: "Threads for FERCore's loops (1...256).")
    var threads: Int = 1

    @Option(help: "Faces per network batch (1...1024).")
    var batch: Int = 16

    @Option(help: "Directory holding the *.safetensors weights (default: $FERCORE_WEIGHTS or ./Weights).")
    var weights: String?

    func validate() throws {
        try OptionCheck.range(threads, "--threads", OptionLimits.threads)
        try OptionCheck.range(batch, "--batch", OptionLimits.batch)
    }
}
