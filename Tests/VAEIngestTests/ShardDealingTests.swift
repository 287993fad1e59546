// The ranks of a shared ingest played by threads of this process (`ThreadRanks`): 2 and 3 ranks
// write the one process's artifact, byte for byte, for a photo folder spanning several windows
// with bad files skipped, and for synthetic shapes. (mpirun itself: EndToEndTests'
// ClusterIngestTests.)
import Foundation
import TestSupport
import VAECore
import VAEImages
import VAEIngest
import VAEShards
import XCTest

/// One rank of a job whose ranks are threads: each collective waits for every rank, then each
/// reads what the others contributed.
struct ThreadRanks: IngestRanks {
    let rank: Int
    let size: Int
    let meeting: Meeting

    final class Meeting: @unchecked Sendable {
        private let condition = NSCondition()
        private let size: Int
        private var arrived = 0
        private var round = 0
        private var contributions: [[[UInt8]]]
        private var published: [[[UInt8]]] = []

        init(size: Int) {
            self.size = size
            contributions = Array(repeating: [], count: size)
        }

        /// Every rank's `value`, in rank order, once every rank has given one.
        func meet(_ rank: Int, _ value: [[UInt8]]) -> [[[UInt8]]] {
            condition.lock()
            defer { condition.unlock() }
            let mine = round
            contributions[rank] = value
            arrived += 1
            if arrived == size {
                published = contributions
                arrived = 0
                round += 1
                condition.broadcast()
            } else {
                while round == mine { condition.wait() }
            }
            return published
        }
    }

    func allgather(_ values: [Int64]) throws -> [Int64] {
        let bytes = values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        return meeting.meet(rank, [bytes]).flatMap { part in
            stride(from: 0, to: part[0].count, by: 8).map { at in (0..<8).reduce(Int64(0)) { $0 | Int64(part[0][at + $1]) << (8 * $1) } }
        }
    }

    func exchange(_ parts: [[UInt8]]) throws -> [[UInt8]] { meeting.meet(rank, parts).map { $0[rank] } }

    func gather(_ bytes: [UInt8]) throws -> [[UInt8]]? {
        let all = meeting.meet(rank, [bytes]).map { $0[0] }
        return rank == 0 ? all : nil
    }

    /// The failing rank throws its error without meeting the others; they end at once.
    func meetFailure() throws { throw PeerFailed() }

    struct PeerFailed: Error {}

    /// Runs `body` on `size` threads, one rank each; returns rank 0's result.
    static func run<T>(size: Int, _ body: @escaping @Sendable (ThreadRanks) throws -> T?) throws -> T {
        let meeting = Meeting(size: size)
        let results = RankResults<T>()
        let group = DispatchGroup()
        for rank in 0..<size {
            group.enter()
            Thread {
                defer { group.leave() }
                let result = Result { try body(ThreadRanks(rank: rank, size: size, meeting: meeting)) }
                results.lock.withLock { results.byRank[rank] = result }
            }.start()
        }
        group.wait()
        let all = results.lock.withLock { results.byRank }
        for rank in 1..<size { XCTAssertNil(try all[rank]!.get(), "rank \(rank) returns nothing") }
        return try XCTUnwrap(try all[0]!.get())
    }
}

/// Each rank's outcome, filled in from its thread.
final class RankResults<T>: @unchecked Sendable {
    let lock = NSLock()
    var byRank: [Int: Result<T?, Error>] = [:]
}

final class ShardDealingTests: XCTestCase {
    /// Every file of an artifact by name.
    private func files(_ directory: String) throws -> [String: [UInt8]] {
        var files = [String: [UInt8]]()
        for name in directoryListing(directory) { files[name] = try FileIO.read(directory + "/" + name) }
        return files
    }

    func testTwoAndThreeRanksWriteTheOneProcessPhotoArtifact() throws {
        // 70 small JPEGs and two bad files: with one thread per rank, windows of 16 files per rank.
        let root = try makeScratchDirectory(self)
        for n in 0..<70 {
            let photo = try JPEGCodec.encode(SyntheticPhotos.textured(width: 12 + n % 5, height: 10, seed: UInt64(n)))
            try writeFixture(photo, in: root, at: "class-\(n % 3)/p\(n).jpg")
        }
        try writeFixture([], in: root, at: "class-1/p30-empty.jpg")
        try writeFixture(Array("GIF89a".utf8), in: root, at: "class-2/p5-fake.jpg")
        let scratch = try makeScratchDirectory(self)
        let parameters = IngestParameters(shardSize: 7)
        let request = ImageFolder.Request(root: root, testFraction: 0.2, preparation: ImagePreparation(color: .rgb, resize: ResizeRule(width: 8, height: 6)),
                                          skipBad: true, threads: 1)
        let one = try ImageFolder.ingest(request, parameters: parameters, to: scratch + "/one", force: false)
        XCTAssertEqual(one.skipped?.count, 2)
        XCTAssertGreaterThan(one.train.shards.count, 5)
        for size in [2, 3] {
            let out = scratch + "/ranks-\(size)"
            let manifest = try ThreadRanks.run(size: size) { ranks in
                try ImageFolder.ingest(request, parameters: parameters, to: out, force: false, ranks: ranks)
            }
            XCTAssertEqual(manifest, one)
            XCTAssertEqual(try files(out), try files(scratch + "/one"), "\(size) ranks")
        }
    }

    func testThreeRanksWriteTheOneProcessSyntheticArtifact() throws {
        let scratch = try makeScratchDirectory(self)
        let parameters = IngestParameters(shardSize: 50)
        _ = try SyntheticShapes.ingest(train: 530, test: 120, size: 8, seed: 3, color: .rgb, parameters: parameters,
                                       to: scratch + "/one", force: false)
        _ = try ThreadRanks.run(size: 3) { ranks in
            try SyntheticShapes.ingest(train: 530, test: 120, size: 8, seed: 3, color: .rgb, parameters: parameters,
                                       to: scratch + "/three", force: false, ranks: ranks)
        }
        XCTAssertEqual(try files(scratch + "/three"), try files(scratch + "/one"))
    }
}
