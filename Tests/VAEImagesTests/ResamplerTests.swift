// The resize rule on images with known pixels: the box filter, bilinear enlarging, and where each
// fit puts the image.
import TestSupport
import VAEImages
import XCTest

final class ResamplerTests: XCTestCase {
    func gray(_ width: Int, _ height: Int, _ pixels: [UInt8]) -> PixelImage {
        PixelImage(width: width, height: height, channels: 1, pixels: pixels)
    }

    func testCheckerboardShrunkByTwoIsFlatGray() {
        let board = gray(8, 8, (0..<64).map { ($0 % 8 + $0 / 8) % 2 == 0 ? 0 : 255 })
        for fit in Fit.allCases {
            let out = Resampler.resize(board, ResizeRule(width: 4, height: 4, fit: fit))
            XCTAssertEqual(out.pixels, [UInt8](repeating: 128, count: 16), "\(fit)")  // 127.5 rounds up
        }
    }

    func testBoxWeightsFractionalCoverage() {
        // 3 -> 2: target 0 covers [0, 1.5): (0 + 0.5 * 90) / 1.5 = 30; target 1: (0.5 * 90 + 180) / 1.5 = 150.
        let out = Resampler.resize(gray(3, 1, [0, 90, 180]), ResizeRule(width: 2, height: 1, fit: .stretch))
        XCTAssertEqual(out.pixels, [30, 150])
    }

    func testBilinearEnlargingUsesPixelCentres() {
        // 2 -> 4: centres map to -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
        let out = Resampler.resize(gray(2, 1, [0, 255]), ResizeRule(width: 4, height: 1, fit: .stretch))
        XCTAssertEqual(out.pixels, [0, 64, 191, 255])
    }

    func testCropKeepsTheCentre() {
        // 12x4: columns 4..7 hold 200, the rest 10; a 4x4 crop is exactly the centre.
        let image = gray(12, 4, (0..<48).map { (4..<8).contains($0 % 12) ? 200 : 10 })
        let out = Resampler.resize(image, ResizeRule(width: 4, height: 4, fit: .crop))
        XCTAssertEqual(out.pixels, [UInt8](repeating: 200, count: 16))
        // Taller than wide: the middle rows.
        let tall = gray(2, 6, (0..<12).map { UInt8($0 / 2 * 10) })
        XCTAssertEqual(Resampler.resize(tall, ResizeRule(width: 2, height: 2, fit: .crop)).pixels, [20, 20, 30, 30])
        let p = Resampler.placement(width: 640, height: 480, rule: ResizeRule(width: 64, height: 64))
        XCTAssertEqual([p.sourceX, p.sourceY, p.sourceWidth, p.sourceHeight], [80, 0, 480, 480])
    }

    func testOnePixelBorderSurvivesPad() {
        // An 8x4 image, white border, black inside, padded to 8x8 over a colored background.
        var pixels = [UInt8]()
        for y in 0..<4 { for x in 0..<8 { pixels += (x == 0 || x == 7 || y == 0 || y == 3) ? [255, 255, 255] : [0, 0, 0] } }
        let image = PixelImage(width: 8, height: 4, channels: 3, pixels: pixels)
        let background = RGBColor(red: 10, green: 20, blue: 30)
        let out = Resampler.resize(image, ResizeRule(width: 8, height: 8, fit: .pad, background: background))
        for y in 0..<8 {
            for x in 0..<8 {
                let expected: [UInt8]
                if y < 2 || y >= 6 { expected = [10, 20, 30] }
                else if x == 0 || x == 7 || y == 2 || y == 5 { expected = [255, 255, 255] }
                else { expected = [0, 0, 0] }
                XCTAssertEqual([out[x, y, 0], out[x, y, 1], out[x, y, 2]], expected, "(\(x), \(y))")
            }
        }
        // Shrunk while padded: a 16x8 bordered image into 8x8, the border still shows (gray, not black).
        var big = [UInt8]()
        for y in 0..<8 { for x in 0..<16 { big.append((x == 0 || x == 15 || y == 0 || y == 7) ? 255 : 0) } }
        let small = Resampler.resize(gray(16, 8, big), ResizeRule(width: 8, height: 8, fit: .pad))
        XCTAssertEqual(small[0, 4], 128)
        XCTAssertEqual(small[3, 2], 128)
        XCTAssertEqual(small[3, 3], 0)
        XCTAssertEqual(small[3, 0], 0)  // background
    }

    func testStretchIgnoresTheAspectRatio() {
        let image = gray(4, 2, [0, 0, 100, 100, 0, 0, 100, 100])
        XCTAssertEqual(Resampler.resize(image, ResizeRule(width: 2, height: 2, fit: .stretch)).pixels, [0, 100, 0, 100])
    }
}

extension PixelImage {
    subscript(x: Int, y: Int) -> UInt8 { self[x, y, 0] }
}
