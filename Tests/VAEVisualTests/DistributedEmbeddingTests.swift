// The latent CSV written across N ranks played by N threads of this process (TestSupport's
// `ThreadRanks`), as `mpirun -np N vae-embed` writes it: each rank encodes its shards, rank 0
// receives the rows and alone writes; the file holds the one process's bytes. (mpirun itself:
// EndToEndTests' ClusterCommandTests.)
import Foundation
import TestSupport
import VAECluster
import VAECore
import VAEShards
import VAEVisual
import XCTest

final class DistributedEmbeddingTests: XCTestCase {
    /// Embeds the artifact `data` with the trained pattern model (each rank its own copy, as each
    /// process reads the checkpoint) as one of `ranks`: rank 0 writes `path`.
    /// - Returns: the rows written, as counted on this rank.
    private static func embed(_ data: String, _ options: EmbeddingOptions, to path: String, ranks: any Ranks) throws -> Int {
        let model = try PatternFixtures.trainedModel(steps: 100, batchCapacity: 7)
        let output = ranks.isRoot ? try AtomicOutput(path: path) : nil
        let rows = try Embedding.write(model: model, checkpoint: "model.ckpt", dataset: try ShardDataset(directory: data),
                                       options: options, to: output, cluster: ranks)
        try output?.commit()
        return rows
    }

    func testExactTwoAndThreeThreadRanksWriteTheOneProcessBytes() throws {
        let dir = try makeScratchDirectory(self)
        // 3 train shards (16, 16, 8 examples) and 1 test shard (12): rounds of 2 ranks and 2, or of
        // 3 and 1; batches of 7, which never span two shards.
        let data = try PatternFixtures.artifact(in: dir, train: 40, test: 12, shardSize: 16).directory
        for (options, rows) in [(EmbeddingOptions(splits: [.train, .test], withLogVariance: true, samples: 2, seed: 3), 52),
                                (EmbeddingOptions(splits: [.test]), 12)] {
            let one = dir + "/one.csv"
            XCTAssertEqual(try Self.embed(data, options, to: one, ranks: Cluster.single), rows)
            for n in [2, 3] {
                let many = dir + "/ranks-\(n).csv"
                let counts = try ThreadRanks.run(size: n) { ranks in try Self.embed(data, options, to: many, ranks: ranks) }
                XCTAssertEqual(counts, Array(repeating: rows, count: n))
                XCTAssertEqual(try FileIO.read(many), try FileIO.read(one), "\(n) ranks, \(options)")
            }
        }
    }
}
