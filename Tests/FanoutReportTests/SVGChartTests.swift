import FanoutScenario
import Foundation
import Testing

@testable import FanoutReport

/// Every `attribute="…"` value in `svg`, in order.
func attributes(_ name: String, in svg: String) -> [String] {
  var out: [String] = []
  var rest = Substring(svg)
  let key = " \(name)=\""
  while let r = rest.range(of: key) {
    rest = rest[r.upperBound...]
    guard let end = rest.firstIndex(of: "\"") else { break }
    out.append(String(rest[..<end]))
    rest = rest[end...]
  }
  return out
}

/// The points of a path's `d` (M and L commands only), by subpath.
func subpaths(_ d: String) -> [[(Double, Double)]] {
  var out: [[(Double, Double)]] = []
  var number = ""
  var pending: [Double] = []
  func flushNumber() {
    if let v = Double(number) { pending.append(v) }
    number = ""
  }
  for ch in d + "E" {
    if ch.isNumber || ch == "." || ch == "-" {
      number.append(ch)
      continue
    }
    flushNumber()
    if pending.count == 2 {
      out[out.count - 1].append((pending[0], pending[1]))
      pending = []
    }
    if ch == "M" { out.append([]) }
  }
  return out
}

/// The text inside every `<text …>` whose class is `cls`.
func texts(_ cls: String, in svg: String) -> [String] {
  var out: [String] = []
  var rest = Substring(svg)
  while let r = rest.range(of: "<text class=\"\(cls)\"") {
    rest = rest[r.upperBound...]
    guard let open = rest.firstIndex(of: ">"), let close = rest.range(of: "</text>") else { break }
    out.append(String(rest[rest.index(after: open)..<close.lowerBound]))
    rest = rest[close.upperBound...]
  }
  return out
}

@Suite("SVG charts")
struct SVGChartTests {
  func chart(_ series: [SVGChart.Series], counts: Bool = false) -> SVGChart {
    SVGChart(id: "test", title: "A test", yTitle: "things", yUnit: "widgets", series: series, counts: counts)
  }

  @Test("Axis ticks are 1, 2 or 5 times a power of ten, from zero, covering the data")
  func testAxisTicksAreNiceAndCoverTheData() {
    let a = AxisScale.nice(low: 0, high: 7.3)
    #expect(a.step == 2)
    #expect(a.ticks == [0, 2, 4, 6, 8])
    #expect(a.labels == ["0", "2", "4", "6", "8"])
    let b = AxisScale.nice(low: 0, high: 0.37)
    #expect(b.step == 0.1)
    #expect(b.labels == ["0", "0.1", "0.2", "0.3", "0.4"])
    let c = AxisScale.nice(low: 0, high: 12_345)
    #expect(c.step == 5_000)
    #expect(c.labels == ["0", "5k", "10k", "15k"])
    // Nothing but zeros: an axis from 0 to 1.
    let z = AxisScale.nice(low: 0, high: 0)
    #expect(z.low == 0 && z.high == 1)
    // A negative value extends it below zero.
    let n = AxisScale.nice(low: -3, high: 9)
    #expect(n.step == 5 && n.low == -5 && n.high == 10)
    // Up to 10,000 without a prefix, then k, M, …
    #expect(AxisScale.nice(low: 0, high: 2_000).labels.last == "2000")
    #expect(AxisScale.nice(low: 0, high: 3e6).labels.last == "3M")
  }

  @Test("A count axis has no tick between two whole numbers")
  func testCountAxisHasWholeTicksOnly() {
    #expect(AxisScale.nice(low: 0, high: 1, minStep: 1).ticks == [0, 1])
    #expect(AxisScale.nice(low: 0, high: 3, minStep: 1).ticks == [0, 1, 2, 3])
    let svg = chart([SVGChart.Series("s", points: [.init(x: 0, y: 0), .init(x: 1, y: 1)])], counts: true).svg()
    let yAxis = String(svg[svg.range(of: "y-axis")!.lowerBound..<svg.range(of: "x-axis")!.lowerBound])
    #expect(attributes("data-value", in: yAxis) == ["0", "1"])
  }

