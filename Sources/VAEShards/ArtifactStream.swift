// Writes a shard artifact as its records arrive, so that an ingest holds only a few pieces of
// the data at a time, whatever the dataset's size. Records are gathered into pieces of about
// 1 MiB; each piece is handed to its shard's serial queue, which deflates it into the shard file
// (`ShardFile`) as one zlib stream fed in pieces (the same bytes as deflating the whole payload at
// once); the header is written last, at offset 0. Shards of a split, and the two splits, compress on
// different queues, so all cores work; at most `maxPiecesInFlight` pieces wait at any time.
// Everything goes into `AtomicDirectory`'s hidden temporary directory, renamed into place by
// `finish` once the manifest is written.
//
// Shared among the ranks of an mpirun job (`Ranks`), every rank sees every record in order,
// but compresses only the shards it owns (shard i of a split: rank i mod N), into a private
// temporary directory; `finish` hands those files to rank 0, round by round, and rank 0 writes
// them beside its own, then the manifest. The files are those a single process writes.
//
// N = records in a shard, P = bytes of pixels per record, R = P + 2 bytes per record.
import Dispatch
import Foundation
import VAECluster
import VAECore
import VAEImages

/// A shard artifact being written: `append` records split by split, then `finish` (or `abandon`).
public final class ArtifactStream: @unchecked Sendable {
    /// Pieces (of about `pieceBytes` each) allowed to wait for compression at once.
    public static let maxPiecesInFlight = 4 * max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Bytes of records gathered before a piece is handed to its shard's queue.
    public static let pieceBytes = 1 << 20

    /// The artifact's final path.
    public let out: String
    public let parameters: IngestParameters
    public let ranks: any Ranks
    /// Rank 0's output (nil on the other ranks).
    private let destination: AtomicDirectory?
    /// Where this rank writes its shard files: the destination's temporary directory on rank 0,
    /// a private temporary directory on the others.
    private let directory: String
    public private(set) var shape: ImageShape?
    private var splits: [Split: SplitWriter] = [:]
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private let failure = FirstError()
    private let times: IngestPhaseTimes

    /// Creates the temporary directory beside `out` (see `AtomicDirectory`) on rank 0, a private
    /// one on the other ranks.
    /// - Parameters:
    ///   - times: where compression time goes, if anywhere.
    ///   - ranks: the processes sharing the work (by default this one alone).
    public init(out: String, force: Bool, parameters: IngestParameters, times: IngestPhaseTimes? = nil,
                ranks: any Ranks = Cluster.single) throws {
        self.times = times ?? .ignored
        self.out = out
        self.ranks = ranks
        guard parameters.shardSize > 0 else {
            throw DataError(.invalidArgument, out, "shard size must be at least 1, got \(parameters.shardSize)")
        }
        guard (0...9).contains(parameters.level) else {
            throw DataError(.invalidArgument, out, "compression level must be 0-9, got \(parameters.level)")
        }
        self.parameters = parameters
        if ranks.isRoot {
            let destination = try AtomicDirectory(final: out, force: force)
            self.destination = destination
            directory = destination.temporary
        } else {
            destination = nil
            directory = try Self.privateDirectory(rank: ranks.rank)
        }
        slots = DispatchSemaphore(value: Self.maxPiecesInFlight)
    }

    /// Fixes the records' shape; must come before the first `append` and never change.
    public func setShape(_ shape: ImageShape) throws {
        if let current = self.shape, current != shape {
            throw DataError(.mixedSizes, out,
                "images are \(shape.width)x\(shape.height)x\(shape.channels), earlier ones \(current.width)x\(current.height)x\(current.channels)")
        }
        guard shape.height > 0, shape.width > 0, [1, 3].contains(shape.channels) else {
            throw DataError(.invalidArgument, out, "bad image shape \(shape.width)x\(shape.height)x\(shape.channels)")
        }
        self.shape = shape
    }

    /// Appends `count` records of `split`: `pixels` holds count × P bytes, `labels` count labels
    /// (nil: unlabelled, stored as `Shard.unlabelled`).
    public func append(_ split: Split, pixels: UnsafeRawBufferPointer, labels: UnsafeBufferPointer<UInt16>?) throws {
        guard let shape else { throw DataError(.invalidArgument, out, "records appended before the image shape is known") }
        if let error = failure.first { throw error }
        let p = shape.pixels
        precondition(pixels.count % p == 0 && (labels == nil || labels!.count == pixels.count / p), "whole records")
        let writer = splits[split] ?? SplitWriter(split: split, shape: shape)
        splits[split] = writer
        for i in 0..<pixels.count / p {
            let label = labels?[i] ?? Shard.unlabelled
            guard ownsNext(split) else {
                writer.skip(label: label)
                continue
            }
            writer.add(UnsafeRawBufferPointer(rebasing: pixels[i * p..<(i + 1) * p]), label: label)
            if writer.pieceIsFull(shardSize: parameters.shardSize) { try flush(writer) }
        }
    }

