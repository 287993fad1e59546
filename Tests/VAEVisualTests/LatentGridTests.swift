import VAEModel
import VAEVisual
import XCTest

final class LatentGridTests: XCTestCase {
    func testManifoldCornersUseTheExtremeQuantiles() {
        let steps = 20, zs = 4
        let z = LatentGrid.manifold(steps: steps, latent: zs, dims: (x: 1, y: 3))
        XCTAssertEqual(z.count, steps * steps * zs)
        let low = Float(StandardNormal.quantile(0.5 / 20)), high = Float(StandardNormal.quantile(19.5 / 20))
        XCTAssertEqual(low, -1.959964, accuracy: 1e-6)
        XCTAssertEqual(high, -low)
        func code(_ r: Int, _ c: Int) -> [Float] { Array(z[(r * steps + c) * zs..<(r * steps + c + 1) * zs]) }
        XCTAssertEqual(code(0, 0), [0, low, 0, high])          // top left: x lowest, y highest
        XCTAssertEqual(code(0, steps - 1), [0, high, 0, high])
        XCTAssertEqual(code(steps - 1, 0), [0, low, 0, low])
        XCTAssertEqual(code(steps - 1, steps - 1), [0, high, 0, low])
        // Every x between the extremes, increasing along a row.
        for c in 1..<steps { XCTAssertGreaterThan(code(5, c)[1], code(5, c - 1)[1]) }
        XCTAssertEqual(LatentGrid.manifoldProbabilities(steps: 4), [0.125, 0.375, 0.625, 0.875])
    }

    func testTraversalSweepsOneDimensionFromTheBase() {
        let base: [Float] = [0.5, -1, 2]
        let z = LatentGrid.traversal(base: base, dims: [2, 0], steps: 5, range: 3)
        XCTAssertEqual(z.count, 2 * 5 * 3)
        XCTAssertEqual(LatentGrid.sweep(steps: 5, range: 3), [-3, -1.5, 0, 1.5, 3])
        XCTAssertEqual(Array(z[0..<3]), [0.5, -1, -3])
        XCTAssertEqual(Array(z[12..<15]), [0.5, -1, 3])
        XCTAssertEqual(Array(z[15..<18]), [-3, -1, 2])
        XCTAssertEqual(Array(z[27..<30]), [3, -1, 2])
    }

    func testInterpolationIncludesBothEnds() {
        let a: [Float] = [0, 1], b: [Float] = [4, -1]
        let z = LatentGrid.interpolation(from: a, to: b, steps: 5)
        XCTAssertEqual(z, [0, 1, 1, 0.5, 2, 0, 3, -0.5, 4, -1])
    }
}
