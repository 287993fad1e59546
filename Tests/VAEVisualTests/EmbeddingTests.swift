import Foundation
import TestSupport
import VAECore
import VAEShards
import VAEModel
import VAEVisual
import XCTest

final class EmbeddingTests: XCTestCase {
    /// Writes the CSV of `options` to a file and returns its records, header first.
    private func embed(_ model: VAE, _ dataset: ShardDataset, _ options: EmbeddingOptions,
                       file: String) throws -> [[String]] {
        let out = try AtomicOutput(path: file)
        try Embedding.write(model: model, checkpoint: "model.ckpt", dataset: dataset, options: options, to: out)
        try out.commit()
        let text = String(decoding: try FileIO.read(file), as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("\r\n"))
        // Split on CRLF only (label names here hold no line breaks).
        return text.components(separatedBy: "\r\n").dropLast().map { CSV.parseRecord(Substring($0)) }
    }

    func testRowsHoldTheEncodersCodes() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try PatternFixtures.artifact(in: dir, train: 40, test: 12, shardSize: 16)
        let model = try PatternFixtures.trainedModel(steps: 200, batchCapacity: 7)
        let records = try embed(model, dataset, EmbeddingOptions(splits: [.train, .test], withLogVariance: true),
                                file: dir + "/latents.csv")
        XCTAssertEqual(records[0], ["index", "split", "label", "mu_1", "mu_2", "mu_3", "logvar_1", "logvar_2", "logvar_3"])
        XCTAssertEqual(records.count, 1 + 40 + 12)

        // The same batches as the tool (shards of 16 cut into batches of 7), straight through the
        // model: the CSV must hold exactly these Floats.
        func reference(_ range: Range<Int>) -> (mu: [Float], logvar: [Float]) {
            var mu: [Float] = [], logvar: [Float] = []
            for shard in stride(from: range.lowerBound, to: range.upperBound, by: 16) {
                let end = min(shard + 16, range.upperBound)
                for start in stride(from: shard, to: end, by: 7) {
                    let codes = PatternFixtures.encode(model, PatternFixtures.imageSet(start..<min(start + 7, end), labelled: true).pixels)
                    mu += codes.mu
                    logvar += codes.logvar
                }
            }
            return (mu, logvar)
        }
        let train = reference(0..<40), test = reference(40..<52)
        for (r, record) in records.dropFirst().enumerated() {
            let isTrain = r < 40
            let index = isTrain ? r : r - 40
            XCTAssertEqual(record.count, 9)
            XCTAssertEqual(record[0], String(index))
            XCTAssertEqual(record[1], isTrain ? "train" : "test")
            XCTAssertEqual(record[2], PatternFixtures.labelNames[r % 3])
            let codes = isTrain ? train : test
            XCTAssertEqual(record[3..<6].map { Float($0) }, codes.mu[index * 3..<index * 3 + 3].map { $0 })
            XCTAssertEqual(record[6..<9].map { Float($0) }, codes.logvar[index * 3..<index * 3 + 3].map { $0 })
        }
        // One batch of everything: the same codes up to the BLAS's summation order.
        let whole = PatternFixtures.encode(model, PatternFixtures.imageSet(0..<40, labelled: true).pixels)
        let largest = zip(whole.mu, train.mu).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(largest, 1e-5)
    }

    func testUnlabelledDataLeavesTheLabelEmpty() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try PatternFixtures.artifact(in: dir, train: 10, test: 0, labelled: false)
        let records = try embed(try PatternFixtures.randomModel(), dataset, EmbeddingOptions(splits: [.train]), file: dir + "/l.csv")
        XCTAssertEqual(records.count, 11)
        XCTAssertEqual(records[0], ["index", "split", "label", "mu_1", "mu_2", "mu_3"])
        for record in records.dropFirst() { XCTAssertEqual(record[2], "") }
        let raw = String(decoding: try FileIO.read(dir + "/l.csv"), as: UTF8.self)
        XCTAssertTrue(raw.contains("\r\n0,train,,"))
    }

    func testSamplesAreReparameterizedAndSeeded() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try PatternFixtures.artifact(in: dir)
        let model = try PatternFixtures.trainedModel(steps: 100)
        let a = try embed(model, dataset, EmbeddingOptions(splits: [.test], withLogVariance: true, samples: 2, seed: 5), file: dir + "/a.csv")
        let b = try embed(model, dataset, EmbeddingOptions(splits: [.train, .test], samples: 2, seed: 5), file: dir + "/b.csv")
        let c = try embed(model, dataset, EmbeddingOptions(splits: [.test], samples: 2, seed: 6), file: dir + "/c.csv")
        XCTAssertEqual(a[0].suffix(6), ["z1_1", "z1_2", "z1_3", "z2_1", "z2_2", "z2_3"])
        XCTAssertEqual(a.count, 13)
        // A row's draws depend on the seed, the split and the index only.
        XCTAssertEqual(a.dropFirst().map { Array($0.suffix(6)) }, b.suffix(12).map { Array($0.suffix(6)) })
        XCTAssertNotEqual(a.dropFirst().map { Array($0.suffix(6)) }, c.dropFirst().map { Array($0.suffix(6)) })
        // z = mu + exp(logvar / 2) · eps with eps from the documented generator.
        let record = a[5], index = 4
        var rng = Embedding.sampleGenerator(seed: 5, split: .test, index: index)
        var eps = [Float](repeating: 0, count: 6)
        eps.withUnsafeMutableBufferPointer { rng.fillNormals($0.baseAddress!, count: 6) }
        for s in 0..<2 {
            for j in 0..<3 {
                let mu = Float(record[3 + j])!, logvar = Float(record[6 + j])!
                XCTAssertEqual(Float(record[9 + s * 3 + j])!, mu + exp(0.5 * logvar) * eps[s * 3 + j], accuracy: 1e-6)
            }
        }
    }

    func testAMismatchedModelIsRefusedBeforeWriting() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try PatternFixtures.artifact(in: dir)
        let model = try VAE(config: ModelConfig(inputSize: 25, hiddenSizes: [4], latentSize: 2), seed: 1)
        let out = try AtomicOutput(path: dir + "/x.csv")
        XCTAssertThrowsError(try Embedding.write(model: model, checkpoint: "m.ckpt", dataset: dataset,
                                                 options: EmbeddingOptions(), to: out)) { error in
            XCTAssertEqual(String(describing: error),
                           "the checkpoint m.ckpt takes inputs of 25 pixels, but the images of \(dataset.directory) are 4x4 = 16 pixels")
        }
        out.abandon()
        XCTAssertEqual(directoryListing(dir), ["shards"])
    }

    func testAtomicOutputAppearsOnlyOnCommit() throws {
        let dir = try makeScratchDirectory(self)
        let path = dir + "/out.txt"
        try AtomicFile.write("old", to: path)
        let out = try AtomicOutput(path: path, bufferSize: 4)
        for i in 0..<1000 { try out.write("line \(i)\n") }
        XCTAssertEqual(String(decoding: try FileIO.read(path), as: UTF8.self), "old")
        try out.commit()
        let text = String(decoding: try FileIO.read(path), as: UTF8.self)
        XCTAssertEqual(text, (0..<1000).map { "line \($0)\n" }.joined())
        XCTAssertEqual(directoryListing(dir), ["out.txt"])

        let failed = try AtomicOutput(path: dir + "/never.txt")
        try failed.write("partial")
        failed.abandon()
        XCTAssertEqual(directoryListing(dir), ["out.txt"])
        XCTAssertThrowsError(try AtomicOutput(path: dir + "/missing/dir/x.csv"))
    }
}