  @Test("Values are scaled onto the plot: (0, 0) at its bottom left, the largest at its top right")
  func testScalingPutsValuesOnThePlot() throws {
    let svg = chart([SVGChart.Series("s", points: [.init(x: 0, y: 0), .init(x: 5, y: 50), .init(x: 10, y: 100)])]).svg()
    let d = try #require(attributes("d", in: svg).first)
    let pts = try #require(subpaths(d).first)
    #expect(pts.count == 3)
    let left = SVGChart.left
    let right = 1160 - SVGChart.right
    let top = SVGChart.top
    let bottom = top + 220
    #expect(pts[0] == (left, bottom))
    #expect(pts[1] == ((left + right) / 2, (top + bottom) / 2))
    #expect(pts[2] == (right, top))
    // The time axis for 10 s is in seconds; the y axis's title carries the unit.
    #expect(svg.contains("virtual time (s)"))
    #expect(svg.contains("things (widgets)"))
    #expect(svg.contains("data-chart=\"test\""))
    #expect(svg.contains("<g class=\"series\" data-series=\"s\" data-points=\"3\">"))
  }

  @Test("Virtual time is shown in ms, s, min, h or d, chosen from the span")
  func testTimeAxisUnitFollowsTheSpan() {
    #expect(TimeUnit.forSpan(0.5).symbol == "ms")
    #expect(TimeUnit.forSpan(100).symbol == "s")
    #expect(TimeUnit.forSpan(3_600).symbol == "min")
    #expect(TimeUnit.forSpan(86_400).symbol == "h")
    #expect(TimeUnit.forSpan(864_000).symbol == "d")
    let svg = chart([SVGChart.Series("s", points: [.init(x: 0, y: 1), .init(x: 0.545, y: 2)])]).svg()
    #expect(svg.contains("virtual time (ms)"))
    #expect(attributes("data-value", in: svg).contains("500"))
  }

  @Test("Every name is escaped: title, chart id, series names, units, in text and in attributes")
  func testNamesAreEscapedEverywhere() {
    let evil = "<script>alert(\"x\")</script> & 'y'\u{1}"
    let c = SVGChart(
      id: evil, subject: evil, title: evil, yTitle: evil, yUnit: evil,
      series: [SVGChart.Series(evil, points: [.init(x: 0, y: 1), .init(x: 1, y: 2)])], note: evil)
    let svg = c.svg()
    #expect(!svg.contains("<script"))
    #expect(!svg.contains("alert(\"x\")"))
    #expect(!svg.contains("'y'"))
    #expect(!svg.contains("\u{1}"))
    #expect(svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;\u{FFFD}"))
    #expect(escapeMarkup("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;")
    #expect(escapeMarkup("tab\tand\nnewline") == "tab\tand\nnewline")
    // The page escapes its title and section names too.
    let page = HTMLPage(title: evil, subtitle: [evil], sections: [.init(id: evil, title: evil, body: "")]).html()
    #expect(!page.contains("<script"))
  }

  @Test("An empty series: axes, its legend entry and 'no data', no line")
  func testEmptySeriesDrawsAxesAndLegend() {
    let svg = chart([SVGChart.Series("nothing", points: [])]).svg()
    #expect(svg.contains("<g class=\"axis x-axis\""))
    #expect(svg.contains("<g class=\"axis y-axis\""))
    #expect(svg.contains("<g class=\"legend-item\" data-series=\"nothing\">"))
    #expect(svg.contains("<g class=\"series\" data-series=\"nothing\" data-points=\"0\">"))
    #expect(texts("empty", in: svg) == ["no data"])
    #expect(!svg.contains("class=\"line\""))
    // All gaps is no data as well; no series at all too.
    #expect(texts("empty", in: chart([SVGChart.Series("gaps", points: [.init(x: 0, y: nil)])]).svg()) == ["no data"])
    #expect(texts("empty", in: chart([]).svg()) == ["no data"])
  }

