import ArgumentParser
import FERCore

@main
struct FERDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferdemo",
        abstract: "FERCore's demo: face detection and emotion recognition in pure Swift.",
        version: "\(FERCoreVersion.string) (kernels: \(InstructionSet.current))",
        subcommands: [Live.self, Models.self, Detect.self, Classify.self, Track.self, Frames.self],
        defaultSubcommand: Live.self
    )
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load every shipped network, check it, and print its layers and shapes.")

    @Option(help: "Directory holding the *.safetensors weights (default: $FERCORE_WEIGHTS or ./Weights).")
    var weights: String?

    @Option(help: "Threads for FERCore's loops.")
    var threads: Int = 1

    @Flag(help: "Print every compiled step.")
    var verbose = false

    func run() throws {
        print("ferdemo \(FERCoreVersion.string) — kernels: \(InstructionSet.current) (CPU supports \(InstructionSet.supported))")
        for model in ModelFile.allCases {
            let path = model.path(in: weights)
            do {
                let net = try Network(contentsOf: path)
                let input = net.referenceInputShape
                let workspace = Workspace(network: net)
                let outputs = try workspace.run(Tensor(shape: input))
                let shapes = zip(net.outputNames, outputs).map { "\($0.0) \($0.1.shape.sampleDims)" }.joined(separator: ", ")
                let dynamic = net.acceptsAnySpatialSize ? " (any H×W)" : ""
                print("\(net.name): input \(input.sampleDims)\(dynamic) → \(shapes); \(net.stepCount) steps, "
                      + String(format: "%.2f MMAC", Double(net.referenceMACs) / 1e6) + " — \(path)")
                if verbose {
                    for line in net.stepDescriptions { print("    " + line) }
                }
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }
}
