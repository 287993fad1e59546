// JPEG in (and out, for the tests' fixtures and the benchmark's photos), over libjpeg-turbo's
// TurboJPEG API, which reports every failure as a return code: nothing longjmps through Swift.
// Baseline and progressive, gray, YCbCr (any subsampling) and CMYK/YCCK decode to 8-bit gray or
// RGB; the EXIF Orientation tag is applied so that the result stands upright. The header's size
// is checked against the limits before anything is allocated, and a warning of libjpeg (a
// truncated file, which it would fill with gray) is an error. docs/INPUTS.md has the rules.
import CTurboJPEG
import VAECore

public enum JPEGCodec {
    /// The size and kind of a JPEG, read from its header.
    public struct Header: Equatable, Sendable {
        /// As stored, before the EXIF orientation.
        public var width: Int
        public var height: Int
        /// TurboJPEG's color space (TJCS_*): RGB, YCbCr, gray, CMYK or YCCK.
        public var colorspace: Int32
        /// The EXIF Orientation tag, 1 (upright, also when absent) to 8.
        public var orientation: Int

        /// The size once the orientation is applied.
        public var orientedWidth: Int { orientation >= 5 ? height : width }
        public var orientedHeight: Int { orientation >= 5 ? width : height }
        var isCMYK: Bool { colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) }
        var isGray: Bool { colorspace == Int32(TJCS_GRAY.rawValue) }
    }

    /// The reduced-size decodes TurboJPEG offers (1/1, 1/2, 1/4, 1/8): the denominators.
    public static let reductions = [1, 2, 4, 8]

    /// Whether `bytes` start like a JPEG (SOI marker and the next marker's 0xFF).
    public static func isJPEG(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    /// Reads the header and the EXIF orientation; refuses a size over the limits.
    public static func header(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Header {
        guard let handle = tjInitDecompress() else { throw DataError(.io, path, "cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        return try header(bytes, path: path, handle: handle)
    }

    static func header(_ bytes: UnsafeRawBufferPointer, path: String, handle: tjhandle) throws -> Header {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let input = bytes.bindMemory(to: UInt8.self)
        guard tjDecompressHeader3(handle, input.baseAddress, UInt(input.count), &width, &height, &subsampling, &colorspace) == 0 else {
            throw failure(handle, path: path)
        }
        guard width > 0, height > 0 else { throw DataError(.corrupt, path, "corrupt JPEG: the header gives a \(width)x\(height) image") }
        guard Int(width) <= PNGCodec.maxSide, Int(height) <= PNGCodec.maxSide, Int(width) * Int(height) <= PNGCodec.maxPixels else {
            throw DataError(.tooLarge, path,
                "JPEG is \(width)x\(height) pixels, over the limit of \(PNGCodec.maxSide)x\(PNGCodec.maxSide) and \(PNGCodec.maxPixels) pixels in all")
        }
        return Header(width: Int(width), height: Int(height), colorspace: colorspace, orientation: exifOrientation(bytes))
    }

    /// Decodes a JPEG to `mode` (gray or RGB), upright.
    ///
    /// - Gray JPEGs give their one channel (replicated to R = G = B for `.rgb`).
    /// - YCbCr and RGB JPEGs are decoded to RGB by libjpeg-turbo (accurate integer DCT, smooth
    ///   chroma upsampling); `.gray` then takes BT.601 luma of the RGB, as for PNG.
    /// - CMYK and YCCK JPEGs are decoded to CMYK and taken in Adobe's inverted convention (as
    ///   Photoshop writes them, 255 = no ink): `R = (C × K + 127) / 255`, likewise G from M and
    ///   B from Y.
    /// - The EXIF Orientation tag (APP1, IFD0, tag 0x0112) is applied after decoding.
    ///
    /// - Parameters:
    ///   - reduction: given the header, the denominator (1, 2, 4 or 8) of a reduced-size
    ///     decode; the image is then `ceil(width / d) × ceil(height / d)` before orientation.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, path: String, mode: ColorMode, reduction: (Header) -> Int = { _ in 1 }
    ) throws -> PixelImage {
        guard let handle = tjInitDecompress() else { throw DataError(.io, path, "cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        let header = try header(bytes, path: path, handle: handle)
        let d = reduction(header)
        guard reductions.contains(d) else {
            throw DataError(.invalidArgument, path, "JPEG reduction 1/\(d) is not one of 1/1, 1/2, 1/4, 1/8")
        }
        let width = Int(vae_tj_scaled(Int32(header.width), 1, Int32(d)))
        let height = Int(vae_tj_scaled(Int32(header.height), 1, Int32(d)))
        let format: TJPF = header.isCMYK ? TJPF_CMYK : header.isGray ? TJPF_GRAY : TJPF_RGB
        let stored = header.isCMYK ? 4 : header.isGray ? 1 : 3
        var samples = [UInt8](repeating: 0, count: width * height * stored)
        let input = bytes.bindMemory(to: UInt8.self)
        let status = samples.withUnsafeMutableBufferPointer { out in
            tjDecompress2(handle, input.baseAddress, UInt(input.count), out.baseAddress, Int32(width), 0, Int32(height),
                          format.rawValue, TJFLAG_STOPONWARNING)
        }
        guard status == 0 else { throw failure(handle, path: path) }
        let image = convert(samples, width: width, height: height, stored: stored, to: mode)
        return header.orientation == 1 ? image : image.oriented(header.orientation)
    }

    /// Decoded samples (1 gray, 3 RGB or 4 inverted CMYK per pixel) in `mode`.
    static func convert(_ samples: [UInt8], width: Int, height: Int, stored: Int, to mode: ColorMode) -> PixelImage {
        let n = width * height
        if stored == mode.channels { return PixelImage(width: width, height: height, channels: stored, pixels: samples) }
        var out = [UInt8](repeating: 0, count: n * mode.channels)
        samples.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    var r: UInt8, g: UInt8, b: UInt8
                    switch stored {
                    case 1: (r, g, b) = (s[i], s[i], s[i])
                    case 3: (r, g, b) = (s[3 * i], s[3 * i + 1], s[3 * i + 2])
                    default:
                        let k = UInt32(s[4 * i + 3])
                        r = UInt8((UInt32(s[4 * i]) * k + 127) / 255)
                        g = UInt8((UInt32(s[4 * i + 1]) * k + 127) / 255)
                        b = UInt8((UInt32(s[4 * i + 2]) * k + 127) / 255)
                    }
                    if mode == .gray {
                        o[i] = RGBColor.luma(r, g, b)
                    } else {
                        (o[3 * i], o[3 * i + 1], o[3 * i + 2]) = (r, g, b)
                    }
                }
            }
        }
        return PixelImage(width: width, height: height, channels: mode.channels, pixels: out)
    }

    /// TurboJPEG's last error as a DataError: a premature end is `truncated`, the rest `corrupt`.
    private static func failure(_ handle: tjhandle, path: String) -> DataError {
        let message = String(cString: tjGetErrorStr2(handle))
        let warning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
        if message.contains("Premature end") || message.contains("ends unexpectedly") {
            return DataError(.truncated, path, "truncated JPEG: \(message)")
        }
        return DataError(.corrupt, path, "corrupt JPEG\(warning ? " (libjpeg warning)" : ""): \(message)")
    }

    // MARK: EXIF orientation

    /// The Orientation tag (0x0112) of IFD0 in the first APP1 `Exif` segment, or 1 when there is
    /// none or it is not a SHORT of 1 to 8. Every offset is checked against the segment's end.
    public static func exifOrientation(_ bytes: UnsafeRawBufferPointer) -> Int {
        var p = 2  // after SOI
        while p + 4 <= bytes.count {
            guard bytes[p] == 0xFF else { return 1 }
            let marker = bytes[p + 1]
            if marker == 0xFF { p += 1; continue }  // fill byte
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { p += 2; continue }
            if marker == 0xDA || marker == 0xD9 { return 1 }  // image data or end: no EXIF before it
            let length = Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
            guard length >= 2, p + 2 + length <= bytes.count else { return 1 }
            let start = p + 4, end = p + 2 + length
            if marker == 0xE1, end - start >= 6,
               Array(bytes[start..<start + 6]) == [0x45, 0x78, 0x69, 0x66, 0, 0] {  // "Exif\0\0"
                return tiffOrientation(UnsafeRawBufferPointer(rebasing: bytes[(start + 6)..<end])) ?? 1
            }
            p = end
        }
        return 1
    }

    /// The orientation in a TIFF structure (EXIF's payload), or nil.
    static func tiffOrientation(_ tiff: UnsafeRawBufferPointer) -> Int? {
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true   // "II"
        case (0x4D, 0x4D): little = false  // "MM"
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            return little ? Int(tiff[at]) | Int(tiff[at + 1]) << 8 : Int(tiff[at]) << 8 | Int(tiff[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + 12 * entry
            guard let tag = u16(at), let type = u16(at + 2), let n = u32(at + 4) else { return nil }
            if tag == 0x0112 {
                guard type == 3, n == 1, let value = u16(at + 8), (1...8).contains(value) else { return nil }
                return value
            }
        }
        return nil
    }

    // MARK: Encoding (fixtures and the benchmark's photos)

    /// Chroma subsampling of an encoded color JPEG.
    public enum Subsampling: Sendable {
        case s444, s422, s420

        var tj: Int32 {
            switch self {
            case .s444: Int32(TJSAMP_444.rawValue)
            case .s422: Int32(TJSAMP_422.rawValue)
            case .s420: Int32(TJSAMP_420.rawValue)
            }
        }
    }

    /// Encodes a gray (1 channel: a gray JPEG), RGB (3: YCbCr with `subsampling`) or CMYK
    /// (4, Adobe-inverted: a YCCK JPEG) image at `quality` (1-100), baseline or progressive.
    public static func encode(
        _ image: PixelImage, quality: Int = 90, subsampling: Subsampling = .s420, progressive: Bool = false
    ) throws -> [UInt8] {
        guard [1, 3, 4].contains(image.channels), image.width > 0, image.height > 0,
              image.pixels.count == image.width * image.height * image.channels, (1...100).contains(quality)
        else {
            throw DataError(.invalidArgument, "JPEG encoder",
                "cannot encode a \(image.width)x\(image.height)x\(image.channels) image at quality \(quality)")
        }
        guard let handle = tjInitCompress() else { throw DataError(.io, "JPEG encoder", "cannot start the JPEG encoder") }
        defer { tjDestroy(handle) }
        let format: TJPF = image.channels == 1 ? TJPF_GRAY : image.channels == 3 ? TJPF_RGB : TJPF_CMYK
        let sampling = image.channels == 1 ? Int32(TJSAMP_GRAY.rawValue) : subsampling.tj
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        defer { tjFree(output) }
        let status = image.pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(image.width), 0, Int32(image.height), format.rawValue,
                        &output, &size, sampling, Int32(quality), progressive ? TJFLAG_PROGRESSIVE : 0)
        }
        guard status == 0, let output else {
            throw DataError(.io, "JPEG encoder", "cannot encode: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// `jpeg` with an APP1 Exif segment holding only IFD0's Orientation tag, inserted after SOI
    /// (little-endian TIFF when `littleEndian`, else big-endian).
    public static func withOrientation(_ jpeg: [UInt8], _ orientation: Int, littleEndian: Bool = true) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { littleEndian ? [UInt8(v & 255), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 255)] }
        func u32(_ v: Int) -> [UInt8] { littleEndian ? u16(v & 0xFFFF) + u16(v >> 16) : u16(v >> 16) + u16(v & 0xFFFF) }
        var tiff: [UInt8] = littleEndian ? [0x49, 0x49] : [0x4D, 0x4D]
        tiff += u16(42) + u32(8) + u16(1)  // IFD0 at 8, one entry
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0)
        tiff += u32(0)  // no next IFD
        let payload: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0] + tiff
        let length = payload.count + 2
        return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 255)] + payload + jpeg[2...]
    }
}

