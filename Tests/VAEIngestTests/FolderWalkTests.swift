// Listing image folders as users have them (`ImageListing` over `FolderWalk`): a file's class is
// its first-level folder at any depth, hidden names are skipped at every depth, links to folders
// are followed once, loops and folders reached twice are refused naming the path, images at the
// root beside class folders are refused, and a test root follows the same rules.
import Foundation
import TestSupport
import VAEShards
import XCTest
@testable import VAEIngest

final class FolderWalkTests: XCTestCase {
    private let kind = ".png, .jpg or .jpeg files"

    private func list(_ root: String, knownClasses: [String]?? = .none) throws -> ImageListing {
        try ImageListing(root: root, knownClasses: knownClasses, accept: ImageFolder.isImageName, kind: kind)
    }

    private func link(_ path: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: destination)
    }

    func testNestedTreeGivesFirstLevelClassesInBytewisePathOrder() throws {
        let tree = try FolderFixtures.nestedTree(in: try makeScratchDirectory(self))
        let listing = try list(tree.root)
        XCTAssertEqual(listing.labelNames, tree.labelNames)
        XCTAssertEqual(listing.files, tree.files)  // no hidden file, the linked folder's file under the link's name
        XCTAssertEqual(listing.labels, tree.labels)
        XCTAssertEqual(listing.strayFiles, 1, "birds/notes.txt; hidden names are not counted")
        XCTAssertEqual(try list(tree.root).files, listing.files, "the same tree lists the same way")
    }

    func testAHiddenFolderIsNotEnteredAtAnyDepth() throws {
        let root = try makeScratchDirectory(self)
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: root, at: "cats/a/b.png")
        // Entering either would be a loop; hidden, they are never opened.
        try link(root + "/cats/.snapshot", to: "..")
        try link(root + "/cats/a/.up", to: "../..")
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: root, at: "cats/a/.thumbs/c.png")
        XCTAssertEqual(try list(root).files, ["cats/a/b.png"])
    }

    func testALinkLoopIsRefusedNamingTheLink() throws {
        let root = try makeScratchDirectory(self)
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: root, at: "cats/sub/a.png")
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: root, at: "dogs/b.png")
        try link(root + "/cats/sub/up", to: "..")
        assertDataError(.unsupported, path: root + "/cats/sub/up", contains: ["symbolic link loop", "leads back to \(root)/cats,"]) {
            _ = try list(root)
        }
        // A link to the root itself, deeper down.
        try FileManager.default.removeItem(atPath: root + "/cats/sub/up")
        try link(root + "/dogs/deep", to: root)
        assertDataError(.unsupported, path: root + "/dogs/deep", contains: ["symbolic link loop", "leads back to \(root),"]) {
            _ = try list(root)
        }
        // Not a bad file that --skip-bad could leave out: the listing itself fails, nothing is written.
        let out = try makeScratchDirectory(self)
        assertDataError(.unsupported, path: root + "/dogs/deep") {
            _ = try ImageFolder.ingest(ImageFolder.Request(root: root, skipBad: true), parameters: IngestParameters(),
                                       to: out + "/art", force: false)
        }
        XCTAssertEqual(directoryListing(out), [])
    }

    func testAFolderReachedTwiceIsRefused() throws {
        let root = try makeScratchDirectory(self)
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: root, at: "cats/2019/a.png")
        try link(root + "/cats/best", to: "2019")  // cats/2019 is read first ("2" < "b"), then again through the link
        assertDataError(.unsupported, path: root + "/cats/best", contains: ["same folder as \(root)/cats/2019", "read once"]) {
            _ = try list(root)
        }
        // A class folder that is a link to another class folder.
        try FileManager.default.removeItem(atPath: root + "/cats/best")
        try link(root + "/dogs", to: "cats")
        assertDataError(.unsupported, path: root + "/dogs", contains: ["same folder as \(root)/cats"]) { _ = try list(root) }
    }

    func testALinkToAFileIsFollowedAndADanglingOneIsABadFile() throws {
        let base = try makeScratchDirectory(self)
        let root = base + "/root"
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: base, at: "elsewhere/x.png")
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: root, at: "cats/a.png")
        try makeFixtureFolder(in: root, at: "cats/deep/er")
        try link(root + "/cats/deep/er/x.png", to: "../../../../elsewhere/x.png")
        try link(root + "/cats/deep/gone.png", to: "nowhere.png")
        XCTAssertEqual(try list(root).files, ["cats/a.png", "cats/deep/er/x.png", "cats/deep/gone.png"])
        let out = try makeScratchDirectory(self)
        let manifest = try ImageFolder.ingest(ImageFolder.Request(root: root, skipBad: true), parameters: IngestParameters(),
                                              to: out + "/art", force: false)
        XCTAssertEqual(manifest.train.count, 2)
        XCTAssertEqual(manifest.skipped?.map(\.path), ["cats/deep/gone.png"])
    }

    func testImagesAtTheRootBesideClassFoldersAreRefused() throws {
        let root = try makeScratchDirectory(self)
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: root, at: "cats/x/y/a.png")
        try writeFixture(Array("read me".utf8), in: root, at: "README.txt")
        XCTAssertEqual(try list(root).files, ["cats/x/y/a.png"], "a stray file at the root is fine")
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: root, at: "stray.jpg")
        assertDataError(.unsupported, path: root, contains: ["stray.jpg", "cats/", "class folders"]) { _ = try list(root) }
    }

    func testAClassWithNoImagesAtAnyDepthIsAnError() throws {
        let root = try makeScratchDirectory(self)
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: root, at: "cats/a.png")
        try makeFixtureFolder(in: root, at: "dogs/x/y")
        try writeFixture(Array("notes".utf8), in: root, at: "dogs/x/notes.txt")
        assertDataError(.emptyFolder, path: root + "/dogs", contains: ["class folder dogs", "at any depth"]) { _ = try list(root) }
        // An empty folder below a class that has images is fine.
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: root, at: "dogs/b.png")
        XCTAssertEqual(try list(root).files, ["cats/a.png", "dogs/b.png"])
    }

    func testATestRootFollowsTheSameRulesAndClasses() throws {
        let base = try makeScratchDirectory(self)
        let tree = try FolderFixtures.nestedTree(in: base)
        let test = base + "/test"
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: test, at: "cats/a/b/c/1.png")
        try writeFixture(try PNGFixtures.uniform(width: 2, height: 2, value: 1), in: test, at: "cats/.hidden/2.png")
        let listing = try list(test, knownClasses: .some(tree.labelNames))
        XCTAssertEqual(listing.files, ["cats/a/b/c/1.png"])
        XCTAssertEqual(listing.labels, [1], "labels index the training root's classes")
        try link(test + "/cats/a/b/loop", to: "../..")
        assertDataError(.unsupported, path: test + "/cats/a/b/loop", contains: ["symbolic link loop"]) {
            _ = try ImageFolder.ingest(ImageFolder.Request(root: tree.root, testRoot: test), parameters: IngestParameters(),
                                       to: base + "/art", force: false)
        }
    }
}
