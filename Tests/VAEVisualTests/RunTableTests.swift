// The runs table on fabricated artifact directories: finished runs, a killed one, an unreadable
// one, the latest link, the options that differ, sorting, and the four output formats.
import Foundation
import TestSupport
import VAECore
import VAEVisual
import XCTest

final class RunTableTests: XCTestCase {
    /// Three finished runs (b latest), one killed after one epoch, one with a damaged summary.
    private func pipeline() throws -> String {
        let dir = try makeScratchDirectory(self)
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.001, seed: 1), "summary.json": RunFixtures.summary(80),
                   "provenance.json": RunFixtures.provenance("aaaa", ended: "2026-01-02T00:00:00Z")], in: dir + "/train-aaaa")
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.003, seed: 1), "summary.json": RunFixtures.summary(75.126, iwae: 74),
                   "provenance.json": RunFixtures.provenance("bbbb", ended: "2026-01-03T00:00:00Z")], in: dir + "/train-bbbb")
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.01, seed: 1), "summary.json": RunFixtures.summary(90),
                   "provenance.json": RunFixtures.provenance("cccc", ended: "2026-01-01T00:00:00Z")], in: dir + "/train-cccc")
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.001, seed: 2), "metrics.csv": "epoch,step,train_loss\n1,16,80\n"],
                  in: dir + "/.train-dddd.partial")
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.001, seed: 1), "summary.json": "{\"epochs\":",
                   "provenance.json": RunFixtures.provenance("eeee", ended: "2026-01-04T00:00:00Z")], in: dir + "/train-eeee")
        try RunFixtures.write(["manifest.json": "{}"], in: dir + "/ingest-1")
        try FileManager.default.createDirectory(atPath: dir + "/latest", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/latest/train", withDestinationPath: "../train-bbbb")
        return dir
    }

    func testOneRowPerRunWithTheOptionsThatDiffer() throws {
        let dir = try pipeline()
        let table = try RunTable(try RunTable.read(artifacts: dir), allOptions: false, sort: nil)
        XCTAssertEqual(table.columns, ["id", "status", "finished", "objective", "prior", "learning_rate", "seed", "epochs",
                                       "test_neg_elbo", "test_recon", "test_kl", "iwae_nll", "median_epoch_s", "latest"])
        // Oldest first; the killed run and the unreadable one (no end time) last, by ID.
        XCTAssertEqual(table.records.map(\.id), ["cccc", "aaaa", "bbbb", "dddd", "eeee"])
        let text = table.rows.map { $0.map(RunTable.format) }
        XCTAssertEqual(text[2], ["bbbb", "finished", "2026-01-03T00:00:00Z", "elbo", "standard", "0.003", "1", "3", "75.13",
                                 "71.63", "3.50", "74.00", "0.500", "*"])
        XCTAssertEqual(text[3], ["dddd", "incomplete", "", "elbo", "standard", "0.001", "2", "1/3", "", "", "", "", "", ""])
        XCTAssertTrue(text[4][1].hasPrefix("unreadable: \(dir)/train-eeee/summary.json: "), text[4][1])
        XCTAssertEqual(table.records.filter(\.latest).map(\.id), ["bbbb"])
    }

    /// The objective and the prior of every run, by name, whether or not they differ.
    func testObjectiveAndPriorAreShownForEveryRun() throws {
        let dir = try makeScratchDirectory(self)
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.001, seed: 1), "summary.json": RunFixtures.summary(80),
                   "provenance.json": RunFixtures.provenance("aaaa", ended: "2026-01-02T00:00:00Z")], in: dir + "/train-aaaa")
        let iwaeVamp = RunFixtures.config(lr: 0.001, seed: 1, samples: 5,
                                          extra: "\"objective\":\"iwae\",\"prior\":{\"vamp\":{\"pseudoInputs\":50}},")
        try RunFixtures.write(["config.json": iwaeVamp, "summary.json": RunFixtures.summary(78),
                   "provenance.json": RunFixtures.provenance("bbbb", ended: "2026-01-03T00:00:00Z")], in: dir + "/train-bbbb")
        let table = try RunTable(try RunTable.read(artifacts: dir), allOptions: false, sort: nil)
        let text = table.rows.map { $0.map(RunTable.format) }
        let objective = table.columns.firstIndex(of: "objective")!, prior = table.columns.firstIndex(of: "prior")!
        XCTAssertEqual(text.map { $0[objective] }, ["elbo", "iwae(k=5)"])
        XCTAssertEqual(text.map { $0[prior] }, ["standard", "vamp(50)"])
        XCTAssertEqual(table.columns.filter { ["mc_samples", "objective", "prior"].contains($0) }, ["objective", "prior", "mc_samples"])
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

    func testAFinishedRunWithoutTestExamplesShowsNAAndNull() throws {
        let dir = try makeScratchDirectory(self)
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.001, seed: 1), "summary.json": RunFixtures.summary(80),
                               "provenance.json": RunFixtures.provenance("aaaa", ended: "2026-01-02T00:00:00Z")], in: dir + "/train-aaaa")
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.003, seed: 1), "summary.json": RunFixtures.summary(nil),
                               "provenance.json": RunFixtures.provenance("bbbb", ended: "2026-01-03T00:00:00Z")], in: dir + "/train-bbbb")
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.001, seed: 2), "metrics.csv": "epoch,step,train_loss\n1,16,80\n"],
                              in: dir + "/.train-cccc.partial")
        let records = try RunTable.read(artifacts: dir)
        let table = try RunTable(records, allOptions: false, sort: nil)
        XCTAssertEqual(table.records.map(\.id), ["aaaa", "bbbb", "cccc"])
        let at = try XCTUnwrap(table.columns.firstIndex(of: "test_neg_elbo"))
        XCTAssertEqual(Array(table.columns[at ..< at + 3]), ["test_neg_elbo", "test_recon", "test_kl"])
        // A finished run without test figures: n/a; an incomplete run's, not known yet: empty.
        XCTAssertEqual(table.rows.map { Array($0[at ..< at + 3].map(RunTable.format)) },
                       [["80.00", "76.50", "3.50"], ["n/a", "n/a", "n/a"], ["", "", ""]])
        let plain = try table.render(.table).split(separator: "\n")
        XCTAssertEqual(plain[2].components(separatedBy: " n/a").count, 4, String(plain[2]))
        let md = try table.render(.md).split(separator: "\n")
        XCTAssertTrue(md[3].contains("| 3 | n/a | n/a | n/a | 0.500 |"), String(md[3]))
        let csv = try table.render(.csv).components(separatedBy: "\r\n")
        XCTAssertEqual(Array(CSV.parseRecord(Substring(csv[2]))[at ..< at + 3]), ["", "", ""])
        XCTAssertEqual(Array(CSV.parseRecord(Substring(csv[1]))[at ..< at + 3]), ["80.00", "76.50", "3.50"])
        let json = try table.render(.json)
        let objects = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        for key in ["test_neg_elbo", "test_recon", "test_kl", "iwae_nll"] {
            XCTAssertTrue(objects[1][key] is NSNull, "\(key): \(String(describing: objects[1][key]))")
        }
        XCTAssertEqual(objects[0]["test_neg_elbo"] as? Double, 80)
        XCTAssertEqual(try JSONCoding.decode([RunRecord].self, from: Array(json.utf8), path: "json"), table.records)
        for format in RunTableFormat.allCases {
            assertNoNaN(try table.render(format), "the \(format) table")
        }
        // Sorted by a test figure, the runs without one come last.
        XCTAssertEqual(try RunTable(records, allOptions: false, sort: "test_kl").records.map(\.id), ["aaaa", "bbbb", "cccc"])
    }

    func testTheCollapseFiguresAreShownInEveryFormat() throws {
        let dir = try makeScratchDirectory(self)
        let runs: [(String, String, String)] = [("aaaa", RunFixtures.summary(80, activeUnits: 2), "2026-01-02T00:00:00Z"),
                                                ("bbbb", RunFixtures.summary(nil, activeUnits: 1), "2026-01-03T00:00:00Z"),
                                                ("cccc", RunFixtures.summary(90), "2026-01-04T00:00:00Z")]  // before the figures
        for (id, summary, ended) in runs {
            try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.001, seed: 1), "summary.json": summary,
                                   "provenance.json": RunFixtures.provenance(id, ended: ended)], in: dir + "/train-" + id)
        }
        try RunFixtures.write(["config.json": RunFixtures.config(lr: 0.001, seed: 2), "metrics.csv": "epoch,step,train_loss\n1,16,80\n"],
                              in: dir + "/.train-dddd.partial")
        let records = try RunTable.read(artifacts: dir)
        let table = try RunTable(records, allOptions: false, sort: nil)
        XCTAssertEqual(table.records.map(\.id), ["aaaa", "bbbb", "cccc", "dddd"])
        let at = try XCTUnwrap(table.columns.firstIndex(of: "active_units"))
        XCTAssertEqual(Array(table.columns[at ..< at + 4]), ["active_units", "test_psnr_db", "mean_image_psnr_db", "median_epoch_s"])
        // Without test examples: the train split's active units, no PSNR; a run finished before
        // the figures: n/a; one not finished: empty.
        XCTAssertEqual(table.rows.map { Array($0[at ..< at + 3].map(RunTable.format)) },
                       [["2", "18.50", "10.25"], ["1", "n/a", "n/a"], ["n/a", "n/a", "n/a"], ["", "", ""]])

        let plain = try table.render(.table).split(separator: "\n")
        XCTAssertTrue(plain[0].contains("active_units  test_psnr_db  mean_image_psnr_db  median_epoch_s"), String(plain[0]))
        XCTAssertTrue(plain[1].contains("  2         18.50               10.25"), String(plain[1]))
        let csv = try table.render(.csv).components(separatedBy: "\r\n")
        XCTAssertEqual(Array(CSV.parseRecord(Substring(csv[1]))[at ..< at + 3]), ["2", "18.50", "10.25"])
        XCTAssertEqual(Array(CSV.parseRecord(Substring(csv[2]))[at ..< at + 3]), ["1", "", ""])
        let md = try table.render(.md).split(separator: "\n")
        XCTAssertTrue(md[2].contains("| 2 | 18.50 | 10.25 | 0.500 |"), String(md[2]))
        let json = try table.render(.json)
        let objects = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        XCTAssertEqual(objects[0]["active_units"] as? Int, 2)
        XCTAssertEqual(objects[0]["active_units_split"] as? String, "test")
        XCTAssertEqual(objects[0]["test_psnr_db"] as? Double, 18.5)
        XCTAssertEqual(objects[0]["mean_image_psnr_db"] as? Double, 10.25)
        XCTAssertEqual(objects[1]["active_units_split"] as? String, "train")
        for key in ["test_psnr_db", "mean_image_psnr_db"] { XCTAssertTrue(objects[1][key] is NSNull, key) }
        for key in ["active_units", "active_units_split"] { XCTAssertTrue(objects[2][key] is NSNull, key) }
        XCTAssertEqual(try JSONCoding.decode([RunRecord].self, from: Array(json.utf8), path: "json"), table.records)

        XCTAssertEqual(try RunTable(records, allOptions: false, sort: "test_psnr_db").records.map(\.id).first, "aaaa")
        // No run with the figures: no columns for them.
        let old = try RunTable(records.filter { $0.id == "cccc" }, allOptions: false, sort: nil)
        XCTAssertFalse(old.columns.contains("active_units"), "\(old.columns)")
    }

    func testMissingDirectoryIsAnError() {
        assertDataError(.missingFile, path: "/nonexistent/smoke") { _ = try RunTable.read(artifacts: "/nonexistent/smoke") }
    }
}
