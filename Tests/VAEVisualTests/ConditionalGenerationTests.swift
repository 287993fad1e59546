// Sheets of a conditional model: the classes sheet is one row per class with the same codes in
// every row (row r is the samples sheet of class r drawn with the same seed), its class names
// drawn in a margin on the left, one beside each row; --class takes a
// name or an index and refuses anything else listing the classes, the embedding encodes each
// example with its label and refuses data of other classes.
import Foundation
import TestSupport
import VAECore
import VAEImages
import VAEModel
import VAEVisual
import XCTest

final class ConditionalGenerationTests: XCTestCase {
    func conditionalModel() throws -> VAE {
        var config = PatternFixtures.config
        config.classNames = PatternFixtures.labelNames
        return try VAE(config: config, seed: 5, batchCapacity: 64)
    }

    func testClassesRowsAreTheSamplesOfEachClassWithTheSameCodes() throws {
        let model = try conditionalModel()
        let style = SheetStyle(scale: 1, pad: 0, background: 0)
        let classes = try Generation.classes(model: model, shape: PatternFixtures.shape, cols: 5, seed: 3, style: style).image
        let m = try Sheet.labelMargin(PatternFixtures.labelNames)  // the class names' margin, left of the tiles
        XCTAssertEqual([classes.width, classes.height], [m + 5 * 4, 3 * 4])
        var rows: [[UInt8]] = []
        for r in 0..<3 {
            let samples = try Generation.samples(model: model, shape: PatternFixtures.shape, rows: 1, cols: 5, temperature: 1,
                                                 samplePixels: false, seed: 3, style: style, label: UInt16(r))
            let row = Array(samples.pixels.dropFirst(samples.layout.top * 20))  // below the class's title
            let width = m + 20
            var tiles: [UInt8] = []
            for y in r * 4..<(r + 1) * 4 { tiles += classes.pixels[y * width + m..<(y + 1) * width] }
            XCTAssertEqual(tiles, row, "row \(r)")
            rows.append(row)
        }
        XCTAssertNotEqual(rows[0], rows[1], "the class changes the images")
        XCTAssertThrowsError(try Generation.classes(model: try PatternFixtures.randomModel(), shape: PatternFixtures.shape, cols: 5, seed: 3, style: style)) {
            XCTAssert("\($0)".contains("needs a conditional model"), "\($0)")
        }
    }

    func testEveryRowIsLabelledInTheMargin() throws {
        let model = try conditionalModel()
        let names = PatternFixtures.labelNames
        for (channels, background) in [(1, RGBColor(gray: 200)), (1, RGBColor(gray: 30)), (3, RGBColor(red: 20, green: 60, blue: 200))] {
            let shape = ImageShape(height: PatternFixtures.shape.height, width: PatternFixtures.shape.width, channels: channels)
            var config = model.config
            config.inputSize = shape.pixels
            config.imageChannels = channels
            let m = channels == 1 ? model : try VAE(config: config, seed: 5, batchCapacity: 64)
            let (k, p, cols) = (6, 3, 4)  // rows of 4·6 = 24 pixels, taller than the 12-pixel text
            let sheet = try Generation.classes(model: m, shape: shape, cols: cols, seed: 3,
                                               style: SheetStyle(scale: k, pad: p, background: background))
            // The documented size: M + C·w·K + (C + 1)·P by R·h·K + (R + 1)·P.
            let canvas = try PlotCanvas(width: 1, height: 1)
            let margin = Int(names.map { canvas.textWidth($0, size: 12) }.max()!.rounded(.up)) + 12
            XCTAssertGreaterThan(margin, 12 + 20, "the longest name takes some width")
            XCTAssertEqual(sheet.layout.width, margin + cols * 4 * k + (cols + 1) * p)
            XCTAssertEqual(sheet.layout.height, 3 * 4 * k + 4 * p)
            XCTAssertEqual(sheet.pixels.count, sheet.layout.width * sheet.layout.height * channels)
            let fill = background.samples(channels == 1 ? .gray : .rgb)
            func isInk(_ x: Int, _ y: Int) -> Bool {
                let o = (y * sheet.layout.width + x) * channels
                return Array(sheet.pixels[o..<o + channels]) != fill
            }
            for r in 0..<3 {
                // Text pixels in the margin beside row r, none beside the padding between rows,
                // and none in the gap right of the text.
                let top = sheet.layout.origin(row: r, col: 0).y
                var ink: [Int] = []  // the x of every text pixel
                for y in top..<top + 4 * k { ink += (0..<margin).filter { isInk($0, y) } }
                XCTAssertGreaterThan(ink.count, 20, "row \(r) (\(names[r])), background \(background): no label")
                XCTAssertLessThanOrEqual(ink.max() ?? 0, margin - 6, "right-aligned before the gap")
                XCTAssertFalse((0..<margin).contains { isInk($0, top - p) }, "row \(r): ink in the padding above")
            }
            let first = sheet.layout.origin(row: 0, col: 0)
            XCTAssertFalse(isInk(first.x - 1, first.y), "the grid's own padding is untouched")
        }
    }

