import FanoutSim
import Foundation
import Testing

@testable import FanoutReport

/// A drained run of the seed pipeline (or a changed one), sampled, and its page.
func sampledRun(requests: Int = 60, rate: Double = 30, _ change: (inout Topology) -> Void = { _ in }) throws -> (
  Simulation, RunSamples, String
) {
  let (sim, _) = try seedRun(requests: requests, rate: rate, change)
  sim.observer = nil
  let sampler = RunSampler(sim: sim)
  let drained = sampler.runUntilDrained()
  let report = RunReport(sim: sim, scenario: "page test", drained: drained, wallSeconds: 0.5)
  return (sim, sampler.samples, RunReportPage.html(report: report, samples: sampler.samples))
}

@Suite("Pipeline diagram and the run's page")
struct PageTests {
  @Test("The diagram has a box per component and an edge per connection, by kind")
  func testDiagramHasEveryComponentAndConnection() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 1)
    let d = PipelineDiagram(layout: sim.layout)
    func names(_ k: PipelineDiagram.Kind) -> [String] { d.nodes.filter { $0.kind == k }.map(\.name) }
    #expect(names(.function) == ["preprocessor", "service01", "service02", "service03"])
    #expect(names(.topic) == ["connector", "notifier"])
    #expect(names(.subscription) == ["service01", "service02", "service03"])
    #expect(names(.sink) == ["email"])
    #expect(names(.queue) == ["service01", "service02", "service03"])
    #expect(names(.deadLetterQueue) == ["service01-dlq", "service02-dlq", "service03-dlq"])
    #expect(names(.mapping) == ["service01→service01", "service02→service02", "service03→service03"])
    #expect(names(.bucket) == ["fanout-bucket"])
    func count(_ k: PipelineDiagram.EdgeKind) -> Int { d.edges.filter { $0.kind == k }.count }
    #expect(count(.publish) == 4)
    #expect(count(.subscription) == 4)
    #expect(count(.delivery) == 3)
    #expect(count(.redrive) == 3)
    #expect(count(.poll) == 3)
    #expect(count(.invoke) == 3)
    #expect(count(.write) == 4)
    #expect(
      d.columnTitles == [
        "entry", "topics", "subscriptions", "queues", "dead-letter queues", "mappings", "functions", "buckets",
      ])
    let svg = d.svg()
    #expect(svg.contains("<g class=\"node\" data-kind=\"dlq\" data-name=\"service01-dlq\">"))
    #expect(svg.contains("data-kind=\"redrive\" data-from=\"service01\" data-to=\"service01-dlq\""))
    #expect(svg.contains("maxReceiveCount 5"))
  }

  @Test(
    "The diagram reads left to right, a dead-letter queue level with its source; the same pipeline, the same picture")
  func testDiagramLayoutIsDeterministic() throws {
    let a = try Simulation(topology: .seedPipeline(), seed: 1)
    let b = try Simulation(topology: .seedPipeline(), seed: 99)
    let d = PipelineDiagram(layout: a.layout)
    #expect(d.svg() == PipelineDiagram(layout: b.layout).svg())
    func node(_ k: PipelineDiagram.Kind, _ n: String) throws -> PipelineDiagram.Node {
      try #require(d.nodes.first { $0.kind == k && $0.name == n })
    }
    let chain = [
      try node(.function, "preprocessor"), try node(.topic, "connector"), try node(.subscription, "service02"),
      try node(.queue, "service02"), try node(.deadLetterQueue, "service02-dlq"),
      try node(.mapping, "service02→service02"), try node(.function, "service02"), try node(.bucket, "fanout-bucket"),
    ]
    for (x, y) in zip(chain, chain.dropFirst()) { #expect(x.x < y.x) }
    #expect(try node(.queue, "service03").y == node(.deadLetterQueue, "service03-dlq").y)
    #expect(try node(.queue, "service01").y < node(.queue, "service02").y)
    // Every box is inside the picture, none overlapping another in its column.
    for n in d.nodes {
      #expect(n.x >= 0 && n.x + d.nodeWidth <= d.width && n.y >= 0 && n.y + 36 <= d.height)
      for m in d.nodes where m.column == n.column && m.name != n.name {
        #expect(abs(m.y - n.y) >= 36)
      }
    }
  }

  @Test("Names in the diagram are escaped: a sink's endpoint can be any text")
  func testDiagramEscapesNames() throws {
    var t = Topology.seedPipeline()
    t.topics[1].subscriptions = [SubscriptionSpec(endpoint: .sink("<b>ops</b> & \"on-call\""))]
    let sim = try Simulation(topology: t, seed: 1)
    let svg = PipelineDiagram(layout: sim.layout).svg()
    #expect(!svg.contains("<b>"))
    #expect(svg.contains("data-name=\"&lt;b&gt;ops&lt;/b&gt; &amp; &quot;on-call&quot;\""))
  }

  @Test("The page is self-contained: no script, no style sheet, font or image from elsewhere, no address but its own")
  func testPageIsSelfContained() throws {
    let (_, _, page) = try sampledRun()
    #expect(page.hasPrefix("<!DOCTYPE html>"))
    for banned in ["<script", "<link", "<img", "<iframe", "src=", "@import", "@font-face", "https:", "javascript:"] {
      #expect(!page.contains(banned), "\(banned)")
    }
    // The only address is SVG's namespace; links and markers point inside the page.
    #expect(page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http:") == false)
    #expect(attributes("href", in: page).allSatisfy { $0.hasPrefix("#") })
    #expect(page.components(separatedBy: "url(").dropFirst().allSatisfy { $0.hasPrefix("#fanout-arrow") })
  }

  @Test("The page has the diagram, every chart with its series and the run's summary")
  func testPageHasEveryChart() throws {
    let (sim, samples, page) = try sampledRun { $0.functions[2].reservedConcurrency = 3 }
    #expect(page.contains("<svg class=\"diagram\" data-chart=\"pipeline\""))
    for id in ["queue-depth", "queue-in-flight", "dlq-depth", "invocations", "failures", "latency"] {
      #expect(page.components(separatedBy: "<svg class=\"chart\" data-chart=\"\(id)\"").count == 2, "\(id)")
    }
    for f in sim.functions {
      #expect(page.contains("<svg class=\"chart\" data-chart=\"concurrency\" data-subject=\"\(f.name)\""))
    }
    #expect(page.contains("data-series=\"pollers of service01→service01\""))
    #expect(page.contains("data-series=\"reserved concurrency\""))
    for q in sim.queues { #expect(page.contains("data-series=\"\(q.name)\"")) }
    for s in ["p50", "p90", "p99", "errors", "timeouts", "throttles"] { #expect(page.contains("data-series=\"\(s)\"")) }
    // The summary is RunReport's text, escaped.
    let report = RunReport(sim: sim, scenario: "page test", drained: true, wallSeconds: 0.5)
    #expect(page.contains(escapeMarkup(report.text)))
    #expect(page.contains("sampled every \(formatDuration(seconds: samples.step.seconds))"))
    // At most ~600 points a series.
    for n in attributes("data-points", in: page) { #expect(Int(n)! <= 601) }
  }
}
