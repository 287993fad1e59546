// Fuzz targets for the shard artifact: one shard file whose header fields lie (with the header
// CRC recomputed, so only the limits and the consistency checks can catch them), and a manifest
// whose numbers, lists and names lie over a real artifact.
import VAECore
import VAEIngest
import VAEShards
import VAEModel

extension FuzzTarget {
    /// Bytes that depend only on `seed`, for pixels.
    static func noise(count: Int, seed: UInt8) -> [UInt8] {
        var rng = SeededRandom(seed: UInt64(seed))
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    /// Cuts, extends or flips `bytes` where the input asks (each a lie).
    static func damage(_ bytes: inout [UInt8], _ input: inout FuzzInput) {
        if !bytes.isEmpty && input.change() { bytes.removeSubrange(Int(input.word() % UInt64(bytes.count))...) }
        if input.change() { bytes += noise(count: input.int(in: 1...64), seed: input.byte()) }
        if !bytes.isEmpty && input.change() { bytes[Int(input.word() % UInt64(bytes.count))] ^= input.byte() | 1 }
    }

    /// One shard of up to 9 images of up to 6x6x4, each header field possibly a lie.
    public static let shard = FuzzTarget(name: "shard") { input, scratch in
        let shape = ImageShape(height: input.int(in: 1...6), width: input.int(in: 1...6), channels: input.int(in: 1...4))
        let count = input.int(in: 1...9)
        let pixels = noise(count: count * shape.pixels, seed: input.byte())
        let labels: [UInt16]? = input.byte() & 1 == 0 ? nil : (0..<count).map { UInt16($0 % 3) }
        var bytes = try pixels.withUnsafeBufferPointer { p in
            try (labels ?? []).withUnsafeBufferPointer { l in
                try Shard.encode(pixels: p, labels: labels == nil ? nil : l, shape: shape, level: 6)
            }
        }
        // (offset, size) of every header field: version, reserved, records, height, width, channels,
        // record bytes, payload bytes, compressed bytes, payload CRC.
        for (offset, size) in [(8, 2), (10, 2), (12, 4), (16, 4), (20, 4), (24, 4), (28, 4), (32, 8), (40, 8), (48, 4)] {
            let honest = (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
            let value = UInt64(bitPattern: Int64(input.lie(honest)))
            for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        if !input.change() {  // usually the header CRC agrees with the lies
            let crc = bytes.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<52])) }
            for i in 0..<4 { bytes[52 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        }
        damage(&bytes, &input)
        let path = scratch + "/fuzz.shard"
        try judge(input, file: path) {
            let block = try Shard.decode(bytes, path: path)
            if !input.lied && (block.pixels != pixels || block.labels != labels ?? Array(repeating: Shard.unlabelled, count: count)) {
                throw FuzzFailure("a valid shard decoded to other pixels or labels")
            }
        }
    }

    /// The manifest of a small real artifact (two splits, labelled, shards of 8), lying anywhere.
    public static let manifest = FuzzTarget(name: "manifest") { input, scratch in
        let artifact = scratch + "/artifact"
        let original = scratch + "/manifest.original.json"
        if !FileIO.exists(original) {
            _ = try ArtifactWriter.write(
                SyntheticShapes.input(train: 20, test: 5, size: 4, seed: 1), parameters: IngestParameters(shardSize: 8),
                to: artifact, force: true)
            try AtomicFile.write(try FileIO.read(artifact + "/" + Manifest.fileName), to: original, sync: false)
        }
        let valid = try FileIO.read(original)
        let tree = try LyingJSON.decode(valid).lying(&input)
        var bytes = input.lied ? try tree.encoded() : valid
        damage(&bytes, &input)
        try AtomicFile.write(bytes, to: artifact + "/" + Manifest.fileName, sync: false)
        try judge(input, file: artifact) {
            let dataset = try ShardDataset(directory: artifact)
            try dataset.verify()
            _ = ArtifactSummary(dataset).text
            for split in Split.allCases {
                let stream = dataset.stream(split)
                while let block = try stream.next() { _ = block.count }
            }
        }
    }
}
