// MARK: - Line chart: several series over time, drawn with braille dots

/// A line chart's data and labels, drawn by `drawLineChart`.
///
/// Values that are `nil`, NaN or infinite are no sample: the line has a gap there. The y axis runs
/// from `yMin` to `yMax` when they are given (values outside are clamped to the edge); otherwise
/// from 0 to the data's largest value rounded up to a nice number (`niceCeiling`), 1 when nothing
/// is above zero. Negative values extend the axis below 0, to minus the nice ceiling of the most
/// negative value.
public struct LineChart: Sendable, Equatable {
  /// One line: its name for the legend, one value per time step, and its colour.
  public struct Series: Sendable, Equatable {
    public var name: String
    public var values: [Double?]
    public var style: Style
    public init(_ name: String, values: [Double?], style: Style = .plain) {
      self.name = name
      self.values = values
      self.style = style
    }
  }

  /// The labels under the x axis: `start` at its left, `end` at its right, `middle` centred.
  public struct XLabels: Sendable, Equatable {
    public var start: String
    public var middle: String?
    public var end: String
    public init(start: String = "", middle: String? = nil, end: String = "") {
      self.start = start
      self.middle = middle
      self.end = end
    }
  }

  public var series: [Series]
  public var xLabels: XLabels
  /// The unit of the values ("msgs", "ms"), shown at the left of the legend line.
  public var yUnit: String
  public var yMin: Double?
  public var yMax: Double?
  public var title: String?

  public init(
    series: [Series], xStart: String = "", xEnd: String = "", xMiddle: String? = nil, yUnit: String = "",
    yMin: Double? = nil, yMax: Double? = nil, title: String? = nil
  ) {
    self.series = series
    self.xLabels = XLabels(start: xStart, middle: xMiddle, end: xEnd)
    self.yUnit = yUnit
    self.yMin = yMin
    self.yMax = yMax
    self.title = title
  }

  /// The y axis's range: the fixed bounds where given (a non-finite one counts as not given),
  /// the data's otherwise. Always finite, with the upper bound above the lower.
  public var yAxis: ClosedRange<Double> {
    var low = Double.infinity
    var high = -Double.infinity
    for s in series {
      for case let v? in s.values where v.isFinite {
        low = min(low, v)
        high = max(high, v)
      }
    }
    var lo = yMin.flatMap { $0.isFinite ? $0 : nil } ?? (low < 0 ? -niceCeiling(-low) : 0)
    var hi = yMax.flatMap { $0.isFinite ? $0 : nil } ?? (high > 0 ? niceCeiling(high) : (lo < 0 ? 0 : 1))
    if !(hi > lo) {
      if lo + 1 > lo {
        hi = lo + 1
      } else if lo < 0 {
        hi = lo / 2
      } else if (lo * 2).isFinite {
        hi = lo * 2
      } else {
        hi = lo
        lo = lo / 2
      }
    }
    return lo...hi
  }
}

/// Draws a line chart into an area, which it clears first. From the top: the title (bold) when
/// there is one, then a legend line when there is room (the unit, then for each series a marker,
/// its name and its latest value, in its colour; series that do not fit are left off), then the
/// plot with the y axis's labels at its left (the top value; the bottom value from 2 rows; the
/// middle from 5 rows), then the x axis and the x labels under it.
///
/// With UTF-8 glyphs each cell of the plot holds 2×4 braille dots; with ASCII, 1×2 (`.` the
/// lower, `'` the upper, `:` both). A series has one value per dot column: with more values than
/// columns, each column shows the largest value of its share of them, so a spike stays visible;
/// with fewer, each value is stretched over its share of the columns, so the first value starts
/// at the left edge and the last ends at the right, matching the x labels. Consecutive values in
/// adjacent columns are joined by filling the dots between them in the later column; a gap breaks
/// the line. Where series share a cell their dots are combined and the cell takes the colour of
/// the last series drawn there (the later in `series`).
///
/// An area narrower than 8 or lower than 3 cells gets only the title, cut to fit.
public func drawLineChart(_ buf: inout Buffer, _ r: Rect, chart: LineChart, glyphs g: Glyphs) {
  guard !r.isEmpty else { return }
  // Only the part on the buffer: `fill` traps on a rectangle wholly outside it.
  let left = max(r.x, 0)
  let up = max(r.y, 0)
  let onBuffer = Rect(x: left, y: up, width: min(r.maxX, buf.width) - left, height: min(r.maxY, buf.height) - up)
  if !onBuffer.isEmpty { buf.fill(onBuffer) }
  let title = chart.title ?? ""
  let tooSmall = r.width < 8 || r.height < 3
  var top = r.y
  // The title takes a line when the plot keeps one (with the x axis and its labels) or there is no plot.
  if !title.isEmpty, tooSmall || r.height >= 4 {
    buf.put(truncate(title, r.width, ellipsis: g.ellipsis), x: r.x, y: r.y, style: Style(bold: true), clip: r)
    top += 1
  }
  guard !tooSmall else { return }

  let legendRow: Int?
  if r.maxY - top >= 4, !chart.series.isEmpty || !chart.yUnit.isEmpty {
    legendRow = top
    top += 1
  } else {
    legendRow = nil
  }
  let plotHeight = r.maxY - 2 - top
  let axis = chart.yAxis
  var yLabels = [(row: 0, text: compactNumber(axis.upperBound))]
  if plotHeight >= 2 { yLabels.append((plotHeight - 1, compactNumber(axis.lowerBound))) }
  if plotHeight >= 5 {
    yLabels.append(((plotHeight - 1) / 2, compactNumber(axis.lowerBound / 2 + axis.upperBound / 2)))
  }
  let gutter = yLabels.map { displayWidth($0.text) }.max() ?? 0
  let plot = Rect(x: r.x + gutter + 1, y: top, width: r.maxX - (r.x + gutter + 1), height: plotHeight)
  guard plot.width >= 1, plot.height >= 1 else { return }

  if let row = legendRow { drawLegend(&buf, Rect(x: r.x, y: row, width: r.width, height: 1), chart: chart, glyphs: g) }
  let axisStyle = Style(fg: .gray)
  for (row, text) in yLabels { buf.put(fit(text, gutter, right: true), x: r.x, y: plot.y + row, clip: r) }
  for yy in plot.y..<plot.maxY { buf.put(g.vertical, x: plot.x - 1, y: yy, style: axisStyle, clip: r) }
  buf.put(
    g.bottomLeft + String(repeating: g.horizontal, count: plot.width), x: plot.x - 1, y: plot.maxY, style: axisStyle,
    clip: r)
  drawXLabels(&buf, Rect(x: plot.x, y: plot.maxY + 1, width: plot.width, height: 1), chart.xLabels, glyphs: g)
  drawPlot(&buf, plot, series: chart.series, axis: axis, glyphs: g)
}

