// The table of a pipeline's training runs, read from the train artifacts' own files (config.json,
// summary.json, provenance.json, metrics.csv); it never trains. One row per `train-ID` directory,
// and one per `.train-ID.partial` directory, a run that was killed (or is still running) before
// it finished. The columns: the ID, the status, when it finished, the objective and the prior, the
// training options that differ between the runs (every option with `allOptions`), epochs, the test figures, the figures of
// posterior collapse (active units, reconstruction and mean-image PSNR), the median epoch time,
// and whether `latest/train` points at it. A finished run without test examples has no test
// figures: "n/a" in the table, the Markdown and the report, an empty CSV field, JSON `null`.
import Foundation
import VAECore
import VAEModel
import VAETrain

/// Whether a run finished.
public enum RunStatus: String, Codable, Sendable {
    /// A complete train artifact.
    case finished
    /// A work directory left by a run that was killed (or is still running).
    case incomplete
    /// A directory whose files could not be read (the reason is in `RunRecord.problem`).
    case unreadable
}

/// What the table knows about one training run.
public struct RunRecord: Codable, Equatable, Sendable {
    public var id: String
    public var directory: String
    public var status: RunStatus
    /// Why the run's files could not be read, for `unreadable`.
    public var problem: String?
    /// When the train stage ended (UTC, ISO 8601), for finished runs.
    public var finished: String?
    /// Every training option by its config.json name, formatted (`data`: the data's identity, short).
    public var options: [String: String]
    public var epochsDone: Int?
    public var epochsPlanned: Int?
    /// The test figures; nil for a run not finished, or finished without test examples.
    public var testNegElbo: Double?
    public var testRecon: Double?
    public var testKl: Double?
    public var iwaeNll: Double?
    /// The active units and the split they were counted over; nil for a run not finished, or
    /// finished before they were computed.
    public var activeUnits: Int?
    public var activeUnitsSplit: String?
    /// The test reconstructions' PSNR and the mean image's, in dB; nil also without test examples.
    public var testPsnrDb: Double?
    public var meanImagePsnrDb: Double?
    public var medianEpochSeconds: Double?
    /// Whether `latest/train` points at this run.
    public var latest: Bool

    /// Every field, nil ones as `null` (the synthesized encoding would leave them out).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(directory, forKey: .directory)
        try c.encode(status, forKey: .status)
        try c.encode(problem, forKey: .problem)
        try c.encode(finished, forKey: .finished)
        try c.encode(options, forKey: .options)
        try c.encode(epochsDone, forKey: .epochsDone)
        try c.encode(epochsPlanned, forKey: .epochsPlanned)
        try c.encode(testNegElbo, forKey: .testNegElbo)
        try c.encode(testRecon, forKey: .testRecon)
        try c.encode(testKl, forKey: .testKl)
        try c.encode(iwaeNll, forKey: .iwaeNll)
        try c.encode(activeUnits, forKey: .activeUnits)
        try c.encode(activeUnitsSplit, forKey: .activeUnitsSplit)
        try c.encode(testPsnrDb, forKey: .testPsnrDb)
        try c.encode(meanImagePsnrDb, forKey: .meanImagePsnrDb)
        try c.encode(medianEpochSeconds, forKey: .medianEpochSeconds)
        try c.encode(latest, forKey: .latest)
    }

    /// Reads the run in `directory` (a `train-ID` or `.train-ID.partial` directory); a file that
    /// cannot be read makes the run `unreadable` with the reason, rather than an error.
    public init(directory: String, latest: Bool) {
        let name = URL(fileURLWithPath: directory).lastPathComponent
        let partial = name.hasPrefix(".") && name.hasSuffix(".partial")
        id = String(name.dropFirst(partial ? 7 : 6).dropLast(partial ? 8 : 0))
        self.directory = directory
        self.latest = latest
        status = partial ? .incomplete : .finished
        options = [:]
        let run = RunDirectory(directory)
        do {
            if FileIO.exists(run.config) {
                let config = try JSONCoding.decode(RunConfig.self, from: try FileIO.read(run.config), path: run.config)
                options = try Self.flatten(config.settings)
                options["threads"] = String(config.threads)
                options["data"] = String(config.data.identity.prefix(10))
                epochsPlanned = config.settings.epochs
            } else if !partial {
                throw DataError(.missingFile, run.config, "no such file")
            }
            if partial {
                let rows = (try? CSVTable(path: run.metrics))?.records.count ?? 0
                epochsDone = rows
                return
            }
            let summary = try JSONCoding.decode(RunSummary.self, from: try FileIO.read(run.summary), path: run.summary)
            epochsDone = summary.epochs
            testNegElbo = summary.testNegElbo
            testRecon = summary.testRecon
            testKl = summary.testKl
            iwaeNll = summary.iwaeNll
            activeUnits = summary.activeUnits
            activeUnitsSplit = summary.activeUnitsSplit?.rawValue
            testPsnrDb = summary.testPsnrDb
            meanImagePsnrDb = summary.meanImagePsnrDb
            medianEpochSeconds = summary.medianEpochSeconds
            finished = try StageProvenance.read(directory: directory).ended
        } catch {
            status = .unreadable
            problem = "\(error)"
        }
    }

    /// The options as config.json names them, each value as one short string: numbers in their
    /// shortest form, lists joined by commas, the likelihood as `bernoulli` or `gaussianFixed(sigma=0.1)`.
    static func flatten(_ settings: TrainingSettings) throws -> [String: String] {
        // The settings as config.json spells them, each value made one short text.
        let encoded = try JSONSerialization.jsonObject(with: Data(try JSONCoding.encode(settings)))
        guard let fields = encoded as? [String: Any] else { return [:] }
        func text(_ v: Any) -> String {
            if let b = v as? Bool, type(of: v) == Bool.self { return String(b) }
            switch v {
            case let s as String: return s
            case let n as NSNumber:
                if ["c", "B"].contains(String(cString: n.objCType)) { return n.boolValue ? "true" : "false" }
                let d = n.doubleValue
                return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
            case let a as [Any]: return a.map(text).joined(separator: ",")
            case let o as [String: Any]:
                return o.keys.sorted().map { key in
                    guard let inner = o[key] as? [String: Any], !inner.isEmpty else { return key }
                    return key + "(" + inner.keys.sorted().map { "\($0)=\(text(inner[$0]!))" }.joined(separator: ",") + ")"
                }.joined(separator: ",")
            default: return "null"
            }
        }
        var options = fields.mapValues(text)
        // The objective and the prior, named even where config.json leaves them out (the defaults).
        options["objective"] = settings.objective == .iwae ? "iwae(k=\(settings.mcSamples))" : "elbo"
        options["prior"] = settings.prior.name
        return options
    }

    /// The options every table shows, whether or not they differ between the runs.
    static let alwaysShown = ["objective", "prior"]
}

