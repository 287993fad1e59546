// A folder of PNG and JPEG photos to a shard artifact, streamed: files are listed by
// `ImageListing`'s rules (class folders with files at any depth, or a flat folder; bytewise order,
// hidden names skipped, links followed), read and prepared (`ImagePreparation`: decoded, colored,
// resized) on `threads` threads, a bounded window of files ahead (`InOrderWork`), and the records
// handed in file order to `ArtifactStream`, which compresses and writes each shard as it fills. A
// file that cannot be used stops the ingest, or with `skipBad` is left out and listed in the
// manifest. Shared among the ranks of an mpirun job: ImageFolder+Ranks.swift. docs/INPUTS.md gives
// the rules.
import Dispatch
import Foundation
import VAECluster
import VAECore
import VAEImages
import VAEShards

public enum ImageFolder {
    /// What to ingest and how.
    public struct Request: Sendable {
        public var root: String
        /// A separate folder of test images (the training root's layout and classes).
        public var testRoot: String?
        /// Or: this fraction of `root` held out for testing, by `ImageListing.testScore` of each
        /// path (and at least one file of each class of two or more, `ImageListing.testFlags`).
        public var testFraction: Double?
        public var preparation: ImagePreparation
        /// Leave out files that cannot be read or decoded instead of stopping.
        public var skipBad: Bool
        /// Where the time goes, if anywhere.
        public var times: IngestPhaseTimes?
        /// Threads reading and preparing files (the output is the same for any count).
        public var threads: Int

