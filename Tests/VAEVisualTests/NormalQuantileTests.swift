import VAEVisual
import XCTest

final class NormalQuantileTests: XCTestCase {
    /// Φ⁻¹(p) from Python's statistics.NormalDist().inv_cdf (Wichura's AS241, about 1e-16).
    private let known: [(p: Double, x: Double)] = [
        (1e-300, -37.0470962993612), (1e-100, -21.27345356096532), (1e-20, -9.262340089798405),
        (1e-10, -6.361340902404056), (1e-05, -4.2648907939228256), (0.001, -3.090232306167813),
        (0.01, -2.3263478740408408), (0.02425, -1.9729610513118845), (0.025, -1.9599639845400538),
        (0.1, -1.2815515655446008), (0.3, -0.5244005127080407), (0.5, 0),
        (0.7, 0.5244005127080407), (0.841344746068543, 1.0000000000000007), (0.95, 1.6448536269514715),
        (0.975, 1.9599639845400536), (0.97575, 1.9729610513118847), (0.999, 3.090232306167813),
        (1 - 1e-10, 6.361340889697421),
    ]

    func testKnownQuantiles() {
        var worst = 0.0
        for (p, x) in known {
            let got = StandardNormal.quantile(p)
            let error = abs(got - x) / max(1, abs(x))
            worst = max(worst, error)
            XCTAssertLessThan(error, 1e-13, "Φ⁻¹(\(p)) = \(got), expected \(x)")
        }
        print("inverse normal CDF: largest relative error \(worst) over \(known.count) known quantiles")
    }

    func testInvertsTheCDFEverywhere() {
        for k in 1..<10_000 {
            let p = Double(k) / 10_000
            let x = StandardNormal.quantile(p)
            XCTAssertEqual(StandardNormal.cdf(x), p, accuracy: 1e-15 + 1e-13 * p)
            XCTAssertEqual(x, -StandardNormal.quantile(1 - p), accuracy: 1e-12, "symmetry at \(p)")
        }
    }

    func testEdges() {
        XCTAssertEqual(StandardNormal.quantile(0), -.infinity)
        XCTAssertEqual(StandardNormal.quantile(1), .infinity)
        XCTAssertTrue(StandardNormal.quantile(-0.1).isNaN)
        XCTAssertTrue(StandardNormal.quantile(1.5).isNaN)
        XCTAssertTrue(StandardNormal.quantile(.nan).isNaN)
    }
}