    func testSamplesOfOneClassCarryItsNameAsATitle() throws {
        let model = try conditionalModel()
        let style = SheetStyle(scale: 6, pad: 2, background: 230)
        let titled = try Generation.samples(model: model, shape: PatternFixtures.shape, rows: 2, cols: 3, temperature: 1,
                                            samplePixels: false, seed: 4, style: style, label: 1)
        let plain = try Generation.samples(model: model, shape: PatternFixtures.shape, rows: 2, cols: 3, temperature: 1,
                                           samplePixels: false, seed: 4, style: style)
        // The documented size: a band of T = 28 pixels on top of the same grid.
        let w = 3 * 4 * 6 + 4 * 2, h = 2 * 4 * 6 + 3 * 2
        XCTAssertEqual([titled.layout.width, titled.layout.height, titled.layout.top], [w, 28 + h, 28])
        XCTAssertEqual([plain.layout.width, plain.layout.height, plain.layout.top], [w, h, 0])
        let band = titled.pixels[0..<28 * w]
        XCTAssertGreaterThan(band.filter { $0 != 230 }.count, 30, "the title's text")
        XCTAssertLessThan(band.filter { $0 < 100 }.count, band.count / 4, "text on a light band, not a dark fill")
        // Below the band, the grid of the plain sheet where it decodes class 1 too (its row 1;
        // its row 0 is class 0).
        func gridRows(_ sheet: Sheet, _ r: Int) -> [UInt8] {
            let y = sheet.layout.origin(row: r, col: 0).y
            return Array(sheet.pixels[y * w..<(y + 24) * w])
        }
        XCTAssertEqual(gridRows(titled, 1), gridRows(plain, 1))
        XCTAssertNotEqual(gridRows(titled, 0), gridRows(plain, 0))
    }

    func testClassIsANameOrAnIndexAndUnknownOnesListTheClasses() throws {
        let model = try conditionalModel()
        XCTAssertEqual(try Generation.classIndex("column, wide", model: model), 1)
        XCTAssertEqual(try Generation.classIndex("2", model: model), 2)
        XCTAssertThrowsError(try Generation.classIndex("Sneaker", model: model)) {
            XCTAssertEqual("\($0)", "--class Sneaker is not a class of the model; the classes are 0 bar, 1 column, wide, 2 say \"x\"")
        }
        XCTAssertThrowsError(try Generation.classIndex("3", model: model))
        XCTAssertThrowsError(try Generation.classIndex("bar", model: try PatternFixtures.randomModel())) {
            XCTAssert("\($0)".contains("the model is not conditional"), "\($0)")
        }
        XCTAssertThrowsError(try Generation.manifold(model: model, shape: PatternFixtures.shape, steps: 3, dims: (0, 1),
                                                     style: SheetStyle(scale: 1, pad: 0, background: 0))) {
            XCTAssert("\($0)".contains("give --class, one of bar, column, wide"), "\($0)")
        }
    }

    func testReconstructionsAndCodesUseEachExamplesLabel() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try PatternFixtures.artifact(in: dir)
        let model = try conditionalModel()
        let indices = [0, 1, 2, 3]
        let codes = try Generation.codes(model: model, dataset: dataset, split: .test, indices: indices)
        let examples = try dataset.examples(at: indices, split: .test)
        var mu = [Float](repeating: 0, count: 4 * 3), logvar = mu
        model.encode(batch: examples.intensities, count: 4, mu: &mu, logvar: &logvar, labels: examples.labels)
        XCTAssertEqual(codes.flatMap { $0 }, mu)
        var other = [Float](repeating: 0, count: 4 * 3)
        model.encode(batch: examples.intensities, count: 4, mu: &other, logvar: &logvar, labels: [0, 0, 0, 0])
        XCTAssertNotEqual(other, mu, "the label reaches the encoder")

        let unlabelled = try PatternFixtures.artifact(in: dir, name: "unlabelled", labelled: false)
        XCTAssertThrowsError(try Generation.codes(model: model, dataset: unlabelled, split: .test, indices: [0])) {
            XCTAssert("\($0)".contains("examples without a class of the model"), "\($0)")
        }
    }
}
