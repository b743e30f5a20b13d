import Testing

@testable import TermRender

/// Braille dots by number, as bits of U+2800 + n: 1, 2, 3, 7 down the left column, 4, 5, 6, 8 down the right.
private let dot1 = 0x01
private let dot2 = 0x02
private let dot3 = 0x04
private let dot4 = 0x08
private let dot5 = 0x10
private let dot6 = 0x20
private let dot7 = 0x40
private let dot8 = 0x80

/// Braille cells from their dots.
private func braille(_ cells: Int...) -> String {
  String(String.UnicodeScalarView(cells.map { Unicode.Scalar(UInt32(0x2800 + $0))! }))
}

@Suite("Line chart on small buffers")
struct LineChartTests {
  /// A buffer pre-filled with `x`, so that cells the chart should not touch show.
  func filled(_ w: Int, _ h: Int) -> Buffer { Buffer(width: w, height: h, fill: Cell("x")) }

  /// An 8×3 area at (1, 0) of a 10×4 buffer: a plot 6 cells wide (12 dot columns) and 1 tall (4 dot rows).
  func oneRow(_ values: [Double?], yMax: Double? = 3) -> [String] {
    var b = filled(10, 4)
    let chart = LineChart(series: [.init("s", values: values)], xStart: "0s", xEnd: "12s", yMax: yMax)
    drawLineChart(&b, Rect(x: 1, y: 0, width: 8, height: 3), chart: chart, glyphs: .unicode)
    return b.lines
  }

  @Test("Braille: one value per dot column, levels 0 to 3 up a cell, a fall filled in down its column")
  func brailleExact() {
    let lines = oneRow([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
    // Cell 0: 0 bottom left (7), 1 third right (6). Cell 1: 2 second left (2), 3 top right (4).
    // Cell 2: from 3 down to 0 on the left (2, 3, 7), then 1 (6).
    let plot = braille(
      dot7 | dot6, dot2 | dot4, dot2 | dot3 | dot7 | dot6, dot2 | dot4, dot2 | dot3 | dot7 | dot6, dot2 | dot4)
    #expect(plot == "⡠⠊⡦⠊⡦⠊")
    #expect(lines == ["x3│" + plot + "x", "x └──────x", "x  0s 12sx", "xxxxxxxxxx"])
  }

  @Test("Braille: fewer values than dot columns are stretched over the width, each over its share")
  func brailleStretched() {
    // 4 values over 12 columns: 3 each, so the rise from one level to the next falls inside cells 1 and 4.
    let plot = braille(
      dot7 | dot8, dot7 | dot6, dot3 | dot6, dot2 | dot5, dot2 | dot4, dot1 | dot4)
    #expect(plot == "⣀⡠⠤⠒⠊⠉")
    #expect(oneRow([0, 1, 2, 3])[0] == "x3│" + plot + "x")
  }

  @Test("Braille: a jump within a column fills the dots between the two values")
  func brailleJoined() {
    // 0 then 3 in one cell: bottom left, then the right column from level 1 to 3.
    let plot = braille(dot7 | dot6 | dot5 | dot4) + braille(dot1 | dot4) + String(repeating: " ", count: 4)
    #expect(oneRow([0, 3, 3, 3, nil, nil, nil, nil, nil, nil, nil, nil])[0] == "x3│" + plot + "x")
  }

  @Test("Axis: top value, middle and 0 right-aligned at the left; time labels left, centred and right; the legend")
  func axisAndLegend() {
    var b = filled(16, 10)
    let chart = LineChart(
      series: [.init("q", values: [2, 10], style: .fg(.cyan))], xStart: "0", xEnd: "60", xMiddle: "30", yUnit: "ms")
    drawLineChart(&b, Rect(x: 1, y: 1, width: 14, height: 8), chart: chart, glyphs: .unicode)
    // 5 plot rows of 4 dots: 2 of 10 is level 4 of 19, the bottom dots of the fourth row; 10 the top.
    #expect(
      b.lines == [
        "xxxxxxxxxxxxxxxx",
        "xms  ■ q 10    x",
        "x10│     ⢸⠉⠉⠉⠉⠉x",
        "x  │     ⢸     x",
        "x 5│     ⢸     x",
        "x  │⣀⣀⣀⣀⣀⡸     x",
        "x 0│           x",
        "x  └───────────x",
        "x   0   30   60x",
        "xxxxxxxxxxxxxxxx",
      ])
    #expect(b[1, 1].style == Style(fg: .gray), "the unit")
    #expect(b[5, 1].style == .fg(.cyan) && b[9, 1].style == .fg(.cyan), "the series' marker and value")
    #expect(b[4, 5].style == .fg(.cyan) && b[9, 2].style == .fg(.cyan), "the dots")
    #expect(b[3, 2].style == Style(fg: .gray), "the axis")
  }

  @Test("Title and legend take the top lines only while the plot keeps one")
  func titleAndLegendRows() {
    let chart = LineChart(series: [.init("a", values: [1])], title: "Depth")
    var five = filled(10, 5)
    drawLineChart(&five, five.area, chart: chart, glyphs: .unicode)
    #expect(five.lines == ["Depth     ", "■ a 1     ", "1│⠉⠉⠉⠉⠉⠉⠉⠉", " └────────", "          "])
    #expect(five[0, 0].style.bold)
    var four = filled(10, 4)
    drawLineChart(&four, four.area, chart: chart, glyphs: .unicode)
    #expect(four.lines == ["Depth     ", "1│⠉⠉⠉⠉⠉⠉⠉⠉", " └────────", "          "])
  }

  @Test("Legend: unit, then each series' name and latest value in its colour, while whole entries fit")
  func legend() {
    let chart = LineChart(
      series: [
        .init("visible", values: [4, 12, nil], style: .fg(.green)),
        .init("in flight", values: [3, .nan], style: .fg(.yellow)),
        .init("idle", values: [nil]),
      ], yUnit: "msgs")
    var wide = filled(44, 5)
    drawLineChart(&wide, wide.area, chart: chart, glyphs: .unicode)
    #expect(wide.lines[0] == "msgs  ■ visible 12  ■ in flight 3  ■ idle   ")
    #expect(wide[6, 0].style == .fg(.green) && wide[8, 0].style == .fg(.green))
    #expect(wide[20, 0].style == .fg(.yellow) && wide[32, 0].style == .fg(.yellow) && wide[18, 0].style == .plain)
    var narrow = filled(20, 5)
    drawLineChart(&narrow, narrow.area, chart: chart, glyphs: .unicode)
    #expect(narrow.lines[0] == "msgs  ■ visible 12  ")
  }

  @Test("Downsampling keeps a spike: one large value among 100 zeros still reaches the top row")
  func spike() {
    var values = [Double?](repeating: 0, count: 100)
    values[37] = 50
    var b = filled(8, 6)
    drawLineChart(&b, b.area, chart: LineChart(series: [.init("s", values: values)]), glyphs: .unicode)
    // 10 dot columns of 10 values each: the spike is the largest of 30..<40, column 3 (cell 1, right).
    #expect(
      b.lines == [
        "■ s 0   ",
        "50│ ⢸⡆  ",
        "  │ ⢸⡇  ",
        " 0│⣀⡸⣇⣀⣀",
        "  └─────",
        "        ",
      ])
  }

