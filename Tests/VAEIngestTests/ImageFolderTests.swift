// Folders of PNG and JPEG photos through `ImageFolder.ingest`: mixed formats, sizes and color
// types with stray files into RGB shards; a nested tree in path order, and its test split with one
// image per class; gray against color; every kind of bad file with and without skipping; the
// streamed shard writer against the one-shot shard encoder.
import Foundation
import TestSupport
import VAECore
import VAEImages
import VAEIngest
import XCTest
@testable import VAEShards

final class ImageFolderTests: XCTestCase {
    func jpeg(_ width: Int, _ height: Int, seed: UInt64, quality: Int = 92) throws -> [UInt8] {
        try JPEGCodec.encode(SyntheticPhotos.textured(width: width, height: height, seed: seed), quality: quality)
    }

    /// Every record of `split` in the artifact at `out`, after verifying it, in order.
    func records(_ out: String, _ split: Split = .train) throws -> ShardBlock {
        let dataset = try ShardDataset(directory: out)
        try dataset.verify()
        var all = ShardBlock(shape: dataset.shape, pixels: [], labels: [])
        for shard in dataset.shards(split) {
            let block = try dataset.read(shard)
            all.pixels += block.pixels
            all.labels += block.labels
        }
        return all
    }

    /// Asserts that record i of `block` is exactly `files[i]` (under `root`) prepared on its own.
    func assertRecords(_ block: ShardBlock, are files: [String], in root: String, preparedBy preparation: ImagePreparation,
                       line: UInt = #line) throws {
        let size = block.shape.pixels
        XCTAssertEqual(block.pixels.count, files.count * size, line: line)
        for (i, file) in files.enumerated() where (i + 1) * size <= block.pixels.count {
            let bytes = try FileIO.read(FileIO.join(root, file))
            let expected = try bytes.withUnsafeBytes { try preparation.prepare($0, path: file) }
            XCTAssertEqual(Array(block.pixels[i * size..<(i + 1) * size]), expected.pixels, file, line: line)
        }
    }

    /// A folder of two classes: JPEGs of three sizes (one sideways by EXIF), RGB, RGBA and gray
    /// PNGs, a progressive JPEG named .JPEG, stray files and a hidden folder.
    func mixedFolder() throws -> String {
        let root = try makeScratchDirectory(self)
        try writeFixture(try jpeg(64, 48, seed: 1), in: root, at: "cats/a.jpg")
        try writeFixture(JPEGCodec.withOrientation(try jpeg(40, 90, seed: 2), 6), in: root, at: "cats/b.jpeg")
        try writeFixture(try JPEGCodec.encode(SyntheticPhotos.textured(width: 33, height: 33, seed: 3), progressive: true),
                         in: root, at: "cats/c.JPEG")
        let rgb = SyntheticPhotos.textured(width: 20, height: 30, seed: 4)
        try writeFixture(try PNGCodec.encode(PNGRaster(width: 20, height: 30, colorType: .rgb, bitDepth: 8, rows: rgb.pixels)),
                         in: root, at: "dogs/d.png")
        let rgba = (0..<(16 * 16)).flatMap { i -> [UInt8] in [200, 100, 50, UInt8(i % 2 == 0 ? 255 : 0)] }
        try writeFixture(try PNGCodec.encode(PNGRaster(width: 16, height: 16, colorType: .rgba, bitDepth: 8, rows: rgba)),
                         in: root, at: "dogs/e.PNG")
        try writeFixture(try PNGFixtures.uniform(width: 50, height: 10, value: 77), in: root, at: "dogs/f.png")
        try writeFixture(Array("read me".utf8), in: root, at: "cats/README.txt")
        try writeFixture([], in: root, at: "dogs/Thumbs.db")
        try writeFixture([0, 1], in: root, at: "dogs/.DS_Store")
        try writeFixture(try jpeg(8, 8, seed: 5), in: root, at: ".hidden/x/z.jpg")
        return root
    }

