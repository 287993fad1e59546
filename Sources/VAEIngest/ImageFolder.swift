// A folder of PNG and JPEG photos to a shard artifact, streamed: files are listed by
// `PNGFolder`'s rules (class folders with files at any depth, or a flat folder; bytewise order,
// hidden names skipped, links followed), read and prepared (`ImagePreparation`: decoded, colored,
// resized) on `threads` threads, a bounded window of files ahead (`InOrderWork`), and the records
// handed in file order to `ArtifactStream`, which compresses and writes each shard as it fills. A
// file that cannot be used stops the ingest, or with `skipBad` is left out and listed in the
// manifest. docs/INPUTS.md gives the rules.
import Dispatch
import Foundation

public enum ImageFolder {
    /// What to ingest and how.
    public struct Request: Sendable {
        public var root: String
        /// A separate folder of test images (the training root's layout and classes).
        public var testRoot: String?
        /// Or: this fraction of `root` held out for testing, by `PNGFolder.testScore` of each path
        /// (and at least one file of each class of two or more, `PNGFolder.testFlags`).
        public var testFraction: Double?
        public var preparation: ImagePreparation
        /// Leave out files that cannot be read or decoded instead of stopping.
        public var skipBad: Bool
        /// Where the time goes, if anywhere.
        public var times: PhaseTimes?
        /// Threads reading and preparing files (the output is the same for any count).
        public var threads: Int

        public init(root: String, testRoot: String? = nil, testFraction: Double? = nil,
                    preparation: ImagePreparation = ImagePreparation(), skipBad: Bool = false, times: PhaseTimes? = nil,
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
        try ingest(request, parameters: parameters, to: out, force: force, ranks: OneRank())!  // one rank: rank 0
    }

