import Foundation
import TestSupport
import VAECore
import VAEImages
import VAEShards
import VAEModel
import VAEVisual
import XCTest

final class GenerationTests: XCTestCase {
    private let shape = PatternFixtures.shape
    private let style = SheetStyle(scale: 2, pad: 1, background: 40)

    func testSampleSheetsAreDeterministicForASeed() throws {
        let model = try PatternFixtures.trainedModel(steps: 100)
        func png(_ seed: UInt64, pixels: Bool = false) throws -> [UInt8] {
            try PNGCodec.encodeGray(Generation.samples(model: model, shape: shape, rows: 3, cols: 5, temperature: 1,
                                                       samplePixels: pixels, seed: seed, style: style).image)
        }
        XCTAssertEqual(try png(1), try png(1))
        XCTAssertNotEqual(try png(1), try png(2))
        XCTAssertEqual(try png(1, pixels: true), try png(1, pixels: true))
        XCTAssertNotEqual(try png(1, pixels: true), try png(1))
        let image = try PNGCodec.decodeGray(try png(1), path: "samples")
        XCTAssertEqual(image.width, 5 * 4 * 2 + 6 * 1)
        XCTAssertEqual(image.height, 3 * 4 * 2 + 4 * 1)
        XCTAssertEqual(image.pixels[0], 40)
    }

