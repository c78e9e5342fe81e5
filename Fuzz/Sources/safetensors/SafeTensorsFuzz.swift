import FERCore

/// The safetensors reader and the graph compiler on arbitrary bytes; a network that
/// compiles is also run once on its reference input (64 MB activation limit), so odd but
/// valid graphs exercise the kernels. Any error is fine; a trap, crash or leak is not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafeTensorsFile(bytes: bytes, path: "fuzz.safetensors") else { return 0 }
    _ = file.metadata.count
    for name in file.tensors.keys.sorted().prefix(8) { _ = try? file.floats(name) }
    guard let network = try? Network(file: file) else { return 0 }
    _ = network.stepDescriptions
    let workspace = Workspace(network: network)
    workspace.memoryLimit = 64 << 20
    if let input = try? workspace.prepare(inputShape: network.referenceInputShape) {
        for i in input.indices { input[i] = Float(i % 7) / 7 - 0.5 }
        workspace.run()
        for k in network.outputNames.indices { _ = workspace.output(k).buffer.first }
    }
    return 0
}
