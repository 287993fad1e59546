// The training loop: streams the shards of the train split in a shuffled order, steps the model,
// evaluates the test split after each epoch, and writes checkpoints from which a run continues
// exactly, whether it was stopped by a signal, killed, or ended by a NaN.
//
// B = batch size, D = pixels per example.
import Foundation
import VAEData
import VAEModel

/// Where a run reads and writes, and how it starts.
public struct TrainRequest: Sendable {
    /// The shard artifact; on resume nil means the one recorded in config.json.
    public var data: String?
    public var runDirectory: String
    /// The settings of a new run; on resume nil, or settings that must equal the run's own.
    public var options: TrainingOptions?
    public var resume = false
    /// Start a new run even if the directory holds one (its checkpoints are removed).
    public var force = false
    /// OpenBLAS threads; nil: the run's own count on resume, 1 for a new run.
    public var threads: Int?
    /// Stop (as SIGTERM would: checkpoint, then `TrainError.interrupted`) after this many steps
    /// in total. For tests of interruption and resume.
    public var stopAfterStep: Int?

    public init(data: String?, runDirectory: String, options: TrainingOptions?) {
        self.data = data
        self.runDirectory = runDirectory
        self.options = options
    }
}

public final class Trainer {
    private let request: TrainRequest
    private let progress: ProgressReporter
    private let warn: (String) -> Void
    private let stop: StopRequest
    private let run: RunDirectory

    private var dataset: ShardDataset!
    private var config: RunConfig!
    private var options: TrainingOptions { config.options }
    private var model: VAE!
    private var state = LoopState()
    private var times = PhaseTimes()
    /// The newest checkpoint submitted (written once `writer` is drained).
    private var lastCheckpoint: String?
    private let writer = CheckpointWriter()
    /// The next epoch's plan and stream, started early so its first shards decode during the
    /// test evaluation instead of at the start of the epoch.
    private var upcoming: (epoch: Int, plan: EpochPlan, stream: ShardStream)?

    /// Where the loop is: what a checkpoint must carry besides the model and Adam.
    struct LoopState: Equatable {
        var epoch = 0
        /// Examples of this epoch already trained on.
        var position = 0
        var rng = SeededRandom(seed: 0)
        /// Sums over this epoch's examples so far, for its mean train loss.
        var lossSum = 0.0
        var reconSum = 0.0
        var klSum = 0.0
    }

    public init(_ request: TrainRequest, progress: ProgressReporter, warn: @escaping (String) -> Void, stop: StopRequest) {
        self.request = request
        self.progress = progress
        self.warn = warn
        self.stop = stop
        self.run = RunDirectory(request.runDirectory)
    }

    /// Trains to the end and returns the summary; throws `TrainError` (or a data error) otherwise.
    public func train() throws -> RunSummary {
        if request.resume { try prepareResume() } else { try prepareNewRun() }
        VAE.setThreads(config.threads)
        var metricsRows = run.readMetricsRows(before: state.epoch)
        var epochSeconds = metricsRows.compactMap { Double($0.split(separator: ",")[8]) }
        let trainCount = dataset.count(.train)

        while state.epoch < options.epochs {
            let epochStart = now()
            let positionBefore = state.position
            try trainEpoch(trainCount: trainCount)
            let seconds = now() - epochStart
            if state.epoch + 1 < options.epochs {
                upcoming = epochStream(state.epoch + 1)
                upcoming!.stream.prefetch()
            }
            let test = try evaluateTest()
            let metrics = EpochMetrics(
                epoch: state.epoch + 1, step: model.optimizer.step,
                train: LossParts(total: state.lossSum / Double(trainCount), reconstruction: state.reconSum / Double(trainCount), kl: state.klSum / Double(trainCount)),
                test: test, seconds: seconds,
                examplesPerSecond: Double(trainCount - positionBefore) / max(seconds, 1e-9))
            metricsRows.append(metrics.csvRow)
            epochSeconds.append(seconds)
            try run.writeMetrics(rows: metricsRows)
            progress.epochDone(metrics, epochs: options.epochs)
            state = LoopState(epoch: state.epoch + 1, position: 0, rng: state.rng)
            try writeCheckpoint()
        }
        return try finish(epochSeconds: epochSeconds, metricsRows: metricsRows)
    }

