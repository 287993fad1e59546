// Writes a shard artifact from images held in memory (through `ArtifactStream`, which compresses
// on every core), into a hidden temporary directory beside the destination that is renamed into
// place only when everything is written. A failure or a kill leaves nothing under the final name.
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

    /// Writes `input` as a shard artifact at `out` and returns its manifest (through
    /// `ArtifactStream`, a piece at a time).
    /// - Parameter force: replace an existing non-empty `out` (only once the new artifact is complete).
    public static func write(
        _ input: IngestInput, parameters: IngestParameters, to out: String, force: Bool
    ) throws -> Manifest {
        try checkLabels(input)
        let shape = ImageShape(height: input.train.height, width: input.train.width)
        if let test = input.test, test.height != shape.height || test.width != shape.width {
            throw DataError(.mixedSizes, out, "test images are \(test.width)x\(test.height), train images \(shape.width)x\(shape.height)")
        }
        let stream = try ArtifactStream(out: out, force: force, parameters: parameters)
        do {
            try stream.setShape(shape)
            for (split, images) in [(Split.train, input.train), (.test, input.test)] {
                guard let images else { continue }
                let p = shape.pixels
                try images.pixels.withUnsafeBytes { pixels in
                    if let labels = images.labels {
                        try labels.withUnsafeBufferPointer { try stream.append(split, pixels: pixels, labels: $0) }
                    } else {
                        try stream.append(split, pixels: UnsafeRawBufferPointer(rebasing: pixels[0..<images.count * p]), labels: nil)
                    }
                }
            }
            return try stream.finish(labelNames: input.labelNames, source: input.source)!  // one rank: rank 0
        } catch {
            stream.abandon()
            throw error
        }
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
        TemporaryFiles.register(temporary)  // removed by an exit on Ctrl-C
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
        TemporaryFiles.unregister(temporary)
        FileIO.syncDirectory(URL(fileURLWithPath: final).deletingLastPathComponent().path)
        if let old { try? fm.removeItem(atPath: old) }
    }

    /// Removes the temporary directory after a failure.
    public func abandon() {
        try? FileManager.default.removeItem(atPath: temporary)
        TemporaryFiles.unregister(temporary)
    }
}
