// The decoder's output pass: from logits a (R, D) and data x (B, D) to the per-row log-likelihood
// log p(x|z) and, for training, the gradient of the loss with respect to a, in one fused pass over
// memory (sigmoid, stable loss and gradient together). Row r of the logits belongs to example
// r % B (rows are sample-major: sample l, example b is row l·B + b).
//
// R = rows (L·B), B = examples, D = input size.

/// Bernoulli log-likelihood per row and, when `grad` is given, the gradient of the loss
/// (-scale · log p) with respect to the logits, plus its column sum into the output bias gradient.
///
/// ```
/// log p(x|a) = Σ_d x_d a_d - softplus(a_d),   softplus(a) = max(a, 0) + log1p(exp(-|a|))
/// ∂(-log p)/∂a = sigmoid(a) - x,              sigmoid(a) = a >= 0 ? 1/(1+e) : e/(1+e), e = exp(-|a|)
/// ```
/// Never takes the log of a sigmoid, so logits of ±100 (or ±1e30) give finite, exact values.
/// - Parameters:
///   - grad: (R, D) output, may be the same memory as `logits`; nil for a forward-only pass.
///   - logLik: (R) output, log p(x | row's z).
///   - biasGrad: (D) accumulated Σ_rows grad (only with `grad`).
///   - logits: (R, D); x: (B, D); scale: the factor on the loss (1/L); rowScale: (R) a factor
///     for each row instead (the Monte Carlo objectives' weights), or nil.
func bernoulliPass(grad: UnsafeMutablePointer<Float>?, logLik: UnsafeMutablePointer<Float>,
                   biasGrad: UnsafeMutablePointer<Float>?,
                   logits: UnsafePointer<Float>, x: UnsafePointer<Float>,
                   rows: Int, examples: Int, size d: Int, scale: Float, rowScale: UnsafePointer<Float>? = nil) {
    @inline(__always)
    func lanes(_ a: Float32x16, _ xv: Float32x16, _ scale: Float) -> (ll: Float32x16, g: Float32x16) {
        let negAbs = a.replacing(with: -a, where: a .> 0)
        let e = FastMath.exp(negAbs)
        let inv = 1 / (1 + e)
        let s = (e * inv).replacing(with: inv, where: a .>= 0)
        let relu = a.replacing(with: 0, where: a .< 0)
        let ll = xv * a - (relu + FastMath.log1pUnit(e))
        return (ll, (s - xv) * scale)
    }
    for r in 0 ..< rows {
        let a = logits + r * d
        let xr = x + (r % examples) * d
        let sr = rowScale?[r] ?? scale
        var acc = Float32x16(repeating: 0)
        var j = 0
        if let grad {
            let gr = grad + r * d
            let bg = biasGrad!
            while j + 16 <= d {
                let (ll, g) = lanes(load16(a + j), load16(xr + j), sr)
                acc += ll
                store16(g, gr + j)
                store16(load16(bg + j) + g, bg + j)
                j += 16
            }
            if j < d {
                let n = d - j
                let (ll, g) = lanes(load16(a + j, count: n, pad: 0), load16(xr + j, count: n, pad: 0), sr)
                for k in 0 ..< n { acc[k] += ll[k]; gr[j + k] = g[k]; bg[j + k] += g[k] }
            }
        } else {
            while j + 16 <= d {
                acc += lanes(load16(a + j), load16(xr + j), sr).ll
                j += 16
            }
            if j < d {
                let n = d - j
                let ll = lanes(load16(a + j, count: n, pad: 0), load16(xr + j, count: n, pad: 0), sr).ll
                for k in 0 ..< n { acc[k] += ll[k] }
            }
        }
        logLik[r] = acc.sum()
    }
}

