// Adam (Kingma & Ba, 2015) exactly as PyTorch's torch.optim.Adam with its defaults, as one loop
// over the flat parameter memory. Gradients, first and second moments share the parameters'
// layout, so one index walks all four arrays.
import Dispatch
import Foundation

/// Adam's hyperparameters and step count, with PyTorch's defaults.
///
/// ```
/// t += 1
/// m = m + (1 - beta1) (g - m)                  (PyTorch: exp_avg.lerp_(grad, 1 - beta1))
/// v = beta2 v + (1 - beta2) g²
/// p = p - lr / (1 - beta1^t) · m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// ```
/// The hyperparameters are Doubles, like PyTorch's Python floats; the scalars derived from them
/// (1 - beta1, lr / (1 - beta1^t), 1 / sqrt(1 - beta2^t)) are computed in Double and rounded to
/// Float once, as PyTorch does when it applies a Python scalar to a float32 tensor. The loop
/// multiplies by 1 / sqrt(1 - beta2^t) where PyTorch divides by its inverse, and takes the square
/// root with `FastMath.sqrt` (within 2 ulp): the same formula, rounded slightly differently, for a
/// loop that vectorizes. No weight decay, no amsgrad.
public struct Adam: Codable, Equatable, Sendable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// The number of updates done so far (t after the last update).
    public var step: Int

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, step: Int = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.step = step
    }

    /// One Adam update of `count` parameters from their gradients, which it sets to zero as it
    /// reads them (so the next backward can add into them without a separate clearing pass).
    /// The loop is memory-bound (4 arrays read, 3 written); with `threads` > 1 it is split into
    /// that many contiguous ranges run in parallel, which changes no result (every element's
    /// arithmetic is the same), but on two cores busy with OpenBLAS one thread is faster.
    /// - Parameters: p, g, m, v: (count) each, the parameters, gradients and the two moments.
    public mutating func update(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafeMutablePointer<Float>,
                                m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                                threads: Int = 1) {
        step += 1
        let t = Double(step)
        let k = Constants(stepSize: Float(learningRate / (1 - Foundation.pow(beta1, t))),
                          inverseCorrection2: Float(1 / (1 - Foundation.pow(beta2, t)).squareRoot()),
                          oneMinusB1: Float(1 - beta1), oneMinusB2: Float(1 - beta2),
                          beta2: Float(beta2), eps: Float(epsilon))
        let memory = Memory(p: p, g: g, m: m, v: v)
        let parts = count < 1 << 16 ? 1 : max(1, min(threads, 8))
        if parts == 1 {
            Adam.update(memory, 0, count, k)
        } else {
            let chunk = (count / parts + 15) / 16 * 16
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                Adam.update(memory, min(i * chunk, count), min((i + 1) * chunk, count), k)
            }
        }
    }

    /// The Float scalars of one step, derived in Double.
    struct Constants: Sendable {
        let stepSize, inverseCorrection2, oneMinusB1, oneMinusB2, beta2, eps: Float
    }

    /// The four arrays, handed to worker threads (each touches a disjoint range).
    struct Memory: @unchecked Sendable {
        let p: UnsafeMutablePointer<Float>
        let g, m, v: UnsafeMutablePointer<Float>
    }

    /// The update of elements lo ..< hi, sixteen lanes at a time (a scalar loop does not vectorize).
    private static func update(_ a: Memory, _ lo: Int, _ hi: Int, _ k: Constants) {
        let p = a.p, g = a.g, m = a.m, v = a.v
        @inline(__always)
        func lanes(_ p: Float32x16, _ g: Float32x16, _ m: Float32x16, _ v: Float32x16) -> (p: Float32x16, m: Float32x16, v: Float32x16) {
            let m1 = m + k.oneMinusB1 * (g - m)
            let v1 = v * k.beta2 + k.oneMinusB2 * g * g
            let p1 = p - k.stepSize * m1 / (FastMath.sqrt(v1) * k.inverseCorrection2 + k.eps)
            return (p1, m1, v1)
        }
        var i = lo
        while i + 16 <= hi {
            let r = lanes(load16(p + i), load16(g + i), load16(m + i), load16(v + i))
            store16(r.p, p + i); store16(r.m, m + i); store16(r.v, v + i); store16(.zero, g + i)
            i += 16
        }
        if i < hi {
            let n = hi - i
            let r = lanes(load16(p + i, count: n, pad: 0), load16(g + i, count: n, pad: 0),
                          load16(m + i, count: n, pad: 0), load16(v + i, count: n, pad: 0))
            store16(r.p, p + i, count: n); store16(r.m, m + i, count: n); store16(r.v, v + i, count: n)
            store16(.zero, g + i, count: n)
        }
    }
}
