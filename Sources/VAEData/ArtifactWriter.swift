// Writes a shard artifact: the shards of both splits, compressed on every core, and the manifest,
// all into a hidden temporary directory beside the destination that is renamed into place only
// when everything is written. A failure or a kill leaves nothing under the final name.
import Dispatch
import Foundation

/// What `ArtifactWriter.write` turns into a shard artifact.
public struct IngestInput: Sendable {
    public var train: ImageSet
    public var test: ImageSet?
    public var labelNames: [String]?
    public var source: SourceInfo

    public init(train: ImageSet, test: ImageSet?, labelNames: [String]?, source: SourceInfo) {
        self.train = train
        self.test = test
        self.labelNames = labelNames
        self.source = source
    }
}

public enum ArtifactWriter {
    /// The version recorded in manifests and provenance files.
    public static let toolVersion = PipelineVersion.current

    /// Writes `input` as a shard artifact at `out` and returns its manifest.
    /// - Parameter force: replace an existing non-empty `out` (only once the new artifact is complete).
    public static func write(
        _ input: IngestInput, parameters: IngestParameters, to out: String, force: Bool
    ) throws -> Manifest {
        guard parameters.shardSize > 0 else {
            throw DataError(.invalidArgument, out, "shard size must be at least 1, got \(parameters.shardSize)")
        }
        guard (0...9).contains(parameters.level) else {
            throw DataError(.invalidArgument, out, "compression level must be 0-9, got \(parameters.level)")
        }
        try checkLabels(input)
        let shape = ImageShape(height: input.train.height, width: input.train.width)
        if let test = input.test, test.height != shape.height || test.width != shape.width {
            throw DataError(.mixedSizes, out, "test images are \(test.width)x\(test.height), train images \(shape.width)x\(shape.height)")
        }
        let destination = try AtomicDirectory(final: out, force: force)
        do {
            let jobs = plan(input, shardSize: parameters.shardSize)
            let results = ShardResults(count: jobs.count)
            DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
                results.set(index, Result { try writeShard(jobs[index], input: input, shape: shape, parameters: parameters, directory: destination.temporary) })
            }
            let infos = try results.values()
            func splitInfo(_ split: Split, _ images: ImageSet?) -> SplitInfo {
                let shards = zip(jobs, infos).filter { $0.0.split == split }.map(\.1)
                return SplitInfo(
                    count: images?.count ?? 0,
                    classCounts: input.labelNames.map { classCounts(images?.labels ?? [], classes: $0.count) },
                    shards: shards)
            }
            let manifest = Manifest(
                format: Manifest.formatName, formatVersion: Manifest.currentVersion, image: shape,
                labelNames: input.labelNames, train: splitInfo(.train, input.train), test: splitInfo(.test, input.test),
                source: input.source, tool: ToolInfo(name: "vae-ingest", version: toolVersion), parameters: parameters)
            try AtomicFile.write(try manifest.encoded(), to: FileIO.join(destination.temporary, Manifest.fileName))
            try destination.commit()
            return manifest
        } catch {
            destination.abandon()
            throw error
        }
    }

    private struct ShardJob: Sendable {
        var split: Split
        var index: Int
        var range: Range<Int>
    }

    private static func plan(_ input: IngestInput, shardSize: Int) -> [ShardJob] {
        var jobs = [ShardJob]()
        for (split, images) in [(Split.train, input.train), (.test, input.test)] {
            guard let images else { continue }
            for (index, start) in stride(from: 0, to: images.count, by: shardSize).enumerated() {
                jobs.append(ShardJob(split: split, index: index, range: start..<min(start + shardSize, images.count)))
            }
        }
        return jobs
    }

    private static func writeShard(
        _ job: ShardJob, input: IngestInput, shape: ImageShape, parameters: IngestParameters, directory: String
    ) throws -> ShardInfo {
        let images = job.split == .train ? input.train : input.test!
        let p = shape.pixels
        let bytes = try images.pixels.withUnsafeBufferPointer { pixels in
            let slice = UnsafeBufferPointer(rebasing: pixels[job.range.lowerBound * p..<job.range.upperBound * p])
            guard let labels = images.labels else {
                return try Shard.encode(pixels: slice, labels: nil, shape: shape, level: parameters.level, strategy: parameters.strategy)
            }
            return try labels.withUnsafeBufferPointer {
                try Shard.encode(pixels: slice, labels: UnsafeBufferPointer(rebasing: $0[job.range]), shape: shape,
                                 level: parameters.level, strategy: parameters.strategy)
            }
        }
        let name = "\(job.split.rawValue)-\(zeroPadded(job.index, width: 5)).shard"
        try AtomicFile.write(bytes, to: FileIO.join(directory, name))
        return ShardInfo(
            file: name, records: job.range.count, firstRecord: job.range.lowerBound,
            rawBytes: job.range.count * (p + Shard.labelBytes), fileBytes: bytes.count,
            payloadCrc32: bytes.littleEndian(UInt32.self, at: 48), fileCrc32: Zlib.crc32(bytes))
    }

    private static func checkLabels(_ input: IngestInput) throws {
        for (name, images) in [("train", input.train), ("test", input.test)] {
            guard let images else { continue }
            if images.count == 0 { throw DataError(.emptyFile, name, "the \(name) split holds no images") }
            guard let labels = images.labels else {
                if input.labelNames != nil { throw DataError(.invalidArgument, name, "\(name) images have no labels") }
                continue
            }
            guard let names = input.labelNames else {
                throw DataError(.invalidArgument, name, "\(name) labels given without label names")
            }
            guard labels.count == images.count else {
                throw DataError(.countMismatch, name, "\(images.count) \(name) images but \(labels.count) labels")
            }
            if let bad = labels.firstIndex(where: { Int($0) >= names.count }) {
                throw DataError(.labelOutOfRange, name, "label \(labels[bad]) of \(name) record \(bad) is out of range (\(names.count) classes)")
            }
        }
    }

    private static func classCounts(_ labels: [UInt16], classes: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }
}