    func testMixedFolderBecomesRGBShards() throws {
        let root = try mixedFolder()
        let out = try makeScratchDirectory(self) + "/art"
        let preparation = ImagePreparation(color: .rgb, resize: ResizeRule(width: 16, height: 12, fit: .pad),
                                           background: RGBColor(red: 0, green: 0, blue: 255))
        let manifest = try ImageFolder.ingest(ImageFolder.Request(root: root, preparation: preparation),
                                              parameters: IngestParameters(shardSize: 4), to: out, force: false)
        XCTAssertEqual(manifest.image, ImageShape(height: 12, width: 16, channels: 3))
        XCTAssertEqual(manifest.labelNames, ["cats", "dogs"])
        XCTAssertEqual(manifest.train.count, 6)
        XCTAssertEqual(manifest.train.classCounts, [3, 3])
        XCTAssertEqual(manifest.strayFiles, 2)  // README.txt, Thumbs.db (hidden names are not counted)
        XCTAssertEqual(manifest.skipped, [])
        XCTAssertEqual(manifest.parameters.size, "16x12")
        XCTAssertEqual(manifest.parameters.fit, .pad)
        XCTAssertEqual(manifest.parameters.color, .rgb)
        XCTAssertEqual(manifest.parameters.background, RGBColor(red: 0, green: 0, blue: 255))
        XCTAssertEqual(manifest.source.kind, "images")

        let block = try records(out)
        let pixels = block.pixels
        XCTAssertEqual(block.labels, [0, 0, 0, 1, 1, 1])
        // Each record is exactly the file prepared on its own, in bytewise file order.
        try assertRecords(block, are: ["cats/a.jpg", "cats/b.jpeg", "cats/c.JPEG", "dogs/d.png", "dogs/e.PNG", "dogs/f.png"],
                          in: root, preparedBy: preparation)
        // The sideways JPEG (40x90 stored, orientation 6) is 90 wide upright: padded above and below.
        XCTAssertEqual(Array(pixels[576..<579]), [0, 0, 255])
        // The gray PNG keeps R = G = B.
        XCTAssertEqual(Array(pixels[5 * 576 + 8 * 3 + 6 * 48..<5 * 576 + 8 * 3 + 6 * 48 + 3]), [77, 77, 77])
    }

    /// Images three levels below their class folder, PNGs (RGBA, gray + alpha, palette, RGB, 16-bit
    /// gray) among JPEGs, hidden folders and a link to a folder: each record is its file prepared on
    /// its own, labelled by its first-level folder, in bytewise path order.
    func testNestedTreeBecomesShardsInPathOrder() throws {
        let tree = try FolderFixtures.nestedTree(in: try makeScratchDirectory(self))
        let out = try makeScratchDirectory(self) + "/art"
        let preparation = ImagePreparation(color: .rgb, resize: ResizeRule(width: 8, height: 6, fit: .pad),
                                           background: RGBColor(red: 0, green: 128, blue: 255))
        let manifest = try ImageFolder.ingest(ImageFolder.Request(root: tree.root, preparation: preparation),
                                              parameters: IngestParameters(shardSize: 4), to: out, force: false)
        XCTAssertEqual(manifest.labelNames, tree.labelNames)
        XCTAssertEqual(manifest.train.classCounts, [5, 4])
        XCTAssertEqual(manifest.test.count, 0)
        XCTAssertEqual(manifest.strayFiles, 1)
        let block = try records(out)
        XCTAssertEqual(block.labels, tree.labels)
        try assertRecords(block, are: tree.files, in: tree.root, preparedBy: preparation)
    }

    /// `--test-fraction` through the ingest: a fraction too small for any file's own score still
    /// puts each class's lowest-scoring file in the test split.
    func testEveryClassOfTheTreeGetsATestImage() throws {
        let tree = try FolderFixtures.nestedTree(in: try makeScratchDirectory(self))
        let fraction = 1e-9
        XCTAssertFalse(tree.files.contains { ImageListing.isTest($0, testFraction: fraction) })
        let out = try makeScratchDirectory(self) + "/art"
        let preparation = ImagePreparation(resize: ResizeRule(width: 4, height: 4))
        let manifest = try ImageFolder.ingest(ImageFolder.Request(root: tree.root, testFraction: fraction, preparation: preparation),
                                              parameters: IngestParameters(), to: out, force: false)
        XCTAssertEqual(manifest.test.classCounts, [1, 1])
        XCTAssertEqual(manifest.train.classCounts, [4, 3])
        // The record in the test split is the class's lowest-scoring file.
        let lowest = try (0..<2).map { label in
            try XCTUnwrap(FolderFixtures.lowestScoring(zip(tree.files, tree.labels).filter { $0.1 == label }.map(\.0)))
        }
        let test = try records(out, .test)
        XCTAssertEqual(test.labels, [0, 1])
        try assertRecords(test, are: lowest, in: tree.root, preparedBy: preparation)
    }

    func testGrayIsTheLumaOfColorFromTheSameFiles() throws {
        let root = try makeScratchDirectory(self)
        try writeFixture(try jpeg(24, 16, seed: 7), in: root, at: "a.jpg")
        let rgb = SyntheticPhotos.textured(width: 24, height: 16, seed: 8)
        try writeFixture(try PNGCodec.encode(PNGRaster(width: 24, height: 16, colorType: .rgb, bitDepth: 8, rows: rgb.pixels)), in: root, at: "b.png")
        let scratch = try makeScratchDirectory(self)
        var records = [ColorMode: [UInt8]]()
        for mode in ColorMode.allCases {
            let out = scratch + "/\(mode)"
            _ = try ImageFolder.ingest(ImageFolder.Request(root: root, preparation: ImagePreparation(color: mode)),
                                       parameters: IngestParameters(), to: out, force: false)
            let dataset = try ShardDataset(directory: out)
            XCTAssertEqual(dataset.shape.channels, mode.channels)
            XCTAssertNil(dataset.manifest.labelNames)
            records[mode] = try dataset.read(dataset.shards(.train)[0]).pixels
        }
        let color = records[.rgb]!, gray = records[.gray]!
        XCTAssertEqual(gray.count * 3, color.count)
        for i in 0..<gray.count {
            XCTAssertEqual(gray[i], RGBColor.luma(color[3 * i], color[3 * i + 1], color[3 * i + 2]), "pixel \(i)")
        }
    }

