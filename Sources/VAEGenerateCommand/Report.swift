// vae-generate report: latest/report.html of a pipeline, one static page of its latest results.
import ArgumentParser
import CommandSupport
import VAEVisual

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write ARTIFACTS/latest/report.html: the pipeline's data, training, plots, sheets, runs and provenance.",
        discussion: """
            One static HTML page with no script and nothing fetched from a network; images and \
            files are referenced by paths relative to latest/, so the artifact folder can be \
            copied and the page still shows. The page is written atomically.
            """)

    @Option(help: "A pipeline's artifact directory (artifacts/PIPELINE).")
    var artifacts: String

    func run() throws {
        try reportingErrors("vae-generate report") {
            printOut(try PipelineReport(artifacts: artifacts).write())
        }
    }
}
