// PNG in and out, over libpng (through the setjmp-holding functions of the CPNG C target). Any PNG
// (every color type, bit depth 1 to 16, palette, transparency, interlacing) decodes to 8-bit
// grayscale by the rule documented on `PNGCodec.decodeGray`; the pipeline writes 8-bit grayscale
// PNGs. The decoder checks the size in the header against fixed limits before it allocates
// anything, so a small file claiming an enormous image costs nothing. docs/INPUTS.md has the rules.
import CPNG
import VAECore

/// An 8-bit grayscale image; 0 is black.
public struct GrayImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// height × width bytes, row-major.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Samples exactly as a PNG stores them, for writing PNGs of any color type and bit depth (the
/// tests make their fixtures with it; the pipeline writes gray through `PNGCodec.encodeGray`).
public struct PNGRaster: Sendable {
    public enum ColorType: Int32, Sendable, CaseIterable {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6

        /// Samples per pixel as stored.
        public var channels: Int {
            switch self {
            case .gray, .palette: 1
            case .grayAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }
    }

    public var width: Int
    public var height: Int
    public var colorType: ColorType
    /// 1, 2, 4, 8 or 16, as PNG allows for the color type.
    public var bitDepth: Int
    /// `height` rows of `rowBytes` bytes: sub-byte samples packed from the high bit, 16-bit
    /// samples big-endian.
    public var rows: [UInt8]
    /// RGB triples, for `.palette`.
    public var palette: [UInt8]
    /// Alpha of the first palette entries (a tRNS chunk), for `.palette`.
    public var paletteAlpha: [UInt8]
    /// The fully transparent color (a tRNS chunk): one gray sample for `.gray`, three for `.rgb`.
    public var transparentColor: [UInt16]?
    /// Adam7 interlacing.
    public var interlaced: Bool

    public init(
        width: Int, height: Int, colorType: ColorType, bitDepth: Int, rows: [UInt8],
        palette: [UInt8] = [], paletteAlpha: [UInt8] = [], transparentColor: [UInt16]? = nil,
        interlaced: Bool = false
    ) {
        self.width = width
        self.height = height
        self.colorType = colorType
        self.bitDepth = bitDepth
        self.rows = rows
        self.palette = palette
        self.paletteAlpha = paletteAlpha
        self.transparentColor = transparentColor
        self.interlaced = interlaced
    }

    /// Every (color type, bit depth) pair PNG allows.
    public static let formats: [(ColorType, Int)] = [
        (.gray, 1), (.gray, 2), (.gray, 4), (.gray, 8), (.gray, 16),
        (.grayAlpha, 8), (.grayAlpha, 16), (.rgb, 8), (.rgb, 16), (.rgba, 8), (.rgba, 16),
        (.palette, 1), (.palette, 2), (.palette, 4), (.palette, 8),
    ]

    /// Bytes in one packed row.
    public var rowBytes: Int { (width * colorType.channels * bitDepth + 7) / 8 }
}

public enum PNGCodec {
    /// Largest width and largest height decoded.
    public static let maxSide = Int(VAE_PNG_MAX_SIDE)
    /// Largest width × height decoded (2^26).
    public static let maxPixels = Int(VAE_PNG_MAX_PIXELS)
    /// Largest ancillary chunk libpng will decompress (zTXt, iCCP, ...).
    public static let maxChunkBytes = Int(VAE_PNG_CHUNK_MALLOC_MAX)

    /// Decodes any PNG to 8-bit grayscale.
    ///
    /// libpng first normalizes the samples to 8 bits: a palette becomes RGB, 1/2/4-bit gray is
    /// scaled to 0...255 (1-bit: 0 and 255), 16-bit samples become round(v × 255 / 65535), a tRNS
    /// chunk becomes an alpha channel. Gamma and color-space chunks are ignored. Then, in integers:
    ///
    /// ```
    /// gray = (299 R + 587 G + 114 B + 500) / 1000             // ITU-R BT.601 luma, rounded
    /// out  = (gray × A + background × (255 − A) + 127) / 255  // over the background (default 0, black)
    /// ```
    ///
    /// - Parameters:
    ///   - bytes: the whole PNG file.
    ///   - path: named in errors.
    ///   - background: the gray level transparent pixels show; 0 (black) matches MNIST.
    public static func decodeGray(_ bytes: [UInt8], path: String, background: UInt8 = 0) throws -> GrayImage {
        var pixels = [UInt8]()
        var scratch = [UInt8]()
        let size = try bytes.withUnsafeBytes {
            try decodeGray($0, path: path, background: background, appendingTo: &pixels, scratch: &scratch) { _, _ in }
        }
        return GrayImage(width: size.width, height: size.height, pixels: pixels)
    }

