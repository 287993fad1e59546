// Listing image folders, through folders of PNGs loaded whole (`PNGFolder`): class folders and flat
// folders, bytewise order, the label table, hidden files, the error cases, and the train/test split
// (deterministic, per file, roughly the asked fraction, at least one test file per class of two or
// more). Nested folders and links: FolderWalkTests.
import Foundation
import TestSupport
import VAEIngest
import XCTest

final class ImageListingTests: XCTestCase {
    /// Writes a 3x2 gray PNG whose pixels are all `value`.
    @discardableResult
    private func png(_ dir: String, _ relative: String, _ value: UInt8, width: Int = 3, height: Int = 2) throws -> String {
        try writeFixture(PNGFixtures.uniform(width: width, height: height, value: value), in: dir, at: relative)
    }

    func testClassFoldersGiveSortedLabelsAndFiles() throws {
        let root = try makeScratchDirectory(self)
        // Bytewise: "B" < "a" < "b"; "1.png" < "10.png" < "2.png".
        try png(root, "b/2.png", 52)
        try png(root, "b/10.png", 51)
        try png(root, "b/1.png", 50)
        try png(root, "a/x.png", 30)
        try png(root, "B/only.png", 10)
        // Ignored: hidden files and folders, files that are not PNGs.
        try writeFixture(Array("junk".utf8), in: root, at: ".DS_Store")
        try png(root, ".hidden/z.png", 99)
        try png(root, "a/.z.png", 99)
        try writeFixture(Array("read me".utf8), in: root, at: "README.txt")
        try writeFixture(Array("notes".utf8), in: root, at: "a/notes.txt")

        let loaded = try PNGFolder.load(root: root)
        XCTAssertEqual(loaded.labelNames, ["B", "a", "b"])
        XCTAssertEqual(loaded.files, ["B/only.png", "a/x.png", "b/1.png", "b/10.png", "b/2.png"])
        XCTAssertEqual(loaded.images.labels, [0, 1, 2, 2, 2])
        XCTAssertEqual([loaded.images.width, loaded.images.height, loaded.images.count], [3, 2, 5])
        XCTAssertEqual(loaded.images.pixels, [10, 30, 50, 51, 52].flatMap { [UInt8](repeating: $0, count: 6) })
        XCTAssertEqual(try PNGFolder.load(root: root), loaded, "the same folder gives the same set")
    }

    func testFlatFolderIsUnlabelledAndConvertsColor() throws {
        let root = try makeScratchDirectory(self)
        try png(root, "img2.png", 2)
        try png(root, "IMG1.PNG", 1)
        // An RGBA file among gray ones: converted by the documented rule (red opaque: 76).
        let rgba = try PNGFixtures.png(.rgba, bitDepth: 8, width: 3, height: 2, samples: [UInt16]((0..<6).flatMap { _ in [255, 0, 0, 255] }))
        try writeFixture(rgba, in: root, at: "img3.png")
        let loaded = try PNGFolder.load(root: root)
        XCTAssertNil(loaded.labelNames)
        XCTAssertNil(loaded.images.labels)
        XCTAssertEqual(loaded.files, ["IMG1.PNG", "img2.png", "img3.png"])
        XCTAssertEqual(loaded.images.pixels, [1, 2, 76].flatMap { [UInt8](repeating: $0, count: 6) })
    }

    func testFilesAndClassFoldersTogetherAreAnError() throws {
        let root = try makeScratchDirectory(self)
        try png(root, "cats/1.png", 1)
        try png(root, "stray.png", 2)
        assertDataError(.unsupported, path: root, contains: ["stray.png", "cats/", "class folders"]) {
            _ = try PNGFolder.load(root: root)
        }
    }

    func testMixedSizesNameTheFileAndBothSizes() throws {
        let root = try makeScratchDirectory(self)
        try png(root, "0/a.png", 1, width: 4, height: 4)
        try png(root, "0/b.png", 1, width: 4, height: 4)
        let odd = try png(root, "1/c.png", 1, width: 5, height: 3)
        try png(root, "1/d.png", 1, width: 6, height: 6)
        assertDataError(.mixedSizes, path: odd, contains: ["5x3", "4x4", root + "/0/a.png"]) {
            _ = try PNGFolder.load(root: root)
        }
    }

    func testEmptyFoldersAndMissingRoot() throws {
        let root = try makeScratchDirectory(self)
        let empty = try makeFixtureFolder(in: root, at: "empty")
        assertDataError(.emptyFolder, path: empty) { _ = try PNGFolder.load(root: empty) }
        let hiddenOnly = try makeFixtureFolder(in: root, at: "hidden")
        try png(hiddenOnly, ".a.png", 1)
        try writeFixture([1], in: hiddenOnly, at: "notes.txt")
        assertDataError(.emptyFolder, path: hiddenOnly) { _ = try PNGFolder.load(root: hiddenOnly) }
        // A class folder without PNGs is an error, not a silently empty class.
        let classes = try makeFixtureFolder(in: root, at: "classes")
        try png(classes, "a/1.png", 1)
        let noPNGs = try makeFixtureFolder(in: classes, at: "b")
        try writeFixture([1], in: noPNGs, at: "1.jpg")
        assertDataError(.emptyFolder, path: noPNGs, contains: ["class folder b"]) { _ = try PNGFolder.load(root: classes) }
        assertDataError(.missingFile, path: root + "/nope") { _ = try PNGFolder.load(root: root + "/nope") }
    }

