// The checkpoint format's versions: version 2's typed header (every field required) and the
// reading of version 1 files, from a file written by the version 1 writer.
import Foundation
import TestSupport
import VAECore
import XCTest
import VAEModel
import VAETrain

final class CheckpointVersionTests: XCTestCase {
    /// A version 1 checkpoint as vae-train wrote it before version 2: 4x4 synthetic shapes,
    /// hidden 2, latent 1, batch 8, seed 3, stopped at step 7 (epoch 2, example 16).
    static let version1 = Data(base64Encoded: """
VkFFQ0tQVAABAAAAqgIAAHsiYWRhbSI6eyJiZXRhMSI6MC45LCJiZXRhMiI6MC45OTksImVwc2lsb24iOjFlLTA4LCJsZWFybmlu
Z1JhdGUiOjAuMDAxLCJzdGVwIjo3fSwiY29uZmlnIjp7ImhpZGRlblNpemVzIjpbMl0sImlucHV0U2l6ZSI6MTYsImxhdGVudFNp
emUiOjEsImxpa2VsaWhvb2QiOnsiYmVybm91bGxpIjp7fX19LCJkYXRhSWRlbnRpdHkiOiI5M2Q5OTNkMDdkNGQzNmI5ZjZlODRm
ZDc4MmU0OWUzZDc5MTZiMTQxMmY5NzgyNjA4OTEwMTVkMDgxZmQxM2U2IiwiZXBvY2giOjEsImV4YW1wbGVzU2VlbiI6MTYsIm1l
dGFkYXRhIjp7ImVwb2NoX2tsX3N1bSI6MC41MTkxOTUwNTAwMDExNDQ0LCJlcG9jaF9sb3NzX3N1bSI6MTgzLjY4NDU0MzEwMjk3
OTY2LCJlcG9jaF9yZWNvbl9zdW0iOjE4My4xNjUzNDgwNTI5Nzg1MiwiaW1hZ2VfaGVpZ2h0Ijo0LCJpbWFnZV93aWR0aCI6NH0s
InBhcmFtZXRlckNvdW50Ijo5Miwicm5nU3RhdGUiOlsiNmQ0NGRlYTkyZjAxZTVhNyIsIjc1YmU0YTQyNTI5MjhjOTgiLCIyYTBm
M2Q5YTBiYTk2YjVkIiwiODViNTY0ZDU1ZGZlY2I0ZiJdLCJ0cmFpbmluZyI6eyJiYXRjaFNpemUiOjgsImJldGEiOjEsImJpbmFy
aXplIjpmYWxzZSwiZXBvY2hzIjoyLCJrbFdhcm11cEVwb2NocyI6MCwibGVhcm5pbmdSYXRlIjowLjAwMSwibWNTYW1wbGVzIjox
LCJzZWVkIjozLCJ0aHJlYWRzIjoxfX0bo9A95MydPU6mCr5pD7g836QAvflPNL17VA2+f2TlPbyhZD4Jyha+hThePhZRwz08SJY9
2wYIPiGPyD1ChEG+8vBBvtIvQr6eZE4+xl7aPQYBWT14zgY83tdbPLtjYb7Y4FM+T194Pvn+Sj1cKVE+Vh8lvgBtcLy/X3i+oNM4
PglS+z3HfQ6+IkwqP6aVBj9Kl/u83QfzPRW0qL6l31W+HavPvmTOSr3xu26+h8SbPW6MFD56Qi++8nsUPtj2rb60DbS9UADiPk3t
LL9VWDA+VDH0PcEpor5q8gI/jjw3PiioKb9sFsg+42QNPny7Ej7r2/Y9AsOhPp9mJj9tBeW9nh0Gvk5BNL9Y3Ia+kHnZPtD3BT9x
Vvy9U8/xvnZ1CT9nIJG+ium1Pg80Bz/QUJK+geRePnGfT74HYKU+AzwPvgHIaL4qR9a+73iUPb9jBT6TNhy+5vkoPW8Nzb2Ae7E+
NSCuPlUJlj7ddnC+cqUQPvEhEr64Ei6+evDlvaFd873m9Y+9Zi8Tvss0Qb5RFtO9dDcZOyqxbb2DtMu95PgDvr9147xFoIG9ZgbV
vcIJDr43YJS7N2CUuzdglLsWpC+9N2CUu87guLza+N28FqQvvQ07mjwELnW7uCkNvC7kx7wAAAAAAAAAAG68n7ukm0O9NZkRv6Zp
g721g+29P4BDPOpgkb0AbXK8dyh1v8kwnL7I3gq/6pjpvhzqlj6ZXglAm5TSPd1TyT2YzvA9J6LGPWioCT4+8zE+Gj2ZPR1a1z3c
TQA+kPHPPVI4vD37Ers9jXyMPR942j130w8+zjMcPqy8Bj6uNt89Od8VPuBXFT561js9oWKuPcKk2j1lKPw9WnI6PpIINT5EsA8+
eII7PgB7HT1taek9loC5PQ7Y5j3avIk//F5sP+cj9z/nO58/NvKCPz8pdj9ukaI/cbLZP9aWiT8daL4/gxt/PyeBqj+Tm+w/esf6
P6S5qT98gZ0//c4+Ov9xeTqysyU6VFlCOm0pJDkue0I6hz6BOi4/7jnjQeY3ZKKzOeLgPDpqQzQ6F2dTOGxJQTnjeuw50MYkOpRT
xDaUU8Q2lFPENuTy2TiUU8Q2vp8lODAqPjjk8tk4GyUjONBNkThP2mo4L+q7OAAAAAAAAAAAVZNyNn+H4ThtABY8XvhcOSHs0Tl/
ric40rNCOYEMADfE/Mo8X3BhOx4u4jwKkLY8YjLdOzbuBD7Q9Dc6VAGxOUEsBTrPY4A5JK8tOshsSzr7Ys45hXGwOXDPjzrwM7Q5
EdjaOWxfkjltg4Y5XHurOVwBUDo2Lis652KnOiDp3znXqGI6mPofOr7OTjoqL6A5afkKOgEvBTq/gQw7v9NsOpDNTTpY1Ws6TDxc
Ofu1xjlPTgY6gITJOTiKHT3BVr48Pd/PPRwRTD3PgAY9MKT4PBupLz1e4qY9b8cVPbY5fj38Iwc93OdYPeAlvT1zbso9NNBQPfTg
OT3cxoxJ
""", options: .ignoreUnknownCharacters)!