        public init(root: String, testRoot: String? = nil, testFraction: Double? = nil,
                    preparation: ImagePreparation = ImagePreparation(), skipBad: Bool = false, times: IngestPhaseTimes? = nil,
                    threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
            self.times = times
            self.threads = threads
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

    /// Files prepared ahead of the one being stored, per thread.
    static let windowPerThread = 16

    /// Ingests `request` into a shard artifact at `out`; returns its manifest.
    public static func ingest(_ request: Request, parameters: IngestParameters, to out: String, force: Bool) throws -> Manifest {
        try ingest(request, parameters: parameters, to: out, force: force, ranks: Cluster.single)!  // one rank: rank 0
    }

    /// `ingest` shared among `ranks` (see `Ranks`): the files are taken in windows; each
    /// rank prepares a contiguous slice of every window, the ranks learn from one another which
    /// files were good (so every rank knows where each record falls), and each record goes to the
    /// rank that owns its shard. Rank 0 returns the manifest, the other ranks nil.
    public static func ingest(_ request: Request, parameters: IngestParameters, to out: String, force: Bool,
                              ranks: any Ranks) throws -> Manifest? {
        if let fraction = request.testFraction, !(0..<1).contains(fraction) {
            throw DataError(.invalidArgument, request.root, "--test-fraction must be in [0, 1), got \(fraction)")
        }
        let kind = ".png, .jpg or .jpeg files"
        let trainListing = try ImageListing(root: request.root, knownClasses: nil, accept: isImageName, kind: kind)
        let testFlags = request.testFraction.map { trainListing.testFlags(testFraction: $0) }
        var work = [Item]()
        for (i, file) in trainListing.files.enumerated() {
            work.append(Item(root: 0, file: file, label: trainListing.labels?[i], split: testFlags?[i] == true ? .test : .train))
        }
        var roots = [request.root]
        var strays = trainListing.strayFiles
        if let testRoot = request.testRoot {
            let listing = try ImageListing(root: testRoot, knownClasses: .some(trainListing.labelNames), accept: isImageName, kind: kind)
            roots.append(testRoot)
            strays += listing.strayFiles
            for (i, file) in listing.files.enumerated() {
                work.append(Item(root: 1, file: file, label: listing.labels?[i], split: .test))
            }
        }

        var p = parameters
        p.testFraction = request.testFraction
        let stream = try ArtifactStream(out: out, force: force, parameters: p, times: request.times, ranks: ranks)
        var records = Records(request: request, roots: roots, work: work, stream: stream)
        do {
            if let shape = request.preparation.shape { try stream.setShape(shape) }
            let threads = max(1, request.threads)
            let prepare: @Sendable (Int) -> Result<Prepared, DataError> = { [roots, work, preparation = request.preparation, times = request.times ?? .ignored] i in
                Self.prepare(work[i], roots: roots, preparation: preparation, times: times)
            }
            if ranks.size == 1 {
                try InOrderWork.run(count: work.count, threads: threads, window: windowPerThread * threads, prepare) { i, result in
                    try records.add(i, result)
                }
            } else {
                let window = windowPerThread * threads * ranks.size
                for start in stride(from: 0, to: work.count, by: window) {
                    try shareWindow(start..<min(start + window, work.count), threads: threads, prepare: prepare,
                                    records: &records, ranks: ranks)
                }
            }
            guard stream.count(.train) + stream.count(.test) > 0 else {
                throw DataError(.emptyFolder, request.root, "no usable images: all \(work.count) were skipped as bad")
            }
            var inputs = [InputFile]()
            for (i, role) in ["train-root", "test-root"].prefix(roots.count).enumerated() {
                inputs.append(InputFile(role: role, path: roots[i], bytes: records.identities[i].bytes,
                                        sha256: SHA256.hexString(records.identities[i].finalize())))
            }
            return try stream.finish(
                labelNames: trainListing.labelNames, source: SourceInfo(kind: "images", inputs: inputs),
                report: IngestReport(skipped: records.skipped, strayFiles: strays), preparation: request.preparation)
        } catch {
            stream.abandon()
            throw error
        }
    }

    /// The records met so far, in file order, and what the manifest says of them.
    struct Records {
        let request: Request
        let roots: [String]
        let work: [Item]
        let stream: ArtifactStream
        var identities: [FolderIdentity]
        var skipped = [SkippedFile]()
        /// The first good file (its shape is every image's, without --size).
        var first: String?

        init(request: Request, roots: [String], work: [Item], stream: ArtifactStream) {
            self.request = request
            self.roots = roots
            self.work = work
            self.stream = stream
            identities = roots.map { _ in FolderIdentity() }
        }

        func path(_ i: Int) -> String { FileIO.join(roots[work[i].root], work[i].file) }

        /// Item i's prepared image (or why it could not be used), on one rank.
        mutating func add(_ i: Int, _ result: Result<Prepared, DataError>) throws {
            switch result {
            case .failure(let error):
                guard request.skipBad else { throw error }
                skip(i, reason: error.detail)
            case .success(let prepared):
                let image = prepared.image
                try checkShape(i, ImageShape(height: image.height, width: image.width, channels: image.channels))
                identify(i, bytes: prepared.bytes, digest: prepared.digest)
                let item = work[i]
                var label = item.label ?? Shard.unlabelled
                try image.pixels.withUnsafeBytes { pixels in
                    try withUnsafePointer(to: &label) {
                        try stream.append(item.split, pixels: pixels, labels: item.label == nil ? nil : UnsafeBufferPointer(start: $0, count: 1))
                    }
                }
            }
        }

        mutating func skip(_ i: Int, reason: String) {
            skipped.append(SkippedFile(path: roots.count > 1 ? path(i) : work[i].file, reason: reason))
        }

        /// The first good image fixes every image's shape.
        mutating func checkShape(_ i: Int, _ shape: ImageShape) throws {
            if let current = stream.shape, current != shape, let first {
                throw mixedSizes(i, shape, first: first, shape: current)
            }
            if stream.shape == nil { try stream.setShape(shape) }
            if first == nil { first = path(i) }
        }

        func mixedSizes(_ i: Int, _ found: ImageShape, first: String, shape: ImageShape) -> DataError {
            DataError(.mixedSizes, path(i),
                "image is \(found.width)x\(found.height) (width x height) but the first image, \(first), is \(shape.width)x\(shape.height): give --size WxH to resize them all")
        }

        mutating func identify(_ i: Int, bytes: Int, digest: [UInt8]) {
            identities[work[i].root].add(work[i].file, bytes: bytes, digest: digest)
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

    /// Reads, hashes and prepares one file, all from one buffer.
    static func prepare(_ item: Item, roots: [String], preparation: ImagePreparation, times: IngestPhaseTimes) -> Result<Prepared, DataError> {
        let path = FileIO.join(roots[item.root], item.file)
        return Result {
            var buffer = [UInt8]()
            let length = try times.measure(.read) { try read(path, into: &buffer) }
            return try buffer.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<length])
                let digest = times.measure(.read) {
                    var hasher = SHA256()
                    hasher.update(bytes)
                    return hasher.finalize()
                }
                return Prepared(image: try preparation.prepare(bytes, path: path, times: times), bytes: length, digest: digest)
            }
        }.mapError { $0 as? DataError ?? DataError(.io, path, "\($0)") }
    }

    /// Largest image file read (1 GiB).
    public static let maxFileBytes = 1 << 30

    /// Reads a whole file into `buffer` (grown as needed, reused between files); returns its length.
    static func read(_ path: String, into buffer: inout [UInt8]) throws -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw DataError(.missingFile, path, "no such file") }
            throw DataError(.io, path, "cannot open for reading: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw DataError(.io, path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw DataError(.emptyFile, path, "file is empty") }
        guard size <= maxFileBytes else {
            throw DataError(.tooLarge, path, "file is \(size) bytes, over the limit of \(maxFileBytes) for a PNG")
        }
        if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
        var length = 0
        try buffer.withUnsafeMutableBytes { out in
            while length < size {
                let n = systemRead(fd, out.baseAddress! + length, size - length)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DataError(.io, path, "read failed: \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }  // the file shrank while being read
                length += n
            }
        }
        return length
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

/// POSIX read(2), named apart from `ImageFolder.read`.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
