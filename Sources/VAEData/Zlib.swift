// Deflate, inflate and CRC-32 over zlib. Used for the shards (zlib streams) and to read gzipped
// input files. Every call is one-shot over memory; errors name the file the bytes came from.
import CZlib

public enum Zlib {
    /// How deflate searches for repeated strings.
    public enum Strategy: String, Codable, Sendable, CaseIterable {
        /// zlib's full search for matches at any distance.
        case `default`
        /// Only runs of one repeated byte (zlib's Z_RLE): for images with long runs of equal
        /// pixels nearly as small as `default` and several times faster to write (Fashion-MNIST's
        /// training images: 26.6 MB against 26.4 MB, compressed 4.5 times faster). Reading is
        /// the same for both.
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

    /// Compresses `input` into one zlib stream at `level` (0-9).
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int, strategy: Strategy = .default) throws -> [UInt8] {
        var stream = z_stream()
        guard vae_deflateInit(&stream, Int32(level), strategy.zlibValue) == Z_OK else {
            throw DataError(.invalidArgument, "zlib", "cannot start deflate at level \(level)")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let status: Int32 = output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(out.count)
            return deflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END else {
            throw DataError(.io, "zlib", "deflate failed with status \(status)")
        }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// Inflates one zlib stream that must hold exactly `expectedSize` bytes, with nothing after it.
    public static func decompress(
        _ input: UnsafeRawBufferPointer, expectedSize: Int, path: String
    ) throws -> [UInt8] {
        var stream = z_stream()
        guard vae_inflateInit(&stream) == Z_OK else {
            throw DataError(.io, path, "cannot start inflate")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: expectedSize)
        var spare: UInt8 = 0
        let status: Int32 = output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? withUnsafeMutablePointer(to: &spare) { $0 }
            stream.avail_out = uInt(out.count)
            var status = inflate(&stream, Z_FINISH)
            if status == Z_BUF_ERROR && stream.avail_out == 0 {
                // The output is full: the stream must end right here, or it holds too much.
                withUnsafeMutablePointer(to: &spare) { stream.next_out = $0 }
                stream.avail_out = 1
                status = inflate(&stream, Z_FINISH)
                if status != Z_STREAM_END { status = Z_DATA_ERROR - 100 }
            }
            return status
        }
        switch status {
        case Z_STREAM_END:
            guard Int(stream.total_out) == expectedSize else {
                throw DataError(.corrupt, path, "compressed data holds \(stream.total_out) bytes, expected \(expectedSize)")
            }
            guard stream.avail_in == 0 else {
                throw DataError(.corrupt, path, "unexpected bytes after the compressed data")
            }
            return output
        case Z_DATA_ERROR - 100:
            throw DataError(.corrupt, path, "compressed data holds more than the expected \(expectedSize) bytes")
        case Z_BUF_ERROR:
            throw DataError(.truncated, path, "compressed data ends early (truncated)")
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
            throw DataError(.corrupt, path, "compressed data is corrupt (\(message))")
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

    /// A gzip file's last 4 bytes hold its uncompressed size modulo 2^32: the size to reserve.
    private static func gzipSize(trailer: ArraySlice<UInt8>, total: Int) -> Int? {
        guard total >= 18, trailer.count == 4 else { return nil }
        return Int(LittleEndian.uint32(trailer, at: trailer.startIndex))
    }

    /// Inflates the pieces `next` hands out (an empty piece: the input is over).
    private static func gunzip(
        limit: Int, sizeHint: Int?, path: String, next: () throws -> ArraySlice<UInt8>
    ) throws -> [UInt8] {
        var stream = z_stream()
        guard vae_inflateInit_auto(&stream) == Z_OK else {
            throw DataError(.io, path, "cannot start inflate")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        if let sizeHint { output.reserveCapacity(min(sizeHint, limit)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var status: Int32 = Z_OK
        var inputOver = false
        while status != Z_STREAM_END {
            let piece = try next()
            if piece.isEmpty { inputOver = true }
            try piece.withUnsafeBytes { inp in
                stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress?.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(inp.count)
                repeat {
                    let produced: Int = chunk.withUnsafeMutableBytes { out in
                        stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                        stream.avail_out = uInt(out.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return out.count - Int(stream.avail_out)
                    }
                    if status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR {
                        let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                        throw DataError(.corrupt, path, "gzip data is corrupt (\(message))")
                    }
                    if output.count + produced > limit {
                        throw DataError(.tooLarge, path, "decompresses to more than \(limit) bytes")
                    }
                    output.append(contentsOf: chunk[0..<produced])
                } while status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0)
            }
            if inputOver && status != Z_STREAM_END {
                throw DataError(.truncated, path, "gzip stream ends early (truncated file)")
            }
        }
        return output
    }
}
