// Checkpoints: everything needed to continue a training run exactly where it stopped, in one
// self-checking binary file (layout in docs/FORMATS.md):
//
//   magic "VAECKPT\0" (8) | version UInt32 LE | header length UInt32 LE | JSON header (sorted keys)
//   | parameters (P Float32 LE) | Adam m (P) | Adam v (P) | CRC-32 UInt32 LE of all bytes before it
//
// The same state always gives the same bytes (sorted keys, no timestamps), files are written
// atomically, and every way a file can be wrong is reported in one line naming the file.
import Foundation
import VAEData

/// The training hyperparameters a run was started with, saved in its checkpoints so a resumed
/// run continues with the same settings.
public struct TrainingSettings: Codable, Equatable, Sendable {
    /// Adam's learning rate.
    public var learningRate: Double
    /// The final weight of the KL term (1: the ELBO).
    public var beta: Float
    /// Epochs over which the KL weight rises linearly from 0 to `beta` (0: no warm-up).
    public var klWarmupEpochs: Int
    /// Examples per training step.
    public var batchSize: Int
    /// L, samples of z per example.
    public var mcSamples: Int
    /// Dynamic binarization of every batch (fresh Bernoulli draws each time).
    public var binarize: Bool
    /// The run's seed (initialization, eps, and the derived per-epoch shuffles).
    public var seed: UInt64
    /// Epochs to train in total.
    public var epochs: Int
    /// OpenBLAS threads.
    public var threads: Int

    public init(learningRate: Double = 1e-3, beta: Float = 1, klWarmupEpochs: Int = 0, batchSize: Int = 128,
                mcSamples: Int = 1, binarize: Bool = false, seed: UInt64 = 1, epochs: Int = 10, threads: Int = 2) {
        self.learningRate = learningRate
        self.beta = beta
        self.klWarmupEpochs = klWarmupEpochs
        self.batchSize = batchSize
        self.mcSamples = mcSamples
        self.binarize = binarize
        self.seed = seed
        self.epochs = epochs
        self.threads = threads
    }
}

/// The complete state of a training run at a step boundary.
public struct Checkpoint: Equatable, Sendable {
    /// The first 8 bytes of every checkpoint file: "VAECKPT" and a zero byte.
    public static let magic: [UInt8] = Array("VAECKPT".utf8) + [0]
    /// The format version this code writes and reads.
    public static let formatVersion: UInt32 = 1

    public var config: ModelConfig
    public var training: TrainingSettings
    /// Adam's hyperparameters and step count.
    public var adam: Adam
    /// The epoch in progress, counted from 0 (after a finished epoch e: epoch e+1, examplesSeen 0).
    public var epoch: Int
    /// Examples of `epoch` already consumed, in the order of that epoch's shuffle.
    public var examplesSeen: Int
    /// The trainer's generator state (eps, binarization) after the last step.
    public var rngState: SIMD4<UInt64>
    /// What the run trains on (e.g. the data manifest's digest); checked by the trainer on resume.
    public var dataIdentity: String
    /// Free-form metadata of the writer.
    public var metadata: JSONValue
    /// The parameters (P), in the layout of `ParameterLayout(config:)`.
    public var parameters: [Float]
    /// Adam's first moment (P).
    public var adamM: [Float]
    /// Adam's second moment (P).
    public var adamV: [Float]

    public init(config: ModelConfig, training: TrainingSettings, adam: Adam, epoch: Int, examplesSeen: Int,
                rngState: SIMD4<UInt64>, dataIdentity: String, metadata: JSONValue,
                parameters: [Float], adamM: [Float], adamV: [Float]) {
        self.config = config
        self.training = training
        self.adam = adam
        self.epoch = epoch
        self.examplesSeen = examplesSeen
        self.rngState = rngState
        self.dataIdentity = dataIdentity
        self.metadata = metadata
        self.parameters = parameters
        self.adamM = adamM
        self.adamV = adamV
    }

    /// The non-array fields, as the JSON header stores them.
    struct Header: Codable, Equatable {
        var config: ModelConfig
        var training: TrainingSettings
        var adam: Adam
        var epoch: Int
        var examplesSeen: Int
        var rngState: [String]  // four 64-bit words as 16-digit lowercase hex
        var dataIdentity: String
        var metadata: JSONValue
        var parameterCount: Int
    }

    // MARK: Encoding