  @Test("A single point is a dot (a path of one point would not show)")
  func testSinglePointIsADot() {
    let svg = chart([SVGChart.Series("one", points: [.init(x: 3, y: 7)])]).svg()
    #expect(!svg.contains("class=\"line\""))
    #expect(svg.components(separatedBy: "<circle class=\"dot\"").count == 2)
    #expect(texts("empty", in: svg).isEmpty)
    // A point alone between gaps is a dot too, the rest a line.
    let mixed = chart([
      SVGChart.Series("m", points: [.init(x: 0, y: 1), .init(x: 1, y: 2), .init(x: 2, y: nil), .init(x: 3, y: 4)])
    ]).svg()
    #expect(mixed.contains("class=\"line\""))
    #expect(mixed.components(separatedBy: "<circle class=\"dot\"").count == 2)
  }

  @Test("A gap (nil) splits the line into two subpaths")
  func testGapsSplitTheLine() throws {
    let svg = chart([
      SVGChart.Series(
        "g", points: [.init(x: 0, y: 1), .init(x: 1, y: 2), .init(x: 2, y: nil), .init(x: 3, y: 4), .init(x: 4, y: 5)])
    ]).svg()
    let d = try #require(attributes("d", in: svg).first)
    #expect(subpaths(d).map(\.count) == [2, 2])
  }

  @Test("Huge and non-finite values: labels with SI prefixes or an exponent, coordinates finite and on the plot")
  func testHugeValuesStayOnThePlot() throws {
    for top in [1e15, 1e300, Double.greatestFiniteMagnitude] {
      let svg = chart([
        SVGChart.Series(
          "big",
          points: [
            .init(x: 0, y: 0), .init(x: 1, y: top), .init(x: 2, y: .infinity), .init(x: 3, y: .nan),
            .init(x: .infinity, y: 1), .init(x: 4, y: top / 2),
          ])
      ]).svg()
      #expect(!svg.lowercased().contains("nan"))
      #expect(!svg.contains("inf"))
      let d = try #require(attributes("d", in: svg).first)
      for p in subpaths(d).joined() {
        #expect(p.0 >= SVGChart.left && p.0 <= 1160 - SVGChart.right)
        #expect(p.1 >= SVGChart.top && p.1 <= SVGChart.top + 220)
      }
      let labels = attributes("data-value", in: svg)
      #expect(labels.contains { $0.hasSuffix("P") || $0.contains("e") }, "\(labels)")
    }
    #expect(formatValue(1234) == "1.23k")
    #expect(formatValue(999.96) == "1k")
    #expect(formatValue(0.5) == "0.5")
    #expect(formatValue(2.5e21) == "2.5e21")
    #expect(formatValue(-42) == "-42")
    #expect(formatValue(.nan) == "–")
    #expect(formatDuration(seconds: 0.002) == "2 ms")
    #expect(formatDuration(seconds: 90) == "1.5 min")
  }

  @Test("The legend names every series; past ten series, lines are dashed as well as coloured")
  func testLegendNamesEverySeries() {
    let series = (0..<12).map { SVGChart.Series("s\($0)", points: [.init(x: 0, y: Double($0)), .init(x: 1, y: 1)]) }
    let svg = chart(series).svg()
    #expect(attributes("data-series", in: svg).filter { $0.hasPrefix("s") }.count == 24)
    #expect(texts("empty", in: svg).isEmpty)
    #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 4)
  }

  @Test("A sweep's chart: a min–max band and p50, p90, p99 lines with a dot at each value, x not from zero")
  func testSweepChartDrawsBandAndPercentiles() throws {
    let points = [10.0, 20, 40].map { v in
      (value: v, distribution: FigureDistribution((1...100).map { Double($0) * v }))
    }
    let c = SweepChart.chart(
      title: "p99 by batch size", parameter: "batch size", figure: "latency", unit: "ms", points: points)
    let svg = c.svg()
    #expect(svg.contains("data-chart=\"sweep\" data-subject=\"batch size\""))
    #expect(svg.contains("<g class=\"band\" data-series=\"min–max\" data-points=\"3\">"))
    for name in ["p50", "p90", "p99"] {
      #expect(svg.contains("<g class=\"series\" data-series=\"\(name)\" data-points=\"3\">"))
      #expect(svg.contains("<g class=\"legend-item\" data-series=\"\(name)\">"))
    }
    #expect(svg.components(separatedBy: "<circle class=\"dot\"").count - 1 == 9)
    #expect(svg.contains("batch size"))
    #expect(c.xScale.scale.low == 10)
    let d = FigureDistribution((1...100).map(Double.init))
    #expect(d == FigureDistribution(count: 100, min: 1, p50: 50, p90: 90, p99: 99, max: 100))
    #expect(FigureDistribution([]).count == 0)
  }

