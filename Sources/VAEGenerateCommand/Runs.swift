// vae-generate runs: the table of a pipeline's training runs, read from its train artifacts.
import ArgumentParser
import Foundation
import CommandSupport
import VAEVisual

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List a pipeline's training runs: options that differ, test figures, times.",
        discussion: """
            One row per train-ID directory under --artifacts, and one per .train-ID.partial \
            directory (a run killed before it finished, shown as incomplete with the epochs it \
            completed). Reads config.json, summary.json, provenance.json and metrics.csv; never \
            trains. The latest column marks the run latest/train points at.
            """)

    @Option(help: "A pipeline's artifact directory (artifacts/PIPELINE).")
    var artifacts: String

    @Option(help: "How to print the table: \(RunTableFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: RunTableFormat = .table

    @Option(help: "The column to sort by (default: when the runs finished).")
    var sort: String?

    @Flag(help: "Show every training option, not only those that differ between the runs.")
    var all = false

    func run() throws {
        try reportingErrors("vae-generate runs") {
            let table = try RunTable(try RunTable.read(artifacts: artifacts), allOptions: all, sort: sort)
            FileHandle.standardOutput.write(Data(try table.render(format).utf8))
        }
    }
}

extension RunTableFormat: ExpressibleByArgument {}
