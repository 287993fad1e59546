import VAEModel
import XCTest
@testable import VAETrain

final class ProgressTests: XCTestCase {
    private let metrics = EpochMetrics(
        epoch: 2, step: 938, train: LossParts(total: 256.5, reconstruction: 240.25, kl: 16.25),
        test: LossParts(total: 254.0, reconstruction: 238.0, kl: 16.0), seconds: 1.25, examplesPerSecond: 48000)

    private func output(_ style: ProgressReporter.Style, _ body: (ProgressReporter) -> Void) -> String {
        var text = ""
        body(ProgressReporter(style: style) { text += $0 })
        return text
    }

    func testLinesStyleWritesOneLinePerEpochAndNoBar() {
        let text = output(.lines) {
            $0.step(epoch: 1, epochs: 10, step: 500, done: 4000, total: 60000, loss: 257, examplesPerSecond: 40000, now: 5)
            $0.epochDone(metrics, epochs: 10)
        }
        XCTAssertEqual(text, "epoch 2/10 step 938: train loss 256.500 (recon 240.250, kl 16.250), test -ELBO 254.000, 1.25 s, 48000 ex/s\n")
    }

    func testTerminalStyleRedrawsABarWithTheTimeLeftInTheRun() {
        let text = output(.terminal) {
            $0.step(epoch: 1, epochs: 3, step: 500, done: 30000, total: 60000, loss: 257.125, examplesPerSecond: 30000, now: 5)
        }
        // Half of epoch 2 of 3 done: 30000 + 60000 examples left at 30000/s.
        XCTAssertEqual(text, "\r[############............] epoch 2/3 step 500 loss 257.12 30000 ex/s left 3 s   ")
        let finished = output(.terminal) { $0.epochDone(metrics, epochs: 10) }
        XCTAssertTrue(finished.hasPrefix("\repoch 2/10 step 938"))
        XCTAssertTrue(finished.hasSuffix("\n"))
    }

    func testQuietWritesNothing() {
        XCTAssertEqual(output(.quiet) {
            $0.step(epoch: 0, epochs: 1, step: 1, done: 1, total: 1, loss: 1, examplesPerSecond: 1, now: 1)
            $0.epochDone(metrics, epochs: 1)
            $0.note("resuming")
        }, "")
    }
}
