// Deflate, inflate and CRC-32 over zlib. Used for the shards (zlib streams) and to read gzipped
// input files. Every call is one-shot over memory; errors name the file the bytes came from.
import CZlib

public enum Zlib {
    /// How deflate searches for repeated strings.
    public enum Strategy: String, Codable, Sendable, CaseIterable {
        /// zlib's full search for matches at any distance.
        case `default`
        /// Only runs of one repeated byte (zlib's Z_RLE): for images with long runs of equal
        /// pixels nearly as small as `default` and several times faster to write
        /// (docs/BENCHMARKS.md has the measurement). Reading is the same for both.
        case rle

        var zlibValue: Int32 { self == .rle ? Z_RLE : Z_DEFAULT_STRATEGY }
    }

    /// CRC-32 (the ISO-HDLC / zlib polynomial) of `bytes`, continuing from `crc`.
    public static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        var value = UInt(crc)
        var offset = 0
        while offset < bytes.count {  // zlib takes a 32-bit length
            let chunk = min(bytes.count - offset, 1 << 30)
            value = CZlib.crc32(value, base.advanced(by: offset).assumingMemoryBound(to: Bytef.self), uInt(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: value)
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0) }
    }

    /// The most bytes handed to zlib in one call: its lengths are 32-bit (`uInt`), so larger
    /// buffers go in pieces.
    static let maxChunk = 1 << 30

    /// Compresses `input` into one zlib stream at `level` (0-9).
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int, strategy: Strategy = .default) throws -> [UInt8] {
        try compress(input, level: level, strategy: strategy, chunk: maxChunk)
    }

    /// Compresses `input` into a gzip file's bytes (RFC 1952: no name, no time, zlib's header for
    /// Unix), at `level` (0-9).
    public static func gzip(_ input: [UInt8], level: Int = 6) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0, level: level, strategy: .default, chunk: maxChunk, windowBits: 15 + 16) }
    }

    /// `compress`, handing zlib at most `chunk` bytes at a time (the tests use small chunks);
    /// window bits 15 write a zlib stream, 15 + 16 a gzip file.
    static func compress(
        _ input: UnsafeRawBufferPointer, level: Int, strategy: Strategy, chunk maxChunk: Int, windowBits: Int32 = 15
    ) throws -> [UInt8] {
        let stream = try Stream(deflateLevel: level, strategy: strategy, windowBits: windowBits)
        let z = stream.z
        var output = [UInt8](repeating: 0, count: Int(deflateBound(z, uLong(input.count))))
        var consumed = 0, produced = 0
        var status = Z_OK
        output.withUnsafeMutableBytes { out in
            while status == Z_OK {
                let inChunk = min(input.count - consumed, maxChunk), outChunk = min(out.count - produced, maxChunk)
                z.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { ($0 + consumed).assumingMemoryBound(to: Bytef.self) })
                z.pointee.avail_in = uInt(inChunk)
                z.pointee.next_out = (out.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                z.pointee.avail_out = uInt(outChunk)
                status = deflate(z, consumed + inChunk == input.count ? Z_FINISH : Z_NO_FLUSH)
                consumed += inChunk - Int(z.pointee.avail_in)
                produced += outChunk - Int(z.pointee.avail_out)
            }
        }
        guard status == Z_STREAM_END else {
            throw DataError(.io, "zlib", "deflate failed with status \(status)")
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Inflates one zlib stream that must hold exactly `expectedSize` bytes, with nothing after it.
    /// The output starts at 16 times the input and grows as the data really inflates (doubling,
    /// up to `expectedSize`), so a size that lies costs little more memory than the data holds.
    public static func decompress(
        _ input: UnsafeRawBufferPointer, expectedSize: Int, path: String
    ) throws -> [UInt8] {
        try decompress(input, expectedSize: expectedSize, path: path, chunk: maxChunk)
    }

    /// `decompress`, handing zlib at most `chunk` bytes at a time (the tests use small chunks).
    static func decompress(
        _ input: UnsafeRawBufferPointer, expectedSize: Int, path: String, chunk maxChunk: Int
    ) throws -> [UInt8] {
        let stream = try Stream(inflateWindowBits: 15, path: path)
        let z = stream.z
        // Room for 16 times the input at first (images deflate less than that), then doubling.
        var output = [UInt8](repeating: 0, count: min(expectedSize, max(1 << 16, 16 * min(input.count, maxChunk))))
        var spare: [UInt8] = [0]  // where a stream longer than expectedSize shows itself
        var consumed = 0, produced = 0
        var status = Z_OK
        while status == Z_OK {
            if produced == output.count && output.count < expectedSize {
                var grown = [UInt8](repeating: 0, count: output.count + min(expectedSize - output.count, max(output.count, 1)))
                grown.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: output, count: produced) }
                output = grown
            }
            let inChunk = min(input.count - consumed, maxChunk)
            z.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { ($0 + consumed).assumingMemoryBound(to: Bytef.self) })
            z.pointee.avail_in = uInt(inChunk)
            if produced == expectedSize {
                status = spare.withUnsafeMutableBytes { s in
                    z.pointee.next_out = s.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    z.pointee.avail_out = 1
                    return inflate(z, Z_NO_FLUSH)
                }
                if z.pointee.avail_out == 0 {
                    throw DataError(.corrupt, path, "compressed data holds more than the expected \(expectedSize) bytes")
                }
            } else {
                let outChunk = min(output.count - produced, maxChunk)
                status = output.withUnsafeMutableBytes { out in
                    z.pointee.next_out = (out.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                    z.pointee.avail_out = uInt(outChunk)
                    return inflate(z, Z_NO_FLUSH)
                }
                produced += outChunk - Int(z.pointee.avail_out)
            }
            consumed += inChunk - Int(z.pointee.avail_in)
        }
        switch status {
        case Z_STREAM_END:
            guard produced == expectedSize else {
                throw DataError(.corrupt, path, "compressed data holds \(produced) bytes, expected \(expectedSize)")
            }
            guard consumed == input.count else {
                throw DataError(.corrupt, path, "unexpected bytes after the compressed data")
            }
            return output
        case Z_BUF_ERROR:
            throw DataError(.truncated, path, "compressed data ends early (truncated)")
        default:
            let message = z.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
            throw DataError(.corrupt, path, "compressed data is corrupt (\(message))")
        }
    }

    /// A z_stream in memory of its own: zlib keeps a pointer to the stream inside its state, so the
    /// stream must not move while it lives (a Swift local's address is only valid inside one
    /// `withUnsafeMutablePointer` call). `deflateEnd`/`inflateEnd` run in one place, `deinit`.
    package final class Stream {
        package let z: UnsafeMutablePointer<z_stream>
        private let inflating: Bool

        private init(inflating: Bool) {
            z = .allocate(capacity: 1)
            z.initialize(to: z_stream())
            self.inflating = inflating
        }

        private var started = false

        /// A deflate stream at `level` (0-9): window bits 15 for zlib data, 15 + 16 for gzip.
        package convenience init(deflateLevel level: Int, strategy: Strategy, windowBits: Int32) throws {
            self.init(inflating: false)
            guard vae_deflateInit2(z, Int32(level), windowBits, strategy.zlibValue) == Z_OK else {
                throw DataError(.invalidArgument, "zlib", "cannot start deflate at level \(level)")
            }
            started = true
        }

        /// An inflate stream: window bits 15 for zlib data, 15 + 32 for zlib or gzip.
        package convenience init(inflateWindowBits bits: Int32, path: String) throws {
            self.init(inflating: true)
            guard vae_inflateInit2(z, bits) == Z_OK else {
                throw DataError(.io, path, "cannot start inflate")
            }
            started = true
        }

        deinit {
            if started { _ = inflating ? inflateEnd(z) : deflateEnd(z) }
            z.deinitialize(count: 1)
            z.deallocate()
        }
    }

    /// Inflates a whole gzip (or zlib) stream held in memory, refusing to grow past `limit` bytes.
    /// A stream that ends early is reported as truncated.
    public static func gunzip(_ input: [UInt8], limit: Int, path: String) throws -> [UInt8] {
        var done = false
        return try gunzip(limit: limit, sizeHint: gzipSize(trailer: input.suffix(4), total: input.count), path: path) {
            defer { done = true }
            return done ? [] : input[...]
        }
    }

    /// Inflates a gzip (or zlib) file read in 1 MiB pieces, so that only the output is held whole.
    public static func gunzip(file path: String, limit: Int) throws -> [UInt8] {
        let file = try FileIO.Reader(path)
        let hint = gzipSize(trailer: try file.tail(4), total: file.size)
        return try gunzip(limit: limit, sizeHint: hint, path: path) { try file.read(upTo: 1 << 20) }
    }

    /// A gzip file's last 4 bytes hold its uncompressed size modulo 2^32: the size to reserve,
    /// believed only up to deflate's largest ratio (1032:1) over the file's size.
    private static func gzipSize(trailer: ArraySlice<UInt8>, total: Int) -> Int? {
        guard total >= 18, trailer.count == 4 else { return nil }
        let claimed = Int(LittleEndian.uint32(trailer, at: trailer.startIndex))
        return min(claimed, total.multipliedReportingOverflow(by: 1032).overflow ? claimed : total * 1032)
    }

    /// Inflates the pieces `next` hands out (an empty piece: the input is over).
    private static func gunzip(
        limit: Int, sizeHint: Int?, path: String, next: () throws -> ArraySlice<UInt8>
    ) throws -> [UInt8] {
        let stream = try Stream(inflateWindowBits: 15 + 32, path: path)
        let z = stream.z
        var output = [UInt8]()
        if let sizeHint { output.reserveCapacity(min(sizeHint, limit)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var status: Int32 = Z_OK
        var inputOver = false
        while status != Z_STREAM_END {
            let piece = try next()
            if piece.isEmpty { inputOver = true }
            try piece.withUnsafeBytes { whole in
                var offset = 0
                repeat {  // the piece in parts zlib's 32-bit lengths can hold
                    let part = min(whole.count - offset, maxChunk)
                    z.pointee.next_in = UnsafeMutablePointer(mutating: whole.baseAddress.map { ($0 + offset).assumingMemoryBound(to: Bytef.self) })
                    z.pointee.avail_in = uInt(part)
                    repeat {
                        let produced: Int = chunk.withUnsafeMutableBytes { out in
                            z.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                            z.pointee.avail_out = uInt(out.count)
                            status = inflate(z, Z_NO_FLUSH)
                            return out.count - Int(z.pointee.avail_out)
                        }
                        if status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR {
                            let message = z.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                            throw DataError(.corrupt, path, "gzip data is corrupt (\(message))")
                        }
                        if output.count + produced > limit {
                            throw DataError(.tooLarge, path, "decompresses to more than \(limit) bytes")
                        }
                        output.append(contentsOf: chunk[0..<produced])
                    } while status != Z_STREAM_END && (z.pointee.avail_in > 0 || z.pointee.avail_out == 0)
                    offset += part
                } while status != Z_STREAM_END && offset < whole.count
            }
            if inputOver && status != Z_STREAM_END {
                throw DataError(.truncated, path, "gzip stream ends early (truncated file)")
            }
        }
        return output
    }
}
