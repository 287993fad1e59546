// Single examples by their index within a split, for the sheets that show or start from given
// examples: only the shards that hold them are read (and checked).
import VAECore
import VAEShards

extension ShardDataset {
    /// The pixels and labels of the examples at `indices` (in that order) of `split`.
    /// - Returns: indices.count examples.
    /// - Throws: `VisualError` for an index outside the split; `DataError` for a bad shard.
    public func examples(at indices: [Int], split: Split) throws -> Examples {
        let n = count(split)
        for index in indices where !(0..<n).contains(index) {
            throw VisualError(n == 0
                ? "example \(index) does not exist: the \(split.rawValue) split of \(directory) is empty"
                : "example \(index) is outside the \(split.rawValue) split of \(directory) (\(n) examples, indices 0 to \(n - 1))")
        }
        let p = shape.pixels
        var pixels = [UInt8](repeating: 0, count: indices.count * p)
        var labels = [UInt16](repeating: Shard.unlabelled, count: indices.count)
        let list = shards(split)
        var cache: (shard: Int, block: ShardBlock)?
        for (k, index) in indices.enumerated() {
            // The last shard whose first record is at or before `index`.
            var lo = 0, hi = list.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if list[mid].firstRecord <= index { lo = mid } else { hi = mid - 1 }
            }
            if cache?.shard != lo { cache = (lo, try read(list[lo])) }
            let block = cache!.block
            let offset = index - list[lo].firstRecord
            pixels.replaceSubrange(k * p..<(k + 1) * p, with: block.pixels[offset * p..<(offset + 1) * p])
            labels[k] = block.labels[offset]
        }
        return Examples(shape: shape, pixels: pixels, labels: labels)
    }
}

/// Some examples of a split, gathered by index.
public struct Examples: Equatable, Sendable {
    public let shape: ImageShape
    /// N × P bytes, one image after another.
    public let pixels: [UInt8]
    /// N labels; `Shard.unlabelled` where the data has none.
    public let labels: [UInt16]

    public var count: Int { labels.count }

    /// The pixels as model inputs in [0, 1] (see `Intensity`).
    /// - Returns: (N, P).
    public var intensities: [Float] { pixels.map(Intensity.of) }
}
