import FanoutSim
import Foundation
import Testing

@testable import FanoutReport
@testable import FanoutScenario

/// A sweep of the built-in pipeline, run on `jobs` threads: its report, its runs and its page.
func sweepPage(seeds: Int = 3, requests: Int = 10, vary: [String], jobs: Int = 1) throws -> (
  SweepReport, SweepTable, String
) {
  let plan = try SweepPlan.make(pipeline: .builtIn(), seeds: seeds, requests: requests, vary: vary)
  let table = try plan.run(runs: Array(0..<plan.definition.runCount), jobs: jobs)
  let report = try SweepReport(definition: plan.definition, table: table)
  return (report, table, SweepReportPage.html(report: report, table: table))
}

/// The `<svg class="chart">` element whose `data-chart` is `id`, or nil.
func chartElement(_ id: String, in page: String) -> String? {
  let parts = page.components(separatedBy: "<svg class=\"chart\" data-chart=\"\(id)\"")
  guard parts.count == 2 else { return nil }
  return parts[1].components(separatedBy: "</svg>")[0]
}

@Suite("A sweep's page")
struct SweepPageTests {
  @Test("One key varied, numbers: a chart per figure against the value, with its band, lines, bars and labels")
  func testSweepPageHasAChartPerFigureAgainstTheVariedValue() throws {
    let (report, _, page) = try sweepPage(vary: ["rate=50,100,400"])
    #expect(SweepReportPage.layout(report.definition) == .numeric(key: "rate"))
    #expect(page.hasPrefix("<!DOCTYPE html>"))
    #expect(page.contains("<h1>fanout sweep — seed-pipeline</h1>"))
    #expect(report.figures.map(\.key) == SweepFigure.all.map(\.key))
    #expect(page.components(separatedBy: "<svg class=\"chart\" ").count - 1 == SweepFigure.all.count)
    for f in SweepFigure.all {
      let chart = try #require(chartElement(f.key, in: page), "\(f.key)")
      #expect(chart.hasPrefix(" data-subject=\"rate\""), "\(f.key)")
      #expect(chart.contains(">\(escapeMarkup(f.title)) by rate</text>"), "\(f.key)")
      let yLabel = ">\(escapeMarkup(f.title)) (\(escapeMarkup(f.unit)))</text>"
      #expect(chart.contains(yLabel), "\(f.key)")
      #expect(chart.contains(">rate (requests/s)</text>"), "\(f.key)")
      for kind in ["band", "interval", "series", "series"] { #expect(chart.contains("<g class=\"\(kind)\"")) }
      for s in ["p5–p95", "95 % CI of the mean", "mean", "p50"] {
        #expect(chart.contains("<g class=\"legend-item\" data-series=\"\(s)\""), "\(f.key) \(s)")
      }
      // Every value has its point (a latency of 10 requests always has a value).
      #expect(chart.contains("<g class=\"series\" data-series=\"mean\" data-points=\"3\""), "\(f.key)")
      #expect(chart.contains("<g class=\"band\" data-series=\"p5–p95\" data-points=\"3\""), "\(f.key)")
      #expect(chart.contains("<g class=\"interval\" data-series=\"95 % CI of the mean\" data-points=\"3\""))
    }
    // The definition: scenario, fingerprint, seeds, varied key and values, runs.
    let d = report.definition
    for fact in [
      "<th scope=\"row\">fingerprint (SHA-256)</th><td>\(d.fingerprint)</td>",
      "<th scope=\"row\">scenario</th><td>seed-pipeline</td>",
      "<th scope=\"row\">seeds</th><td>3 per combination: 1–3</td>",
      "<th scope=\"row\">varied: rate</th><td>50, 100, 400</td>",
      "<th scope=\"row\">runs</th><td>3 combinations × 3 seeds = 9 runs, 9 drained</td>",
    ] {
      #expect(page.contains(fact), "\(fact)")
    }
    // The table is the text fanout sweep prints.
    #expect(page.contains("<pre class=\"summary\">\(escapeMarkup(report.text))</pre>"))
  }

  @Test("The value axis is the varied value's: its points at 50, 100 and 400, in order")
  func testSpreadPointsSitAtTheirValues() throws {
    let (report, table, _) = try sweepPage(vary: ["rate=400,50,100"])
    let charts = SweepReportPage.charts(report: report, table: table)
    let mean = try #require(charts[0].series.first { $0.name == "mean" })
    #expect(mean.points.map(\.x) == [50, 100, 400])
    let latency = try #require(charts.first { $0.id == "latency_p99_ms" })
    let p50 = try #require(latency.series.first { $0.name == "p50" })
    // rate=50 is the second combination: its p50 of p99 latencies is the first point.
    #expect(p50.points[0].y == report.combinations[1].figures[2].distribution?.p50)
    #expect(latency.intervals[0].points.map(\.x) == [50, 100, 400])
    #expect(
      latency.bands[0].points.map(\.low) == [1, 2, 0].map { report.combinations[$0].figures[2].distribution!.p5 })
  }

