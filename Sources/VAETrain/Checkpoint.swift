// Checkpoints: everything needed to continue a training run exactly where it stopped, in one
// self-checking binary file (layout in docs/FORMATS.md):
//
//   magic "VAECKPT\0" (8) | version UInt32 LE (2) | header length UInt32 LE | JSON header (sorted keys)
//   | parameters (P Float32 LE) | Adam m (P) | Adam v (P) | CRC-32 UInt32 LE of all bytes before it
//
// The same state always gives the same bytes (sorted keys, no timestamps), files are written
// atomically, and every way a file can be wrong is reported in one line naming the file.
import Foundation
import VAECore
import VAEModel

/// The complete state of a training run at a step boundary.
public struct Checkpoint: Equatable, Sendable {
    /// The first 8 bytes of every checkpoint file: "VAECKPT" and a zero byte.
    public static let magic: [UInt8] = Array("VAECKPT".utf8) + [0]
    /// The format version this code writes; it reads this one and version 1.
    public static let formatVersion: UInt32 = 2

    public var config: ModelConfig
    /// The settings the run was started with.
    public var settings: TrainingSettings
    /// Training threads of the writer (slices of each batch, `VAE.useThreads`) (results are bit-identical for the same count).
    public var threads: Int
    /// Adam's hyperparameters and step count.
    public var adam: Adam
    /// Where the training loop is.
    public var state: TrainingState
    /// The shape of the training images (H, W, C); D = H·W·C. Version 1 files that recorded no
    /// shape read as 0 x 0 (not recorded), and every version 1 file as 1 channel.
    public var imageHeight: Int
    public var imageWidth: Int
    public var imageChannels: Int
    /// What the run trains on (the data manifest's digest); checked by the trainer on resume.
    public var dataIdentity: String
    /// The parameters (P), in the layout of `ParameterLayout(config:)`.
    public var parameters: [Float]
    /// Adam's first moment (P).
    public var adamM: [Float]
    /// Adam's second moment (P).
    public var adamV: [Float]
    /// The score-function estimator's moving-average baseline (`ScoreBaseline`), nil when the run
    /// has none (every other estimator, and files from before it existed).
    public var scoreBaseline: Double?
    /// The processes that trained it (mpirun -np N; 1 for a single process): the sums of the
    /// gradients, so the bits, depend on it. Files that do not record it (all version 1 files,
    /// and version 2 files of single-process runs, which omit it) read as 1.
    public var ranks: Int = 1

    public init(config: ModelConfig, settings: TrainingSettings, threads: Int, adam: Adam, state: TrainingState,
                image: ImageShape, dataIdentity: String, parameters: [Float], adamM: [Float], adamV: [Float],
                scoreBaseline: Double? = nil) {
        self.config = config
        self.settings = settings
        self.threads = threads
        self.adam = adam
        self.state = state
        imageHeight = image.height
        imageWidth = image.width
        imageChannels = image.channels
        self.dataIdentity = dataIdentity
        self.parameters = parameters
        self.adamM = adamM
        self.adamV = adamV
        self.scoreBaseline = scoreBaseline
    }

    /// The image shape, nil when a version 1 file did not record it.
    public var imageShape: ImageShape? {
        imageHeight > 0 && imageWidth > 0 ? ImageShape(height: imageHeight, width: imageWidth, channels: imageChannels) : nil
    }

    /// The non-array fields, as the JSON header of a version 2 file stores them (every key required).
    struct Header: Codable, Equatable {
        var config: ModelConfig
        var settings: TrainingSettings
        var threads: Int
        var adam: Adam
        var epoch: Int
        var examplesSeen: Int
        var rngState: [String]  // four 64-bit words as 16-digit lowercase hex
        var epochLossSum: Double
        var epochReconstructionSum: Double
        var epochKlSum: Double
        var imageHeight: Int
        var imageWidth: Int
        var imageChannels: Int
        var dataIdentity: String
        var parameterCount: Int
        /// Absent unless the run trains with the score-function baseline.
        var scoreBaseline: Double?
        /// Absent for a single process, so that its files keep their bytes.
        var ranks: Int?
    }

