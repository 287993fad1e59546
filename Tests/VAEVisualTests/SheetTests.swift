import VAEImages
import VAEVisual
import XCTest

final class SheetTests: XCTestCase {
    func testSizeFollowsTheFormula() throws {
        for (rows, cols, h, w, scale, pad) in [(1, 1, 28, 28, 1, 0), (8, 8, 28, 28, 2, 2), (3, 5, 4, 6, 3, 1),
                                                (20, 20, 28, 28, 1, 0), (2, 11, 7, 5, 4, 9)] {
            let layout = try SheetLayout(rows: rows, cols: cols, tileHeight: h, tileWidth: w, scale: scale, pad: pad)
            XCTAssertEqual(layout.width, cols * w * scale + (cols + 1) * pad)
            XCTAssertEqual(layout.height, rows * h * scale + (rows + 1) * pad)
            let sheet = Sheet(layout: layout, background: 9)
            XCTAssertEqual(sheet.pixels.count, layout.width * layout.height)
            let decoded = try PNGCodec.decodeGray(try PNGCodec.encodeGray(sheet.image), path: "sheet")
            XCTAssertEqual(decoded.width, layout.width)
            XCTAssertEqual(decoded.height, layout.height)
        }
    }

    func testTilesLandWhereTheLayoutSays() throws {
        let layout = try SheetLayout(rows: 2, cols: 3, tileHeight: 2, tileWidth: 3, scale: 2, pad: 1)
        var sheet = Sheet(layout: layout, background: 7)
        let tile: [UInt8] = [10, 20, 30, 40, 50, 60]
        tile.withUnsafeBufferPointer { sheet.place(bytes: $0, row: 1, col: 2) }
        let (x0, y0) = layout.origin(row: 1, col: 2)
        XCTAssertEqual(x0, 1 + 2 * (6 + 1))
        XCTAssertEqual(y0, 1 + 1 * (4 + 1))
        for y in 0..<layout.height {
            for x in 0..<layout.width {
                let inside = (x0..<x0 + 6).contains(x) && (y0..<y0 + 4).contains(y)
                let expected = inside ? tile[(y - y0) / 2 * 3 + (x - x0) / 2] : 7
                XCTAssertEqual(sheet.pixels[y * layout.width + x], expected, "pixel (\(x), \(y))")
            }
        }
    }

    func testIntensitiesBecomeRoundedClampedBytes() {
        XCTAssertEqual([0, 1, 0.5, 1 / 255, 0.499 / 255, -3, 2, .nan, .infinity, -.infinity].map(Sheet.byte),
                       [0, 255, 128, 1, 0, 0, 255, 0, 255, 0])
    }

    func testAbsurdSheetsAreRefusedBeforeAllocating() {
        for (rows, cols, scale, pad) in [(0, 8, 1, 0), (8, 0, 1, 0), (-1, 8, 1, 0), (1_000_000, 1_000_000, 1, 0),
                                         (Int.max, Int.max, 1, 0), (600, 600, 1, 0), (8, 8, 0, 0), (8, 8, 65, 0), (8, 8, 1, -1)] {
            XCTAssertThrowsError(try SheetLayout(rows: rows, cols: cols, tileHeight: 28, tileWidth: 28, scale: scale, pad: pad),
                                 "\(rows)x\(cols) scale \(scale) pad \(pad)")
        }
        // 2^26 pixels exactly is allowed: 8192 x 8192.
        XCTAssertNoThrow(try SheetLayout(rows: 256, cols: 256, tileHeight: 32, tileWidth: 32))
        XCTAssertThrowsError(try SheetLayout(rows: 256, cols: 257, tileHeight: 32, tileWidth: 32))
    }
}
