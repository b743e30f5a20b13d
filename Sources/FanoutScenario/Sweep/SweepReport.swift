import FanoutSim

// MARK: - What a sweep prints: each combination's figures over its seeds

/// One figure of one combination over its seeds.
public struct SweepFigureSummary: Sendable {
  public let figure: SweepFigure
  /// Over the runs that measured it; nil when none did.
  public let distribution: SweepDistribution?
  /// For a maximum over components: the component that had it in the most runs (the first in
  /// topology order on a tie), and in how many.
  public let component: (name: String, runs: Int)?
}

/// One combination of varied values: its runs and figures.
public struct SweepCombinationSummary: Sendable {
  /// From 0, in combination order.
  public let index: Int
  public let assignments: [(key: String, value: String)]
  public let runs: Int
  public let drained: Int
  public let figures: [SweepFigureSummary]

  /// `key=value …`, or a phrase when nothing is varied.
  public var label: String {
    assignments.isEmpty ? "the pipeline as written" : assignments.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
  }
}

/// A whole sweep's results, from its definition and every run's raw figures: what `fanout sweep`
/// prints, and what `fanout sweep merge` prints from shards, through the same code.
public struct SweepReport: Sendable {
  public let definition: SweepDefinition
  public let figures: [SweepFigure]
  public let combinations: [SweepCombinationSummary]

