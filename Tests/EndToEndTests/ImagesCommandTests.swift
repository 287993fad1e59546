// The built `vae-ingest images` on a folder with a bad file: stopping with one line naming it and
// no artifact, or skipping it with --skip-bad, in color, with the counts in `info --json`;
// `synthetic --color rgb` and `make-photos`; the `png` alias.
import Foundation
import TestSupport
import VAEData
import XCTest

final class ImagesCommandTests: XCTestCase {
    private let tool = executable("vae-ingest")

    func testBadFileStopsOrIsSkipped() throws {
        let dir = try makeScratchDirectory(self)
        var result = try runTool(tool, ["make-photos", "--out", dir + "/photos", "--count", "6", "--classes", "2", "--size", "40x30"])
        XCTAssertEqual(result.status, 0, result.stderr)
        try writeFixture(Array("GIF89a".utf8), in: dir, at: "photos/class-1/not-a.jpg")
        try writeFixture(Array("read me".utf8), in: dir, at: "photos/README.txt")
        let common = ["images", "--root", dir + "/photos", "--size", "16x16", "--color", "rgb", "--background", "10,20,30"]

        result = try runTool(tool, common + ["--out", dir + "/art"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "vae-ingest: \(dir)/photos/class-1/not-a.jpg: not a PNG or JPEG file (starts with 47 49 46 38 39 61)\n")
        XCTAssertEqual(directoryListing(dir).filter { $0 != "photos" }, [], "no artifact, no temporary directory")

        result = try runTool(tool, common + ["--out", dir + "/art", "--skip-bad"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("wrote \(dir)/art: 6 train + 0 test examples"), result.stdout)
        XCTAssertTrue(result.stdout.contains("class-1/not-a.jpg: not a PNG or JPEG file"), result.stdout)
        result = try runTool(tool, ["info", "--json", dir + "/art"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let info = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((info["image"] as! [String: Int])["channels"], 3)
        XCTAssertEqual(info["skipped"] as? Int, 1)
        XCTAssertEqual(info["stray_files"] as? Int, 1)
        XCTAssertEqual((info["parameters"] as! [String: Any])["background"] as? [Int], [10, 20, 30])
        result = try runTool(tool, ["verify", dir + "/art"])
        XCTAssertEqual(result.status, 0, result.stderr)

        // The old name still works, and a bad option value is refused before any work.
        result = try runTool(tool, ["png", "--root", dir + "/photos/class-0", "--out", dir + "/gray", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try ShardDataset(directory: dir + "/gray").shape, ImageShape(height: 30, width: 40, channels: 1))
        result = try runTool(tool, common + ["--out", dir + "/x", "--fit", "squash"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--fit"), result.stderr)
        result = try runTool(tool, ["images", "--root", dir + "/photos", "--out", dir + "/x", "--size", "0x16"])
        XCTAssertNotEqual(result.status, 0)
    }

    func testSyntheticInColor() throws {
        let dir = try makeScratchDirectory(self)
        let result = try runTool(tool, ["synthetic", "--train", "20", "--test", "4", "--size", "8", "--color", "rgb", "--out", dir + "/rgb"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try ShardDataset(directory: dir + "/rgb").shape, ImageShape(height: 8, width: 8, channels: 3))
    }
}
