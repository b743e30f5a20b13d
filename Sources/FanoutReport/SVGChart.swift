// MARK: - Line charts as inline SVG
//
// A chart is one `<svg class="chart" data-chart="…">` with a title, two axes (ticks, labels, a
// title with the unit), a `<g class="series" data-series="…">` per series and a legend naming
// each. Nothing in it needs a script or a style sheet: colours and widths are attributes.

/// A line chart over x (virtual time, or a swept value), drawn by `svg()`.
public struct SVGChart: Sendable {
  /// One point of a series; a `nil` (or non-finite) y is no sample: the line has a gap there.
  public struct Point: Equatable, Sendable {
    public var x: Double
    public var y: Double?
    public init(x: Double, y: Double?) {
      self.x = x
      self.y = y
    }
  }

  /// One line.
  public struct Series: Sendable {
    public var name: String
    public var points: [Point]
    /// A colour (`#rrggbb`); the palette's next one when nil.
    public var color: String?
    public var dashed: Bool
    /// A dot at every point, not only at one standing alone.
    public var markers: Bool
    /// Whether points are joined by a line; without one, every point is a dot (a run per seed).
    public var line: Bool
    public init(
      _ name: String, points: [Point], color: String? = nil, dashed: Bool = false, markers: Bool = false,
      line: Bool = true
    ) {
      self.name = name
      self.points = points
      self.color = color
      self.dashed = dashed
      self.markers = markers
      self.line = line
    }
  }

  /// A shaded range between two values at each x (a sweep's minimum to maximum). A point whose
  /// low or high is not finite is a gap: the band stops there and starts again after it.
  public struct Band: Sendable {
    public var name: String
    public var points: [(x: Double, low: Double, high: Double)]
    public var color: String
    public init(_ name: String, points: [(x: Double, low: Double, high: Double)], color: String = "#4e79a7") {
      self.name = name
      self.points = points
      self.color = color
    }
  }

  /// A range at single values of x, drawn as an error bar with caps (a mean's confidence
  /// interval).
  public struct Interval: Sendable {
    public var name: String
    public var points: [(x: Double, low: Double, high: Double)]
    public var color: String
    public init(_ name: String, points: [(x: Double, low: Double, high: Double)], color: String = "#333333") {
      self.name = name
      self.points = points
      self.color = color
    }
  }

  /// One row of labels under a categorical x axis: a varied key and its value at each category.
  public struct CategoryRow: Equatable, Sendable {
    /// What the row labels (`rate`, `seed`); a `data-key` and, shortened, the row's name.
    public var key: String
    /// One label per category, in order.
    public var labels: [String]
    public init(key: String, labels: [String]) {
      self.key = key
      self.labels = labels
    }
  }

  /// What x is.
  public enum XAxis: Sendable {
    /// Virtual time in seconds from the run's start, shown in a unit chosen from the span.
    case time
    /// Any quantity, with its name and unit (empty for none).
    case value(title: String, unit: String)
    /// Categories evenly spaced at x = 0, 1, 2, …, labelled by rows (the coarsest first, drawn
    /// lowest): a value of a key that is not a number, a combination of several keys' values, a
    /// seed. Consecutive equal labels of a row (within the same labels of the rows above it in
    /// the list) are one group, labelled once at its middle; a label that would overlap the one
    /// before it is left out; a faint line parts the groups of every row but the last.
    case categories(title: String, rows: [CategoryRow])
  }

  /// The chart's `data-chart`: what it shows (`queue-depth`, `latency`).
  public var id: String
  /// Its `data-subject`, when there is one chart per component (a function's name).
  public var subject: String?
  public var title: String
  public var xAxis: XAxis
  /// What y is, and its unit (`messages`, `ms`).
  public var yTitle: String
  public var yUnit: String
  public var series: [Series]
  public var bands: [Band]
  public var intervals: [Interval]
  /// Whether y is a count: ticks on whole numbers only.
  public var counts: Bool
  /// A line under the title.
  public var note: String?
  public var width = 1160.0
  public var plotHeight = 220.0

