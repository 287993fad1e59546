// Inputs for the fuzz targets without libFuzzer: drawn from a seed, so a run is repeatable. Half
// are dense (every decision may lie), half sparse (zeros, which keep the honest value, with a few
// bytes that ask for a lie), so that both many lies at once and each lie alone are tried.
import VAEModel

/// A repeatable stream of fuzz inputs.
public struct FuzzInputs {
    private var rng: SeededRandom

    public init(seed: UInt64) {
        rng = SeededRandom(seed: seed)
    }

    public mutating func next() -> [UInt8] {
        let count = Int(rng.bounded(256))
        if rng.bounded(2) == 0 {
            return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        var bytes = [UInt8](repeating: 0, count: count)
        for _ in 0..<min(count, 1 + Int(rng.bounded(3))) {
            bytes[Int(rng.bounded(UInt64(count)))] = UInt8(200 + rng.bounded(56))
        }
        return bytes
    }
}