    /// `ingest` shared among `ranks` (see `IngestRanks`): the files are taken in windows; each
    /// rank prepares a contiguous slice of every window, the ranks learn from one another which
    /// files were good (so every rank knows where each record falls), and each record goes to the
    /// rank that owns its shard. Rank 0 returns the manifest, the other ranks nil.
    public static func ingest(_ request: Request, parameters: IngestParameters, to out: String, force: Bool,
                              ranks: IngestRanks) throws -> Manifest? {
        if let fraction = request.testFraction, !(0..<1).contains(fraction) {
            throw DataError(.invalidArgument, request.root, "--test-fraction must be in [0, 1), got \(fraction)")
        }
        let kind = ".png, .jpg or .jpeg files"
        let trainListing = try PNGFolder.list(root: request.root, knownClasses: nil, accept: isImageName, kind: kind)
        let testFlags = request.testFraction.map { PNGFolder.testFlags(trainListing, testFraction: $0) }
        var work = [Item]()
        for (i, file) in trainListing.files.enumerated() {
            work.append(Item(root: 0, file: file, label: trainListing.labels?[i], split: testFlags?[i] == true ? .test : .train))
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

    /// One window of files on every rank. Each rank prepares its slice; an allgather gives every
    /// rank every file's outcome (0: bad, else its shape, `shapeCode`), so every rank knows each
    /// record's index and owner and meets the first error at the same file; an exchange sends
    /// each record to its owner, and to rank 0 every file's size and digest or the reason it is
    /// bad (`Note`). Then every rank walks the window in file order, as one process would.
    static func shareWindow(
        _ window: Range<Int>, threads: Int, prepare: @escaping @Sendable (Int) -> Result<Prepared, DataError>,
        records: inout Records, ranks: IngestRanks
    ) throws {
        let n = ranks.size
        let slices = ranks.slices(window)
        let mine = slices[ranks.rank]
        var results = [Result<Prepared, DataError>]()
        InOrderWork.run(count: mine.count, threads: threads, window: windowPerThread * threads, { prepare(mine.lowerBound + $0) }) {
            _, result in results.append(result)
        }
        let longest = slices.map(\.count).max() ?? 0
        var codes = [Int64](repeating: 0, count: longest)
        for (k, result) in results.enumerated() {
            if case .success(let prepared) = result { codes[k] = shapeCode(prepared.image) }
        }
        let all = try ranks.allgather(codes)
        let holder = { (i: Int) in slices.firstIndex { $0.contains(i) }! }
        let code = { (i: Int) in all[holder(i) * longest + i - slices[holder(i)].lowerBound] }

        // Every rank meets the same first problem, and knows who owns each record.
        var counts = [Split.train: records.stream.count(.train), Split.test: records.stream.count(.test)]
        var owner = [Int: Int]()
        var reference = records.stream.shape.map { (shape: $0, file: records.first) }
        for i in window {
            let failing = holder(i)
            let local = failing == ranks.rank ? results[i - mine.lowerBound] : nil
            guard code(i) != 0 else {
                guard records.request.skipBad else {
                    let error: DataError
                    if case .failure(let found) = local { error = found } else { error = DataError(.io, records.path(i), "bad on rank \(failing)") }
                    records.stream.abandon()
                    try ranks.stop(error, failing: failing)
                }
                continue
            }
            let found = imageShape(code(i))
            if let reference, reference.shape != found, let first = reference.file {
                records.stream.abandon()
                try ranks.stop(records.mixedSizes(i, found, first: first, shape: reference.shape), failing: failing)
            }
            if reference?.file == nil { reference = (reference?.shape ?? found, records.path(i)) }
            let split = records.work[i].split
            owner[i] = ranks.owner(ofShard: counts[split]! / records.stream.parameters.shardSize)
            counts[split]! += 1
        }

        // To each owner its records' pixels; to rank 0 every file's note.
        var parts = [[UInt8]](repeating: [], count: n)
        var notes = [UInt8]()
        for (k, result) in results.enumerated() {
            let i = mine.lowerBound + k
            switch result {
            case .success(let prepared):
                parts[owner[i]!] += prepared.image.pixels
                Note.good(bytes: prepared.bytes, digest: prepared.digest).encode(into: &notes)
            case .failure(let error):
                Note.bad(reason: error.detail).encode(into: &notes)
            }
        }
        parts[0] = notes + parts[0]
        let received = try ranks.exchange(parts)

        // The window in file order: rank 0 reads the notes, the owners append their records.
        var cursors = [Int](repeating: 0, count: n)
        let pixelsPerRecord = (records.stream.shape ?? reference?.shape)?.pixels ?? 0
        if ranks.isRoot {
            for r in 0..<n {  // notes come first in each part sent to rank 0
                for i in slices[r] {
                    let note = try Note.decode(received[r], at: &cursors[r])
                    switch note {
                    case .good(let bytes, let digest): records.identify(i, bytes: bytes, digest: digest)
                    case .bad(let reason): records.skip(i, reason: reason)
                    }
                }
            }
        }
        for i in window where code(i) != 0 {
            let item = records.work[i]
            if records.stream.shape == nil { try records.checkShape(i, imageShape(code(i))) }
            if records.first == nil { records.first = records.path(i) }
            if owner[i] == ranks.rank {
                let r = holder(i)
                let part = received[r]
                guard cursors[r] + pixelsPerRecord <= part.count else {
                    throw DataError(.io, records.path(i), "rank \(r) sent \(part.count) bytes, too few for its records")
                }
                var label = item.label ?? Shard.unlabelled
                try part.withUnsafeBytes { raw in
                    try withUnsafePointer(to: &label) {
                        try records.stream.append(item.split, pixels: UnsafeRawBufferPointer(rebasing: raw[cursors[r]..<cursors[r] + pixelsPerRecord]),
                                                  labels: item.label == nil ? nil : UnsafeBufferPointer(start: $0, count: 1))
                    }
                }
                cursors[r] += pixelsPerRecord
            } else {
                try records.stream.skipNext(item.split, label: item.label)
            }
        }
    }

    /// A good image's shape as one nonzero integer (width, height, channels), for the allgather.
    static func shapeCode(_ image: PixelImage) -> Int64 {
        Int64(image.width) << 40 | Int64(image.height) << 16 | Int64(image.channels) << 1 | 1
    }

    static func imageShape(_ code: Int64) -> ImageShape {
        ImageShape(height: Int((code >> 16) & 0xFF_FFFF), width: Int(code >> 40), channels: Int((code >> 1) & 0x7FFF))
    }

    /// What rank 0 learns of a file another rank prepared: its size and SHA-256, or why it is bad.
    /// Bytes: a tag (1 good, 0 bad); good: size (UInt64 LE) and the 32-byte digest; bad: the
    /// reason's UTF-8 length (UInt32 LE) and the reason.
    enum Note {
        case good(bytes: Int, digest: [UInt8])
        case bad(reason: String)

        func encode(into out: inout [UInt8]) {
            switch self {
            case .good(let bytes, let digest):
                out.append(1)
                out.appendLittleEndian(UInt64(bytes))
                out += digest
            case .bad(let reason):
                out.append(0)
                out.appendLittleEndian(UInt32(reason.utf8.count))
                out += Array(reason.utf8)
            }
        }

        static func decode(_ bytes: [UInt8], at p: inout Int) throws -> Note {
            func need(_ count: Int) throws {
                guard count <= bytes.count - p else { throw DataError(.io, "rank message", "a file note runs past the message's end") }
            }
            try need(1)
            p += 1
            if bytes[p - 1] == 1 {
                try need(40)
                defer { p += 40 }
                let size = Int(LittleEndian.uint32(bytes, at: p)) | Int(LittleEndian.uint32(bytes, at: p + 4)) << 32
                return .good(bytes: size, digest: Array(bytes[p + 8..<p + 40]))
            }
            try need(4)
            let length = Int(LittleEndian.uint32(bytes, at: p))
            p += 4
            try need(length)
            defer { p += length }
            return .bad(reason: String(decoding: bytes[p..<p + length], as: UTF8.self))
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
    static func prepare(_ item: Item, roots: [String], preparation: ImagePreparation, times: PhaseTimes) -> Result<Prepared, DataError> {
        let path = FileIO.join(roots[item.root], item.file)
        return Result {
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
        }.mapError { $0 as? DataError ?? DataError(.io, path, "\($0)") }
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