  /// `table` holds every run of the definition, in run order.
  public init(definition d: SweepDefinition, table: SweepTable) throws {
    guard table.runs == Array(0..<d.runCount) else {
      throw SweepError("the results hold \(table.count) of the sweep's \(d.runCount) runs")
    }
    var figures: [SweepFigure] = []
    for key in d.figures {
      guard let f = SweepFigure.named(key) else {
        throw SweepError(
          "the results measure '\(key)', a figure this fanout does not know: merge with the fanout that wrote them")
      }
      figures.append(f)
    }
    guard figures.count == table.figureCount else { throw SweepError("the results have the wrong number of figures") }
    self.definition = d
    self.figures = figures
    var combinations: [SweepCombinationSummary] = []
    combinations.reserveCapacity(d.combinationCount)
    for c in 0..<d.combinationCount {
      let slots = (c * d.seeds)..<((c + 1) * d.seeds)
      var summaries: [SweepFigureSummary] = []
      for (fi, f) in figures.enumerated() {
        var values: [Double] = []
        values.reserveCapacity(d.seeds)
        var counts: [Int: Int] = [:]
        for s in slots {
          if let v = table.value(s, fi) { values.append(v) }
          if let k = table.component(s, fi) { counts[k, default: 0] += 1 }
        }
        var component: (String, Int)?
        if let kind = f.component, let best = counts.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }) {
          let names = d.names(kind)
          component = (best.key < names.count ? names[best.key] : "#\(best.key)", best.value)
        }
        summaries.append(SweepFigureSummary(figure: f, distribution: SweepDistribution(values), component: component))
      }
      combinations.append(
        SweepCombinationSummary(
          index: c, assignments: d.assignments(ofCombination: c), runs: d.seeds,
          drained: slots.filter { table.drained($0) }.count, figures: summaries))
    }
    self.combinations = combinations
  }

  // MARK: Text

  /// What each run does, in words ("each run fires 300 requests at the varied rate, until drained").
  public var loadPhrase: String {
    let d = definition
    let keys = Set(d.axes.map(\.key))
    let requests = keys.contains("requests") ? "the varied requests" : "\(d.requests) requests"
    let rate = keys.contains("rate") ? "the varied rate" : "\(formatJSONNumber(d.rate))/s"
    var s: String
    switch (d.fires, d.pipeline) {
    case (true, "built-in"): s = "each run fires \(requests) at \(rate)"
    case (true, _): s = "each run plays the scenario's load and timeline and fires \(requests) at \(rate)"
    case (false, _): s = "each run plays the scenario's load and timeline"
    }
    s +=
      d.untilMicroseconds.map { ", until drained or \(formatSpan(.microseconds($0))) of virtual time" }
      ?? ", until drained"
    return s
  }

  /// The report for people: a header, then a table per combination.
  public var text: String {
    let d = definition
    var out: [String] = []
    let pipeline = d.pipeline == "built-in" ? "the built-in pipeline" : d.pipeline
    out.append("fanout sweep — \(d.scenario) (\(pipeline), fingerprint \(d.fingerprint.prefix(12)))")
    let last = d.seedBase + UInt64(d.seeds - 1)
    out.append(
      "\(d.combinationCount) combination\(d.combinationCount == 1 ? "" : "s") × \(d.seeds) seed\(d.seeds == 1 ? "" : "s") "
        + "(\(d.seeds == 1 ? "\(d.seedBase)" : "\(d.seedBase)–\(last)")) = \(d.runCount) run\(d.runCount == 1 ? "" : "s"); "
        + loadPhrase)
    out.append(
      "over each combination's seeds: mean; p5, p50, p95 by linear interpolation; 95 % confidence interval of the mean by Student's t"
    )
    let header = ["figure", "unit", "n", "mean", "p5", "p50", "p95", "95 % CI of the mean", "most often in"]
    // Every row's cells first, so that the columns line up across combinations.
    var blocks: [(title: String, rows: [[String]])] = []
    for c in combinations {
      var rows: [[String]] = []
      for s in c.figures {
        let f = s.figure
        var row = [f.title, f.unit]
        if let x = s.distribution {
          row += [String(x.count), fixed(x.mean, f.decimals), fixed(x.p5, f.decimals), fixed(x.p50, f.decimals)]
          row.append(fixed(x.p95, f.decimals))
          row.append(x.ci95.map { fixed($0.low, f.decimals) + " to " + fixed($0.high, f.decimals) } ?? "—")
        } else {
          row += ["0", "—", "—", "—", "—", "—"]
        }
        row.append(s.component.map { "\($0.name) (\($0.runs) of \(c.runs))" } ?? "")
        rows.append(row)
      }
      let title =
        "[\(c.index + 1)/\(combinations.count)] \(c.label): \(c.runs) run\(c.runs == 1 ? "" : "s"), \(c.drained) drained"
      blocks.append((title, rows))
    }
    var widths = header.map(\.count)
    for b in blocks { for r in b.rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } } }
    // Names and text left-aligned, numbers right-aligned.
    let left: Set<Int> = [0, 1, 7, 8]
    func line(_ cells: [String]) -> String {
      var s = " "
      for (i, cell) in cells.enumerated() {
        let padding = String(repeating: " ", count: widths[i] - cell.count)
        s += " " + (left.contains(i) ? cell + padding : padding + cell)
        if i < cells.count - 1 { s += " " }
      }
      while s.hasSuffix(" ") { s.removeLast() }
      return s
    }
    for b in blocks {
      out.append("")
      out.append(b.title)
      out.append(line(header))
      for r in b.rows { out.append(line(r)) }
    }
    return out.joined(separator: "\n")
  }

  // MARK: JSON

  /// One JSON object: the sweep, its figures, and each combination's distributions.
  public var json: String {
    let d = definition
    var w = JSONObjectWriter()
    w.object("sweep") { s in
      s.string("scenario", d.scenario)
      s.string("pipeline", d.pipeline)
      s.string("fingerprint", d.fingerprint)
      s.object("seeds") { o in
        o.string("first", String(d.seedBase))
        o.int("count", d.seeds)
      }
      s.int("combinations", d.combinationCount)
      s.int("runs", d.runCount)
      if d.fires {
        s.object("load") { o in
          o.int("requests", d.requests)
          o.double("rate", d.rate)
        }
      } else {
        s.null("load")
      }
      if let u = d.untilMicroseconds {
        s.double("until_seconds", Double(u) / 1_000_000)
      } else {
        s.null("until_seconds")
      }
      s.raw(
        "vary",
        jsonArray(
          d.axes.map { a in
            var o = JSONObjectWriter()
            o.string("key", a.key)
            o.raw("values", jsonArray(a.values.map(jsonString)))
            return o.finished()
          }))
      s.object("statistics") { o in
        o.string("percentiles", "linear interpolation between order statistics (Hyndman and Fan's definition 7)")
        o.string("confidence_interval", "95 % for the mean, Student's t with n - 1 degrees of freedom")
      }
    }
    w.raw(
      "figures",
      jsonArray(
        figures.map { f in
          var o = JSONObjectWriter()
          o.string("key", f.key)
          o.string("title", f.title)
          o.string("unit", f.unit)
          if let c = f.component { o.string("component", c.rawValue) } else { o.null("component") }
          return o.finished()
        }))
    w.raw(
      "combinations",
      jsonArray(
        combinations.map { c in
          var o = JSONObjectWriter()
          o.int("index", c.index + 1)
          o.object("values") { v in for a in c.assignments { v.string(a.key, a.value) } }
          o.int("runs", c.runs)
          o.int("drained", c.drained)
          o.object("figures") { fs in
            for s in c.figures {
              fs.object(s.figure.key) { o in
                o.int("n", s.distribution?.count ?? 0)
                for (k, v) in [
                  ("mean", s.distribution?.mean), ("p5", s.distribution?.p5), ("p50", s.distribution?.p50),
                  ("p95", s.distribution?.p95), ("ci95_low", s.distribution?.ci95?.low),
                  ("ci95_high", s.distribution?.ci95?.high),
                ] {
                  if let v { o.double(k, v) } else { o.null(k) }
                }
                if s.figure.component != nil {
                  if let c = s.component {
                    o.object("most_often") { m in
                      m.string("name", c.name)
                      m.int("runs", c.runs)
                    }
                  } else {
                    o.null("most_often")
                  }
                }
              }
            }
          }
          return o.finished()
        }))
    return w.finished()
  }

  // MARK: CSV

  /// One row per combination and figure, with a header; a column per varied key.
  public var csv: String {
    let d = definition
    var rows: [[String]] = []
    rows.append(
      ["combination"] + d.axes.map(\.key) + [
        "figure", "unit", "n", "mean", "p5", "p50", "p95", "ci95_low", "ci95_high", "most_often", "most_often_runs",
      ])
    for c in combinations {
      for s in c.figures {
        var row = [String(c.index + 1)] + c.assignments.map(\.value) + [s.figure.key, s.figure.unit]
        let x = s.distribution
        row.append(String(x?.count ?? 0))
        for v in [x?.mean, x?.p5, x?.p50, x?.p95, x?.ci95?.low, x?.ci95?.high] {
          row.append(v.map(formatJSONNumber) ?? "")
        }
        row.append(s.component?.name ?? "")
        row.append(s.component.map { String($0.runs) } ?? "")
        rows.append(row)
      }
    }
    return rows.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n")
  }
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
func csvField(_ s: String) -> String {
  guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
  return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// `v` with `decimals` digits after the point, rounded half away from zero; no locale, no
/// exponent, no negative zero.
func fixed(_ v: Double, _ decimals: Int) -> String {
  var scale = 1.0
  for _ in 0..<decimals { scale *= 10 }
  let x = (v * scale).rounded()
  guard x.isFinite, abs(x) < 9e18 else { return "\(v)" }
  let n = Int64(x)
  let a = n.magnitude
  let unit = UInt64(scale)
  var s = n < 0 ? "-" : ""
  s += String(a / unit)
  if decimals > 0 {
    let frac = String(a % unit)
    s += "." + String(repeating: "0", count: decimals - frac.count) + frac
  }
  return s
}
