// A folder of PNG and JPEG photos to a shard artifact, streamed: files are listed by
// `PNGFolder`'s rules (class folders or a flat folder, bytewise order, hidden names skipped), read
// and prepared (`ImagePreparation`: decoded, colored, resized) a batch at a time on every core,
// and the records handed in file order to `ArtifactStream`, which compresses and writes each
// shard as it fills. A file that cannot be used stops the ingest, or with `skipBad` is left out
// and listed in the manifest. docs/INPUTS.md gives the rules.
import Dispatch
import Foundation

public enum ImageFolder {
    /// What to ingest and how.
    public struct Request: Sendable {
        public var root: String
        /// A separate folder of test images (the training root's layout and classes).
        public var testRoot: String?
        /// Or: this fraction of `root` held out for testing, by `PNGFolder.testScore` of each path.
        public var testFraction: Double?
        public var preparation: ImagePreparation
        /// Leave out files that cannot be read or decoded instead of stopping.
        public var skipBad: Bool
        /// Where the time goes, if anywhere.
        public var times: PhaseTimes?

        public init(root: String, testRoot: String? = nil, testFraction: Double? = nil,
                    preparation: ImagePreparation = ImagePreparation(), skipBad: Bool = false, times: PhaseTimes? = nil) {
            self.times = times
            self.root = root
            self.testRoot = testRoot
            self.testFraction = testFraction
            self.preparation = preparation
            self.skipBad = skipBad
        }
    }

