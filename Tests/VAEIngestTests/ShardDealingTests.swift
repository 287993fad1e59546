// The ranks of a shared ingest played by threads of this process (TestSupport's `ThreadRanks`):
// 2 and 3 ranks write the one process's artifact, byte for byte, for a photo folder spanning
// several windows with bad files skipped, and for synthetic shapes. (mpirun itself: EndToEndTests'
// ClusterIngestTests.)
import Foundation
import TestSupport
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
}
