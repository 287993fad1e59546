// End to end: the built vae-generate's curves, scatter and runs subcommands: their exit status,
// their one-line errors naming the file, the same PNG bytes twice, nothing written on failure.
import Foundation
import TestSupport
import VAECore
import XCTest

final class PlotCommandTests: XCTestCase {
    private func generate(_ arguments: [String]) throws -> ProcessResult {
        try runTool(executable("vae-generate"), arguments)
    }

    private func scratch() throws -> String {
        let dir = try makeScratchDirectory(self)
        try AtomicFile.write("epoch,train_loss,test_loss\n1,90.5,85\n2,80,79.5\n3,75,76\n", to: dir + "/metrics.csv")
        var latents = "index,split,label,mu_1,mu_2,mu_3\r\n"
        for i in 0..<60 { latents += "\(i),\(i < 30 ? "train" : "test"),\(["a", "b"][i % 2]),\(i % 7),\(i % 5),\(Float(i) / 9)\r\n" }
        try AtomicFile.write(latents, to: dir + "/latents.csv")
        return dir
    }

    func testCurvesWritesTheSamePNGTwice() throws {
        let dir = try scratch()
        for name in ["a.png", "b.png"] {
            let result = try generate(["curves", "--csv", dir + "/metrics.csv", "--x", "epoch", "--y", "train_loss,test_loss",
                                       "--out", dir + "/" + name, "--title", "losses"])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let a = try FileIO.read(dir + "/a.png")
        XCTAssertEqual(a, try FileIO.read(dir + "/b.png"))
        XCTAssertEqual(Array(a[1..<4]), Array("PNG".utf8))
    }

    func testCurvesOfARunWithoutTestExamplesDrawTheTrainLoss() throws {
        // metrics.csv of a run without test examples: the test losses are empty fields.
        let dir = try scratch()
        try AtomicFile.write("epoch,train_loss,test_loss\n1,90.5,\n2,80,\n", to: dir + "/metrics.csv")
        let result = try generate(["curves", "--csv", dir + "/metrics.csv", "--x", "epoch", "--y", "train_loss,test_loss",
                                   "--out", dir + "/c.png"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(FileIO.exists(dir + "/c.png"))
    }

    func testCurvesNamesTheFileOfAMissingColumnAndWritesNothing() throws {
        let dir = try scratch()
        let result = try generate(["curves", "--csv", dir + "/metrics.csv", "--x", "epoch", "--y", "kl", "--out", dir + "/c.png"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "vae-generate curves: \(dir)/metrics.csv: has no column \"kl\" (columns: epoch, train_loss, test_loss)\n")
        XCTAssertEqual(directoryListing(dir), ["latents.csv", "metrics.csv"])
    }

    func testScatterProjectionsAndErrors() throws {
        let dir = try scratch()
        for (name, extra) in [("pca.png", ["--pca"]), ("dims.png", ["--dims", "3,1"]), ("auto.png", ["--split", "all", "--max-points", "7"])] {
            let result = try generate(["scatter", "--latents", dir + "/latents.csv", "--out", dir + "/" + name] + extra)
            XCTAssertEqual(result.status, 0, "\(extra): \(result.stderr)")
            XCTAssertTrue(FileIO.exists(dir + "/" + name))
        }
        let both = try generate(["scatter", "--latents", dir + "/latents.csv", "--out", dir + "/x.png", "--pca", "--dims", "1,2"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("give --dims or --pca, not both"), both.stderr)
        let range = try generate(["scatter", "--latents", dir + "/latents.csv", "--out", dir + "/x.png", "--dims", "1,9"])
        XCTAssertEqual(range.status, 1)
        XCTAssertEqual(range.stderr, "vae-generate scatter: --dims 1,9: \(dir)/latents.csv has latent dimensions 1 to 3\n")
        XCTAssertFalse(FileIO.exists(dir + "/x.png"))
    }

    func testRunsOnAnEmptyPipelineAndAMissingOne() throws {
        let dir = try scratch()
        let empty = try generate(["runs", "--artifacts", dir, "--format", "csv"])
        XCTAssertEqual(empty.status, 0, empty.stderr)
        XCTAssertEqual(empty.stdout, "id,status,finished,objective,prior,epochs,test_neg_elbo,test_recon,test_kl,median_epoch_s,latest\r\n")
        let missing = try generate(["runs", "--artifacts", dir + "/nothing"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "vae-generate runs: \(dir)/nothing: is not a directory of pipeline artifacts\n")
    }
}
