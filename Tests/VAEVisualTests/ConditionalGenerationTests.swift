// Sheets of a conditional model: the classes sheet is one row per class with the same codes in
// every row (row r is the samples sheet of class r drawn with the same seed), --class takes a
// name or an index and refuses anything else listing the classes, the embedding encodes each
// example with its label and refuses data of other classes.
import Foundation
import TestSupport
import VAEData
import VAEModel
import VAEVisual
import XCTest

final class ConditionalGenerationTests: XCTestCase {
    func conditionalModel() throws -> VAE {
        var config = Fixtures.config
        config.classNames = Fixtures.labelNames
        return try VAE(config: config, seed: 5, batchCapacity: 64)
    }

    func testClassesRowsAreTheSamplesOfEachClassWithTheSameCodes() throws {
        let model = try conditionalModel()
        let style = SheetStyle(scale: 1, pad: 0, background: 0)
        let classes = try Generation.classes(model: model, shape: Fixtures.shape, cols: 5, seed: 3, style: style).image
        XCTAssertEqual([classes.width, classes.height], [5 * 4, 3 * 4])
        var rows: [[UInt8]] = []
        for r in 0..<3 {
            let row = try Generation.samples(model: model, shape: Fixtures.shape, rows: 1, cols: 5, temperature: 1,
                                             samplePixels: false, seed: 3, style: style, label: UInt16(r)).image.pixels
            XCTAssertEqual(Array(classes.pixels[r * 4 * 20..<(r + 1) * 4 * 20]), row, "row \(r)")
            rows.append(row)
        }
        XCTAssertNotEqual(rows[0], rows[1], "the class changes the images")
        XCTAssertThrowsError(try Generation.classes(model: try Fixtures.randomModel(), shape: Fixtures.shape, cols: 5, seed: 3, style: style)) {
            XCTAssert("\($0)".contains("needs a conditional model"), "\($0)")
        }
    }

    func testClassIsANameOrAnIndexAndUnknownOnesListTheClasses() throws {
        let model = try conditionalModel()
        XCTAssertEqual(try Generation.classIndex("column, wide", model: model), 1)
        XCTAssertEqual(try Generation.classIndex("2", model: model), 2)
        XCTAssertThrowsError(try Generation.classIndex("Sneaker", model: model)) {
            XCTAssertEqual("\($0)", "--class Sneaker is not a class of the model; the classes are 0 bar, 1 column, wide, 2 say \"x\"")
        }
        XCTAssertThrowsError(try Generation.classIndex("3", model: model))
        XCTAssertThrowsError(try Generation.classIndex("bar", model: try Fixtures.randomModel())) {
            XCTAssert("\($0)".contains("the model is not conditional"), "\($0)")
        }
        XCTAssertThrowsError(try Generation.manifold(model: model, shape: Fixtures.shape, steps: 3, dims: (0, 1),
                                                     style: SheetStyle(scale: 1, pad: 0, background: 0))) {
            XCTAssert("\($0)".contains("give --class, one of bar, column, wide"), "\($0)")
        }
    }

    func testReconstructionsAndCodesUseEachExamplesLabel() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try Fixtures.artifact(in: dir)
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

        let unlabelled = try Fixtures.artifact(in: dir, name: "unlabelled", labelled: false)
        XCTAssertThrowsError(try Generation.codes(model: model, dataset: unlabelled, split: .test, indices: [0])) {
            XCTAssert("\($0)".contains("examples without a class of the model"), "\($0)")
        }
    }
}
