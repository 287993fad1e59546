// The training loop: streams the shards of the train split in each epoch's shuffled order
// (`EpochPlan`), steps the model, evaluates the test split after each epoch (`Evaluation`),
// records the epoch's figures (`EpochMetrics`, written by `RunDirectory`), and writes checkpoints
// from which a run continues exactly, whether it was stopped by a signal, killed, or ended by a
// NaN. A stop request is seen within one training step or one evaluation batch, at any phase:
// the state is saved, and `--resume` finishes what was left, the final evaluation included.
//
// B = batch size, D = inputs per example (H·W·C).
import Foundation
import VAECluster
import VAECore
import VAEShards
import VAEModel

/// Where a run reads and writes, and how it starts.
public struct TrainRequest: Sendable {
    /// The shard artifact; on resume nil means the one recorded in config.json.
    public var data: String?
    public var runDirectory: String
    /// The settings of a new run; on resume nil, or settings that must equal the run's own.
    public var settings: TrainingSettings?
    public var resume = false
    /// Start a new run even if the directory holds one (its checkpoints are removed).
    public var force = false
    /// Training threads (slices of each batch); nil: the run's own count on resume, 1 for a new run.
    public var threads: Int?
    /// Stop (as SIGTERM would: checkpoint, then `TrainError.interrupted`) after this many steps
    /// in total. For tests of interruption and resume.
    public var stopAfterStep: Int?
    /// Stop (as SIGINT would) on entering this phase. For tests of interruption and resume.
    public var stopInPhase: TrainingPhase?
    /// The processes training together (`Cluster.single` without mpirun; a test's `ThreadRanks`).
    /// Rank 0 reads and writes the run directory; the others read only the shards (see `DistributedStep`).
    public var cluster: any Ranks = Cluster.single

    public init(data: String?, runDirectory: String, settings: TrainingSettings?) {
        self.data = data
        self.runDirectory = runDirectory
        self.settings = settings
    }
}

/// One run of training, from a new or resumed start to the final model.
public final class Trainer {
    private let request: TrainRequest
    private let progress: ProgressReporter
    private let warn: (String) -> Void
    private let stop: StopFlag
    private let run: RunDirectory

    /// What a prepared run holds: set once by `newRun()` or `resumeRun()`.
    private struct Run {
        let dataset: ShardDataset
        var config: RunConfig
        let model: VAE
        var settings: TrainingSettings { config.settings }
        var inputSize: Int { config.model.inputSize }
    }

    private var times = PhaseTimes()
    /// The newest checkpoint submitted (written once `writer` is drained).
    private var lastCheckpoint: String?
    private let writer = CheckpointWriter()
    private var phase = TrainingPhase.training
    /// The rows of gradient_variance.csv so far (with `gradientVarianceEvery`).
    private var gradientVarianceRows: [GradientVarianceRow] = []
    private var cluster: any Ranks { request.cluster }
    /// The distributed step, for more than one rank.
    private var distributed: DistributedStep?

    public init(_ request: TrainRequest, progress: ProgressReporter, warn: @escaping (String) -> Void, stop: StopFlag) {
        self.request = request
        self.progress = progress
        self.warn = warn
        self.stop = stop
        self.run = RunDirectory(request.runDirectory)
    }

    /// Trains to the end and returns the summary; throws `TrainError` (or a data error) otherwise.
    public func train() throws -> RunSummary {
        let (r, start) = try start()
        var state = start
        r.model.useThreads(r.config.threads)
        if cluster.isDistributed {
            distributed = DistributedStep(cluster: cluster, model: r.model, inputSize: r.inputSize, batchSize: r.settings.batchSize)
        }
        do {
            return try train(r, &state)
        } catch let interruption as Interrupted {
            let error = try stopped(r, state, signal: interruption.signal)
            // A stop in training is shared: every rank stopped after the same step, and none may
            // end the job before rank 0's checkpoint is on disk (or rank 0 failed to write it).
            if cluster.isDistributed && phase == .training { _ = try cluster.agree() }
            throw error
        }
    }