    /// Whether this rank compresses the next record of `split` (always, for one process).
    public func ownsNext(_ split: Split) -> Bool {
        ranks.owner(ofShard: count(split) / parameters.shardSize) == ranks.rank
    }

    /// Counts the next record of `split`, which another rank compresses (`ownsNext` is false).
    public func skipNext(_ split: Split, label: UInt16?) throws {
        guard let shape else { throw DataError(.invalidArgument, out, "records appended before the image shape is known") }
        precondition(!ownsNext(split), "a record this rank compresses")
        let writer = splits[split] ?? SplitWriter(split: split, shape: shape)
        splits[split] = writer
        writer.skip(label: label ?? Shard.unlabelled)
    }

    /// Records appended to `split` so far.
    public func count(_ split: Split) -> Int { splits[split]?.count ?? 0 }

    /// Hands the gathered records to their shard's queue (opening the shard on its first piece,
    /// closing it on its last).
    private func flush(_ writer: SplitWriter) throws {
        guard !writer.piece.isEmpty else { return }
        let size = parameters.shardSize
        let index = (writer.count - 1) / size  // the shard of the piece's last record
        let shard: ShardFile
        if let open = writer.open, open.index == index {
            shard = open
        } else {
            shard = try ShardFile(split: writer.split, index: index, firstRecord: index * size,
                                  shape: writer.shape, directory: directory, parameters: parameters)
            writer.open = shard
            writer.shards[index] = shard
        }
        let piece = writer.piece
        let closes = writer.count % size == 0
        writer.piece = []
        if closes { writer.open = nil }
        slots.wait()
        shard.queue.async(group: group) { [failure, slots, times] in
            defer { slots.signal() }
            guard failure.first == nil else { return }
            do {
                try times.measure(.compress) {
                    try shard.add(piece)
                    if closes { try shard.finish() }
                }
            } catch {
                failure.record(error)
            }
        }
    }

    /// Writes the last pieces, waits for every shard, writes the manifest and renames the
    /// artifact into place. Label names, when given, must cover every label appended. Under
    /// several ranks, every rank calls it; rank 0 receives the others' shard files and returns
    /// the manifest, the other ranks nil.
    public func finish(labelNames: [String]?, source: SourceInfo, report: IngestReport? = nil, preparation: ImagePreparation? = nil) throws -> Manifest? {
        guard let shape else { throw DataError(.emptyFile, out, "no images to write") }
        for split in Split.allCases {
            guard let writer = splits[split] else { continue }
            try flush(writer)
            if let open = writer.open {
                open.queue.async(group: group) { [failure] in
                    guard failure.first == nil else { return }
                    do { try open.finish() } catch { failure.record(error) }
                }
                writer.open = nil
            }
        }
        group.wait()
        if let error = failure.first { throw error }
        guard let train = splits[.train], train.count > 0 else {
            throw DataError(.emptyFile, "train", "the train split holds no images")
        }
        let received = try collectShards()
        guard let destination else {
            try? FileManager.default.removeItem(atPath: directory)
            TemporaryFiles.unregister(directory)
            return nil
        }
        func info(_ split: Split) throws -> SplitInfo {
            let writer = splits[split]
            var classCounts: [Int]?
            if let names = labelNames {
                var counts = [Int](repeating: 0, count: names.count)
                for (label, n) in writer?.labelCounts ?? [:] {
                    guard Int(label) < names.count else {
                        throw DataError(.labelOutOfRange, split.rawValue, "label \(label) of the \(split.rawValue) split is out of range (\(names.count) classes)")
                    }
                    counts[Int(label)] = n
                }
                classCounts = counts
            } else if let labels = writer?.labelCounts.keys, labels.contains(where: { $0 != Shard.unlabelled }) {
                throw DataError(.invalidArgument, split.rawValue, "\(split.rawValue) labels given without label names")
            }
            let shards = try (0..<shardCount(split)).map { i in
                try writer?.shards[i]?.info() ?? received[split]?[i] ?? { throw DataError(.io, out, "shard \(i) of the \(split.rawValue) split is missing") }()
            }
            return SplitInfo(count: writer?.count ?? 0, classCounts: classCounts, shards: shards)
        }
        var parameters = self.parameters
        if let preparation {
            parameters.color = preparation.color
            parameters.background = preparation.background
            parameters.size = preparation.resize.map { "\($0.width)x\($0.height)" }
            parameters.fit = preparation.resize?.fit
        }
        let manifest = Manifest(
            format: Manifest.formatName, formatVersion: Manifest.currentVersion, image: shape,
            labelNames: labelNames, train: try info(.train), test: try info(.test),
            source: source, tool: ToolInfo(name: "vae-ingest", version: ArtifactWriter.toolVersion), parameters: parameters,
            skipped: report?.skipped, strayFiles: report?.strayFiles)
        try AtomicFile.write(try manifest.encoded(), to: FileIO.join(destination.temporary, Manifest.fileName))
        try destination.commit()
        return manifest
    }

