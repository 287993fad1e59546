// The ranks of a shared ingest played by threads of this process (TestSupport's `ThreadRanks`):
// 2 and 3 ranks write the one process's artifact, byte for byte, for a photo folder spanning
// several windows with bad files skipped, and for synthetic shapes. (mpirun itself: EndToEndTests'
// ClusterIngestTests.)
import Foundation
import TestSupport
import VAECluster
import VAECore
import VAEImages
import VAEIngest
import VAEShards
import XCTest

final class ShardDealingTests: XCTestCase {
    /// Every file of an artifact by name.
    private func files(_ directory: String) throws -> [String: [UInt8]] {
        var files = [String: [UInt8]]()
        for name in directoryListing(directory) { files[name] = try FileIO.read(directory + "/" + name) }
        return files
    }

    /// 70 small JPEGs in three class folders and two bad files, the first (in file order)
    /// `class-1/p30-empty.jpg`: with one thread per rank, windows of 16 files per rank.
    private func photoFolder() throws -> String {
        let root = try makeScratchDirectory(self, function: "photos")
        for n in 0..<70 {
            let photo = try JPEGCodec.encode(SyntheticPhotos.textured(width: 12 + n % 5, height: 10, seed: UInt64(n)))
            try writeFixture(photo, in: root, at: "class-\(n % 3)/p\(n).jpg")
        }
        try writeFixture([], in: root, at: "class-1/p30-empty.jpg")
        try writeFixture(Array("GIF89a".utf8), in: root, at: "class-2/p5-fake.jpg")
        return root
    }

    private func photoRequest(_ root: String, skipBad: Bool) -> ImageFolder.Request {
        ImageFolder.Request(root: root, testFraction: 0.2, preparation: ImagePreparation(color: .rgb, resize: ResizeRule(width: 8, height: 6)),
                            skipBad: skipBad, threads: 1)
    }

    func testTwoAndThreeRanksWriteTheOneProcessPhotoArtifact() throws {
        let scratch = try makeScratchDirectory(self)
        let parameters = IngestParameters(shardSize: 7)
        let request = photoRequest(try photoFolder(), skipBad: true)
        let one = try ImageFolder.ingest(request, parameters: parameters, to: scratch + "/one", force: false)
        XCTAssertEqual(one.skipped?.count, 2)
        XCTAssertGreaterThan(one.train.shards.count, 5)
        for size in [2, 3] {
            let out = scratch + "/ranks-\(size)"
            let manifests = try ThreadRanks.run(size: size) { ranks in
                try ImageFolder.ingest(request, parameters: parameters, to: out, force: false, ranks: ranks)
            }
            XCTAssertEqual(manifests[0], one)
            for rank in 1..<size { XCTAssertNil(manifests[rank], "rank \(rank) returns nothing") }
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

    /// Without skipping, the first bad file stops the ingest on every rank: the rank that prepared
    /// it throws its error, the others end with that rank's failure, and nothing is left behind.
    func testABadFileStopsEveryRankWithTheErrorOfTheRankThatMetIt() throws {
        let root = try photoFolder()
        let request = photoRequest(root, skipBad: false)
        let scratch = try makeScratchDirectory(self)
        for size in [2, 3] {
            let outcomes = ThreadRanks.results(size: size) { ranks in
                try ImageFolder.ingest(request, parameters: IngestParameters(shardSize: 7), to: scratch + "/out", force: false, ranks: ranks)
            }
            let errors = outcomes.map { outcome -> Error? in
                guard case .failure(let error) = outcome else { return nil }
                return error
            }
            let failing = errors.indices.filter { errors[$0] != nil && !(errors[$0] is PeerFailure) }
            XCTAssertEqual(failing.count, 1, "\(size) ranks: \(errors)")
            guard let rank = failing.first else { continue }
            XCTAssertEqual((errors[rank] as? DataError)?.path, root + "/class-1/p30-empty.jpg", "\(size) ranks: \(errors)")
            for other in errors.indices where other != rank {
                XCTAssertEqual((errors[other] as? PeerFailure)?.rank, rank, "\(size) ranks: rank \(other): \(String(describing: errors[other]))")
            }
            XCTAssertEqual(directoryListing(scratch), [], "\(size) ranks")
        }
    }
}
