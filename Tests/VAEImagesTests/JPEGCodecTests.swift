// JPEG decoding against TurboJPEG's own encoder: every kind (gray, 4:2:0, 4:4:4, progressive,
// CMYK), every EXIF orientation, the bad files, color against gray, and the reduced-scale decode
// against the full decode followed by the box filter.
import TestSupport
import VAECore
import VAEImages
import XCTest

final class JPEGCodecTests: XCTestCase {
    let colors = [
        RGBColor(red: 220, green: 30, blue: 40), RGBColor(red: 30, green: 200, blue: 60),
        RGBColor(red: 40, green: 50, blue: 210), RGBColor(red: 240, green: 230, blue: 30),
        RGBColor(red: 20, green: 20, blue: 20), RGBColor(red: 250, green: 250, blue: 250),
    ]

    func decode(_ bytes: [UInt8], _ mode: ColorMode = .rgb, path: String = "test.jpg") throws -> PixelImage {
        try bytes.withUnsafeBytes { try JPEGCodec.decode($0, path: path, mode: mode) }
    }

    func testEveryKindDecodesCloseToTheEncodedPixels() throws {
        let photo = SyntheticPhotos.textured(width: 61, height: 37, seed: 3)
        let kinds: [(String, JPEGCodec.Subsampling, Bool)] = [
            ("4:2:0", .s420, false), ("4:4:4", .s444, false), ("4:2:2", .s422, false), ("progressive 4:2:0", .s420, true),
        ]
        for (name, subsampling, progressive) in kinds {
            let jpeg = try JPEGCodec.encode(photo, quality: 95, subsampling: subsampling, progressive: progressive)
            let image = try decode(jpeg)
            XCTAssertEqual([image.width, image.height, image.channels], [61, 37, 3], name)
            let diff = PhotoFixtures.difference(image, photo)
            XCTAssertLessThan(diff.mean, 4, "\(name): mean difference \(diff.mean)")
        }
        let gray = PixelImage(width: 20, height: 10, channels: 1, pixels: (0..<200).map { UInt8($0 % 20 * 12) })
        let jpeg = try JPEGCodec.encode(gray, quality: 100)
        let asGray = try decode(jpeg, .gray)
        XCTAssertEqual(asGray.channels, 1)
        XCTAssertLessThan(PhotoFixtures.difference(asGray, gray).mean, 2)
        let asRGB = try decode(jpeg, .rgb)
        for i in 0..<200 {
            XCTAssertEqual(asRGB.pixels[3 * i], asGray.pixels[i])
            XCTAssertEqual(asRGB.pixels[3 * i + 2], asGray.pixels[i])
        }
    }

    func testGrayIsTheLumaOfTheColorDecode() throws {
        let jpeg = try JPEGCodec.encode(SyntheticPhotos.textured(width: 40, height: 30, seed: 9), quality: 90)
        let rgb = try decode(jpeg, .rgb), gray = try decode(jpeg, .gray)
        for i in 0..<(40 * 30) {
            let expected = (299 * Int(rgb.pixels[3 * i]) + 587 * Int(rgb.pixels[3 * i + 1]) + 114 * Int(rgb.pixels[3 * i + 2]) + 500) / 1000
            XCTAssertEqual(Int(gray.pixels[i]), expected)
        }
    }

