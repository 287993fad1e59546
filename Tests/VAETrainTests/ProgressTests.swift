import VAEModel
import XCTest
@testable import VAETrain

final class ProgressTests: XCTestCase {
    private let metrics = EpochMetrics(
        epoch: 2, step: 938, examples: 60000, train: LossParts(total: 256.5, reconstruction: 240.25, kl: 16.25),
        test: LossParts(total: 254.0, reconstruction: 238.0, kl: 16.0), seconds: 1.25, examplesPerSecond: 48000)

    private func output(_ style: ProgressReporter.Style, _ body: (ProgressReporter) -> Void) -> String {
        var text = ""
        body(ProgressReporter(style: style) { text += $0 })
        return text
    }

    func testLinesStyleWritesOneLinePerEpochAndNoBar() {
        let text = output(.lines) {
            $0.step(epoch: 1, epochs: 10, step: 500, done: 4000, total: 60000, loss: 257, examplesPerSecond: 40000, now: 5)
            $0.epochDone(metrics, epochs: 10, examplesPerEpoch: 60000)
        }
        XCTAssertEqual(text, "epoch 2/10 step 938: train loss 256.50 (recon 240.25, kl 16.25), test -ELBO 254.00, 1.25 s, 48000 ex/s\n")
    }

    func testAnEpochWithoutTestExamplesSaysNA() {
        var untested = metrics
        untested.test = nil
        XCTAssertEqual(output(.lines) { $0.epochDone(untested, epochs: 10, examplesPerEpoch: 60000) },
                       "epoch 2/10 step 938: train loss 256.50 (recon 240.25, kl 16.25), test -ELBO n/a, 1.25 s, 48000 ex/s\n")
    }

    func testThePartialLastEpochOfAStepBudgetSaysSo() {
        var partial = metrics
        partial.examples = 2560
        XCTAssertEqual(output(.lines) { $0.epochDone(partial, epochs: 2, examplesPerEpoch: 60000) },
                       "epoch 2/2 (partial: 2560 of 60000 examples) step 938: train loss 256.50 (recon 240.25, kl 16.25), test -ELBO 254.00, 1.25 s, 48000 ex/s\n")
    }

    /// A summary of one epoch with `test` figures, taking `seconds`.
    private func summary(test: LossParts?, seconds: Double, iwae: Double? = nil) -> RunSummary {
        var epoch = metrics
        epoch.test = test
        epoch.seconds = seconds
        return RunSummary(history: [epoch], steps: 938, iwae: iwae.map { ($0, 100, 50) }, trainCount: 60000, phaseSeconds: PhaseTimes())
    }

    func testTheFinalLineRoundsNatsToTwoDecimalsAndSecondsToThreeSignificantDigits() {
        let test = LossParts(total: 182.3544901907444, reconstruction: 182.29505157470703, kl: 0.059438616037368774)
        XCTAssertEqual(summary(test: test, seconds: 0.0018640769999365148).finalLine(model: "run/model.ckpt"),
                       "test negative ELBO 182.35 nats (recon 182.30, KL 0.06); median epoch 0.00186 s; model run/model.ckpt")
        XCTAssertEqual(summary(test: test, seconds: 12.3456, iwae: 180.1234).finalLine(model: "m"),
                       "test negative ELBO 182.35 nats (recon 182.30, KL 0.06), IWAE -log p(x) <= 180.12 nats; median epoch 12.3 s; model m")
        XCTAssertEqual(summary(test: nil, seconds: 1864.2).finalLine(model: "m"),
                       "test negative ELBO n/a (no test examples); median epoch 1864 s; model m")
        XCTAssertEqual([0.0, 0.5, 0.0123456, 1.23456, 123.456].map { format($0, significantDigits: 3) },
                       ["0.00", "0.500", "0.0123", "1.23", "123"])
    }

    func testTerminalStyleRedrawsABarWithTheTimeLeftInTheRun() {
        let text = output(.terminal) {
            $0.step(epoch: 1, epochs: 3, step: 500, done: 30000, total: 60000, loss: 257.125, examplesPerSecond: 30000, now: 5)
        }
        // Half of epoch 2 of 3 done: 30000 + 60000 examples left at 30000/s.
        XCTAssertEqual(text, "\r[############............] epoch 2/3 step 500 loss 257.12 30000 ex/s left 3 s   ")
        let finished = output(.terminal) { $0.epochDone(metrics, epochs: 10, examplesPerEpoch: 60000) }
        XCTAssertTrue(finished.hasPrefix("\repoch 2/10 step 938"))
        XCTAssertTrue(finished.hasSuffix("\n"))
    }

    func testQuietWritesNothing() {
        XCTAssertEqual(output(.quiet) {
            $0.step(epoch: 0, epochs: 1, step: 1, done: 1, total: 1, loss: 1, examplesPerSecond: 1, now: 1)
            $0.epochDone(metrics, epochs: 1, examplesPerEpoch: 60000)
            $0.note("resuming")
        }, "")
    }
}
