// The generator: published xoshiro256** and SplitMix64 outputs, and the statistics of what it
// derives (bounded integers, shuffles, uniforms, normals).
import XCTest
import VAEModel

final class SeededRandomTests: XCTestCase {
    func testXoshiroReferenceOutputsFromState1234() throws {
        // Published first outputs of xoshiro256** from the state {1, 2, 3, 4} (reference C code).
        var rng = try XCTUnwrap(SeededRandom(state: SIMD4(1, 2, 3, 4)))
        let expected: [UInt64] = [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240,
                                  1_216_172_134_540_287_360, 607_988_272_756_665_600]
        XCTAssertEqual((0 ..< 6).map { _ in rng.next() }, expected)
    }

    func testSplitMixSeeding() {
        // SplitMix64 from 0: e220a8397b1dcdaf 6e789e6aa1b965f4 06c45d188009454f f88bb8a8724c81ec.
        let rng = SeededRandom(seed: 0)
        XCTAssertEqual(rng.state, SIMD4(0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4,
                                        0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC))
        // And the generator seeded with 42 (values from an independent Python implementation).
        var r42 = SeededRandom(seed: 42)
        XCTAssertEqual((0 ..< 3).map { _ in r42.next() }, [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
    }

    func testStateRoundTripContinuesTheStream() throws {
        var a = SeededRandom(seed: 7)
        for _ in 0 ..< 10 { _ = a.next() }
        var b = try XCTUnwrap(SeededRandom(state: a.state))
        XCTAssertEqual((0 ..< 5).map { _ in a.next() }, (0 ..< 5).map { _ in b.next() })
        XCTAssertNil(SeededRandom(state: SIMD4(repeating: 0)))
    }

    func testUniformIsTop24Bits() {
        var a = SeededRandom(seed: 9), b = SeededRandom(seed: 9)
        for _ in 0 ..< 100 {
            let u = a.uniform()
            XCTAssertEqual(u, Float(b.next() >> 40) / 16_777_216)
            XCTAssert(u >= 0 && u < 1)
        }
    }

    func testBoundedIsInRangeAndUniform() {
        var rng = SeededRandom(seed: 11)
        var counts = [Int](repeating: 0, count: 7)
        let n = 70_000
        for _ in 0 ..< n { counts[rng.bounded(7)] += 1 }
        for c in counts { XCTAssertEqual(Double(c), Double(n) / 7, accuracy: 400) }  // ~4.5 sigma
        XCTAssertEqual(rng.bounded(1), 0)
    }

    func testShuffleIsAPermutationAndDependsOnSeed() {
        var a = Array(0 ..< 1000), b = Array(0 ..< 1000)
        var r1 = SeededRandom(seed: 1), r2 = SeededRandom(seed: 2)
        r1.shuffle(&a)
        r2.shuffle(&b)
        XCTAssertEqual(a.sorted(), Array(0 ..< 1000))
        XCTAssertNotEqual(a, Array(0 ..< 1000))
        XCTAssertNotEqual(a, b)
        // Every position receives every value about equally often over many small shuffles.
        var firsts = [Int](repeating: 0, count: 5)
        var r = SeededRandom(seed: 3)
        for _ in 0 ..< 50_000 {
            var s = [0, 1, 2, 3, 4]
            r.shuffle(&s)
            firsts[s[0]] += 1
        }
        for c in firsts { XCTAssertEqual(Double(c), 10_000, accuracy: 450) }
    }

    func testNormalsMeanVarianceAndOddCount() {
        var rng = SeededRandom(seed: 5)
        let n = 200_001  // odd: the last pair's second value is dropped
        var x = [Float](repeating: .nan, count: n)
        x.withUnsafeMutableBufferPointer { rng.fillNormals($0.baseAddress!, count: n) }
        XCTAssertFalse(x.contains { !$0.isFinite })
        let mean = x.reduce(0.0) { $0 + Double($1) } / Double(n)
        let variance = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(n - 1)
        XCTAssertEqual(mean, 0, accuracy: 0.01)       // sd of the mean 0.0022
        XCTAssertEqual(variance, 1, accuracy: 0.015)  // sd of the variance 0.0032
        let beyond2 = Double(x.filter { abs($0) > 2 }.count) / Double(n)
        XCTAssertEqual(beyond2, 0.0455, accuracy: 0.003)
    }

    func testDerivedGeneratorsAreIndependentAndReproducible() {
        var a = SeededRandom.derived(seed: 1, stream: 0, epoch: 0)
        var b = SeededRandom.derived(seed: 1, stream: 0, epoch: 0)
        var c = SeededRandom.derived(seed: 1, stream: 0, epoch: 1)
        var d = SeededRandom.derived(seed: 1, stream: 1, epoch: 0)
        var e = SeededRandom.derived(seed: 2, stream: 0, epoch: 0)
        let first = a.next()
        XCTAssertEqual(first, b.next())
        XCTAssertEqual(Set([first, c.next(), d.next(), e.next()]).count, 4)
    }

    func testIsARandomNumberGeneratorForTheStandardAPIs() {
        var a = SeededRandom(seed: 11), b = SeededRandom(seed: 11)
        let x = Int.random(in: 0 ..< 1000, using: &a)
        XCTAssertEqual(x, Int.random(in: 0 ..< 1000, using: &b))
        var generic: some RandomNumberGenerator = SeededRandom(seed: 11)
        var direct = SeededRandom(seed: 11)
        XCTAssertEqual(generic.next(), direct.next(), "the protocol's next() is xoshiro's")
    }
}