/// How `vae-generate runs` prints the table.
public enum RunTableFormat: String, CaseIterable, Sendable {
    /// Aligned columns for a terminal.
    case table
    /// RFC 4180 CSV.
    case csv
    /// A Markdown table.
    case md
    /// A JSON array of the rows, every option included.
    case json
}

/// The rows of a pipeline's runs, their columns and their order.
public struct RunTable: Sendable {
    /// One cell: text, or a number shown with `digits` decimals; nil when the run has none, shown
    /// as `absent` ("n/a" for a figure a finished run does not have, "" for one not known yet),
    /// and as an empty field in CSV.
    public enum Cell: Sendable, Equatable {
        case text(String)
        case number(Double?, digits: Int, absent: String = "")
    }

    public let records: [RunRecord]
    public let columns: [String]
    /// The cells of each record, in `columns` order.
    public let rows: [[Cell]]

    /// Every run under `artifacts` (a pipeline's artifact directory), oldest first.
    /// - Throws: `DataError` when `artifacts` is not a directory.
    public static func read(artifacts: String) throws -> [RunRecord] {
        guard FileIO.isDirectory(artifacts) else { throw DataError(.missingFile, artifacts, "is not a directory of pipeline artifacts") }
        let names = try FileManager.default.contentsOfDirectory(atPath: artifacts).sorted()
        let latestLink = FileIO.join(artifacts, "latest/train")
        let latest = (try? FileManager.default.destinationOfSymbolicLink(atPath: latestLink)).map { URL(fileURLWithPath: $0).lastPathComponent }
        return names.filter { name in
            (name.hasPrefix("train-") || (name.hasPrefix(".train-") && name.hasSuffix(".partial")))
                && FileIO.isDirectory(FileIO.join(artifacts, name))
        }.map { RunRecord(directory: FileIO.join(artifacts, $0), latest: $0 == latest) }
    }