    // MARK: Encoding

    /// The file's bytes. Throws if the three arrays differ in length.
    public func encoded() throws(ModelError) -> [UInt8] {
        guard adamM.count == parameters.count, adamV.count == parameters.count else {
            throw ModelError(.mismatch, "checkpoint arrays differ in size: parameters \(parameters.count), m \(adamM.count), v \(adamV.count)")
        }
        let rngState = state.rng.state
        let header = Header(config: config, settings: settings, threads: threads, adam: adam, epoch: state.epoch,
                            examplesSeen: state.examplesSeen, rngState: (0 ..< 4).map { Hex.word64(rngState[$0]) },
                            epochLossSum: state.lossSums.total, epochReconstructionSum: state.lossSums.reconstruction,
                            epochKlSum: state.lossSums.kl, imageHeight: imageHeight, imageWidth: imageWidth,
                            imageChannels: imageChannels, dataIdentity: dataIdentity, parameterCount: parameters.count,
                            scoreBaseline: scoreBaseline, ranks: ranks == 1 ? nil : ranks)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json: [UInt8]
        do { json = Array(try encoder.encode(header)) } catch {
            throw ModelError(.invalidArgument, "checkpoint header cannot be encoded: \(error)")
        }
        var out: [UInt8] = []
        out.reserveCapacity(16 + json.count + 12 * parameters.count + 4)
        out += Checkpoint.magic
        LittleEndian.append(Checkpoint.formatVersion, to: &out)
        LittleEndian.append(UInt32(json.count), to: &out)
        out += json
        for array in [parameters, adamM, adamV] {
            array.withUnsafeBufferPointer { LittleEndian.append($0, to: &out) }
        }
        let crc = out.withUnsafeBytes { Zlib.crc32($0) }
        LittleEndian.append(crc, to: &out)
        return out
    }

    /// Writes the checkpoint atomically (temporary file, fsync, rename).
    public func write(to path: String) throws {
        try AtomicFile.write(try encoded(), to: path)
    }

    // MARK: Decoding

    /// Reads and checks a checkpoint file. Every problem is a `DataError` naming the file: missing,
    /// empty, truncated, not a checkpoint, another format version, checksum mismatch, a header that
    /// does not parse, arrays of the wrong size for the model config.
    public static func read(from path: String) throws -> Checkpoint {
        try decode(try FileIO.read(path), path: path)
    }

