// Vectorizable exp and log1p for the decoder's output pass. Foundation's `exp` on Float is one
// libm call per element and cannot vectorize; the Bernoulli pass evaluates one exp and one log1p
// for each of the B x D logits, which would cost as much as the matrix products. These versions
// work on SIMD16<Float> with only multiplies, adds, compares-and-selects and integer bit tricks,
// accurate to about 2 ulp over their domain (tested against Foundation in
// Tests/VAEModelTests/LossTests.swift, `testFast...MatchesLibm`).

/// Sixteen Floats, the unit of the vectorized passes (one AVX-512 register).
public typealias Float32x16 = SIMD16<Float>

public enum FastMath {
    /// e^x for x in [-87, 88] (inputs outside are clamped there), relative error below ~3e-7.
    ///
    /// ```
    /// n = round(x / ln 2)                  (by adding and subtracting 1.5·2^23)
    /// r = x - n·ln 2                       (ln 2 split in a high and a low part), |r| <= ln2/2
    /// e^x = 2^n · (1 + r + r²/2 + ... + r⁷/7!)      (Taylor, truncation error < 5e-9)
    /// 2^n = bit pattern (n + 127) << 23
    /// ```
    @inline(__always)
    public static func exp(_ x: Float32x16) -> Float32x16 {
        var x = x.replacing(with: -87, where: x .< -87)
        x = x.replacing(with: 88, where: x .> 88)
        let magic = Float32x16(repeating: 12_582_912)  // 1.5 · 2^23
        let t = x * 1.442_695_04 + magic
        let n = t - magic
        let r = (x - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-06
        var p = Float32x16(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // The low bits of t hold n + 0x400000 (t = 0x4B400000 + n as a bit pattern).
        let bits = unsafeBitCast(t, to: SIMD16<UInt32>.self)
        let scale = ((bits &- 0x4B40_0000) &+ 127) &<< 23
        return p * unsafeBitCast(scale, to: Float32x16.self)
    }

    /// log(1 + e) for e in [0, 1], absolute error below ~1e-7 (and relative for small e).
    ///
    /// ```
    /// log(1 + e) = 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + ... + s¹³/13),  s = e / (2 + e) <= 1/3
    /// ```
    @inline(__always)
    public static func log1pUnit(_ e: Float32x16) -> Float32x16 {
        let s = e / (2 + e)
        let s2 = s * s
        var p = Float32x16(repeating: 1.0 / 13)
        p = p * s2 + 1.0 / 11
        p = p * s2 + 1.0 / 9
        p = p * s2 + 1.0 / 7
        p = p * s2 + 1.0 / 5
        p = p * s2 + 1.0 / 3
        p = p * s2 + 1
        return 2 * s * p
    }

    /// sqrt(x) for x >= 0 (0 gives 0), within ~2 ulp. Swift's `squareRoot()` on SIMD vectors is a
    /// per-lane call of libm's `sqrtf` (with its errno check), which does not vectorize; this is
    /// the reciprocal square root by the bit trick and two Newton steps, times x, with a final
    /// Newton correction of the root:
    ///
    /// ```
    /// y0 = bits(0x5F375A86 - (bits(x) >> 1))           (|error| < 3.5e-3)
    /// y  = y (1.5 - 0.5 x y²)   twice                 (1/sqrt(x))
    /// s  = x y;  s = s + 0.5 y (x - s²)               (sqrt(x))
    /// ```
    @inline(__always)
    public static func sqrt(_ x: Float32x16) -> Float32x16 {
        let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
        var y = unsafeBitCast(0x5F37_5A86 &- (bits &>> 1), to: Float32x16.self)
        let half = 0.5 * x
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        let s = x * y
        return s + 0.5 * y * (x - s * s)
    }

    /// Scalar sqrt through the vector routine, for tests.
    public static func sqrt(_ x: Float) -> Float { sqrt(Float32x16(repeating: x))[0] }

    /// Scalar e^x through the vector routine (lane 0), for tests and tails.
    public static func exp(_ x: Float) -> Float { exp(Float32x16(repeating: x))[0] }

    /// Scalar log(1 + e), e in [0, 1], through the vector routine.
    public static func log1pUnit(_ e: Float) -> Float { log1pUnit(Float32x16(repeating: e))[0] }
}

/// Loads 16 Floats from `p` (no alignment needed).
@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> Float32x16 {
    UnsafeRawPointer(p).loadUnaligned(as: Float32x16.self)
}

/// Loads `n` < 16 Floats from `p`, the other lanes set to `pad`.
@inline(__always)
func load16(_ p: UnsafePointer<Float>, count n: Int, pad: Float) -> Float32x16 {
    var v = Float32x16(repeating: pad)
    for k in 0 ..< n { v[k] = p[k] }
    return v
}

/// Stores 16 Floats to `p` (no alignment needed).
@inline(__always)
func store16(_ v: Float32x16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float32x16.self)
}

/// Stores the first `n` lanes of `v` to `p`.
@inline(__always)
func store16(_ v: Float32x16, _ p: UnsafeMutablePointer<Float>, count n: Int) {
    for k in 0 ..< n { p[k] = v[k] }
}