    func testAVersion1FileReadsWithItsStateAndOneChannel() throws {
        let bytes = [UInt8](Self.version1)
        XCTAssertEqual(Array(bytes[8 ..< 12]), [1, 0, 0, 0], "the fixture is a version 1 file")
        let c = try Checkpoint.decode(bytes, path: "v1.ckpt")
        XCTAssertEqual(c.config, ModelConfig(inputSize: 16, hiddenSizes: [2], latentSize: 1, likelihood: .bernoulli))
        XCTAssertEqual(c.adam.step, 7)
        XCTAssertEqual(c.state.epoch, 1)
        XCTAssertEqual(c.state.examplesSeen, 16)
        XCTAssertEqual(c.state.lossSums, LossSums(total: 183.68454310297966, reconstruction: 183.16534805297852, kl: 0.5191950500011444))
        XCTAssertEqual(c.state.rng.state, SIMD4(0x6d44dea92f01e5a7, 0x75be4a4252928c98, 0x2a0f3d9a0ba96b5d, 0x85b564d55dfecb4f))
        XCTAssertEqual(c.imageShape, ImageShape(height: 4, width: 4, channels: 1))
        XCTAssertEqual(c.threads, 1)
        XCTAssertEqual(c.settings.batchSize, 8)
        XCTAssertEqual(c.settings.seed, 3)
        XCTAssertEqual(c.settings.epochs, 2)
        XCTAssertEqual(c.settings.binarize, .none)
        XCTAssertEqual(c.settings.hiddenSizes, [2])
        XCTAssertEqual(c.parameters.count, 92)
        // The parameters are the file's bytes after the header, and the model takes them.
        let headerLength = Int(LittleEndian.uint32(bytes, at: 12))
        XCTAssertEqual(c.parameters.map(\.bitPattern), (0 ..< 92).map { LittleEndian.uint32(bytes, at: 16 + headerLength + 4 * $0) })
        let model = try VAE(checkpoint: c)
        XCTAssertEqual(Array(model.parameters), c.parameters)
        // Written again, it is a version 2 file holding the same state.
        let again = try c.encoded()
        XCTAssertEqual(Array(again[8 ..< 12]), [2, 0, 0, 0])
        XCTAssertEqual(try Checkpoint.decode(again, path: "v2.ckpt"), c)
    }

    func testAVersion1FileWithoutTheTrainersMetadataHasNoShape() throws {
        let bytes = try reframe([UInt8](Self.version1)) {
            let start = try XCTUnwrap($0.range(of: "\"metadata\":{")), end = try XCTUnwrap($0.range(of: "},\"parameterCount\""))
            return $0.replacingCharacters(in: start.lowerBound ..< end.lowerBound, with: "\"metadata\":null")
                .replacingOccurrences(of: "null},\"parameterCount\"", with: "null,\"parameterCount\"")
        }
        let c = try Checkpoint.decode(bytes, path: "v1.ckpt")
        XCTAssertNil(c.imageShape)
        XCTAssertEqual(c.state.lossSums, LossSums())
    }

    func testEveryFieldOfAVersion2HeaderIsRequired() throws {
        let model = try VAE(config: ModelConfig(inputSize: 6, hiddenSizes: [5], latentSize: 2), seed: 1)
        let good = try model.checkpoint(settings: TrainingSettings(), threads: 1, state: TrainingState(rng: SeededRandom(seed: 1)),
                                        image: ImageShape(height: 3, width: 2), dataIdentity: "d").encoded()
        XCTAssertNoThrow(try Checkpoint.decode(good, path: "m.ckpt"))
        for key in ["epochLossSum", "epochReconstructionSum", "epochKlSum", "imageHeight", "imageWidth", "imageChannels",
                    "threads", "examplesSeen", "shuffleWindow", "iwaeSamples"] {
            let lost = try reframe(good) { $0.replacingOccurrences(of: "\"\(key)\":", with: "\"\(key)X\":") }
            XCTAssertThrowsError(try Checkpoint.decode(lost, path: "m.ckpt"), key) {
                XCTAssertEqual(($0 as? DataError)?.kind, .corrupt, "\($0)")
                XCTAssertTrue("\($0)".contains(key), "the error names the missing field: \($0)")
            }
        }
    }

    /// `bytes` with its JSON header edited by `edit`, re-framed with a correct length and CRC.
    private func reframe(_ bytes: [UInt8], _ edit: (String) throws -> String) throws -> [UInt8] {
        let h = Int(LittleEndian.uint32(bytes, at: 12))
        let json = Array(try edit(String(decoding: bytes[16 ..< 16 + h], as: UTF8.self)).utf8)
        var out = Array(bytes[0 ..< 12])
        LittleEndian.append(UInt32(json.count), to: &out)
        out += json + bytes[(16 + h) ..< (bytes.count - 4)]
        LittleEndian.append(Zlib.crc32(out), to: &out)
        return out
    }
}
