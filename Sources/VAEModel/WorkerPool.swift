// A fixed team of threads for the model's data-parallel work: the calling thread plus T - 1
// workers started once, each handed part k of a job by a semaphore and joined by another. Handing
// a job over allocates nothing (the job is a non-escaping closure, seen by the workers only while
// `run` waits for them), so a training step that runs two jobs per step stays allocation-free.
//
// T = threads (parts of every job), k = a part, 0 for the calling thread.
import COpenBLAS
import Foundation

/// The calling thread and T - 1 persistent worker threads that run the parts of one job at a time.
///
/// `run(body)` calls `body(k)` for every k in 0 ..< T, part 0 on the calling thread and part k on
/// worker k, and returns when all have returned. A `run` from inside a part (a nested run) calls
/// its parts one after another on the thread that asked, so a pass that splits its work over the
/// pool when called from the top level (the convolution's image passes) is also correct, serially,
/// from inside one data-parallel slice. Jobs are started from one thread at a time: the model that
/// owns the pool. Public for VAEBench, which times a step's products alone on the model's threads.
public final class WorkerPool: @unchecked Sendable {
    /// T, the parts of every job (1: no workers, every job runs on the caller).
    public let threads: Int
    private let shared: Shared

    /// What the workers read: the job of the moment and the semaphores.
    private final class Shared: @unchecked Sendable {
        var job: ((Int) -> Void)?
        /// Set while a job runs: a `run` that sees it is nested.
        var running = false
        var stopping = false
        let start: [DispatchSemaphore]
        let done = DispatchSemaphore(value: 0)

        init(workers: Int) {
            start = (0 ..< workers).map { _ in DispatchSemaphore(value: 0) }
        }
    }

    /// Starts T - 1 worker threads.
    public init(threads: Int) {
        self.threads = max(1, threads)
        shared = Shared(workers: self.threads - 1)
        for k in 1 ..< self.threads {
            let shared = shared
            let thread = Thread {
                vae_flush_subnormals()
                while true {
                    shared.start[k - 1].wait()
                    if shared.stopping { return }
                    WorkerPool.runPart(shared, k)
                    shared.done.signal()
                }
            }
            thread.name = "vae-worker-\(k)"
            thread.start()
        }
    }

    /// Ends the worker threads (each finishes its wait, sees `stopping`, and returns).
    deinit {
        shared.stopping = true
        for s in shared.start { s.signal() }
    }

    /// Part k of the current job; the job's reference is dropped before the part is reported done.
    private static func runPart(_ shared: Shared, _ k: Int) {
        let job = shared.job!
        job(k)
    }

    /// Runs body(0), ..., body(T - 1), part k on thread k, and returns when all are done. Nested
    /// inside a part, runs them in order on the calling thread.
    public func run(_ body: (Int) -> Void) {
        if threads == 1 || shared.running {
            for k in 0 ..< threads { body(k) }
            return
        }
        withoutActuallyEscaping(body) { job in
            shared.job = job
            shared.running = true
            for s in shared.start { s.signal() }
            job(0)
            for _ in 1 ..< threads { shared.done.wait() }
            shared.running = false
            shared.job = nil
        }
    }

    /// The part of `0 ..< count` that part k of T takes: [k·count/T, (k+1)·count/T).
    static func slice(_ k: Int, of count: Int, parts t: Int) -> Range<Int> {
        BatchSlices(count: count, parts: t).range(k)
    }
}

/// How a batch is cut into `parts` contiguous slices, the rule of the threads inside a process:
/// slice k is [k·count/parts, (k+1)·count/parts). A slice may be empty when count < parts.
public struct BatchSlices: Sendable {
    public let count: Int
    public let parts: Int

    public init(count: Int, parts: Int) {
        self.count = count
        self.parts = parts
    }

    /// The examples of slice `k`.
    public func range(_ k: Int) -> Range<Int> {
        (k * count / parts) ..< ((k + 1) * count / parts)
    }
}

