import VAECore
import XCTest

final class SHA256Tests: XCTestCase {
    func testKnownDigests() {
        // FIPS 180-4 example messages.
        XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testIncrementalEqualsOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var hasher = SHA256()
        for chunk in stride(from: 0, to: bytes.count, by: 37) {
            hasher.update(Array(bytes[chunk..<min(chunk + 37, bytes.count)]))
        }
        XCTAssertEqual(SHA256.hexString(hasher.finalize()), SHA256.hex(bytes))
    }

    /// A copy of a hasher goes on independently of the original (the value semantics of the API,
    /// which libcrypto's one mutable context must not break).
    func testACopyHashesIndependently() {
        var first = SHA256()
        first.update(Array("ab".utf8))
        var second = first
        first.update(Array("c".utf8))
        second.update(Array("d".utf8))
        XCTAssertEqual(SHA256.hexString(first.finalize()), SHA256.hex(Array("abc".utf8)))
        XCTAssertEqual(SHA256.hexString(second.finalize()), SHA256.hex(Array("abd".utf8)))
    }

    func testMillionA() {
        XCTAssertEqual(
            SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
