// Reads a shard artifact back: the manifest, checked before anything trusts it; single shards,
// checked against both their own header and the manifest; a whole-artifact verify; and a stream
// that decompresses the next shards on a background thread while the caller works on this one.
import Dispatch
import Foundation
import VAECore

/// A shard artifact opened for reading.
public final class ShardDataset: Sendable {
    public let directory: String
    public let manifest: Manifest
    /// SHA-256 of `manifest.json`: the identity of the data, recorded by the stages downstream.
    public let identity: String

    /// Opens the artifact at `directory`, checking that its manifest is complete, of a version this
    /// tool reads, self-consistent, and names no file outside the directory.
    public init(directory: String) throws {
        let path = FileIO.join(directory, Manifest.fileName)
        guard FileIO.isDirectory(directory) else {
            throw DataError(.missingFile, directory, "no such shard directory")
        }
        guard FileIO.exists(path) else {
            throw DataError(.missingFile, path, "no manifest: not a complete shard artifact")
        }
        let bytes = try FileIO.read(path)
        guard let peek = try? JSONCoding.decode(FormatPeek.self, from: bytes, path: path) else {
            throw DataError(.corrupt, path, "not a shard manifest (unreadable JSON)")
        }
        guard peek.format == Manifest.formatName else {
            throw DataError(.badMagic, path, "not a shard manifest (format '\(peek.format ?? "none")', expected '\(Manifest.formatName)')")
        }
        guard peek.formatVersion == Manifest.currentVersion else {
            throw DataError(.unsupported, path, "manifest format version \(peek.formatVersion.map(String.init) ?? "none"), this tool reads version \(Manifest.currentVersion)")
        }
        let manifest = try Manifest.decode(bytes, path: path)
        try Self.check(manifest, path: path)
        self.directory = directory
        self.manifest = manifest
        self.identity = SHA256.hex(bytes)
    }

    private struct FormatPeek: Decodable {
        var format: String?
        var formatVersion: Int?
    }

    /// Checks every number of the manifest against the limits (ShardLimits.swift, VAECore's
    /// Limits.swift) before any of it is multiplied or summed, then that the numbers agree with
    /// each other.
    private static func check(_ manifest: Manifest, path: String) throws {
        let shape = manifest.image
        try shape.checkLimits(path: path, field: "image")
        guard shape.channels == 1 || shape.channels == 3 else {
            throw DataError(.corrupt, path, "bad image shape \(shape.width)x\(shape.height)x\(shape.channels)")
        }
        let recordBytes = shape.pixels + Shard.labelBytes
        if let names = manifest.labelNames {
            guard (1...Manifest.maxLabels).contains(names.count) else {
                throw DataError(.corrupt, path, "label_names holds \(names.count) names, must be 1 to \(Manifest.maxLabels)")
            }
            var seen = Set<String>()
            for name in names where !seen.insert(name).inserted {
                throw DataError(.corrupt, path, "label_names lists '\(name)' twice")
            }
        }
        for split in Split.allCases {
            let info = manifest.split(split)
            let field = split.rawValue
            guard info.shards.count <= Manifest.maxShards else {
                throw DataError(.tooLarge, path, "\(field).shards lists \(info.shards.count) shards, over the limit of \(Manifest.maxShards)")
            }
            var next = 0  // at most maxShards x maxRecords < 2^52
            for shard in info.shards {
                let name = shard.file
                guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.hasPrefix(".") else {
                    throw DataError(.unsafePath, path, "shard file name '\(name)' points outside the artifact directory")
                }
                let entry = "\(field) shard \(name)"
                guard (1...Shard.maxRecords).contains(shard.records) else {
                    throw DataError(.corrupt, path, "\(entry): records is \(shard.records), must be 1 to \(Shard.maxRecords)")
                }
                guard shard.firstRecord == next else {
                    throw DataError(.corrupt, path, "\(entry): first_record is \(shard.firstRecord), expected \(next)")
                }
                let raw = try checkedProduct([shard.records, recordBytes], limit: Shard.maxPayloadBytes, path: path,
                                             field: "\(entry): records x record bytes")
                guard shard.rawBytes == raw else {
                    throw DataError(.corrupt, path, "\(entry): raw_bytes is \(shard.rawBytes), its records need \(raw)")
                }
                guard (Shard.headerSize...Shard.maxFileBytes).contains(shard.fileBytes) else {
                    throw DataError(.corrupt, path, "\(entry): file_bytes is \(shard.fileBytes), must be \(Shard.headerSize) to \(Shard.maxFileBytes)")
                }
                next += shard.records
            }
            guard next == info.count else {
                throw DataError(.countMismatch, path, "\(field) split counts \(info.count) examples but its shards hold \(next)")
            }
            guard manifest.labelNames == nil || info.classCounts != nil else {
                throw DataError(.corrupt, path, "\(field).class_counts is missing, and the data is labelled")
            }
            if let counts = info.classCounts {
                guard let names = manifest.labelNames, counts.count == names.count else {
                    throw DataError(.corrupt, path, "\(field) class counts do not match the label names")
                }
                var total = 0
                for (label, n) in counts.enumerated() {
                    guard (0...info.count).contains(n) else {
                        throw DataError(.corrupt, path, "\(field).class_counts[\(label)] is \(n), must be 0 to \(info.count)")
                    }
                    total += n  // at most maxLabels x 2^52
                }
                guard total == info.count else {
                    throw DataError(.countMismatch, path, "\(field) class counts add up to \(total), the split counts \(info.count)")
                }
            }
        }
    }

