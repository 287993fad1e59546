// vae-embed's command line parsed in process: the options become typed values with the defaults
// its help states, and every value validate() refuses is pinned to its message.
import ArgumentParser
import Foundation
@testable import VAEEmbedCommand
import VAEVisual
import XCTest

final class EmbedCommandParsingTests: XCTestCase {
    private let required = ["--checkpoint", "model.ckpt", "--data", "shards", "--out", "latents.csv"]

    private func parse(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> EmbedCommand {
        try parseCommand(EmbedCommand.self, arguments, as: EmbedCommand.self, file: file, line: line)
    }

    private func error(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> String {
        parseError(EmbedCommand.self, arguments, file: file, line: line)
    }

    func testDefaults() throws {
        let embed = try parse(required)
        XCTAssertEqual([embed.checkpoint, embed.data, embed.out], ["model.ckpt", "shards", "latents.csv"])
        XCTAssertEqual(embed.split, .all)
        XCTAssertFalse(embed.withLogvar)
        XCTAssertEqual(embed.samples, 0)
        XCTAssertEqual(embed.seed, 1)
        XCTAssertEqual(embed.batchSize, 1024)
        XCTAssertEqual(embed.threads, ProcessInfo.processInfo.activeProcessorCount)
    }

    func testGivenValues() throws {
        let embed = try parse(["--checkpoint", "m", "--data", "d", "--out", "-", "--split", "test", "--with-logvar",
                               "--samples", "\(Embedding.maxSamples)", "--seed", "18446744073709551615", "--batch-size", "65536",
                               "--threads", "1024"])
        XCTAssertEqual(embed.out, "-")
        XCTAssertEqual(embed.split, .test)
        XCTAssertTrue(embed.withLogvar)
        XCTAssertEqual(embed.samples, Embedding.maxSamples)
        XCTAssertEqual(embed.seed, UInt64.max)
        XCTAssertEqual([embed.batchSize, embed.threads], [65_536, 1024])
        XCTAssertEqual(try parse(required + ["--split", "train", "--batch-size", "1", "--threads", "1"]).split, .train)
    }

    func testBadValuesAreRefusedBeforeAnyWork() {
        XCTAssertEqual(error(required + ["--samples", "\(Embedding.maxSamples + 1)"]),
                       "--samples must be between 0 and \(Embedding.maxSamples), got \(Embedding.maxSamples + 1)")
        XCTAssertEqual(error(required + ["--samples=-1"]), "--samples must be between 0 and \(Embedding.maxSamples), got -1")
        XCTAssertEqual(error(required + ["--batch-size", "0"]), "--batch-size must be between 1 and 65536, got 0")
        XCTAssertEqual(error(required + ["--batch-size", "65537"]), "--batch-size must be between 1 and 65536, got 65537")
        XCTAssertEqual(error(required + ["--threads", "0"]), "--threads must be between 1 and 1024, got 0")
        XCTAssertEqual(error(required + ["--threads", "1025"]), "--threads must be between 1 and 1024, got 1025")
        XCTAssertEqual(error(["--checkpoint", "m", "--data", "d", "--out", ""]), "--out must name a file, or '-' for standard output")
        XCTAssertEqual(error(required + ["--split", "both"]),
                       "The value 'both' is invalid for '--split <split>'. Please provide one of 'train', 'test' or 'all'.")
        XCTAssertEqual(error(["--checkpoint", "m", "--data", "d"]), "Missing expected argument '--out <out>'")
    }
}
