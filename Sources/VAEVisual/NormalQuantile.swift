// The inverse of the standard normal CDF, for the manifold sheet: evenly spaced probabilities
// become latent coordinates, so that equal areas of the prior get equal room on the page
// (Kingma & Welling 2014, figure 4).
import Foundation

public enum StandardNormal {
    /// Φ(x) = P(Z ≤ x) for Z ~ N(0, 1), through the complementary error function.
    ///
    /// ```
    /// Φ(x) = erfc(-x / √2) / 2
    /// ```
    public static func cdf(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// Φ⁻¹(p), the x with Φ(x) = p, for p in (0, 1); -∞ at 0, +∞ at 1, NaN outside [0, 1].
    ///
    /// Acklam's rational approximations (relative error below 1.15e-9) on three regions, then one
    /// step of Halley's method on Φ(x) - p, which brings the error down to about 1e-15:
    ///
    /// ```
    /// p < 0.02425:          q = √(-2 ln p),       x = C(q) / D(q)
    /// 0.02425 ≤ p ≤ 0.97575: q = p - 0.5, r = q², x = A(r) q / B(r)
    /// p > 0.97575:          q = √(-2 ln(1 - p)), x = -C(q) / D(q)
    /// e = Φ(x) - p,  u = e √(2π) exp(x²/2),  x ← x - u / (1 + x u / 2)
    /// ```
    public static func quantile(_ p: Double) -> Double {
        if p.isNaN || p < 0 || p > 1 { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5
            let r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log1p(-p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // Halley refinement. In the upper tail work on the complement, where 1 - p is exact and
        // Φ(x) - p would cancel: e = (1 - p) - Q(x) with Q(x) = erfc(x / √2) / 2.
        let e = p > 0.5 ? (0.5 * erfc(x / 2.0.squareRoot())) - (1 - p) : cdf(x) - p
        let sign: Double = p > 0.5 ? -1 : 1
        let u = sign * e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