    /// Whether a file name is read: it ends in `.png`, `.jpg` or `.jpeg`, in any case, after at
    /// least one other character. (The contents decide how it is decoded, never the name.)
    public static func isImageName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return [".png", ".jpg", ".jpeg"].contains { lower.hasSuffix($0) && lower.utf8.count > $0.utf8.count }
    }

    /// Files prepared at once, per core.
    static let batchPerCore = 16

    /// Ingests `request` into a shard artifact at `out`; returns its manifest.
    public static func ingest(_ request: Request, parameters: IngestParameters, to out: String, force: Bool) throws -> Manifest {
        if let fraction = request.testFraction, !(0..<1).contains(fraction) {
            throw DataError(.invalidArgument, request.root, "--test-fraction must be in [0, 1), got \(fraction)")
        }
        let kind = ".png, .jpg or .jpeg files"
        let trainListing = try PNGFolder.list(root: request.root, knownClasses: nil, accept: isImageName, kind: kind)
        var work = [Item]()
        for (i, file) in trainListing.files.enumerated() {
            let test = request.testFraction.map { PNGFolder.isTest(file, testFraction: $0) } ?? false
            work.append(Item(root: 0, file: file, label: trainListing.labels?[i], split: test ? .test : .train))
        }
        var roots = [request.root]
        var strays = trainListing.strayFiles
        if let testRoot = request.testRoot {
            let listing = try PNGFolder.list(root: testRoot, knownClasses: .some(trainListing.labelNames), accept: isImageName, kind: kind)
            roots.append(testRoot)
            strays += listing.strayFiles
            for (i, file) in listing.files.enumerated() {
                work.append(Item(root: 1, file: file, label: listing.labels?[i], split: .test))
            }
        }

        var p = parameters
        p.testFraction = request.testFraction
        let stream = try ArtifactStream(out: out, force: force, parameters: p, times: request.times)
        do {
            var identities = roots.map { _ in FolderIdentity() }
            var skipped = [SkippedFile]()
            var first: String?
            if let shape = request.preparation.shape { try stream.setShape(shape) }
            let batch = batchPerCore * max(1, ProcessInfo.processInfo.activeProcessorCount)
            for start in stride(from: 0, to: work.count, by: batch) {
                let items = Array(work[start..<min(start + batch, work.count)])
                let results = prepare(items, roots: roots, preparation: request.preparation, times: request.times ?? .ignored)
                for (item, result) in zip(items, results) {
                    let path = FileIO.join(roots[item.root], item.file)
                    switch result {
                    case .failure(let error):
                        guard request.skipBad else { throw error }
                        skipped.append(SkippedFile(path: roots.count > 1 ? path : item.file, reason: error.detail))
                    case .success(let prepared):
                        let image = prepared.image
                        let shape = ImageShape(height: image.height, width: image.width, channels: image.channels)
                        if let current = stream.shape, current != shape, let first {
                            throw DataError(.mixedSizes, path,
                                "image is \(image.width)x\(image.height) (width x height) but the first image, \(first), is \(current.width)x\(current.height): give --size WxH to resize them all")
                        }
                        if stream.shape == nil { try stream.setShape(shape) }
                        if first == nil { first = path }
                        identities[item.root].add(item.file, bytes: prepared.bytes, digest: prepared.digest)
                        var label = item.label ?? Shard.unlabelled
                        try image.pixels.withUnsafeBytes { pixels in
                            try withUnsafePointer(to: &label) {
                                try stream.append(item.split, pixels: pixels,
                                                  labels: item.label == nil ? nil : UnsafeBufferPointer(start: $0, count: 1))
                            }
                        }
                    }
                }
            }
            guard stream.count(.train) + stream.count(.test) > 0 else {
                throw DataError(.emptyFolder, request.root, "no usable images: all \(work.count) were skipped as bad")
            }
            var inputs = [InputFile]()
            for (i, role) in ["train-root", "test-root"].prefix(roots.count).enumerated() {
                inputs.append(InputFile(role: role, path: roots[i], bytes: identities[i].bytes,
                                        sha256: SHA256.hexString(identities[i].finalize())))
            }
            return try stream.finish(
                labelNames: trainListing.labelNames, source: SourceInfo(kind: "images", inputs: inputs),
                report: IngestReport(skipped: skipped, strayFiles: strays), preparation: request.preparation)
        } catch {
            stream.abandon()
            throw error
        }
    }

    struct Item: Sendable {
        var root: Int
        var file: String
        var label: UInt16?
        var split: Split
    }

    struct Prepared: Sendable {
        var image: PixelImage
        var bytes: Int
        var digest: [UInt8]
    }

    /// Reads and prepares `items` on every core; results in the items' order.
    static func prepare(_ items: [Item], roots: [String], preparation: ImagePreparation, times: PhaseTimes) -> [Result<Prepared, DataError>] {
        let results = ResultSlots<Prepared>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            let path = FileIO.join(roots[items[i].root], items[i].file)
            results.set(i, Result {
                var buffer = [UInt8]()
                let length = try times.measure(.read) { try PNGFolder.read(path, into: &buffer) }
                return try buffer.withUnsafeBytes { raw in
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<length])
                    let digest = times.measure(.read) {
                        var hasher = SHA256()
                        hasher.update(bytes)
                        return hasher.finalize()
                    }
                    return Prepared(image: try preparation.prepare(bytes, path: path, times: times), bytes: length, digest: digest)
                }
            }.mapError { $0 as? DataError ?? DataError(.io, path, "\($0)") })
        }
        return results.values
    }

    /// A folder's identity: SHA-256 over, for each file used in order, its path relative to the
    /// folder (UTF-8), a zero byte, its size (UInt64 little-endian) and its own SHA-256.
    struct FolderIdentity {
        var hasher = SHA256()
        var bytes = 0

        mutating func add(_ file: String, bytes count: Int, digest: [UInt8]) {
            var header = Array(file.utf8) + [0]
            header.appendLittleEndian(UInt64(count))
            hasher.update(header + digest)
            bytes += count
        }

        mutating func finalize() -> [UInt8] { hasher.finalize() }
    }
}

/// Results filled in from several threads, one slot each.
final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private var slots: [Result<Value, DataError>?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<Value, DataError>) { lock.withLock { slots[index] = result } }

    var values: [Result<Value, DataError>] { lock.withLock { slots.map { $0! } } }
}
