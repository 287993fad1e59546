// The Cairo plots: pictures of the right size, marks where the data say, the legend's colors,
// text drawn, the same bytes twice; and the round-number ticks, CSV reading, principal
// components and subsampling underneath. Not pixel-exact: glyphs depend on the font build.
import Foundation
import TestSupport
import VAECore
import VAEVisual
import XCTest

final class PlotTests: XCTestCase {
    /// Writes `text` to `name` in a scratch directory and returns the path.
    private func file(_ name: String, _ text: String) throws -> String {
        let dir = try makeScratchDirectory(self)
        let path = FileIO.join(dir, name)
        try AtomicFile.write(text, to: path)
        return path
    }

    /// The pixels of `canvas` in the rectangle, row by row.
    private func pixels(_ canvas: PlotCanvas, x: ClosedRange<Int>, y: ClosedRange<Int>) -> [RGB] {
        y.flatMap { row in x.map { canvas.pixel(x: $0, y: row) } }
    }

    /// Whether a pixel of exactly `color` lies within `radius` pixels of (x, y).
    private func found(_ color: RGB, near x: Double, _ y: Double, in canvas: PlotCanvas, radius: Int = 2) -> Bool {
        let cx = Int(x), cy = Int(y)
        return pixels(canvas, x: (cx - radius)...(cx + radius), y: (cy - radius)...(cy + radius)).contains(color)
    }

    /// Colors that are neither gray nor near white: the palette's, and their antialiased edges.
    private func saturated(_ colors: [RGB]) -> Set<RGB> {
        Set(colors.filter { c in
            let v = [Int(c.r), Int(c.g), Int(c.b)]
            return v.max()! - v.min()! > 60
        })
    }

    private func curves() throws -> Plot {
        var text = "epoch,double,flat,name\n"
        for e in 0...10 { text += "\(e),\(2 * e),10,x\n" }
        let table = try CSVTable(path: try file("metrics.csv", text))
        let series = try Curves.series([table], x: "epoch", y: ["double", "flat"], logY: false)
        return try Curves.draw(series, xLabel: "epoch", yLabel: "double, flat", logY: false, title: "known lines")
    }

