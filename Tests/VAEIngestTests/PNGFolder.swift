// A folder of PNG files loaded whole as gray images, by the listing's rules (`ImageListing`, PNG
// names only), for the tests of the listing and of the train/test split: images are decoded one
// at a time straight into the growing pixel buffer, which is reserved once the first header gives
// the size. (The pipeline ingests folders through `ImageFolder`, which streams.)
import Foundation
import VAECore
@testable import VAEImages
@testable import VAEIngest
import VAEShards

enum PNGFolder {
    /// A loaded folder: the images, the label names (nil for a flat folder), and the file of each
    /// image relative to the root (`class/name.png` or `name.png`), in image order.
    struct Contents: Equatable, Sendable {
        var images: ImageSet
        var labelNames: [String]?
        var files: [String]

        init(images: ImageSet, labelNames: [String]?, files: [String]) {
            self.images = images
            self.labelNames = labelNames
            self.files = files
        }
    }

    /// A training set and a test set with the same label names and image size.
    struct Split: Equatable, Sendable {
        var train: Contents
        var test: Contents
    }

    /// Loads every PNG under `root` (class folders or a flat folder), converted to gray by the
    /// rule of `PNGCodec.decodeGray`.
    static func load(root: String, background: UInt8 = 0) throws -> Contents {
        let listing = try ImageListing(root: root, knownClasses: nil, accept: isPNGName, kind: ".png files")
        return try decode(listing, root: root, background: background).train
    }

    /// Loads `root` and splits it by `testFlags`: a file goes to the test set when `testScore` of
    /// its relative path is below `testFraction`, and every class of 2 files or more gets at least
    /// one (0 keeps everything for training, 1 puts everything in the test set).
    static func load(root: String, testFraction: Double, background: UInt8 = 0) throws -> Split {
        guard testFraction >= 0 && testFraction <= 1 else {
            throw DataError(.invalidArgument, root, "test fraction \(testFraction) must be between 0 and 1")
        }
        let listing = try ImageListing(root: root, knownClasses: nil, accept: isPNGName, kind: ".png files")
        return try decode(listing, root: root, background: background,
                          testFlags: listing.testFlags(testFraction: testFraction))
    }

    /// Loads a training root and a separate test root. The test root must have the same layout
    /// (class folders or flat) and its images the training images' size; its labels index the
    /// training root's class names, and a class folder the training root lacks is an error (a
    /// training class missing from the test root is fine).
    static func load(trainRoot: String, testRoot: String, background: UInt8 = 0) throws -> Split {
        let train = try load(root: trainRoot, background: background)
        let listing = try ImageListing(root: testRoot, knownClasses: train.labelNames, accept: isPNGName, kind: ".png files")
        let reference = SizeReference(width: train.images.width, height: train.images.height,
                                      file: FileIO.join(trainRoot, train.files[0]))
        let test = try decode(listing, root: testRoot, background: background, reference: reference).train
        return Split(train: train, test: test)
    }

    static func isPNGName(_ name: String) -> Bool {
        name.utf8.count > 4 && name.lowercased().hasSuffix(".png")
    }

    // MARK: Decoding

    /// The size every image must have, and the file that set it.
    struct SizeReference {
        var width: Int
        var height: Int
        var file: String
    }

    /// Decodes the listed files into a training and a test set (`testFlags`: one per file, true
    /// for the test set; nil puts all in the training set).
    static func decode(
        _ listing: ImageListing, root: String, background: UInt8, reference initial: SizeReference? = nil,
        testFlags flags: [Bool]? = nil
    ) throws -> Split {
        let testFlags = flags ?? [Bool](repeating: false, count: listing.files.count)
        let testCount = testFlags.reduce(0) { $0 + ($1 ? 1 : 0) }
        var train = Builder(), test = Builder()
        var reference = initial
        if let reference { train.reserve(listing.files.count - testCount, reference); test.reserve(testCount, reference) }
        var buffer = [UInt8]()
        var scratch = [UInt8]()
        for (i, file) in listing.files.enumerated() {
            let path = FileIO.join(root, file)
            let length = try ImageFolder.read(path, into: &buffer)
            let label = listing.labels?[i]
            try buffer.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<length])
                let accept: (Int, Int) throws -> Void = { width, height in
                    if let reference {
                        guard width == reference.width && height == reference.height else {
                            throw DataError(.mixedSizes, path,
                                "image is \(width)x\(height) (width x height) but the first image, \(reference.file), is \(reference.width)x\(reference.height)")
                        }
                    } else {
                        reference = SizeReference(width: width, height: height, file: path)
                    }
                }
                let wasFirst = reference == nil
                if testFlags[i] {
                    _ = try PNGCodec.decodeGray(bytes, path: path, background: background,
                                                appendingTo: &test.pixels, scratch: &scratch, accept: accept)
                    test.add(file, label)
                } else {
                    _ = try PNGCodec.decodeGray(bytes, path: path, background: background,
                                                appendingTo: &train.pixels, scratch: &scratch, accept: accept)
                    train.add(file, label)
                }
                // The first header gave the size: room for all images at once (the buffers are
                // busy during decoding, so this waits until the first image is in).
                if wasFirst, let first = reference {
                    train.reserve(listing.files.count - testCount, first)
                    test.reserve(testCount, first)
                }
            }
        }
        let size = reference ?? SizeReference(width: 0, height: 0, file: "")
        return Split(train: train.contents(size, labelNames: listing.labelNames),
                     test: test.contents(size, labelNames: listing.labelNames))
    }

    struct Builder {
        var pixels = [UInt8]()
        var labels = [UInt16]()
        var files = [String]()

        mutating func reserve(_ count: Int, _ size: SizeReference) {
            pixels.reserveCapacity(count * size.width * size.height)
            labels.reserveCapacity(count)
            files.reserveCapacity(count)
        }

        mutating func add(_ file: String, _ label: UInt16?) {
            files.append(file)
            if let label { labels.append(label) }
        }

        func contents(_ size: SizeReference, labelNames: [String]?) -> Contents {
            Contents(images: ImageSet(height: size.height, width: size.width, pixels: pixels,
                                      labels: labelNames == nil ? nil : labels),
                     labelNames: labelNames, files: files)
        }
    }
}
