// One shard file: a fixed 56-byte header, then one zlib stream holding fixed-size records, each
// the pixels of one image followed by its label. docs/FORMATS.md gives the layout byte for byte.
//
// N = records, P = pixels per image (height × width × channels), R = P + 2 bytes per record.
import VAECore

/// A decoded shard: its images and labels, de-interleaved for the consumers.
public struct ShardBlock: Sendable {
    public let shape: ImageShape
    /// N × P bytes, one image after another.
    public var pixels: [UInt8]
    /// N labels; `Shard.unlabelled` where the data has none.
    public var labels: [UInt16]

    public var count: Int { labels.count }
}

public enum Shard {
    public static let magic: [UInt8] = Array("VAESHARD".utf8)
    public static let version: UInt16 = 1
    public static let headerSize = 56
    public static let labelBytes = 2
    /// The label stored for an example of unlabelled data.
    public static let unlabelled: UInt16 = 0xFFFF

    /// The fixed header at the start of every shard file.
    public struct Header: Equatable, Sendable {
        public var records: Int
        public var shape: ImageShape
        public var payloadBytes: Int
        public var compressedBytes: Int
        public var payloadCrc32: UInt32

        public var recordBytes: Int { shape.pixels + Shard.labelBytes }

        /// The 56 header bytes, ending with the CRC-32 of the 52 before it.
        func encoded() -> [UInt8] {
            var out = Shard.magic
            out.appendLittleEndian(Shard.version)
            out.appendLittleEndian(UInt16(0))
            out.appendLittleEndian(UInt32(records))
            out.appendLittleEndian(UInt32(shape.height))
            out.appendLittleEndian(UInt32(shape.width))
            out.appendLittleEndian(UInt32(shape.channels))
            out.appendLittleEndian(UInt32(recordBytes))
            out.appendLittleEndian(UInt64(payloadBytes))
            out.appendLittleEndian(UInt64(compressedBytes))
            out.appendLittleEndian(payloadCrc32)
            out.appendLittleEndian(Zlib.crc32(out))
            return out
        }