  @Test("A key whose values are not numbers: evenly spaced categories labelled with the values")
  func testValuesThatAreNotNumbersAreEvenlySpacedCategories() throws {
    let (report, _, page) = try sweepPage(vary: ["function.service02.duration=50ms,1s,2s"])
    #expect(SweepReportPage.layout(report.definition) == .categories(key: "function.service02.duration"))
    let chart = try #require(chartElement("latency_p50_ms", in: page))
    for v in ["50ms", "1s", "2s"] { #expect(chart.contains("<g class=\"tick\" data-value=\"\(v)\"")) }
    // Three ticks, equally apart.
    let row = chart.components(separatedBy: "<g class=\"category-row\"")[1].components(separatedBy: "</g>\n")[0]
    let at = attributes("x1", in: row).compactMap(Double.init)
    #expect(at.count == 3)
    #expect(at.count == 3 && abs((at[1] - at[0]) - (at[2] - at[1])) < 0.2)
  }

  @Test("Several keys varied: x is the combination, a row of labels per key, lines joined within a group only")
  func testSeveralKeysLabelEachCombinationByRows() throws {
    let (report, _, page) = try sweepPage(
      seeds: 2, vary: ["rate=50,400", "mapping.service01.BatchSize=1,5,10"])
    #expect(
      SweepReportPage.layout(report.definition) == .combinations(keys: ["rate", "mapping.service01.BatchSize"]))
    for f in SweepFigure.all {
      let chart = try #require(chartElement(f.key, in: page), "\(f.key)")
      #expect(chart.hasPrefix(" data-subject=\"rate × mapping.service01.BatchSize\""))
      #expect(chart.contains("<g class=\"category-row\" data-key=\"rate\">"))
      #expect(chart.contains("<g class=\"category-row\" data-key=\"mapping.service01.BatchSize\">"))
      // Each rate labelled once, under its group; each batch size under each rate.
      #expect(chart.components(separatedBy: "<g class=\"group\" data-value=\"50\"").count == 2)
      #expect(chart.components(separatedBy: "<g class=\"group\" data-value=\"400\"").count == 2)
      let xAxis = chart.components(separatedBy: "<g class=\"axis x-axis\"")[1]
      #expect(xAxis.components(separatedBy: "<g class=\"tick\" data-value=\"5\"").count == 3)
      #expect(chart.components(separatedBy: "class=\"group-boundary\"").count == 2)
      #expect(chart.contains(">mapping.service01.BatchSize / rate</text>"))
    }
    // The mean's line stops between rate=50 and rate=400: two pieces of three points.
    let chart = try #require(chartElement("latency_p99_ms", in: page))
    let mean = chart.components(separatedBy: "data-series=\"mean\"")[1].components(separatedBy: "</g>")[0]
    let d = try #require(attributes("d", in: mean).first)
    #expect(subpaths(d).map(\.count) == [3, 3])
    let band = chart.components(separatedBy: "<g class=\"band\"")[1].components(separatedBy: "</g>")[0]
    #expect(try #require(attributes("d", in: band).first).components(separatedBy: "Z").count - 1 == 2)
  }