    func testMixedSizesWithoutASizeAreAnError() throws {
        let root = try makeScratchDirectory(self)
        try writeFixture(try jpeg(24, 16, seed: 7), in: root, at: "a.jpg")
        try writeFixture(try jpeg(16, 16, seed: 7), in: root, at: "b.jpg")
        XCTAssertThrowsError(try ImageFolder.ingest(ImageFolder.Request(root: root), parameters: IngestParameters(),
                                                    to: try makeScratchDirectory(self) + "/art", force: false)) { error in
            let error = error as! DataError
            XCTAssertEqual(error.kind, .mixedSizes)
            XCTAssertTrue(error.path.hasSuffix("b.jpg"))
            XCTAssertTrue(error.detail.contains("--size"), error.detail)
        }
    }

    /// Each kind of bad file, its expected reason: without skipping the first stops the ingest
    /// naming it and leaves nothing behind; with skipping it is listed and the rest written.
    func testEveryBadFileStopsOrIsSkipped() throws {
        let good = try jpeg(128, 96, seed: 1)
        var huge = try jpeg(16, 16, seed: 1)
        let sof = (0..<huge.count - 1).first { huge[$0] == 0xFF && huge[$0 + 1] == 0xC0 }!
        for at in [sof + 5, sof + 7] { (huge[at], huge[at + 1]) = (0x4E, 0x20) }
        var hugePNG = try PNGFixtures.uniform(width: 4, height: 4, value: 1)
        for at in [16, 20] { hugePNG.replaceSubrange(at..<at + 4, with: [0, 0, 0x4E, 0x20]) }  // IHDR width, height
        let cases: [(String, (String) throws -> Void, String)] = [
            ("truncated.jpg", { try writeFixture(Array(good[0..<good.count / 2]), in: $0, at: "truncated.jpg") }, "truncated JPEG"),
            ("fake.jpg", { try writeFixture(Array("GIF89a, not a JPEG".utf8), in: $0, at: "fake.jpg") }, "not a PNG or JPEG file"),
            ("empty.jpg", { try writeFixture([], in: $0, at: "empty.jpg") }, "file is empty"),
            ("huge.jpg", { try writeFixture(huge, in: $0, at: "huge.jpg") }, "over the limit"),
            ("huge.png", { try writeFixture(hugePNG, in: $0, at: "huge.png") }, "over the limit"),
            ("loop.jpg", { dir in
                try FileManager.default.createSymbolicLink(atPath: dir + "/loop.jpg", withDestinationPath: "loop2.txt")
                try FileManager.default.createSymbolicLink(atPath: dir + "/loop2.txt", withDestinationPath: "loop.jpg")
            }, "Too many levels of symbolic links"),
            ("missing.jpg", { dir in
                try FileManager.default.createSymbolicLink(atPath: dir + "/missing.jpg", withDestinationPath: "nowhere.jpg")
            }, "no such file"),
        ]
        for (name, make, reason) in cases {
            let root = try makeScratchDirectory(self)
            try writeFixture(good, in: root, at: "a-good.jpg")
            try writeFixture(good, in: root, at: "z-good.jpg")
            try make(root)
            let scratch = try makeScratchDirectory(self)
            XCTAssertThrowsError(try ImageFolder.ingest(ImageFolder.Request(root: root), parameters: IngestParameters(),
                                                        to: scratch + "/art", force: false), name) { error in
                let error = error as! DataError
                XCTAssertEqual(error.path, root + "/" + name)
                XCTAssertTrue(error.detail.contains(reason), "\(name): \(error.detail)")
            }
            XCTAssertEqual(directoryListing(scratch), [], "\(name): nothing is left behind")
            let manifest = try ImageFolder.ingest(ImageFolder.Request(root: root, skipBad: true), parameters: IngestParameters(),
                                                  to: scratch + "/art", force: false)
            XCTAssertEqual(manifest.train.count, 2, name)
            XCTAssertEqual(manifest.skipped?.map(\.path), [name])
            XCTAssertTrue(manifest.skipped?.first?.reason.contains(reason) ?? false, name)
            XCTAssertEqual(ArtifactSummary(try ShardDataset(directory: scratch + "/art")).skipped, 1)
        }
    }

