// Fuzz targets for the image inputs: IDX files (raw or gzipped) whose dimensions, dimension count,
// element type, data length and gzip size trailer lie; and PNGs of every color type and bit depth
// written by libpng, whose IHDR fields, chunk lengths and chunk list lie (with chunk CRCs
// recomputed, so libpng's own checks see the lie, not a checksum error), with a zTXt chunk that
// inflates past the limit among the chunks it may insert.
import VAECore
import VAEImages
import VAEIngest
import VAEModel

extension FuzzTarget {
    public static let idx = FuzzTarget(name: "idx") { input, scratch in
        let images = input.byte() & 1 == 0
        let honest = images ? [input.int(in: 1...6), input.int(in: 1...5), input.int(in: 1...5)] : [input.int(in: 1...9)]
        let data = noise(count: honest.reduce(1, *), seed: input.byte())
        var dimensions = honest.map { input.lie32(UInt32($0)) }
        if input.change() { dimensions.append(input.lie32(1)) }
        if input.change() { dimensions.removeLast() }
        let type: UInt8 = input.change() ? input.byte() : 0x08
        var bytes: [UInt8] = [0, 0, type, UInt8(truncatingIfNeeded: dimensions.count)]
        for d in dimensions { bytes += [UInt8(d >> 24), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        bytes += data
        damage(&bytes, &input)
        if input.byte() & 1 == 1 {
            bytes = try Zlib.gzip(bytes)
            if bytes.count >= 4 {  // the size trailer: ISIZE, little-endian
                let honestSize = UInt32(truncatingIfNeeded: data.count + 4 + 4 * dimensions.count)
                let size = input.lie32(honestSize)
                if size != honestSize { for i in 0..<4 { bytes[bytes.count - 4 + i] = UInt8(truncatingIfNeeded: size >> (8 * UInt32(i))) } }
            }
            damage(&bytes, &input)
        }
        let path = scratch + "/fuzz.idx"
        try AtomicFile.write(bytes, to: path, sync: false)
        try judge(input, file: path) {
            let read = images ? try IDX.readImages(path).pixels : try IDX.readLabels(path)
            if !input.lied && read != data { throw FuzzFailure("a valid IDX file read back other bytes") }
        }
    }

    /// A zlib stream of 9 MiB of zeros (9 KiB compressed): more than libpng may inflate for a chunk.
    static let inflationBomb: [UInt8] = (try? [UInt8](repeating: 0, count: 9 << 20).withUnsafeBytes {
        try Zlib.compress($0, level: 9)
    }) ?? []

    public static let png = FuzzTarget(name: "png") { input, scratch in
        let (colorType, depth) = PNGRaster.formats[input.int(in: 0...(PNGRaster.formats.count - 1))]
        let width = input.int(in: 1...6), height = input.int(in: 1...6)
        var raster = PNGRaster(width: width, height: height, colorType: colorType, bitDepth: depth, rows: [],
                               interlaced: input.byte() & 1 == 1)
        raster.rows = noise(count: raster.rowBytes * height, seed: input.byte())
        if colorType == .palette { raster.palette = noise(count: 3 << depth, seed: 7) }  // every index valid
        let valid = try PNGCodec.encode(raster)
        // Chunks as (type, data); the length and CRC are written again below.
        var chunks: [(type: [UInt8], data: [UInt8])] = []
        var at = 8
        while at + 12 <= valid.count {
            let length = Int(valid[at]) << 24 | Int(valid[at + 1]) << 16 | Int(valid[at + 2]) << 8 | Int(valid[at + 3])
            chunks.append((Array(valid[at + 4..<at + 8]), Array(valid[at + 8..<at + 8 + length])))
            at += 12 + length
        }
        // IHDR: width, height, then bit depth, color type, compression, filter, interlace.
        var ihdr = chunks[0].data
        for (offset, value) in [(0, UInt32(width)), (4, UInt32(height))] {
            let lie = input.lie32(value)
            for i in 0..<4 { ihdr[offset + i] = UInt8(truncatingIfNeeded: lie >> (8 * UInt32(3 - i))) }
        }
        for i in 8..<13 where input.change() { ihdr[i] = input.byte() }
        chunks[0].data = ihdr
        if input.change() { chunks.remove(at: input.int(in: 0...(chunks.count - 1))) }
        if input.change(), !chunks.isEmpty { chunks.insert(chunks[input.int(in: 0...(chunks.count - 1))], at: input.int(in: 0...chunks.count)) }
        if input.change() {
            let types = ["zTXt", "iCCP", "tEXt", "PLTE", "tRNS", "IDAT", "IEND", "sBIT", "bKGD", "pHYs"]
            let type = Array(types[input.int(in: 0...(types.count - 1))].utf8)
            let data = input.byte() & 1 == 0 ? Array("k".utf8) + [0, 0] + inflationBomb : noise(count: input.int(in: 0...40), seed: input.byte())
            chunks.insert((type, data), at: input.int(in: 0...chunks.count))
        }
        var bytes = Array(valid[0..<8])
        for chunk in chunks {
            let length = input.lie32(UInt32(chunk.data.count))
            bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
            bytes += chunk.type + chunk.data
            let crc = input.change() ? UInt32(input.byte()) : Zlib.crc32(chunk.type + chunk.data)
            bytes += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc & 0xff)]
        }
        damage(&bytes, &input)
        let path = scratch + "/fuzz.png"
        try judge(input, file: path) {
            let image = try PNGCodec.decodeGray(bytes, path: path)
            if !input.lied && (image.width != width || image.height != height) {
                throw FuzzFailure("a valid PNG decoded to \(image.width)x\(image.height), not \(width)x\(height)")
            }
        }
    }
}
