// Adam against a hand-computed PyTorch-style update on a known quadratic.
import Foundation
import XCTest
import VAEModel

final class AdamTests: XCTestCase {
    func testMatchesHandComputedUpdatesOnAQuadratic() {
        // f(p) = 1/2 Σ a_i (p_i - c_i)², gradient a_i (p_i - c_i); 37 entries (two 16-lane chunks and a tail).
        let n = 37
        let a = (0 ..< n).map { 0.5 + Double($0 % 5) }
        let c = (0 ..< n).map { Double($0) / 10 - 1.5 }
        var p = [Float](repeating: 0, count: n), g = p, m = p, v = p
        for i in 0 ..< n { p[i] = Float(Double(i % 7) / 3 - 1) }
        var pd = p.map(Double.init), md = [Double](repeating: 0, count: n), vd = md
        var adam = Adam(learningRate: 0.05)
        let (lr, b1, b2, eps) = (0.05, 0.9, 0.999, 1e-8)
        for t in 1 ... 6 {
            for i in 0 ..< n { g[i] = Float(a[i] * (Double(p[i]) - c[i])) }
            let gradientsBefore = g
            adam.update(parameters: &p, gradients: g, m: &m, v: &v, count: n)
            // PyTorch: m ← β1 m + (1-β1) g; v ← β2 v + (1-β2) g²; p ← p - lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε)
            for i in 0 ..< n {
                let gi = a[i] * (pd[i] - c[i])
                md[i] = b1 * md[i] + (1 - b1) * gi
                vd[i] = b2 * vd[i] + (1 - b2) * gi * gi
                let denominator = vd[i].squareRoot() / (1 - pow(b2, Double(t))).squareRoot() + eps
                pd[i] -= lr / (1 - pow(b1, Double(t))) * md[i] / denominator
            }
            XCTAssertEqual(adam.step, t)
            XCTAssertEqual(g, gradientsBefore, "update only reads the gradients (the model clears them)")
            for i in 0 ..< n {
                XCTAssertEqual(Double(p[i]), pd[i], accuracy: 2e-6, "step \(t) entry \(i)")
                XCTAssertEqual(Double(m[i]), md[i], accuracy: 1e-5 * abs(md[i]) + 1e-7)
                XCTAssertEqual(Double(v[i]), vd[i], accuracy: 1e-5 * abs(vd[i]) + 1e-9)
            }
        }
    }

    func testFirstStepMovesEachParameterByTheLearningRate() {
        // With bias correction, step 1 is p - lr · g / (|g| + ε) ≈ p - lr · sign(g).
        var p: [Float] = [1, 1, 1], m = [Float](repeating: 0, count: 3), v = m
        let g: [Float] = [3, -0.001, 0]
        var adam = Adam(learningRate: 0.01)
        adam.update(parameters: &p, gradients: g, m: &m, v: &v, count: 3)
        XCTAssertEqual(p[0], 0.99, accuracy: 1e-6)
        XCTAssertEqual(p[1], 1.01, accuracy: 1e-5)
        XCTAssertEqual(p[2], 1, "a zero gradient does not move the parameter")
    }

    func testDefaultsArePyTorchs() {
        let adam = Adam()
        XCTAssertEqual(adam.learningRate, 1e-3)
        XCTAssertEqual(adam.beta1, 0.9)
        XCTAssertEqual(adam.beta2, 0.999)
        XCTAssertEqual(adam.epsilon, 1e-8)
        XCTAssertEqual(adam.step, 0)
    }
}