/// The unit, then a marker, the name and the latest value of each series, while they fit.
private func drawLegend(_ buf: inout Buffer, _ r: Rect, chart: LineChart, glyphs g: Glyphs) {
  let marker = g.isASCII ? "*" : "■"
  var entries: [(text: String, style: Style)] = []
  if !chart.yUnit.isEmpty { entries.append((chart.yUnit, Style(fg: .gray))) }
  for s in chart.series {
    let latest = s.values.reversed().lazy.compactMap { $0 }.first { $0.isFinite }
    entries.append((marker + " " + s.name + (latest.map { " " + compactNumber($0) } ?? ""), s.style))
  }
  var x = r.x
  for (text, style) in entries {
    let start = x == r.x ? x : x + 2
    if start + displayWidth(text) > r.maxX {
      if x == r.x { buf.put(truncate(text, r.width, ellipsis: g.ellipsis), x: x, y: r.y, style: style, clip: r) }
      return
    }
    x = buf.put(text, x: start, y: r.y, style: style, clip: r)
  }
}

/// The start label at the left of the area, the end at its right, the middle centred: each only
/// when it fits with a space between it and the ones before it.
private func drawXLabels(_ buf: inout Buffer, _ r: Rect, _ labels: LineChart.XLabels, glyphs g: Glyphs) {
  var left = r.x
  if !labels.start.isEmpty {
    left = buf.put(truncate(labels.start, r.width, ellipsis: g.ellipsis), x: r.x, y: r.y, clip: r) + 1
  }
  var right = r.maxX
  let endWidth = displayWidth(labels.end)
  if !labels.end.isEmpty, r.maxX - endWidth >= left {
    buf.put(labels.end, x: r.maxX - endWidth, y: r.y, clip: r)
    right = r.maxX - endWidth - 1
  }
  if let middle = labels.middle, !middle.isEmpty {
    let width = displayWidth(middle)
    let x = r.x + (r.width - width) / 2
    if x >= left, x + width <= right { buf.put(middle, x: x, y: r.y, clip: r) }
  }
}

