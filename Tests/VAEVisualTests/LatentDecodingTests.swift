// Decoding a latent CSV (`vae-generate decode`): embed, then decode, gives the decoder's means of
// the embedded codes as PNGs named by split and index; a sheet holds the same tiles; a
// conditional model takes each row's label or one --class; a CSV that does not fit is refused
// naming the line and the column.
import Foundation
import TestSupport
import VAECore
import VAEImages
import VAEModel
import VAEVisual
import XCTest

final class LatentDecodingTests: XCTestCase {
    private func write(_ dir: String, _ name: String, _ text: String) throws -> String {
        let path = FileIO.join(dir, name)
        try AtomicFile.write(Array(text.utf8), to: path)
        return path
    }

    func testEmbedThenDecodeGivesTheDecoderMeansOfTheCodes() throws {
        let dir = try makeScratchDirectory(self)
        let dataset = try PatternFixtures.artifact(in: dir, train: 20, test: 7, shardSize: 16)
        let model = try PatternFixtures.trainedModel(steps: 200)
        let out = try AtomicOutput(path: dir + "/latents.csv")
        try Embedding.write(model: model, checkpoint: "model.ckpt", dataset: dataset, options: EmbeddingOptions(splits: [.test]), to: out)
        try out.commit()
        let codes = try LatentCodes(path: dir + "/latents.csv")
        XCTAssertEqual(codes.names, (0 ..< 7).map { "test-\($0)" })
        try Generation.writeDecoded(codes, model: model, shape: PatternFixtures.shape, labels: nil, scale: 1, to: dir + "/decoded", force: false)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/decoded").sorted(),
                       (0 ..< 7).map { "test-\($0).png" })
        for i in 0 ..< 7 {
            var means = [Float](repeating: 0, count: 16)
            model.decode(z: Array(codes.means[i * 3 ..< i * 3 + 3]), count: 1, means: &means)
            let png = try PNGCodec.decodeGray(try FileIO.read(dir + "/decoded/test-\(i).png"), path: "decoded")
            XCTAssertEqual(png.width, 4)
            XCTAssertEqual(png.pixels, means.map(Sheet.byte), "test-\(i)")
        }
        // A sheet holds the same tiles, in the CSV's order.
        let sheet = try Generation.decodedSheet(codes, model: model, shape: PatternFixtures.shape, labels: nil, cols: 7,
                                                style: SheetStyle(scale: 1, pad: 0))
        let first = try PNGCodec.decodeGray(try FileIO.read(dir + "/decoded/test-0.png"), path: "decoded")
        XCTAssertEqual((0 ..< 4).flatMap { y in sheet.pixels[y * 28 ..< y * 28 + 4] }, first.pixels)
        // An existing directory is kept unless forced.
        assertDataError(.alreadyExists, path: dir + "/decoded") {
            try Generation.writeDecoded(codes, model: model, shape: PatternFixtures.shape, labels: nil, scale: 1, to: dir + "/decoded", force: false)
        }
    }

    func testRowsWithoutAnIndexAreNumberedFromOne() throws {
        let dir = try makeScratchDirectory(self)
        var text = "mu_1,mu_2,mu_3\n"
        for i in 0 ..< 12 { text += "\(Float(i) / 4),0,-1\n" }
        let codes = try LatentCodes(path: try write(dir, "edited.csv", text))
        XCTAssertEqual(codes.names.first, "01")
        XCTAssertEqual(codes.names.last, "12")
        XCTAssertFalse(codes.hasLabelColumn)
    }

    func testBadCSVsNameTheLineAndTheColumn() throws {
        let dir = try makeScratchDirectory(self)
        let model = try PatternFixtures.randomModel()
        func refused(_ text: String, _ message: String, _ kind: DataError.Kind = .corrupt) throws {
            let path = try write(dir, "bad.csv", text)
            assertDataError(kind, path: path, contains: [message]) {
                let codes = try LatentCodes(path: path)
                _ = try Generation.decodedSheet(codes, model: model, shape: PatternFixtures.shape, labels: nil, cols: 4, style: SheetStyle())
            }
        }
        try refused("index,mu_2,mu_3\n0,1,2\n", "has no column \"mu_1\"")
        try refused("mu_1,mu_2\n0,1\n", "has 2 mu columns (mu_1 ... mu_2); the model's codes have 3")
        try refused("mu_1,mu_2,mu_3,mu_4\n0,1,2,3\n", "has 4 mu columns")
        try refused("mu_1,mu_2,mu_3\n0,1,2\n0,x,2\n", "line 3, column \"mu_2\": \"x\" is not a finite number")
        try refused("mu_1,mu_2,mu_3\n0,1,nan\n", "line 2, column \"mu_3\": \"nan\" is not a finite number")
        try refused("mu_1,mu_2,mu_3\n0,1,inf\n", "line 2, column \"mu_3\"")
        try refused("mu_1,mu_2,mu_3\n0,1\n", "line 2 has 2 fields, the header has 3")
        try refused("index,split,mu_1,mu_2,mu_3\n4,test,0,0,0\n4,test,1,1,1\n", "line 3: a second row named test-4")
        try refused("index,split,mu_1,mu_2,mu_3\n4,valid,0,0,0\n", "line 2, column \"split\": \"valid\" is neither train nor test")
        try refused("index,mu_1,mu_2,mu_3\n-1,0,0,0\n", "line 2, column \"index\"")
        try refused("mu_1,mu_2,mu_3\n", "has a header and no rows", .emptyFile)
    }

    func testAConditionalModelTakesTheLabelColumnOrOneClass() throws {
        let dir = try makeScratchDirectory(self)
        var config = PatternFixtures.config
        config.classNames = PatternFixtures.labelNames
        let model = try VAE(config: config, seed: 3, batchCapacity: 8)
        let path = try write(dir, "codes.csv", "label,mu_1,mu_2,mu_3\nbar,0,0,0\n2,0,0,0\n\"column, wide\",0,0,0\n")
        let codes = try LatentCodes(path: path)
        XCTAssertEqual(try Generation.labels(of: codes, model: model, className: nil), [0, 2, 1])
        XCTAssertEqual(try Generation.labels(of: codes, model: model, className: "say \"x\""), [2, 2, 2])
        let other = try LatentCodes(path: try write(dir, "nolabel.csv", "mu_1,mu_2,mu_3\n0,0,0\n"))
        XCTAssertThrowsError(try Generation.labels(of: other, model: model, className: nil)) {
            XCTAssert("\($0)".contains("give --class NAME, or a label column"), "\($0)")
        }
        let unknown = try LatentCodes(path: try write(dir, "unknown.csv", "label,mu_1,mu_2,mu_3\nbar,0,0,0\nboat,0,0,0\n"))
        XCTAssertThrowsError(try Generation.labels(of: unknown, model: model, className: nil)) {
            XCTAssert("\($0)".contains("row 2 (2)"), "\($0)")
        }
        // An unconditional model ignores the labels.
        XCTAssertNil(try Generation.labels(of: codes, model: try PatternFixtures.randomModel(), className: nil))
    }
}
