// The byte helpers written once: little-endian integers, hexadecimal, zero-padded numbers,
// SplitMix64, and the byte-to-intensity rule.
import VAECore
import XCTest

final class BytesTests: XCTestCase {
    func testLittleEndianRoundTrip() {
        var out: [UInt8] = [9]
        LittleEndian.append(0x1234_5678, to: &out)
        XCTAssertEqual(out, [9, 0x78, 0x56, 0x34, 0x12])
        XCTAssertEqual(LittleEndian.uint32(out, at: 1), 0x1234_5678)
        XCTAssertEqual(LittleEndian.uint32(out[1...], at: 1), 0x1234_5678, "indices of a slice are the base's")
        XCTAssertEqual(LittleEndian.uint16(out, at: 1), 0x5678)
    }

    func testHexIsLowercaseAndPadded() {
        XCTAssertEqual(Hex.byte(0x0A), "0a")
        XCTAssertEqual(Hex.word32(0xABC), "0x00000abc")
        XCTAssertEqual(Hex.word64(1), "0000000000000001")
        XCTAssertEqual(Hex.bytes([0, 255, 16], separator: " "), "00 ff 10")
    }

    func testZeroPadded() {
        XCTAssertEqual(zeroPadded(42, width: 5), "00042")
        XCTAssertEqual(zeroPadded(123_456, width: 3), "123456")
    }

    func testSplitMix64MatchesTheReferenceSequence() {
        // The first outputs for seed 0 of Vigna's splitmix64.c.
        var g = SplitMix64(seed: 0)
        XCTAssertEqual([g.next(), g.next(), g.next()], [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var shuffled = Array(0 ..< 10)
        var h = SplitMix64(seed: 5)
        shuffled.shuffle(using: &h)
        XCTAssertNotEqual(shuffled, Array(0 ..< 10), "a RandomNumberGenerator for the standard APIs")
    }

    func testIntensityIsByteOver255() {
        let bytes: [UInt8] = Array(0 ... 255)
        var out = [Float](repeating: -1, count: 256)
        Intensity.convert(bytes, into: &out, count: 256)
        for b in 0 ... 255 {
            XCTAssertEqual(out[b], Float(b) / 255)
            XCTAssertEqual(Intensity.of(UInt8(b)), out[b])
        }
        XCTAssertEqual(out[0], 0)
        XCTAssertEqual(out[255], 1)
    }
}
