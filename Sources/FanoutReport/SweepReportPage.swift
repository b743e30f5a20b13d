import FanoutScenario

// MARK: - `fanout sweep --html`: the sweep's page

/// The page `fanout sweep --html FILE` (and `fanout sweep merge --html FILE`) writes: the sweep's
/// definition, a chart per figure of `SweepFigure.all` (its spread against the varied values, or
/// over the seeds when one combination ran) and the text `fanout sweep` prints.
///
/// Everything comes from the definition and the runs' raw figures in run order, so the page is
/// the same, byte for byte, whatever `--jobs` was and whether the runs came whole or merged from
/// shards.
public enum SweepReportPage {
  /// How the charts lay out x.
  public enum Layout: Equatable, Sendable {
    /// One combination: a dot per seed.
    case seeds
    /// One key varies (the others, if any, have one value): x is its value, a number.
    case numeric(key: String)
    /// One key varies and a value is not a number: evenly spaced categories with its values.
    case categories(key: String)
    /// Several keys vary: x is the combination, labelled by a row per key (the first key
    /// lowest); lines join the combinations that differ only in the last key.
    case combinations(keys: [String])
  }

  /// The page's layout for a sweep's definition.
  public static func layout(_ d: SweepDefinition) -> Layout {
    let varied = d.axes.filter { $0.values.count > 1 }
    guard d.combinationCount > 1, let first = varied.first else { return .seeds }
    if varied.count > 1 { return .combinations(keys: varied.map(\.key)) }
    return numbers(first.values) != nil ? .numeric(key: first.key) : .categories(key: first.key)
  }

  /// The values as numbers, when every one is a finite number.
  static func numbers(_ values: [String]) -> [Double]? {
    var out: [Double] = []
    for v in values {
      guard let x = Double(v), x.isFinite else { return nil }
      out.append(x)
    }
    return out
  }

  /// The unit a varied key's values are in, as the scenario format reads them (empty when the key
  /// has none, or its values are not numbers).
  public static func unit(ofKey key: String) -> String {
    let attribute = String(key.split(separator: ".").last ?? Substring(key))
    switch attribute {
    case "rate": return "requests/s"
    case "VisibilityTimeout", "DelaySeconds", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
      "MaximumBatchingWindowInSeconds", "Timeout":
      return "s"
    case "MemorySize": return "MB"
    default: return ""
    }
  }

  /// Figures counted in whole things: their axes tick on whole numbers.
  static func counts(_ f: SweepFigure) -> Bool { ["requests", "messages", "executions"].contains(f.unit) }

  /// The whole page.
  public static func html(report: SweepReport, table: SweepTable) -> String {
    page(report: report, table: table).html()
  }

  public static func page(report: SweepReport, table: SweepTable) -> HTMLPage {
    let d = report.definition
    let drained = report.combinations.reduce(0) { $0 + $1.drained }
    let last = d.seedBase + UInt64(d.seeds - 1)
    let seedRange = d.seeds == 1 ? "\(d.seedBase)" : "\(d.seedBase)–\(last)"
    let runs =
      "\(d.combinationCount) combination\(d.combinationCount == 1 ? "" : "s") × \(d.seeds) seed\(d.seeds == 1 ? "" : "s")"
      + " = \(d.runCount) run\(d.runCount == 1 ? "" : "s")"
    var facts: [(name: String, value: String)] = [
      ("scenario", d.scenario),
      ("pipeline", d.pipeline == "built-in" ? "the built-in pipeline" : d.pipeline),
      ("fingerprint (SHA-256)", d.fingerprint),
      ("seeds", "\(d.seeds) per combination: \(seedRange)"),
      ("runs", "\(runs), \(drained) drained"),
      ("load", report.loadPhrase),
    ]
    if d.axes.isEmpty {
      facts.append(("varied", "nothing: one combination, the pipeline as written"))
    } else {
      for a in d.axes { facts.append(("varied: \(a.key)", a.values.joined(separator: ", "))) }
    }
    facts.append(
      (
        "statistics",
        "over each combination's seeds: mean; p5, p50, p95 by linear interpolation; "
          + "95 % confidence interval of the mean by Student's t"
      ))
    let sections = [
      HTMLPage.Section(
        id: "sweep", title: "Sweep",
        body: HTMLPage.table(facts) + "\n" + HTMLPage.paragraph(layoutNote(d))),
      HTMLPage.Section(
        id: "figures", title: "Figures",
        body: charts(report: report, table: table).map { HTMLPage.figure($0.svg()) }.joined(separator: "\n")),
      HTMLPage.Section(
        id: "table", title: "Table",
        body: HTMLPage.preformatted(report.text)
          + HTMLPage.paragraph(
            "The text fanout sweep prints for the same sweep (and fanout sweep merge for its shards).")
      ),
    ]
    return HTMLPage(
      title: "fanout sweep — \(d.scenario)", subtitle: ["\(runs) (seeds \(seedRange))", report.loadPhrase],
      sections: sections)
  }

