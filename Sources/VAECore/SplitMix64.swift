// SplitMix64 (Steele, Lea & Flood, 2014), the one definition in the project: it seeds the model's
// xoshiro256** generator (VAEModel's `SeededRandom`) and draws the synthetic shapes.

/// A 64-bit generator whose state is one word advanced by the golden gamma; every output is the
/// state passed through the `mix` finalizer.
///
/// ```
/// state += 0x9E3779B97F4A7C15
/// z = state;  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;  z = (z ^ (z >> 27)) * 0x94D049BB133111EB
/// next = z ^ (z >> 31)
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The golden gamma, 2^64 / φ rounded to odd.
    public static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// Advances the state by the gamma and returns the mixed value.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= SplitMix64.gamma
        return SplitMix64.mix(state)
    }

    /// The output function: a bijective 64-bit finalizer.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
