// End to end: summary.json's test_psnr_db against the same figure computed another way, from
// the built tools' files: vae-embed writes the test split's mu, vae-generate decode turns each
// row into a PNG, and the PSNR of those PNGs against the shards' test images is computed here.
import Foundation
import TestSupport
import VAECore
import VAEImages
import VAEShards
import XCTest

final class ReconstructionPSNRTests: XCTestCase {
    private func run(_ tool: String, _ arguments: [String]) throws -> ProcessResult {
        let result = try runTool(executable(tool), arguments)
        XCTAssertEqual(result.status, 0, "\(tool): \(result.stderr)")
        return result
    }

    func testTheSummarysPSNRIsTheDecodedPNGsPSNR() throws {
        let dir = try makeScratchDirectory(self)
        let data = dir + "/data", train = dir + "/run"
        _ = try run("vae-ingest", ["synthetic", "--train", "600", "--test", "45", "--size", "8", "--color", "rgb",
                                   "--out", data, "--shard-size", "100", "--quiet"])
        let result = try run("vae-train", ["--data", data, "--out", train, "--hidden", "48", "--latent", "4", "--epochs", "4",
                                           "--batch-size", "16", "--threads", "2", "--seed", "2"])
        _ = try run("vae-embed", ["--checkpoint", train + "/model.ckpt", "--data", data, "--split", "test", "--out", dir + "/latents.csv"])
        _ = try run("vae-generate", ["decode", "--checkpoint", train + "/model.ckpt", "--latents", dir + "/latents.csv",
                                     "--out", dir + "/decoded"])

        let dataset = try ShardDataset(directory: data)
        let d = dataset.shape.pixels  // H·W·C
        XCTAssertEqual(dataset.shape.channels, 3)
        var squaredError = 0.0, index = 0
        let stream = dataset.stream(.test)
        while let block = try stream.next() {
            for n in 0 ..< block.count {
                let path = dir + "/decoded/test-\(index).png"
                let bytes = try FileIO.read(path)
                let image = try bytes.withUnsafeBytes { try PNGCodec.decode($0, path: path, mode: .rgb) }
                guard image.pixels.count == d else { return XCTFail("\(path): \(image.pixels.count) samples, expected \(d)") }
                for j in 0 ..< d {
                    let e = Double(image.pixels[j]) / 255 - Double(block.pixels[n * d + j]) / 255
                    squaredError += e * e
                }
                index += 1
            }
        }
        XCTAssertEqual(index, 45)
        let fromPNGs = 10 * log10(1 / (squaredError / Double(45 * d)))

        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try FileIO.read(train + "/summary.json"))) as? [String: Any])
        let psnr = try XCTUnwrap(summary["test_psnr_db"] as? Double), meanImage = try XCTUnwrap(summary["mean_image_psnr_db"] as? Double)
        // The PNGs round each intensity to the nearest of 256 levels, moving it by at most 1/510.
        // Those errors are nearly independent of the reconstruction's, so they add about their mean
        // square, 1 / (12 · 255²) = 1.3e-6, to the MSE: 10 log10(1 + 1.3e-6 / MSE) dB, under 0.01 dB
        // for any MSE over 3e-4 (a PSNR under 35 dB). 0.05 dB leaves room for the rest: the
        // embedding's and decoding's pieces differ from training's, and differ in the last bits.
        XCTAssertEqual(fromPNGs, psnr, accuracy: 0.05, "summary.json \(psnr) dB, the PNGs \(fromPNGs) dB")
        XCTAssertLessThan(psnr, 35, "the tolerance's reasoning holds")
        XCTAssertNotEqual(fromPNGs, meanImage, accuracy: 0.05, "the decoded images are not the mean image")
        XCTAssertEqual(summary["active_units_split"] as? String, "test")
        let activeUnits = try XCTUnwrap(summary["active_units"] as? Int)
        XCTAssertTrue(result.stdout.contains(String(format: "; %d/4 active units; reconstruction PSNR %.2f dB (mean image %.2f dB); median epoch ",
                                                    activeUnits, psnr, meanImage)), result.stdout)
        // A run this short may not beat the mean image by 1 dB: then, and only then, it says so.
        XCTAssertEqual(result.stderr.contains("warning: the model ignores its input"), activeUnits == 0 || psnr - meanImage < 1, result.stderr)
    }
}
