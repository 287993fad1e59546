// A CSV file the tools wrote (metrics.csv, gradient_variance.csv, latents.csv), read back for
// plotting: a header row of column names, then records of as many fields. Lines end in LF or
// CRLF; fields follow RFC 4180 (`CSV.parseRecord`). Every problem names the file and the line.
import VAECore

/// The records of a CSV file with a header row.
public struct CSVTable: Sendable {
    /// The file it was read from.
    public let path: String
    /// The column names of the header row.
    public let columns: [String]
    /// The records, each with `columns.count` fields.
    public let records: [[String]]
    /// The line of the file each record is on (1 is the header).
    public let lines: [Int]

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
        var records: [[String]] = [], numbers: [Int] = []
        records.reserveCapacity(lines.count - 1)
        for (i, line) in lines.enumerated().dropFirst() {
            let fields = record(line)
            guard fields.count == columns.count else {
                throw DataError(.corrupt, path, "line \(i + 1) has \(fields.count) fields, the header has \(columns.count)")
            }
            records.append(fields)
            numbers.append(i + 1)
        }
        self.path = path
        self.records = records
        self.lines = numbers
    }

    private init(path: String, columns: [String], records: [[String]], lines: [Int]) {
        self.path = path
        self.columns = columns
        self.records = records
        self.lines = lines
    }

    /// The records (and their lines) at `indices`.
    private func subset(_ indices: [Int]) -> CSVTable {
        CSVTable(path: path, columns: columns, records: indices.map { records[$0] }, lines: indices.map { lines[$0] })
    }

    /// The records that hold `filter.value` in column `filter.column`, as a table of the same file.
    /// - Throws: `DataError` when there is no such column.
    public func filtered(_ filter: RowFilter) throws -> CSVTable {
        let column = try index(of: filter.column)
        return subset(records.indices.filter { records[$0][column] == filter.value })
    }

    /// The table split by the values of column `name`, one table per distinct value, in the order
    /// the values first appear. - Throws: `DataError` when there is no such column.
    public func grouped(by name: String) throws -> [(value: String, table: CSVTable)] {
        let column = try index(of: name)
        var order: [String] = [], groups: [String: [Int]] = [:]
        for (i, record) in records.enumerated() {
            if groups[record[column]] == nil { order.append(record[column]) }
            groups[record[column], default: []].append(i)
        }
        return order.map { ($0, subset(groups[$0]!)) }
    }

    /// The index of column `name`. - Throws: `DataError` listing the columns there are.
    public func index(of name: String) throws -> Int {
        guard let i = columns.firstIndex(of: name) else {
            throw DataError(.corrupt, path, "has no column \"\(name)\" (columns: \(columns.joined(separator: ", ")))")
        }
        return i
    }

    /// Column `name` as numbers (`nan` and `inf` allowed; an empty field, a figure the run does
    /// not have such as metrics.csv's test losses without a test split, reads as `nan`; the
    /// plots skip them).
    /// - Throws: `DataError` naming the line of the first field that is not a number.
    public func numbers(_ name: String) throws -> [Double] {
        let column = try index(of: name)
        return try records.enumerated().map { i, record in
            if record[column].isEmpty { return .nan }
            guard let value = Double(record[column]) else {
                throw DataError(.corrupt, path, "line \(lines[i]), column \"\(name)\": \"\(record[column])\" is not a number")
            }
            return value
        }
    }
}

/// A condition on the rows of a CSV table: column `column` holds exactly `value`.
public struct RowFilter: Equatable, Sendable {
    public var column: String
    public var value: String

    public init(column: String, value: String) {
        self.column = column
        self.value = value
    }

    /// Parses `COLUMN=VALUE` (split at the first `=`; the column must not be empty, the value may).
    public init?(_ text: String) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { return nil }
        self.init(column: String(text[..<eq]), value: String(text[text.index(after: eq)...]))
    }
}