    /// Decodes the bytes of a checkpoint file; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(DataError) -> Checkpoint {
        let n = bytes.count
        if n == 0 { throw DataError(.emptyFile, path, "file is empty, expected a checkpoint") }
        if n < magic.count || Array(bytes[0 ..< magic.count]) != magic {
            let found = bytes.prefix(8).map { $0 >= 32 && $0 < 127 ? String(UnicodeScalar($0)) : "." }.joined()
            throw DataError(.badMagic, path, "not a checkpoint: starts with \"\(found)\", expected \"VAECKPT\\0\" (is this a model checkpoint file?)")
        }
        if n < 20 { throw DataError(.truncated, path, "truncated checkpoint: \(n) bytes, even an empty one has 20") }
        let version = readUInt32(bytes, 8)
        if version != formatVersion && version != 1 {
            throw DataError(.unsupported, path, "checkpoint format version \(version), expected 1 or \(formatVersion) (written by another version of vae-train)")
        }
        let headerLength = Int(readUInt32(bytes, 12))
        if n < 16 + headerLength + 4 {
            throw DataError(.truncated, path, "truncated checkpoint: \(n) bytes, the header alone needs \(16 + headerLength + 4)")
        }
        let header: Header
        do {
            let json = Data(bytes[16 ..< 16 + headerLength])
            header = version == 1 ? try JSONDecoder().decode(HeaderV1.self, from: json).upgraded
                : try JSONDecoder().decode(Header.self, from: json)
        } catch {
            throw DataError(.corrupt, path, "checkpoint header (format version \(version)) is not valid: \(error)")
        }
        let p = header.parameterCount
        if p < 0 || p > n / 12 {
            throw DataError(.truncated, path, "truncated checkpoint: \(n) bytes cannot hold the \(p) parameters its header announces")
        }
        let expected = 16 + headerLength + 12 * p + 4
        if n < expected {
            throw DataError(.truncated, path, "truncated checkpoint: \(n) bytes, expected \(expected) for \(p) parameters")
        }
        if n > expected {
            throw DataError(.sizeMismatch, path, "checkpoint has \(n - expected) bytes more than the \(expected) expected for \(p) parameters")
        }
        let stored = readUInt32(bytes, n - 4)
        let computed = bytes.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0 ..< n - 4])) }
        if stored != computed {
            throw DataError(.checksumMismatch, path, "checkpoint checksum mismatch: stored \(Hex.word32(stored)), computed \(Hex.word32(computed)) (the file is damaged)")
        }
        do { try header.config.validate(); try header.config.checkLimits() } catch {
            throw DataError(.corrupt, path, "checkpoint holds an \(error.detail)")
        }
        do { try header.settings.checkLimits() } catch {
            throw DataError(.corrupt, path, "checkpoint holds \(error.detail)")
        }
        guard (0 ... Checkpoint.maxThreads).contains(header.threads) else {
            throw DataError(.corrupt, path, "checkpoint holds invalid training settings: threads is \(header.threads), must be 0 to \(Checkpoint.maxThreads)")
        }
        let image = ImageShape(height: header.imageHeight, width: header.imageWidth, channels: header.imageChannels)
        let unrecorded = version == 1 && header.imageHeight == 0 && header.imageWidth == 0
        guard unrecorded || ((1 ... ImageShape.maxSide).contains(image.height) && (1 ... ImageShape.maxSide).contains(image.width)
                             && (1 ... ImageShape.maxChannels).contains(image.channels) && image.pixels == header.config.inputSize) else {
            throw DataError(.corrupt, path, "checkpoint image shape \(image.height) x \(image.width) x \(image.channels) does not describe the model's \(header.config.inputSize) inputs (sides 1 to \(ImageShape.maxSide), 1 to \(ImageShape.maxChannels) channels)")
        }
        guard header.epoch >= 0, header.examplesSeen >= 0 else {
            throw DataError(.corrupt, path, "checkpoint position is epoch \(header.epoch), example \(header.examplesSeen): neither may be negative")
        }
        let needed = ParameterLayout(config: header.config).count
        if p != needed {
            throw DataError(.sizeMismatch, path, "checkpoint holds \(p) parameters, its model config needs \(needed)")
        }
        var words = SIMD4<UInt64>()
        guard header.rngState.count == 4 else {
            throw DataError(.corrupt, path, "checkpoint generator state has \(header.rngState.count) words, expected 4")
        }
        for (i, s) in header.rngState.enumerated() {
            guard let w = UInt64(s, radix: 16) else {
                throw DataError(.corrupt, path, "checkpoint generator state word \"\(s)\" is not hexadecimal")
            }
            words[i] = w
        }
        guard let rng = SeededRandom(state: words) else {
            throw DataError(.corrupt, path, "checkpoint generator state is all zero")
        }
        var arrays: [[Float]] = []
        var offset = 16 + headerLength
        for _ in 0 ..< 3 {
            let a = [Float](unsafeUninitializedCapacity: p) { buffer, count in
                LittleEndian.read(bytes, at: offset, into: buffer)
                count = p
            }
            offset += 4 * p
            arrays.append(a)
        }
        let ranks = header.ranks ?? 1
        guard (1 ... Checkpoint.maxRanks).contains(ranks) else {
            throw DataError(.corrupt, path, "checkpoint holds invalid training settings: ranks is \(ranks), must be 1 to \(Checkpoint.maxRanks)")
        }
        let state = TrainingState(
            epoch: header.epoch, examplesSeen: header.examplesSeen, rng: rng,
            lossSums: LossSums(total: header.epochLossSum, reconstruction: header.epochReconstructionSum, kl: header.epochKlSum))
        var checkpoint = Checkpoint(
            config: header.config, settings: header.settings, threads: header.threads, adam: header.adam,
            state: state, image: ImageShape(height: header.imageHeight, width: header.imageWidth, channels: header.imageChannels),
            dataIdentity: header.dataIdentity, parameters: arrays[0], adamM: arrays[1], adamV: arrays[2],
            scoreBaseline: header.scoreBaseline)
        checkpoint.ranks = ranks
        return checkpoint
    }

    static func readUInt32(_ b: [UInt8], _ i: Int) -> UInt32 { LittleEndian.uint32(b, at: i) }
}