    public var shape: ImageShape { manifest.image }

    public func shards(_ split: Split) -> [ShardInfo] { manifest.split(split).shards }

    public func count(_ split: Split) -> Int { manifest.split(split).count }

    /// The path of a shard listed in the manifest.
    public func path(of shard: ShardInfo) -> String { FileIO.join(directory, shard.file) }

    /// Reads and checks one shard: its size and checksum against the manifest, then its header,
    /// payload checksum and labels.
    public func read(_ shard: ShardInfo) throws -> ShardBlock {
        let path = path(of: shard)
        guard FileIO.exists(path) else {
            throw DataError(.missingFile, path, "shard listed in the manifest is missing")
        }
        let bytes = try FileIO.read(path, allowEmpty: true)
        guard bytes.count >= shard.fileBytes else {
            throw DataError(.truncated, path, "shard is \(bytes.count) bytes, the manifest says \(shard.fileBytes) (truncated)")
        }
        guard bytes.count == shard.fileBytes else {
            throw DataError(.corrupt, path, "shard is \(bytes.count) bytes, the manifest says \(shard.fileBytes)")
        }
        guard Zlib.crc32(bytes) == shard.fileCrc32 else {
            throw DataError(.checksumMismatch, path, "shard checksum mismatch: the file is corrupt")
        }
        let header = try Shard.Header.decode(bytes, path: path)
        guard header.payloadCrc32 == shard.payloadCrc32, header.payloadBytes == shard.rawBytes else {
            throw DataError(.corrupt, path, "shard header disagrees with the manifest (payload \(header.payloadBytes) bytes, CRC \(header.payloadCrc32); the manifest says \(shard.rawBytes) bytes, CRC \(shard.payloadCrc32))")
        }
        let block = try Shard.decode(bytes, path: path)
        guard block.shape == shape, block.count == shard.records else {
            throw DataError(.corrupt, path, "shard holds \(block.count) records of \(block.shape.width)x\(block.shape.height), the manifest says \(shard.records) of \(shape.width)x\(shape.height)")
        }
        let classes = manifest.labelNames?.count
        for (i, label) in block.labels.enumerated() {
            let valid = classes.map { Int(label) < $0 } ?? (label == Shard.unlabelled)
            if !valid {
                throw DataError(.labelOutOfRange, path, "record \(shard.firstRecord + i) has label \(label), out of range")
            }
        }
        return block
    }

    /// Reads every shard of both splits (on every core) and checks it; throws for the first bad one
    /// in manifest order.
    public func verify() throws {
        let all = Split.allCases.flatMap { shards($0) }
        let errors = ErrorSlots(count: all.count)
        DispatchQueue.concurrentPerform(iterations: all.count) { index in
            do { _ = try read(all[index]) } catch { errors.set(index, error) }
        }
        try errors.throwFirst()
    }

    /// Streams the shards of `split` in `order` (indices into `shards(split)`, default: manifest
    /// order), decoding up to `lookahead` shards ahead on a background thread.
    public func stream(_ split: Split, order: [Int]? = nil, lookahead: Int = 2) -> ShardStream {
        let list = shards(split)
        return ShardStream(dataset: self, shards: (order ?? Array(list.indices)).map { list[$0] }, lookahead: lookahead)
    }
}

/// Shards read in a given order, each decoded ahead of time on a background queue; memory holds
/// at most `lookahead + 1` decoded shards.
public final class ShardStream: @unchecked Sendable {
    private let dataset: ShardDataset
    private let shards: [ShardInfo]
    private let lookahead: Int
    private let queue = DispatchQueue(label: "shard-stream")
    private var pending: [Int: Pending] = [:]
    private var position = 0

    init(dataset: ShardDataset, shards: [ShardInfo], lookahead: Int) {
        self.dataset = dataset
        self.shards = shards
        self.lookahead = max(0, lookahead)
    }

    /// The shard the next `next()` returns.
    public var remaining: Int { shards.count - position }

    /// The next shard, or nil at the end.
    public func next() throws -> ShardBlock? {
        guard position < shards.count else { return nil }
        prefetch()
        let result = pending.removeValue(forKey: position)!.wait()
        position += 1
        return try result.get()
    }

    /// Starts decoding the next `lookahead + 1` shards in the background, without waiting.
    public func prefetch() {
        guard position < shards.count else { return }
        for index in position...min(position + lookahead, shards.count - 1) where pending[index] == nil {
            let slot = Pending()
            let dataset = dataset, shard = shards[index]
            queue.async { slot.fulfil(Result { try dataset.read(shard) }) }
            pending[index] = slot
        }
    }

    /// Skips the next shard without waiting for it to decode (its background work is discarded).
    public func skip() {
        guard position < shards.count else { return }
        pending.removeValue(forKey: position)
        position += 1
    }

    private final class Pending: @unchecked Sendable {
        private let ready = DispatchSemaphore(value: 0)
        private var result: Result<ShardBlock, Error>?

        func fulfil(_ result: Result<ShardBlock, Error>) {
            self.result = result
            ready.signal()
        }

        func wait() -> Result<ShardBlock, Error> {
            ready.wait()
            return result!
        }
    }
}

/// Errors collected from concurrent work, reported in job order.
final class ErrorSlots: @unchecked Sendable {
    private var slots: [Error?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ error: Error) { lock.withLock { slots[index] = error } }

    func throwFirst() throws {
        if let error = lock.withLock({ slots.compactMap { $0 }.first }) { throw error }
    }
}
