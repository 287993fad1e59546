// Writes a shard artifact as its records arrive, so that an ingest holds only a few pieces of
// the data at a time, whatever the dataset's size. Records are gathered into pieces of about
// 1 MiB; each piece is handed to its shard's serial queue, which deflates it into the shard file
// as one zlib stream fed in pieces (the same bytes as deflating the whole payload at once); the
// header is written last, at offset 0. Shards of a split, and the two splits, compress on
// different queues, so all cores work; at most `maxPiecesInFlight` pieces wait at any time.
// Everything goes into `AtomicDirectory`'s hidden temporary directory, renamed into place by
// `finish` once the manifest is written.
//
// N = records in a shard, P = bytes of pixels per record, R = P + 2 bytes per record.
import CZlib
import Dispatch
import Foundation

/// Extra facts about the input that the manifest records (image folders only).
public struct IngestReport: Equatable, Sendable {
    /// Files skipped because they could not be used (`--skip-bad`), in the order met.
    public var skipped: [SkippedFile]
    /// Files skipped because their names are not .png, .jpg or .jpeg.
    public var strayFiles: Int

    public init(skipped: [SkippedFile] = [], strayFiles: Int = 0) {
        self.skipped = skipped
        self.strayFiles = strayFiles
    }
}

/// A shard artifact being written: `append` records split by split, then `finish` (or `abandon`).
public final class ArtifactStream: @unchecked Sendable {
    /// Pieces (of about `pieceBytes` each) allowed to wait for compression at once.
    public static let maxPiecesInFlight = 4 * max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Bytes of records gathered before a piece is handed to its shard's queue.
    public static let pieceBytes = 1 << 20

    public let destination: AtomicDirectory
    public let parameters: IngestParameters
    public private(set) var shape: ImageShape?
    private var splits: [Split: SplitWriter] = [:]
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private let failure = FirstError()
    private let times: PhaseTimes

    /// Creates the temporary directory beside `out` (see `AtomicDirectory`).
    /// - Parameter times: where compression time goes, if anywhere.
    public init(out: String, force: Bool, parameters: IngestParameters, times: PhaseTimes? = nil) throws {
        self.times = times ?? .ignored
        guard parameters.shardSize > 0 else {
            throw DataError(.invalidArgument, out, "shard size must be at least 1, got \(parameters.shardSize)")
        }
        guard (0...9).contains(parameters.level) else {
            throw DataError(.invalidArgument, out, "compression level must be 0-9, got \(parameters.level)")
        }
        self.parameters = parameters
        destination = try AtomicDirectory(final: out, force: force)
        slots = DispatchSemaphore(value: Self.maxPiecesInFlight)
    }

    /// Fixes the records' shape; must come before the first `append` and never change.
    public func setShape(_ shape: ImageShape) throws {
        if let current = self.shape, current != shape {
            throw DataError(.mixedSizes, destination.final,
                "images are \(shape.width)x\(shape.height)x\(shape.channels), earlier ones \(current.width)x\(current.height)x\(current.channels)")
        }
        guard shape.height > 0, shape.width > 0, [1, 3].contains(shape.channels) else {
            throw DataError(.invalidArgument, destination.final, "bad image shape \(shape.width)x\(shape.height)x\(shape.channels)")
        }
        self.shape = shape
    }

    /// Appends `count` records of `split`: `pixels` holds count × P bytes, `labels` count labels
    /// (nil: unlabelled, stored as `Shard.unlabelled`).
    public func append(_ split: Split, pixels: UnsafeRawBufferPointer, labels: UnsafeBufferPointer<UInt16>?) throws {
        guard let shape else { throw DataError(.invalidArgument, destination.final, "records appended before the image shape is known") }
        if let error = failure.first { throw error }
        let p = shape.pixels
        precondition(pixels.count % p == 0 && (labels == nil || labels!.count == pixels.count / p), "whole records")
        let writer = splits[split] ?? SplitWriter(split: split, shape: shape)
        splits[split] = writer
        for i in 0..<pixels.count / p {
            writer.add(UnsafeRawBufferPointer(rebasing: pixels[i * p..<(i + 1) * p]), label: labels?[i] ?? Shard.unlabelled)
            if writer.pieceIsFull(shardSize: parameters.shardSize) { try flush(writer) }
        }
    }

    /// Records appended to `split` so far.
    public func count(_ split: Split) -> Int { splits[split]?.count ?? 0 }

    /// Hands the gathered records to their shard's queue (opening the shard on its first piece,
    /// closing it on its last).
    private func flush(_ writer: SplitWriter) throws {
        guard !writer.piece.isEmpty else { return }
        let shard: ShardFile
        if let open = writer.open {
            shard = open
        } else {
            shard = try ShardFile(split: writer.split, index: writer.shards.count, firstRecord: writer.count - writer.pieceRecords,
                                  shape: writer.shape, directory: destination.temporary, parameters: parameters)
            writer.open = shard
            writer.shards.append(shard)
        }
        let piece = writer.piece
        let closes = writer.recordsInOpenShard == parameters.shardSize
        writer.piece = []
        writer.pieceRecords = 0
        if closes {
            writer.open = nil
            writer.recordsInOpenShard = 0
        }
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
    /// artifact into place. Label names, when given, must cover every label appended.
    public func finish(labelNames: [String]?, source: SourceInfo, report: IngestReport? = nil, preparation: ImagePreparation? = nil) throws -> Manifest {
        guard let shape else { throw DataError(.emptyFile, destination.final, "no images to write") }
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
            return SplitInfo(count: writer?.count ?? 0, classCounts: classCounts, shards: try (writer?.shards ?? []).map { try $0.info() })
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
        failure.record(DataError(.io, destination.final, "abandoned"))
        group.wait()
        destination.abandon()
    }
}

/// One split's records on their way into shards.
final class SplitWriter {
    let split: Split
    let shape: ImageShape
    var piece = [UInt8]()
    var pieceRecords = 0
    var count = 0
    var recordsInOpenShard = 0
    var open: ShardFile?
    var shards: [ShardFile] = []
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
        pieceRecords += 1
        count += 1
        recordsInOpenShard += 1
        labelCounts[label, default: 0] += 1
    }