    /// The files are prepared on several threads but stored in file order: 1, 2 and 3 threads
    /// write the same bytes (with a bad file skipped, shards of 2 and a test split).
    func testOneTwoAndThreeThreadsWriteTheSameArtifact() throws {
        let root = try mixedFolder()
        try writeFixture(Array("not an image".utf8), in: root, at: "cats/bad.jpg")
        let scratch = try makeScratchDirectory(self)
        var listings = [[String: [UInt8]]]()
        for threads in [1, 2, 3] {
            let out = scratch + "/art-\(threads)"
            let request = ImageFolder.Request(root: root, testFraction: 0.3, preparation: ImagePreparation(color: .rgb, resize: ResizeRule(width: 12, height: 10)),
                                              skipBad: true, threads: threads)
            let manifest = try ImageFolder.ingest(request, parameters: IngestParameters(shardSize: 2), to: out, force: false)
            XCTAssertEqual(manifest.skipped?.map(\.path), ["cats/bad.jpg"])
            XCTAssertEqual(manifest.train.count + manifest.test.count, 6)
            var files = [String: [UInt8]]()
            for name in directoryListing(out) { files[name] = try FileIO.read(out + "/" + name) }
            listings.append(files)
        }
        XCTAssertGreaterThan(listings[0].count, 3)
        XCTAssertEqual(listings[1], listings[0])
        XCTAssertEqual(listings[2], listings[0])
    }

    func testAllBadIsAnErrorEvenWhenSkipping() throws {
        let root = try makeScratchDirectory(self)
        try writeFixture([], in: root, at: "a.jpg")
        let scratch = try makeScratchDirectory(self)
        XCTAssertThrowsError(try ImageFolder.ingest(ImageFolder.Request(root: root, skipBad: true), parameters: IngestParameters(),
                                                    to: scratch + "/art", force: false)) { error in
            XCTAssertEqual((error as! DataError).kind, .emptyFolder)
        }
        XCTAssertEqual(directoryListing(scratch), [])
    }

    func testImageNames() {
        for name in ["a.png", "a.PNG", "b.jpg", "c.JPEG", "d.Jpeg"] { XCTAssertTrue(ImageFolder.isImageName(name), name) }
        for name in [".png", "a.gif", "README.txt", "Thumbs.db", "a.jpg.txt", "jpg"] { XCTAssertFalse(ImageFolder.isImageName(name), name) }
    }

    /// Shards written a piece at a time are byte for byte those of the one-shot encoder.
    func testStreamedShardsEqualTheOneShotEncoder() throws {
        let shape = ImageShape(height: 32, width: 32, channels: 3)
        let count = 800  // records of 3074 bytes: a 1 MiB piece holds 341, so shards of 350 take two
        let pixels = patternBytes(count: count * shape.pixels, seed: 5).map { $0 & 0xF0 }
        let labels = (0..<count).map { UInt16($0 % 3) }
        for (level, strategy) in [(6, Zlib.Strategy.rle), (9, .default), (0, .rle)] {
            let out = try makeScratchDirectory(self) + "/art"
            let stream = try ArtifactStream(out: out, force: false, parameters: IngestParameters(shardSize: 350, level: level, strategy: strategy))
            try stream.setShape(shape)
            try pixels.withUnsafeBytes { raw in
                try labels.withUnsafeBufferPointer { try stream.append(.train, pixels: raw, labels: $0) }
            }
            let manifest = try XCTUnwrap(stream.finish(labelNames: ["a", "b", "c"], source: SourceInfo(kind: "test", inputs: [])))
            XCTAssertEqual(manifest.train.shards.map(\.records), [350, 350, 100])
            for (i, shard) in manifest.train.shards.enumerated() {
                let range = shard.firstRecord..<(shard.firstRecord + shard.records)
                let expected = try pixels.withUnsafeBufferPointer { p in
                    try labels.withUnsafeBufferPointer { l in
                        try Shard.encode(pixels: UnsafeBufferPointer(rebasing: p[range.lowerBound * shape.pixels..<range.upperBound * shape.pixels]),
                                         labels: UnsafeBufferPointer(rebasing: l[range]), shape: shape, level: level, strategy: strategy)
                    }
                }
                XCTAssertEqual(try FileIO.read(out + "/" + shard.file), expected, "level \(level) \(strategy) shard \(i)")
                XCTAssertEqual(shard.fileCrc32, Zlib.crc32(expected))
            }
        }
    }

    func testManifestWithoutChannelsReadsAsGray() throws {
        let json = Array(#"{"height": 28, "width": 28}"#.utf8)
        XCTAssertEqual(try JSONCoding.decode(ImageShape.self, from: json, path: "m"), ImageShape(height: 28, width: 28, channels: 1))
    }
}