    /// The epochs left, the final evaluation and the final writes.
    private func train(_ r: Run, _ state: inout TrainingState) throws -> RunSummary {
        let settings = r.settings
        let trainCount = r.dataset.count(.train)
        let evaluation = Evaluation(dataset: r.dataset, settings: settings, inputSize: r.inputSize, stop: stop)
        var history = cluster.isRoot ? try run.readHistory(through: state.epoch) : []
        gradientVarianceRows = cluster.isRoot ? try run.readGradientVariance(through: r.model.optimizer.step) : []
        var upcoming: EpochStream?
        let epochs = settings.plannedEpochs(trainCount: trainCount)
        while state.epoch < epochs {
            enter(.training)
            let positionBefore = state.examplesSeen
            let epochStart = now()
            let measuredBefore = times.gradientVariance
            let stream = upcoming?.epoch == state.epoch ? upcoming! : EpochStream(r.dataset, settings, epoch: state.epoch)
            try trainEpoch(r, &state, stream)
            // Gradient-variance measurements are not training time.
            let seconds = now() - epochStart - (times.gradientVariance - measuredBefore)
            // The next epoch's first shards decode during the test evaluation.
            upcoming = state.epoch + 1 < epochs ? EpochStream(r.dataset, settings, epoch: state.epoch + 1) : nil
            upcoming?.stream.prefetch()

            // Rank 0 evaluates and writes; the others go on to the next epoch's first step.
            guard cluster.isRoot else {
                state = TrainingState(epoch: state.epoch + 1, rng: state.rng)
                continue
            }
            enter(.testEvaluation)
            let evaluationStart = now()
            let test = try evaluation.testLoss(model: r.model, epoch: state.epoch)
            let testObjective = try evaluation.testObjective(model: r.model, epoch: state.epoch)
            times.evaluation += now() - evaluationStart
            // The last epoch of a step budget may be partial: its figures are over the examples it saw.
            let metrics = EpochMetrics(
                epoch: state.epoch + 1, step: r.model.optimizer.step, examples: state.examplesSeen,
                train: state.lossSums.mean(over: state.examplesSeen), test: test, seconds: seconds,
                examplesPerSecond: Double(state.examplesSeen - positionBefore) / max(seconds, 1e-9), testObjective: testObjective)
            history.append(metrics)
            try run.writeMetrics(history)
            progress.epochDone(metrics, epochs: epochs, examplesPerEpoch: trainCount)
            state = TrainingState(epoch: state.epoch + 1, rng: state.rng)
            try writeCheckpoint(r, state)
        }
        guard cluster.isRoot else {
            return RunSummary(history: [], steps: r.model.optimizer.step, iwae: nil, trainCount: trainCount, phaseSeconds: times)
        }

        enter(.importanceWeightedBound)
        var evaluationStart = now()
        let iwae = try evaluation.importanceWeightedNLL(model: r.model)
        times.evaluation += now() - evaluationStart

        enter(.collapseFigures)
        evaluationStart = now()
        let collapse = try evaluation.collapseFigures(model: r.model)
        times.evaluation += now() - evaluationStart

        enter(.finalWrites)
        try stop.check()
        let summary = RunSummary(
            history: history, steps: r.model.optimizer.step,
            iwae: iwae.map { ($0, settings.iwaeSamples, settings.iwaeExamples) }, collapse: collapse, trainCount: trainCount,
            phaseSeconds: times)
        try writeFinal(r, state, summary)
        if let warning = summary.collapseWarning { warn(warning) }  // once, by the process that finishes the run
        return summary
    }

    /// The final files: the model's weights as safetensors, the last checkpoint's bytes under the
    /// run's top level (model.ckpt), and summary.json last, so that a run with a summary is
    /// complete. The trained model is on disk before them, in the last checkpoint (written at the
    /// end of the last epoch); should that write have failed, model.ckpt is still written. A
    /// failure throws `TrainError.unfinished` naming where the model is: `--resume` finishes
    /// such a run (a resume after the last epoch does only the final evaluations and these writes).
    private func writeFinal(_ r: Run, _ state: TrainingState, _ summary: RunSummary) throws {
        var saved: String?
        var checkpointFailure: Error?
        do {
            try writer.drain()
            saved = lastCheckpoint
        } catch {
            checkpointFailure = error
        }
        do {
            let final = TrainingCheckpoint.capture(model: r.model, state: state, config: r.config)
            try SafeTensors(checkpoint: final, image: r.dataset.shape, classNames: r.dataset.manifest.labelNames)
                .write(to: run.safetensors)
            try final.write(to: run.model)
            saved = run.model
            if let checkpointFailure { throw checkpointFailure }
            try AtomicFile.write(try JSONCoding.encode(summary), to: run.summary)
        } catch {
            throw TrainError.unfinished(problem: "\(error)", model: saved, runDirectory: run.path)
        }
    }

