// The IDX format of MNIST (and Fashion-MNIST, EMNIST, KMNIST): a 4-byte magic (two zero bytes,
// the element type, the number of dimensions), one big-endian UInt32 per dimension, then the
// elements in row-major order. Only unsigned bytes (type 0x08) are read: images are N × rows ×
// columns, labels are N. A file is gzipped or raw as its first two bytes say (1f 8b), whatever
// its name. Every header is checked against the actual data length before anything the header
// claims is allocated. docs/INPUTS.md lists the rules and the errors.
import VAECore
import VAEShards

public enum IDX {
    /// The most a gzipped IDX file may decompress to (1 GiB; MNIST's training images are 47 MB).
    public static let gunzipLimit = 1 << 30
    /// The label names of the digit data sets: "0" ... "9".
    public static let digitNames = (0...9).map(String.init)

    /// Reads an idx3-ubyte images file (raw or gzipped): count × rows × columns bytes; labels nil.
    public static func readImages(_ path: String) throws -> ImageSet {
        var bytes = try contents(path)
        let header = try parseHeader(bytes, path: path, dimensions: 3, what: "images (count x rows x columns)")
        let dims = header.dimensions
        bytes.removeFirst(header.dataOffset)  // in place: no second copy of a large file
        return ImageSet(height: dims[1], width: dims[2], pixels: bytes, labels: nil)
    }

    /// Reads an idx1-ubyte labels file (raw or gzipped): one byte per example.
    public static func readLabels(_ path: String) throws -> [UInt8] {
        var bytes = try contents(path)
        let header = try parseHeader(bytes, path: path, dimensions: 1, what: "labels (count)")
        bytes.removeFirst(header.dataOffset)
        return bytes
    }

    /// Reads an images file and a labels file and pairs them (see `labelled`).
    public static func readLabelled(images imagesPath: String, labels labelsPath: String, classCount: Int = 10) throws -> ImageSet {
        let images = try readImages(imagesPath)
        let labels = try readLabels(labelsPath)
        return try labelled(images, labels: labels, classCount: classCount, imagesPath: imagesPath, labelsPath: labelsPath)
    }

    /// Attaches `labels` to unlabelled `images`: there must be one label per image, each less than
    /// `classCount` (the number of label names, 10 for the digits). Errors name the labels file.
    public static func labelled(
        _ images: ImageSet, labels: [UInt8], classCount: Int = 10, imagesPath: String, labelsPath: String
    ) throws -> ImageSet {
        guard (1...Int(UInt16.max) + 1).contains(classCount) else {
            throw DataError(.invalidArgument, labelsPath, "class count \(classCount) must be between 1 and 65536")
        }
        guard labels.count == images.count else {
            throw DataError(.countMismatch, labelsPath,
                "holds \(labels.count) labels but \(imagesPath) holds \(images.count) images")
        }
        if let index = labels.firstIndex(where: { Int($0) >= classCount }) {
            throw DataError(.labelOutOfRange, labelsPath,
                "label \(labels[index]) of example \(index) is out of range: there are \(classCount) label names (0...\(classCount - 1))")
        }
        var result = images
        result.labels = labels.map { UInt16($0) }
        return result
    }

    // MARK: Reading

    /// The file's bytes, gunzipped when they start with the gzip magic 1f 8b.
    static func contents(_ path: String) throws -> [UInt8] {
        let head = try FileIO.Reader(path).read(upTo: 2)
        if head.count == 2 && head.first == 0x1f && head.last == 0x8b {
            // Streamed from the file: only the inflated bytes are held whole.
            let inflated = try Zlib.gunzip(file: path, limit: gunzipLimit)
            if inflated.isEmpty { throw DataError(.emptyFile, path, "the gzip stream holds no data") }
            return inflated
        }
        return try FileIO.read(path)
    }

    struct Header {
        var dimensions: [Int]
        var dataOffset: Int
    }

    /// Element types of the IDX format, for the error message.
    static let typeNames: [UInt8: String] = [
        0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "16-bit integer", 0x0C: "32-bit integer",
        0x0D: "32-bit float", 0x0E: "64-bit float",
    ]

    /// Checks magic, element type, number of dimensions, that no dimension is zero, and that the
    /// data after the header is exactly as long as the dimensions say (`dataLength` when the
    /// data is read in pieces after the header, else what follows the header in `bytes`).
    static func parseHeader(_ bytes: [UInt8], path: String, dimensions expected: Int, what: String, dataLength: Int? = nil) throws -> Header {
        guard bytes.count >= 4 else {
            throw DataError(.truncated, path, "file is \(bytes.count) bytes, too short for the 4-byte IDX magic")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            let found = Hex.bytes(bytes.prefix(4), separator: " ")
            throw DataError(.badMagic, path,
                "not an IDX file: starts with \(found), expected 00 00 <type> <dimensions> (e.g. 00 00 08 03 for MNIST images)")
        }
        let type = bytes[2]
        guard type == 0x08 else {
            let name = typeNames[type].map { " (\($0))" } ?? " (not an IDX element type)"
            throw DataError(.unsupported, path,
                "IDX element type 0x\(Hex.byte(type).uppercased())\(name) is not supported; only 0x08 (unsigned byte) is")
        }
        let count = Int(bytes[3])
        guard count == expected else {
            throw DataError(.unsupported, path,
                "IDX file has \(count) dimension\(count == 1 ? "" : "s"), expected \(expected) for \(what)")
        }
        let dataOffset = 4 + 4 * count
        guard bytes.count >= dataOffset else {
            throw DataError(.truncated, path, "file is \(bytes.count) bytes, too short for its \(dataOffset)-byte IDX header")
        }
        var dimensions = [Int]()
        for d in 0..<count {
            let o = 4 + 4 * d
            dimensions.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        let shape = dimensions.map(String.init).joined(separator: " x ")
        guard !dimensions.contains(0) else {
            throw DataError(.emptyFile, path, "IDX header has a zero dimension (\(shape)): no data")
        }
        if expected == 3, dimensions[1] > ImageShape.maxSide || dimensions[2] > ImageShape.maxSide {
            throw DataError(.tooLarge, path,
                "IDX images are \(dimensions[1]) x \(dimensions[2]) pixels, over the limit of \(ImageShape.maxSide) a side")
        }
        // Dimensions are below 2^32 each, so the product of three fits in 96 bits: check overflow.
        var size = 1
        for d in dimensions {
            let (product, overflow) = size.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw DataError(.sizeMismatch, path, "IDX header claims \(shape) bytes, more than any file holds")
            }
            size = product
        }
        let actual = dataLength ?? (bytes.count - dataOffset)
        guard actual == size else {
            let relation = actual < size ? "is short by \(size - actual) bytes" : "has \(actual - size) extra bytes"
            throw DataError(.sizeMismatch, path,
                "IDX header says \(shape) = \(size) bytes but \(actual) follow the header (the data \(relation))")
        }
        return Header(dimensions: dimensions, dataOffset: dataOffset)
    }
}