        static func decode(_ bytes: [UInt8], path: String) throws -> Header {
            guard bytes.count >= Shard.headerSize else {
                throw DataError(.truncated, path, "shard is \(bytes.count) bytes, shorter than its \(Shard.headerSize)-byte header")
            }
            guard Array(bytes[0..<8]) == Shard.magic else {
                throw DataError(.badMagic, path, "not a shard (magic bytes are not VAESHARD)")
            }
            let version = bytes.littleEndian(UInt16.self, at: 8)
            guard version == Shard.version else {
                throw DataError(.unsupported, path, "shard format version \(version), this tool reads version \(Shard.version)")
            }
            let headerCrc = bytes.littleEndian(UInt32.self, at: 52)
            guard bytes.withUnsafeBytes({ Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<52])) }) == headerCrc else {
                throw DataError(.checksumMismatch, path, "shard header checksum mismatch (corrupt header)")
            }
            let shape = ImageShape(
                height: Int(bytes.littleEndian(UInt32.self, at: 16)),
                width: Int(bytes.littleEndian(UInt32.self, at: 20)),
                channels: Int(bytes.littleEndian(UInt32.self, at: 24)))
            try shape.checkLimits(path: path, field: "shard header image")
            let records = Int(bytes.littleEndian(UInt32.self, at: 12))
            guard records > 0 else {
                throw DataError(.corrupt, path, "shard header counts 0 records")
            }
            let recordBytes = shape.pixels + Shard.labelBytes
            guard Int(bytes.littleEndian(UInt32.self, at: 28)) == recordBytes else {
                throw DataError(.corrupt, path, "shard header record size \(bytes.littleEndian(UInt32.self, at: 28)) is not \(recordBytes) for \(shape.width)x\(shape.height)x\(shape.channels) images")
            }
            let payloadBytes = try checkedProduct([records, recordBytes], limit: Shard.maxPayloadBytes, path: path,
                                                  field: "shard payload (records x record bytes)")
            guard UInt64(payloadBytes) == bytes.littleEndian(UInt64.self, at: 32) else {
                throw DataError(.corrupt, path, "shard header payload size \(bytes.littleEndian(UInt64.self, at: 32)) is not \(records) x \(recordBytes) bytes")
            }
            let compressed = bytes.littleEndian(UInt64.self, at: 40)
            guard compressed <= UInt64(Shard.maxFileBytes) else {
                throw DataError(.corrupt, path, "shard header compressed size \(compressed) is over the limit of \(Shard.maxFileBytes)")
            }
            let header = Header(
                records: records, shape: shape, payloadBytes: payloadBytes, compressedBytes: Int(compressed),
                payloadCrc32: bytes.littleEndian(UInt32.self, at: 48))
            return header
        }
    }

    /// Encodes `count` images (and labels, or none) as the bytes of one shard file.
    /// - Parameters:
    ///   - pixels: count × P bytes.
    ///   - labels: count labels, or nil for unlabelled data.
    public static func encode(
        pixels: UnsafeBufferPointer<UInt8>, labels: UnsafeBufferPointer<UInt16>?, shape: ImageShape, level: Int,
        strategy: Zlib.Strategy = .default
    ) throws -> [UInt8] {
        let p = shape.pixels
        let count = pixels.count / p
        let recordBytes = p + labelBytes
        var payload = [UInt8](repeating: 0, count: count * recordBytes)
        payload.withUnsafeMutableBufferPointer { out in
            for i in 0..<count {
                let record = out.baseAddress! + i * recordBytes
                record.update(from: pixels.baseAddress! + i * p, count: p)
                let label = labels?[i] ?? unlabelled
                record[p] = UInt8(truncatingIfNeeded: label)
                record[p + 1] = UInt8(truncatingIfNeeded: label >> 8)
            }
        }
        let compressed = try payload.withUnsafeBytes { try Zlib.compress($0, level: level, strategy: strategy) }
        let header = Header(
            records: count, shape: shape, payloadBytes: payload.count, compressedBytes: compressed.count,
            payloadCrc32: Zlib.crc32(payload))
        return header.encoded() + compressed
    }

    /// Decodes the bytes of one shard file, checking its header, sizes and payload checksum.
    public static func decode(_ bytes: [UInt8], path: String) throws -> ShardBlock {
        let header = try Header.decode(bytes, path: path)
        let expectedSize = headerSize + header.compressedBytes
        guard bytes.count >= expectedSize else {
            throw DataError(.truncated, path, "shard is \(bytes.count) bytes, its header says \(expectedSize) (truncated)")
        }
        guard bytes.count == expectedSize else {
            throw DataError(.corrupt, path, "shard has \(bytes.count - expectedSize) bytes after its data")
        }
        let payload = try bytes.withUnsafeBytes {
            try Zlib.decompress(UnsafeRawBufferPointer(rebasing: $0[headerSize...]), expectedSize: header.payloadBytes, path: path)
        }
        guard Zlib.crc32(payload) == header.payloadCrc32 else {
            throw DataError(.checksumMismatch, path, "shard payload checksum mismatch (corrupt data)")
        }
        let p = header.shape.pixels
        let recordBytes = header.recordBytes
        var pixels = [UInt8](repeating: 0, count: header.records * p)
        var labels = [UInt16](repeating: 0, count: header.records)
        payload.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { out in
                for i in 0..<header.records {
                    let record = source.baseAddress! + i * recordBytes
                    (out.baseAddress! + i * p).update(from: record, count: p)
                    labels[i] = UInt16(record[p]) | UInt16(record[p + 1]) << 8
                }
            }
        }
        return ShardBlock(shape: header.shape, pixels: pixels, labels: labels)
    }
}