    /// Decodes a PNG to gray and appends its pixels to `pixels`; `accept` sees the size from the
    /// header before any pixel is decoded and may throw to refuse it. `scratch` is reused between
    /// calls for color images. Returns the size.
    static func decodeGray(
        _ bytes: UnsafeRawBufferPointer, path: String, background: UInt8,
        appendingTo pixels: inout [UInt8], scratch: inout [UInt8],
        accept: (_ width: Int, _ height: Int) throws -> Void
    ) throws -> (width: Int, height: Int) {
        let decoding = try Decoding(bytes, path: path)
        let width = decoding.width, height = decoding.height, channels = decoding.channels
        try accept(width, height)

        let start = pixels.count
        let count = width * height
        pixels.append(contentsOf: repeatElement(0, count: count))
        do {
            if channels == 1 {  // gray: straight into place
                try pixels.withUnsafeMutableBufferPointer { try decoding.read(into: $0.baseAddress! + start, count: count) }
            } else {
                let needed = decoding.rowBytes * height
                if scratch.count < needed { scratch = [UInt8](repeating: 0, count: needed) }
                try scratch.withUnsafeMutableBufferPointer { try decoding.read(into: $0.baseAddress!, count: needed) }
                scratch.withUnsafeBufferPointer { source in
                    pixels.withUnsafeMutableBufferPointer { out in
                        toGray(UnsafeMutableBufferPointer(rebasing: out[start..<start + count]),
                               from: source.baseAddress!, channels: channels, background: background)
                    }
                }
            }
        } catch {
            pixels.removeSubrange(start...)
            throw error
        }
        return (width, height)
    }

    /// Converts `out.count` pixels of 8-bit gray+alpha, RGB or RGBA to gray by the rule of
    /// `decodeGray`.
    static func toGray(
        _ out: UnsafeMutableBufferPointer<UInt8>, from source: UnsafePointer<UInt8>, channels: Int, background: UInt8
    ) {
        let bg = UInt32(background)
        switch channels {
        case 2:
            for i in 0..<out.count {
                let gray = UInt32(source[2 * i]), alpha = UInt32(source[2 * i + 1])
                out[i] = UInt8((gray * alpha + bg * (255 - alpha) + 127) / 255)
            }
        case 3:
            for i in 0..<out.count {
                let r = UInt32(source[3 * i]), g = UInt32(source[3 * i + 1]), b = UInt32(source[3 * i + 2])
                out[i] = UInt8((299 * r + 587 * g + 114 * b + 500) / 1000)
            }
        case 4:
            for i in 0..<out.count {
                let r = UInt32(source[4 * i]), g = UInt32(source[4 * i + 1]), b = UInt32(source[4 * i + 2])
                let alpha = UInt32(source[4 * i + 3])
                let gray = (299 * r + 587 * g + 114 * b + 500) / 1000
                out[i] = UInt8((gray * alpha + bg * (255 - alpha) + 127) / 255)
            }
        default:
            for i in 0..<out.count { out[i] = source[i] }
        }
    }

    /// Turns a status of the shim into a DataError naming `path`.
    /// One PNG being decoded by libpng: the header read and checked on creation, then the image
    /// read once with `read`; the decoder is freed in one place, `deinit`.
    final class Decoding {
        private let decoder: UnsafeMutablePointer<vae_png_decoder>
        private let input: UnsafeBufferPointer<UInt8>
        private let path: String
        private var message = [CChar](repeating: 0, count: 256)
        let width: Int, height: Int, channels: Int, rowBytes: Int

        init(_ bytes: UnsafeRawBufferPointer, path: String) throws {
            guard let decoder = vae_png_decoder_create() else { throw DataError(.io, path, "out of memory") }
            self.decoder = decoder
            self.path = path
            input = bytes.bindMemory(to: UInt8.self)
            let input = input
            let status = message.withUnsafeMutableBufferPointer {
                vae_png_decoder_begin(decoder, input.baseAddress, input.count, $0.baseAddress, $0.count)
            }
            try PNGCodec.check(status, message, path: path, bytes: input, decoder: decoder)
            width = Int(decoder.pointee.width)
            height = Int(decoder.pointee.height)
            channels = Int(decoder.pointee.channels)
            rowBytes = Int(decoder.pointee.rowbytes)
        }

        deinit { vae_png_decoder_destroy(decoder) }

        /// Reads the image's `count` bytes (rows of `rowBytes`) into `out`.
        func read(into out: UnsafeMutablePointer<UInt8>, count: Int) throws {
            let decoder = decoder
            let status = message.withUnsafeMutableBufferPointer {
                vae_png_decoder_read(decoder, out, count, $0.baseAddress, $0.count)
            }
            try PNGCodec.check(status, message, path: path, bytes: input, decoder: decoder)
        }
    }

