// The run's figures as files: history.json and summary.json written before the test figures
// could be null still read, a run without a test split writes and reads back null, and a file
// with one test figure null and the other a number (or a key missing) is refused.
import TestSupport
import VAECore
import VAEModel
import XCTest
@testable import VAETrain

final class MetricsTests: XCTestCase {
    /// One epoch of history.json with `test` as its test fields.
    private func historyJSON(test: String) -> [UInt8] {
        Array("""
        [{"epoch":1,"examples_per_second":1000,"seconds":0.5,"step":19,\(test)"train_kl":3,"train_loss":90,"train_recon":87}]
        """.utf8)
    }

    private func decodeHistory(test: String) throws -> [EpochMetrics] {
        try JSONCoding.decode([EpochMetrics].self, from: historyJSON(test: test), path: "history.json")
    }

    func testHistoryWithNumbersOrNullsReads() throws {
        let old = try decodeHistory(test: "\"test_kl\":4,\"test_recon\":80,")
        XCTAssertEqual(old[0].test, LossParts(total: 84, reconstruction: 80, kl: 4))
        XCTAssertEqual(old[0].train.total, 90)
        let none = try decodeHistory(test: "\"test_kl\":null,\"test_recon\":null,")
        XCTAssertNil(none[0].test)
        // History from before step budgets records no examples: an empty field.
        XCTAssertEqual(none[0].csvRow, "1,19,,90.0,87.0,3.0,,,,0.500,1000.0,")
        // The test objective of an IWAE run: the last field, read back.
        var iwae = none[0]
        iwae.testObjective = 81.25
        XCTAssertEqual(iwae.csvRow, "1,19,,90.0,87.0,3.0,,,,0.500,1000.0,81.25")
        XCTAssertEqual(try JSONCoding.decode([EpochMetrics].self, from: try JSONCoding.encode([iwae]), path: "history.json"), [iwae])
        // Written and read back: null stays null.
        let again = try JSONCoding.decode([EpochMetrics].self, from: try JSONCoding.encode(none), path: "history.json")
        XCTAssertEqual(again, none)
        XCTAssertTrue(String(decoding: try JSONCoding.encode(none), as: UTF8.self).contains("\"test_recon\" : null"))
    }

    func testHistoryWithOneTestFigureOrAMissingKeyIsRefused() {
        for test in ["\"test_kl\":null,\"test_recon\":80,", "\"test_kl\":4,\"test_recon\":null,", "\"test_recon\":80,", ""] {
            assertDataError(.corrupt, path: "history.json") { _ = try decodeHistory(test: test) }
        }
    }

    func testSummariesWrittenBeforeAndAfterReadTheSame() throws {
        // As vae-train wrote it before the test figures could be null: no iwae keys.
        let old = """
            {"epoch_seconds":[0.5,0.25],"epochs":2,"examples_per_second":1000,"median_epoch_seconds":0.375,\
            "phase_seconds":{"checkpoints":0,"compute":1,"data":0,"evaluation":0},"steps":38,"test_kl":3.5,\
            "test_neg_elbo":80,"test_recon":76.5,"train_loss":70}
            """
        let summary = try JSONCoding.decode(RunSummary.self, from: Array(old.utf8), path: "summary.json")
        XCTAssertEqual(summary.testNegElbo, 80)
        XCTAssertNil(summary.iwaeNll)
        let written = String(decoding: try JSONCoding.encode(summary), as: UTF8.self)
        XCTAssertTrue(written.contains("\"iwae_nll\" : null"), written)
        XCTAssertEqual(try JSONCoding.decode(RunSummary.self, from: Array(written.utf8), path: "summary.json"), summary)

        var none = summary
        none.testNegElbo = nil
        none.testRecon = nil
        none.testKl = nil
        let text = String(decoding: try JSONCoding.encode(none), as: UTF8.self)
        for key in ["test_neg_elbo", "test_recon", "test_kl"] { XCTAssertTrue(text.contains("\"\(key)\" : null"), text) }
        XCTAssertEqual(try JSONCoding.decode(RunSummary.self, from: Array(text.utf8), path: "summary.json"), none)
    }
}
