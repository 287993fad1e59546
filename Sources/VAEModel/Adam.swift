// Adam (Kingma & Ba, 2015) exactly as PyTorch's torch.optim.Adam with its defaults, as one loop
// over the flat parameter memory. Gradients, first and second moments share the parameters'
// layout, so one index walks all four arrays.
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

    /// One Adam update of `count` parameters from their gradients (which it only reads; the
    /// model clears them at the start of the next step). The loop is memory-bound (4 arrays read,
    /// 3 written) and runs on the calling thread.
    /// - Parameters: p, g, m, v: (count) each, the parameters, gradients and the two moments.
    public mutating func update(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                                m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int) {
        let k = nextStep()
        Adam.update(p: p, g: g, m: m, v: v, count: count, k)
    }

    /// Counts one more update and returns its Float scalars, for an update split by parameter
    /// range (`update(range:...)` on each range, from any thread).
    mutating func nextStep() -> Constants {
        step += 1
        let t = Double(step)
        return Constants(stepSize: Float(learningRate / (1 - Foundation.pow(beta1, t))),
                         inverseCorrection2: Float(1 / (1 - Foundation.pow(beta2, t)).squareRoot()),
                         oneMinusB1: Float(1 - beta1), oneMinusB2: Float(1 - beta2),
                         beta2: Float(beta2), eps: Float(epsilon))
    }

    /// The update of the elements in `range` with the scalars of `nextStep()`, of the gradient
    /// g = ((g_0 + g_1) + g_2) + ..., `first` then the buffers `rest` (the slices of a
    /// data-parallel step, summed in order as `GradientReduction.accumulate` sums them; with one
    /// more slice, in the same pass as the update). Element i gets the same bits as in a
    /// whole-array `update` when the range starts on a multiple of 16 (the lanes are independent;
    /// a range's tail is padded as the array's would be).
    static func update(range: Range<Int>, parameters p: UnsafeMutablePointer<Float>,
                       gradients first: UnsafeMutablePointer<Float>, adding rest: [UnsafeMutablePointer<Float>],
                       m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, _ k: Constants) {
        let lo = range.lowerBound
        if rest.count == 1 {
            update(p: p + lo, g: first + lo, g1: rest[0] + lo, m: m + lo, v: v + lo, count: range.count, k)
        } else {
            GradientReduction.accumulate(into: first, rest, range: range)
            update(p: p + lo, g: first + lo, m: m + lo, v: v + lo, count: range.count, k)
        }
    }

    /// The Float scalars of one step, derived in Double.
    struct Constants {
        let stepSize, inverseCorrection2, oneMinusB1, oneMinusB2, beta2, eps: Float
    }

    /// One Adam step of sixteen lanes.
    @inline(__always)
    private static func lanes(_ p: Float32x16, _ g: Float32x16, _ m: Float32x16, _ v: Float32x16,
                              _ k: Constants) -> (p: Float32x16, m: Float32x16, v: Float32x16) {
        let m1 = m + k.oneMinusB1 * (g - m)
        let v1 = v * k.beta2 + k.oneMinusB2 * g * g
        let p1 = p - k.stepSize * m1 / (FastMath.sqrt(v1) * k.inverseCorrection2 + k.eps)
        return (p1, m1, v1)
    }

    /// The update of elements 0 ..< count, sixteen lanes at a time (a scalar loop does not vectorize).
    private static func update(p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                               v: UnsafeMutablePointer<Float>, count hi: Int, _ k: Constants) {
        var i = 0
        while i + 16 <= hi {
            let r = lanes(load16(p + i), load16(g + i), load16(m + i), load16(v + i), k)
            store16(r.p, p + i); store16(r.m, m + i); store16(r.v, v + i)
            i += 16
        }
        if i < hi {
            let n = hi - i
            let r = lanes(load16(p + i, count: n, pad: 0), load16(g + i, count: n, pad: 0),
                          load16(m + i, count: n, pad: 0), load16(v + i, count: n, pad: 0), k)
            store16(r.p, p + i, count: n); store16(r.m, m + i, count: n); store16(r.v, v + i, count: n)
        }
    }

    /// The update of elements 0 ..< count from the gradient g + g1, which is not stored: the sum
    /// of two slices' buffers, read once in the pass that updates the parameters.
    private static func update(p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, g1: UnsafePointer<Float>,
                               m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count hi: Int, _ k: Constants) {
        var i = 0
        while i + 16 <= hi {
            let r = lanes(load16(p + i), load16(g + i) + load16(g1 + i), load16(m + i), load16(v + i), k)
            store16(r.p, p + i); store16(r.m, m + i); store16(r.v, v + i)
            i += 16
        }
        if i < hi {
            let n = hi - i
            let r = lanes(load16(p + i, count: n, pad: 0),
                          load16(g + i, count: n, pad: 0) + load16(g1 + i, count: n, pad: 0),
                          load16(m + i, count: n, pad: 0), load16(v + i, count: n, pad: 0), k)
            store16(r.p, p + i, count: n); store16(r.m, m + i, count: n); store16(r.v, v + i, count: n)
        }
    }
}
