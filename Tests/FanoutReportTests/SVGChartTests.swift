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
}
