// report.html: one static page about a pipeline's latest results, written into its latest/
// directory: the data (counts, classes, image size, source), the training settings and metrics,
// the loss curves, every sample sheet, the latent scatter, the table of runs, and the provenance
// of each stage. No JavaScript and nothing fetched: images and files are referenced by paths
// relative to latest/ (through its stage links), so the pipeline's artifact folder can be copied
// elsewhere and the page still shows. The markup is XHTML-compatible HTML5 (every element
// closed, attributes quoted), so an XML parser can check it.
import Foundation
import VAECore
import VAEShards
import VAETrain

/// The report of the pipeline whose artifacts are in `artifacts` (artifacts/PIPELINE).
public struct PipelineReport {
    /// The pipeline's artifact directory.
    public let artifacts: String
    /// Its latest/ directory, where the page is written and every path in it starts.
    public var latest: String { FileIO.join(artifacts, "latest") }
    /// The sheets in the order the page shows them; other PNGs of the generate stage follow.
    public static let sheetOrder = ["samples", "pseudo-inputs", "reconstructions", "traversal", "interpolation", "manifold"]
    /// The plots of the generate stage, shown in their own sections.
    public static let plots = ["curves", "scatter"]

    public init(artifacts: String) {
        self.artifacts = artifacts
    }

    /// Whether `relative` (to latest/) exists.
    private func has(_ relative: String) -> Bool { FileIO.exists(FileIO.join(latest, relative)) }

    /// The page. - Throws: `DataError` when latest/ is missing or a file of the latest
    /// artifacts cannot be read (a stage that has not run is shown as such, not an error).
    public func html() throws -> String {
        guard FileIO.isDirectory(latest) else {
            throw DataError(.missingFile, latest, "no latest/ directory: run the pipeline first")
        }
        let name = URL(fileURLWithPath: artifacts).standardizedFileURL.lastPathComponent
        var page = HTMLPage(title: "VAE pipeline \(name)")
        page.heading(1, "VAE pipeline \(name)")
        page.paragraph("The latest results of the pipeline, from artifacts/\(name)/latest/.")
        try data(&page)
        try training(&page)
        page.heading(2, "Loss curves")
        image(&page, "generate/curves.png", "train loss and test negative ELBO per epoch")
        page.heading(2, "Sample sheets")
        for sheet in sheets() {
            page.heading(3, sheet)
            image(&page, "generate/\(sheet).png", "\(sheet) sheet")
        }
        page.heading(2, "Latent codes")
        image(&page, "generate/scatter.png", "latent means of the test split, colored by label")
        if has("latents.csv") { page.paragraph(link: "latents.csv", "latents.csv", after: ": every example's code, from vae-embed.") }
        page.heading(2, "Training runs of this pipeline")
        let runs = try RunTable(try RunTable.read(artifacts: artifacts), allOptions: false, sort: nil)
        page.table(header: runs.columns, rows: runs.rows.map { $0.map(RunTable.format) })
        page.paragraph("* marks the run latest/ shows. Options listed are those that differ between the runs.")
        try provenance(&page)
        return page.finished()
    }

    /// Writes the page to latest/report.html, atomically; returns its path.
    @discardableResult
    public func write() throws -> String {
        let path = FileIO.join(latest, "report.html")
        try AtomicFile.write(try html(), to: path)
        return path
    }

