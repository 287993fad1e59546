// The one random generator of the model and the trainer: xoshiro256** (Blackman & Vigna, 2018)
// seeded through SplitMix64. It exists so that a run is reproducible bit for bit from a seed, and
// so that a checkpoint can save and restore the complete generator state: four UInt64 words,
// with no hidden cached values anywhere else (Box-Muller normals are produced in pairs into a
// caller's buffer, never one at a time with a spare kept aside).
import Foundation
import VAECore

/// A small, fast, reproducible pseudo-random generator: xoshiro256** seeded through SplitMix64.
///
/// The whole state is four `UInt64` words (`state`). The same seed always gives the same stream on
/// every machine; the conversions to `Float`, bounded integers and normals are defined here
/// exactly, so a run is reproducible from its seed and resumable from a saved `state`.
///
/// ```
/// seeding:  s0, s1, s2, s3 = four successive SplitMix64 outputs starting from `seed`
/// next():   result = rotl(s1 * 5, 7) * 9
///           t = s1 << 17; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)
/// ```
public struct SeededRandom: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the four state words with four successive SplitMix64 outputs from `seed`.
    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
    }

    /// Restores a generator from a saved `state`. The all-zero state is a fixed point of
    /// xoshiro and never produced by seeding; it is rejected by returning nil.
    public init?(state: SIMD4<UInt64>) {
        if state == SIMD4<UInt64>(repeating: 0) { return nil }
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3]
    }

    /// The complete generator state (four words). Setting the all-zero state is ignored (it is a
    /// fixed point of xoshiro and cannot come from a seeded generator).
    public var state: SIMD4<UInt64> {
        get { SIMD4(s0, s1, s2, s3) }
        set {
            if newValue == SIMD4<UInt64>(repeating: 0) { return }
            s0 = newValue[0]; s1 = newValue[1]; s2 = newValue[2]; s3 = newValue[3]
        }
    }

    /// An independent generator for one (seed, stream, epoch), e.g. the trainer's shuffle of epoch
    /// `epoch`: the three numbers are mixed through the SplitMix64 finalizer and the result seeds a
    /// fresh generator. Different streams or epochs give unrelated sequences; nothing depends on
    /// how many numbers other generators have drawn.
    ///
    /// ```
    /// derivedSeed = mix(mix(mix(seed + γ) ^ (stream + 2γ)) ^ (epoch + 3γ)),  γ = 0x9E3779B97F4A7C15
    /// ```
    public static func derived(seed: UInt64, stream: UInt64, epoch: UInt64) -> SeededRandom {
        let gamma = SplitMix64.gamma
        var k = SplitMix64.mix(seed &+ gamma)
        k = SplitMix64.mix(k ^ (stream &+ 2 &* gamma))
        k = SplitMix64.mix(k ^ (epoch &+ 3 &* gamma))
        return SeededRandom(seed: k)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits (xoshiro256**).
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = SeededRandom.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = SeededRandom.rotl(s3, 45)
        return result
    }

    /// A uniform `Float` in [0, 1): the top 24 bits of `next()` times 2^-24 (every value is exact).
    @inline(__always)
    public mutating func uniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// An unbiased integer in `0 ..< bound` by Lemire's multiply-and-reject method
    /// ("Fast random integer generation in an interval", 2019). `bound` must be positive.
    public mutating func bounded(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bounded(_:) needs a positive bound")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound  // 2^64 mod bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    /// An unbiased `Int` in `0 ..< bound` (`bound` > 0).
    public mutating func bounded(_ bound: Int) -> Int {
        Int(bounded(UInt64(bound)))
    }

    /// Fisher-Yates shuffle in place: for i from n-1 down to 1, swap a[i] with a[j], j uniform in 0...i.
    public mutating func shuffle(_ a: inout [Int]) {
        if a.count < 2 { return }
        a.withUnsafeMutableBufferPointer { p in
            var i = p.count - 1
            while i > 0 {
                let j = bounded(i + 1)
                p.swapAt(i, j)
                i -= 1
            }
        }
    }

    /// Fills `out[0 ..< count]` with standard normals by the Box-Muller transform, two per pair of
    /// uniforms; for an odd count the second value of the last pair is dropped (nothing is cached).
    ///
    /// ```
    /// u1 = (top 24 bits + 1) * 2^-24   in (0, 1]   (never 0, so log is finite)
    /// u2 = (top 24 bits)     * 2^-24   in [0, 1)
    /// r = sqrt(-2 ln u1);  out[2i] = r cos(2π u2);  out[2i+1] = r sin(2π u2)
    /// ```
    public mutating func fillNormals(_ out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i < count {
            let u1 = Float((next() >> 40) + 1) * 0x1p-24
            let u2 = Float(next() >> 40) * 0x1p-24
            let r = (-2 * Foundation.log(u1)).squareRoot()
            let angle = 2 * Float.pi * u2
            out[i] = r * Foundation.cos(angle)
            if i + 1 < count { out[i + 1] = r * Foundation.sin(angle) }
            i += 2
        }
    }

    /// Fills `out[0 ..< count]` with uniforms in [0, 1) (see `uniform()`).
    public mutating func fillUniform(_ out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = uniform() }
    }
}
