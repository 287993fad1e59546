// Image folders as users have them, for the listing and ingest tests: class folders with images
// several levels deep, PNGs of several color types beside JPEGs, hidden folders and files, a stray
// file, and a symbolic link to a folder outside the root.
import Foundation
import VAECore
import VAEImages
import VAEIngest

public enum FolderFixtures {
    /// A tree written by `nestedTree(in:)`: its root, and what a listing of it must give.
    public struct Tree {
        public var root: String
        /// The class folder names, sorted bytewise.
        public var labelNames: [String]
        /// The images' paths relative to the root, in listing order (class by class, then bytewise).
        public var files: [String]
        /// The label of each file.
        public var labels: [UInt16]
    }

    /// Writes, under `base`, a folder `tree` of two classes whose images lie up to three levels
    /// below the class folder, and a folder `outside` that `tree/cats/linked` links to:
    ///
    ///     tree/birds/2019-old/e.jpg            JPEG (sorts before 2019/: '-' < '/')
    ///     tree/birds/2019/d.png                RGBA PNG
    ///     tree/birds/2019/june/b.jpg           JPEG
    ///     tree/birds/2019/june/c.PNG           gray + alpha PNG
    ///     tree/birds/a.png                     palette PNG
    ///     tree/cats/linked -> ../../outside    a link to a folder: outside/m.jpg is cats/linked/m.jpg
    ///     tree/cats/top.png                    RGB PNG
    ///     tree/cats/x/y/z/deep.jpg, deep.png   JPEG, 16-bit gray PNG
    ///
    /// and, not read: `tree/.git/1.png`, `tree/birds/.cache/x.png`, `tree/cats/.hidden.png` (hidden)
    /// and `tree/birds/notes.txt` (a stray file, counted).
    public static func nestedTree(in base: String) throws -> Tree {
        let root = FileIO.join(base, "tree")
        func jpeg(_ width: Int, _ height: Int, seed: UInt64) throws -> [UInt8] {
            try JPEGCodec.encode(SyntheticPhotos.textured(width: width, height: height, seed: seed), quality: 90)
        }
        let palette: [UInt8] = [0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255]
        try writeFixture(try jpeg(20, 14, seed: 1), in: root, at: "birds/2019-old/e.jpg")
        try writeFixture(try PNGFixtures.png(.rgba, bitDepth: 8, width: 6, height: 6,
                                             samples: (0..<36).flatMap { i -> [UInt16] in [200, 40, UInt16(i * 7), i % 3 == 0 ? 0 : 255] }),
                         in: root, at: "birds/2019/d.png")
        try writeFixture(try jpeg(16, 24, seed: 2), in: root, at: "birds/2019/june/b.jpg")
        try writeFixture(try PNGFixtures.png(.grayAlpha, bitDepth: 8, width: 5, height: 7,
                                             samples: (0..<35).flatMap { i -> [UInt16] in [UInt16(i * 7), UInt16(255 - i)] }),
                         in: root, at: "birds/2019/june/c.PNG")
        try writeFixture(try PNGFixtures.png(.palette, bitDepth: 2, width: 4, height: 4,
                                             samples: (0..<16).map { UInt16($0 % 4) }, palette: palette),
                         in: root, at: "birds/a.png")
        try writeFixture(try jpeg(12, 12, seed: 3), in: base, at: "outside/m.jpg")
        try makeFixtureFolder(in: root, at: "cats")
        try FileManager.default.createSymbolicLink(atPath: FileIO.join(root, "cats/linked"), withDestinationPath: "../../outside")
        let rgb = SyntheticPhotos.textured(width: 9, height: 9, seed: 4)
        try writeFixture(try PNGCodec.encode(PNGRaster(width: 9, height: 9, colorType: .rgb, bitDepth: 8, rows: rgb.pixels)),
                         in: root, at: "cats/top.png")
        try writeFixture(try jpeg(10, 30, seed: 5), in: root, at: "cats/x/y/z/deep.jpg")
        try writeFixture(try PNGFixtures.png(.gray, bitDepth: 16, width: 3, height: 3, samples: (0..<9).map { UInt16($0 * 7000) }),
                         in: root, at: "cats/x/y/z/deep.png")
        let hidden = try PNGFixtures.uniform(width: 2, height: 2, value: 9)
        for path in [".git/1.png", "birds/.cache/x.png", "cats/.hidden.png"] { try writeFixture(hidden, in: root, at: path) }
        try writeFixture(Array("notes".utf8), in: root, at: "birds/notes.txt")
        return Tree(
            root: root, labelNames: ["birds", "cats"],
            files: ["birds/2019-old/e.jpg", "birds/2019/d.png", "birds/2019/june/b.jpg", "birds/2019/june/c.PNG", "birds/a.png",
                    "cats/linked/m.jpg", "cats/top.png", "cats/x/y/z/deep.jpg", "cats/x/y/z/deep.png"],
            labels: [0, 0, 0, 0, 0, 1, 1, 1, 1])
    }

    /// The file with the smallest `ImageListing.testScore`: the one the split puts in the test set
    /// when none of its class scores below the fraction.
    public static func lowestScoring(_ files: [String]) -> String? {
        files.min { ImageListing.testScore($0) < ImageListing.testScore($1) }
    }
}
