// The order in which one epoch visits the training examples, derived from (seed, epoch) alone so
// that a resumed run visits them in exactly the order the interrupted one would have, and the
// place in that order where a run that had seen some of them resumes.
//
// The shard order is shuffled; consecutive shards of that order form windows of
// `shuffleWindow` shards; the examples of each window are shuffled together. Every example is
// visited exactly once per epoch, and memory holds one window of shards at a time.
import VAEShards
import VAEModel

struct EpochPlan {
    /// The windows, each a list of shard indices (into the split's shard list).
    let windows: [[Int]]
    /// Examples per window.
    let windowCounts: [Int]
    private let seed: UInt64
    private let epoch: Int

    init(shards: [ShardInfo], window: Int, seed: UInt64, epoch: Int) {
        var order = Array(shards.indices)
        var rng = SeededRandom.derived(seed: seed, stream: Streams.shardOrder, epoch: UInt64(epoch))
        rng.shuffle(&order)
        windows = stride(from: 0, to: order.count, by: window).map { Array(order[$0..<min($0 + window, order.count)]) }
        windowCounts = windows.map { $0.reduce(0) { $0 + shards[$1].records } }
        self.seed = seed
        self.epoch = epoch
    }

    /// Where the epoch continues after its first `examplesSeen` examples: the window, and the
    /// index into that window's `exampleOrder` of the next example. Past the last example it is
    /// (windows.count, 0): nothing is left.
    func resumePoint(after examplesSeen: Int) -> (window: Int, offset: Int) {
        var skip = examplesSeen
        for (w, count) in windowCounts.enumerated() {
            if skip < count { return (w, skip) }
            skip -= count
        }
        return (windows.count, 0)
    }

    /// The order of the examples of window `w`: a permutation of 0..<count, indices into the
    /// window's shards' records laid end to end.
    func exampleOrder(window w: Int) -> [Int] {
        var order = Array(0..<windowCounts[w])
        var rng = SeededRandom.derived(seed: seed, stream: Streams.windowOrder &+ UInt64(w), epoch: UInt64(epoch))
        rng.shuffle(&order)
        return order
    }
}

/// One epoch's plan and a stream of its shards in that order.
struct EpochStream {
    let epoch: Int
    let plan: EpochPlan
    let stream: ShardStream

    init(_ dataset: ShardDataset, _ settings: TrainingSettings, epoch: Int) {
        self.epoch = epoch
        plan = EpochPlan(shards: dataset.shards(.train), window: settings.shuffleWindow, seed: settings.seed, epoch: epoch)
        stream = dataset.stream(.train, order: plan.windows.flatMap { $0 }, lookahead: settings.shuffleWindow)
    }
}

/// The independent random streams of a run, all derived from its seed.
enum Streams {
    /// eps and binarization draws during training: the one stream whose state checkpoints carry.
    static let training: UInt64 = 1
    static let shardOrder: UInt64 = 2
    /// Test-set evaluation after each epoch (its own stream, so evaluating never moves training's).
    static let evaluation: UInt64 = 3
    static let iwae: UInt64 = 4
    /// The draws of gradient-variance measurements (`epoch` is the step measured).
    static let gradientVariance: UInt64 = 5
    /// Which training images a VampPrior's pseudo-inputs start from.
    static let pseudoInputs: UInt64 = 6
    /// The test split's IWAE objective after each epoch (`epoch` is the epoch).
    static let testObjective: UInt64 = 7
    /// Window w of an epoch uses stream windowOrder + w.
    static let windowOrder: UInt64 = 1 << 32
}
