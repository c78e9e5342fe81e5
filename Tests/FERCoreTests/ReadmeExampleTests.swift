import Testing

@_spi(Kernels) @testable import FERCore

/// The README's ten-line example compiles and does what it says.
@Suite("README example")
struct ReadmeExampleTests {
    @Test("the ten-line example yields seven probabilities that sum to 1")
    func example() throws {
        let network = try Network(contentsOf: Paths.weights(.emotion))
        let workspace = Workspace(network: network, pool: WorkerPool(threads: 2))
        let input = try workspace.prepare(inputShape: TensorShape(h: 64, w: 64, c: 1))
        for i in input.indices { input[i] = 0 }
        workspace.run()
        let probabilities = Array(workspace.output(0).buffer)
        #expect(probabilities.count == 7)
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5) // softmax output; float32 rounding only
        #expect(probabilities.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}