    // MARK: Starting

    /// The run and where it starts. With several ranks, rank 0 prepares it (new or resumed) and
    /// sends its config.json and its starting state (a checkpoint's bytes) to the others, which
    /// open the same shards; so only rank 0 needs the run directory.
    private func start() throws -> (Run, TrainingState) {
        guard cluster.isDistributed else { return request.resume ? try resumeRun() : try newRun() }
        var prepared: (Run, TrainingState)?
        var configBytes: [UInt8] = [], checkpointBytes: [UInt8] = []
        if cluster.isRoot {
            let (r, state) = request.resume ? try resumeRun() : try newRun()
            prepared = (r, state)
            configBytes = try JSONCoding.encode(r.config)
            checkpointBytes = try TrainingCheckpoint.capture(model: r.model, state: state, config: r.config).encoded()
        }
        _ = try cluster.agree()  // rank 0 has a run to send, or failed to prepare one
        configBytes = try cluster.broadcast(configBytes)
        checkpointBytes = try cluster.broadcast(checkpointBytes)
        if let prepared { return prepared }
        let config = try JSONCoding.decode(RunConfig.self, from: configBytes, path: run.config)
        let checkpoint = try Checkpoint.decode(checkpointBytes, path: "rank 0's starting state")
        let dataset = try ShardDataset(directory: config.data.directory)
        guard dataset.identity == config.data.identity else {
            throw TrainError.mismatch(path: dataset.directory, problem: "these shards differ from rank 0's (manifest SHA-256 \(dataset.identity.prefix(12))..., rank 0's \(config.data.identity.prefix(12))...)")
        }
        return (Run(dataset: dataset, config: config, model: try VAE(checkpoint: checkpoint)), checkpoint.state)
    }

    private func newRun() throws -> (Run, TrainingState) {
        guard let settings = request.settings else { throw TrainError.invalidOption("a new run needs its settings") }
        try settings.validate()
        guard let data = request.data else { throw TrainError.invalidOption("a new run needs --data") }
        let dataset = try ShardDataset(directory: data)
        try checkData(dataset, settings)
        if run.holdsRun && !request.force {
            throw TrainError.runDirectory(path: run.path, problem: "already holds a run (checkpoints or config.json); use --resume to continue it or --force to start over")
        }
        let planned = settings.plannedSteps(trainCount: dataset.count(.train))
        if planned < TrainingSettings.shortRunSteps {
            warn("warning: \(planned) optimizer steps in all: probably too short to learn anything (\(TrainingSettings.shortRunSteps) or more with --steps or --epochs; see docs/METHOD.md)")
        }
        let fm = FileManager.default
        if request.force {
            for path in [run.checkpoints, run.model, run.safetensors, run.config, run.metrics, run.history, run.summary,
                         run.gradientVariance, run.gradientVarianceHistory] { try? fm.removeItem(atPath: path) }
        }
        do {
            try fm.createDirectory(atPath: run.checkpoints, withIntermediateDirectories: true)
        } catch {
            throw TrainError.runDirectory(path: run.path, problem: "cannot create: \(error.localizedDescription)")
        }
        let shape = dataset.shape
        let config = RunConfig(
            tool: ToolInfo(name: "vae-train", version: PipelineVersion.current),
            data: .init(directory: data, identity: dataset.identity, trainCount: dataset.count(.train),
                        testCount: dataset.count(.test), imageHeight: shape.height, imageWidth: shape.width,
                        imageChannels: shape.channels),
            settings: settings, model: settings.modelConfig(shape: shape, classNames: dataset.manifest.labelNames),
            threads: request.threads ?? 1, ranks: cluster.size == 1 ? nil : cluster.size)
        try AtomicFile.write(try JSONCoding.encode(config), to: run.config)
        let model = try VAE(config: config.model, seed: settings.seed, batchCapacity: settings.batchSize,
                            mcSamples: settings.mcSamples, learningRate: settings.learningRate)
        model.estimator = settings.estimator
        model.objective = settings.objective
        try model.startPseudoInputs(from: dataset, seed: settings.seed)
        try run.writeMetrics([])
        let state = TrainingState(rng: SeededRandom.derived(seed: settings.seed, stream: Streams.training, epoch: 0))
        return (Run(dataset: dataset, config: config, model: model), state)
    }

