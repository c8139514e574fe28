import Foundation

enum Statistics {
    /// Pearson's correlation coefficient; 0 when either series is constant.
    static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let n = min(a.count, b.count)
        guard n > 1 else { return 0 }
        let meanA = a.prefix(n).reduce(0, +) / Double(n), meanB = b.prefix(n).reduce(0, +) / Double(n)
        var products = 0.0, squaresA = 0.0, squaresB = 0.0
        for i in 0..<n {
            let x = a[i] - meanA, y = b[i] - meanB
            products += x * y
            squaresA += x * x
            squaresB += y * y
        }
        let norm = (squaresA * squaresB).squareRoot()
        return norm > 1e-12 ? products / norm : 0
    }
}
