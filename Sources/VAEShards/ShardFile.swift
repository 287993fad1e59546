// One shard file as `ArtifactStream` writes it: the records' zlib stream deflated piece by piece
// into the file on the shard's own serial queue, the 56-byte header written last at offset 0
// (docs/FORMATS.md gives the layout).
import CZlib
import Dispatch
import Foundation
import VAECore

/// One shard file being written: a zlib stream fed piece by piece on `queue`, the header last.
final class ShardFile: @unchecked Sendable {
    let queue: DispatchQueue
    let index: Int
    let name: String
    let path: String
    let firstRecord: Int
    let shape: ImageShape
    private let level: Int
    private var fd: Int32 = -1
    private let stream: Zlib.Stream
    private var out = [UInt8](repeating: 0, count: 1 << 18)
    private var records = 0
    private var payloadBytes = 0
    private var payloadCrc: UInt32 = 0
    private var bodyCrc: UInt32 = 0
    private var bodyBytes = 0
    /// Level 0 writes stored blocks whose sizes depend on how the input arrives, so its payload
    /// is gathered and deflated at once, as the whole-payload writer did.
    private var whole: [UInt8]?
    private var result: ShardInfo?

    init(split: Split, index: Int, firstRecord: Int, shape: ImageShape, directory: String, parameters: IngestParameters) throws {
        let digits = String(index)
        name = "\(split.rawValue)-\(String(repeating: "0", count: max(0, 5 - digits.count)))\(digits).shard"
        path = FileIO.join(directory, name)
        self.index = index
        self.firstRecord = firstRecord
        self.shape = shape
        level = parameters.level
        queue = DispatchQueue(label: "shard \(name)")
        stream = try Zlib.Stream(deflateLevel: parameters.level, strategy: parameters.strategy, windowBits: 15)
        if level == 0 { whole = [] }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataError(.io, path, "cannot create: \(String(cString: strerror(errno)))")
        }
        let placeholder = [UInt8](repeating: 0, count: Shard.headerSize)
        try placeholder.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Deflates whole records.
    func add(_ piece: [UInt8]) throws {
        records += piece.count / (shape.pixels + Shard.labelBytes)
        payloadBytes += piece.count
        payloadCrc = piece.withUnsafeBytes { Zlib.crc32($0, continuing: payloadCrc) }
        if whole != nil { whole! += piece; return }
        try piece.withUnsafeBytes { try deflate($0, finish: false) }
    }

    private func deflate(_ input: UnsafeRawBufferPointer, finish: Bool) throws {
        let z = stream.z
        z.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        z.pointee.avail_in = uInt(input.count)
        while true {
            let (status, produced): (Int32, Int) = out.withUnsafeMutableBytes { buffer in
                z.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                z.pointee.avail_out = uInt(buffer.count)
                let status = CZlib.deflate(z, finish ? Z_FINISH : Z_NO_FLUSH)
                return (status, buffer.count - Int(z.pointee.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw DataError(.io, path, "deflate failed with status \(status)")
            }
            if produced > 0 {
                try out.withUnsafeBytes { buffer in
                    let written = UnsafeRawBufferPointer(rebasing: buffer[0..<produced])
                    bodyCrc = Zlib.crc32(written, continuing: bodyCrc)
                    try FileIO.writeAll(fd, written, path: path)
                }
                bodyBytes += produced
            }
            if finish ? status == Z_STREAM_END : (z.pointee.avail_in == 0 && produced < out.count) { break }
        }
    }

    /// Ends the stream, writes the header at offset 0, flushes the file to disk and closes it.
    func finish() throws {
        if let whole {
            // One call with room for everything, as `Zlib.compress` does.
            out = [UInt8](repeating: 0, count: Int(deflateBound(stream.z, uLong(whole.count))))
            try whole.withUnsafeBytes { try deflate($0, finish: true) }
            self.whole = nil
        } else {
            try deflate(UnsafeRawBufferPointer(start: nil, count: 0), finish: true)
        }
        let header = Shard.Header(records: records, shape: shape, payloadBytes: payloadBytes,
                                  compressedBytes: bodyBytes, payloadCrc32: payloadCrc).encoded()
        let written = header.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
        guard written == header.count else { throw DataError(.io, path, "cannot write the shard header: \(String(cString: strerror(errno)))") }
        guard fsync(fd) == 0 else { throw DataError(.io, path, "cannot flush to disk: \(String(cString: strerror(errno)))") }
        close(fd)
        fd = -1
        let fileCrc = UInt32(truncatingIfNeeded: crc32_combine(uLong(Zlib.crc32(header)), uLong(bodyCrc), off_t(bodyBytes)))
        result = ShardInfo(file: name, records: records, firstRecord: firstRecord, rawBytes: payloadBytes,
                           fileBytes: Shard.headerSize + bodyBytes, payloadCrc32: payloadCrc, fileCrc32: fileCrc)
    }

    func info() throws -> ShardInfo {
        guard let result else { throw DataError(.io, path, "the shard was not finished") }
        return result
    }
}