    /// Samples and reconstructions decode in the model's pieces, shared among its threads: the
    /// sheets' bytes do not depend on how many (nor on OpenBLAS's threads: `.ci/run` runs this
    /// again with OPENBLAS_NUM_THREADS=1 and another kernel).
    func testExactSheetsDoNotDependOnTheThreads() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try PatternFixtures.artifact(in: dir, train: 40, test: 30, shardSize: 16)
        func sheets(threads: Int) throws -> [[UInt8]] {
            let model = try PatternFixtures.trainedModel(steps: 100, batchCapacity: 8)
            model.useThreads(threads)
            let samples = try Generation.samples(model: model, shape: shape, rows: 5, cols: 7, temperature: 1,
                                                 samplePixels: false, seed: 4, style: style)
            let reconstructions = try Generation.reconstructions(model: model, dataset: dataset, split: .test,
                                                                 indices: Array(0 ..< 30), cols: 10, style: style)
            return [try PNGCodec.encodeGray(samples.image), try PNGCodec.encodeGray(reconstructions.image)]
        }
        let one = try sheets(threads: 1)
        XCTAssertEqual(try sheets(threads: 2), one)
        XCTAssertEqual(try sheets(threads: 3), one)
    }

    /// The VampPrior's pseudo-inputs, tile by tile in parameter order, clamped to [0, 1]; a model
    /// with the standard normal prior has none to draw.
    func testPseudoInputsSheetShowsEachPseudoInputClamped() throws {
        var config = ModelConfig(inputSize: shape.pixels, hiddenSizes: [6], latentSize: 2, imageHeight: shape.height,
                                 imageWidth: shape.width)
        config.prior = .vamp(pseudoInputs: 3)
        let model = try VAE(config: config, seed: 1)
        let d = shape.pixels
        // Pseudo-input k: every pixel k/2, but the first pixel of the last is outside [0, 1].
        var images = (0 ..< 3).flatMap { k in [Float](repeating: Float(k) / 2, count: d) }
        images[2 * d] = 7
        try model.setPseudoInputs(images)
        let plain = SheetStyle(scale: 1, pad: 0, background: 0)
        let image = try Generation.pseudoInputs(model: model, shape: shape, cols: 2, style: plain).image
        XCTAssertEqual([image.width, image.height], [2 * shape.width, 2 * shape.height])
        let w = image.width
        XCTAssertEqual(image.pixels[1], 0)                           // tile 0: 0
        XCTAssertEqual(image.pixels[shape.width + 1], 128)           // tile 1: 1/2
        XCTAssertEqual(image.pixels[shape.height * w], 255)          // tile 2's clamped pixel
        XCTAssertEqual(image.pixels[shape.height * w + 1], 255)      // tile 2: 1
        let standard = try VAE(config: ModelConfig(inputSize: d, hiddenSizes: [6], latentSize: 2), seed: 1)
        XCTAssertThrowsError(try Generation.pseudoInputs(model: standard, shape: shape, cols: 2, style: plain)) { error in
            XCTAssertTrue("\(error)".contains("no pseudo-inputs"), "\(error)")
        }
    }

    func testBernoulliPixelDrawsAreBlackOrWhite() throws {
        let model = try PatternFixtures.randomModel()
        let sheet = try Generation.samples(model: model, shape: shape, rows: 2, cols: 2, temperature: 1,
                                           samplePixels: true, seed: 3, style: SheetStyle(scale: 1, pad: 0))
        XCTAssertTrue(sheet.pixels.allSatisfy { $0 == 0 || $0 == 255 })
        XCTAssertTrue(sheet.pixels.contains(0) && sheet.pixels.contains(255))
    }

    func testZeroTemperatureDecodesTheOrigin() throws {
        let model = try PatternFixtures.randomModel()
        let sheet = try Generation.samples(model: model, shape: shape, rows: 1, cols: 1, temperature: 0,
                                           samplePixels: false, seed: 3, style: SheetStyle(scale: 1, pad: 0))
        var means = [Float](repeating: 0, count: 16)
        model.decode(z: [0, 0, 0], count: 1, means: &means)
        XCTAssertEqual(sheet.pixels, means.map(Sheet.byte))
    }

    /// Mean absolute difference, in gray levels, between originals and reconstructions on a sheet.
    private func reconstructionError(_ model: VAE, _ dataset: ShardDataset, _ indices: [Int]) throws -> Double {
        let layoutStyle = SheetStyle(scale: 1, pad: 0)
        let sheet = try Generation.reconstructions(model: model, dataset: dataset, split: .test, indices: indices,
                                                   cols: indices.count, style: layoutStyle)
        XCTAssertEqual(sheet.layout.rows, 2)
        let w = sheet.layout.width
        var total = 0.0
        for y in 0..<4 {
            for x in 0..<w {
                total += abs(Double(sheet.pixels[y * w + x]) - Double(sheet.pixels[(y + 4) * w + x]))
            }
        }
        return total / Double(4 * w)
    }

    func testATrainedModelReconstructsBetterThanARandomOne() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try PatternFixtures.artifact(in: dir, train: 40, test: 12)
        let indices = Array(0..<12)
        let trained = try reconstructionError(try PatternFixtures.trainedModel(), dataset, indices)
        let random = try reconstructionError(try PatternFixtures.randomModel(), dataset, indices)
        print("reconstruction error (gray levels): trained \(trained), random \(random)")
        XCTAssertLessThan(trained, random / 2)
        // The upper rows are the originals themselves.
        let sheet = try Generation.reconstructions(model: try PatternFixtures.randomModel(), dataset: dataset, split: .test,
                                                   indices: [3], cols: 8, style: SheetStyle(scale: 1, pad: 0))
        XCTAssertEqual(sheet.layout.cols, 1)
        XCTAssertEqual(Array(sheet.pixels[0..<16]), PatternFixtures.image(40 + 3))
    }

    func testReconstructionsLayOutPairsOfRows() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try PatternFixtures.artifact(in: dir)
        let sheet = try Generation.reconstructions(model: try PatternFixtures.randomModel(), dataset: dataset, split: .train,
                                                   indices: Array(0..<10), cols: 4, style: style)
        XCTAssertEqual(sheet.layout.rows, 6)
        XCTAssertEqual(sheet.layout.cols, 4)
        XCTAssertThrowsError(try Generation.reconstructions(model: try PatternFixtures.randomModel(), dataset: dataset, split: .test,
                                                            indices: [12], cols: 4, style: style)) { error in
            XCTAssertTrue(String(describing: error).contains("example 12 is outside the test split"), "\(error)")
        }
    }

    func testManifoldTraversalAndInterpolationSheets() throws {
        let model = try PatternFixtures.trainedModel(steps: 100)
        let manifold = try Generation.manifold(model: model, shape: shape, steps: 6, dims: (0, 2), style: style)
        XCTAssertEqual(manifold.layout.rows, 6)
        XCTAssertEqual(manifold.layout.cols, 6)
        // The top-left tile decodes (Φ⁻¹(1/12), 0, Φ⁻¹(11/12)).
        let q = Float(StandardNormal.quantile(1.0 / 12))
        var means = [Float](repeating: 0, count: 16)
        model.decode(z: [q, 0, -q], count: 1, means: &means)
        let (x0, y0) = manifold.layout.origin(row: 0, col: 0)
        XCTAssertEqual(manifold.pixels[y0 * manifold.layout.width + x0], Sheet.byte(means[0]))

        let traversal = try Generation.traversal(model: model, shape: shape, base: [0, 0, 0], dims: [0, 1, 2], steps: 11,
                                                 range: 3, style: style)
        XCTAssertEqual(traversal.layout.rows, 3)
        XCTAssertEqual(traversal.layout.cols, 11)
        let line = try Generation.interpolation(model: model, shape: shape, from: [1, 0, 0], to: [0, 1, 0], steps: 10, style: style)
        XCTAssertEqual(line.layout.rows, 1)
        XCTAssertEqual(line.layout.cols, 10)

        XCTAssertThrowsError(try Generation.manifold(model: model, shape: shape, steps: 1, dims: (0, 1), style: style))
        XCTAssertThrowsError(try Generation.manifold(model: model, shape: shape, steps: 6, dims: (0, 3), style: style))
        XCTAssertThrowsError(try Generation.manifold(model: model, shape: shape, steps: 6, dims: (1, 1), style: style))
        XCTAssertThrowsError(try Generation.traversal(model: model, shape: shape, base: [0, 0, 0], dims: [3], steps: 5,
                                                      range: 3, style: style))
        XCTAssertThrowsError(try Generation.interpolation(model: model, shape: shape, from: [0, 0, 0], to: [1, 1, 1],
                                                          steps: 1, style: style))
        XCTAssertThrowsError(try Generation.samples(model: model, shape: ImageShape(height: 5, width: 5), rows: 1, cols: 1,
                                                    temperature: 1, samplePixels: false, seed: 1, style: style))
    }

    func testDimensionsAreNumberedFromOne() throws {
        XCTAssertEqual(try Generation.parseDimensions("1,3", latent: 3), [0, 2])
        XCTAssertEqual(try Generation.parseDimensions(" 2 ", latent: 3), [1])
        for bad in ["0", "4", "1,,2", "a", "", "-1"] {
            XCTAssertThrowsError(try Generation.parseDimensions(bad, latent: 3), bad)
        }
        XCTAssertThrowsError(try Generation.parseDimensions("21", latent: 20)) { error in
            XCTAssertEqual(String(describing: error), "--dims 21 is outside the latent dimensions of the checkpoint (1 to 20)")
        }
    }
}
