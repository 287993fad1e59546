// vae-ingest idx --label-names: the names (from a file, one per line, or a comma list) replace
// "0", "1", ... in the manifest; a list whose length differs from the classes present is an
// error naming the labels file, with no artifact written.
import Foundation
import TestSupport
import VAECore
import VAEShards
import XCTest

final class LabelNamesTests: XCTestCase {
    private let tool = executable("vae-ingest")

    private func inputs(_ dir: String, classes: Int) throws -> [String] {
        let count = 12
        try AtomicFile.write(IDXFixtures.images(count: count, rows: 4, columns: 4, pixels: patternBytes(count: count * 16, seed: 2)),
                             to: dir + "/images")
        try AtomicFile.write(IDXFixtures.labels((0..<count).map { UInt8($0 % classes) }), to: dir + "/labels")
        return ["idx", "--images", dir + "/images", "--labels", dir + "/labels"]
    }

    func testNamesFromAFileOrAListGoIntoTheManifest() throws {
        let dir = try makeScratchDirectory(self)
        let args = try inputs(dir, classes: 3)
        try AtomicFile.write("T-shirt/top\nAnkle boot\n\nBag\n", to: dir + "/names.txt")
        var result = try runTool(tool, args + ["--label-names", dir + "/names.txt", "--out", dir + "/a"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try ShardDataset(directory: dir + "/a").manifest.labelNames, ["T-shirt/top", "Ankle boot", "Bag"])
        result = try runTool(tool, args + ["--label-names", "x, y,z", "--out", dir + "/b"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try ShardDataset(directory: dir + "/b").manifest.labelNames, ["x", "y", "z"])
    }

    func testANamesListOfAnotherLengthIsAnError() throws {
        let dir = try makeScratchDirectory(self)
        let args = try inputs(dir, classes: 3)
        for names in ["a,b", "a,b,c,d"] {
            let result = try runTool(tool, args + ["--label-names", names, "--out", dir + "/out"])
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.stderr.contains(dir + "/labels") && result.stderr.contains("the labels hold 3 classes"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out/manifest.json"))
        }
        let result = try runTool(tool, args + ["--label-names", "a,a,b", "--out", dir + "/out"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("distinct"), result.stderr)
    }
}