    /// The sample sheets the generate stage wrote, in `sheetOrder`, then the others by name.
    func sheets() -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: FileIO.join(latest, "generate"))) ?? [])
            .filter { $0.hasSuffix(".png") }.map { String($0.dropLast(4)) }.filter { !Self.plots.contains($0) }
        return Self.sheetOrder.filter(names.contains) + names.filter { !Self.sheetOrder.contains($0) }.sorted()
    }

    private func image(_ page: inout HTMLPage, _ relative: String, _ description: String) {
        if has(relative) { page.image(relative, alt: description) } else { page.paragraph("(\(relative) has not been made yet)") }
    }

    private func data(_ page: inout HTMLPage) throws {
        page.heading(2, "Data")
        guard has("ingest/manifest.json") else { return page.paragraph("(no ingest artifact yet)") }
        let summary = ArtifactSummary(try ShardDataset(directory: FileIO.join(latest, "ingest")))
        let image = summary.image
        page.table(header: ["", ""], rows: [
            ["images", "\(image.width) x \(image.height) pixels, \(image.channels) channel\(image.channels == 1 ? "" : "s"), 8-bit"],
            ["train examples", String(summary.train.count)],
            ["test examples", String(summary.test.count)],
            ["source", summary.source.kind],
        ] + summary.source.inputs.map { ["input", "\($0.role): \($0.path) (\($0.bytes) bytes, sha256 \($0.sha256))"] }
          + [["identity", summary.identity]])
        if let names = summary.labelNames {
            page.table(header: ["class", "train", "test"], rows: names.map { n in
                [n, String(summary.train.classes?[n] ?? 0), String(summary.test.classes?[n] ?? 0)]
            })
        } else {
            page.paragraph("Unlabelled data.")
        }
    }

    private func training(_ page: inout HTMLPage) throws {
        page.heading(2, "Training")
        let run = RunDirectory(FileIO.join(latest, "train"))
        guard FileIO.exists(run.config) else { return page.paragraph("(no train artifact yet)") }
        let config = try JSONCoding.decode(RunConfig.self, from: try FileIO.read(run.config), path: run.config)
        let options = try RunRecord.flatten(config.settings)
        page.table(header: ["setting", "value"], rows: options.keys.sorted().map { [$0, options[$0]!] } + [["threads", String(config.threads)]])
        if FileIO.exists(run.summary) {
            let s = try JSONCoding.decode(RunSummary.self, from: try FileIO.read(run.summary), path: run.summary)
            // A figure the run does not have (the test figures without test examples): n/a.
            func nats(_ v: Double?) -> String { v.map { String(format: "%.2f nats", $0) } ?? "n/a" }
            var rows = [["test negative ELBO", nats(s.testNegElbo)], ["test reconstruction", nats(s.testRecon)],
                        ["test KL", nats(s.testKl)], ["train loss (last epoch)", nats(s.trainLoss)]]
            if let iwae = s.iwaeNll { rows.append(["IWAE bound (K = \(s.iwaeK ?? 0), \(s.iwaeN ?? 0) examples)", nats(iwae)]) }
            // Summaries written before the collapse figures existed have none: no rows for them.
            if let figures = s.collapse {
                rows.append(["active units (variance of mu > \(CollapseFigures.activeVariance))",
                             "\(figures.activeUnits) of \(figures.latentSize) (\(figures.split.rawValue) split)"])
                let psnr = switch (figures.reconstructionPSNR, figures.meanImagePSNR) {
                case (let reconstruction?, let meanImage?): String(format: "%.2f dB (mean image %.2f dB)", reconstruction, meanImage)
                default: "n/a"
                }
                rows.append(["test reconstruction PSNR", psnr])
            }
            rows += [["epochs, steps", "\(s.epochs), \(s.steps)"], ["median epoch", String(format: "%.3f s", s.medianEpochSeconds)],
                     ["examples per second", String(format: "%.0f", s.examplesPerSecond)]]
            page.table(header: ["metric (per test example)", "value"], rows: rows)
            if let problem = s.collapseProblem { page.paragraph("Warning: \(problem).") }
        }
        if let metrics = try? CSVTable(path: run.metrics) {
            // Decimal numbers with three decimals; integers (epoch, step) as they are; an empty
            // field (a test loss without test examples) as n/a.
            page.table(header: metrics.columns, rows: metrics.records.map { record in
                record.map { field in
                    if field.isEmpty { return "n/a" }
                    guard let v = Double(field), field.contains(where: { $0 == "." || $0 == "e" }) else { return field }
                    return String(format: "%.3f", v)
                }
            })
        }
        let files = ["train/model.ckpt", "train/model.safetensors", "train/metrics.csv", "train/config.json"].filter(has)
        if !files.isEmpty { page.paragraph(links: files) }
    }

    private func provenance(_ page: inout HTMLPage) throws {
        page.heading(2, "Provenance")
        for stage in ["ingest", "train", "embed", "generate"] {
            page.heading(3, stage)
            let directory = FileIO.join(latest, stage)
            guard FileIO.exists(FileIO.join(directory, "provenance.json")) else {
                page.paragraph("(no \(stage) artifact yet)")
                continue
            }
            let p = try StageProvenance.read(directory: directory)
            page.table(header: ["", ""], rows: [
                ["artifact", "\(stage)-\(p.id)"], ["command", p.command.joined(separator: " ")], ["tool version", p.toolVersion],
                ["git commit", p.gitCommit ?? "-"], ["input", p.inputArtifact ?? "-"], ["input checksum", p.inputChecksum ?? "-"],
                ["resumed", p.resumed ? "yes" : "no"], ["started", p.started], ["ended", p.ended],
            ])
        }
    }
}

/// An HTML page under construction; every text goes through `escape`.
struct HTMLPage {
    private var body = ""
    private let title: String

    init(title: String) { self.title = title }

    /// `&`, `<`, `>` and `"` as character references.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A relative path as an attribute value: its segments percent-encoded where needed.
    static func url(_ relative: String) -> String {
        escape(relative.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? relative)
    }

    mutating func heading(_ level: Int, _ text: String) { body += "<h\(level)>\(Self.escape(text))</h\(level)>\n" }

    mutating func paragraph(_ text: String) { body += "<p>\(Self.escape(text))</p>\n" }

    mutating func paragraph(link: String, _ text: String, after: String) {
        body += "<p><a href=\"\(Self.url(link))\">\(Self.escape(text))</a>\(Self.escape(after))</p>\n"
    }

    mutating func paragraph(links: [String]) {
        body += "<p>" + links.map { "<a href=\"\(Self.url($0))\">\(Self.escape($0))</a>" }.joined(separator: " · ") + "</p>\n"
    }

    mutating func image(_ relative: String, alt: String) {
        body += "<p><img src=\"\(Self.url(relative))\" alt=\"\(Self.escape(alt))\"/></p>\n"
    }

    mutating func table(header: [String], rows: [[String]]) {
        body += "<table>\n"
        if header.contains(where: { !$0.isEmpty }) {
            body += "<thead><tr>" + header.map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr></thead>\n"
        }
        body += "<tbody>\n"
        for row in rows { body += "<tr>" + row.map { "<td>\(Self.escape($0))</td>" }.joined() + "</tr>\n" }
        body += "</tbody>\n</table>\n"
    }

    /// The whole document.
    func finished() -> String {
        """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8"/>
        <title>\(Self.escape(title))</title>
        <style>
        body { font-family: "DejaVu Sans", sans-serif; margin: 2em auto; padding: 0 1em; max-width: 70em; color: #222; }
        table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
        th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
        th { background: #f0f0f0; }
        img { max-width: 100%; border: 1px solid #ddd; image-rendering: pixelated; }
        h2 { border-bottom: 1px solid #ccc; margin-top: 1.5em; }
        </style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
    }
}
