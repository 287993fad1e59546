// PNG decoding of every color type and bit depth to gray, with the expected values worked out by
// hand from the documented rule (docs/INPUTS.md):
//   16 -> 8 bits: round(v * 255 / 65535);  1/2/4-bit gray: v * 255 / (2^bits - 1)
//   gray = (299 R + 587 G + 114 B + 500) / 1000
//   out  = (gray * A + background * (255 - A) + 127) / 255
// The fixtures are written by libpng itself (PNGFixtures). Also encoding, and the error cases.
import Foundation
import TestSupport
import VAECore
import XCTest
import VAEImages

final class PNGCodecTests: XCTestCase {
    private func decode(_ bytes: [UInt8], background: UInt8 = 0) throws -> GrayImage {
        try PNGCodec.decodeGray(bytes, path: "x.png", background: background)
    }

    private func assertError(
        _ kind: DataError.Kind, contains needles: [String] = [], file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? DataError else { return XCTFail("not a DataError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
            XCTAssertEqual(error.path, "x.png", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
            for needle in needles {
                XCTAssertTrue(error.detail.contains(needle), "'\(error.detail)' lacks '\(needle)'", file: file, line: line)
            }
        }
    }

    // MARK: Gray

    func testSubByteGrayExpandsToFullRange() throws {
        // Width 5 so that rows end in a partly used byte.
        let oneBit = try decode(PNGFixtures.png(.gray, bitDepth: 1, width: 5, height: 2, samples: [0, 1, 1, 0, 1, 1, 0, 0, 0, 1]))
        XCTAssertEqual(oneBit.pixels, [0, 255, 255, 0, 255, 255, 0, 0, 0, 255])
        XCTAssertEqual([oneBit.width, oneBit.height], [5, 2])
        let twoBit = try decode(PNGFixtures.png(.gray, bitDepth: 2, width: 5, height: 1, samples: [0, 1, 2, 3, 2]))
        XCTAssertEqual(twoBit.pixels, [0, 85, 170, 255, 170])
        let fourBit = try decode(PNGFixtures.png(.gray, bitDepth: 4, width: 5, height: 1, samples: [0, 1, 7, 8, 15]))
        XCTAssertEqual(fourBit.pixels, [0, 17, 119, 136, 255])
    }

    func testEightAndSixteenBitGray() throws {
        let eight = try decode(PNGFixtures.png(.gray, bitDepth: 8, width: 3, height: 2, samples: [0, 1, 127, 128, 254, 255]))
        XCTAssertEqual(eight.pixels, [0, 1, 127, 128, 254, 255])
        // round(v * 255 / 65535): 0x00FF -> 0.99 -> 1 (keeping the high byte would give 0),
        // 0xFF00 -> 254.004 -> 254 (the high byte would give 255), 0x7FFF -> 127.498 -> 127, 0x8080 -> 128.
        let sixteen = try decode(PNGFixtures.png(.gray, bitDepth: 16, width: 6, height: 1,
                                                 samples: [0, 0x00FF, 0x7FFF, 0x8080, 0xFF00, 0xFFFF]))
        XCTAssertEqual(sixteen.pixels, [0, 1, 127, 128, 254, 255])
    }

    func testGrayAlphaCompositesOverTheBackground() throws {
        let png = try PNGFixtures.png(.grayAlpha, bitDepth: 8, width: 4, height: 1,
                                      samples: [200, 255, 200, 0, 200, 128, 255, 128])
        // (200*128 + 127) / 255 = 100; (255*128 + 127) / 255 = 128
        XCTAssertEqual(try decode(png).pixels, [200, 0, 100, 128])
        // Over white: (200*128 + 255*127 + 127) / 255 = 227; (255*128 + 255*127 + 127) / 255 = 255
        XCTAssertEqual(try decode(png, background: 255).pixels, [200, 255, 227, 255])
        let sixteen = try PNGFixtures.png(.grayAlpha, bitDepth: 16, width: 2, height: 1, samples: [0xFFFF, 0x8080, 0x8080, 0xFFFF])
        XCTAssertEqual(try decode(sixteen).pixels, [128, 128])
    }

    func testGrayWithTransparentColor() throws {
        let png = try PNGFixtures.png(.gray, bitDepth: 8, width: 3, height: 1, samples: [100, 101, 99], transparentColor: [100])
        XCTAssertEqual(try decode(png).pixels, [0, 101, 99])
        XCTAssertEqual(try decode(png, background: 50).pixels, [50, 101, 99])
        let twoBit = try PNGFixtures.png(.gray, bitDepth: 2, width: 4, height: 1, samples: [0, 1, 2, 3], transparentColor: [3])
        XCTAssertEqual(try decode(twoBit, background: 7).pixels, [0, 85, 170, 7])
    }

    // MARK: Color

    func testRGBUsesBT601Luma() throws {
        let png = try PNGFixtures.png(.rgb, bitDepth: 8, width: 5, height: 1,
                                      samples: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 10, 20, 30])
        // (299*255 + 500)/1000 = 76, (587*255 + 500)/1000 = 150, (114*255 + 500)/1000 = 29, 255,
        // (2990 + 11740 + 3420 + 500)/1000 = 18
        XCTAssertEqual(try decode(png).pixels, [76, 150, 29, 255, 18])
        let sixteen = try PNGFixtures.png(.rgb, bitDepth: 16, width: 2, height: 1,
                                          samples: [0xFFFF, 0, 0, 0xFF00, 0xFF00, 0xFF00])
        XCTAssertEqual(try decode(sixteen).pixels, [76, 254])
        let keyed = try PNGFixtures.png(.rgb, bitDepth: 8, width: 2, height: 1, samples: [255, 0, 0, 0, 255, 0],
                                        transparentColor: [255, 0, 0])
        XCTAssertEqual(try decode(keyed).pixels, [0, 150])
    }

    func testRGBAComposites() throws {
        let png = try PNGFixtures.png(.rgba, bitDepth: 8, width: 4, height: 1,
                                      samples: [255, 255, 255, 128, 255, 0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 51])
        // white at 128: 128; red opaque: 76; green transparent: 0; green (150) at 51: (150*51 + 127)/255 = 30
        XCTAssertEqual(try decode(png).pixels, [128, 76, 0, 30])
        // over 255: green at 51: (7650 + 255*204 + 127)/255 = 234
        XCTAssertEqual(try decode(png, background: 255).pixels, [255, 76, 255, 234])
        let sixteen = try PNGFixtures.png(.rgba, bitDepth: 16, width: 1, height: 1, samples: [0xFFFF, 0xFFFF, 0xFFFF, 0x8080])
        XCTAssertEqual(try decode(sixteen).pixels, [128])
    }

    func testPaletteAtEveryDepth() throws {
        let palette: [UInt8] = [0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255]  // black, white, red, blue
        let one = try decode(PNGFixtures.png(.palette, bitDepth: 1, width: 3, height: 1, samples: [1, 0, 1], palette: Array(palette.prefix(6))))
        XCTAssertEqual(one.pixels, [255, 0, 255])
        for depth in [2, 4, 8] {
            let image = try decode(PNGFixtures.png(.palette, bitDepth: depth, width: 5, height: 1, samples: [0, 1, 2, 3, 2], palette: palette))
            XCTAssertEqual(image.pixels, [0, 255, 76, 29, 76], "depth \(depth)")
        }
    }

    func testPaletteWithTransparency() throws {
        let palette: [UInt8] = [0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255]
        // Alphas for the first three entries only; the fourth stays opaque.
        let png = try PNGFixtures.png(.palette, bitDepth: 4, width: 4, height: 1, samples: [0, 1, 2, 3],
                                      palette: palette, paletteAlpha: [255, 0, 128])
        // red (76) at 128: (76*128 + 127)/255 = 38
        XCTAssertEqual(try decode(png).pixels, [0, 0, 38, 29])
    }

    func testEveryFormatDecodesToTheSameGrayRamp() throws {
        // A gray ramp stored in every format must decode to the same 8-bit values.
        let width = 4
        let levels: [UInt8] = [0, 85, 170, 255]  // representable at every depth
        for (colorType, depth) in PNGFixtures.allFormats {
            let maxSample = (1 << depth) - 1
            let scaled = levels.map { UInt16(Int($0) * maxSample / 255) }
            var samples = [UInt16]()
            var palette = [UInt8]()
            switch colorType {
            case .gray: samples = scaled
            case .grayAlpha: samples = scaled.flatMap { [$0, UInt16(maxSample)] }
            case .rgb: samples = scaled.flatMap { [$0, $0, $0] }
            case .rgba: samples = scaled.flatMap { [$0, $0, $0, UInt16(maxSample)] }
            case .palette:
                let entries = min(1 << depth, 4)
                palette = (0..<entries).flatMap { [levels[$0], levels[$0], levels[$0]] }
                samples = (0..<width).map { UInt16($0 % entries) }
            }
            let image = try decode(PNGFixtures.png(colorType, bitDepth: depth, width: width, height: 1,
                                                   samples: samples, palette: palette))
            // 1 bit cannot hold 85 or 170: gray keeps 0/255, a 2-entry palette alternates.
            let expected: [UInt8] = depth > 1 ? levels : colorType == .palette ? [0, 85, 0, 85] : [0, 0, 0, 255]
            XCTAssertEqual(image.pixels, expected, "\(colorType) \(depth)-bit")
        }
    }

    func testInterlacedImagesDecodeLikePlainOnes() throws {
        let (width, height) = (11, 9)
        let pixels = patternBytes(count: width * height, seed: 3)
        let interlaced = try PNGFixtures.png(.gray, bitDepth: 8, width: width, height: height,
                                             samples: pixels.map(UInt16.init), interlaced: true)
        XCTAssertEqual(try decode(interlaced).pixels, pixels)
        let rgb = try PNGFixtures.png(.rgb, bitDepth: 8, width: width, height: height,
                                      samples: pixels.flatMap { [UInt16($0), UInt16($0), UInt16($0)] }, interlaced: true)
        XCTAssertEqual(try decode(rgb).pixels, pixels)  // equal channels: luma is the channel
    }

    // MARK: Encoding

    func testEncodeDecodeRoundTripIsExactAndDeterministic() throws {
        for (width, height) in [(1, 1), (28, 28), (7, 3), (300, 2)] {
            let image = GrayImage(width: width, height: height, pixels: patternBytes(count: width * height, seed: UInt32(width)))
            let bytes = try PNGCodec.encodeGray(image)
            XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
            XCTAssertEqual(bytes, try PNGCodec.encodeGray(image), "same pixels, same bytes")
            XCTAssertFalse(bytes.windowed4.contains("tIME"))
            XCTAssertEqual(try decode(bytes), image)
        }
    }

    func testWriteGoesToTheFile() throws {
        let dir = try makeScratchDirectory(self)
        let image = GrayImage(width: 3, height: 2, pixels: [0, 50, 100, 150, 200, 250])
        let path = dir + "/out.png"
        try PNGCodec.write(image, to: path)
        XCTAssertEqual(try PNGCodec.decodeGray(FileIO.read(path), path: path), image)
        XCTAssertEqual(directoryListing(dir), ["out.png"])
    }

    func testEncodingRejectsInconsistentImages() {
        XCTAssertThrowsError(try PNGCodec.encodeGray(GrayImage(width: 3, height: 2, pixels: [1, 2]))) {
            XCTAssertEqual(($0 as? DataError)?.kind, .invalidArgument)
        }
        XCTAssertThrowsError(try PNGCodec.encodeGray(GrayImage(width: 0, height: 0, pixels: []))) {
            XCTAssertEqual(($0 as? DataError)?.kind, .invalidArgument)
        }
        // libpng's own check (a 3-bit depth does not exist) comes back as a message, not a crash.
        XCTAssertThrowsError(try PNGCodec.encode(PNGRaster(width: 8, height: 1, colorType: .gray, bitDepth: 3, rows: [0, 0, 0]))) {
            XCTAssertEqual(($0 as? DataError)?.kind, .invalidArgument)
            XCTAssertTrue("\($0)".contains("IHDR"), "\($0)")
        }
    }

    // MARK: Errors

    func testNotAPNG() {
        assertError(.notPNG, contains: ["not a PNG", "47 49 46 38"]) { _ = try decode(Array("GIF89a, no PNG".utf8)) }
        assertError(.notPNG) { _ = try decode([0x89, 0x50]) }
    }

    func testTruncatedPNG() throws {
        let bytes = try PNGFixtures.gray(width: 64, height: 64, pixels: patternBytes(count: 64 * 64, seed: 9))
        assertError(.truncated, contains: ["ends early"]) { _ = try decode(Array(bytes.prefix(bytes.count / 2))) }
        assertError(.truncated, contains: ["IHDR"]) { _ = try decode(Array(bytes.prefix(20))) }
        // Without IEND: the pixels are all there but the file is cut.
        assertError(.truncated) { _ = try decode(Array(bytes.dropLast(12))) }
    }

    func testCorruptPNGKeepsLibpngsMessage() throws {
        let bytes = try PNGFixtures.gray(width: 16, height: 16, pixels: patternBytes(count: 256, seed: 4))
        var badCRC = bytes
        badCRC[bytes.count - 13] ^= 0xff  // the last byte of IDAT's CRC (IEND's 12 bytes follow)
        assertError(.corrupt, contains: ["corrupt PNG", "IDAT", "CRC"]) { _ = try decode(badCRC) }
        // Damaged compressed data with a CRC to match: zlib's complaint comes through libpng.
        // The fixture is signature, IHDR (33 bytes), one IDAT, IEND (12 bytes).
        let length = Int(bytes[33]) << 24 | Int(bytes[34]) << 16 | Int(bytes[35]) << 8 | Int(bytes[36])
        let crcStart = 41 + length  // IDAT's data is bytes 41..<crcStart
        XCTAssertEqual(Array(bytes[37..<41]), Array("IDAT".utf8))
        XCTAssertEqual(crcStart + 4 + 12, bytes.count)
        var badData = bytes
        badData[crcStart - 1] ^= 0xff  // inside the Adler-32 at the end of the zlib stream
        let crc = Zlib.crc32(Array(badData[37..<crcStart]))  // over chunk type and data
        badData[crcStart..<crcStart + 4] = [UInt8(crc >> 24), UInt8(crc >> 16 & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc & 0xff)]
        assertError(.corrupt, contains: ["corrupt PNG", "incorrect data check"]) { _ = try decode(badData) }
    }

    /// A valid PNG signature and IHDR (with a correct CRC) claiming width x height, and nothing else.
    private func header(width: UInt32, height: UInt32) -> [UInt8] {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        let chunk = Array("IHDR".utf8) + be(width) + be(height) + [8, 0, 0, 0, 0]
        return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] + be(13) + chunk + be(Zlib.crc32(chunk))
    }

