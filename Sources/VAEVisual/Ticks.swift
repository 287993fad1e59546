// Tick marks at round numbers: 1, 2 or 5 times a power of ten on a linear axis, powers of ten
// (or 1, 2, 5 times them when the range is short) on a logarithmic one, with labels that show
// just as many decimals as the step needs.
import Foundation

/// The ticks of one axis: the axis's range, extended to whole ticks, and the tick values.
public struct Ticks: Equatable, Sendable {
    /// The axis runs from `lower` to `upper` (both ticks).
    public var lower: Double
    public var upper: Double
    /// The tick values, ascending, from `lower` to `upper`.
    public var values: [Double]
    /// The spacing of linear ticks (nil for a logarithmic axis).
    public var step: Double?

    /// About `target` linear ticks covering [low, high] at a round step.
    ///
    /// ```
    /// raw = (high - low) / target,  step = the smallest of {1, 2, 5, 10}·10^floor(log10 raw) ≥ raw
    /// lower = floor(low / step)·step,  upper = ceil(high / step)·step
    /// ```
    /// A single value (low == high) gets a range of ±1 around it (±|value|/2 when larger).
    /// With `integral` (data that are whole numbers, such as epochs) the step is at least 1.
    public static func linear(_ low: Double, _ high: Double, target: Int = 6, integral: Bool = false) -> Ticks {
        var low = low, high = high
        if high - low <= 0 {
            let half = max(1, abs(low) / 2)
            low -= half
            high += half
        }
        let raw = (high - low) / Double(max(1, target))
        let magnitude = pow(10, floor(log10(raw)))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) } ?? 10 * magnitude
        if integral { step = max(step, 1) }
        let first = (low / step * (1 + 1e-12)).rounded(.down)
        let last = (high / step * (1 - 1e-12)).rounded(.up)
        let values = stride(from: first, through: last, by: 1).map { $0 * step }
        return Ticks(lower: first * step, upper: last * step, values: values, step: step)
    }

    /// Ticks of a logarithmic axis covering [low, high] (both positive): every power of ten, or
    /// 1, 2 and 5 times each when the range spans fewer than two decades.
    public static func logarithmic(_ low: Double, _ high: Double) -> Ticks {
        let first = floor(log10(low) + 1e-12), last = max(ceil(log10(high) - 1e-12), first + 1)
        var values = stride(from: first, through: last, by: 1).map { pow(10, $0) }
        if log10(high) - log10(low) < 2 {
            values = stride(from: first, through: last, by: 1).flatMap { e in [1.0, 2, 5].map { $0 * pow(10, e) } }
            // Only the multiples that bracket the data.
            let below = values.lastIndex { $0 <= low * (1 + 1e-12) } ?? 0
            let above = values.firstIndex { $0 >= high * (1 - 1e-12) } ?? values.count - 1
            values = Array(values[below...above])
        }
        return Ticks(lower: values[0], upper: values[values.count - 1], values: values, step: nil)
    }

    /// The label of tick `value`: fixed-point with the step's decimals on a linear axis, `%g`
    /// on a logarithmic one; never "-0".
    public func label(_ value: Double) -> String {
        let text: String
        if let step {
            let magnitude = max(abs(lower), abs(upper))
            if magnitude >= 1e6 || (magnitude < 1e-3 && magnitude > 0) {
                text = String(format: "%.2g", value)
            } else {
                let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
                text = String(format: "%.\(decimals)f", abs(value) < step * 1e-6 ? 0 : value)
            }
        } else {
            text = String(format: "%g", value)
        }
        return text == "-0" ? "0" : text
    }
}