extension PixelImage {
    /// The image as an EXIF `orientation` (1-8) says to display it. The tag names where the
    /// stored rows and columns go: 2 mirrors left-right, 3 turns 180°, 4 mirrors top-bottom,
    /// 5 transposes, 6 turns 90° clockwise, 7 transverses, 8 turns 90° counter-clockwise.
    public func oriented(_ orientation: Int) -> PixelImage {
        let (w, h, c) = (width, height, channels)
        let swap = orientation >= 5
        let ow = swap ? h : w, oh = swap ? w : h
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<oh {
                    for x in 0..<ow {
                        let sx: Int, sy: Int  // the stored pixel shown at (x, y)
                        switch orientation {
                        case 2: (sx, sy) = (w - 1 - x, y)
                        case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
                        case 4: (sx, sy) = (x, h - 1 - y)
                        case 5: (sx, sy) = (y, x)
                        case 6: (sx, sy) = (y, h - 1 - x)
                        case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
                        case 8: (sx, sy) = (w - 1 - y, x)
                        default: (sx, sy) = (x, y)
                        }
                        let from = (sy * w + sx) * c, to = (y * ow + x) * c
                        for k in 0..<c { o[to + k] = s[from + k] }
                    }
                }
            }
        }
        return PixelImage(width: ow, height: oh, channels: c, pixels: out)
    }
}