/// Gaussian log-likelihood with mean sigmoid(a) and per-pixel log-variance, per row, and when
/// `grad` is given the gradient of -scale · log p with respect to the logits and the log-variance.
///
/// ```
/// m = sigmoid(a)
/// log p(x|a) = -1/2 Σ_d [ log 2π + logvar_d + (x_d - m_d)² · exp(-logvar_d) ]
/// ∂(-log p)/∂a_d      = (m_d - x_d) · exp(-logvar_d) · m_d (1 - m_d)
/// ∂(-log p)/∂logvar_d = 1/2 (1 - (x_d - m_d)² · exp(-logvar_d))
/// ```
/// - Parameters:
///   - grad: (R, D) output (may alias `logits`), nil for forward only; biasGrad (D) += Σ_rows grad.
///   - logVarGrad: (D) accumulated, nil when the variance is fixed.
///   - logVariance, precision: (D) logvar_d and exp(-logvar_d).
func gaussianPass(grad: UnsafeMutablePointer<Float>?, logLik: UnsafeMutablePointer<Float>,
                  biasGrad: UnsafeMutablePointer<Float>?, logVarGrad: UnsafeMutablePointer<Float>?,
                  logits: UnsafePointer<Float>, x: UnsafePointer<Float>,
                  logVariance: UnsafePointer<Float>, precision: UnsafePointer<Float>,
                  rows: Int, examples: Int, size d: Int, scale: Float, rowScale: UnsafePointer<Float>? = nil) {
    let log2pi: Float = 1.837_877_07
    var constant: Float = 0  // Σ_d (log 2π + logvar_d), the same for every row
    for j in 0 ..< d { constant += log2pi + logVariance[j] }
    @inline(__always)
    func lanes(_ a: Float32x16, _ xv: Float32x16, _ prec: Float32x16, _ scale: Float) -> (sq: Float32x16, g: Float32x16, gv: Float32x16) {
        let negAbs = a.replacing(with: -a, where: a .> 0)
        let e = FastMath.exp(negAbs)
        let inv = 1 / (1 + e)
        let m = (e * inv).replacing(with: inv, where: a .>= 0)
        let diff = m - xv
        let sq = diff * diff * prec
        return (sq, diff * prec * m * (1 - m) * scale, (1 - sq) * (0.5 * scale))
    }
    for r in 0 ..< rows {
        let a = logits + r * d
        let xr = x + (r % examples) * d
        let sr = rowScale?[r] ?? scale
        var acc = Float32x16(repeating: 0)
        var j = 0
        while j + 16 <= d {
            let (sq, g, gv) = lanes(load16(a + j), load16(xr + j), load16(precision + j), sr)
            acc += sq
            if let grad {
                store16(g, grad + r * d + j)
                store16(load16(biasGrad! + j) + g, biasGrad! + j)
                if let logVarGrad { store16(load16(logVarGrad + j) + gv, logVarGrad + j) }
            }
            j += 16
        }
        if j < d {
            let n = d - j
            let (sq, g, gv) = lanes(load16(a + j, count: n, pad: 0), load16(xr + j, count: n, pad: 0),
                                    load16(precision + j, count: n, pad: 0), sr)
            for k in 0 ..< n {
                acc[k] += sq[k]
                if let grad {
                    grad[r * d + j + k] = g[k]
                    biasGrad![j + k] += g[k]
                    if let logVarGrad { logVarGrad[j + k] += gv[k] }
                }
            }
        }
        logLik[r] = -0.5 * (constant + acc.sum())
    }
}

/// The decoder means in place: a (R·D) = sigmoid(a), stable for any a.
func sigmoidInPlace(_ a: UnsafeMutablePointer<Float>, count: Int) {
    @inline(__always)
    func lanes(_ v: Float32x16) -> Float32x16 {
        let e = FastMath.exp(v.replacing(with: -v, where: v .> 0))
        let inv = 1 / (1 + e)
        return (e * inv).replacing(with: inv, where: v .>= 0)
    }
    var j = 0
    while j + 16 <= count {
        store16(lanes(load16(a + j)), a + j)
        j += 16
    }
    if j < count {
        let n = count - j
        store16(lanes(load16(a + j, count: n, pad: 0)), a + j, count: n)
    }
}