  /// What x is in the charts, in words.
  static func layoutNote(_ d: SweepDefinition) -> String {
    let fixed = d.axes.filter { $0.values.count == 1 }.map { "\($0.key)=\($0.values[0])" }
    let at = fixed.isEmpty ? "" : " Every run has \(fixed.joined(separator: ", "))."
    switch layout(d) {
    case .seeds:
      return "One combination: each chart has a dot per seed (a run) at its value; the shaded band spans p5 to p95 "
        + "of the runs, the lines across are their mean and p50, and the red band is the 95 % confidence interval "
        + "of the mean." + at
    case .numeric(let key), .categories(let key):
      return "Each chart has \(key) across and, at each of its values, the spread over that value's seeds: "
        + "the shaded band spans p5 to p95, the lines join the means and the p50s, and each bar is the mean's "
        + "95 % confidence interval." + at
    case .combinations(let keys):
      return "Several keys vary: each chart has the combinations across, labelled by a row per key (\(keys.last!) "
        + "nearest the axis, \(keys[0]) lowest), the spread over each combination's seeds drawn as for one key "
        + "(band p5–p95, mean and p50 lines, bars for the mean's 95 % confidence interval). Lines join the "
        + "combinations that differ only in \(keys.last!); a dotted line parts the groups." + at
    }
  }

  /// Every chart of the page: one per figure, in the order of the sweep's figures.
  public static func charts(report: SweepReport, table: SweepTable) -> [SVGChart] {
    let d = report.definition
    let layout = self.layout(d)
    var charts: [SVGChart] = []
    for (fi, f) in report.figures.enumerated() {
      let counts = self.counts(f)
      switch layout {
      case .seeds:
        let c = report.combinations[0]
        let summary = c.figures[fi]
        let shown = Swift.min(d.seeds, SweepChart.maxDots)
        var note = "A dot per seed: \(summary.distribution?.count ?? 0) of \(d.seeds) runs measured it."
        if d.seeds > shown { note += " Dots for the first \(shown) seeds; the band and lines are over all." }
        if let component = summary.component {
          note += " Most often in \(component.name) (\(component.runs) of \(c.runs) runs)."
        }
        charts.append(
          SweepChart.seeds(
            id: f.key, title: "\(f.title) over seeds", figure: f.title, unit: f.unit,
            seeds: (0..<shown).map { String(d.seed(ofRun: $0)) }, values: (0..<shown).map { table.value($0, fi) },
            distribution: summary.distribution, counts: counts, note: note))
      case .numeric(let key), .categories(let key):
        let axis = d.axes.first { $0.key == key }!
        let numbers = self.numbers(axis.values)
        let xAxis: SVGChart.XAxis =
          numbers != nil
          ? .value(title: key, unit: unit(ofKey: key))
          : .categories(title: key, rows: [SVGChart.CategoryRow(key: key, labels: axis.values)])
        // One key varies: the combinations are its values, in order.
        let points = report.combinations.map { c in
          SweepChart.SpreadPoint(x: numbers?[c.index] ?? Double(c.index), distribution: c.figures[fi].distribution)
        }
        charts.append(
          SweepChart.spread(
            id: f.key, subject: key, title: "\(f.title) by \(key)", xAxis: xAxis, figure: f.title, unit: f.unit,
            points: points, counts: counts, note: spreadNote(d, report, fi)))
      case .combinations(let keys):
        let axes = keys.compactMap { k in d.axes.firstIndex { $0.key == k } }
        let rows = axes.map { a in
          SVGChart.CategoryRow(
            key: d.axes[a].key,
            labels: report.combinations.map { d.axes[a].values[d.valueIndices(ofCombination: $0.index)[a]] })
        }
        let fastest = d.axes[axes.last!].values.count
        let breaks = stride(from: fastest, to: d.combinationCount, by: fastest).map { Double($0) - 0.5 }
        let points = report.combinations.map {
          SweepChart.SpreadPoint(x: Double($0.index), distribution: $0.figures[fi].distribution)
        }
        charts.append(
          SweepChart.spread(
            id: f.key, subject: keys.joined(separator: " × "), title: "\(f.title) by combination",
            xAxis: .categories(title: keys.reversed().joined(separator: " / "), rows: rows), figure: f.title,
            unit: f.unit, points: points, breaks: breaks, counts: counts, note: spreadNote(d, report, fi)))
      }
    }
    return charts
  }

  /// The line under a spread chart's title: the seeds, and the runs that had no value.
  static func spreadNote(_ d: SweepDefinition, _ report: SweepReport, _ fi: Int) -> String {
    var note = "Over each combination's \(d.seeds) seed\(d.seeds == 1 ? "" : "s"): band p5–p95, mean and p50, "
    note += "bars the 95 % CI of the mean."
    let measured = report.combinations.reduce(0) { $0 + ($1.figures[fi].distribution?.count ?? 0) }
    if measured < d.runCount { note += " \(measured) of \(d.runCount) runs measured it." }
    return note
  }
}
