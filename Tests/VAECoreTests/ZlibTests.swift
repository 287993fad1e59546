// zlib's lengths are 32 bits, so buffers over 4 GiB go to it in pieces. A test cannot afford 4 GiB,
// so the same loops run here with pieces of a few bytes: the results must be those of one piece.
import Foundation
import TestSupport
import XCTest
@testable import VAECore

final class ZlibTests: XCTestCase {
    private let data = patternRuns(count: 50_000)

    /// Bytes with runs, so deflate has something to find.
    private static func patternRuns(count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 / 7) &* 37 ^ ($0 % 3)) }
    }

    func testCompressingInSmallPiecesGivesTheSameStream() throws {
        let whole = try data.withUnsafeBytes { try Zlib.compress($0, level: 6) }
        for chunk in [1, 7, 4096] {
            let pieces = try data.withUnsafeBytes { try Zlib.compress($0, level: 6, strategy: .default, chunk: chunk) }
            XCTAssertEqual(pieces, whole, "chunk \(chunk)")
        }
    }

    func testDecompressingInSmallPiecesGivesTheData() throws {
        let compressed = try data.withUnsafeBytes { try Zlib.compress($0, level: 6) }
        for chunk in [1, 7, 4096, Zlib.maxChunk] {
            let out = try compressed.withUnsafeBytes { try Zlib.decompress($0, expectedSize: data.count, path: "z", chunk: chunk) }
            XCTAssertEqual(out, data, "chunk \(chunk)")
        }
    }

    func testDecompressingInSmallPiecesStillCatchesEveryLie() throws {
        let compressed = try data.withUnsafeBytes { try Zlib.compress($0, level: 6) }
        for chunk in [1, 5, Zlib.maxChunk] {
            func decode(_ bytes: [UInt8], expecting size: Int) throws {
                _ = try bytes.withUnsafeBytes { try Zlib.decompress($0, expectedSize: size, path: "z", chunk: chunk) }
            }
            assertDataError(.corrupt, path: "z", contains: ["more than the expected 49999"]) { try decode(compressed, expecting: 49_999) }
            assertDataError(.corrupt, path: "z", contains: ["holds 50000 bytes, expected 50001"]) { try decode(compressed, expecting: 50_001) }
            assertDataError(.truncated, path: "z") { try decode(Array(compressed.dropLast(9)), expecting: data.count) }
            assertDataError(.corrupt, path: "z", contains: ["after the compressed data"]) { try decode(compressed + [0], expecting: data.count) }
        }
    }

    /// More than 4 GiB in one buffer, as the readers may meet it (zlib's 32-bit length trapped
    /// here). Opt-in: it needs about 9 GB of memory and half a minute, so it runs only with
    /// VAE_LARGE_TESTS=1.
    func testMoreThan4GiBRoundTrips() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["VAE_LARGE_TESTS"] == "1", "set VAE_LARGE_TESTS=1 to run")
        let size = (1 << 32) + 12_345
        let compressed: [UInt8]
        let crc: UInt32
        do {
            var big = [UInt8](repeating: 7, count: size)
            big[size - 1] = 9
            crc = Zlib.crc32(big)
            compressed = try big.withUnsafeBytes { try Zlib.compress($0, level: 1) }
        }
        let out = try compressed.withUnsafeBytes { try Zlib.decompress($0, expectedSize: size, path: "big") }
        XCTAssertEqual(out.count, size)
        XCTAssertEqual(Zlib.crc32(out), crc)
        XCTAssertEqual(out[size - 1], 9)
    }

    func testAnEmptyStreamRoundTrips() throws {
        let compressed = try [UInt8]().withUnsafeBytes { try Zlib.compress($0, level: 6) }
        let out = try compressed.withUnsafeBytes { try Zlib.decompress($0, expectedSize: 0, path: "z") }
        XCTAssertEqual(out, [])
    }
}
