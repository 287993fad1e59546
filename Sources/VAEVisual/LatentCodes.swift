// The latent codes of a CSV with columns mu_1 ... mu_Z: vae-embed's output, or any CSV with those
// columns (edited in pandas, interpolated, averaged by class). Read for the scatter plot and for
// decoding (`vae-generate decode`). Every problem names the file, and the line and column of a
// bad field.
//
// N = rows read, Z = the mu columns.
import VAECore
import VAEShards

/// The codes of one latent CSV, with what identifies each row.
public struct LatentCodes: Sendable {
    /// The file they were read from.
    public let path: String
    /// Z, the number of mu columns (mu_1 ... mu_Z, without a gap).
    public let latentSize: Int
    /// mu of each row (N, Z), row-major.
    public var means: [Float]
    /// The `label` field of each row ("" when unlabelled, or when the CSV has no label column).
    public var labels: [String]
    /// Whether the CSV has a `label` column.
    public let hasLabelColumn: Bool
    /// Each row's name, for a file of its own: `SPLIT-INDEX` when the CSV has `index` and `split`
    /// columns, `INDEX` with `index` alone, else the row's number counted from 1, zero-padded to
    /// the width of the last one.
    public var names: [String]

    public var count: Int { labels.count }

    /// Reads the rows of a latent CSV, of `splits` only when given (the CSV must then have a
    /// `split` column).
    /// - Throws: `DataError` naming the file for a missing column, a field that is not a finite
    ///   number (NaN, infinities, text), an index or split that is not one, or two rows of one name.
    public init(path: String, splits: [Split]? = nil) throws {
        let table = try CSVTable(path: path)
        var muColumns: [Int] = []
        while let i = table.columns.firstIndex(of: "mu_\(muColumns.count + 1)") { muColumns.append(i) }
        guard !muColumns.isEmpty else { throw DataError(.corrupt, path, "has no column \"mu_1\": not a CSV of latent codes") }
        let splitColumn = try splits.map { _ in try table.index(of: "split") } ?? table.columns.firstIndex(of: "split")
        let labelColumn = table.columns.firstIndex(of: "label")
        let indexColumn = table.columns.firstIndex(of: "index")
        let wanted = splits.map { Set($0.map(\.rawValue)) }
        let digits = String(table.records.count).count
        var means: [Float] = [], labels: [String] = [], names: [String] = [], seen = Set<String>()
        for (r, record) in table.records.enumerated() {
            if let wanted, let s = splitColumn, !wanted.contains(record[s]) { continue }
            let line = table.lines[r]
            for (j, column) in muColumns.enumerated() {
                guard let v = Float(record[column]), v.isFinite else {
                    throw DataError(.corrupt, path, "line \(line), column \"mu_\(j + 1)\": \"\(record[column])\" is not a finite number")
                }
                means.append(v)
            }
            labels.append(labelColumn.map { record[$0] } ?? "")
            var name = String(repeating: "0", count: digits - String(r + 1).count) + String(r + 1)
            if let indexColumn {
                guard let i = Int(record[indexColumn]), i >= 0 else {
                    throw DataError(.corrupt, path, "line \(line), column \"index\": \"\(record[indexColumn])\" is not an example's index")
                }
                name = String(i)
                if let s = splitColumn {
                    guard Split(rawValue: record[s]) != nil else {
                        throw DataError(.corrupt, path, "line \(line), column \"split\": \"\(record[s])\" is neither train nor test")
                    }
                    name = record[s] + "-" + name
                }
            }
            guard seen.insert(name).inserted else {
                throw DataError(.corrupt, path, "line \(line): a second row named \(name) (index and split must not repeat)")
            }
            names.append(name)
        }
        self.path = path
        latentSize = muColumns.count
        self.means = means
        self.labels = labels
        self.names = names
        hasLabelColumn = labelColumn != nil
    }

    /// Checks that the codes are those of a model of latent size `zs`, and that there are some.
    /// - Throws: `DataError` naming the file.
    public func check(latent zs: Int) throws {
        guard latentSize == zs else {
            throw DataError(.corrupt, path, "has \(latentSize) mu columns (mu_1 ... mu_\(latentSize)); the model's codes have \(zs)")
        }
        guard count > 0 else { throw DataError(.emptyFile, path, "has a header and no rows") }
    }
}