    /// The stored image that EXIF `orientation` displays as `upright`, built from the tag's
    /// definition ("row 0 is the visual top/bottom/left/right, column 0 the visual ...").
    func stored(_ upright: PixelImage, _ orientation: Int) -> PixelImage {
        let w = upright.width, h = upright.height
        let swap = orientation >= 5
        let sw = swap ? h : w, sh = swap ? w : h
        var pixels = [UInt8](repeating: 0, count: upright.pixels.count)
        for r in 0..<sh {
            for c in 0..<sw {
                let (x, y): (Int, Int)
                switch orientation {
                case 1: (x, y) = (c, r)              // row 0 top, column 0 left
                case 2: (x, y) = (w - 1 - c, r)      // row 0 top, column 0 right
                case 3: (x, y) = (w - 1 - c, h - 1 - r)  // row 0 bottom, column 0 right
                case 4: (x, y) = (c, h - 1 - r)      // row 0 bottom, column 0 left
                case 5: (x, y) = (r, c)              // row 0 left, column 0 top
                case 6: (x, y) = (w - 1 - r, c)      // row 0 right, column 0 top
                case 7: (x, y) = (w - 1 - r, h - 1 - c)  // row 0 right, column 0 bottom
                default: (x, y) = (r, h - 1 - c)     // 8: row 0 left, column 0 bottom
                }
                for k in 0..<3 { pixels[(r * sw + c) * 3 + k] = upright.pixels[(y * w + x) * 3 + k] }
            }
        }
        return PixelImage(width: sw, height: sh, channels: 3, pixels: pixels)
    }

    func testEveryEXIFOrientationLandsUpright() throws {
        let upright = PhotoFixtures.blocks(columns: 2, rows: 3, block: 16, colors: colors)  // 32 x 48
        for orientation in 1...8 {
            for littleEndian in [true, false] {
                let jpeg = try JPEGCodec.encode(stored(upright, orientation), quality: 95, subsampling: .s444)
                let tagged = JPEGCodec.withOrientation(jpeg, orientation, littleEndian: littleEndian)
                XCTAssertEqual(tagged.withUnsafeBytes { JPEGCodec.exifOrientation($0) }, orientation)
                let image = try decode(tagged)
                XCTAssertEqual([image.width, image.height], [32, 48], "orientation \(orientation)")
                let diff = PhotoFixtures.difference(image, upright)
                XCTAssertLessThan(diff.mean, 3, "orientation \(orientation): mean difference \(diff.mean)")
                // The centre of each block has its color.
                for (i, color) in colors.enumerated() {
                    let x = (i % 2) * 16 + 8, y = (i / 2) * 16 + 8
                    XCTAssertLessThan(abs(Int(image[x, y, 0]) - Int(color.red)), 8, "orientation \(orientation) block \(i)")
                    XCTAssertLessThan(abs(Int(image[x, y, 2]) - Int(color.blue)), 8, "orientation \(orientation) block \(i)")
                }
            }
        }
    }

    func testMalformedEXIFIsIgnored() throws {
        let jpeg = try JPEGCodec.encode(PhotoFixtures.blocks(columns: 1, rows: 1, block: 16, colors: colors))
        var tagged = JPEGCodec.withOrientation(jpeg, 6)
        tagged[12 + 4] = 0xFF  // the IFD offset points far outside the segment
        tagged[12 + 5] = 0xFF
        XCTAssertEqual(tagged.withUnsafeBytes { JPEGCodec.exifOrientation($0) }, 1)
        XCTAssertEqual(try decode(tagged).width, 16)
        let nine = JPEGCodec.withOrientation(jpeg, 9)
        XCTAssertEqual(nine.withUnsafeBytes { JPEGCodec.exifOrientation($0) }, 1)
        // A segment length running past the end of the file.
        XCTAssertEqual([UInt8]([0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00, 0x45]).withUnsafeBytes { JPEGCodec.exifOrientation($0) }, 1)
    }

    func testCMYKIsConvertedByTheInvertedRule() throws {
        // Adobe-inverted CMYK: 255 is no ink. (C, M, Y, K) = (255, 0, 128, 255): no cyan, full
        // magenta, half yellow, no black: R = 255, G = 0, B = 128.
        let cmyk = PixelImage(width: 16, height: 16, channels: 4, pixels: Array([[255, 0, 128, 255]].joined().map { UInt8($0) }.repeated(256)))
        let jpeg = try JPEGCodec.encode(cmyk, quality: 100, subsampling: .s444)
        let image = try decode(jpeg)
        XCTAssertEqual(image.channels, 3)
        XCTAssertLessThan(abs(Int(image[8, 8, 0]) - 255), 3)
        XCTAssertLessThan(abs(Int(image[8, 8, 1]) - 0), 3)
        XCTAssertLessThan(abs(Int(image[8, 8, 2]) - 128), 3)
        // Half black: every channel halves.
        let dark = PixelImage(width: 16, height: 16, channels: 4, pixels: Array([UInt8]([255, 255, 255, 128]).repeated(256)))
        let darkImage = try decode(try JPEGCodec.encode(dark, quality: 100, subsampling: .s444))
        XCTAssertLessThan(abs(Int(darkImage[8, 8, 1]) - 128), 3)
    }

