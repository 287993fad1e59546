// What a training run tells the person watching it: on a terminal, one line redrawn in place
// (epoch, step, loss, examples/s, time left); otherwise one plain line per epoch.
import Foundation

public final class ProgressReporter {
    public enum Style { case terminal, lines, quiet }

    private let style: Style
    private let write: (String) -> Void
    private var lastDraw = 0.0

    /// - Parameter write: where text goes (stderr in the tool); it receives whole lines, or for
    ///   the terminal style a carriage return and the redrawn line.
    public init(style: Style, write: @escaping (String) -> Void) {
        self.style = style
        self.write = write
    }

    /// The style for standard error: a progress bar on a terminal, lines otherwise.
    public static func styleForStandardError(quiet: Bool) -> Style {
        quiet ? .quiet : (isatty(2) != 0 ? .terminal : .lines)
    }

    func step(epoch: Int, epochs: Int, step: Int, done: Int, total: Int, loss: Double, examplesPerSecond: Double, now: Double) {
        guard style == .terminal, now - lastDraw >= 0.2 || done == total else { return }
        lastDraw = now
        let width = 24
        let filled = total > 0 ? width * done / total : width
        // Time left in the whole run, at this epoch's pace (test evaluations not counted).
        let remaining = (epochs - epoch - 1) * total + (total - done)
        let left = examplesPerSecond > 0 ? Double(remaining) / examplesPerSecond : 0
        write("\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
            + "epoch \(epoch + 1)/\(epochs) step \(step) loss \(format(loss, 2)) \(format(examplesPerSecond, 0)) ex/s "
            + "left \(format(left, 0)) s   ")
    }

    /// The line of a finished epoch; one of fewer than `examplesPerEpoch` examples (the last of a
    /// step budget) says it is partial.
    func epochDone(_ metrics: EpochMetrics, epochs: Int, examplesPerEpoch: Int) {
        let partial = metrics.examples.map { $0 < examplesPerEpoch ? " (partial: \($0) of \(examplesPerEpoch) examples)" : "" } ?? ""
        // Nats with two decimals, seconds with three significant digits, as in the final line.
        let line = "epoch \(metrics.epoch)/\(epochs)\(partial) step \(metrics.step): train loss \(format(metrics.train.total, 2)) "
            + "(recon \(format(metrics.train.reconstruction, 2)), kl \(format(metrics.train.kl, 2))), "
            + "test -ELBO \(metrics.test.map { format($0.negativeELBO, 2) } ?? "n/a"), "
            + (metrics.testObjective.map { "test -IWAE bound \(format($0, 2)), " } ?? "")
            + "\(format(metrics.seconds, significantDigits: 3)) s, "
            + "\(format(metrics.examplesPerSecond, 0)) ex/s"
        switch style {
        case .terminal: write("\r" + line + String(repeating: " ", count: 8) + "\n")
        case .lines: write(line + "\n")
        case .quiet: break
        }
    }

    func note(_ line: String) {
        if style != .quiet { write(line + "\n") }
    }
}