    private func resumeRun() throws -> (Run, TrainingState) {
        var config = try run.readConfig()
        // Another N would sum the gradients in another order: the run could no longer be
        // reproduced by any single N, so it is refused rather than continued with a warning.
        guard config.rankCount == cluster.size else {
            throw TrainError.mismatch(path: run.config, problem: "the run was trained by \(config.rankCount) process\(config.rankCount == 1 ? "" : "es") and this is \(cluster.size); resume it with mpirun -np \(config.rankCount)\(config.rankCount == 1 ? " or without mpirun" : "") (the bits depend on the count)")
        }
        if let threads = request.threads, threads != config.threads {
            warn("warning: resuming on \(threads) threads, started on \(config.threads): the results will not be bit-identical to a run on one thread count")
            config.threads = threads
        }
        if let given = request.settings, given != config.settings {
            throw TrainError.mismatch(path: run.config, problem: "the run was started with other settings than those given; resume takes its settings from config.json (give none)")
        }
        let dataset = try ShardDataset(directory: request.data ?? config.data.directory)
        guard dataset.identity == config.data.identity else {
            throw TrainError.mismatch(path: dataset.directory, problem: "these shards are not the data the run was started on (manifest SHA-256 \(dataset.identity.prefix(12))..., the run's \(config.data.identity.prefix(12))...)")
        }
        try checkData(dataset, config.settings)
        run.removeTemporaries()
        for path in run.listCheckpoints() {
            do {
                let checkpoint = try Checkpoint.read(from: path)
                try TrainingCheckpoint.check(checkpoint, against: config, path: path)
                let model = try VAE(checkpoint: checkpoint)
                lastCheckpoint = path
                let state = checkpoint.state
                progress.note(state.epoch < config.settings.epochs
                    ? "resuming from \(path): epoch \(state.epoch + 1), example \(state.examplesSeen) of the epoch, step \(model.optimizer.step)"
                    : "resuming from \(path): training is done (step \(model.optimizer.step)); the final evaluation and writes are left")
                return (Run(dataset: dataset, config: config, model: model), state)
            } catch let error as TrainError {
                throw error
            } catch {
                warn("warning: skipping checkpoint \(error)")
            }
        }
        throw TrainError.runDirectory(path: run.checkpoints, problem: "no valid checkpoint to resume from")
    }

    private func checkData(_ dataset: ShardDataset, _ settings: TrainingSettings) throws {
        if settings.conditional && (dataset.manifest.labelNames ?? []).isEmpty {
            throw DataError(.invalidArgument, FileIO.join(dataset.directory, "manifest.json"),
                            "--conditional needs labelled shards, and these have no labels (no label_names)")
        }
        try settings.modelConfig(shape: dataset.shape, classNames: dataset.manifest.labelNames).validate()
        guard dataset.count(.train) > 0 else {
            throw DataError(.emptyFile, dataset.directory, "the train split holds no examples")
        }
        if settings.prior.pseudoInputs > dataset.count(.train) {
            throw TrainError.invalidOption("--pseudo-inputs \(settings.prior.pseudoInputs) is more than the \(dataset.count(.train)) training examples they start from")
        }
        if dataset.count(.test) == 0 {
            if settings.iwaeSamples > 0 { warn("warning: the test split holds no examples: no importance-weighted bound (--iwae-k)") }
        } else if settings.iwaeExamples > dataset.count(.test) {
            throw TrainError.invalidOption("--iwae-n \(settings.iwaeExamples) is more than the \(dataset.count(.test)) test examples")
        }
    }

