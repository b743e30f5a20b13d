import FanoutScenario

// MARK: - A figure's distribution against a varied value (the hook for a sweep's page)
//
// A sweep runs the same pipeline at several values of one setting (a batch size, a rate), each
// with several seeds, and gets a distribution of a figure (p99 latency, cost) at each value.
// `SweepChart.chart` draws them: the range from the smallest to the largest as a band, and the
// median, p90 and p99 as lines with a point at each value. A sweep's page puts the charts in an
// `HTMLPage`, as `RunReportPage` does.

/// What a figure came to over the runs at one value: nearest-rank percentiles.
public struct FigureDistribution: Equatable, Sendable {
  public var count: Int
  public var min: Double
  public var p50: Double
  public var p90: Double
  public var p99: Double
  public var max: Double

  public init(count: Int, min: Double, p50: Double, p90: Double, p99: Double, max: Double) {
    self.count = count
    self.min = min
    self.p50 = p50
    self.p90 = p90
    self.p99 = p99
    self.max = max
  }

  /// The distribution of `values` (non-finite ones left out); all zero when there are none.
  public init(_ values: [Double]) {
    let s = values.filter(\.isFinite).sorted()
    func rank(_ p: Double) -> Double {
      guard !s.isEmpty else { return 0 }
      let r = Int((p * Double(s.count)).rounded(.up))
      return s[Swift.max(0, Swift.min(s.count - 1, r - 1))]
    }
    self.init(
      count: s.count, min: s.first ?? 0, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: s.last ?? 0)
  }
}

public enum SweepChart {
  /// A chart of `figure` (in `unit`) at each value of `parameter` (in `parameterUnit`); points
  /// are drawn in the order of their values.
  public static func chart(
    id: String = "sweep", title: String, parameter: String, parameterUnit: String = "", figure: String,
    unit: String, points: [(value: Double, distribution: FigureDistribution)]
  ) -> SVGChart {
    let sorted = points.filter { $0.value.isFinite }.sorted { $0.value < $1.value }
    func line(_ name: String, _ pick: (FigureDistribution) -> Double, _ colour: String) -> SVGChart.Series {
      SVGChart.Series(
        name, points: sorted.map { SVGChart.Point(x: $0.value, y: pick($0.distribution)) }, color: colour, markers: true
      )
    }
    let runs = sorted.map(\.distribution.count)
    let note =
      sorted.isEmpty
      ? nil : "\(sorted.count) values; \(runs.min() ?? 0)–\(runs.max() ?? 0) runs at each. The band spans min to max."
    return SVGChart(
      id: id, subject: parameter, title: title, xAxis: .value(title: parameter, unit: parameterUnit),
      yTitle: figure, yUnit: unit,
      series: [line("p50", \.p50, "#59a14f"), line("p90", \.p90, "#edc948"), line("p99", \.p99, "#e15759")],
      bands: [
        SVGChart.Band("min–max", points: sorted.map { ($0.value, $0.distribution.min, $0.distribution.max) })
      ],
      note: note)
  }
}

// MARK: - A sweep's figure, as `fanout sweep --html` draws it

extension SweepChart {
  /// Where a combination goes on x, and its figure's distribution over its seeds (nil when no
  /// run measured the figure: a gap).
  public struct SpreadPoint: Sendable {
    public var x: Double
    public var distribution: SweepDistribution?
    public init(x: Double, distribution: SweepDistribution?) {
      self.x = x
      self.distribution = distribution
    }
  }

  /// The colours of a spread: the p5–p95 band, the mean (and, over seeds, its interval's band),
  /// the p50, the interval's error bars, a run's dot.
  static let bandColour = "#4e79a7"
  static let meanColour = "#e15759"
  static let medianColour = "#59a14f"
  static let intervalColour = "#333333"
  static let runColour = "#4e79a7"

  /// The legend's names.
  public static let bandName = "p5–p95"
  public static let meanName = "mean"
  public static let medianName = "p50"
  public static let intervalName = "95 % CI of the mean"

