/// Minimum-cost assignment of rows to columns (Kuhn–Munkres, the O(n²·m) shortest-augmenting-path
/// form with row/column potentials; Jonker & Volgenant 1987, as in most textbook versions).
/// Rectangular matrices are fine: with rows ≤ columns every row gets a column; otherwise
/// every column gets a row. Work buffers grow to the largest problem seen and are reused,
/// so repeated calls of the same size allocate nothing.
final class HungarianSolver {
    private var u: [Double] = [], v: [Double] = [], minv: [Double] = []
    private var p: [Int] = [], way: [Int] = []
    private var used: [Bool] = []
    private var transposed: [Double] = []

    /// Creates a solver with empty buffers.
    init() {}

    /// Solves for `rows × columns` costs (row-major, finite). Writes into `assignment[r]` the
    /// column of row `r`, or −1 when the row is left out (only when rows > columns).
    /// Returns the total cost of the assignment.
    @discardableResult
    func solve(costs: [Double], rows: Int, columns: Int, assignment: inout [Int]) -> Double {
        if assignment.count != rows { assignment = [Int](repeating: -1, count: rows) }
        for r in 0..<rows { assignment[r] = -1 }
        guard rows > 0, columns > 0, costs.count == rows * columns else { return 0 }
        if rows <= columns {
            return run(rows: rows, columns: columns, cost: { costs[$0 * columns + $1] }, assign: { r, c in assignment[r] = c })
        }
        // More rows than columns: solve the transpose (columns assigned to rows).
        if transposed.count < rows * columns { transposed = [Double](repeating: 0, count: rows * columns) }
        for r in 0..<rows { for c in 0..<columns { transposed[c * rows + r] = costs[r * columns + c] } }
        let t = transposed
        return run(rows: columns, columns: rows, cost: { t[$0 * rows + $1] }, assign: { c, r in assignment[r] = c })
    }

    private func run(rows n: Int, columns m: Int, cost: (Int, Int) -> Double, assign: (Int, Int) -> Void) -> Double {
        func grow<T>(_ a: inout [T], _ k: Int, _ z: T) {
            if a.count < k { a = [T](repeating: z, count: k) }
        }
        grow(&u, n + 1, 0); grow(&v, m + 1, 0); grow(&minv, m + 1, 0)
        grow(&p, m + 1, 0); grow(&way, m + 1, 0); grow(&used, m + 1, false)
        for i in 0...n { u[i] = 0 }
        for j in 0...m { v[j] = 0; p[j] = 0; way[j] = 0 }
        // 1-based rows/columns; column 0 is the virtual start.
        for i in 1...n {
            p[0] = i
            var j0 = 0
            for j in 0...m { minv[j] = .infinity; used[j] = false }
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity
                var j1 = 0
                for j in 1...m where !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j]
                    if cur < minv[j] { minv[j] = cur; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                for j in 0...m {
                    if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var total = 0.0
        for j in 1...m where p[j] != 0 {
            assign(p[j] - 1, j - 1)
            total += cost(p[j] - 1, j - 1)
        }
        return total
    }
}
