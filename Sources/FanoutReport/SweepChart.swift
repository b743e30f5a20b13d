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