  @Test("A categorical axis: a tick per category, a group's label once at its middle, a line between groups")
  func testCategoryAxisLabelsGroupsOnceAndTicksEachCategory() throws {
    let rows = [
      SVGChart.CategoryRow(key: "rate", labels: ["50", "50", "50", "400", "400", "400"]),
      SVGChart.CategoryRow(key: "mapping.service01.BatchSize", labels: ["1", "5", "10", "1", "5", "10"]),
    ]
    let c = SVGChart(
      id: "cats", title: "Categories", xAxis: .categories(title: "BatchSize / rate", rows: rows), yTitle: "y",
      yUnit: "", series: [SVGChart.Series("s", points: (0..<6).map { .init(x: Double($0), y: Double($0)) })])
    let svg = c.svg().components(separatedBy: "<g class=\"axis x-axis\"")[1]
    #expect(c.xScale.scale.low == -0.5 && c.xScale.scale.high == 5.5 && c.xScale.scale.ticks.count == 6)
    #expect(svg.components(separatedBy: "<g class=\"group\"").count - 1 == 2)
    #expect(svg.components(separatedBy: "<g class=\"tick\" data-value=\"5\"").count - 1 == 2)
    #expect(svg.components(separatedBy: "class=\"group-boundary\"").count - 1 == 1)
    // The rows are named in the margin (the key's last part; the whole key on hover).
    #expect(svg.contains("<title>mapping.service01.BatchSize</title>BatchSize</text>"))
    // The group "50" is labelled at the middle of its categories 0 to 2, i.e. at category 1.
    let group = svg.components(separatedBy: "<g class=\"group\" data-value=\"50\">")[1]
    let tick = svg.components(separatedBy: "<g class=\"tick\" data-value=\"5\">")[1]
    #expect(attributes("x", in: group).first == attributes("x1", in: tick).first)
    // A second row of labels makes the chart taller than one row would.
    var oneRow = c
    oneRow.xAxis = .categories(title: "t", rows: [rows[1]])
    #expect(oneRow.svg().contains("height=\"\(coord(SVGChart.top + 220 + SVGChart.bottom + 20 + 8))\""))
    #expect(c.svg().contains("height=\"\(coord(SVGChart.top + 220 + SVGChart.bottom + 15 + 20 + 8))\""))
  }