    // MARK: Starting

    private func prepareNewRun() throws {
        guard let options = request.options else { throw TrainError.invalidOption("a new run needs its settings") }
        try options.validate()
        guard let data = request.data else { throw TrainError.invalidOption("a new run needs --data") }
        dataset = try ShardDataset(directory: data)
        try checkData(options: options)
        if run.holdsRun && !request.force {
            throw TrainError.runDirectory(path: run.path, problem: "already holds a run (checkpoints or config.json); use --resume to continue it or --force to start over")
        }
        let fm = FileManager.default
        if request.force {
            for path in [run.checkpoints, run.model, run.config, run.metrics, run.summary] { try? fm.removeItem(atPath: path) }
        }
        do {
            try fm.createDirectory(atPath: run.checkpoints, withIntermediateDirectories: true)
        } catch {
            throw TrainError.runDirectory(path: run.path, problem: "cannot create: \(error.localizedDescription)")
        }
        let shape = dataset.shape
        config = RunConfig(
            tool: ToolInfo(name: "vae-train", version: PipelineVersion.current),
            data: .init(directory: data, identity: dataset.identity, trainCount: dataset.count(.train),
                        testCount: dataset.count(.test), imageHeight: shape.height, imageWidth: shape.width, imageChannels: shape.channels),
            options: options, model: options.modelConfig(inputSize: shape.pixels), threads: request.threads ?? 1)
        try AtomicFile.write(try JSONCoding.encode(config), to: run.config)
        model = try VAE(config: config.model, seed: options.seed, batchCapacity: options.batchSize,
                        mcSamples: options.mcSamples, learningRate: options.learningRate)
        state = LoopState(rng: SeededRandom.derived(seed: options.seed, stream: Streams.training, epoch: 0))
        try run.writeMetrics(rows: [])
    }

    private func prepareResume() throws {
        config = try run.readConfig()
        if let threads = request.threads, threads != config.threads {
            warn("warning: resuming on \(threads) threads, started on \(config.threads): the results will not be bit-identical to a run on one thread count")
            config.threads = threads
        }
        if let given = request.options, given != config.options {
            throw TrainError.mismatch(path: run.config, problem: "the run was started with other settings than those given; resume takes its settings from config.json (give none)")
        }
        dataset = try ShardDataset(directory: request.data ?? config.data.directory)
        guard dataset.identity == config.data.identity else {
            throw TrainError.mismatch(path: dataset.directory, problem: "these shards are not the data the run was started on (manifest SHA-256 \(dataset.identity.prefix(12))..., the run's \(config.data.identity.prefix(12))...)")
        }
        try checkData(options: config.options)
        run.removeTemporaries()
        for path in run.listCheckpoints() {
            do {
                let checkpoint = try Checkpoint.read(from: path)
                try TrainingCheckpoint.check(checkpoint, against: config, path: path)
                (model, state) = try TrainingCheckpoint.restore(checkpoint)
                lastCheckpoint = path
                progress.note("resuming from \(path): epoch \(state.epoch + 1), example \(state.position) of the epoch, step \(model.optimizer.step)")
                return
            } catch let error as TrainError {
                throw error
            } catch {
                warn("warning: skipping checkpoint \(error)")
            }
        }
        throw TrainError.runDirectory(path: run.checkpoints, problem: "no valid checkpoint to resume from")
    }

    private func checkData(options: TrainingOptions) throws {
        guard dataset.count(.train) > 0 else {
            throw DataError(.emptyFile, dataset.directory, "the train split holds no examples")
        }
        if options.iwaeExamples > dataset.count(.test) {
            throw TrainError.invalidOption("--iwae-n \(options.iwaeExamples) is more than the \(dataset.count(.test)) test examples")
        }
    }

    // MARK: One epoch