    func testHugeHeaderIsRejectedBeforeDecoding() throws {
        var huge = header(width: 100_000, height: 100_000)
        huge += try PNGFixtures.gray(width: 2, height: 2, pixels: [1, 2, 3, 4]).dropFirst(33)  // real IDAT and IEND after
        assertError(.tooLarge, contains: ["100000x100000", "16384x16384", "67108864"]) { _ = try decode(huge) }
        // The header alone, with no image data after it: refused as too large, not as truncated,
        // so the limit is checked before anything is read or allocated.
        assertError(.tooLarge, contains: ["100000x100000"]) { _ = try decode(header(width: 100_000, height: 100_000)) }
        assertError(.tooLarge, contains: ["20000x1"]) { _ = try decode(header(width: 20_000, height: 1)) }
        // Each side within the limit, the area (2^28) over it.
        assertError(.tooLarge, contains: ["16384x16384"]) { _ = try decode(header(width: 16_384, height: 16_384)) }
        // Within the limits, the missing data is reported as such.
        assertError(.truncated) { _ = try decode(header(width: 100, height: 100)) }
    }
}

private extension Array where Element == UInt8 {
    /// Every 4-byte window as a string, to look for chunk names.
    var windowed4: Set<String> {
        guard count >= 4 else { return [] }
        return Set((0...(count - 4)).map { String(decoding: self[$0..<$0 + 4], as: UTF8.self) })
    }
}