  @Test("Nothing varied: each figure's runs as a dot per seed, with the band and lines across")
  func testOneCombinationDrawsADotPerSeed() throws {
    let (report, table, page) = try sweepPage(seeds: 6, vary: [])
    #expect(SweepReportPage.layout(report.definition) == .seeds)
    #expect(page.contains("<th scope=\"row\">varied</th><td>nothing: one combination, the pipeline as written</td>"))
    for (fi, f) in SweepFigure.all.enumerated() {
      let chart = try #require(chartElement(f.key, in: page), "\(f.key)")
      #expect(chart.hasPrefix(" data-subject=\"seed\""))
      #expect(chart.contains(">\(escapeMarkup(f.title)) over seeds</text>"))
      let measured = (0..<6).filter { table.value($0, fi) != nil }.count
      #expect(chart.contains("<g class=\"series\" data-series=\"run\" data-points=\"\(measured)\""), "\(f.key)")
      for s in 1...6 { #expect(chart.contains("<g class=\"tick\" data-value=\"\(s)\"")) }
      for s in ["run", "mean", "p50", "p5–p95", "95 % CI of the mean"] {
        #expect(chart.contains("<g class=\"legend-item\" data-series=\"\(s)\""), "\(f.key) \(s)")
      }
    }
    // A dot per seed, none joined.
    let chart = try #require(chartElement("latency_p99_ms", in: page))
    let runs = chart.components(separatedBy: "data-series=\"run\"")[1].components(separatedBy: "</g>")[0]
    #expect(runs.components(separatedBy: "<circle class=\"dot\"").count - 1 == 6)
    #expect(!runs.contains("<path"))
    // The peak concurrency names its function.
    let peak = try #require(chartElement("peak_concurrency", in: page))
    #expect(peak.contains("Most often in preprocessor ("))
  }

  @Test("The page is the same, byte for byte, whatever the threads, and from merged shards")
  func testSweepPageIsTheSameWhateverTheJobsAndFromShards() throws {
    let vary = ["rate=50,400", "queue.service01.VisibilityTimeout=30,60"]
    let (_, _, one) = try sweepPage(vary: vary, jobs: 1)
    let (_, _, three) = try sweepPage(vary: vary, jobs: 3)
    #expect(one == three)
    let plan = try SweepPlan.make(pipeline: .builtIn(), seeds: 3, requests: 10, vary: vary)
    let d = plan.definition
    var shards: [(file: String, shard: SweepShard)] = []
    for k in [3, 1, 2] {
      let table = try plan.run(runs: d.runs(ofShard: k, of: 3), jobs: 2)
      let text = SweepShard(definition: d, index: k, count: 3, table: table).json
      shards.append(("shard-\(k).json", try SweepShard.parse(text, file: "shard-\(k).json")))
    }
    let (definition, table) = try SweepShard.merge(shards)
    let merged = SweepReportPage.html(report: try SweepReport(definition: definition, table: table), table: table)
    #expect(merged == one)
  }

  @Test("Names are escaped everywhere: the scenario's, a varied key's and its values, a component's")
  func testSweepPageEscapesNames() throws {
    let d = SweepDefinition(
      scenario: "<b>odd</b> & 'quoted' \"name\"", pipeline: "scenario", fingerprint: "<fp>", seedBase: 1, seeds: 2,
      fires: false, requests: 10, rate: 100, untilMicroseconds: nil,
      axes: [SweepAxis(key: "<key>&", values: ["<v1>", "v&2"])], figures: SweepFigure.all.map(\.key),
      queues: ["<q>"], functions: ["f\"1"])
    let table = SweepTable(runs: Array(0..<d.runCount), figureCount: d.figures.count)
    for r in 0..<d.runCount {
      table.store(r, drained: true, readings: SweepFigure.all.map { _ in SweepReading(Double(r), component: 0) })
    }
    let report = try SweepReport(definition: d, table: table)
    let page = SweepReportPage.html(report: report, table: table)
    for raw in ["<b>odd", "<key>", "<v1>", "<q>", "<fp>", "'quoted'", "\"name\"", "f\"1"] {
      #expect(!page.contains(raw), "\(raw)")
    }
    #expect(page.contains("&lt;b&gt;odd&lt;/b&gt; &amp; &#39;quoted&#39; &quot;name&quot;"))
    #expect(page.contains("<g class=\"category-row\" data-key=\"&lt;key&gt;&amp;\">"))
    #expect(page.contains("<g class=\"tick\" data-value=\"&lt;v1&gt;\">"))
    #expect(page.contains("<g class=\"tick\" data-value=\"v&amp;2\">"))
    #expect(page.contains("&lt;q&gt; (2 of 2)"), "the most often queue, in the table")
    // Self-contained, as the run's page.
    for banned in ["<script", "<link", "<img", "<iframe", "src=", "@import", "@font-face", "https:", "javascript:"] {
      #expect(!page.contains(banned), "\(banned)")
    }
    #expect(page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http:") == false)
    #expect(attributes("href", in: page).allSatisfy { $0.hasPrefix("#") })
    // One varied value's seeds (the page of a single combination) names the component in its note.
    let single = SweepDefinition(
      scenario: "s", pipeline: "scenario", fingerprint: "f", seedBase: 1, seeds: 2, fires: false, requests: 10,
      rate: 100, untilMicroseconds: nil, axes: [], figures: SweepFigure.all.map(\.key), queues: ["<q>"],
      functions: ["f\"1"])
    let t2 = SweepTable(runs: [0, 1], figureCount: single.figures.count)
    for r in 0..<2 { t2.store(r, drained: true, readings: SweepFigure.all.map { _ in SweepReading(5, component: 0) }) }
    let page2 = SweepReportPage.html(report: try SweepReport(definition: single, table: t2), table: t2)
    #expect(page2.contains("Most often in &lt;q&gt; (2 of 2 runs)."))
    #expect(page2.contains("Most often in f&quot;1 (2 of 2 runs)."))
    #expect(!page2.contains("<q>"))
  }
}
