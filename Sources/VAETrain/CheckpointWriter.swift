// Checkpoints written on a background thread, one at a time, so that training does not wait for
// the disk: the loop hands over a copy of its state and goes on. Each file still appears
// atomically (temporary name, fsync, rename), and the loop drains the writer before it reports a
// checkpoint to anyone or exits.
import Dispatch
import Foundation
import VAEModel

final class CheckpointWriter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "checkpoint-writer")
    private let lock = NSLock()
    private var failure: Error?

    /// Writes `checkpoint` to `path` after the writes submitted before it, then runs `completion`
    /// (on the writer's thread) if the write succeeded. Throws the error of an earlier write.
    func submit(_ checkpoint: Checkpoint, to path: String, completion: @escaping @Sendable () -> Void) throws {
        try throwFailure()
        queue.async { [self] in
            guard lock.withLock({ failure == nil }) else { return }
            do {
                try checkpoint.write(to: path)
                completion()
            } catch {
                lock.withLock { failure = error }
            }
        }
    }

    /// Waits for every submitted write; throws the first that failed.
    func drain() throws {
        queue.sync {}
        try throwFailure()
    }

    private func throwFailure() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