  public init(
    id: String, subject: String? = nil, title: String, xAxis: XAxis = .time, yTitle: String, yUnit: String,
    series: [Series], bands: [Band] = [], intervals: [Interval] = [], counts: Bool = false, note: String? = nil
  ) {
    self.counts = counts
    self.id = id
    self.subject = subject
    self.title = title
    self.xAxis = xAxis
    self.yTitle = yTitle
    self.yUnit = yUnit
    self.series = series
    self.bands = bands
    self.intervals = intervals
    self.note = note
  }

  /// Ten colours told apart by most eyes (Tableau 10); past ten, lines are also dashed.
  public static let palette = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#79706e",
  ]

  // Geometry.
  static let left = 78.0
  static let right = 24.0
  static let top = 44.0
  static let bottom = 52.0
  static let legendRow = 20.0
  static let categoryRow = 15.0

  /// The x axis's range, in the axis's unit, and the unit's name and scale.
  var xScale: (scale: AxisScale, unit: String, divisor: Double, title: String) {
    var low = Double.infinity
    var high = -Double.infinity
    for s in series {
      for p in s.points where p.x.isFinite {
        low = Swift.min(low, p.x)
        high = Swift.max(high, p.x)
      }
    }
    for b in bands {
      for p in b.points where p.x.isFinite && p.low.isFinite && p.high.isFinite {
        low = Swift.min(low, p.x)
        high = Swift.max(high, p.x)
      }
    }
    for b in intervals {
      for p in b.points where p.x.isFinite {
        low = Swift.min(low, p.x)
        high = Swift.max(high, p.x)
      }
    }
    if !low.isFinite { (low, high) = (0, 1) }
    switch xAxis {
    case .time:
      let unit = TimeUnit.forSpan(Swift.max(abs(high), abs(low)))
      let scale = AxisScale.nice(low: low / unit.seconds, high: high / unit.seconds, count: 10, tight: true)
      return (scale, unit.symbol, unit.seconds, "virtual time")
    case .value(let title, let unit):
      // A swept value need not start at zero.
      let scale = AxisScale.nice(low: low, high: high, count: 10, includeZero: low >= 0 && low < (high - low) / 4)
      return (scale, unit, 1, title)
    case .categories(let title, let rows):
      // One tick per category, half a category's room at either end.
      let n = Swift.max(1, rows.map(\.labels.count).max() ?? 1)
      let scale = AxisScale(low: -0.5, high: Double(n) - 0.5, step: 1, ticks: (0..<n).map(Double.init))
      return (scale, "", 1, title)
    }
  }

  /// The rows of category labels under the x axis (one for a numeric or time axis).
  var labelRows: Int {
    if case .categories(_, let rows) = xAxis { return Swift.max(1, rows.count) }
    return 1
  }

  /// The y axis's range: from zero (or the lowest value, when negative) to the largest value.
  var yScale: AxisScale {
    var low = 0.0
    var high = -Double.infinity
    for s in series {
      for case let y? in s.points.map(\.y) where y.isFinite {
        low = Swift.min(low, y)
        high = Swift.max(high, y)
      }
    }
    for b in bands {
      for p in b.points {
        for y in [p.low, p.high] where y.isFinite {
          low = Swift.min(low, y)
          high = Swift.max(high, y)
        }
      }
    }
    for b in intervals {
      for p in b.points {
        for y in [p.low, p.high] where y.isFinite {
          low = Swift.min(low, y)
          high = Swift.max(high, y)
        }
      }
    }
    return AxisScale.nice(low: low, high: high.isFinite ? high : 0, count: 5, minStep: counts ? 1 : 0)
  }

  /// Whether any series or band has a point to draw.
  public var hasData: Bool {
    series.contains { $0.points.contains { p in p.x.isFinite && (p.y?.isFinite ?? false) } }
      || bands.contains { !$0.points.isEmpty } || intervals.contains { !$0.points.isEmpty }
  }

  /// How a legend entry is drawn.
  enum LegendKind {
    case line, band, interval, dot
  }

  /// The legend's entries (bands first, then intervals, then series), and where each goes.
  private func legendLayout() -> (
    items: [(name: String, color: String, dashed: Bool, kind: LegendKind, x: Double, row: Int)], rows: Int
  ) {
    var items: [(name: String, color: String, dashed: Bool, kind: LegendKind, x: Double, row: Int)] = []
    let plotWidth = width - Self.left - Self.right
    var x = 0.0
    var row = 0
    func add(_ name: String, _ color: String, _ dashed: Bool, _ kind: LegendKind) {
      let w = 30 + 7.2 * Double(truncated(name, 48).count) + 18
      if x > 0, x + w > plotWidth {
        x = 0
        row += 1
      }
      items.append((name, color, dashed, kind, x, row))
      x += w
    }
    for b in bands { add(b.name, b.color, false, .band) }
    for b in intervals { add(b.name, b.color, false, .interval) }
    for (i, s) in series.enumerated() {
      add(
        s.name, s.color ?? Self.palette[i % Self.palette.count], s.dashed || i >= Self.palette.count,
        s.line ? .line : .dot)
    }
    return (items, items.isEmpty ? 0 : row + 1)
  }

  /// The labels of a categorical x axis, a row per `rows` entry, the last nearest the plot: each
  /// row's groups labelled at their middle (a label that would overlap the one before it in its
  /// row is left out), a tick at each labelled category of the last row, and a faint line between
  /// the groups of the other rows. With several rows, each is named in the left margin.
  private func categoryLabels(
    _ rows: [CategoryRow], px: (Double) -> Double, plotTop: Double, plotBottom: Double, plotLeft: Double
  ) -> String {
    var o = ""
    let n = rows.map(\.labels.count).max() ?? 0
    func label(_ r: Int, _ i: Int) -> String { i < rows[r].labels.count ? rows[r].labels[i] : "" }
    var boundary = Array(repeating: false, count: n)
    for (r, row) in rows.enumerated() {
      let last = r == rows.count - 1
      let y = plotBottom + 18 + Double(rows.count - 1 - r) * Self.categoryRow
      o += "<g class=\"category-row\" data-key=\"\(escapeMarkup(row.key))\">"
      if rows.count > 1 {
        let short = truncated(String(row.key.split(separator: ".").last ?? Substring(row.key)), 12)
        o += "<text class=\"row-name\" x=\"\(coord(plotLeft - 8))\" y=\"\(coord(y))\" text-anchor=\"end\""
        o += " font-size=\"10\" fill=\"#777\"><title>\(escapeMarkup(row.key))</title>\(escapeMarkup(short))</text>"
      }
      var lastRight = -Double.infinity
      var i = 0
      while i < n {
        // A group: the categories from i on whose labels in this row and every row before it agree.
        var j = i
        while j + 1 < n, (0...r).allSatisfy({ label($0, j + 1) == label($0, i) }) { j += 1 }
        if !last, i > 0 { boundary[i] = true }
        let text = truncated(label(r, i), 24)
        let centre = (px(Double(i)) + px(Double(j))) / 2
        let half = 3.3 * Double(text.count)
        if centre - half >= lastRight + 8 {
          lastRight = centre + half
          let x = coord(centre)
          o += "<g class=\"\(last ? "tick" : "group")\" data-value=\"\(escapeMarkup(label(r, i)))\">"
          if last {
            o += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(coord(plotBottom))\" y2=\"\(coord(plotBottom + 5))\""
            o += " stroke=\"#444\"/>"
          }
          o += "<text x=\"\(x)\" y=\"\(coord(y))\" text-anchor=\"middle\">\(escapeMarkup(text))</text></g>"
        }
        i = j + 1
      }
      o += "</g>\n"
    }
    for (i, b) in boundary.enumerated() where b {
      let x = coord(px(Double(i) - 0.5))
      o += "<line class=\"group-boundary\" x1=\"\(x)\" x2=\"\(x)\" y1=\"\(coord(plotTop))\""
      o += " y2=\"\(coord(plotBottom + 5))\" stroke=\"#bbbbbb\" stroke-dasharray=\"2 3\"/>\n"
    }
    return o
  }

  /// The chart as one `<svg>` element.
  public func svg() -> String {
    let (xs, xUnit, divisor, xTitle) = xScale
    let ys = yScale
    let legend = legendLayout()
    let plotLeft = Self.left
    let plotRight = width - Self.right
    let plotTop = Self.top + (note == nil ? 0 : 14)
    let plotBottom = plotTop + plotHeight
    // Each row of category labels past the first takes a line.
    let extraRows = Double(labelRows - 1) * Self.categoryRow
    let height = plotBottom + Self.bottom + extraRows + Double(legend.rows) * Self.legendRow + 8
    func px(_ x: Double) -> Double { xs.position(x / divisor, from: plotLeft, to: plotRight) }
    func py(_ y: Double) -> Double { ys.position(y, from: plotBottom, to: plotTop) }

    var o = ""
    o += "<svg class=\"chart\" data-chart=\"\(escapeMarkup(id))\""
    if let subject { o += " data-subject=\"\(escapeMarkup(subject))\"" }
    o += " xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(coord(width)) \(coord(height))\""
    o += " width=\"\(coord(width))\" height=\"\(coord(height))\" role=\"img\" font-family=\"sans-serif\">\n"
    o += "<title>\(escapeMarkup(title))</title>\n"
    o +=
      "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(coord(width))\" height=\"\(coord(height))\" fill=\"#ffffff\"/>\n"
    o +=
      "<text class=\"chart-title\" x=\"\(coord(plotLeft))\" y=\"22\" font-size=\"16\" font-weight=\"bold\" fill=\"#222\">"
    o += escapeMarkup(title) + "</text>\n"
    if let note {
      o += "<text class=\"chart-note\" x=\"\(coord(plotLeft))\" y=\"40\" font-size=\"12\" fill=\"#555\">"
      o += escapeMarkup(note) + "</text>\n"
    }

    // Axes: grid lines, ticks and labels, titles with units.
    let yLabel = yUnit.isEmpty ? yTitle : "\(yTitle) (\(yUnit))"
    o += "<g class=\"axis y-axis\" data-unit=\"\(escapeMarkup(yUnit))\" font-size=\"11\" fill=\"#444\">\n"
    for (t, label) in zip(ys.ticks, ys.labels) {
      let y = coord(py(t))
      o += "<g class=\"tick\" data-value=\"\(escapeMarkup(label))\">"
      o += "<line x1=\"\(coord(plotLeft))\" x2=\"\(coord(plotRight))\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#e4e4e4\"/>"
      o += "<line x1=\"\(coord(plotLeft - 5))\" x2=\"\(coord(plotLeft))\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#444\"/>"
      o +=
        "<text x=\"\(coord(plotLeft - 8))\" y=\"\(coord(py(t) + 4))\" text-anchor=\"end\">\(escapeMarkup(label))</text></g>\n"
    }
    let midY = (plotTop + plotBottom) / 2
    o += "<text class=\"axis-title\" x=\"16\" y=\"\(coord(midY))\" text-anchor=\"middle\""
    o += " transform=\"rotate(-90 16 \(coord(midY)))\" font-size=\"12\">\(escapeMarkup(yLabel))</text>\n"
    o += "</g>\n"
    let xLabel = xUnit.isEmpty ? xTitle : "\(xTitle) (\(xUnit))"
    o += "<g class=\"axis x-axis\" data-unit=\"\(escapeMarkup(xUnit))\" font-size=\"11\" fill=\"#444\">\n"
    if case .categories(_, let rows) = xAxis {
      o += categoryLabels(rows, px: px, plotTop: plotTop, plotBottom: plotBottom, plotLeft: plotLeft)
    } else {
      for (t, label) in zip(xs.ticks, xs.labels) {
        let x = coord(xs.position(t, from: plotLeft, to: plotRight))
        o += "<g class=\"tick\" data-value=\"\(escapeMarkup(label))\">"
        o +=
          "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(coord(plotBottom))\" y2=\"\(coord(plotBottom + 5))\" stroke=\"#444\"/>"
        o +=
          "<text x=\"\(x)\" y=\"\(coord(plotBottom + 18))\" text-anchor=\"middle\">\(escapeMarkup(label))</text></g>\n"
      }
    }
    o +=
      "<text class=\"axis-title\" x=\"\(coord((plotLeft + plotRight) / 2))\" y=\"\(coord(plotBottom + 38 + extraRows))\""
    o += " text-anchor=\"middle\" font-size=\"12\">\(escapeMarkup(xLabel))</text>\n"
    o += "</g>\n"
    o +=
      "<rect class=\"frame\" x=\"\(coord(plotLeft))\" y=\"\(coord(plotTop))\" width=\"\(coord(plotRight - plotLeft))\""
    o += " height=\"\(coord(plotHeight))\" fill=\"none\" stroke=\"#888\"/>\n"

    // Bands, then lines.
    for b in bands {
      // In order of x; a point without both ends parts the band.
      let sorted = b.points.filter { $0.x.isFinite }.enumerated().sorted {
        $0.element.x < $1.element.x || ($0.element.x == $1.element.x && $0.offset < $1.offset)
      }.map(\.element)
      var pieces: [[(x: Double, low: Double, high: Double)]] = [[]]
      for p in sorted {
        if p.low.isFinite && p.high.isFinite {
          pieces[pieces.count - 1].append(p)
        } else if !pieces[pieces.count - 1].isEmpty {
          pieces.append([])
        }
      }
      pieces = pieces.filter { !$0.isEmpty }
      let drawn = pieces.reduce(0) { $0 + $1.count }
      o += "<g class=\"band\" data-series=\"\(escapeMarkup(b.name))\" data-points=\"\(drawn)\">"
      if !pieces.isEmpty {
        var d = ""
        for pts in pieces {
          for (i, p) in pts.enumerated() { d += (i == 0 ? "M" : "L") + coord(px(p.x)) + "," + coord(py(p.high)) }
          for p in pts.reversed() { d += "L" + coord(px(p.x)) + "," + coord(py(p.low)) }
          d += "Z"
        }
        o += "<path d=\"\(d)\" fill=\"\(escapeMarkup(b.color))\" fill-opacity=\"0.18\" stroke=\"none\"/>"
      }
      o += "</g>\n"
    }
    // Error bars: a line from low to high with a cap at each end.
    for b in intervals {
      let pts = b.points.filter { $0.x.isFinite && $0.low.isFinite && $0.high.isFinite }
      o += "<g class=\"interval\" data-series=\"\(escapeMarkup(b.name))\" data-points=\"\(pts.count)\">"
      o += "<title>\(escapeMarkup(b.name))</title>"
      if !pts.isEmpty {
        var d = ""
        for p in pts {
          let x = px(p.x)
          let (top, bottom) = (py(p.high), py(p.low))
          d += "M" + coord(x) + "," + coord(top) + "L" + coord(x) + "," + coord(bottom)
          d += "M" + coord(x - 5) + "," + coord(top) + "L" + coord(x + 5) + "," + coord(top)
          d += "M" + coord(x - 5) + "," + coord(bottom) + "L" + coord(x + 5) + "," + coord(bottom)
        }
        o += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(escapeMarkup(b.color))\" stroke-width=\"1.5\"/>"
      }
      o += "</g>\n"
    }
    for (i, s) in series.enumerated() {
      let color = s.color ?? Self.palette[i % Self.palette.count]
      let dashed = s.dashed || i >= Self.palette.count
      let drawn = s.points.filter { $0.x.isFinite && ($0.y?.isFinite ?? false) }.count
      o += "<g class=\"series\" data-series=\"\(escapeMarkup(s.name))\" data-points=\"\(drawn)\">"
      o += "<title>\(escapeMarkup(s.name))</title>"
      var d = ""
      var run: [(Double, Double)] = []
      var dots: [(Double, Double)] = []
      func flush() {
        if run.count == 1 || s.markers || !s.line { dots += run }
        if run.count > 1, s.line {
          for (j, p) in run.enumerated() { d += (j == 0 ? "M" : "L") + coord(p.0) + "," + coord(p.1) }
        }
        run.removeAll()
      }
      for p in s.points {
        if let y = p.y, y.isFinite, p.x.isFinite {
          run.append((px(p.x), py(y)))
        } else {
          flush()
        }
      }
      flush()
      if !d.isEmpty {
        o += "<path class=\"line\" d=\"\(d)\" fill=\"none\" stroke=\"\(escapeMarkup(color))\" stroke-width=\"1.8\""
        o += " stroke-linejoin=\"round\"" + (dashed ? " stroke-dasharray=\"6 3\"" : "") + "/>"
      }
      for (x, y) in dots {
        o += "<circle class=\"dot\" cx=\"\(coord(x))\" cy=\"\(coord(y))\" r=\"3\" fill=\"\(escapeMarkup(color))\"/>"
      }
      o += "</g>\n"
    }
    if !hasData {
      o +=
        "<text class=\"empty\" x=\"\(coord((plotLeft + plotRight) / 2))\" y=\"\(coord(midY))\" text-anchor=\"middle\""
      o += " font-size=\"14\" fill=\"#888\">no data</text>\n"
    }

    // The legend.
    o += "<g class=\"legend\" font-size=\"12\" fill=\"#222\">\n"
    for item in legend.items {
      let x = plotLeft + item.x
      let y = plotBottom + Self.bottom + extraRows + Double(item.row) * Self.legendRow + 6
      o += "<g class=\"legend-item\" data-series=\"\(escapeMarkup(item.name))\">"
      switch item.kind {
      case .band:
        o +=
          "<rect x=\"\(coord(x))\" y=\"\(coord(y - 6))\" width=\"24\" height=\"12\" fill=\"\(escapeMarkup(item.color))\""
        o += " fill-opacity=\"0.18\"/>"
      case .interval:
        let (mid, top, bottom) = (coord(x + 12), coord(y - 6), coord(y + 6))
        o += "<path d=\"M\(mid),\(top)L\(mid),\(bottom)M\(coord(x + 7)),\(top)L\(coord(x + 17)),\(top)"
        o += "M\(coord(x + 7)),\(bottom)L\(coord(x + 17)),\(bottom)\" fill=\"none\""
        o += " stroke=\"\(escapeMarkup(item.color))\" stroke-width=\"1.5\"/>"
      case .dot:
        o += "<circle cx=\"\(coord(x + 12))\" cy=\"\(coord(y))\" r=\"3\" fill=\"\(escapeMarkup(item.color))\"/>"
      case .line:
        o += "<line x1=\"\(coord(x))\" x2=\"\(coord(x + 24))\" y1=\"\(coord(y))\" y2=\"\(coord(y))\""
        o +=
          " stroke=\"\(escapeMarkup(item.color))\" stroke-width=\"2.5\""
          + (item.dashed ? " stroke-dasharray=\"6 3\"" : "")
        o += "/>"
      }
      o += "<text x=\"\(coord(x + 30))\" y=\"\(coord(y + 4))\">\(escapeMarkup(truncated(item.name, 48)))</text></g>\n"
    }
    o += "</g>\n</svg>"
    return o
  }
}
