import VAEModel
import VAEVisual
import XCTest

final class CSVTests: XCTestCase {
    private func text(_ build: (inout CSVBuffer) -> Void) -> String {
        var csv = CSVBuffer()
        build(&csv)
        return String(decoding: csv.bytes, as: UTF8.self)
    }

    func testFloatsReadBackExactly() {
        var rng = SeededRandom(seed: 20_240_611)  // seeded: a failure repeats
        var values: [Float] = [0, -0.0, 1, -1, 0.1, 1e-5, 1e10, 16_777_216, .leastNonzeroMagnitude,
                               .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               Float.leastNormalMagnitude.nextDown, 3.4028235e38, 1.1754944e-38]
        // Random bit patterns cover every exponent, subnormals included.
        for _ in 0..<200_000 {
            let v = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            if v.isFinite { values.append(v) }
        }
        for _ in 0..<20_000 { values.append(Float.random(in: -4...4, using: &rng)) }
        var failures = 0
        for v in values {
            var bytes = [UInt8]()
            CSV.appendFloat(v, to: &bytes)
            let s = String(decoding: bytes, as: UTF8.self)
            guard let back = Float(s), back.bitPattern == v.bitPattern else {
                failures += 1
                if failures < 5 { XCTFail("\(v.bitPattern) printed as '\(s)' reads back as \(String(describing: Float(s)))") }
                continue
            }
            XCTAssertFalse(s.contains(",") || s.contains("inf") || s.contains("nan"), s)
        }
        XCTAssertEqual(failures, 0)
    }

    func testShortestForms() {
        let cases: [(Float, String)] = [(0.1, "0.1"), (-2.5, "-2.5"), (1, "1.0"), (1e-5, "1e-05"),
                                        (3.4028235e38, "3.4028235e+38"), (-0.0, "-0.0"), (123456.79, "123456.79")]
        for (v, expected) in cases {
            var bytes = [UInt8]()
            CSV.appendFloat(v, to: &bytes)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), expected)
        }
    }

    func testNonFiniteValuesAreRefused() {
        var csv = CSVBuffer()
        csv.integer(1)
        XCTAssertFalse(csv.float(.nan))
        XCTAssertFalse(csv.float(.infinity))
        XCTAssertFalse(csv.float(-.infinity))
        XCTAssertTrue(csv.float(2))
        XCTAssertEqual(String(decoding: csv.bytes, as: UTF8.self), "1,2.0")
    }

    func testIntegersAndRecords() {
        let s = text { csv in
            for v in [0, 7, -12, 1_000_000, Int.max, Int.min] { csv.integer(v) }
            csv.endRecord()
            csv.text("a")
            csv.endRecord()
        }
        XCTAssertEqual(s, "0,7,-12,1000000,\(Int.max),\(Int.min)\r\na\r\n")
    }

    func testFieldsAreQuotedOnlyWhenNeeded() {
        let fields = ["plain", "with, comma", "say \"hi\"", "two\nlines", "", "T-shirt/top"]
        let s = text { csv in for f in fields { csv.text(f) } }
        XCTAssertEqual(s, "plain,\"with, comma\",\"say \"\"hi\"\"\",\"two\nlines\",,T-shirt/top")
        XCTAssertEqual(CSV.parseRecord(Substring(s)), fields)
    }
}
