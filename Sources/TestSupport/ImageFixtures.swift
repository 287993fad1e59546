// Input fixtures the tests share: files in a scratch directory (see ScratchDirectory.swift), IDX files
// (raw and gzipped), and PNGs of every color type and bit depth written by libpng itself (through
// `PNGCodec.encode`), so the decoder is tested against real encoder output, not hand-made bytes.
import Foundation
import VAECore
import VAEImages

/// Writes `bytes` at `relative` inside `directory` (a `makeScratchDirectory` directory, say),
/// creating the folders on the way; returns the absolute path.
@discardableResult
public func writeFixture(_ bytes: [UInt8], in directory: String, at relative: String) throws -> String {
    let target = FileIO.join(directory, relative)
    let parent = URL(fileURLWithPath: target).deletingLastPathComponent().path
    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: target))
    return target
}

/// Creates the folder `relative` inside `directory` (and its parents); returns the absolute path.
@discardableResult
public func makeFixtureFolder(in directory: String, at relative: String) throws -> String {
    let target = FileIO.join(directory, relative)
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
    return target
}

public enum IDXFixtures {
    /// An IDX file: 00 00 type dims, big-endian dimensions, then `data` as given.
    public static func bytes(type: UInt8 = 0x08, dimensions: [UInt32], data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, type, UInt8(dimensions.count)]
        for d in dimensions { out += [UInt8(d >> 24), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return out + data
    }

    /// An idx3-ubyte images file of `count` images of rows × columns.
    public static func images(count: Int, rows: Int, columns: Int, pixels: [UInt8]) -> [UInt8] {
        bytes(dimensions: [UInt32(count), UInt32(rows), UInt32(columns)], data: pixels)
    }

    /// An idx1-ubyte labels file.
    public static func labels(_ labels: [UInt8]) -> [UInt8] {
        bytes(dimensions: [UInt32(labels.count)], data: labels)
    }

    /// A gzip file (RFC 1952) holding `bytes`.
    public static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        try Zlib.gzip(bytes)
    }
}

public enum PNGFixtures {
    /// Packs samples (one per channel per pixel, row-major, each < 2^bitDepth) into PNG rows:
    /// sub-byte samples from the high bit, 16-bit big-endian, each row padded to a whole byte.
    public static func pack(_ samples: [UInt16], width: Int, height: Int, channels: Int, bitDepth: Int) -> [UInt8] {
        precondition(samples.count == width * height * channels, "one sample per channel per pixel")
        let rowBytes = (width * channels * bitDepth + 7) / 8
        var out = [UInt8](repeating: 0, count: rowBytes * height)
        for y in 0..<height {
            for i in 0..<(width * channels) {
                let sample = samples[y * width * channels + i]
                precondition(Int(sample) < 1 << bitDepth, "sample \(sample) does not fit \(bitDepth) bits")
                switch bitDepth {
                case 16:
                    out[y * rowBytes + 2 * i] = UInt8(sample >> 8)
                    out[y * rowBytes + 2 * i + 1] = UInt8(sample & 0xff)
                case 8:
                    out[y * rowBytes + i] = UInt8(sample)
                default:
                    let bit = i * bitDepth
                    out[y * rowBytes + bit / 8] |= UInt8(sample) << UInt8(8 - bitDepth - bit % 8)
                }
            }
        }
        return out
    }

    /// A PNG written by libpng from samples of any color type and bit depth.
    public static func png(
        _ colorType: PNGRaster.ColorType, bitDepth: Int, width: Int, height: Int, samples: [UInt16],
        palette: [UInt8] = [], paletteAlpha: [UInt8] = [], transparentColor: [UInt16]? = nil, interlaced: Bool = false
    ) throws -> [UInt8] {
        let rows = pack(samples, width: width, height: height, channels: colorType.channels, bitDepth: bitDepth)
        return try PNGCodec.encode(PNGRaster(
            width: width, height: height, colorType: colorType, bitDepth: bitDepth, rows: rows,
            palette: palette, paletteAlpha: paletteAlpha, transparentColor: transparentColor, interlaced: interlaced))
    }

    /// An 8-bit gray PNG.
    public static func gray(width: Int, height: Int, pixels: [UInt8]) throws -> [UInt8] {
        try PNGCodec.encodeGray(GrayImage(width: width, height: height, pixels: pixels))
    }

    /// An 8-bit gray PNG whose pixels are all `value`.
    public static func uniform(width: Int, height: Int, value: UInt8) throws -> [UInt8] {
        try gray(width: width, height: height, pixels: [UInt8](repeating: value, count: width * height))
    }

    /// Every (color type, bit depth) pair PNG allows, for loops over all of them.
    public static let allFormats = PNGRaster.formats
}
