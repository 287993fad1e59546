// The latent codes each sheet decodes, as plain (N, Z) row-major Float arrays (draws from the
// prior are the model's, `VAE.samplePrior`): the manifold grid over two dimensions, sweeps of single dimensions, and straight lines
// between two codes. Kept apart from the model so that the tests can check the codes themselves.
//
// N = codes (tiles of the sheet, row by row), Z = latent size.
import VAEModel

public enum LatentGrid {
    /// The probabilities of the manifold's `steps` rows and columns: the midpoints of `steps`
    /// equal slices of (0, 1), so that every tile stands for the same mass of the prior.
    ///
    /// ```
    /// p_k = (k + 1/2) / steps,   k = 0 ..< steps      (steps = 20: 0.025, 0.075, ..., 0.975)
    /// ```
    public static func manifoldProbabilities(steps: Int) -> [Double] {
        (0..<steps).map { (Double($0) + 0.5) / Double(steps) }
    }

    /// The steps × steps codes of the manifold sheet, row by row: column c sets dimension `dims.x`
    /// to Φ⁻¹(p_c) (left to right, increasing); row r sets `dims.y` to Φ⁻¹(p_{steps-1-r}) (top to
    /// bottom, decreasing, as on a plot); every other dimension is 0.
    /// - Returns: (steps², Z).
    public static func manifold(steps: Int, latent zs: Int, dims: (x: Int, y: Int)) -> [Float] {
        let q = manifoldProbabilities(steps: steps).map { Float(StandardNormal.quantile($0)) }
        var z = [Float](repeating: 0, count: steps * steps * zs)
        for r in 0..<steps {
            for c in 0..<steps {
                let row = (r * steps + c) * zs
                z[row + dims.x] = q[c]
                z[row + dims.y] = q[steps - 1 - r]
            }
        }
        return z
    }

    /// The values of a sweep: `steps` (≥ 2) evenly spaced points of [-range, range], both ends
    /// included.
    ///
    /// ```
    /// v_k = -range + 2·range·k / (steps - 1),   k = 0 ..< steps
    /// ```
    public static func sweep(steps: Int, range: Float) -> [Float] {
        (0..<steps).map { -range + 2 * range * Float($0) / Float(steps - 1) }
    }

    /// One row per dimension in `dims`: `base` (Z) with that dimension replaced by each value of
    /// `sweep(steps:range:)` in turn.
    /// - Returns: (dims.count · steps, Z).
    public static func traversal(base: [Float], dims: [Int], steps: Int, range: Float) -> [Float] {
        let zs = base.count
        let values = sweep(steps: steps, range: range)
        var z = [Float]()
        z.reserveCapacity(dims.count * steps * zs)
        for d in dims {
            for v in values {
                var code = base
                code[d] = v
                z += code
            }
        }
        return z
    }

    /// `steps` (≥ 2) codes on the segment from `a` to `b` (both Z), ends included.
    ///
    /// ```
    /// z_k = a + (b - a) · k / (steps - 1),   k = 0 ..< steps
    /// ```
    /// - Returns: (steps, Z).
    public static func interpolation(from a: [Float], to b: [Float], steps: Int) -> [Float] {
        var z = [Float]()
        z.reserveCapacity(steps * a.count)
        for k in 0..<steps {
            let t = Float(k) / Float(steps - 1)
            for j in a.indices { z.append(a[j] + (b[j] - a[j]) * t) }
        }
        return z
    }
}
