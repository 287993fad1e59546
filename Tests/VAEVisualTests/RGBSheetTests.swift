// Color sheets: an RGB model's tiles are drawn in color and written as an RGB PNG (color type 2)
// with the geometry of a gray sheet; a checkpoint's recorded channels give the tile shape.
import Foundation
import TestSupport
import VAECore
import VAEImages
import VAEModel
import VAETrain
import XCTest
@testable import VAEVisual

final class RGBSheetTests: XCTestCase {
    func testRGBTilesKeepTheirColorsAndTheGeometry() throws {
        let layout = try SheetLayout(rows: 1, cols: 2, tileHeight: 2, tileWidth: 2, scale: 2, pad: 1)
        var sheet = Sheet(layout: layout, channels: 3, background: RGBColor(red: 1, green: 2, blue: 3))
        let tile: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7]  // red, green / blue, (9, 8, 7)
        tile.withUnsafeBufferPointer { sheet.place(bytes: $0, row: 0, col: 1) }
        XCTAssertEqual(sheet.pixels.count, layout.width * layout.height * 3)
        let path = try makeScratchDirectory(self) + "/sheet.png"
        try sheet.write(to: path)
        let bytes = try FileIO.read(path)
        XCTAssertEqual(bytes[25], 2, "PNG color type 2 (RGB)")
        let image = try bytes.withUnsafeBytes { try PNGCodec.decode($0, path: path, mode: .rgb) }
        XCTAssertEqual([image.width, image.height], [layout.width, layout.height])
        let (x0, y0) = layout.origin(row: 0, col: 1)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { (0..<3).map { image[x, y, $0] } }
        XCTAssertEqual(pixel(0, 0), [1, 2, 3])
        XCTAssertEqual(pixel(x0, y0), [255, 0, 0])
        XCTAssertEqual(pixel(x0 + 1, y0 + 1), [255, 0, 0])  // scale 2: a 2x2 block
        XCTAssertEqual(pixel(x0 + 2, y0), [0, 255, 0])
        XCTAssertEqual(pixel(x0, y0 + 2), [0, 0, 255])
        XCTAssertEqual(pixel(x0 + 3, y0 + 3), [9, 8, 7])
        // A gray sheet over the same color shows its luma.
        let gray = Sheet(layout: layout, background: RGBColor(red: 1, green: 2, blue: 3))
        XCTAssertEqual(gray.pixels[0], RGBColor(red: 1, green: 2, blue: 3).luma)
    }

    func testSamplesOfAnRGBModelAreAnRGBSheet() throws {
        let shape = ImageShape(height: 3, width: 4, channels: 3)
        let model = try VAE(config: ModelConfig(inputSize: shape.pixels, hiddenSizes: [8], latentSize: 2), seed: 3)
        let sheet = try Generation.samples(model: model, shape: shape, rows: 2, cols: 3, temperature: 1, samplePixels: false,
                                           seed: 1, style: SheetStyle(scale: 1, pad: 1, background: RGBColor(red: 0, green: 0, blue: 255)))
        XCTAssertEqual(sheet.channels, 3)
        XCTAssertEqual(sheet.pixels.count, sheet.layout.width * sheet.layout.height * 3)
        XCTAssertEqual(Array(sheet.pixels[0..<3]), [0, 0, 255])
        // The gray shape of the same size does not fit the model.
        XCTAssertThrowsError(try Generation.samples(model: model, shape: ImageShape(height: 3, width: 4), rows: 1, cols: 1,
                                                    temperature: 1, samplePixels: false, seed: 1, style: SheetStyle()))
    }

    func testRecordedChannelsGiveTheShape() throws {
        let dir = try makeScratchDirectory(self)
        for shape in [ImageShape(height: 4, width: 5, channels: 3), ImageShape(height: 6, width: 10)] {
            let model = try VAE(config: ModelConfig(inputSize: shape.pixels, hiddenSizes: [4], latentSize: 2), seed: 1)
            let path = dir + "/m\(shape.channels).ckpt"
            try model.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(rng: SeededRandom(seed: 1)),
                                 image: shape, dataIdentity: "d").write(to: path)
            XCTAssertEqual(try TrainedModel(checkpoint: path).imageShape(data: nil), shape)
        }
    }
}
