import COpenBLAS

/// Thin, typed entry points to OpenBLAS for row-major float matrices.
enum LinearAlgebra {
    /// C = alpha · A · op(B) + beta · C, with A (m×k) and B (k×n, or n×k if `transposeB`).
    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, transposeB: Bool = false, alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(k),
                    b, blasint(transposeB ? k : n), beta, c, blasint(n))
    }
}

extension Array where Element == Float {
    func dot(_ other: [Float]) -> Float {
        var sum: Float = 0
        for i in indices { sum += self[i] * other[i] }
        return sum
    }

    mutating func add(_ other: [Float]) {
        for i in indices { self[i] += other[i] }
    }

    var l2Normalized: [Float] {
        let norm = dot(self).squareRoot()
        return norm > 0 ? map { $0 / norm } : self
    }
}
