// End to end: the built vae-embed and vae-generate binaries (from the products directory beside
// the test bundle) on a tiny artifact and a tiny trained checkpoint written here.
import Foundation
import TestSupport
import VAECore
import VAEImages
import VAEModel
import VAETrain
import XCTest

final class EmbedAndGenerateCommandTests: XCTestCase {
    private func run(_ tool: String, _ arguments: [String]) throws -> ProcessResult {
        try runTool(executable(tool), arguments)
    }

    /// A scratch directory with `shards/` (40 train, 12 test, 4x4) and `model.ckpt` (16-12-3, trained).
    private func makeFixture(image: ImageShape = ImageShape(height: 4, width: 4)) throws -> String {
        let dir = try makeScratchDirectory(self)
        _ = try PatternFixtures.artifact(in: dir)
        let model = try PatternFixtures.trainedModel(steps: 300)
        try model.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(epoch: 1, rng: SeededRandom(seed: 1)),
                             image: image, dataIdentity: "test").write(to: dir + "/model.ckpt")
        return dir
    }

    func testEmbedWritesTheCSV() throws {
        let dir = try makeFixture()
        let result = try run("vae-embed", ["--checkpoint", dir + "/model.ckpt", "--data", dir + "/shards",
                                           "--out", dir + "/latents.csv", "--with-logvar", "--samples", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let text = String(decoding: try FileIO.read(dir + "/latents.csv"), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n").dropLast()
        XCTAssertEqual(lines.count, 1 + 40 + 12)
        XCTAssertTrue(lines[0].hasPrefix("index,split,label,mu_1,mu_2,mu_3,logvar_1,logvar_2,logvar_3,z1_1,"))
        XCTAssertTrue(lines[41].hasPrefix("0,test,\"column, wide\","), lines[41])

        let piped = try run("vae-embed", ["--checkpoint", dir + "/model.ckpt", "--data", dir + "/shards", "--out", "-",
                                          "--with-logvar", "--samples", "2", "--split", "all"])
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stdoutBytes, Array(text.utf8))
        XCTAssertEqual(directoryListing(dir), ["latents.csv", "model.ckpt", "shards"])
    }

    /// Embed, then decode: one PNG per test example named by split and index, and a sheet of them;
    /// a CSV that lies is refused naming its line and column, and nothing is written.
    func testEmbedThenDecodeWritesOnePNGPerRow() throws {
        let dir = try makeFixture()
        var result = try run("vae-embed", ["--checkpoint", dir + "/model.ckpt", "--data", dir + "/shards",
                                           "--split", "test", "--out", dir + "/latents.csv"])
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try run("vae-generate", ["decode", "--checkpoint", dir + "/model.ckpt", "--latents", dir + "/latents.csv",
                                          "--out", dir + "/decoded"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(directoryListing(dir + "/decoded"), (0 ..< 12).map { "test-\($0).png" }.sorted())
        let tile = try PNGCodec.decodeGray(try FileIO.read(dir + "/decoded/test-3.png"), path: "test-3.png")
        XCTAssertEqual([tile.width, tile.height], [4, 4])
        result = try run("vae-generate", ["decode", "--checkpoint", dir + "/model.ckpt", "--latents", dir + "/latents.csv",
                                          "--out", dir + "/decoded.png", "--cols", "6", "--pad", "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let sheet = try PNGCodec.decodeGray(try FileIO.read(dir + "/decoded.png"), path: "decoded.png")
        XCTAssertEqual([sheet.width, sheet.height], [24, 8])

        try AtomicFile.write(Array("index,split,mu_1,mu_2,mu_3\n0,test,0.5,NaN,1\n".utf8), to: dir + "/bad.csv")
        result = try run("vae-generate", ["decode", "--checkpoint", dir + "/model.ckpt", "--latents", dir + "/bad.csv",
                                          "--out", dir + "/bad"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "vae-generate decode: \(dir)/bad.csv: line 2, column \"mu_2\": \"NaN\" is not a finite number\n")
        XCTAssertFalse(FileIO.exists(dir + "/bad"))
    }

    func testEmbedRefusesAModelOfAnotherSize() throws {
        let dir = try makeFixture()
        let other = try VAE(config: ModelConfig(inputSize: 25, hiddenSizes: [4], latentSize: 2), seed: 1)
        try other.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(rng: SeededRandom(seed: 1)),
                             image: ImageShape(height: 5, width: 5), dataIdentity: "").write(to: dir + "/other.ckpt")
        let result = try run("vae-embed", ["--checkpoint", dir + "/other.ckpt", "--data", dir + "/shards", "--out", dir + "/l.csv"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "vae-embed: the checkpoint \(dir)/other.ckpt takes inputs of 25 pixels, but the images of \(dir)/shards are 4x4 = 16 pixels\n")
        XCTAssertEqual(directoryListing(dir), ["model.ckpt", "other.ckpt", "shards"])
    }

    func testBadCheckpointsAreOneLineErrorsAndWriteNothing() throws {
        let dir = try makeFixture()
        var bytes = try FileIO.read(dir + "/model.ckpt")
        bytes[8] = 3  // format version 3
        try AtomicFile.write(bytes, to: dir + "/v3.ckpt")
        bytes[8] = 2
        bytes[bytes.count / 2] ^= 0xFF
        try AtomicFile.write(bytes, to: dir + "/damaged.ckpt")
        try AtomicFile.write(Array(bytes[0..<100]), to: dir + "/short.ckpt")
        let cases: [(String, String)] = [
            ("missing.ckpt", "no such file"), ("v3.ckpt", "checkpoint format version 3, expected 1 or 2"),
            ("damaged.ckpt", "checksum mismatch"), ("short.ckpt", "truncated"),
        ]
        for (file, message) in cases {
            for tool in ["vae-embed", "vae-generate"] {
                let arguments = tool == "vae-embed"
                    ? ["--checkpoint", dir + "/" + file, "--data", dir + "/shards", "--out", dir + "/out.csv"]
                    : ["samples", "--checkpoint", dir + "/" + file, "--out", dir + "/out.png"]
                let result = try run(tool, arguments)
                XCTAssertEqual(result.status, 1, "\(tool) \(file)")
                XCTAssertTrue(result.stderr.contains(message), "\(tool) \(file): \(result.stderr)")
                XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, result.stderr)
            }
        }
        XCTAssertEqual(directoryListing(dir), ["damaged.ckpt", "model.ckpt", "shards", "short.ckpt", "v3.ckpt"])
    }

    func testEverySheetIsWritten() throws {
        let dir = try makeFixture()
        let common = ["--checkpoint", dir + "/model.ckpt", "--scale", "3", "--pad", "1", "--seed", "4"]
        let sheets: [(String, [String], rows: Int, cols: Int)] = [
            ("samples", ["--rows", "3", "--cols", "5"], 3, 5),
            ("reconstructions", ["--data", dir + "/shards", "--count", "10", "--cols", "4"], 6, 4),
            ("manifold", ["--steps", "7", "--dims", "3,1"], 7, 7),
            ("traverse", ["--data", dir + "/shards", "--index", "11", "--steps", "5"], 3, 5),
            ("traverse", ["--dims", "2", "--steps", "9", "--range", "2"], 1, 9),
            ("interpolate", ["--data", dir + "/shards", "--split", "train", "--from", "0", "--to", "39", "--steps", "6"], 1, 6),
        ]
        for (k, (command, options, rows, cols)) in sheets.enumerated() {
            let out = dir + "/sheet\(k).png"
            let result = try run("vae-generate", [command] + common + options + ["--out", out])
            XCTAssertEqual(result.status, 0, "\(command): \(result.stderr)")
            let image = try PNGCodec.decodeGray(try FileIO.read(out), path: out)
            XCTAssertEqual(image.width, cols * 4 * 3 + (cols + 1) * 1, command)
            XCTAssertEqual(image.height, rows * 4 * 3 + (rows + 1) * 1, command)
        }
        // The same seed gives the same bytes, another seed other bytes.
        let again = try run("vae-generate", ["samples"] + common + ["--rows", "3", "--cols", "5", "--out", dir + "/again.png"])
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(try FileIO.read(dir + "/again.png"), try FileIO.read(dir + "/sheet0.png"))
        let other = try run("vae-generate", ["samples", "--checkpoint", dir + "/model.ckpt", "--scale", "3", "--pad", "1",
                                             "--seed", "5", "--rows", "3", "--cols", "5", "--out", dir + "/other.png"])
        XCTAssertEqual(other.status, 0)
        XCTAssertNotEqual(try FileIO.read(dir + "/other.png"), try FileIO.read(dir + "/sheet0.png"))
    }

    func testBadSheetOptionsAreOneLineErrorsAndWriteNothing() throws {
        let dir = try makeFixture()
        let ckpt = ["--checkpoint", dir + "/model.ckpt", "--out", dir + "/bad.png"]
        let cases: [([String], String)] = [
            (["manifold", "--dims", "1,4"] + ckpt,
             "vae-generate manifold: --dims 4 is outside the latent dimensions of the checkpoint (1 to 3)\n"),
            (["traverse", "--dims", "0"] + ckpt,
             "vae-generate traverse: --dims 0 is outside the latent dimensions of the checkpoint (1 to 3)\n"),
            (["interpolate", "--data", dir + "/shards", "--from", "0", "--to", "12"] + ckpt,
             "vae-generate interpolate: example 12 is outside the test split of \(dir)/shards (12 examples, indices 0 to 11)\n"),
            (["samples", "--rows", "5000", "--cols", "5000"] + ckpt,
             "vae-generate samples: a sheet of 5000x5000 tiles is over the limit of 65536 tiles\n"),
        ]
        for (arguments, message) in cases {
            let result = try run("vae-generate", arguments)
            XCTAssertEqual(result.status, 1, arguments.joined(separator: " "))
            XCTAssertEqual(result.stderr, message)
        }
        // Rejected by validate() before anything is read: ArgumentParser's usage error, status 64.
        for arguments in [["samples", "--rows", "0"], ["manifold", "--steps", "1"], ["samples", "--scale", "0"],
                          ["interpolate", "--data", dir + "/shards", "--from", "0", "--to", "1", "--steps", "1"]] {
            let result = try run("vae-generate", arguments + ckpt)
            XCTAssertEqual(result.status, 64, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.hasPrefix("Error: "), result.stderr)
        }
        XCTAssertEqual(directoryListing(dir), ["model.ckpt", "shards"])
    }

    func testTheImageShapeComesFromTheCheckpointOrTheData() throws {
        // 16 inputs recorded as 2 x 8: a manifold tile is 8 wide and 2 high.
        let dir = try makeFixture(image: ImageShape(height: 2, width: 8))
        let result = try run("vae-generate", ["manifold", "--checkpoint", dir + "/model.ckpt", "--steps", "3", "--pad", "0",
                                              "--out", dir + "/m.png"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let image = try PNGCodec.decodeGray(try FileIO.read(dir + "/m.png"), path: "m.png")
        XCTAssertEqual([image.width, image.height], [24, 6])
        // With --data, the artifact's 4 x 4 wins.
        let withData = try run("vae-generate", ["manifold", "--checkpoint", dir + "/model.ckpt", "--steps", "3", "--pad", "0",
                                                "--data", dir + "/shards", "--out", dir + "/d.png"])
        XCTAssertEqual(withData.status, 0, withData.stderr)
        let square = try PNGCodec.decodeGray(try FileIO.read(dir + "/d.png"), path: "d.png")
        XCTAssertEqual([square.width, square.height], [12, 12])
    }
}
