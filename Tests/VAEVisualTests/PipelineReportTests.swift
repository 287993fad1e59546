// report.html on a fabricated pipeline (a real shard artifact, fabricated train, embed and
// generate artifacts, latest/ links as the Makefile makes them): the page parses as XML, holds
// no script and fetches nothing, every file it references exists, and it shows every section.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport
import VAECore
import VAEVisual
import XCTest

final class PipelineReportTests: XCTestCase {
    /// Collects the elements and the src/href attributes of a document.
    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var references: [String] = []
        var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append(name)
            for key in ["src", "href"] { if let v = attributes[key] { references.append(v) } }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    /// The pipeline; its latest train run has `summary` and `metrics` as its summary.json and
    /// metrics.csv.
    private func pipeline(summary: String = RunFixtures.summary(80, iwae: 79),
                          metrics: String = "epoch,step,train_loss,test_loss\n1,16,90,85\n2,32,82,80\n") throws -> String {
        let dir = FileIO.join(try makeScratchDirectory(self), "smoke")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = try PatternFixtures.artifact(in: dir, name: "ingest-1")
        try RunFixtures.write(["provenance.json": RunFixtures.provenance("1", ended: "2026-01-01T00:00:00Z", stage: "ingest")],
                              in: dir + "/ingest-1")
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.001, seed: 1), "summary.json": summary,
                               "provenance.json": RunFixtures.provenance("2", ended: "2026-01-02T00:00:00Z"),
                               "metrics.csv": metrics, "model.ckpt": "x",
                               "model.safetensors": "x"], in: dir + "/train-2")
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.01, seed: 1), "summary.json": RunFixtures.summary(95),
                               "provenance.json": RunFixtures.provenance("9", ended: "2026-01-01T00:00:00Z")], in: dir + "/train-9")
        try RunFixtures.write(["latents.csv": "index,split,label,mu_1\r\n",
                               "provenance.json": RunFixtures.provenance("3", ended: "2026-01-03T00:00:00Z", stage: "embed")],
                              in: dir + "/embed-3")
        try RunFixtures.write(["provenance.json": RunFixtures.provenance("4", ended: "2026-01-04T00:00:00Z", stage: "generate")],
                              in: dir + "/generate-4")
        let png = try PlotCanvas(width: 4, height: 4).pngBytes()
        for name in ["samples", "manifold", "extra <sheet> & more", "curves", "scatter"] {
            try AtomicFile.write(png, to: dir + "/generate-4/\(name).png")
        }
        try FileManager.default.createDirectory(atPath: dir + "/latest", withIntermediateDirectories: true)
        for (stage, id) in [("ingest", "1"), ("train", "2"), ("embed", "3"), ("generate", "4")] {
            try FileManager.default.createSymbolicLink(atPath: dir + "/latest/\(stage)", withDestinationPath: "../\(stage)-\(id)")
        }
        try FileManager.default.createSymbolicLink(atPath: dir + "/latest/latents.csv", withDestinationPath: "embed/latents.csv")
        return dir
    }

    func testThePageIsValidSelfContainedAndComplete() throws {
        let dir = try pipeline()
        let path = try PipelineReport(artifacts: dir).write()
        XCTAssertEqual(path, dir + "/latest/report.html")
        let bytes = try FileIO.read(path)
        let parser = XMLParser(data: Data(bytes))
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        XCTAssertEqual(collector.elements.first, "html")
        XCTAssertFalse(collector.elements.contains("script"))
        XCTAssertFalse(collector.elements.contains("link"))

        // Every reference is a relative path to a file that exists from latest/.
        XCTAssertFalse(collector.references.isEmpty)
        for reference in collector.references {
            XCTAssertFalse(reference.contains(":") || reference.hasPrefix("/"), reference)
            let file = try XCTUnwrap(reference.removingPercentEncoding)
            XCTAssertTrue(FileIO.exists(dir + "/latest/" + file), "\(reference) does not exist")
        }
        let images = collector.references.filter { $0.hasSuffix(".png") }
        XCTAssertEqual(images, ["generate/curves.png", "generate/samples.png", "generate/manifold.png",
                                "generate/extra%20%3Csheet%3E%20&%20more.png", "generate/scatter.png"])
        for file in ["latents.csv", "train/model.ckpt", "train/model.safetensors", "train/metrics.csv"] {
            XCTAssertTrue(collector.references.contains(file), file)
        }

        // The sections and what they show.
        let text = collector.text
        for needle in ["Data", "4 x 4 pixels, 1 channel", "column, wide", "say \"x\"", "Training", "learning_rate",
                       "test negative ELBO", "80.00 nats", "IWAE bound", "Loss curves", "Sample sheets", "Latent codes",
                       "Training runs", "0.01", "Provenance", "ingest-1", "generate-4", "2026-01-04T00:00:00Z"] {
            XCTAssertTrue(text.contains(needle), "the page lacks \(needle)")
        }
        // The same artifacts give the same page.
        XCTAssertEqual(try PipelineReport(artifacts: dir).html(), String(decoding: bytes, as: UTF8.self))
    }

    func testARunWithoutTestExamplesShowsNA() throws {
        let dir = try pipeline(summary: RunFixtures.summary(nil), metrics: "epoch,step,train_loss,test_loss\n1,16,90.25,\n2,32,82.5,\n")
        let html = try PipelineReport(artifacts: dir).html()
        for row in ["<tr><td>test negative ELBO</td><td>n/a</td></tr>", "<tr><td>test reconstruction</td><td>n/a</td></tr>",
                    "<tr><td>test KL</td><td>n/a</td></tr>", "<tr><td>train loss (last epoch)</td><td>70.00 nats</td></tr>",
                    "<tr><td>1</td><td>16</td><td>90.250</td><td>n/a</td></tr>"] {
            XCTAssertTrue(html.contains(row), "the page lacks \(row)")
        }
        XCTAssertFalse(html.contains("IWAE bound"))
        // The runs table: train-2's test figures are n/a, train-9's numbers.
        let runs = try XCTUnwrap(html.components(separatedBy: "Training runs of this pipeline").last)
        XCTAssertEqual(runs.components(separatedBy: "<td>n/a</td>").count, 4, runs)
        XCTAssertTrue(runs.contains("<td>95.00</td>"))
        assertNoNaN(html, "the page")
    }

    func testTheCollapseFiguresAndTheirWarningAreShown() throws {
        var html = try PipelineReport(artifacts: try pipeline(summary: RunFixtures.summary(80, activeUnits: 2))).html()
        for row in ["<tr><td>active units (variance of mu &gt; 0.01)</td><td>2 of 2 (test split)</td></tr>",
                    "<tr><td>test reconstruction PSNR</td><td>18.50 dB (mean image 10.25 dB)</td></tr>"] {
            XCTAssertTrue(html.contains(row), "the page lacks \(row)")
        }
        XCTAssertFalse(html.contains("ignores its input"))
        let runs = try XCTUnwrap(html.components(separatedBy: "Training runs of this pipeline").last)
        XCTAssertTrue(runs.contains("<th>active_units</th><th>test_psnr_db</th><th>mean_image_psnr_db</th>"), runs)
        XCTAssertTrue(runs.contains("<td>2</td><td>18.50</td><td>10.25</td>"), runs)

        // Half a decibel over the mean image: the warning vae-train gave, on the page too.
        html = try PipelineReport(artifacts: try pipeline(summary: RunFixtures.summary(80, activeUnits: 3, psnr: 10.75))).html()
        XCTAssertTrue(html.contains("<p>Warning: the model ignores its input (3 active units, reconstruction PSNR 10.75 dB against "
                                    + "10.25 dB for the mean image): posterior collapse; train longer, see docs/METHOD.md.</p>"), html)
        // Without test examples: the train split's active units, no PSNR.
        html = try PipelineReport(artifacts: try pipeline(summary: RunFixtures.summary(nil, activeUnits: 1))).html()
        XCTAssertTrue(html.contains("<td>1 of 2 (train split)</td>"))
        XCTAssertTrue(html.contains("<tr><td>test reconstruction PSNR</td><td>n/a</td></tr>"))
        assertNoNaN(html, "the page")
    }

    func testAStageNotRunYetIsShownAsSuch() throws {
        let dir = try pipeline()
        try FileManager.default.removeItem(atPath: dir + "/latest/generate")
        let html = try PipelineReport(artifacts: dir).html()
        XCTAssertTrue(html.contains("(generate/curves.png has not been made yet)"))
        XCTAssertTrue(html.contains("(no generate artifact yet)"))
        XCTAssertFalse(html.contains("<img"))
    }

    func testMissingLatestIsAnError() throws {
        let dir = try makeScratchDirectory(self)
        assertDataError(.missingFile, path: dir + "/latest") { _ = try PipelineReport(artifacts: dir).html() }
    }
}