    private func trainEpoch(trainCount: Int) throws {
        let d = config.model.inputSize
        let b = options.batchSize
        let (_, plan, stream) = upcoming?.epoch == state.epoch ? upcoming! : epochStream(state.epoch)
        upcoming = nil
        let batch = UnsafeMutablePointer<Float>.allocate(capacity: b * d)  // (B, D)
        defer { batch.deallocate() }
        let beta = options.beta(atEpoch: state.epoch)
        var filled = 0
        var skip = state.position
        let epochStart = now()
        let startPosition = state.position
        var mark = now()

        for (w, window) in plan.windows.enumerated() {
            if skip >= plan.windowCounts[w] {
                skip -= plan.windowCounts[w]
                window.forEach { _ in stream.skip() }
                continue
            }
            var blocks = [ShardBlock]()
            for _ in window { blocks.append(try stream.next()!) }
            let starts = blocks.reduce(into: [0]) { $0.append($0.last! + $1.count) }
            let order = plan.exampleOrder(window: w)
            for example in order[skip...] {
                var k = 0
                while example >= starts[k + 1] { k += 1 }
                let row = batch + filled * d
                blocks[k].pixels.withUnsafeBufferPointer { pixels in
                    Self.intensities(pixels.baseAddress! + (example - starts[k]) * d, into: row, count: d)
                }
                filled += 1
                if filled == b {
                    times.data += now() - mark
                    try step(batch, count: b, beta: beta)
                    mark = now()
                    filled = 0
                    progress.step(
                        epoch: state.epoch, epochs: options.epochs, step: model.optimizer.step, done: state.position, total: trainCount,
                        loss: state.lossSum / Double(max(1, state.position)),
                        examplesPerSecond: Double(state.position - startPosition) / max(now() - epochStart, 1e-9), now: now())
                    try checkpointIfDue()
                }
            }
            skip = 0
        }
        times.data += now() - mark
        if filled > 0 {  // the last, partial batch of the epoch
            try step(batch, count: filled, beta: beta)
            try checkpointIfDue()
        }
    }

    /// The order of `epoch` and a stream of its shards in that order.
    private func epochStream(_ epoch: Int) -> (epoch: Int, plan: EpochPlan, stream: ShardStream) {
        let plan = EpochPlan(shards: dataset.shards(.train), window: options.shuffleWindow, seed: options.seed, epoch: epoch)
        return (epoch, plan, dataset.stream(.train, order: plan.windows.flatMap { $0 }, lookahead: options.shuffleWindow))
    }

    private func step(_ batch: UnsafeMutablePointer<Float>, count: Int, beta: Float) throws {
        let start = now()
        if options.binarize == .dynamic {
            VAE.binarize(batch, into: batch, count: count * config.model.inputSize, rng: &state.rng)
        }
        let parts = model.trainStep(batch: batch, count: count, beta: beta, rng: &state.rng)
        times.compute += now() - start
        guard parts.total.isFinite, parts.reconstruction.isFinite, parts.kl.isFinite else {
            try writer.drain()
            throw TrainError.nonFinite(step: model.optimizer.step, checkpoint: lastCheckpoint)
        }
        state.position += count
        state.lossSum += parts.total * Double(count)
        state.reconSum += parts.reconstruction * Double(count)
        state.klSum += parts.kl * Double(count)
    }

    private func checkpointIfDue() throws {
        let step = model.optimizer.step
        if options.checkpointEvery > 0 && step % options.checkpointEvery == 0 {
            try writeCheckpoint()
        }
        if stop.isRequested || step == request.stopAfterStep {
            if lastCheckpoint != run.checkpoint(step: step) { try writeCheckpoint() }
            try writer.drain()
            throw TrainError.interrupted(step: step, checkpoint: lastCheckpoint!)
        }
    }

    /// Hands a copy of the state now to the background writer; old checkpoints are pruned once
    /// the new one is on disk.
    private func writeCheckpoint() throws {
        let start = now()
        // Never save an update that overflowed: the last checkpoint must be a good one.
        guard model.parameters.allSatisfy({ $0.isFinite }) else {
            try writer.drain()
            throw TrainError.nonFinite(step: model.optimizer.step, checkpoint: lastCheckpoint)
        }
        let path = run.checkpoint(step: model.optimizer.step)
        let run = run, keep = options.keepCheckpoints
        try writer.submit(TrainingCheckpoint.capture(model: model, state: state, config: config), to: path) {
            run.prune(keep: keep)
        }
        lastCheckpoint = path
        times.checkpoints += now() - start
    }

