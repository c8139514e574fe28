/// Optimal one-to-one assignment (Hungarian algorithm, Kuhn–Munkres).
/// Hand-written: a short classic algorithm with no Swift package providing it.
package enum Assignment {
    /// Pairs (row, column) maximising the total weight; rectangular matrices allowed.
    package static func maximumWeight(_ weights: [[Double]]) -> [(Int, Int)] {
        let rows = weights.count, columns = weights.first?.count ?? 0
        guard rows > 0, columns > 0 else { return [] }
        let n = max(rows, columns)
        let largest = weights.flatMap { $0 }.max() ?? 0
        // Minimise cost = largest − weight on a square matrix padded with zero-weight cells.
        var cost = [[Double]](repeating: [Double](repeating: largest, count: n + 1), count: n + 1)
        for r in 0..<rows { for c in 0..<columns { cost[r + 1][c + 1] = largest - weights[r][c] } }
        var u = [Double](repeating: 0, count: n + 1), v = u
        var matchOfColumn = [Int](repeating: 0, count: n + 1), way = matchOfColumn
        for row in 1...n {
            matchOfColumn[0] = row
            var column0 = 0
            var minimum = [Double](repeating: .infinity, count: n + 1)
            var used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[column0] = true
                let row0 = matchOfColumn[column0]
                var delta = Double.infinity, column1 = 0
                for column in 1...n where !used[column] {
                    let reduced = cost[row0][column] - u[row0] - v[column]
                    if reduced < minimum[column] { minimum[column] = reduced; way[column] = column0 }
                    if minimum[column] < delta { delta = minimum[column]; column1 = column }
                }
                for column in 0...n {
                    if used[column] { u[matchOfColumn[column]] += delta; v[column] -= delta } else { minimum[column] -= delta }
                }
                column0 = column1
            } while matchOfColumn[column0] != 0
            repeat {
                let column1 = way[column0]
                matchOfColumn[column0] = matchOfColumn[column1]
                column0 = column1
            } while column0 != 0
        }
        return (1...n).compactMap { column in
            let row = matchOfColumn[column]
            return row >= 1 && row <= rows && column <= columns ? (row - 1, column - 1) : nil
        }
    }
}
