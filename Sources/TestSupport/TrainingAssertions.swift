// What the tests of distributed training compare: a run of N ranks of 1 thread against 1 process
// of N threads, which slice the batch and sum the gradients alike (docs/DISTRIBUTED.md). Shared by
// the in-process tests on thread ranks (VAETrainTests) and the mpirun ones (EndToEndTests).
import Foundation
import VAECore
import VAETrain
import XCTest

/// The test split's negative ELBO that run `run` recorded in its summary.json.
public func testNegativeELBO(ofRun run: String) throws -> Double {
    let object = try JSONSerialization.jsonObject(with: Data(try FileIO.read(run + "/summary.json"))) as? [String: Any]
    return try XCTUnwrap(object?["test_neg_elbo"] as? Double)
}

/// Asserts that the model.ckpt of run `ranks` (`count` ranks of 1 thread) holds the bytes of run
/// `threads`'s (1 process of `count` threads) but for the counts each records (and the settings,
/// which may differ in what does not change training: taken from `ranks`'s), and that both
/// evaluate to the same test figures.
public func assertSameTraining(ranks: String, threads: String, count: Int,
                               file: StaticString = #filePath, line: UInt = #line) throws {
    let a = try Checkpoint.read(from: ranks + "/model.ckpt")
    var b = try Checkpoint.read(from: threads + "/model.ckpt")
    XCTAssertEqual(a.ranks, count, file: file, line: line)
    XCTAssertEqual(a.threads, 1, file: file, line: line)
    XCTAssertEqual(b.ranks, 1, file: file, line: line)
    XCTAssertEqual(b.threads, count, file: file, line: line)
    b.ranks = a.ranks
    b.threads = a.threads
    b.settings = a.settings
    let differences = zip(a.parameters, b.parameters).map { abs($0 - $1) }.filter { $0 != 0 }
    XCTAssertTrue(a.parameters == b.parameters, "parameters: \(differences.count) of \(a.parameters.count) differ, the largest by \(differences.max() ?? 0)",
                  file: file, line: line)
    XCTAssertTrue(try a.encoded() == b.encoded(), "checkpoint bytes differ", file: file, line: line)
    // The same weights evaluate to the same figures: inference's bits depend on no count.
    XCTAssertEqual(try testNegativeELBO(ofRun: ranks), try testNegativeELBO(ofRun: threads), "test ELBO", file: file, line: line)
}
