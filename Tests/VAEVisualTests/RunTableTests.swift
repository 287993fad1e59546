// The runs table on fabricated artifact directories: finished runs, a killed one, an unreadable
// one, the latest link, the options that differ, sorting, and the four output formats.
import Foundation
import TestSupport
import VAEData
import VAEVisual
import XCTest

final class RunTableTests: XCTestCase {
    /// config.json as vae-train writes it, with the options that vary here.
    private func config(lr: Double, seed: Int, hidden: Int = 32) -> String {
        """
        {"data":{"directory":"/x/ingest-1","identity":"52a5fb4a50aa382fbd09348d","image_height":12,"image_width":12,\
        "test_count":128,"train_count":512},"model":{"hidden_sizes":[\(hidden)],"input_size":144,"latent_size":2,\
        "likelihood":{"bernoulli":{}}},"options":{"batch_size":32,"beta":1,"binarize":"none","checkpoint_every":5,\
        "epochs":3,"hidden_sizes":[\(hidden)],"iwae_examples":0,"iwae_samples":0,"keep_checkpoints":3,"kl_warmup_epochs":0,\
        "latent_size":2,"learning_rate":\(lr),"likelihood":{"bernoulli":{}},"mc_samples":1,"seed":\(seed),"shuffle_window":4},\
        "threads":2,"tool":{"name":"vae-train","version":"0.2.0"}}
        """
    }

    private func summary(_ elbo: Double, iwae: Double? = nil) -> String {
        """
        {"epoch_seconds":[0.5,0.25,0.75],"epochs":3,"examples_per_second":1000,"median_epoch_seconds":0.5,\
        "phase_seconds":{"checkpoints":0,"compute":1,"data":0,"evaluation":0},"steps":48,"test_kl":3.5,\
        "test_neg_elbo":\(elbo),"test_recon":\(elbo - 3.5),"train_loss":70\(iwae.map { ",\"iwae_nll\":\($0),\"iwae_k\":50,\"iwae_n\":10" } ?? "")}
        """
    }

    private func provenance(_ id: String, ended: String) -> String {
        """
        {"stage":"train","artifact":"/x/train-\(id)","id":"\(id)","command":["vae-train"],"parameters":"--lr 1",\
        "tool_version":"0.2.0","git_commit":null,"input_artifact":"/x/ingest-1","input_id":"1","input_checksum":null,\
        "resumed":false,"started":"2026-01-01T00:00:00Z","ended":"\(ended)"}
        """
    }

    private func write(_ files: [String: String], in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in files { try AtomicFile.write(text, to: FileIO.join(directory, name)) }
    }

