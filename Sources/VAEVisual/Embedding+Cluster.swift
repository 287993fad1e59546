// vae-embed across the ranks of an mpirun job: the shards of the chosen splits, laid end to end
// (train before test), are dealt round-robin: shard k to rank k mod N. Round j encodes shards
// jN ..< (j+1)N, one per rank, and rank 0 receives the round's CSV bytes in rank order and
// writes them. The rows are those `Embedding.write` makes (a batch never spans two shards, see
// `EmbeddingRows`), so the file is byte-identical to a single process's, and rank 0 holds at
// most one round of CSV at a time.
import VAECluster
import VAEShards
import VAEModel

extension Embedding {
    /// `write` shared by the ranks of `cluster` (an mpirun job's, or a test's `ThreadRanks`): every
    /// rank calls it with the same arguments except `out`, which rank 0 alone holds (nil on the others).
    /// - Returns: the number of rows written (counted on every rank).
    @discardableResult
    public static func write(model: VAE, checkpoint: String, dataset: ShardDataset, options: EmbeddingOptions,
                             to out: AtomicOutput?, cluster: any Ranks) throws -> Int {
        if !cluster.isDistributed, let out {
            return try write(model: model, checkpoint: checkpoint, dataset: dataset, options: options, to: out)
        }
        let rows = try EmbeddingRows(model: model, checkpoint: checkpoint, dataset: dataset, options: options)
        // Every shard of the output in order: (split, index within the split, first example's index).
        var work: [(split: Split, shard: Int, firstIndex: Int)] = []
        for split in options.splits {
            var index = 0
            for (k, info) in dataset.shards(split).enumerated() {
                work.append((split, k, index))
                index += info.records
            }
        }
        let mine = work.indices.filter { $0 % cluster.size == cluster.rank }
        var streams: [Split: ShardStream] = [:]
        for split in options.splits {
            streams[split] = dataset.stream(split, order: mine.filter { work[$0].split == split }.map { work[$0].shard })
        }

        var csv = CSVBuffer(capacity: 1 << 20)
        if cluster.isRoot {
            rows.header(into: &csv)
            try out?.write(csv.bytes)
        }
        var count = 0
        for roundStart in stride(from: 0, to: work.count, by: cluster.size) {
            csv.removeAll()
            let k = roundStart + cluster.rank
            if k < work.count {
                let item = work[k]
                guard let block = try streams[item.split]!.next() else {
                    throw VisualError("\(dataset.directory): the shard stream of \(item.split.rawValue) ended early")
                }
                try rows.append(block, split: item.split, firstIndex: item.firstIndex, to: &csv)
            }
            _ = try cluster.agree()  // every rank encoded its shard, or one failed and says so
            if let parts = try cluster.gather(csv.bytes), let out {
                for part in parts { try out.write(part) }
            }
            for j in roundStart ..< min(roundStart + cluster.size, work.count) {
                count += dataset.shards(work[j].split)[work[j].shard].records
            }
        }
        return count
    }
}
