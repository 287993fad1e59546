// `--augment`: its forms parse and print back, a flip mirrors about half the images left-right and
// leaves the rest, a shift moves each image by at most K pixels with the edges replicated, and
// the draws come from the generator given (the same seed, the same batch).
import VAECore
import VAEModel
@testable import VAETrain
import XCTest

final class AugmentationTests: XCTestCase {
    let shape = ImageShape(height: 5, width: 4, channels: 3)

    /// `count` distinct images of `shape` (every sample different).
    func images(_ count: Int) -> [Float] {
        (0 ..< count * shape.pixels).map { Float($0 % 997) / 997 }
    }

    func augmented(_ a: Augmentation, _ x: [Float], count: Int, seed: UInt64) -> [Float] {
        var out = x
        var rng = SeededRandom(seed: seed)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: shape.pixels)
        defer { scratch.deallocate() }
        out.withUnsafeMutableBufferPointer { a.apply($0.baseAddress!, count: count, shape: shape, scratch: scratch, rng: &rng) }
        return out
    }

    /// The pixel (y, x) of image `image` of `x` as its C samples.
    func pixel(_ x: [Float], _ image: Int, _ y: Int, _ col: Int) -> ArraySlice<Float> {
        let start = image * shape.pixels + (y * shape.width + col) * shape.channels
        return x[start ..< start + shape.channels]
    }

    /// `image` of `x` shifted by (dx, dy), optionally mirrored first, edges replicated.
    func moved(_ x: [Float], _ image: Int, dx: Int, dy: Int, mirror: Bool) -> [Float] {
        var out: [Float] = []
        for y in 0 ..< shape.height {
            for col in 0 ..< shape.width {
                var sx = min(max(col - dx, 0), shape.width - 1)
                if mirror { sx = shape.width - 1 - sx }
                out += pixel(x, image, min(max(y - dy, 0), shape.height - 1), sx)
            }
        }
        return out
    }

    func testFormsParseAndPrintBack() throws {
        XCTAssertEqual(try Augmentation(parsing: "flip"), Augmentation(flip: true))
        XCTAssertEqual(try Augmentation(parsing: "shift:2"), Augmentation(shift: 2))
        XCTAssertEqual(try Augmentation(parsing: "flip,shift:3"), Augmentation(flip: true, shift: 3))
        XCTAssertEqual(try Augmentation(parsing: "none"), .none)
        XCTAssertEqual(Augmentation(flip: true, shift: 3).description, "flip,shift:3")
        for bad in ["flap", "shift:0", "shift:65", "shift:", "flip,", ""] {
            XCTAssertThrowsError(try Augmentation(parsing: bad), bad) {
                XCTAssert("\($0)".contains("--augment takes flip, shift:K"), "\($0)")
            }
        }
    }

    func testFlipMirrorsAboutHalfTheImages() {
        let n = 400, x = images(n)
        let out = augmented(Augmentation(flip: true), x, count: n, seed: 3)
        var mirrored = 0
        for i in 0 ..< n {
            let image = Array(out[i * shape.pixels ..< (i + 1) * shape.pixels])
            if image == moved(x, i, dx: 0, dy: 0, mirror: true) {
                mirrored += 1
            } else {
                XCTAssertEqual(image, Array(x[i * shape.pixels ..< (i + 1) * shape.pixels]), "image \(i) neither kept nor mirrored")
            }
        }
        XCTAssert((160 ... 240).contains(mirrored), "\(mirrored) of \(n) mirrored")
    }

    func testShiftMovesEachImageByAtMostKWithTheEdgesReplicated() {
        let n = 200, k = 2, x = images(n)
        let out = augmented(Augmentation(shift: k), x, count: n, seed: 4)
        var moves = Set<[Int]>()
        for i in 0 ..< n {
            let image = Array(out[i * shape.pixels ..< (i + 1) * shape.pixels])
            let found = (-k ... k).flatMap { dy in (-k ... k).map { [$0, dy] } }
                .filter { moved(x, i, dx: $0[0], dy: $0[1], mirror: false) == image }
            XCTAssertEqual(found.count, 1, "image \(i) is no shift within \(k)")
            moves.formUnion(found)
        }
        XCTAssertEqual(moves.count, 25, "every shift from -2 to 2 in x and y drawn")
    }

    func testTheSameSeedGivesTheSameBatch() {
        let x = images(20), a = Augmentation(flip: true, shift: 1)
        XCTAssertEqual(augmented(a, x, count: 20, seed: 9), augmented(a, x, count: 20, seed: 9))
        XCTAssertNotEqual(augmented(a, x, count: 20, seed: 9), augmented(a, x, count: 20, seed: 10))
        XCTAssertEqual(augmented(.none, x, count: 20, seed: 9), x)
    }
}