  @Test("Labels of many categories that would overlap are left out; every category keeps its place")
  func testCategoryLabelsThatWouldOverlapAreLeftOut() throws {
    let labels = (0..<300).map { "seed-\(1000 + $0)" }
    let c = SVGChart(
      id: "many", title: "Many", xAxis: .categories(title: "seed", rows: [.init(key: "seed", labels: labels)]),
      yTitle: "y", yUnit: "", series: [SVGChart.Series("s", points: [.init(x: 0, y: 1), .init(x: 299, y: 2)])])
    let svg = c.svg()
    let shown = attributes("data-value", in: svg).filter { $0.hasPrefix("seed-") }
    #expect(shown.first == "seed-1000")
    #expect(shown.count > 10 && shown.count < 100, "\(shown.count)")
    let row = svg.components(separatedBy: "<g class=\"category-row\"")[1].components(separatedBy: "</g>\n")[0]
    let xs = attributes("x1", in: row).compactMap(Double.init)
    for (a, b) in zip(xs, xs.dropFirst()) { #expect(b - a >= 3.3 * 9 * 2 + 8 - 0.2) }
  }

  @Test("An interval is an error bar with caps; a band stops at a gap; a series without a line is dots")
  func testIntervalsBandGapsAndDotSeries() throws {
    let c = SVGChart(
      id: "t", title: "T", xAxis: .value(title: "x", unit: ""), yTitle: "y", yUnit: "",
      series: [SVGChart.Series("runs", points: (0..<4).map { .init(x: Double($0), y: 1) }, line: false)],
      bands: [SVGChart.Band("b", points: [(0, 1, 2), (1, 1, 2), (1.5, .nan, .nan), (2, 1, 2), (3, 1, 2)])],
      intervals: [SVGChart.Interval("ci", points: [(0, 1, 3), (2, 0.5, 1.5), (3, .nan, 1)])])
    let svg = c.svg()
    let interval = svg.components(separatedBy: "<g class=\"interval\" data-series=\"ci\" data-points=\"2\">")[1]
    let d = try #require(attributes("d", in: interval.components(separatedBy: "</g>")[0]).first)
    #expect(subpaths(d).count == 6 && subpaths(d).allSatisfy { $0.count == 2 })
    // The bar's ends are at y = 3 and 1.
    func y(_ v: Double) -> Double { c.yScale.position(v, from: SVGChart.top + 220, to: SVGChart.top) }
    let bar = subpaths(d)[0]
    #expect(bar[0].0 == bar[1].0 && abs(bar[0].1 - y(3)) < 0.1 && abs(bar[1].1 - y(1)) < 0.1)
    let band = svg.components(separatedBy: "<g class=\"band\" data-series=\"b\" data-points=\"4\">")[1]
    #expect(
      try #require(attributes("d", in: band.components(separatedBy: "</g>")[0]).first).filter { $0 == "Z" }.count == 2)
    let runs = svg.components(separatedBy: "<g class=\"series\" data-series=\"runs\"")[1].components(
      separatedBy: "</g>")[0]
    #expect(runs.components(separatedBy: "<circle class=\"dot\"").count - 1 == 4 && !runs.contains("<path"))
    // The legend: the band's swatch, the bar, the dot.
    for n in ["b", "ci", "runs"] { #expect(svg.contains("<g class=\"legend-item\" data-series=\"\(n)\">")) }
    #expect(svg.contains("<g class=\"legend-item\" data-series=\"runs\"><circle"))
  }

  @Test("A sweep's spread: p5–p95 band, mean and p50 lines, the mean's interval as bars; a nil value is a gap")
  func testSpreadChartDrawsBandLinesAndBars() throws {
    let a = try #require(SweepDistribution([1, 2, 3, 4, 5]))
    let b = try #require(SweepDistribution([10, 20, 30]))
    let one = try #require(SweepDistribution([7]))
    let c = SweepChart.spread(
      id: "f", subject: "rate", title: "F by rate", xAxis: .value(title: "rate", unit: "requests/s"), figure: "F",
      unit: "ms",
      points: [
        .init(x: 400, distribution: b), .init(x: 50, distribution: a), .init(x: 100, distribution: nil),
        .init(x: 200, distribution: one),
      ])
    let mean = try #require(c.series.first { $0.name == "mean" })
    #expect(mean.points.map(\.x) == [50, 100, 200, 400])
    #expect(mean.points.map(\.y) == [3, nil, 7, 20])
    #expect(c.series.first { $0.name == "p50" }?.points.map(\.y) == [3, nil, 7, 20])
    #expect(c.bands[0].points.map(\.low).filter(\.isFinite) == [a.p5, one.p5, b.p5])
    // One run has no interval: bars at 50 and 400 only.
    #expect(c.intervals[0].points.map(\.x) == [50, 400])
    #expect(c.intervals[0].points[0].low == a.ci95?.low)
    let svg = c.svg()
    #expect(svg.contains("<g class=\"series\" data-series=\"mean\" data-points=\"3\">"))
    #expect(svg.contains("<g class=\"band\" data-series=\"p5–p95\" data-points=\"3\">"))
    // Breaks part the lines: two pieces of two points.
    let broken = SweepChart.spread(
      id: "f", subject: nil, title: "F", xAxis: .value(title: "x", unit: ""), figure: "F", unit: "",
      points: (0..<4).map { .init(x: Double($0), distribution: a) }, breaks: [1.5])
    let line = broken.svg().components(separatedBy: "data-series=\"mean\"")[1].components(separatedBy: "</g>")[0]
    #expect(subpaths(try #require(attributes("d", in: line).first)).map(\.count) == [2, 2])
  }
}
