import FERCore
import FuzzSupport

/// The SHA256SUMS parser and check: the input is the manifest next to a small valid
/// weights file, which is then loaded with `.manifest` verification.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = weights
    _ = ScratchFile.write(data, size, name: "SHA256SUMS")
    _ = try? SafeTensorsFile(contentsOf: weights)
    return 0
}

/// A 2-tensor safetensors file beside the manifest.
let weights: String = {
    let bytes = SafeTensorsWriter.encode([.init(name: "a", shape: [2], values: [1, 2]), .init(name: "b", shape: [1], values: [3])])
    return bytes.withUnsafeBufferPointer { ScratchFile.write($0.baseAddress, $0.count, name: "w.safetensors") }
}()