// MARK: Version 1

extension Checkpoint {
    /// The JSON header of a version 1 file: the settings in force then, and a free-form metadata
    /// object in which vae-train kept the epoch's loss sums and the image height and width.
    struct HeaderV1: Decodable {
        struct Settings: Decodable {
            var learningRate: Double
            var beta: Float
            var klWarmupEpochs: Int
            var batchSize: Int
            var mcSamples: Int
            var binarize: Bool
            var seed: UInt64
            var epochs: Int
            var threads: Int
        }

        /// The keys vae-train wrote into the metadata object; anything else there is ignored.
        struct Metadata: Decodable {
            var lossSum = 0.0, reconstructionSum = 0.0, klSum = 0.0
            var imageHeight = 0, imageWidth = 0

            enum CodingKeys: String, CodingKey {
                case lossSum = "epoch_loss_sum", reconstructionSum = "epoch_recon_sum", klSum = "epoch_kl_sum"
                case imageHeight = "image_height", imageWidth = "image_width"
            }

            init() {}

            init(from decoder: Decoder) throws {
                // null, or an object without these keys (a checkpoint not written by vae-train).
                guard let c = try? decoder.container(keyedBy: CodingKeys.self) else { return }
                lossSum = try c.decodeIfPresent(Double.self, forKey: .lossSum) ?? 0
                reconstructionSum = try c.decodeIfPresent(Double.self, forKey: .reconstructionSum) ?? 0
                klSum = try c.decodeIfPresent(Double.self, forKey: .klSum) ?? 0
                imageHeight = try c.decodeIfPresent(Int.self, forKey: .imageHeight) ?? 0
                imageWidth = try c.decodeIfPresent(Int.self, forKey: .imageWidth) ?? 0
            }
        }

        var config: ModelConfig
        var training: Settings
        var adam: Adam
        var epoch: Int
        var examplesSeen: Int
        var rngState: [String]
        var dataIdentity: String
        var metadata: Metadata?
        var parameterCount: Int

        /// The same state as a version 2 header: the settings version 1 did not store take their
        /// defaults, the model's from `config`; one image channel.
        var upgraded: Header {
            var s = TrainingSettings()
            s.hiddenSizes = config.hiddenSizes
            s.latentSize = config.latentSize
            s.likelihood = config.likelihood
            s.binarize = training.binarize ? .dynamic : .none
            s.mcSamples = training.mcSamples
            s.beta = Double(training.beta)
            s.klWarmupEpochs = training.klWarmupEpochs
            s.learningRate = training.learningRate
            s.batchSize = training.batchSize
            s.epochs = training.epochs
            s.seed = training.seed
            let m = metadata ?? Metadata()
            return Header(config: config, settings: s, threads: training.threads, adam: adam, epoch: epoch,
                          examplesSeen: examplesSeen, rngState: rngState, epochLossSum: m.lossSum,
                          epochReconstructionSum: m.reconstructionSum, epochKlSum: m.klSum,
                          imageHeight: m.imageHeight, imageWidth: m.imageWidth, imageChannels: 1,
                          dataIdentity: dataIdentity, parameterCount: parameterCount, scoreBaseline: nil, ranks: nil)
        }
    }
}