    /// The table of `records`: the options that differ between them (all with `allOptions`),
    /// sorted by column `sort` (numbers numerically, missing values last), else by when they
    /// finished (incomplete runs last), then by ID.
    /// - Throws: `VisualError` naming the columns there are when `sort` is not one of them.
    public init(_ records: [RunRecord], allOptions: Bool, sort: String?) throws {
        // `epochs` is shown as the epochs column (done, or done/planned for an incomplete run).
        let keys = Set(records.flatMap(\.options.keys)).subtracting(["epochs"] + RunRecord.alwaysShown).sorted()
        let optionColumns = RunRecord.alwaysShown + (allOptions ? keys : keys.filter { key in
            Set(records.filter { !$0.options.isEmpty }.map { $0.options[key] ?? "" }).count > 1
        })
        let showIWAE = records.contains { $0.iwaeNll != nil }
        // Runs finished before the collapse figures existed have none: no columns for them alone.
        let showCollapse = records.contains { $0.activeUnits != nil }
        var columns = ["id", "status", "finished"] + optionColumns + ["epochs", "test_neg_elbo", "test_recon", "test_kl"]
        if showIWAE { columns.append("iwae_nll") }
        if showCollapse { columns += ["active_units", "test_psnr_db", "mean_image_psnr_db"] }
        columns += ["median_epoch_s", "latest"]
        func cells(_ r: RunRecord) -> [Cell] {
            var out: [Cell] = [.text(r.id), .text(r.problem.map { "unreadable: \($0)" } ?? r.status.rawValue), .text(r.finished ?? "")]
            out += optionColumns.map { .text(r.options[$0] ?? "") }
            let epochs = switch (r.status, r.epochsDone, r.epochsPlanned) {
            case (.incomplete, let done?, let planned?): "\(done)/\(planned)"
            case (_, let done?, _): String(done)
            default: ""
            }
            // A finished run's summary without test figures: the run had no test examples.
            let noTest = r.status == .finished && r.problem == nil ? "n/a" : ""
            out += [.text(epochs), .number(r.testNegElbo, digits: 2, absent: noTest), .number(r.testRecon, digits: 2, absent: noTest),
                    .number(r.testKl, digits: 2, absent: noTest)]
            if showIWAE { out.append(.number(r.iwaeNll, digits: 2)) }
            if showCollapse {
                out += [.number(r.activeUnits.map(Double.init), digits: 0, absent: noTest), .number(r.testPsnrDb, digits: 2, absent: noTest),
                        .number(r.meanImagePsnrDb, digits: 2, absent: noTest)]
            }
            out += [.number(r.medianEpochSeconds, digits: 3), .text(r.latest ? "*" : "")]
            return out
        }
        var pairs = records.map { ($0, cells($0)) }
        if let sort {
            guard let column = columns.firstIndex(of: sort) else {
                throw VisualError("no column \"\(sort)\" to sort by (columns: \(columns.joined(separator: ", ")))")
            }
            pairs.sort { a, b in Self.ordered(a.1[column], b.1[column]) ?? (a.0.id < b.0.id) }
        } else {
            pairs.sort { a, b in
                switch (a.0.finished, b.0.finished) {
                case (let x?, let y?) where x != y: x < y
                case (.some, .none): true
                case (.none, .some): false
                default: a.0.id < b.0.id
                }
            }
        }
        self.records = pairs.map(\.0)
        self.columns = columns
        rows = pairs.map(\.1)
    }

    /// Whether `a` sorts before `b`, nil when they are equal.
    private static func ordered(_ a: Cell, _ b: Cell) -> Bool? {
        switch (a, b) {
        case (.number(let x, _, _), .number(let y, _, _)):
            switch (x, y) {
            case (let x?, let y?): return x == y ? nil : x < y
            case (.some, .none): return true
            case (.none, .some): return false
            default: return nil
            }
        case (.text(let x), .text(let y)):
            if let p = Double(x), let q = Double(y) { return p == q ? nil : p < q }
            return x == y ? nil : x < y
        default: return nil
        }
    }

    /// The text of a cell.
    public static func format(_ cell: Cell) -> String {
        switch cell {
        case .text(let s): s
        case .number(let v?, let digits, _): String(format: "%.\(digits)f", v)
        case .number(nil, _, let absent): absent
        }
    }

    /// The text of a cell in CSV, where a number the run lacks is an empty field.
    static func csvField(_ cell: Cell) -> String {
        if case .number(nil, _, _) = cell { return "" }
        return format(cell)
    }

    /// The table as text in `format`, ending with a newline.
    public func render(_ format: RunTableFormat) throws -> String {
        let text = rows.map { $0.map(format == .csv ? Self.csvField : Self.format) }
        switch format {
        case .table:
            let widths = columns.indices.map { c in ([columns[c]] + text.map { $0[c] }).map(\.count).max()! }
            func line(_ fields: [String], numeric: [Bool]) -> String {
                fields.indices.map { c in
                    let pad = String(repeating: " ", count: widths[c] - fields[c].count)
                    return numeric[c] ? pad + fields[c] : fields[c] + pad
                }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            }
            let numeric = columns.indices.map { c in rows.first.map { if case .number = $0[c] { true } else { false } } ?? false }
            return ([line(columns, numeric: numeric)] + text.map { line($0, numeric: numeric) }).joined(separator: "\n") + "\n"
        case .csv:
            var csv = CSVBuffer()
            for record in [columns] + text {
                for field in record { csv.text(field) }
                csv.endRecord()
            }
            return String(decoding: csv.bytes, as: UTF8.self)
        case .md:
            func line(_ fields: [String]) -> String {
                "| " + fields.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
            }
            return ([line(columns), line(columns.map { _ in "---" })] + text.map(line)).joined(separator: "\n") + "\n"
        case .json:
            return String(decoding: try JSONCoding.encode(records), as: UTF8.self)
        }
    }
}