/// The bit of each dot in a braille cell, by column and then row from the top.
private let brailleBits: [[Int]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
/// The bit of each dot in an ASCII cell (one column, two rows), and the character for each
/// combination.
private let asciiBits: [[Int]] = [[2, 1]]
private let asciiDots = [" ", ".", "'", ":"]

/// The series' dots, OR-ed together cell by cell, each cell in the style of the last series there.
private func drawPlot(
  _ buf: inout Buffer, _ r: Rect, series: [LineChart.Series], axis: ClosedRange<Double>, glyphs g: Glyphs
) {
  let bitTable = g.isASCII ? asciiBits : brailleBits
  let cellColumns = bitTable.count
  let cellRows = bitTable[0].count
  let dotColumns = r.width * cellColumns
  let dotRows = r.height * cellRows
  var bits = [Int](repeating: 0, count: r.width * r.height)
  var styles = [Style](repeating: .plain, count: r.width * r.height)
  for s in series {
    var previous: Int?
    for (column, value) in resample(s.values, to: dotColumns).enumerated() {
      guard let value, let level = dotLevel(value, axis: axis, levels: dotRows) else {
        previous = nil
        continue
      }
      var from = level
      if let p = previous, p != level { from = p < level ? p + 1 : p - 1 }
      for l in min(from, level)...max(from, level) {
        let rowFromTop = dotRows - 1 - l
        let cell = (rowFromTop / cellRows) * r.width + column / cellColumns
        bits[cell] |= bitTable[column % cellColumns][rowFromTop % cellRows]
        styles[cell] = s.style
      }
      previous = level
    }
  }
  for (cell, b) in bits.enumerated() where b != 0 {
    let text =
      g.isASCII ? asciiDots[b] : Unicode.Scalar(UInt32(0x2800 + b)).map { String(Character($0)) } ?? " "
    buf.put(text, x: r.x + cell % r.width, y: r.y + cell / r.width, style: styles[cell], clip: r)
  }
}

/// One value per dot column: the largest finite value of the column's share of the values (at
/// least one value, so that fewer values than columns are stretched), nil when it has none.
private func resample(_ values: [Double?], to columns: Int) -> [Double?] {
  let n = values.count
  guard n > 0 else { return Array(repeating: nil, count: columns) }
  return (0..<columns).map { c in
    let lo = c * n / columns
    let hi = max(lo + 1, (c + 1) * n / columns)
    var best: Double?
    for case let v? in values[lo..<hi] where v.isFinite { best = max(best ?? v, v) }
    return best
  }
}

/// The dot level (0 at the bottom, `levels - 1` at the top) of a value, clamped to the axis; nil
/// when the axis is too narrow to place it. Halving first keeps the subtraction finite.
private func dotLevel(_ v: Double, axis: ClosedRange<Double>, levels: Int) -> Int? {
  let fraction = (v / 2 - axis.lowerBound / 2) / (axis.upperBound / 2 - axis.lowerBound / 2)
  guard fraction.isFinite else { return nil }
  return Int((min(1, max(0, fraction)) * Double(levels - 1)).rounded())
}

// MARK: - Axis numbers

/// The smallest number of the form 1, 2 or 5 × 10^k that is at least `v`: 3 → 5, 7 → 10,
/// 11 → 20, 0.3 → 0.5. 1 for zero, negative and NaN; infinity stays infinity; a value whose nice
/// ceiling would overflow comes back as it is.
public func niceCeiling(_ v: Double) -> Double {
  guard v > 0 else { return 1 }
  guard v.isFinite else { return v }
  if v >= 1 {
    var decade = 1.0
    while decade * 10 <= v { decade *= 10 }
    for m in [1.0, 2, 5, 10] where m * decade >= v {
      let c = m * decade
      return c.isFinite ? c : v
    }
  } else {
    // Dividing by an exact power of ten gives the nearest double to 0.1, 0.02, …
    var power = 1.0
    while 1 / power > v { power *= 10 }
    for m in [1.0, 2, 5, 10] where m / power >= v { return m / power }
  }
  return v
}

/// A number in at most 5 cells, for axis labels and legends: integers below 1000 as they are;
/// other numbers below 10 with up to two decimals, below 100 with up to one, below 1000 rounded;
/// from 1000 with a suffix k, M, G or T and one decimal below 10 ("1.2k", "3.4M", "12k");
/// from 10^15 as "1e15". Trailing zeros are dropped; NaN is "nan", infinities "inf" and "-inf".
public func compactNumber(_ v: Double) -> String {
  if v.isNaN { return "nan" }
  if v.isInfinite { return v < 0 ? "-inf" : "inf" }
  let text = compactMagnitude(abs(v))
  return v < 0 && text != "0" ? "-" + text : text
}

private func compactMagnitude(_ a: Double) -> String {
  if a < 1000 {
    let decimals: Int
    if a == a.rounded() || a >= 100 {
      decimals = 0
    } else {
      decimals = a < 10 ? 2 : 1
    }
    let text = fixedPoint(a, decimals: decimals)
    if text != "1000" { return text }
  }
  var scaled = a
  for suffix in ["k", "M", "G", "T"] {
    scaled /= 1000
    guard scaled < 1000 else { continue }
    let text = fixedPoint(scaled, decimals: scaled < 10 ? 1 : 0)
    if text != "1000" { return text + suffix }
  }
  var mantissa = a
  var exponent = 0
  while mantissa >= 10 {
    mantissa /= 10
    exponent += 1
  }
  var digit = Int(mantissa.rounded())
  if digit == 10 {
    digit = 1
    exponent += 1
  }
  return "\(digit)e\(exponent)"
}

/// A non-negative number below 10^4 rounded to `decimals` places, trailing zeros dropped.
private func fixedPoint(_ x: Double, decimals: Int) -> String {
  var scale = 1
  for _ in 0..<decimals { scale *= 10 }
  let n = Int((x * Double(scale)).rounded())
  var text = String(n / scale)
  var fraction = String(n % scale)
  if decimals > 0 {
    fraction = String(repeating: "0", count: decimals - fraction.count) + fraction
    while fraction.hasSuffix("0") { fraction.removeLast() }
    if !fraction.isEmpty { text += "." + fraction }
  }
  return text
}
