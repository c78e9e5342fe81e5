import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// Inputs the fuzzers of Fuzz/ found (Tests/Fixtures/fuzz/), replayed through what the
/// target did with them. Each once trapped; now each gives a typed error or a result.
@Suite("Fuzz findings")
struct FuzzRegressionTests {
    /// What Fuzz/Sources/safetensors does with an input.
    static func replaySafeTensors(_ bytes: [UInt8], path: String) throws(WeightsError) {
        let file = try SafeTensorsFile(bytes: bytes, path: path)
        let network = try Network(file: file)
        let workspace = Workspace(network: network)
        workspace.memoryLimit = 64 << 20
        if let input = try? workspace.prepare(inputShape: network.referenceInputShape) {
            for i in input.indices { input[i] = Float(i % 7) / 7 - 0.5 }
            workspace.run()
        }
    }

    @Test("every safetensors finding replays without a trap")
    func safetensorsFindings() throws {
        let dir = Paths.fixture("fuzz")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("safetensors-") }.sorted()
        #expect(!names.isEmpty)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
            do { try Self.replaySafeTensors(bytes, path: name) } catch { _ = error.description }
        }
    }

    /// A 2×2 ceil-mode pool with vertical stride 8 on a 4-row input: Caffe's formula gives
    /// 2 output rows, the second window starting at row 8, past the input; the pool kernel
    /// then looped over a negative row count and trapped. Such a window is now not made
    /// (1 row), so the file's stated [2, 2, 2] disagrees and the graph is refused.
    @Test("a ceil pool whose last window starts past the input")
    func ceilPoolWindowPastTheInput() throws {
        let name = "safetensors-ceil-pool-stride8.safetensors"
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("fuzz/" + name))))
        let error = #expect(throws: WeightsError.self) { try Self.replaySafeTensors(bytes, path: name) }
        guard case let .invalidGraph(path, layer, detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == name && layer == "p" && detail.contains("[1, 2, 2]"), "\(detail)")
    }
}