    static func check(
        _ status: Int32, _ message: [CChar], path: String, bytes: UnsafeBufferPointer<UInt8>,
        decoder: UnsafeMutablePointer<vae_png_decoder>
    ) throws {
        if status == VAE_PNG_OK { return }
        let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        switch status {
        case VAE_PNG_NOT_PNG:
            let head = Hex.bytes(bytes.prefix(8), separator: " ")
            throw DataError(.notPNG, path, "not a PNG file (no PNG signature; starts with \(head.isEmpty ? "nothing" : head))")
        case VAE_PNG_TRUNCATED:
            throw DataError(.truncated, path, "truncated PNG: \(text.isEmpty ? "the data ends early" : text)")
        case VAE_PNG_TOO_LARGE:
            let width = decoder.pointee.width, height = decoder.pointee.height
            throw DataError(.tooLarge, path,
                "PNG is \(width)x\(height) pixels, over the limit of \(maxSide)x\(maxSide) and \(maxPixels) pixels in all")
        case VAE_PNG_NO_MEMORY:
            throw DataError(.io, path, "out of memory decoding the PNG")
        default:
            throw DataError(.corrupt, path, "corrupt PNG: \(text.isEmpty ? "libpng status \(status)" : text)")
        }
    }

    // MARK: Encoding

    /// Encodes an 8-bit grayscale PNG. The same pixels always give the same bytes (no time chunk;
    /// zlib level 6, libpng's default filters).
    public static func encodeGray(_ image: GrayImage) throws -> [UInt8] {
        try encodeGray(image, path: "PNG encoder")
    }

    /// Encodes `image` and writes it to `path` atomically.
    public static func write(_ image: GrayImage, to path: String) throws {
        try AtomicFile.write(try encodeGray(image, path: path), to: path)
    }

    static func encodeGray(_ image: GrayImage, path: String) throws -> [UInt8] {
        guard image.width > 0, image.height > 0, image.pixels.count == image.width * image.height else {
            throw DataError(.invalidArgument, path,
                "cannot encode a \(image.width)x\(image.height) image from \(image.pixels.count) pixels")
        }
        return try encode(PNGRaster(width: image.width, height: image.height, colorType: .gray, bitDepth: 8,
                                    rows: image.pixels), path: path)
    }

    /// Encodes samples of any color type and bit depth, as stored (see `PNGRaster`).
    public static func encode(_ raster: PNGRaster, path: String = "PNG encoder") throws -> [UInt8] {
        guard raster.width > 0, raster.height > 0, raster.width <= Int(UInt32.max), raster.height <= Int(UInt32.max),
              raster.rows.count == raster.rowBytes * raster.height
        else {
            throw DataError(.invalidArgument, path,
                "cannot encode \(raster.width)x\(raster.height) at \(raster.bitDepth) bits from \(raster.rows.count) bytes")
        }
        var sink = vae_png_sink()
        defer { vae_png_sink_free(&sink) }
        var message = [CChar](repeating: 0, count: 256)
        var transparent: (UInt16, UInt16, UInt16) = (0, 0, 0)
        if let color = raster.transparentColor {
            transparent = (color.first ?? 0, color.count > 1 ? color[1] : 0, color.count > 2 ? color[2] : 0)
        }
        let status: Int32 = raster.rows.withUnsafeBufferPointer { rows in
            raster.palette.withUnsafeBufferPointer { palette in
                raster.paletteAlpha.withUnsafeBufferPointer { alpha in
                    var encoding = vae_png_encoding(
                        width: UInt32(raster.width), height: UInt32(raster.height),
                        bit_depth: Int32(raster.bitDepth), color_type: raster.colorType.rawValue,
                        interlaced: raster.interlaced ? 1 : 0, compression_level: 6,
                        rows: rows.baseAddress, row_stride: raster.rowBytes,
                        palette: palette.baseAddress, palette_count: Int32(raster.palette.count / 3),
                        palette_alpha: alpha.baseAddress, alpha_count: Int32(raster.paletteAlpha.count),
                        has_transparent_color: raster.transparentColor == nil ? 0 : 1,
                        transparent_color: transparent)
                    return message.withUnsafeMutableBufferPointer {
                        vae_png_encode(&encoding, &sink, $0.baseAddress, $0.count)
                    }
                }
            }
        }
        guard status == VAE_PNG_OK else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw DataError(status == VAE_PNG_NO_MEMORY ? .io : .invalidArgument, path,
                            "cannot encode the PNG: \(text.isEmpty ? "libpng status \(status)" : text)")
        }
        return Array(UnsafeBufferPointer(start: sink.data, count: sink.size))
    }
}
