// A file's bytes in pieces, inflated on the way when it is gzipped (its first two bytes 1f 8b,
// whatever its name), so that an IDX file of any size is read with a fixed amount of memory.
import CZlib

/// The bytes of a file, raw or gunzipped, a piece at a time.
package final class ByteSource {
    package let path: String
    /// The size of the contents for a raw file; nil for a gzip file (known only at its end).
    package let expectedSize: Int?
    private let file: FileIO.Reader
    private let gzipped: Bool
    private let stream: Zlib.Stream?
    private var input = ArraySlice<UInt8>()
    private var ended = false
    private var produced = 0
    private let limit: Int

    /// - Parameter limit: a gzip file may inflate to at most this many bytes.
    package init(_ path: String, limit: Int) throws {
        self.path = path
        self.limit = limit
        file = try FileIO.Reader(path)
        let head = try file.read(upTo: 2)
        gzipped = head.count == 2 && head.first == 0x1f && head.last == 0x8b
        if gzipped {
            expectedSize = nil
            stream = try Zlib.Stream(inflateWindowBits: 15 + 32, path: path)
        } else {
            expectedSize = file.size
            stream = nil
        }
        input = head
    }


    /// Exactly `count` bytes, or fewer only at the end of the data.
    package func read(_ count: Int) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            let piece = try next(count - out.count)
            if piece.isEmpty { break }
            out += piece
        }
        return out
    }

    /// Up to `count` bytes; empty at the end.
    private func next(_ count: Int) throws -> ArraySlice<UInt8> {
        if !gzipped {
            if input.isEmpty { input = try file.read(upTo: max(count, 1 << 16)) }
            let piece = input.prefix(count)
            input = input.dropFirst(piece.count)
            return piece
        }
        if ended { return [] }
        let z = stream!.z
        var out = [UInt8](repeating: 0, count: min(count, 1 << 20))
        var got = 0
        while got == 0 {
            if input.isEmpty { input = try file.read(upTo: 1 << 20) }
            let inputOver = input.isEmpty
            let consumed: Int
            var status: Int32 = Z_OK
            (consumed, got) = input.withUnsafeBytes { inp in
                out.withUnsafeMutableBytes { o in
                    z.pointee.next_in = UnsafeMutablePointer(mutating: inp.baseAddress?.assumingMemoryBound(to: Bytef.self))
                    z.pointee.avail_in = uInt(inp.count)
                    z.pointee.next_out = o.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    z.pointee.avail_out = uInt(o.count)
                    status = inflate(z, Z_NO_FLUSH)
                    return (inp.count - Int(z.pointee.avail_in), o.count - Int(z.pointee.avail_out))
                }
            }
            input = input.dropFirst(consumed)
            if status == Z_STREAM_END {
                ended = true
            } else if status != Z_OK && status != Z_BUF_ERROR {
                let message = z.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                throw DataError(.corrupt, path, "gzip data is corrupt (\(message))")
            } else if inputOver && got == 0 {
                throw DataError(.truncated, path, "gzip stream ends early (truncated file)")
            }
            produced += got
            if produced > limit { throw DataError(.tooLarge, path, "decompresses to more than \(limit) bytes") }
            if ended { break }
        }
        return out[0..<got]
    }
}