    func testCurvesDrawTheLinesWhereTheDataSay() throws {
        let plot = try curves()
        let (canvas, frame) = (plot.canvas, plot.frame)
        XCTAssertEqual([canvas.width, canvas.height], [Curves.defaultWidth, Curves.defaultHeight])
        XCTAssertEqual(frame.x.values, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(frame.y.values.first, 0)
        XCTAssertEqual(frame.y.values.last, 20)
        // y = 2x in the first color, y = 10 in the second, at several x away from the legend.
        for x in [0.5, 2.5, 4.5, 6.5] {
            XCTAssertTrue(found(RGB.palette(0), near: frame.px(x), frame.py(2 * x), in: canvas), "y = 2x at x = \(x)")
            XCTAssertTrue(found(RGB.palette(1), near: frame.px(x), frame.py(10), in: canvas), "y = 10 at x = \(x)")
            // Halfway between the lines, nothing of either color.
            let between = (frame.py(2 * x) + frame.py(10)) / 2
            XCTAssertFalse(found(RGB.palette(0), near: frame.px(x), between, in: canvas, radius: 1))
            XCTAssertFalse(found(RGB.palette(1), near: frame.px(x), between, in: canvas, radius: 1))
        }
    }

    func testCurvesLegendHoldsOneColorPerSeries() throws {
        let plot = try curves()
        let frame = plot.frame
        // y = 2x reaches the top right corner and y = 10 crosses the middle, so the legend box
        // goes to the top left, which no line crosses.
        let box = try XCTUnwrap(plot.legend)
        XCTAssertEqual([box.x, box.y], [frame.left + 10, frame.top + 10])
        let legend = pixels(plot.canvas, x: Int(box.x)...Int(box.x + box.width), y: Int(box.y)...Int(box.y + box.height))
        XCTAssertTrue(legend.contains(RGB.palette(0)))
        XCTAssertTrue(legend.contains(RGB.palette(1)))
        XCTAssertFalse(legend.contains(RGB.palette(2)))
        // A falling line leaves the top right corner free, the first choice.
        var text = "x,falling\n"
        for x in 0...10 { text += "\(x),\(20 - 2 * x)\n" }
        let falling = try Curves.draw(try Curves.series([try CSVTable(path: try file("f.csv", text))], x: "x", y: ["falling"], logY: false),
                                      xLabel: "x", yLabel: "falling", logY: false, title: nil)
        let right = try XCTUnwrap(falling.legend)
        XCTAssertEqual(right.y, falling.frame.top + 10)
        XCTAssertEqual(right.x + right.width, (falling.frame.right - 10).rounded(), accuracy: 1)
    }

    func testTextIsDrawn() throws {
        let plot = try curves()
        let canvas = plot.canvas
        func dark(_ region: [RGB]) -> Int { region.filter { Int($0.r) + Int($0.g) + Int($0.b) < 300 }.count }
        // The title band, the x label under the tick labels, the y label at the left edge.
        XCTAssertGreaterThan(dark(pixels(canvas, x: 300...500, y: 10...34)), 30)
        XCTAssertGreaterThan(dark(pixels(canvas, x: 350...450, y: canvas.height - 26...canvas.height - 6)), 20)
        XCTAssertGreaterThan(dark(pixels(canvas, x: 4...22, y: 150...350)), 30)
        // Without a title the band stays empty.
        let series = try Curves.series([try CSVTable(path: try file("m.csv", "a,b\n1,2\n2,3\n"))], x: "a", y: ["b"], logY: false)
        let untitled = try Curves.draw(series, xLabel: "a", yLabel: "b", logY: false, title: nil)
        XCTAssertEqual(dark(pixels(untitled.canvas, x: 300...500, y: 2...14)), 0)
    }

    func testPNGIsOfTheSizeAndTheSameBytesEachTime() throws {
        let first = try curves().canvas.pngBytes()
        let second = try curves().canvas.pngBytes()
        XCTAssertEqual(first, second)
        XCTAssertEqual(Array(first[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func be32(_ i: Int) -> Int { first[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
        XCTAssertEqual(be32(16), Curves.defaultWidth)
        XCTAssertEqual(be32(20), Curves.defaultHeight)
    }

    func testSeveralFilesGetOneLegendEntryPerFileAndColumn() throws {
        let dir = try makeScratchDirectory(self)
        let a = FileIO.join(dir, "run-a/metrics.csv"), b = FileIO.join(dir, "run-b/metrics.csv")
        for (path, text) in [(a, "epoch,loss\n1,3\n2,2\n"), (b, "epoch,loss\n1,4\n2,1\n")] {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true)
            try AtomicFile.write(text, to: path)
        }
        let series = try Curves.series([try CSVTable(path: a), try CSVTable(path: b)], x: "epoch", y: ["loss"], logY: false)
        XCTAssertEqual(series.map(\.label), ["run-a: loss", "run-b: loss"])
        XCTAssertEqual(series.map(\.color), [RGB.palette(0), RGB.palette(1)])
        XCTAssertEqual(Curves.fileLabels(["x/run1.csv", "x/run2.csv"]), ["run1", "run2"])
        XCTAssertEqual(Curves.fileLabels(["a/m.csv", "a/m.csv"]), ["a/m.csv", "a/m.csv"])
        XCTAssertEqual(Curves.fileLabels(["/t/art/smoke/latest/train/metrics.csv", "/t/fm/fashion/latest/train/metrics.csv"]),
                       ["art/smoke", "fm/fashion"])
    }

    func testLongFormatRowsAreFilteredAndGroupedIntoLines() throws {
        let path = try file("gradient_variance.csv", """
            step,estimator,tensor,variance
            1,reparameterization,encoder.0.weight,7
            1,reparameterization,encoder,2
            1,score-function,encoder,300
            100,reparameterization,encoder,1
            100,score-function,encoder,0
            100,score-function,encoder.0.weight,9

            """)
        let table = try CSVTable(path: path)
        let series = try Curves.series([table], x: "step", y: ["variance"], logY: false,
                                       filters: [RowFilter(column: "tensor", value: "encoder")], group: "estimator")
        XCTAssertEqual(series.map(\.label), ["reparameterization", "score-function"])
        XCTAssertEqual(series.map { $0.points.map { [$0.x, $0.y] } }, [[[1, 2], [100, 1]], [[1, 300], [100, 0]]])
        XCTAssertEqual(series.map(\.color), [RGB.palette(0), RGB.palette(1)])
        // Several columns keep the column in the label; the log scale names the line of the file.
        let two = try Curves.series([table], x: "step", y: ["variance", "step"], logY: false, group: "estimator")
        XCTAssertEqual(two.map(\.label), ["reparameterization: variance", "reparameterization: step",
                                          "score-function: variance", "score-function: step"])
        XCTAssertThrowsError(try Curves.series([table], x: "step", y: ["variance"], logY: true,
                                               filters: [RowFilter("tensor=encoder")!], group: "estimator")) {
            XCTAssertEqual("\($0)", "\(path): line 6, column \"variance\" is 0.0: --log-y needs positive values")
        }
        XCTAssertThrowsError(try Curves.series([table], x: "step", y: ["variance"], logY: false, filters: [RowFilter("tensor=decoder")!])) {
            XCTAssertEqual("\($0)", "\(path): no row has tensor=decoder")
        }
        XCTAssertThrowsError(try Curves.series([table], x: "step", y: ["variance"], logY: false, group: "method")) {
            XCTAssert("\($0)".contains("has no column \"method\""), "\($0)")
        }
        XCTAssertEqual(RowFilter("a=b=c"), RowFilter(column: "a", value: "b=c"))
        XCTAssertEqual(RowFilter("a="), RowFilter(column: "a", value: ""))
        XCTAssertNil(RowFilter("=b"))
        XCTAssertNil(RowFilter("ab"))
    }

    func testLogScaleRefusesNonPositiveValuesAndPlotsDecades() throws {
        let path = try file("v.csv", "step,variance\n1,0.001\n2,10\n3,0\n")
        XCTAssertThrowsError(try Curves.series([try CSVTable(path: path)], x: "step", y: ["variance"], logY: true)) { error in
            XCTAssertEqual("\(error)", "\(path): line 4, column \"variance\" is 0.0: --log-y needs positive values")
        }
        let ticks = Ticks.logarithmic(0.001, 10)
        XCTAssertEqual(ticks.values, [0.001, 0.01, 0.1, 1, 10])
        XCTAssertEqual(ticks.values.map(ticks.label), ["0.001", "0.01", "0.1", "1", "10"])
        XCTAssertEqual(Ticks.logarithmic(3, 40).values, [2, 5, 10, 20, 50])
    }

    func testTicksFallOnRoundNumbers() {
        let t = Ticks.linear(0.3, 9.2)
        XCTAssertEqual(t.step, 2)
        XCTAssertEqual(t.values, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(t.values.map(t.label), ["0", "2", "4", "6", "8", "10"])
        let small = Ticks.linear(-0.27, 0.31)
        XCTAssertEqual(small.step, 0.1)
        XCTAssertEqual(small.values.map(small.label), ["-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2", "0.3", "0.4"])
        XCTAssertEqual(Ticks.linear(1, 2, integral: true).values, [1, 2])
        XCTAssertEqual(Ticks.linear(5, 5).values.first, 2)
    }

    func testCSVTableNamesTheFileAndLineOfAProblem() throws {
        let ragged = try file("r.csv", "a,b\n1,2\n3\n")
        assertDataError(.corrupt, path: ragged, contains: ["line 3 has 1 fields, the header has 2"]) { _ = try CSVTable(path: ragged) }
        let text = try file("t.csv", "a,b\r\n1,x\r\n")
        let table = try CSVTable(path: text)
        assertDataError(.corrupt, path: text, contains: ["line 2, column \"b\": \"x\" is not a number"]) { _ = try table.numbers("b") }
        assertDataError(.corrupt, path: text, contains: ["has no column \"c\" (columns: a, b)"]) { _ = try table.numbers("c") }
        // An empty field is a missing value (a run without test examples leaves its test losses empty).
        let gaps = try CSVTable(path: try file("g.csv", "epoch,train_loss,test_loss\n1,90.5,\n2,80,\n"))
        XCTAssertEqual(try gaps.numbers("train_loss"), [90.5, 80])
        XCTAssertTrue(try gaps.numbers("test_loss").allSatisfy(\.isNaN))
        let twice = try file("d.csv", "a,a\n")
        assertDataError(.corrupt, path: twice, contains: ["line 1: column \"a\" appears twice"]) { _ = try CSVTable(path: twice) }
    }

    func testPrincipalComponentsFindTheKnownDirections() throws {
        // Points spread ±k along (1, 1, 0)/√2 and ±k/10 along (0, 0, 1), around (1, 2, 3).
        var points: [Float] = []
        for k in -20...20 {
            let a = Float(k), b: Float = k % 2 == 0 ? 0.1 : -0.1  // uncorrelated with a
            points += [1 + a, 2 + a, 3 + b]
        }
        let pca = try PrincipalComponents(points: points, dimension: 3, keep: 2)
        XCTAssertEqual(pca.mean[0], 1, accuracy: 1e-9)
        let s = 0.5.squareRoot()
        for (got, want) in zip(pca.directions[0], [s, s, 0]) { XCTAssertEqual(got, want, accuracy: 1e-5) }
        for (got, want) in zip(pca.directions[1], [0.0, 0, 1]) { XCTAssertEqual(got, want, accuracy: 1e-4) }
        // Along (1, 1, 0)/√2 the points spread √2·a, so the variance is 2 var(a).
        let a = (-20...20).map(Double.init)
        let varianceA = a.map { $0 * $0 }.reduce(0, +) / Double(a.count - 1)
        XCTAssertEqual(pca.variances[0], 2 * varianceA, accuracy: 2 * varianceA * 1e-5)
        XCTAssertEqual(pca.project(points[0..<3])[0], -20 * 2 * s, accuracy: 1e-3)
        XCTAssertThrowsError(try PrincipalComponents(points: [1, 2], dimension: 2, keep: 2))
    }

    private func latents(labels: [String]) throws -> String {
        var text = "index,split,label,mu_1,mu_2,mu_3\r\n"
        for (i, label) in labels.enumerated() {
            text += "\(i),\(i % 4 == 3 ? "train" : "test"),\(label),\(Float(i % 5)),\(Float(i % 7) - 3),\(Float(i) / 10)\r\n"
        }
        return try file("latents.csv", text)
    }

    func testScatterColorsByLabelWithOneLegendEntryEach() throws {
        let names = ["T-shirt/top", "Trouser", "Bag"]
        let path = try latents(labels: (0..<120).map { names[$0 % 3] })
        let codes = try LatentCodes(path: path, splits: [.test])
        XCTAssertEqual(codes.count, 90)
        XCTAssertEqual(codes.latentSize, 3)
        let plot = try Scatter.plot(codes, projection: .dimensions(1, 2), maxPoints: 1000, order: names, title: nil)
        let (canvas, frame) = (plot.canvas, plot.frame)
        XCTAssertEqual([canvas.width, canvas.height], [Scatter.defaultWidth, Scatter.defaultHeight])
        // The legend, right of the plot area: exactly the three class colors at full strength.
        let legend = pixels(canvas, x: Int(frame.right) + 1...canvas.width - 1, y: Int(frame.top)...Int(frame.top) + 80)
        XCTAssertEqual(Set(legend.filter { [0, 1, 2, 3, 4, 5, 6, 8, 9].map(RGB.palette).contains($0) }), [RGB.palette(0), RGB.palette(1), RGB.palette(2)])
        // A code's dot is where its coordinates say, in its class's color blended on white.
        let i = 0  // the first test row: index 0, "T-shirt/top", mu (0, -3)
        let center = canvas.pixel(x: Int(frame.px(Double(codes.means[i * 3]))), y: Int(frame.py(Double(codes.means[i * 3 + 1]))))
        XCTAssertTrue(center.b > center.r, "\(center) should be the first palette color (blue) blended")
        XCTAssertEqual(Scatter.classes(["b", "10", "2", "a"], order: nil), ["10", "2", "a", "b"])  // not all numbers: as text
        XCTAssertEqual(Scatter.classes(["10", "2"], order: nil), ["2", "10"])
        XCTAssertEqual(Scatter.classes(["x", "Bag", "Trouser"], order: names), ["Trouser", "Bag", "x"])
    }

    func testUnlabelledCodesHaveOneColorAndNoLegend() throws {
        let path = try latents(labels: Array(repeating: "", count: 40))
        let plot = try Scatter.plot(try LatentCodes(path: path, splits: [.train, .test]), projection: .automatic,
                                    maxPoints: 1000, order: nil, title: "all")
        let colors = saturated(pixels(plot.canvas, x: 0...plot.canvas.width - 1, y: 0...plot.canvas.height - 1))
        XCTAssertTrue(colors.contains(RGB(255, 255, 255)) == false)
        XCTAssertFalse(colors.isEmpty)
        // Every saturated pixel is a blend of the first palette color (blue dominant).
        XCTAssertTrue(colors.allSatisfy { $0.b >= $0.r && $0.b >= $0.g }, "\(colors.prefix(5))")
        XCTAssertGreaterThan(plot.frame.right, Double(plot.canvas.width) - 30, "no room kept for a legend")
    }

    func testSubsampleIsEvenlySpacedAndStable() {
        XCTAssertEqual(Scatter.evenlySpaced(4, of: 10), [0, 2, 5, 7])
        XCTAssertEqual(Scatter.evenlySpaced(20, of: 3), [0, 1, 2])
        XCTAssertEqual(Scatter.evenlySpaced(3, of: 9), [0, 3, 6])
    }

    func testScatterRejectsDimensionsOutOfRange() throws {
        let path = try latents(labels: ["a", "b", "c", "d"])
        let codes = try LatentCodes(path: path, splits: [.test])
        XCTAssertThrowsError(try ScatterPlane(codes, projection: .dimensions(1, 4))) { error in
            XCTAssertEqual("\(error)", "--dims 1,4: \(path) has latent dimensions 1 to 3")
        }
        let bad = try file("bad.csv", "index,split,label,mu_1\r\n0,test,a,nan\r\n")
        assertDataError(.corrupt, path: bad, contains: ["line 2, column \"mu_1\": \"nan\" is not a finite number"]) {
            _ = try LatentCodes(path: bad, splits: [.test])
        }
    }
}
