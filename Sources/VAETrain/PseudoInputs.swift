// Where a VampPrior's pseudo-inputs start: K distinct training images drawn with the run's seed
// (Tomczak & Welling also start from data; their other choice, noise around a constant, takes
// longer to look like anything). The images are read from the shards in one pass.
//
// N = training examples, K = pseudo-inputs, D = input size.
import VAECore
import VAEModel
import VAEShards

extension ShardDataset {
    /// K distinct indices of the `count` examples of a split, in the order drawn: the first K of a
    /// Fisher-Yates shuffle of 0 ..< count with `rng`.
    static func distinctIndices(_ k: Int, of count: Int, rng: inout SeededRandom) -> [Int] {
        var all = Array(0 ..< count)
        rng.shuffle(&all)
        return Array(all.prefix(k))
    }

    /// The images at `indices` of `split`, as intensities in [0, 1], in the order given: (K, D).
    func images(_ split: Split, at indices: [Int]) throws -> [Float] {
        let d = shape.pixels
        var out = [Float](repeating: 0, count: indices.count * d)
        var wanted: [Int: [Int]] = [:]  // example -> its positions in `indices`
        for (position, index) in indices.enumerated() { wanted[index, default: []].append(position) }
        let stream = stream(split)
        var first = 0
        while let block = try stream.next() {
            for i in 0 ..< block.count {
                for position in wanted[first + i] ?? [] {
                    block.pixels.withUnsafeBufferPointer { pixels in
                        out.withUnsafeMutableBufferPointer { o in
                            Intensity.convert(pixels.baseAddress! + i * d, into: o.baseAddress! + position * d, count: d)
                        }
                    }
                }
            }
            first += block.count
        }
        return out
    }
}

extension VAE {
    /// Starts a VampPrior's K pseudo-inputs at K distinct training images, drawn by `seed`'s
    /// stream of pseudo-inputs; does nothing for the standard normal prior.
    func startPseudoInputs(from dataset: ShardDataset, seed: UInt64) throws {
        let k = config.prior.pseudoInputs
        guard k > 0 else { return }
        var rng = SeededRandom.derived(seed: seed, stream: Streams.pseudoInputs, epoch: 0)
        let indices = ShardDataset.distinctIndices(k, of: dataset.count(.train), rng: &rng)
        try setPseudoInputs(try dataset.images(.train, at: indices))
    }
}