    /// Three finished runs (b latest), one killed after one epoch, one with a damaged summary.
    private func pipeline() throws -> String {
        let dir = try makeScratchDirectory(self)
        try write(["config.json": config(lr: 0.001, seed: 1), "summary.json": summary(80),
                   "provenance.json": provenance("aaaa", ended: "2026-01-02T00:00:00Z")], in: dir + "/train-aaaa")
        try write(["config.json": config(lr: 0.003, seed: 1), "summary.json": summary(75.126, iwae: 74),
                   "provenance.json": provenance("bbbb", ended: "2026-01-03T00:00:00Z")], in: dir + "/train-bbbb")
        try write(["config.json": config(lr: 0.01, seed: 1), "summary.json": summary(90),
                   "provenance.json": provenance("cccc", ended: "2026-01-01T00:00:00Z")], in: dir + "/train-cccc")
        try write(["config.json": config(lr: 0.001, seed: 2), "metrics.csv": "epoch,step,train_loss\n1,16,80\n"],
                  in: dir + "/.train-dddd.partial")
        try write(["config.json": config(lr: 0.001, seed: 1), "summary.json": "{\"epochs\":",
                   "provenance.json": provenance("eeee", ended: "2026-01-04T00:00:00Z")], in: dir + "/train-eeee")
        try write(["manifest.json": "{}"], in: dir + "/ingest-1")
        try FileManager.default.createDirectory(atPath: dir + "/latest", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/latest/train", withDestinationPath: "../train-bbbb")
        return dir
    }

    func testOneRowPerRunWithTheOptionsThatDiffer() throws {
        let dir = try pipeline()
        let table = try RunTable(try RunTable.read(artifacts: dir), allOptions: false, sort: nil)
        XCTAssertEqual(table.columns, ["id", "status", "finished", "learning_rate", "seed", "epochs", "test_neg_elbo",
                                       "test_recon", "test_kl", "iwae_nll", "median_epoch_s", "latest"])
        // Oldest first; the killed run and the unreadable one (no end time) last, by ID.
        XCTAssertEqual(table.records.map(\.id), ["cccc", "aaaa", "bbbb", "dddd", "eeee"])
        let text = table.rows.map { $0.map(RunTable.format) }
        XCTAssertEqual(text[2], ["bbbb", "finished", "2026-01-03T00:00:00Z", "0.003", "1", "3", "75.13", "71.63", "3.50",
                                 "74.00", "0.500", "*"])
        XCTAssertEqual(text[3], ["dddd", "incomplete", "", "0.001", "2", "1/3", "", "", "", "", "", ""])
        XCTAssertTrue(text[4][1].hasPrefix("unreadable: \(dir)/train-eeee/summary.json: "), text[4][1])
        XCTAssertEqual(table.records.filter(\.latest).map(\.id), ["bbbb"])
    }

    func testAllOptionsAndSorting() throws {
        let dir = try pipeline()
        let records = try RunTable.read(artifacts: dir)
        let all = try RunTable(records, allOptions: true, sort: nil)
        for option in ["batch_size", "beta", "data", "hidden_sizes", "learning_rate", "likelihood", "threads"] {
            XCTAssertTrue(all.columns.contains(option), option)
        }
        XCTAssertEqual(all.columns.filter { $0 == "epochs" }.count, 1)
        let byELBO = try RunTable(records, allOptions: false, sort: "test_neg_elbo")
        XCTAssertEqual(byELBO.records.map(\.id), ["bbbb", "aaaa", "cccc", "dddd", "eeee"])  // no figure: last
        let byRate = try RunTable(records, allOptions: false, sort: "learning_rate")
        XCTAssertEqual(byRate.records.map(\.id).prefix(3), ["aaaa", "dddd", "eeee"])
        XCTAssertEqual(byRate.records.map(\.id).suffix(2), ["bbbb", "cccc"])
        XCTAssertThrowsError(try RunTable(records, allOptions: false, sort: "speed")) { error in
            XCTAssertTrue("\(error)".hasPrefix("no column \"speed\" to sort by (columns: id, status, finished,"), "\(error)")
        }
    }

    func testFormats() throws {
        let table = try RunTable(try RunTable.read(artifacts: try pipeline()), allOptions: false, sort: nil)
        let plain = try table.render(.table).split(separator: "\n")
        XCTAssertEqual(plain.count, 6)
        XCTAssertTrue(plain[0].hasPrefix("id    status"), String(plain[0]))
        XCTAssertEqual(Set(plain.map { $0.firstRange(of: "test_neg_elbo") == nil }).count, 2)  // header only
        let csv = try table.render(.csv).components(separatedBy: "\r\n").dropLast()
        XCTAssertEqual(csv.count, 6)
        XCTAssertEqual(CSV.parseRecord(Substring(csv[0])), table.columns)
        XCTAssertEqual(CSV.parseRecord(Substring(csv[3]))[0], "bbbb")
        let md = try table.render(.md).split(separator: "\n")
        XCTAssertEqual(md.count, 7)
        XCTAssertEqual(md[1], Substring("|" + String(repeating: " --- |", count: table.columns.count)))
        let json = try table.render(.json)
        let back = try JSONCoding.decode([RunRecord].self, from: Array(json.utf8), path: "json")
        XCTAssertEqual(back, table.records)
    }

    func testMissingDirectoryIsAnError() {
        assertDataError(.missingFile, path: "/nonexistent/smoke") { _ = try RunTable.read(artifacts: "/nonexistent/smoke") }
    }
}