  @Test("Gaps: nil, NaN and infinity leave blank columns, are not joined across, and do not scale the axis")
  func gaps() {
    let values: [Double?] = [0, 0, nil, nil, 3, 3, nil, nil, .nan, .infinity, 0, 0]
    #expect(
      oneRow(values)[0] == "x3│" + braille(dot7 | dot8) + " " + braille(dot1 | dot4) + "  " + braille(dot7 | dot8) + "x"
    )
    #expect(LineChart(series: [.init("s", values: values)]).yAxis == 0...5)
    #expect(LineChart(series: [.init("s", values: [1, -.infinity, .nan])]).yAxis == 0...1)
  }

  @Test("Overlapping series OR their dots; the cell takes the colour of the last series drawn there")
  func overlap() {
    let low = LineChart.Series("low", values: Array(repeating: 0, count: 12), style: .fg(.red))
    let high = LineChart.Series("high", values: [3, 3] + Array(repeating: nil, count: 10), style: .fg(.blue))
    var b = filled(8, 3)
    drawLineChart(&b, b.area, chart: LineChart(series: [low, high], yMax: 3), glyphs: .unicode)
    #expect(b.lines[0] == "3│" + braille(dot1 | dot4 | dot7 | dot8) + String(repeating: braille(dot7 | dot8), count: 5))
    #expect(b[2, 0].style == .fg(.blue) && b[3, 0].style == .fg(.red))
    var reversed = filled(8, 3)
    drawLineChart(&reversed, reversed.area, chart: LineChart(series: [high, low], yMax: 3), glyphs: .unicode)
    #expect(reversed.lines[0] == b.lines[0])
    #expect(reversed[2, 0].style == .fg(.red))
  }

  @Test("ASCII: two dots a cell (. lower, ' upper, : both), | and +- axes, * markers, nothing outside ASCII")
  func ascii() {
    var b = filled(10, 6)
    let chart = LineChart(series: [.init("s", values: [0, 3, 3, 0, nil, 1])], xStart: "0", xEnd: "5", yMax: 3)
    drawLineChart(&b, Rect(x: 1, y: 0, width: 8, height: 5), chart: chart, glyphs: .ascii)
    #expect(
      b.lines == [
        "x* s 1   x",
        "x3| :'.  x",
        "x0|.' : 'x",
        "x +------x",
        "x  0    5x",
        "xxxxxxxxxx",
      ])
    var big = filled(30, 12)
    let busy = LineChart(
      series: [
        .init("visible", values: (0..<200).map { Double($0 % 17) * 1234 }),
        .init("in flight", values: (0..<200).map { $0 % 5 == 0 ? nil : -Double($0) }),
      ], xStart: "0s", xEnd: "200s", xMiddle: "100s", yUnit: "msgs", title: "A rather long chart title")
    drawLineChart(&big, big.area, chart: busy, glyphs: .ascii)
    #expect(big.lines.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) })
    #expect(big.lines[0] == "A rather long chart title     ")
    #expect(big.lines.contains { $0.contains(":") } && big.lines.contains { $0.contains("+---") })
  }

  @Test("Axis range: 0 to a nice ceiling; all zero or no data gives 0...1; negatives extend below 0; fixed bounds")
  func axisRange() {
    func axis(_ values: [Double?], yMin: Double? = nil, yMax: Double? = nil) -> ClosedRange<Double> {
      LineChart(series: [.init("s", values: values)], yMin: yMin, yMax: yMax).yAxis
    }
    #expect(axis([3, 7]) == 0...10)
    #expect(axis([0, 0, 0]) == 0...1)
    #expect(axis([nil, nil]) == 0...1)
    #expect(axis([]) == 0...1)
    #expect(LineChart(series: []).yAxis == 0...1)
    #expect(axis([-3, 7]) == -5...10)
    #expect(axis([-3, -1]) == -5...0)
    #expect(axis([1.2e9]) == 0...2e9)
    #expect(axis([3], yMin: 1, yMax: 4) == 1...4)
    #expect(axis([3], yMin: .nan, yMax: .infinity) == 0...5, "non-finite bounds count as not given")
    #expect(axis([1], yMin: 5) == 5...6, "a fixed minimum above the data")
    #expect(axis([1], yMin: 5, yMax: 2) == 5...6, "a fixed maximum below the minimum")
    let extreme = axis([.greatestFiniteMagnitude, -.greatestFiniteMagnitude])
    #expect(extreme == -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude)
  }

  @Test("Negative values and huge values: the axis extends below 0, labels are abbreviated")
  func negativeAndHuge() {
    var n = filled(10, 5)
    drawLineChart(&n, n.area, chart: LineChart(series: [.init("s", values: [-3, 7])]), glyphs: .unicode)
    #expect(n.lines[0] == "■ s 7     ")
    #expect(n.lines[1].hasPrefix("10│") && n.lines[2].hasPrefix("-5│"))
    var h = filled(16, 5)
    drawLineChart(&h, h.area, chart: LineChart(series: [.init("big", values: [3.4e6, 1.2e9])]), glyphs: .unicode)
    #expect(h.lines[0] == "■ big 1.2G      ")
    #expect(h.lines[1].hasPrefix("2G│") && h.lines[2].hasPrefix(" 0│"))
  }

  @Test("Degenerate charts and areas draw without trapping and leave cells outside the area untouched")
  func degenerate() {
    let charts = [
      LineChart(series: []),
      LineChart(series: [.init("empty", values: [])]),
      LineChart(series: [.init("nil", values: [nil, nil, nil])], title: "All nil"),
      LineChart(series: [.init("zero", values: [0, 0, 0, 0])], xStart: "0s", xEnd: "4s", yUnit: "msgs"),
      LineChart(series: [.init("neg", values: [-5, -0.5, -1e9])]),
      LineChart(series: [.init("odd", values: [.nan, .infinity, -.infinity, 1])], xMiddle: "a middle label"),
      LineChart(series: [
        .init("huge", values: [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude / 4])
      ]),
      LineChart(series: [.init("tiny", values: [.leastNonzeroMagnitude, 1e-300])]),
      LineChart(series: [.init("s", values: [1, 2])], yMin: .greatestFiniteMagnitude, title: "日本語のタイトル"),
      LineChart(
        series: [.init(String(repeating: "long name ", count: 8), values: Array(repeating: 1, count: 5000))],
        xStart: String(repeating: "start", count: 9), xEnd: String(repeating: "end", count: 9),
        yUnit: String(repeating: "u", count: 50), yMin: -1e300, yMax: 1e300, title: String(repeating: "t", count: 90)),
    ]
    var wrong: [String] = []
    for chart in charts {
      for glyphs in [Glyphs.unicode, .ascii] {
        for w in 0...12 {
          for h in 0...6 {
            var b = filled(16, 9)
            drawLineChart(&b, Rect(x: 2, y: 1, width: w, height: h), chart: chart, glyphs: glyphs)
            for y in 0..<9 {
              for x in 0..<16 {
                // Inside the area every cell is cleared or drawn; outside, every cell keeps its x.
                let inside = x >= 2 && x < 2 + w && y >= 1 && y < 1 + h
                if (b[x, y].text == "x") == inside {
                  wrong.append("\(chart.series.first?.name ?? "none") \(w)×\(h) \(x),\(y)")
                }
              }
            }
          }
        }
        // Areas partly or wholly off the buffer.
        var edge = filled(6, 4)
        for area in [
          Rect(x: -3, y: -2, width: 6, height: 4), Rect(x: -5, y: -3, width: 9, height: 5),
          Rect(x: 4, y: 2, width: 10, height: 6), Rect(x: -20, y: 0, width: 10, height: 3),
        ] {
          drawLineChart(&edge, area, chart: chart, glyphs: glyphs)
        }
        if !edge.lines[3].hasPrefix("xxxx") || !edge.lines[0].hasSuffix("xx") { wrong.append("edge: \(edge.lines)") }
      }
    }
    #expect(wrong == [])
  }

  @Test("An area too small for a plot gets only the title, cut to fit, and is otherwise cleared")
  func tooSmall() {
    var b = filled(9, 4)
    drawLineChart(
      &b, Rect(x: 1, y: 1, width: 7, height: 2),
      chart: LineChart(series: [.init("s", values: [1, 2])], title: "Queue depth"), glyphs: .unicode)
    #expect(b.lines == ["xxxxxxxxx", "xQueue …x", "x       x", "xxxxxxxxx"])
    var a = filled(22, 3)
    drawLineChart(
      &a, Rect(x: 0, y: 0, width: 22, height: 2),
      chart: LineChart(series: [.init("s", values: [1, 2])], title: "Queue depth"), glyphs: .ascii)
    #expect(a.lines == ["Queue depth           ", "                      ", "xxxxxxxxxxxxxxxxxxxxxx"])
    var none = filled(9, 3)
    drawLineChart(
      &none, Rect(x: 1, y: 0, width: 7, height: 3), chart: LineChart(series: [.init("s", values: [1])]),
      glyphs: .unicode)
    #expect(none.lines == ["x       x", "x       x", "x       x"])
  }

  @Test("niceCeiling: the smallest 1, 2 or 5 × 10^k at least the value")
  func niceCeilingExamples() {
    let cases: [(Double, Double)] = [
      (1, 1), (1.5, 2), (3, 5), (5, 5), (7, 10), (10, 10), (11, 20), (250, 500), (999, 1000), (1001, 2000),
      (0.3, 0.5), (0.05, 0.05), (0.07, 0.1), (0.001, 0.001), (0.0011, 0.002), (1.2e9, 2e9),
    ]
    for (v, nice) in cases { #expect(niceCeiling(v) == nice, "\(v)") }
    #expect(niceCeiling(0) == 1 && niceCeiling(-4) == 1 && niceCeiling(.nan) == 1)
    #expect(niceCeiling(.infinity) == .infinity)
    #expect(niceCeiling(.greatestFiniteMagnitude) == .greatestFiniteMagnitude, "the nice ceiling would overflow")
  }

  @Test("compactNumber: integers as they are, a few decimals below 100, k/M/G/T above 1000")
  func compactNumberExamples() {
    let cases: [(Double, String)] = [
      (0, "0"), (7, "7"), (12.5, "12.5"), (12.25, "12.3"), (0.25, "0.25"), (2.5, "2.5"), (7.333, "7.33"),
      (0.001, "0"), (99.96, "100"), (250.4, "250"), (999, "999"), (999.6, "1k"), (1000, "1k"), (1234, "1.2k"),
      (9960, "10k"), (12_345, "12k"), (999_999, "1M"), (3_400_000, "3.4M"), (1.2e9, "1.2G"), (5e12, "5T"),
      (1e15, "1e15"), (.greatestFiniteMagnitude, "2e308"), (-3, "-3"), (-1234, "-1.2k"), (-0.001, "0"),
      (-0.0, "0"), (.nan, "nan"), (.infinity, "inf"), (-.infinity, "-inf"),
    ]
    for (v, text) in cases { #expect(compactNumber(v) == text, "\(v)") }
  }
}
