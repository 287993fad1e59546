// The built tools on data without test examples, from each way vae-ingest makes such data (a
// folder without a test option, IDX without test files, a --test-fraction too small for any
// file): vae-train runs to the end and writes model.ckpt, and summary.json with null test
// figures; the terminal says n/a. And the final line of a run with test examples, rounded.
import Foundation
import TestSupport
import VAECore
import VAEShards
import XCTest

final class EmptyTestSplitTests: XCTestCase {
    private let ingest = executable("vae-ingest")
    private let train = executable("vae-train")

    /// `make-photos`: `count` photos of 12x10 in two class folders.
    private func photos(_ dir: String, count: Int) throws -> String {
        let result = try runTool(ingest, ["make-photos", "--out", dir + "/photos", "--count", "\(count)", "--classes", "2", "--size", "12x10"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return dir + "/photos"
    }

    /// Ingests with `arguments` into DIR/data, which must hold no test example, trains on it
    /// for two epochs (the importance-weighted bound asked for too) and checks what the run says
    /// and writes.
    private func trainWithoutTestExamples(_ dir: String, ingesting arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        var result = try runTool(ingest, arguments + ["--out", dir + "/data", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        let data = try ShardDataset(directory: dir + "/data")
        XCTAssertEqual(data.count(.test), 0, "the data has no test example", file: file, line: line)
        XCTAssertGreaterThan(data.count(.train), 0, file: file, line: line)

        let run = dir + "/run"
        result = try runTool(train, ["--data", dir + "/data", "--out", run, "--epochs", "2", "--hidden", "8", "--latent", "2",
                                     "--batch-size", "4", "--threads", "1", "--iwae-k", "4", "--iwae-n", "2"])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains("warning: the test split holds no examples: no importance-weighted bound (--iwae-k)\n"),
                      result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(", test -ELBO n/a, "), result.stderr, file: file, line: line)  // the epochs' lines
        // The active units over the train split, no PSNR.
        XCTAssertNotNil(result.stdout.firstMatch(of: #/^test negative ELBO n/a \(no test examples\); [0-2]/2 active units \(train split\); median epoch /#),
                        result.stdout, file: file, line: line)
        XCTAssertTrue(result.stdout.hasSuffix(" s; model \(run)/model.ckpt\n"), result.stdout, file: file, line: line)
        XCTAssertTrue(FileIO.exists(run + "/model.ckpt"), file: file, line: line)

        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try FileIO.read(run + "/summary.json"))) as? [String: Any])
        XCTAssertEqual(summary["epochs"] as? Int, 2, file: file, line: line)
        for key in ["test_neg_elbo", "test_recon", "test_kl", "iwae_nll", "test_psnr_db", "mean_image_psnr_db"] {
            XCTAssertTrue(summary[key] is NSNull, "\(key): \(String(describing: summary[key]))", file: file, line: line)
        }
        let metrics = try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(metrics.count, 3, file: file, line: line)
        let columns = metrics[0].split(separator: ",")
        let testLoss = try XCTUnwrap(columns.firstIndex(of: "test_loss"), file: file, line: line)
        XCTAssertEqual(columns[testLoss ..< testLoss + 3], ["test_loss", "test_recon", "test_kl"], file: file, line: line)
        XCTAssertEqual(metrics[2].split(separator: ",", omittingEmptySubsequences: false)[testLoss ..< testLoss + 3], ["", "", ""],
                       file: file, line: line)
        for name in ["summary.json", "history.json", "metrics.csv"] {
            assertNoNaN(try String(contentsOfFile: run + "/" + name, encoding: .utf8), name, file: file, line: line)
        }
        assertNoNaN(result.stdout + result.stderr, "the output", file: file, line: line)
    }

    func testAFolderWithoutATestOption() throws {
        let dir = try makeScratchDirectory(self)
        try trainWithoutTestExamples(dir, ingesting: ["images", "--root", try photos(dir, count: 8)])
    }

    func testIDXWithoutTestFiles() throws {
        let dir = try makeScratchDirectory(self)
        let images = try writeFixture(IDXFixtures.images(count: 12, rows: 6, columns: 5, pixels: patternBytes(count: 12 * 30, seed: 3)),
                                      in: dir, at: "train-images-idx3-ubyte")
        let labels = try writeFixture(IDXFixtures.labels((0..<12).map { UInt8($0 % 3) }), in: dir, at: "train-labels-idx1-ubyte")
        try trainWithoutTestExamples(dir, ingesting: ["idx", "--images", images, "--labels", labels, "--classes", "3"])
    }

    func testATestFractionTooSmallForAnyFile() throws {
        // One photo per class: no file is held out at 0.001, whether the fraction is drawn per
        // file or at least one file per class is (which would leave a class with no train file).
        let dir = try makeScratchDirectory(self)
        try trainWithoutTestExamples(dir, ingesting: ["images", "--root", try photos(dir, count: 2), "--test-fraction", "0.001"])
    }

    func testTheFinalLineIsRounded() throws {
        let dir = try makeScratchDirectory(self)
        var result = try runTool(ingest, ["synthetic", "--train", "40", "--test", "8", "--size", "6", "--out", dir + "/data", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        result = try runTool(train, ["--data", dir + "/data", "--out", dir + "/run", "--epochs", "2", "--hidden", "8", "--latent", "2",
                                     "--batch-size", "8", "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        // test negative ELBO 182.35 nats (recon 182.30, KL 0.06); 1/2 active units; reconstruction PSNR 9.81 dB
        // (mean image 9.75 dB); median epoch 0.00186 s; model RUN/model.ckpt
        let pattern = #"^test negative ELBO \d+\.\d\d nats \(recon \d+\.\d\d, KL -?\d+\.\d\d\); [0-2]/2 active units; "#
            + #"reconstruction PSNR \d+\.\d\d dB \(mean image \d+\.\d\d dB\); median epoch ([0-9.]+) s; model "#
        let line = result.stdout
        let match = try XCTUnwrap(line.firstMatch(of: try Regex(pattern)), line)
        let seconds = try XCTUnwrap(match.output[1].substring.map(String.init))
        let significant = seconds.filter(\.isNumber).drop { $0 == "0" }
        XCTAssertTrue((3...4).contains(significant.count), "\(seconds) s: three significant digits (four when it rounds up to a power of ten)")
        XCTAssertTrue(line.hasSuffix("; model \(dir)/run/model.ckpt\n"), line)
    }
}