/// Per-job results filled in from several threads.
final class ShardResults: @unchecked Sendable {
    private var slots: [Result<ShardInfo, Error>?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<ShardInfo, Error>) {
        lock.withLock { slots[index] = result }
    }

    /// The results in job order, or the first job's error.
    func values() throws -> [ShardInfo] {
        try lock.withLock { try slots.map { try $0!.get() } }
    }
}

/// A directory built under a hidden temporary name beside its final one and renamed into place.
public struct AtomicDirectory: Sendable {
    public let final: String
    public let temporary: String

    /// Refuses an existing non-empty `final` unless `force`; creates the temporary directory.
    public init(final: String, force: Bool) throws {
        self.final = final
        let url = URL(fileURLWithPath: final)
        let parent = url.deletingLastPathComponent().path
        temporary = FileIO.join(parent, ".\(url.lastPathComponent).tmp-\(getpid())")
        let fm = FileManager.default
        if FileIO.isDirectory(final) {
            let contents = (try? fm.contentsOfDirectory(atPath: final)) ?? []
            if !contents.isEmpty && !force {
                throw DataError(.alreadyExists, final, "output directory exists and is not empty (use --force to replace it)")
            }
        } else if FileIO.exists(final) {
            throw DataError(.alreadyExists, final, "output path exists and is not a directory")
        }
        guard FileIO.isDirectory(parent) else {
            throw DataError(.missingFile, parent, "parent directory of the output does not exist")
        }
        Self.removeAbandoned(prefix: ".\(url.lastPathComponent).tmp-", in: parent)
        do {
            try fm.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        } catch {
            throw DataError(.io, temporary, "cannot create directory: \(error.localizedDescription)")
        }
    }

    /// Removes temporary directories of this destination whose writer is no longer running (a
    /// killed ingest), and this process's own.
    private static func removeAbandoned(prefix: String, in parent: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)) else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                try? FileManager.default.removeItem(atPath: FileIO.join(parent, name))
            }
        }
    }

    /// Renames the finished directory into place, replacing (and then removing) an old one.
    public func commit() throws {
        FileIO.syncDirectory(temporary)
        let fm = FileManager.default
        var old: String?
        if FileIO.exists(final) {
            let aside = temporary.replacingOccurrences(of: ".tmp-", with: ".old-")
            try? fm.removeItem(atPath: aside)
            guard rename(final, aside) == 0 else {
                throw DataError(.io, final, "cannot move the old directory aside: \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        guard rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { rename(old, final) }
            throw DataError(.io, final, "cannot rename the finished directory into place: \(reason)")
        }
        FileIO.syncDirectory(URL(fileURLWithPath: final).deletingLastPathComponent().path)
        if let old { try? fm.removeItem(atPath: old) }
    }

    /// Removes the temporary directory after a failure.
    public func abandon() {
        try? FileManager.default.removeItem(atPath: temporary)
    }
}
