import COpenBLAS

/// Thin, typed entry points to OpenBLAS/LAPACK for row-major float matrices.
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

    /// Eigenvalues (ascending) and eigenvectors (columns, row-major n×n) of a symmetric matrix.
    static func symmetricEigen(_ matrix: [Float], n: Int) -> (values: [Float], vectors: [Float])? {
        // LAPACK is column-major; a symmetric matrix is its own transpose, and the
        // returned column-major eigenvector matrix read row-major is its transpose.
        var a = matrix
        var w = [Float](repeating: 0, count: n)
        var info: Int32 = 0
        var nn = Int32(n), lda = Int32(n)
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workSize: Float = 0
        var iworkSize: Int32 = 0
        ssyevd_("V", "U", &nn, &a, &lda, &w, &workSize, &lwork, &iworkSize, &liwork, &info)
        guard info == 0 else { return nil }
        lwork = Int32(workSize)
        liwork = iworkSize
        var work = [Float](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        ssyevd_("V", "U", &nn, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { return nil }
        var vectors = [Float](repeating: 0, count: n * n)
        for column in 0..<n {
            for row in 0..<n { vectors[row * n + column] = a[column * n + row] }
        }
        return (w, vectors)
    }
}

extension Array where Element == Float {
    func dot(_ other: [Float]) -> Float {
        var sum: Float = 0
        for i in indices { sum += self[i] * other[i] }
        return sum
    }

    var l2Normalized: [Float] {
        let norm = dot(self).squareRoot()
        return norm > 0 ? map { $0 / norm } : self
    }
}
