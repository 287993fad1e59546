// A CSV file the tools wrote (metrics.csv, gradient_variance.csv, latents.csv), read back for
// plotting: a header row of column names, then records of as many fields. Lines end in LF or
// CRLF; fields follow RFC 4180 (`CSV.parseRecord`). Every problem names the file and the line.
import VAEData

/// The records of a CSV file with a header row.
public struct CSVTable: Sendable {
    /// The file it was read from.
    public let path: String
    /// The column names of the header row.
    public let columns: [String]
    /// The records, each with `columns.count` fields.
    public let records: [[String]]

    /// Reads and splits the file. - Throws: `DataError` for a missing or empty file, a header
    /// with a repeated or empty name, or a record with another number of fields than the header.
    public init(path: String) throws {
        // Lines split at LF, a CR before it dropped, trailing empty lines ignored.
        let bytes = try FileIO.read(path)
        var lines: [Range<Int>] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 10 {
            lines.append(start ..< (i > start && bytes[i - 1] == 13 ? i - 1 : i))
            start = i + 1
        }
        if start < bytes.count { lines.append(start ..< bytes.count) }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        func record(_ range: Range<Int>) -> [String] {
            bytes.withUnsafeBufferPointer { CSV.parseRecord(bytes: UnsafeBufferPointer(rebasing: $0[range])) }
        }
        guard let header = lines.first else { throw DataError(.emptyFile, path, "no header row") }
        columns = record(header)
        var seen = Set<String>()
        for name in columns {
            guard !name.isEmpty else { throw DataError(.corrupt, path, "line 1: the header has an empty column name") }
            guard seen.insert(name).inserted else { throw DataError(.corrupt, path, "line 1: column \"\(name)\" appears twice") }
        }
        var records: [[String]] = []
        records.reserveCapacity(lines.count - 1)
        for (i, line) in lines.enumerated().dropFirst() {
            let fields = record(line)
            guard fields.count == columns.count else {
                throw DataError(.corrupt, path, "line \(i + 1) has \(fields.count) fields, the header has \(columns.count)")
            }
            records.append(fields)
        }
        self.path = path
        self.records = records
    }

    /// The index of column `name`. - Throws: `DataError` listing the columns there are.
    public func index(of name: String) throws -> Int {
        guard let i = columns.firstIndex(of: name) else {
            throw DataError(.corrupt, path, "has no column \"\(name)\" (columns: \(columns.joined(separator: ", ")))")
        }
        return i
    }

    /// Column `name` as numbers (`nan` and `inf` allowed; the plots skip them).
    /// - Throws: `DataError` naming the line of the first field that is not a number.
    public func numbers(_ name: String) throws -> [Double] {
        let column = try index(of: name)
        return try records.enumerated().map { i, record in
            guard let value = Double(record[column]) else {
                throw DataError(.corrupt, path, "line \(i + 2), column \"\(name)\": \"\(record[column])\" is not a number")
            }
            return value
        }
    }
}
