// Work done on several threads and consumed in order: `InOrderWork.run` computes items
// 0 ..< count on `threads` threads, at most `window` items ahead of the consumer (so memory stays
// bounded), and hands each result to the calling thread in index order. The consumer sees the
// same sequence whatever the thread count, so outputs built from it are byte-identical.
import Dispatch
import Foundation

public enum InOrderWork {
    /// Computes `work(i)` for i in 0 ..< count on `threads` threads and calls `consume(i, result)`
    /// on the calling thread for i = 0, 1, 2, ... An error of `consume` stops the workers (those
    /// running finish their item) and is rethrown.
    public static func run<T: Sendable>(
        count: Int, threads: Int, window: Int,
        _ work: @escaping @Sendable (Int) -> T, consume: (Int, T) throws -> Void
    ) rethrows {
        guard count > 0 else { return }
        let state = State<T>(count: count, window: max(1, window))
        let group = DispatchGroup()
        for _ in 0..<max(1, min(threads, count)) {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while let i = state.take() { state.put(i, work(i)) }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        defer {
            state.stop()
            group.wait()
        }
        for i in 0..<count { try consume(i, state.result(i)) }
    }

    /// The items handed out and the results not yet consumed, under one lock.
    private final class State<T>: @unchecked Sendable {
        private let condition = NSCondition()
        private let count: Int
        private let window: Int
        private var next = 0
        private var consumed = 0
        private var stopped = false
        private var results: [Int: T] = [:]

        init(count: Int, window: Int) {
            self.count = count
            self.window = window
        }

        /// The next item to compute, once it is within the window; nil when all are handed out.
        func take() -> Int? {
            condition.lock()
            defer { condition.unlock() }
            while !stopped && next < count && next >= consumed + window { condition.wait() }
            guard !stopped && next < count else { return nil }
            next += 1
            return next - 1
        }

        func put(_ i: Int, _ value: T) {
            condition.lock()
            results[i] = value
            condition.broadcast()
            condition.unlock()
        }

        /// Item i's result, once computed.
        func result(_ i: Int) -> T {
            condition.lock()
            defer { condition.unlock() }
            while results[i] == nil { condition.wait() }
            consumed = i + 1
            condition.broadcast()
            return results.removeValue(forKey: i)!
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }
    }
}
