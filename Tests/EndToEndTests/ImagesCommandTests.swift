// The built `vae-ingest images` on a folder with a bad file: stopping with one line naming it and
// no artifact, or skipping it with --skip-bad, in color, with the counts in `info --json`; a
// nested tree, its class table in `info` and a link loop in it; the notice when there is no test
// split; `synthetic --color rgb` and `make-photos`; the `png` alias.
import Foundation
import TestSupport
import VAECore
import VAEShards
import XCTest

final class ImagesCommandTests: XCTestCase {
    private let tool = executable("vae-ingest")

    /// `make-photos` into `dir/photos`: `count` JPEGs in two classes.
    private func makePhotos(in dir: String, count: Int, size: String) throws {
        let result = try runTool(tool, ["make-photos", "--out", dir + "/photos", "--count", String(count), "--classes", "2", "--size", size])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testBadFileStopsOrIsSkipped() throws {
        let dir = try makeScratchDirectory(self)
        try makePhotos(in: dir, count: 6, size: "40x30")
        try writeFixture(Array("GIF89a".utf8), in: dir, at: "photos/class-1/not-a.jpg")
        try writeFixture(Array("read me".utf8), in: dir, at: "photos/README.txt")
        let common = ["images", "--root", dir + "/photos", "--size", "16x16", "--color", "rgb", "--background", "10,20,30"]

        var result = try runTool(tool, common + ["--out", dir + "/art"])
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

    /// A nested tree with a test fraction below every file's own score: each class still gets a
    /// test image, no notice, and `info` shows the classes as a table (and `class_counts` in JSON).
    func testNestedTreeSplitAndClassTable() throws {
        let dir = try makeScratchDirectory(self)
        let tree = try FolderFixtures.nestedTree(in: dir)
        var result = try runTool(tool, ["images", "--root", tree.root, "--test-fraction", "0.000001", "--size", "8x8",
                                        "--color", "rgb", "--out", dir + "/art"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        XCTAssertTrue(result.stdout.hasPrefix("wrote \(dir)/art: 7 train + 2 test examples"), result.stdout)
        result = try runTool(tool, ["info", dir + "/art"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let table = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("classes") })
        XCTAssertEqual(Array(lines[table...].prefix(3)), [
            "classes   label  train  test  name",
            "              0      4     1  birds",
            "              1      3     1  cats",
        ])
        result = try runTool(tool, ["info", "--json", dir + "/art"])
        let summary = try JSONCoding.decode(ArtifactSummary.self, from: Array(result.stdout.utf8), path: "stdout")
        XCTAssertEqual(summary.classCounts, [ArtifactSummary.ClassCount(label: 0, name: "birds", train: 4, test: 1),
                                             ArtifactSummary.ClassCount(label: 1, name: "cats", train: 3, test: 1)])

        // A link loop in the tree: one line naming the link, exit 1, no artifact.
        try FileManager.default.createSymbolicLink(atPath: tree.root + "/birds/2019/june/again", withDestinationPath: "../..")
        result = try runTool(tool, ["images", "--root", tree.root, "--size", "8x8", "--skip-bad", "--out", dir + "/loop"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "vae-ingest: \(tree.root)/birds/2019/june/again: symbolic link loop: it leads back to \(tree.root)/birds, a folder that holds it\n")
        XCTAssertFalse(FileIO.exists(dir + "/loop"))
    }

    /// No test split: a one-line notice on stderr naming the options that make one, and why when
    /// a test option was given; none with --quiet.
    func testNoTestSplitNotice() throws {
        let dir = try makeScratchDirectory(self)
        try makePhotos(in: dir, count: 4, size: "16x16")
        let common = ["images", "--root", dir + "/photos", "--force"]
        var result = try runTool(tool, common + ["--out", dir + "/a"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("4 train + 0 test"), result.stdout)
        XCTAssertEqual(result.stderr, "vae-ingest: notice: no test split; --test-fraction F or --test-root DIR makes one\n")
        result = try runTool(tool, common + ["--out", dir + "/a", "--test-fraction", "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "vae-ingest: notice: no test split (--test-fraction 0.0 held out no image); --test-fraction F or --test-root DIR makes one\n")
        result = try runTool(tool, common + ["--out", dir + "/a", "--quiet"])
        XCTAssertEqual([String(result.status), result.stdout, result.stderr], ["0", "", ""])
        // Two images a class: a small fraction still gives a test split, and no notice.
        result = try runTool(tool, common + ["--out", dir + "/a", "--test-fraction", "0.01"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("2 train + 2 test"), result.stdout)
        XCTAssertEqual(result.stderr, "")
    }

    func testSyntheticInColor() throws {
        let dir = try makeScratchDirectory(self)
        let result = try runTool(tool, ["synthetic", "--train", "20", "--test", "4", "--size", "8", "--color", "rgb", "--out", dir + "/rgb"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try ShardDataset(directory: dir + "/rgb").shape, ImageShape(height: 8, width: 8, channels: 3))
    }
}