    func testABadFileIsNamed() throws {
        let root = try makeScratchDirectory(self)
        try png(root, "a.png", 1)
        let bad = try writeFixture(Array("not a png at all".utf8), in: root, at: "b.png")
        assertDataError(.notPNG, path: bad) { _ = try PNGFolder.load(root: root) }
        try writeFixture([], in: root, at: "b.png")
        assertDataError(.emptyFile, path: bad) { _ = try PNGFolder.load(root: root) }
    }

    // MARK: Split

    func testTestScoreIsSHA256OfTheRelativePath() {
        // Values from Python: int.from_bytes(sha256(p).digest()[:8], "big") >> 11 / 2**53
        XCTAssertEqual(ImageListing.testScore("0/00001.png"), 0.05619583008455997)
        XCTAssertEqual(ImageListing.testScore("a.png"), 0.49620164686382295)
        XCTAssertTrue(ImageListing.isTest("0/00001.png", testFraction: 0.1))
        XCTAssertFalse(ImageListing.isTest("a.png", testFraction: 0.1))
    }

    func testSplitIsDeterministicPerFileAndRoughlyTheFraction() throws {
        let root = try makeScratchDirectory(self)
        for i in 0..<300 { try png(root, "\(i % 3)/\(String(format: "%05d", i)).png", UInt8(i % 251)) }
        let split = try PNGFolder.load(root: root, testFraction: 0.25)
        XCTAssertEqual(split.train.files.count + split.test.files.count, 300)
        XCTAssertTrue((50...100).contains(split.test.files.count), "\(split.test.files.count) of 300 in test")
        XCTAssertEqual(split.test.files, split.test.files.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }))
        for file in split.test.files { XCTAssertTrue(ImageListing.isTest(file, testFraction: 0.25), file) }
        for file in split.train.files { XCTAssertFalse(ImageListing.isTest(file, testFraction: 0.25), file) }
        XCTAssertEqual(split.train.labelNames, ["0", "1", "2"])
        XCTAssertEqual(split.test.labelNames, ["0", "1", "2"])
        // Pixels and labels travel with their files.
        for (set, files) in [(split.train, split.train.files), (split.test, split.test.files)] {
            XCTAssertEqual(set.images.count, files.count)
            for (k, file) in files.enumerated() {
                let i = Int(file.dropFirst(2).prefix(5))!
                XCTAssertEqual(set.images.pixels[k * 6], UInt8(i % 251), file)
                XCTAssertEqual(set.images.labels?[k], UInt16(i % 3), file)
            }
        }
        XCTAssertEqual(try PNGFolder.load(root: root, testFraction: 0.25), split, "same folder, same split")

        // Adding files moves no existing file to the other side.
        for i in 300..<340 { try png(root, "\(i % 3)/\(String(format: "%05d", i)).png", 0) }
        let grown = try PNGFolder.load(root: root, testFraction: 0.25)
        XCTAssertEqual(Set(grown.test.files).intersection(split.train.files), [])
        XCTAssertTrue(Set(split.test.files).isSubset(of: grown.test.files))
    }

    /// The first of `candidates` whose score satisfies `condition`.
    private func firstName(_ candidates: [String], where condition: (Double) -> Bool) throws -> String {
        try XCTUnwrap(candidates.first { condition(ImageListing.testScore($0)) })
    }

    /// A class whose files all score above the fraction still gets one test file, its lowest;
    /// a class of one file does not; adding files moves no file but that one.
    func testEveryClassOfTwoOrMoreFilesGetsATestFile() throws {
        let fraction = 0.1
        let root = try makeScratchDirectory(self)
        let a = (0..<60).map { "a/\($0).png" }
        let b = Array((0..<200).map { "b/\($0).png" }.filter { ImageListing.testScore($0) >= fraction }.prefix(5))
        let c = try firstName((0..<100).map { "c/\($0).png" }) { $0 >= fraction }
        for file in a + b + [c] { try png(root, file, 1) }
        XCTAssertEqual(b.count, 5)
        let own = a.filter { ImageListing.isTest($0, testFraction: fraction) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        XCTAssertFalse(own.isEmpty, "class a has test files of its own")

        let split = try PNGFolder.load(root: root, testFraction: fraction)
        let chosen = try XCTUnwrap(FolderFixtures.lowestScoring(b))
        XCTAssertEqual(split.test.files, own + [chosen], "a by the fraction alone, b its lowest score, c none")
        XCTAssertEqual(split.train.files.count, 66 - own.count - 1)
        XCTAssertEqual(split.test.images.labels, own.map { _ in UInt16(0) } + [1])
        XCTAssertEqual(try PNGFolder.load(root: root, testFraction: 0).test.files, [], "fraction 0: no test file")

        // A new file of b above the fraction but below the chosen one takes its place; nothing else moves.
        let before = Set(split.test.files)
        let lower = try firstName((200..<5000).map { "b/\($0).png" }) { $0 >= fraction && $0 < ImageListing.testScore(chosen) }
        try png(root, lower, 1)
        var grown = try PNGFolder.load(root: root, testFraction: fraction)
        XCTAssertEqual(Set(grown.test.files), before.subtracting([chosen]).union([lower]))
        // A new file of b below the fraction: the one chosen goes back to training.
        let under = try firstName((5000..<6000).map { "b/\($0).png" }) { $0 < fraction }
        try png(root, under, 1)
        grown = try PNGFolder.load(root: root, testFraction: fraction)
        XCTAssertEqual(Set(grown.test.files), before.subtracting([chosen]).union([under]))
        // Another file of a moves nothing that was there.
        try png(root, try firstName((100..<200).map { "a/\($0).png" }) { $0 >= fraction }, 1)
        XCTAssertEqual(Set(try PNGFolder.load(root: root, testFraction: fraction).test.files), Set(grown.test.files))
    }

    func testAFlatFolderIsOneClassForTheTestGuarantee() throws {
        let root = try makeScratchDirectory(self)
        let files = Array((0..<100).map { "\($0).png" }.filter { ImageListing.testScore($0) >= 0.2 }.prefix(4))
        for file in files { try png(root, file, 1) }
        let split = try PNGFolder.load(root: root, testFraction: 0.2)
        XCTAssertEqual(split.test.files, [try XCTUnwrap(FolderFixtures.lowestScoring(files))])
        XCTAssertEqual(split.train.files.count, 3)
        XCTAssertNil(split.test.images.labels)
    }

    func testSplitEdgesAndInvalidFraction() throws {
        let root = try makeScratchDirectory(self)
        for i in 0..<10 { try png(root, "\(i).png", UInt8(i)) }
        let none = try PNGFolder.load(root: root, testFraction: 0)
        XCTAssertEqual(none.train.images.count, 10)
        XCTAssertEqual(none.test.images.count, 0)
        XCTAssertEqual([none.test.images.width, none.test.images.height], [3, 2], "an empty side keeps the size")
        XCTAssertNil(none.test.images.labels)
        let all = try PNGFolder.load(root: root, testFraction: 1)
        XCTAssertEqual(all.test.images.count, 10)
        XCTAssertEqual(all.train.images.count, 0)
        assertDataError(.invalidArgument, path: root, contains: ["1.5"]) { _ = try PNGFolder.load(root: root, testFraction: 1.5) }
    }

    func testSeparateTestRootUsesTheTrainingLabels() throws {
        let base = try makeScratchDirectory(self)
        let train = base + "/train", test = base + "/test"
        for name in ["cat", "dog", "eel"] { try png(train, "\(name)/1.png", 1) }
        try png(test, "eel/1.png", 7)
        try png(test, "cat/1.png", 5)
        let split = try PNGFolder.load(trainRoot: train, testRoot: test)
        XCTAssertEqual(split.train.labelNames, ["cat", "dog", "eel"])
        XCTAssertEqual(split.test.labelNames, ["cat", "dog", "eel"])
        XCTAssertEqual(split.test.images.labels, [0, 2])
        XCTAssertEqual(split.test.files, ["cat/1.png", "eel/1.png"])
        XCTAssertEqual(split.test.images.pixels, [UInt8](repeating: 5, count: 6) + [UInt8](repeating: 7, count: 6))

        try png(test, "fox/1.png", 1)
        assertDataError(.labelOutOfRange, path: test + "/fox", contains: ["fox", "cat, dog, eel"]) {
            _ = try PNGFolder.load(trainRoot: train, testRoot: test)
        }
        try FileManager.default.removeItem(atPath: test + "/fox")
        let big = try png(test, "dog/2.png", 1, width: 8, height: 8)
        assertDataError(.mixedSizes, path: big, contains: ["8x8", "3x2", train + "/cat/1.png"]) {
            _ = try PNGFolder.load(trainRoot: train, testRoot: test)
        }
        // A flat test root for a labelled training root, and the other way round.
        let flat = base + "/flat"
        try png(flat, "1.png", 1)
        assertDataError(.invalidArgument, path: flat) { _ = try PNGFolder.load(trainRoot: train, testRoot: flat) }
        assertDataError(.invalidArgument, path: train) { _ = try PNGFolder.load(trainRoot: flat, testRoot: train) }
    }
}
