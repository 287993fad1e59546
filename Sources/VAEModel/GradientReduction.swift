// The sum of the gradients of S slices of a batch, in a fixed order, split by parameter range so
// that each of T threads (or each of N processes) sums its own range of every slice and then runs
// Adam on that range. The order of the additions depends only on S, never on timing, so the summed
// bits depend only on how the batch was sliced. See docs/METHOD.md, "Data parallelism".
//
// P = parameters, S = slices (gradient buffers), T = ranges (threads or processes).

/// Sums S gradient buffers of P Floats, slice by slice in order, over T parameter ranges.
///
/// ```
/// g[i] = ((g_0[i] + g_1[i]) + g_2[i]) + ... + g_{S-1}[i]      for every i in 0 ..< P
/// range k = [start(k), start(k+1)),  start(k) = (k·P/T) rounded down to a multiple of 16
/// ```
/// The ranges are disjoint and cover 0 ..< P; each starts on a multiple of 16 Floats so that
/// element-wise loops of sixteen lanes (Adam) treat every element as they would in one pass.
/// Summing range k of every slice touches nothing outside range k, so the T ranges can be
/// summed at the same time by T threads, or by T processes each holding the slices' range k.
public struct GradientReduction: Equatable, Sendable {
    /// P, the Floats in each buffer.
    public let count: Int
    /// T, the parameter ranges.
    public let ranges: Int

    public init(count: Int, ranges: Int) {
        self.count = count
        self.ranges = max(1, ranges)
    }

    /// The parameters of range k, in 0 ..< T.
    public func range(_ k: Int) -> Range<Int> {
        func start(_ k: Int) -> Int { k >= ranges ? count : (k * count / ranges) & ~15 }
        return start(k) ..< start(k + 1)
    }

    /// Adds the slices after the first into it over `range`, in slice order:
    /// first[i] = ((first[i] + rest[0][i]) + rest[1][i]) + ... (sixteen lanes at a time).
    /// - Parameters:
    ///   - first: g_0 (P), which receives the sum.
    ///   - rest: g_1 ... g_{S-1} (P each).
    public static func accumulate(into first: UnsafeMutablePointer<Float>, _ rest: [UnsafeMutablePointer<Float>],
                                  range: Range<Int>) {
        if rest.isEmpty { return }
        var i = range.lowerBound
        while i + 16 <= range.upperBound {
            var acc = load16(first + i)
            for s in rest { acc += load16(s + i) }
            store16(acc, first + i)
            i += 16
        }
        while i < range.upperBound {
            var acc = first[i]
            for s in rest { acc += s[i] }
            first[i] = acc
            i += 1
        }
    }
}
