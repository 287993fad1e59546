// Fuzz target for the JPEG reader: a small photo encoded by TurboJPEG (gray or YCbCr, any
// subsampling, baseline or progressive), often with an EXIF Orientation segment, whose fields may
// lie: the frame header's height, width and component count, every segment's length, the APP1
// length, the TIFF byte order mark, IFD0's offset and entry count, the Orientation entry's type,
// count and value; then a cut, appended bytes or a flipped byte. It is decoded in gray or RGB at a
// reduced scale the input picks. A file in which nothing lied must decode to the plain JPEG's
// decode (no EXIF) turned as its orientation says.
import VAEImages

extension FuzzTarget {
    public static let jpeg = FuzzTarget(name: "jpeg") { input, scratch in
        let width = input.int(in: 1...24), height = input.int(in: 1...24)
        let gray = input.byte() & 1 == 1
        let subsampling = [JPEGCodec.Subsampling.s420, .s422, .s444][input.int(in: 0...2)]
        let progressive = input.byte() & 1 == 1
        let photo = SyntheticPhotos.textured(width: width, height: height, seed: UInt64(input.byte()))
        let image = gray ? PixelImage(width: width, height: height, channels: 1,
                                      pixels: (0..<(width * height)).map { photo.pixels[3 * $0 + 1] }) : photo
        let plain = try JPEGCodec.encode(image, quality: 90, subsampling: subsampling, progressive: progressive)
        let orientation = input.int(in: 0...8)  // 0: no EXIF segment
        let little = input.byte() & 1 == 0
        var bytes = orientation == 0 ? plain : JPEGCodec.withOrientation(plain, orientation, littleEndian: little)
        if orientation != 0 { lieInExif(&bytes, little: little, &input) }
        lieInSegments(&bytes, &input)
        damage(&bytes, &input)
        let mode: ColorMode = input.byte() & 1 == 0 ? .rgb : .gray
        let reduction = JPEGCodec.reductions[input.int(in: 0...3)]
        let path = scratch + "/fuzz.jpg"
        try judge(input, file: path) {
            let decoded = try bytes.withUnsafeBytes { try JPEGCodec.decode($0, path: path, mode: mode) { _ in reduction } }
            guard !input.lied else { return }
            var expected = try plain.withUnsafeBytes { try JPEGCodec.decode($0, path: path, mode: mode) { _ in reduction } }
            if orientation > 1 { expected = expected.oriented(orientation) }
            let (w, h) = ((width + reduction - 1) / reduction, (height + reduction - 1) / reduction)
            guard (decoded.width, decoded.height) == (orientation >= 5 ? (h, w) : (w, h)) else {
                throw FuzzFailure("a valid \(width)x\(height) JPEG (orientation \(orientation), 1/\(reduction)) decoded to \(decoded.width)x\(decoded.height)")
            }
            guard decoded == expected else { throw FuzzFailure("a valid JPEG with orientation \(orientation) decoded to other pixels") }
        }
    }

    /// Big-endian 16-bit field at `at`, possibly replaced by a lie (folded into 16 bits).
    static func lie16(_ bytes: inout [UInt8], at: Int, _ input: inout FuzzInput) {
        let honest = Int(bytes[at]) << 8 | Int(bytes[at + 1])
        let value = UInt16(truncatingIfNeeded: input.lie(honest))
        (bytes[at], bytes[at + 1]) = (UInt8(value >> 8), UInt8(value & 0xFF))
    }

    /// Lies in the APP1 segment that `JPEGCodec.withOrientation` put after SOI: its length, then
    /// in the TIFF structure (at 12) the byte order, the IFD0 offset, the entry count and the
    /// Orientation entry's type, count and value.
    static func lieInExif(_ bytes: inout [UInt8], little: Bool, _ input: inout FuzzInput) {
        lie16(&bytes, at: 4, &input)
        if input.change() { bytes[12] = input.byte(); bytes[13] = input.byte() }
        // (offset in the TIFF, size): IFD0 offset, entry count, tag, type, count, value.
        for (offset, size) in [(4, 4), (8, 2), (10, 2), (12, 2), (14, 4), (18, 2)] {
            var honest = 0
            for i in 0..<size { honest |= Int(bytes[12 + offset + i]) << (8 * (little ? i : size - 1 - i)) }
            let value = UInt64(truncatingIfNeeded: input.lie(honest))
            for i in 0..<size { bytes[12 + offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(little ? i : size - 1 - i))) }
        }
    }

    /// Walks the marker segments up to the scan; may lie in each one's length, and in the frame
    /// header's (SOF0/SOF2) height, width and component count.
    static func lieInSegments(_ bytes: inout [UInt8], _ input: inout FuzzInput) {
        var p = 2
        while p + 4 <= bytes.count, bytes[p] == 0xFF, bytes[p + 1] != 0xDA {
            let marker = bytes[p + 1]
            let length = Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
            if (marker == 0xC0 || marker == 0xC2), p + 10 <= bytes.count {
                lie16(&bytes, at: p + 5, &input)  // height
                lie16(&bytes, at: p + 7, &input)  // width
                if input.change() { bytes[p + 9] = input.byte() }  // components
            }
            lie16(&bytes, at: p + 2, &input)
            p += 2 + length
        }
    }
}
