// `ImageFolder.ingest` shared among the ranks of an mpirun job (`Ranks`): the files are
// taken in windows; each rank prepares a contiguous slice of every window, an allgather tells
// every rank which files were good and their shapes, and an exchange sends each record to the rank
// that owns its shard, and to rank 0 what the manifest records of every file (`Note`, the wire
// format). docs/DISTRIBUTED.md describes the design.
//
// N = ranks.
import VAECluster
import VAECore
import VAEImages
import VAEShards

extension ImageFolder {
    /// One window of files on every rank. Each rank prepares its slice; an allgather gives every
    /// rank every file's outcome (0: bad, else its shape, `shapeCode`), so every rank knows each
    /// record's index and owner and meets the first error at the same file; an exchange sends
    /// each record to its owner, and to rank 0 every file's size and digest or the reason it is
    /// bad (`Note`). Then every rank walks the window in file order, as one process would.
    static func shareWindow(
        _ window: Range<Int>, threads: Int, prepare: @escaping @Sendable (Int) -> Result<Prepared, DataError>,
        records: inout Records, ranks: any Ranks
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
}
