// The fuzz target for checkpoints: a real checkpoint of a small model whose JSON header lies
// anywhere (sizes, settings, position, counts), with its header length and trailing CRC recomputed,
// so only the checks on the header's numbers can catch the lies.
import VAECore
import VAEModel
import VAETrain

extension FuzzTarget {
    /// The likelihoods a fuzzed model may have.
    static let likelihoods: [Likelihood] = [.bernoulli, .gaussianLearned, .gaussianFixed(sigma: 0.5)]

    /// A checkpoint of a small MLP.
    public static let checkpoint = checkpointTarget(name: "checkpoint") { input in
        ModelConfig(
            inputSize: input.int(in: 1...8), hiddenSizes: (0..<input.int(in: 0...2)).map { _ in input.int(in: 1...6) },
            latentSize: input.int(in: 1...3), likelihood: likelihoods[input.int(in: 0...2)])
    }

    /// A checkpoint of a small convolutional model: its channel counts and image geometry are
    /// header fields to lie about too.
    public static let convCheckpoint = checkpointTarget(name: "checkpoint-conv") { input in
        ModelConfig.conv(height: 4 << input.int(in: 0...1), width: 4, channels: input.int(in: 1...3),
                         convChannels: (0..<input.int(in: 1...2)).map { _ in input.int(in: 1...3) },
                         latentSize: input.int(in: 1...3), likelihood: likelihoods[input.int(in: 0...2)])
    }

    /// A checkpoint target for the models whose config `makeConfig` draws from the input.
    static func checkpointTarget(name: String, config makeConfig: @escaping @Sendable (inout FuzzInput) -> ModelConfig) -> FuzzTarget {
        FuzzTarget(name: name) { input, scratch in
            let config = makeConfig(&input)
            let model = try VAE(config: config, seed: UInt64(input.byte()))
            let state = TrainingState(epoch: input.int(in: 0...3), examplesSeen: input.int(in: 0...9), rng: SeededRandom(seed: 1))
            let image = config.imageHeight > 0
                ? ImageShape(height: config.imageHeight, width: config.imageWidth, channels: config.imageChannels)
                : ImageShape(height: config.inputSize, width: 1)
            let valid = try model.checkpoint(
                settings: TrainingSettings(), threads: 1, state: state, image: image, dataIdentity: "fuzz").encoded()
            // magic (8) | version (4) | header length (4) | header | arrays | CRC (4)
            let length = Int(valid[12]) | Int(valid[13]) << 8 | Int(valid[14]) << 16 | Int(valid[15]) << 24
            let json = Array(valid[16..<16 + length])
            let tree = try LyingJSON.decode(json).lying(&input)
            let header = input.lied ? try tree.encoded() : json
            var bytes = Array(valid[0..<8])
            for field in [input.lie32(Checkpoint.formatVersion), input.lie32(UInt32(header.count))] {
                for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: field >> (8 * UInt32(i)))) }
            }
            bytes += header + valid[(16 + length)..<(valid.count - 4)]
            if input.change() { bytes.removeLast(min(bytes.count, 4 * input.int(in: 1...12))) }
            if input.change() { bytes += [UInt8](repeating: 0, count: 4 * input.int(in: 1...12)) }
            let crc = input.change() ? UInt32(input.byte()) : Zlib.crc32(bytes)
            for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i)))) }
            let path = scratch + "/fuzz.ckpt"
            try judge(input, file: path) {
                let decoded = try Checkpoint.decode(bytes, path: path)
                if !input.lied && decoded.parameters != Array(model.parameters) {
                    throw FuzzFailure("a valid checkpoint decoded to other parameters")
                }
            }
        }
    }
}