    /// The file's bytes. Throws if the three arrays differ in length.
    public func encoded() throws(ModelError) -> [UInt8] {
        guard adamM.count == parameters.count, adamV.count == parameters.count else {
            throw ModelError(.mismatch, "checkpoint arrays differ in size: parameters \(parameters.count), m \(adamM.count), v \(adamV.count)")
        }
        let header = Header(config: config, training: training, adam: adam, epoch: epoch, examplesSeen: examplesSeen,
                            rngState: (0 ..< 4).map { Checkpoint.hex(rngState[$0]) },
                            dataIdentity: dataIdentity, metadata: metadata, parameterCount: parameters.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json: [UInt8]
        do { json = Array(try encoder.encode(header)) } catch {
            throw ModelError(.invalidArgument, "checkpoint header cannot be encoded: \(error)")
        }
        var out: [UInt8] = []
        out.reserveCapacity(16 + json.count + 12 * parameters.count + 4)
        out += Checkpoint.magic
        Checkpoint.append(Checkpoint.formatVersion, to: &out)
        Checkpoint.append(UInt32(json.count), to: &out)
        out += json
        for array in [parameters, adamM, adamV] {
            for f in array { Checkpoint.append(f.bitPattern, to: &out) }
        }
        let crc = out.withUnsafeBytes { Zlib.crc32($0) }
        Checkpoint.append(crc, to: &out)
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
        if version != formatVersion {
            throw DataError(.unsupported, path, "checkpoint format version \(version), expected \(formatVersion) (written by another version of vae-train)")
        }
        let headerLength = Int(readUInt32(bytes, 12))
        if n < 16 + headerLength + 4 {
            throw DataError(.truncated, path, "truncated checkpoint: \(n) bytes, the header alone needs \(16 + headerLength + 4)")
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16 ..< 16 + headerLength]))
        } catch {
            throw DataError(.corrupt, path, "checkpoint header is not valid: \(error)")
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
            throw DataError(.checksumMismatch, path, "checkpoint checksum mismatch: stored \(hex32(stored)), computed \(hex32(computed)) (the file is damaged)")
        }
        do { try header.config.validate(); try header.config.checkLimits() } catch {
            throw DataError(.corrupt, path, "checkpoint holds an \(error.detail)")
        }
        do { try header.training.checkLimits() } catch {
            throw DataError(.corrupt, path, "checkpoint holds \(error.detail)")
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
        if words == SIMD4<UInt64>(repeating: 0) {
            throw DataError(.corrupt, path, "checkpoint generator state is all zero")
        }
        var arrays: [[Float]] = []
        var offset = 16 + headerLength
        for _ in 0 ..< 3 {
            var a = [Float](repeating: 0, count: p)
            for i in 0 ..< p { a[i] = Float(bitPattern: readUInt32(bytes, offset + 4 * i)) }
            offset += 4 * p
            arrays.append(a)
        }
        return Checkpoint(config: header.config, training: header.training, adam: header.adam, epoch: header.epoch,
                          examplesSeen: header.examplesSeen, rngState: words, dataIdentity: header.dataIdentity,
                          metadata: header.metadata, parameters: arrays[0], adamM: arrays[1], adamV: arrays[2])
    }

    // MARK: Little-endian helpers

    static func append(_ v: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(v & 0xFF)); out.append(UInt8((v >> 8) & 0xFF))
        out.append(UInt8((v >> 16) & 0xFF)); out.append(UInt8(v >> 24))
    }

    static func readUInt32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    static func hex(_ w: UInt64) -> String {
        let s = String(w, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    static func hex32(_ w: UInt32) -> String {
        let s = String(w, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }
}

extension VAE {
    /// The model's state as a checkpoint, with the trainer's position, generator and settings.
    public func checkpoint(training: TrainingSettings, epoch: Int, examplesSeen: Int, rng: SeededRandom,
                           dataIdentity: String, metadata: JSONValue = .null) -> Checkpoint {
        Checkpoint(config: config, training: training, adam: optimizer, epoch: epoch, examplesSeen: examplesSeen,
                   rngState: rng.state, dataIdentity: dataIdentity, metadata: metadata,
                   parameters: Array(parameters), adamM: Array(adamM), adamV: Array(adamV))
    }

    /// A model in the state saved in `checkpoint`: parameters, Adam moments and step count, and
    /// `training.mcSamples` samples per example. Gradients start at zero.
    public convenience init(checkpoint c: Checkpoint, batchCapacity: Int? = nil) throws(ModelError) {
        try self.init(config: c.config, seed: 0, batchCapacity: batchCapacity ?? max(c.training.batchSize, 1),
                      mcSamples: max(c.training.mcSamples, 1), learningRate: c.adam.learningRate)
        try restore(from: c)
    }

    /// Overwrites parameters, Adam moments and Adam's state with those of `checkpoint`, which must
    /// be for the same model config; gradients are set to zero.
    public func restore(from c: Checkpoint) throws(ModelError) {
        guard c.config == config else {
            throw ModelError(.mismatch, "checkpoint is for another model (\(c.config)), this one is \(config)")
        }
        let p = layout.count
        guard c.parameters.count == p, c.adamM.count == p, c.adamV.count == p else {
            throw ModelError(.mismatch, "checkpoint arrays have \(c.parameters.count), \(c.adamM.count), \(c.adamV.count) entries, the model has \(p) parameters")
        }
        _ = parameters.update(from: c.parameters)
        _ = adamM.update(from: c.adamM)
        _ = adamV.update(from: c.adamV)
        gradients.initialize(repeating: 0)
        optimizer = c.adam
    }
}
