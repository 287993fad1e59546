// IDX reading: raw and gzipped round trips with known values, and every malformed case giving the
// right error kind and a message that names the file.
import Foundation
import TestSupport
import VAEShards
import XCTest
import VAEIngest

final class IDXTests: XCTestCase {
    /// 3 images of 2 rows x 3 columns: image i, pixel j holds 10 i + j (+ 200 in the last pixel).
    private let pixels: [UInt8] = [0, 1, 2, 3, 4, 205, 10, 11, 12, 13, 14, 215, 20, 21, 22, 23, 24, 225]

    func testRawImagesRoundTrip() throws {
        let dir = try makeScratchDirectory(self)
        let path = try writeFixture(IDXFixtures.images(count: 3, rows: 2, columns: 3, pixels: pixels), in: dir, at: "images.gz")
        let images = try IDX.readImages(path)  // named .gz but raw: told apart by the bytes
        XCTAssertEqual(images.height, 2)
        XCTAssertEqual(images.width, 3)
        XCTAssertEqual(images.count, 3)
        XCTAssertEqual(images.pixels, pixels)
        XCTAssertNil(images.labels)
    }

    func testGzippedImagesAndLabelsRoundTrip() throws {
        let dir = try makeScratchDirectory(self)
        let gz = try IDXFixtures.gzip(IDXFixtures.images(count: 3, rows: 2, columns: 3, pixels: pixels))
        XCTAssertEqual(Array(gz.prefix(2)), [0x1f, 0x8b])
        let imagesPath = try writeFixture(gz, in: dir, at: "train-images-idx3-ubyte")  // gzipped, no .gz
        let labelsPath = try writeFixture(try IDXFixtures.gzip(IDXFixtures.labels([7, 0, 9])), in: dir, at: "labels.gz")
        let images = try IDX.readImages(imagesPath)
        XCTAssertEqual(images.pixels, pixels)
        XCTAssertEqual([images.height, images.width], [2, 3])
        XCTAssertEqual(try IDX.readLabels(labelsPath), [7, 0, 9])

        let labelled = try IDX.readLabelled(images: imagesPath, labels: labelsPath)
        XCTAssertEqual(labelled.labels, [7, 0, 9])
        XCTAssertEqual(labelled.pixels, pixels)
        XCTAssertEqual(IDX.digitNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
    }

    func testMissingAndEmptyFiles() throws {
        let dir = try makeScratchDirectory(self)
        let missing = dir + "/nope.idx"
        assertDataError(.missingFile, path: missing) { _ = try IDX.readImages(missing) }
        let empty = try writeFixture([], in: dir, at: "empty.idx")
        assertDataError(.emptyFile, path: empty) { _ = try IDX.readLabels(empty) }
    }

    func testTruncatedGzipIsReported() throws {
        let dir = try makeScratchDirectory(self)
        let data = patternBytes(count: 20 * 28 * 28, seed: 7)
        let gz = try IDXFixtures.gzip(IDXFixtures.images(count: 20, rows: 28, columns: 28, pixels: data))
        let path = try writeFixture(Array(gz.prefix(gz.count / 2)), in: dir, at: "cut.gz")
        assertDataError(.truncated, path: path, contains: ["truncated"]) { _ = try IDX.readImages(path) }
    }

    func testHeaderLargerThanDataIsRejectedBeforeAllocating() throws {
        let dir = try makeScratchDirectory(self)
        let short = try writeFixture(IDXFixtures.bytes(dimensions: [10, 28, 28], data: [UInt8](repeating: 1, count: 100)), in: dir, at: "short")
        assertDataError(.sizeMismatch, path: short, contains: ["10 x 28 x 28", "7840", "100", "short by 7740"]) {
            _ = try IDX.readImages(short)
        }
        // A 16-byte file claiming 2^96 bytes: refused from the header alone, its sides over the limit.
        let absurd = try writeFixture(IDXFixtures.bytes(dimensions: [.max, .max, .max], data: []), in: dir, at: "absurd")
        assertDataError(.tooLarge, path: absurd, contains: ["16384"]) { _ = try IDX.readImages(absurd) }
        // Sides within the limit, a count of 2^32 - 1: the data is short.
        let many = try writeFixture(IDXFixtures.bytes(dimensions: [.max, 16384, 16384], data: []), in: dir, at: "many")
        assertDataError(.sizeMismatch, path: many) { _ = try IDX.readImages(many) }
        let huge = try writeFixture(IDXFixtures.bytes(dimensions: [60000, 28, 28], data: [1, 2, 3]), in: dir, at: "huge")
        assertDataError(.sizeMismatch, path: huge, contains: ["47040000"]) { _ = try IDX.readImages(huge) }
    }

    func testExtraBytesAfterTheDataAreRejected() throws {
        let dir = try makeScratchDirectory(self)
        let path = try writeFixture(IDXFixtures.labels([1, 2, 3]) + [9], in: dir, at: "long")
        assertDataError(.sizeMismatch, path: path, contains: ["1 extra"]) { _ = try IDX.readLabels(path) }
    }

    func testWrongMagicSaysWhatWasFound() throws {
        let dir = try makeScratchDirectory(self)
        let path = try writeFixture([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 1, 7], in: dir, at: "zip.idx")
        assertDataError(.badMagic, path: path, contains: ["50 4b 03 04", "00 00"]) { _ = try IDX.readImages(path) }
    }

    func testUnsupportedElementTypeIsNamed() throws {
        let dir = try makeScratchDirectory(self)
        let path = try writeFixture(IDXFixtures.bytes(type: 0x0D, dimensions: [2, 1, 1], data: [UInt8](repeating: 0, count: 8)), in: dir, at: "float")
        assertDataError(.unsupported, path: path, contains: ["0x0D", "float", "0x08"]) { _ = try IDX.readImages(path) }
    }

    func testWrongNumberOfDimensions() throws {
        let dir = try makeScratchDirectory(self)
        let labels = try writeFixture(IDXFixtures.labels([1, 2]), in: dir, at: "labels")
        assertDataError(.unsupported, path: labels, contains: ["1 dimension", "expected 3"]) { _ = try IDX.readImages(labels) }
        let images = try writeFixture(IDXFixtures.images(count: 3, rows: 2, columns: 3, pixels: pixels), in: dir, at: "images")
        assertDataError(.unsupported, path: images, contains: ["3 dimensions", "expected 1"]) { _ = try IDX.readLabels(images) }
    }

    func testShortHeaders() throws {
        let dir = try makeScratchDirectory(self)
        let tiny = try writeFixture([0, 0, 8], in: dir, at: "tiny")
        assertDataError(.truncated, path: tiny, contains: ["3 bytes"]) { _ = try IDX.readImages(tiny) }
        let cut = try writeFixture([0, 0, 8, 3, 0, 0, 0, 1, 0, 0], in: dir, at: "cut")
        assertDataError(.truncated, path: cut, contains: ["16-byte"]) { _ = try IDX.readImages(cut) }
    }

    func testZeroSizedDimensions() throws {
        let dir = try makeScratchDirectory(self)
        let noImages = try writeFixture(IDXFixtures.bytes(dimensions: [0, 28, 28], data: []), in: dir, at: "none")
        assertDataError(.emptyFile, path: noImages, contains: ["0 x 28 x 28"]) { _ = try IDX.readImages(noImages) }
        let noColumns = try writeFixture(IDXFixtures.bytes(dimensions: [5, 28, 0], data: []), in: dir, at: "flat")
        assertDataError(.emptyFile, path: noColumns) { _ = try IDX.readImages(noColumns) }
    }

    func testCountMismatchNamesBothFiles() throws {
        let images = ImageSet(height: 2, width: 3, pixels: pixels, labels: nil)
        assertDataError(.countMismatch, path: "l.idx", contains: ["2 labels", "i.idx", "3 images"]) {
            _ = try IDX.labelled(images, labels: [1, 2], imagesPath: "i.idx", labelsPath: "l.idx")
        }
    }

    func testLabelOutOfRange() throws {
        let images = ImageSet(height: 2, width: 3, pixels: pixels, labels: nil)
        assertDataError(.labelOutOfRange, path: "l.idx", contains: ["label 10", "example 2", "10 label names"]) {
            _ = try IDX.labelled(images, labels: [0, 9, 10], imagesPath: "i.idx", labelsPath: "l.idx")
        }
        // The caller's label names decide the range.
        let twelve = try IDX.labelled(images, labels: [0, 9, 11], classCount: 12, imagesPath: "i", labelsPath: "l")
        XCTAssertEqual(twelve.labels, [0, 9, 11])
        assertDataError(.labelOutOfRange, path: "l", contains: ["label 9"]) {
            _ = try IDX.labelled(images, labels: [0, 9, 1], classCount: 2, imagesPath: "i", labelsPath: "l")
        }
    }
}