    // MARK: Evaluation and the end

    /// The test split's loss with one sample per example (beta 1: the negative ELBO), from a
    /// generator of its own so that evaluating never changes training.
    private func evaluateTest() throws -> LossParts {
        let start = now()
        defer { times.evaluation += now() - start }
        var rng = SeededRandom.derived(seed: options.seed, stream: Streams.evaluation, epoch: UInt64(state.epoch))
        var rec = 0.0, kl = 0.0, count = 0
        try forEachTestBatch(limit: nil) { batch, n in
            let parts = model.evaluate(batch: batch, count: n, beta: 1, rng: &rng)
            rec += parts.reconstruction * Double(n)
            kl += parts.kl * Double(n)
            count += n
        }
        guard count > 0 else { return LossParts(total: .nan, reconstruction: .nan, kl: .nan) }
        return LossParts(total: (rec + kl) / Double(count), reconstruction: rec / Double(count), kl: kl / Double(count))
    }

    /// Calls `body` with the test split in manifest order, in batches of the training batch size.
    private func forEachTestBatch(limit: Int?, _ body: (UnsafePointer<Float>, Int) throws -> Void) throws {
        let d = config.model.inputSize
        let b = options.batchSize
        let batch = UnsafeMutablePointer<Float>.allocate(capacity: b * d)
        defer { batch.deallocate() }
        var remaining = limit ?? dataset.count(.test)
        let stream = dataset.stream(.test)
        while remaining > 0, let block = try stream.next() {
            var offset = 0
            while offset < block.count && remaining > 0 {
                let n = min(b, block.count - offset, remaining)
                block.pixels.withUnsafeBufferPointer { pixels in
                    Self.intensities(pixels.baseAddress! + offset * d, into: batch, count: n * d)
                }
                try body(batch, n)
                offset += n
                remaining -= n
            }
        }
    }

    private func finish(epochSeconds: [Double], metricsRows: [String]) throws -> RunSummary {
        var iwae: Double?
        if options.iwaeSamples > 0 {
            var rng = SeededRandom.derived(seed: options.seed, stream: Streams.iwae, epoch: 0)
            var sum = 0.0
            let bounds = UnsafeMutablePointer<Double>.allocate(capacity: options.batchSize)
            defer { bounds.deallocate() }
            try forEachTestBatch(limit: options.iwaeExamples) { batch, n in
                let values = model.importanceWeightedBound(batch: batch, count: n, samples: options.iwaeSamples, rng: &rng)
                sum += values.reduce(0, +)
            }
            iwae = -sum / Double(options.iwaeExamples)
        }
        let last = metricsRows.last?.split(separator: ",").map { Double($0) ?? .nan } ?? []
        let sorted = epochSeconds.sorted()
        let median = sorted.isEmpty ? 0 : (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
        let summary = RunSummary(
            epochs: options.epochs, steps: model.optimizer.step, trainLoss: last.count > 2 ? last[2] : .nan,
            testNegElbo: last.count > 5 ? last[5] : .nan, testRecon: last.count > 6 ? last[6] : .nan,
            testKl: last.count > 7 ? last[7] : .nan, epochSeconds: epochSeconds, medianEpochSeconds: median,
            examplesPerSecond: median > 0 ? Double(dataset.count(.train)) / median : 0,
            iwaeNll: iwae, iwaeK: iwae == nil ? nil : options.iwaeSamples, iwaeN: iwae == nil ? nil : options.iwaeExamples,
            phaseSeconds: times)
        try writer.drain()
        try AtomicFile.write(try JSONCoding.encode(summary), to: run.summary)
        // The final model: the last checkpoint's bytes under the run's top level.
        try TrainingCheckpoint.capture(model: model, state: state, config: config).write(to: run.model)
        return summary
    }

    /// Pixels as [0, 1] intensities, x / 255 (a loop the compiler vectorizes).
    private static func intensities(_ pixels: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = Float(pixels[i]) / 255 }
    }

    private func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