    /// Waits for the queued pieces and removes the temporary directory.
    public func abandon() {
        failure.record(DataError(.io, out, "abandoned"))
        group.wait()
        if let destination {
            destination.abandon()
        } else {
            try? FileManager.default.removeItem(atPath: directory)
            TemporaryFiles.unregister(directory)
        }
    }

    /// The number of shards of `split` (the same on every rank: every rank counts every record).
    private func shardCount(_ split: Split) -> Int {
        (count(split) + parameters.shardSize - 1) / parameters.shardSize
    }

    /// Hands every rank's shard files to rank 0, in rounds: in round k of a split, rank r sends
    /// shard k·N + r (its own, if it exists), as the JSON of its `ShardInfo`, preceded by that
    /// JSON's length (UInt32 little-endian), then the file's bytes. Rank 0 writes each file into
    /// its temporary directory, checks its size and CRC-32, and returns the infos by split and
    /// index; the other ranks delete each file once sent.
    private func collectShards() throws -> [Split: [Int: ShardInfo]] {
        guard ranks.size > 1 else { return [:] }
        var received: [Split: [Int: ShardInfo]] = [:]
        for split in Split.allCases {
            for first in stride(from: 0, to: shardCount(split), by: ranks.size) {
                var message = [UInt8]()
                if !ranks.isRoot, let shard = splits[split]?.shards[first + ranks.rank] {
                    let info = try JSONCoding.encode(try shard.info())
                    let file = try FileIO.read(shard.path)
                    message.reserveCapacity(4 + info.count + file.count)
                    message.appendLittleEndian(UInt32(info.count))
                    message += info
                    message += file
                    try? FileManager.default.removeItem(atPath: shard.path)
                }
                guard let parts = try ranks.gather(message) else { continue }
                for (rank, part) in parts.enumerated().dropFirst() where !part.isEmpty {
                    received[split, default: [:]][first + rank] = try store(part, from: rank)
                }
            }
        }
        return received
    }

    /// Writes one shard file received from `rank` (see `collectShards`) and returns its info.
    private func store(_ part: [UInt8], from rank: Int) throws -> ShardInfo {
        let length = part.count >= 4 ? Int(LittleEndian.uint32(part, at: 0)) : Int.max
        guard length <= part.count - 4 else { throw DataError(.io, out, "rank \(rank) sent a shard message of \(part.count) bytes") }
        let info = try JSONCoding.decode(ShardInfo.self, from: Array(part[4..<4 + length]), path: out)
        try part.withUnsafeBytes { raw in
            let file = UnsafeRawBufferPointer(rebasing: raw[(4 + length)...])
            guard file.count == info.fileBytes, Zlib.crc32(file, continuing: 0) == info.fileCrc32, !info.file.contains("/") else {
                throw DataError(.io, out, "rank \(rank) sent \(info.file) with \(file.count) bytes that do not match its size or CRC-32")
            }
            try AtomicFile.write(file, to: FileIO.join(directory, info.file))
        }
        return info
    }

    /// A new private temporary directory for a rank other than 0.
    private static func privateDirectory(rank: Int) throws -> String {
        var template = Array(FileIO.join(NSTemporaryDirectory(), "vae-ingest-rank\(rank)-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw DataError(.io, NSTemporaryDirectory(), "cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        let path = String(cString: made)
        TemporaryFiles.register(path)
        return path
    }
}

/// One split's records on their way into shards.
final class SplitWriter {
    let split: Split
    let shape: ImageShape
    var piece = [UInt8]()
    /// Records of the split so far, this rank's and the others'.
    var count = 0
    var open: ShardFile?
    /// This rank's shards, by index.
    var shards: [Int: ShardFile] = [:]
    var labelCounts: [UInt16: Int] = [:]

    init(split: Split, shape: ImageShape) {
        self.split = split
        self.shape = shape
    }

    func add(_ pixels: UnsafeRawBufferPointer, label: UInt16) {
        if piece.isEmpty { piece.reserveCapacity(min(ArtifactStream.pieceBytes, 64 * (shape.pixels + 2)) + shape.pixels + 2) }
        piece.append(contentsOf: pixels)
        piece.append(UInt8(truncatingIfNeeded: label))
        piece.append(UInt8(truncatingIfNeeded: label >> 8))
        count += 1
        labelCounts[label, default: 0] += 1
    }

    /// Counts a record another rank compresses.
    func skip(label: UInt16) {
        count += 1
        labelCounts[label, default: 0] += 1
    }

    /// The piece goes to compression when it reaches `pieceBytes` or its shard is full.
    func pieceIsFull(shardSize: Int) -> Bool {
        piece.count >= ArtifactStream.pieceBytes || count % shardSize == 0
    }
}
