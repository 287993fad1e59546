// Small data and models for the tests of VAEVisual and of the built vae-embed and vae-generate: a
// 4x4 artifact written by VAEShards' own writer, and tiny VAEs, random or trained on a synthetic
// pattern with the model's own training step.
import Foundation
import VAECore
import VAEShards
import VAEModel

public enum PatternFixtures {
    public static let shape = ImageShape(height: 4, width: 4)
    public static let labelNames = ["bar", "column, wide", "say \"x\""]

    /// Image `i` of the pattern: class i % 3 is a horizontal bar, a vertical bar or a diagonal,
    /// at a position that depends on i, on a dim background with a little noise.
    public static func image(_ i: Int) -> [UInt8] {
        var pixels = patternBytes(count: 16, seed: UInt32(i + 1)).map { $0 / 8 }
        let k = (i / 3) % 4
        for t in 0..<4 {
            switch i % 3 {
            case 0: pixels[k * 4 + t] = 255
            case 1: pixels[t * 4 + k] = 255
            default: pixels[t * 4 + (t + k) % 4] = 230
            }
        }
        return pixels
    }

    public static func imageSet(_ range: Range<Int>, labelled: Bool) -> ImageSet {
        ImageSet(height: 4, width: 4, pixels: range.flatMap(image),
                 labels: labelled ? range.map { UInt16($0 % 3) } : nil)
    }

    /// Writes an artifact of `train` and `test` examples (shards of `shardSize`) and opens it.
    public static func artifact(in directory: String, name: String = "shards", train: Int = 40, test: Int = 12,
                         labelled: Bool = true, shardSize: Int = 16) throws -> ShardDataset {
        let out = FileIO.join(directory, name)
        let input = IngestInput(
            train: imageSet(0..<train, labelled: labelled),
            test: test > 0 ? imageSet(train..<train + test, labelled: labelled) : nil,
            labelNames: labelled ? labelNames : nil,
            source: SourceInfo(kind: "idx", inputs: [InputFile(role: "train-images", path: "synthetic", bytes: 0, sha256: "00")]))
        _ = try ArtifactWriter.write(input, parameters: IngestParameters(shardSize: shardSize, level: 1), to: out, force: false)
        return try ShardDataset(directory: out)
    }

    public static let config = ModelConfig(inputSize: 16, hiddenSizes: [12], latentSize: 3)

    public static func randomModel(seed: UInt64 = 7) throws -> VAE {
        try VAE(config: config, seed: seed, batchCapacity: 64)
    }

    /// A model trained for `steps` steps of 32 examples drawn from the first 60 pattern images,
    /// inferring in pieces of `batchCapacity` examples.
    public static func trainedModel(steps: Int = 1500, seed: UInt64 = 7, batchCapacity: Int = 64) throws -> VAE {
        let model = try VAE(config: config, seed: seed, batchCapacity: batchCapacity, learningRate: 1e-2)
        let data = (0..<60).flatMap(image).map { Float($0) / 255 }
        var rng = SeededRandom(seed: 99)
        var batch = [Float](repeating: 0, count: 32 * 16)
        for _ in 0..<steps {
            for b in 0..<32 {
                let i = rng.bounded(60)
                for j in 0..<16 { batch[b * 16 + j] = data[i * 16 + j] }
            }
            model.trainStep(batch: batch, count: 32, beta: 1, rng: &rng)
        }
        return model
    }

    /// mu and logvar of `pixels` (N × 16 bytes) straight from the model.
    public static func encode(_ model: VAE, _ pixels: [UInt8]) -> (mu: [Float], logvar: [Float]) {
        let n = pixels.count / 16, zs = model.config.latentSize
        var mu = [Float](repeating: 0, count: n * zs), logvar = mu
        model.encode(batch: pixels.map { Float($0) / 255 }, count: n, mu: &mu, logvar: &logvar)
        return (mu, logvar)
    }
}
