import Testing

@_spi(Kernels) @testable import FERCore

@Suite("Hungarian assignment")
struct HungarianTests {
    /// Best total by trying every injective map of the smaller side into the larger.
    static func bruteForce(_ c: [Double], rows: Int, columns: Int) -> Double {
        var best = Double.infinity
        func go(_ r: Int, _ used: inout [Bool], _ acc: Double, _ assignedCount: Int) {
            if r == rows {
                if assignedCount == min(rows, columns) { best = min(best, acc) }
                return
            }
            // Leave the row out only when there are more rows than columns.
            if rows > columns { go(r + 1, &used, acc, assignedCount) }
            for j in 0..<columns where !used[j] {
                used[j] = true
                go(r + 1, &used, acc + c[r * columns + j], assignedCount + 1)
                used[j] = false
            }
        }
        var used = [Bool](repeating: false, count: columns)
        go(0, &used, 0, 0)
        return best
    }

    @Test("matches brute force on random matrices up to 6×6, square and rectangular")
    func matchesBruteForce() {
        var rng = SplitMix64(seed: 5)
        let solver = HungarianSolver()
        var assignment: [Int] = []
        for _ in 0..<200 {
            let rows = Int.random(in: 1...6, using: &rng), columns = Int.random(in: 1...6, using: &rng)
            // Integer-valued costs produce ties, which exercise the tie handling.
            let c = (0..<(rows * columns)).map { _ in Double(Int.random(in: 0...9, using: &rng)) }
            let total = solver.solve(costs: c, rows: rows, columns: columns, assignment: &assignment)
            let expected = Self.bruteForce(c, rows: rows, columns: columns)
            #expect(abs(total - expected) < 1e-9, "\(rows)x\(columns)")
            // The assignment is a valid injective map whose cost is the reported total.
            var seen = Set<Int>(), sum = 0.0
            for r in 0..<rows where assignment[r] >= 0 {
                #expect(seen.insert(assignment[r]).inserted)
                sum += c[r * columns + assignment[r]]
            }
            #expect(seen.count == min(rows, columns))
            #expect(abs(sum - total) < 1e-9)
        }
    }
}