    func testTruncatedJPEGIsAnError() throws {
        let jpeg = try JPEGCodec.encode(SyntheticPhotos.textured(width: 64, height: 64, seed: 1), quality: 90)
        for cut in [jpeg.count / 2, jpeg.count - 2] {
            XCTAssertThrowsError(try decode(Array(jpeg[0..<cut]), path: "cut.jpg")) { error in
                let error = error as! DataError
                XCTAssertEqual(error.kind, .truncated, "cut at \(cut): \(error)")
                XCTAssertEqual(error.path, "cut.jpg")
            }
        }
        XCTAssertThrowsError(try decode(Array(jpeg[0..<20]))) // inside the header
    }

    func testHeaderOverTheLimitIsRefusedBeforeDecoding() throws {
        var jpeg = try JPEGCodec.encode(PhotoFixtures.blocks(columns: 1, rows: 1, block: 16, colors: colors))
        let sof = (0..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
        for at in [sof + 5, sof + 7] { (jpeg[at], jpeg[at + 1]) = (0x4E, 0x20) }  // 20000 x 20000
        XCTAssertThrowsError(try decode(jpeg, path: "huge.jpg")) { error in
            let error = error as! DataError
            XCTAssertEqual(error.kind, .tooLarge)
            XCTAssertTrue(error.detail.contains("20000x20000"), error.detail)
        }
    }

    /// The reduced-scale decode (1/2, 1/4, 1/8 by DCT scaling) followed by the box filter stays
    /// within 1.5 of the full decode followed by the box filter on average, and within 8 at any
    /// sample (textured photos at quality 90, 64x64 targets, all three fits; measured: means
    /// 0.36 to 1.11, largest 6).
    func testReducedDecodingStaysCloseToTheFullDecode() throws {
        for (seed, size) in [(1, (640, 480)), (2, (480, 640)), (3, (1000, 333))] {
            let jpeg = try JPEGCodec.encode(SyntheticPhotos.textured(width: size.0, height: size.1, seed: UInt64(seed)), quality: 90)
            for fit in Fit.allCases {
                let rule = ResizeRule(width: 64, height: 64, fit: fit)
                let fast = ImagePreparation(color: .rgb, resize: rule, reducedDecoding: true)
                let exact = ImagePreparation(color: .rgb, resize: rule, reducedDecoding: false)
                let header = try jpeg.withUnsafeBytes { try JPEGCodec.header($0, path: "x") }
                XCTAssertGreaterThan(fast.reduction(header), 1, "\(size) \(fit) should decode reduced")
                let a = try jpeg.withUnsafeBytes { try fast.prepare($0, path: "x") }
                let b = try jpeg.withUnsafeBytes { try exact.prepare($0, path: "x") }
                let diff = PhotoFixtures.difference(a, b)
                XCTAssertLessThan(diff.mean, 1.5, "\(size) \(fit)")
                XCTAssertLessThanOrEqual(diff.max, 8, "\(size) \(fit)")
            }
        }
    }

    func testNeitherPNGNorJPEGIsNamed() throws {
        let text = Array("hello, world".utf8)
        XCTAssertThrowsError(try text.withUnsafeBytes { try ImagePreparation().prepare($0, path: "a.jpg") }) { error in
            let error = error as! DataError
            XCTAssertEqual(error.path, "a.jpg")
            XCTAssertTrue(error.detail.contains("not a PNG or JPEG file (starts with 68 65 6c 6c"), error.detail)
        }
    }
}

extension Array {
    func repeated(_ times: Int) -> [Element] { (0..<times).flatMap { _ in self } }
}