    /// The piece goes to compression when it reaches `pieceBytes` or its shard is full.
    func pieceIsFull(shardSize: Int) -> Bool {
        piece.count >= ArtifactStream.pieceBytes || recordsInOpenShard == shardSize
    }
}

/// One shard file being written: a zlib stream fed piece by piece on `queue`, the header last.
final class ShardFile: @unchecked Sendable {
    let queue: DispatchQueue
    let name: String
    let path: String
    let firstRecord: Int
    let shape: ImageShape
    private let level: Int
    private var fd: Int32 = -1
    private let stream: Zlib.Stream
    private var out = [UInt8](repeating: 0, count: 1 << 18)
    private var records = 0
    private var payloadBytes = 0
    private var payloadCrc: UInt32 = 0
    private var bodyCrc: UInt32 = 0
    private var bodyBytes = 0
    /// Level 0 writes stored blocks whose sizes depend on how the input arrives, so its payload
    /// is gathered and deflated at once, as the whole-payload writer did.
    private var whole: [UInt8]?
    private var result: ShardInfo?

    init(split: Split, index: Int, firstRecord: Int, shape: ImageShape, directory: String, parameters: IngestParameters) throws {
        let digits = String(index)
        name = "\(split.rawValue)-\(String(repeating: "0", count: max(0, 5 - digits.count)))\(digits).shard"
        path = FileIO.join(directory, name)
        self.firstRecord = firstRecord
        self.shape = shape
        level = parameters.level
        queue = DispatchQueue(label: "shard \(name)")
        stream = try Zlib.Stream(deflateLevel: parameters.level, strategy: parameters.strategy, windowBits: 15)
        if level == 0 { whole = [] }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataError(.io, path, "cannot create: \(String(cString: strerror(errno)))")
        }
        let placeholder = [UInt8](repeating: 0, count: Shard.headerSize)
        try placeholder.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Deflates whole records.
    func add(_ piece: [UInt8]) throws {
        records += piece.count / (shape.pixels + Shard.labelBytes)
        payloadBytes += piece.count
        payloadCrc = piece.withUnsafeBytes { Zlib.crc32($0, continuing: payloadCrc) }
        if whole != nil { whole! += piece; return }
        try piece.withUnsafeBytes { try deflate($0, finish: false) }
    }

    private func deflate(_ input: UnsafeRawBufferPointer, finish: Bool) throws {
        let z = stream.z
        z.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        z.pointee.avail_in = uInt(input.count)
        while true {
            let (status, produced): (Int32, Int) = out.withUnsafeMutableBytes { buffer in
                z.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                z.pointee.avail_out = uInt(buffer.count)
                let status = CZlib.deflate(z, finish ? Z_FINISH : Z_NO_FLUSH)
                return (status, buffer.count - Int(z.pointee.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw DataError(.io, path, "deflate failed with status \(status)")
            }
            if produced > 0 {
                try out.withUnsafeBytes { buffer in
                    let written = UnsafeRawBufferPointer(rebasing: buffer[0..<produced])
                    bodyCrc = Zlib.crc32(written, continuing: bodyCrc)
                    try FileIO.writeAll(fd, written, path: path)
                }
                bodyBytes += produced
            }
            if finish ? status == Z_STREAM_END : (z.pointee.avail_in == 0 && produced < out.count) { break }
        }
    }

    /// Ends the stream, writes the header at offset 0, flushes the file to disk and closes it.
    func finish() throws {
        if let whole {
            // One call with room for everything, as `Zlib.compress` does.
            out = [UInt8](repeating: 0, count: Int(deflateBound(stream.z, uLong(whole.count))))
            try whole.withUnsafeBytes { try deflate($0, finish: true) }
            self.whole = nil
        } else {
            try deflate(UnsafeRawBufferPointer(start: nil, count: 0), finish: true)
        }
        let header = Shard.Header(records: records, shape: shape, payloadBytes: payloadBytes,
                                  compressedBytes: bodyBytes, payloadCrc32: payloadCrc).encoded()
        let written = header.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
        guard written == header.count else { throw DataError(.io, path, "cannot write the shard header: \(String(cString: strerror(errno)))") }
        guard fsync(fd) == 0 else { throw DataError(.io, path, "cannot flush to disk: \(String(cString: strerror(errno)))") }
        close(fd)
        fd = -1
        let fileCrc = UInt32(truncatingIfNeeded: crc32_combine(uLong(Zlib.crc32(header)), uLong(bodyCrc), off_t(bodyBytes)))
        result = ShardInfo(file: name, records: records, firstRecord: firstRecord, rawBytes: payloadBytes,
                           fileBytes: Shard.headerSize + bodyBytes, payloadCrc32: payloadCrc, fileCrc32: fileCrc)
    }

    func info() throws -> ShardInfo {
        guard let result else { throw DataError(.io, path, "the shard was not finished") }
        return result
    }
}

/// The first error of work done on several threads.
final class FirstError: @unchecked Sendable {
    private var error: Error?
    private let lock = NSLock()

    func record(_ error: Error) { lock.withLock { if self.error == nil { self.error = error } } }
    var first: Error? { lock.withLock { error } }
}