    // MARK: One epoch

    /// Trains on the examples of `state.epoch` not yet seen, from the resume point of its plan.
    private func trainEpoch(_ r: Run, _ state: inout TrainingState, _ epoch: EpochStream) throws {
        let d = r.inputSize
        let b = r.settings.batchSize
        let trainCount = r.dataset.count(.train)
        let plan = epoch.plan, stream = epoch.stream
        let batch = UnsafeMutablePointer<Float>.allocate(capacity: b * d)  // (B, D)
        defer { batch.deallocate() }
        let labels = UnsafeMutablePointer<UInt16>.allocate(capacity: b)  // (B) the batch's classes
        defer { labels.deallocate() }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: d)  // (D) one image, for augmentation
        defer { scratch.deallocate() }
        let epochs = r.settings.plannedEpochs(trainCount: trainCount)
        let budget = r.settings.steps
        func beta() -> Float { r.settings.beta(atStep: r.model.optimizer.step + 1, epoch: state.epoch) }
        var filled = 0
        let epochStart = now()
        let startPosition = state.examplesSeen
        var mark = now()

        let (firstWindow, firstOffset) = plan.resumePoint(after: state.examplesSeen)
        for window in plan.windows.prefix(firstWindow) { window.forEach { _ in stream.skip() } }
        // A step budget ends the run inside its last epoch, after its last step.
        var budgetSpent: Bool { budget > 0 && r.model.optimizer.step >= budget }
        windows: for w in firstWindow ..< plan.windows.count {
            if budgetSpent { break windows }
            var blocks = [ShardBlock]()
            for _ in plan.windows[w] { blocks.append(try stream.next()!) }
            let starts = blocks.reduce(into: [0]) { $0.append($0.last! + $1.count) }
            let order = plan.exampleOrder(window: w)
            for example in order[(w == firstWindow ? firstOffset : 0)...] {
                var k = 0
                while example >= starts[k + 1] { k += 1 }
                let row = batch + filled * d
                blocks[k].pixels.withUnsafeBufferPointer { pixels in
                    Intensity.convert(pixels.baseAddress! + (example - starts[k]) * d, into: row, count: d)
                }
                labels[filled] = blocks[k].labels[example - starts[k]]
                filled += 1
                if filled == b {
                    times.data += now() - mark
                    try step(r, &state, batch, labels, scratch, count: b, beta: beta())
                    mark = now()
                    filled = 0
                    progress.step(
                        epoch: state.epoch, epochs: epochs, step: r.model.optimizer.step, done: state.examplesSeen,
                        total: trainCount, loss: state.lossSums.total / Double(max(1, state.examplesSeen)),
                        examplesPerSecond: Double(state.examplesSeen - startPosition) / max(now() - epochStart, 1e-9), now: now())
                    try checkpointIfDue(r, state)
                    if budgetSpent { break windows }
                }
            }
        }
        times.data += now() - mark
        if filled > 0 && !budgetSpent {  // the last, partial batch of the epoch
            try step(r, &state, batch, labels, scratch, count: filled, beta: beta())
            try checkpointIfDue(r, state)
        }
    }

    /// One optimizer step on `count` assembled examples: augmented and binarized as the settings
    /// say (drawing from the run's generator, so a resume is exact), then the model's step.
    private func step(_ r: Run, _ state: inout TrainingState, _ batch: UnsafeMutablePointer<Float>, _ labels: UnsafePointer<UInt16>,
                      _ scratch: UnsafeMutablePointer<Float>, count: Int, beta: Float) throws {
        let labels = r.config.model.isConditional ? labels : nil
        let start = now()
        r.settings.augment.apply(batch, count: count, shape: r.dataset.shape, scratch: scratch, rng: &state.rng)
        if r.settings.binarize == .dynamic {
            VAE.binarize(batch, into: batch, count: count * r.inputSize, rng: &state.rng)
        }
        // Rank 0 alone measures (its own random stream: training is unchanged); the others wait
        // for it at the step's agreement point.
        if cluster.isRoot && r.settings.measuresGradientVariance(atStep: r.model.optimizer.step + 1) {
            try measureGradientVariance(r, batch, labels, count: count, beta: beta)
        }
        let parts: LossParts
        if let distributed {
            parts = try distributed.step(batch: batch, labels: labels, count: count, beta: beta, rng: &state.rng)
        } else {
            parts = r.model.trainStep(batch: batch, count: count, beta: beta, rng: &state.rng, labels: labels)
        }
        times.compute += now() - start
        guard parts.total.isFinite, parts.reconstruction.isFinite, parts.kl.isFinite else {
            try writer.drain()
            throw TrainError.nonFinite(step: r.model.optimizer.step, checkpoint: lastCheckpoint)
        }
        state.examplesSeen += count
        state.lossSums.add(parts, count: count)
    }

    /// Appends the spread of the encoder's gradient on this batch, before the step's update, to
    /// gradient_variance.csv. Its eps come from their own stream (seeded by the step), so
    /// measuring never changes training.
    private func measureGradientVariance(_ r: Run, _ batch: UnsafeMutablePointer<Float>, _ labels: UnsafePointer<UInt16>?,
                                         count: Int, beta: Float) throws {
        let start = now()
        let step = r.model.optimizer.step + 1
        var rng = SeededRandom.derived(seed: r.settings.seed, stream: Streams.gradientVariance, epoch: UInt64(step))
        let spreads = try r.model.gradientSpread(
            batch: batch, count: count, beta: beta,
            draws: r.settings.gradientVarianceDraws, rng: &rng, labels: labels)
        gradientVarianceRows += spreads.map { GradientVarianceRow(step: step, $0) }
        try run.writeGradientVariance(gradientVarianceRows)
        times.gradientVariance += now() - start
    }

    private func enter(_ next: TrainingPhase) {
        phase = next
        if request.stopInPhase == next { stop.request(signal: SIGINT) }
    }

    /// A periodic checkpoint when one is due; a stop request (or `stopAfterStep`) ends the run here.
    private func checkpointIfDue(_ r: Run, _ state: TrainingState) throws {
        let step = r.model.optimizer.step
        if r.settings.checkpointEvery > 0 && step % r.settings.checkpointEvery == 0 {
            try writeCheckpoint(r, state)
        }
        if step == request.stopAfterStep { stop.request(signal: SIGTERM) }
        // Every rank stops after the same step: a stop seen by any of them stops all. (The
        // agreement point after rank 0's checkpoint, see `Ranks.agree`.)
        if cluster.isDistributed, try cluster.agree(stop: stop.isRequested), !stop.isRequested { stop.request(signal: SIGTERM) }
        try stop.check()
    }

    /// Saves the state of the moment (unless the newest checkpoint already holds it), waits for
    /// the writes, and returns the error that reports the stop.
    private func stopped(_ r: Run, _ state: TrainingState, signal: Int32) throws -> TrainError {
        let step = r.model.optimizer.step
        if lastCheckpoint != run.checkpoint(step: step) { try writeCheckpoint(r, state) }
        try writer.drain()
        return .interrupted(step: step, phase: phase, checkpoint: lastCheckpoint ?? run.checkpoint(step: step),
                            runDirectory: run.path, signal: signal)
    }

    /// Hands a copy of the state now to the background writer; old checkpoints are pruned once
    /// the new one is on disk.
    private func writeCheckpoint(_ r: Run, _ state: TrainingState) throws {
        guard cluster.isRoot else { return }  // rank 0 alone writes the run directory
        let start = now()
        // Never save an update that overflowed: the last checkpoint must be a good one.
        guard r.model.parameters.allSatisfy({ $0.isFinite }) else {
            try writer.drain()
            throw TrainError.nonFinite(step: r.model.optimizer.step, checkpoint: lastCheckpoint)
        }
        let path = run.checkpoint(step: r.model.optimizer.step)
        let run = run, keep = r.settings.keepCheckpoints
        try writer.submit(TrainingCheckpoint.capture(model: r.model, state: state, config: r.config), to: path) {
            run.prune(keep: keep)
        }
        lastCheckpoint = path
        times.checkpoints += now() - start
    }

    private func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