  /// A figure's spread at each value of what a sweep varied: p5 to p95 as a band, the mean and
  /// the p50 as lines with a dot at each value, and the mean's 95 % confidence interval as an
  /// error bar. Points go in the order of x; lines and the band stop at a nil distribution and
  /// at each of `breaks` (x positions between groups that should not be joined).
  public static func spread(
    id: String, subject: String?, title: String, xAxis: SVGChart.XAxis, figure: String, unit: String,
    points: [SpreadPoint], breaks: [Double] = [], counts: Bool = false, note: String? = nil
  ) -> SVGChart {
    // Points and breaks in the order of x (a point before a break at the same x).
    var items: [(x: Double, distribution: SweepDistribution?, gap: Bool)] =
      points.filter { $0.x.isFinite }.map { ($0.x, $0.distribution, false) }
    items += breaks.filter(\.isFinite).map { ($0, nil, true) }
    let ordered = items.enumerated().sorted {
      $0.element.x < $1.element.x || ($0.element.x == $1.element.x && $0.offset < $1.offset)
    }.map(\.element)
    func line(_ name: String, _ pick: (SweepDistribution) -> Double, _ colour: String, dashed: Bool = false)
      -> SVGChart.Series
    {
      SVGChart.Series(
        name, points: ordered.map { SVGChart.Point(x: $0.x, y: $0.distribution.map(pick)) }, color: colour,
        dashed: dashed, markers: true)
    }
    let band = SVGChart.Band(
      bandName,
      points: ordered.map { ($0.x, $0.distribution?.p5 ?? .nan, $0.distribution?.p95 ?? .nan) }, color: bandColour)
    let interval = SVGChart.Interval(
      intervalName,
      points: ordered.compactMap { item in item.distribution?.ci95.map { (item.x, $0.low, $0.high) } },
      color: intervalColour)
    return SVGChart(
      id: id, subject: subject, title: title, xAxis: xAxis, yTitle: figure, yUnit: unit,
      series: [line(meanName, \.mean, meanColour), line(medianName, \.p50, medianColour, dashed: true)],
      bands: [band], intervals: [interval], counts: counts, note: note)
  }

  /// The most runs a chart over seeds draws a dot for.
  public static let maxDots = 2_000

  /// A figure over the seeds of one combination: a dot per run (seed) at its value, the p5–p95
  /// band, the mean and the p50 as lines across, and the mean's 95 % confidence interval as a
  /// second band. `values` are in seed order, nil where a run had none; dots are drawn for the
  /// first `maxDots` runs, the band and lines are over all.
  public static func seeds(
    id: String, title: String, figure: String, unit: String, seeds: [String], values: [Double?],
    distribution: SweepDistribution?, counts: Bool = false, note: String? = nil
  ) -> SVGChart {
    let shown = Swift.min(maxDots, seeds.count, values.count)
    let ends = [-0.5, Double(Swift.max(1, shown)) - 0.5]
    func across(_ name: String, _ v: Double?, _ colour: String, dashed: Bool = false) -> SVGChart.Series {
      SVGChart.Series(name, points: ends.map { SVGChart.Point(x: $0, y: v) }, color: colour, dashed: dashed)
    }
    var bands: [SVGChart.Band] = []
    if let d = distribution {
      bands.append(SVGChart.Band(bandName, points: ends.map { ($0, d.p5, d.p95) }, color: bandColour))
      if let ci = d.ci95 {
        bands.append(SVGChart.Band(intervalName, points: ends.map { ($0, ci.low, ci.high) }, color: meanColour))
      }
    }
    return SVGChart(
      id: id, subject: "seed", title: title,
      xAxis: .categories(title: "seed", rows: [SVGChart.CategoryRow(key: "seed", labels: Array(seeds.prefix(shown)))]),
      yTitle: figure, yUnit: unit,
      series: [
        SVGChart.Series(
          "run", points: (0..<shown).map { SVGChart.Point(x: Double($0), y: values[$0]) }, color: runColour,
          line: false),
        across(meanName, distribution?.mean, meanColour),
        across(medianName, distribution?.p50, medianColour, dashed: true),
      ],
      bands: bands, counts: counts, note: note)
  }
}
