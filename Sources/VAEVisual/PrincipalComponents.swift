// Principal components of latent codes, for a scatter plot of a model with more than two latent
// dimensions: the covariance matrix accumulated in Double, then LAPACK's symmetric eigensolver
// `ssyevd` (from OpenBLAS) for its eigenvectors.
//
// N = points, Z = dimensions, K = components kept.
import COpenBLAS

/// The leading principal directions of a set of points.
public struct PrincipalComponents: Sendable {
    /// The mean of the points (Z).
    public let mean: [Double]
    /// The K unit directions, largest variance first; each one's largest-magnitude entry is
    /// positive, so the signs do not depend on the solver.
    public let directions: [[Double]]
    /// The variance along each direction (the covariance's eigenvalues), same order.
    public let variances: [Double]
    /// The sum of all Z eigenvalues (the total variance).
    public let totalVariance: Double

    /// Fits the first `keep` components of `points` (N, Z), row-major.
    ///
    /// ```
    /// C = (X - mean)ᵀ (X - mean) / (N - 1)     (Z, Z)
    /// C v_k = lambda_k v_k,  lambda_1 ≥ lambda_2 ≥ ...
    /// ```
    /// - Throws: `VisualError` for fewer than 2 points, `keep` out of 1...Z, or a solver failure.
    public init(points: [Float], dimension z: Int, keep: Int) throws {
        let n = z > 0 ? points.count / z : 0
        guard n >= 2 else { throw VisualError("principal components need at least 2 points, got \(n)") }
        guard (1...z).contains(keep) else { throw VisualError("cannot keep \(keep) principal components of \(z) dimensions") }
        var mean = [Double](repeating: 0, count: z)
        for i in 0..<n { for j in 0..<z { mean[j] += Double(points[i * z + j]) } }
        for j in 0..<z { mean[j] /= Double(n) }
        var covariance = [Double](repeating: 0, count: z * z)  // (Z, Z), upper triangle filled
        var centered = [Double](repeating: 0, count: z)
        for i in 0..<n {
            for j in 0..<z { centered[j] = Double(points[i * z + j]) - mean[j] }
            for a in 0..<z { for b in a..<z { covariance[a * z + b] += centered[a] * centered[b] } }
        }
        // Column-major for LAPACK; symmetric, so the upper triangle of either order is the same.
        var matrix = [Float](repeating: 0, count: z * z)
        for a in 0..<z { for b in a..<z {
            let value = Float(covariance[a * z + b] / Double(n - 1))
            matrix[a * z + b] = value
            matrix[b * z + a] = value
        } }
        let eigen = try Self.symmetricEigen(&matrix, order: z)  // ascending; vectors in columns
        var directions: [[Double]] = []
        var variances: [Double] = []
        for k in 0..<keep {
            let column = z - 1 - k
            var v = (0..<z).map { Double(matrix[column * z + $0]) }
            let largest = v.indices.max { abs(v[$0]) < abs(v[$1]) }!
            if v[largest] < 0 { v = v.map { -$0 } }
            directions.append(v)
            variances.append(Double(eigen[column]))
        }
        self.mean = mean
        self.directions = directions
        self.variances = variances
        totalVariance = eigen.reduce(0) { $0 + Double($1) }
    }

    /// The coordinates of point `p` (Z) along each kept direction.
    public func project(_ p: ArraySlice<Float>) -> [Double] {
        directions.map { v in
            var s = 0.0
            for (j, x) in p.enumerated() { s += (Double(x) - mean[j]) * v[j] }
            return s
        }
    }

    /// Eigenvalues (ascending) of the symmetric `order` x `order` matrix `a`, column-major, whose
    /// columns are replaced by the eigenvectors. Uses `ssyevd` with a workspace query first, on
    /// one OpenBLAS thread (its products split over threads would round differently by count).
    static func symmetricEigen(_ a: inout [Float], order n: Int) throws -> [Float] {
        openblas_set_num_threads(1)
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
        var order = Int32(n), lda = Int32(n), info: Int32 = 0
        var w = [Float](repeating: 0, count: n)
        var workSize: Float = 0, iworkSize: Int32 = 0, query: Int32 = -1
        ssyevd_(&jobz, &uplo, &order, &a, &lda, &w, &workSize, &query, &iworkSize, &query, &info, 1, 1)
        guard info == 0 else { throw VisualError("LAPACK ssyevd workspace query failed (info \(info))") }
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Float](repeating: 0, count: max(1, Int(lwork)))
        var iwork = [Int32](repeating: 0, count: max(1, Int(liwork)))
        ssyevd_(&jobz, &uplo, &order, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        guard info == 0 else {
            throw VisualError("LAPACK ssyevd failed (info \(info)): the covariance of the codes has no eigen-decomposition")
        }
        return w
    }
}
