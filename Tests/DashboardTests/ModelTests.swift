import Testing

@testable import Dashboard
@testable import FanoutScenario
@testable import FanoutSim
@testable import TermRender

/// The model is built from events (and a snapshot per frame); these tests hold it to the
/// simulation's own counts, and check the views it feeds for topologies other than the seed's.
@Suite("The pipeline model from events")
struct ModelTests {
  func scenario(_ text: String) throws -> Simulation {
    let (s, d) = Scenario.parse(text, file: "t.yaml")
    return try #require(s, "\(d)").simulation()
  }

  @Test("Counts built from events equal the simulation's public counts, through faults, pauses and redrive")
  func eventsAgreeWithCounters() throws {
    for seed: UInt64 in 1...12 {
      var rng = SimRandom(seed: seed, stream: "test/model")
      let sim = try Simulation(
        topology: {
          var t = Topology.seedPipeline()
          t.functions[1].failure = FailureSpec(errorRate: 0.3, timeoutRate: 0.05, itemFailureRate: 0.2)
          t.functions[3].failure = FailureSpec(errorRate: 0.5)
          t.mappings[2].reportBatchItemFailures = true
          t.functions[2].reservedConcurrency = 1
          return t
        }(), seed: seed)
      let d = Dashboard(sim: sim)
      sim.startLoad(count: 40, rate: 20)
      for _ in 0..<6 {
        sim.run(until: sim.now + .microseconds(Int64(rng.unit() * 20_000_000)))
        d.handle(.toggleMapping(Int(rng.next() % 3) + 1))
        d.refresh()
        check(d, sim, seed)
      }
      _ = try? sim.startMessageMoveTask(source: "service01-dlq")
      sim.runUntilDrained(limit: sim.now + .hours(1))
      d.refresh()
      check(d, sim, seed)
    }
  }

  func check(_ d: Dashboard, _ sim: Simulation, _ seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
    let m = d.model
    for (i, q) in sim.queues.enumerated() {
      #expect(
        m.queueCounts[i] == QueueCounts(visible: q.visibleCount, inFlight: q.inFlightCount, delayed: q.delayedCount),
        "seed \(seed), queue \(q.name)", sourceLocation: sourceLocation)
    }
    #expect(m.running == sim.functions.map(\.running), "seed \(seed)", sourceLocation: sourceLocation)
    #expect(m.mappingEnabled == sim.mappings.map(\.enabled), "seed \(seed)", sourceLocation: sourceLocation)
    #expect(m.mappingTarget == sim.mappings.map(\.target), "seed \(seed)", sourceLocation: sourceLocation)
    #expect(m.trackedMessages == sim.queues.reduce(0) { $0 + $1.depth }, sourceLocation: sourceLocation)
  }

  /// The map's lines (inside its frame), trailing spaces dropped.
  func mapLines(_ d: Dashboard, width: Int = 120, height: Int = 40) -> [String] {
    d.handle(.resize(width, height))
    let lines = d.screen(glyphs: .unicode).lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
    let end = lines.firstIndex { $0.hasPrefix("└") } ?? 2
    return lines[2..<end].map {
      String($0.dropFirst().dropLast()).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
  }

  static let chain = """
    name: chain
    seed: 1
    topics:
      - name: a
        subscriptions: [{ queue: q1 }]
      - name: b
        subscriptions: [{ queue: q2 }, { sink: audit }]
    queues:
      - name: q1
      - name: q2
      - name: q3
    functions:
      - name: f1
        handler: { type: forward, topic: b }
      - name: f2
        handler: { type: forward, queue: q3 }
    eventSourceMappings:
      - { queue: q1, function: f1 }
      - { queue: q2, function: f2 }
    timeline:
      - { at: 1s, pause: q2 }
      - { at: 2s, publish: { topic: a, message: hello } }

    """

  @Test("A timeline that pauses a trigger: the map says PAUSED, and one press of 1 resumes it")
  func timelinePauseThenOnePress() throws {
    let sim = try scenario(Self.chain)
    let d = Dashboard(sim: sim)
    sim.run(until: sim.topology.startTime + .seconds(3))
    d.refresh()
    #expect(d.model.mappingEnabled == [true, false], "the timeline's pause came as a lambda.mapping event")
    let q2 = try #require(mapLines(d).first { $0.contains("q2") })
    #expect(q2.contains("visible    1") && q2.contains("λ f2 ×0 ‖ PAUSED"), "\(q2)")
    // One press of 2 (the second service) resumes it: the model knows it is paused.
    #expect(d.handleKey(.char("2")) == [.setMapping(1, enabled: true)])
    #expect(d.state.message == "f2 trigger resumed")
    sim.run(until: sim.now + .seconds(1))
    #expect(sim.queue(named: "q3")?.depth == 1, "f2 forwarded the message")
    let after = try #require(mapLines(d).first { $0.contains("q2") })
    #expect(!after.contains("PAUSED") && after.contains("visible    0"), "\(after)")
  }

  @Test("The map draws any topology: lanes from two topics name their topic, a forward shows where it sends")
  func chainMap() throws {
    let sim = try scenario(Self.chain)
    let d = Dashboard(sim: sim)
    sim.run(until: sim.topology.startTime + .seconds(3))
    let lines = mapLines(d)
    #expect(lines.count == 3, "a head and two lanes: \(lines)")
    #expect(
      lines[0]
        == "(no entry function: requests come from the timeline)    a [1 published]    b [1 published, 1 notified]")
    #expect(lines[1].hasPrefix("  │→ a          → q1") && lines[1].hasSuffix("→ λ f1 ×0 → b"), "\(lines[1])")
    #expect(lines[2].hasPrefix("  └→ b          → q2") && lines[2].hasSuffix("‖ PAUSED → queue q3"), "\(lines[2])")
  }

  @Test("The map of five services fed by one topic: a lane each, DLQ depth in its source's lane")
  func fiveServices() throws {
    var t = Topology.seedPipeline(services: 5)
    t.functions[5].failure = FailureSpec(errorRate: 1)
    let sim = try Simulation(topology: t, seed: 1)
    let d = Dashboard(sim: sim)
    d.handle(.fire)
    sim.runUntilDrained(limit: sim.now + .minutes(10))
    let lines = mapLines(d, width: 120, height: 40)
    #expect(lines[0].hasPrefix("λ preprocessor ×0 → connector [1 published]    notifier [4 published, 4 notified]"))
    #expect(lines.count == 6, "\(lines)")
    for i in 1...5 { #expect(lines[i].contains("service0\(i)")) }
    #expect(
      lines[5].hasPrefix("  └→ service05  visible    0 in flight   0 DLQ   1 → λ service05 ×0 ✗ FAILING"), "\(lines[5])"
    )
  }

  @Test("c opens the selected queue's charts; off the Queues pane it says what to select")
  func chartKey() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 1)
    let d = Dashboard(sim: sim)
    d.handle(.resize(120, 40))
    d.handle(.down)
    d.handleKey(.char("c"))
    #expect(d.state.details == [.chart(queue: "service01-dlq")])
    d.handleKey(.escape)
    d.handle(.focusNext)
    d.handleKey(.char("c"))
    #expect(d.state.details.isEmpty)
    #expect(d.state.message == "select a queue in the Queues pane to chart it (and the function its trigger invokes)")
  }

  @Test("Charts of a queue: depth with its DLQ, executions against the pollers' target, errors, latency; labelled")
  func chartView() throws {
    var t = Topology.seedPipeline()
    t.functions[1].failure = FailureSpec(errorRate: 0.5)
    let sim = try Simulation(topology: t, seed: 3)
    let d = Dashboard(sim: sim)
    d.handle(.resize(120, 40))
    sim.startLoad(count: 400, rate: 20)
    sim.run(until: sim.now + .seconds(60))
    d.handleKey(.char("c"))
    let screen = d.screen(glyphs: .unicode)
    let lines = screen.lines
    #expect(lines[1].hasPrefix("┌ Charts: service01  (Esc closes) ─"))
    let text = lines.joined(separator: "\n")
    for title in [
      "service01: messages", "λ service01: executions and the pollers' target", "λ service01: errors and throttles",
      "end-to-end latency",
    ] {
      #expect(text.contains(title), "\(title)")
    }
    for legend in [
      "■ visible", "■ in flight", "■ DLQ", "■ running", "■ target", "■ errors", "■ throttles", "■ p50", "■ p99",
    ] {
      #expect(text.contains(legend), "\(legend)")
    }
    // Time labels: the start of the kept history and the virtual clock now.
    #expect(text.contains("00:00:00.000") && text.contains(clock(sim.now)))
    // Braille dots were drawn: the charts have data.
    let braille = lines.joined().unicodeScalars.filter { (0x2801...0x28FF).contains($0.value) }.count
    #expect(braille > 100)
    #expect(d.model.queueSeries[0].visible.count == 60, "one sample per virtual second")
    try assertSnapshot(screen, "charts-120x40")
  }

  @Test("The widest layout adds a Charts pane for the selected queue")
  func chartsPane() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 1)
    let d = Dashboard(sim: sim)
    d.handle(.resize(170, 50))
    sim.startLoad(count: 100, rate: 10)
    sim.run(until: sim.now + .seconds(20))
    let lines = d.screen(glyphs: .unicode).lines
    #expect(lines[7].contains("┌ Charts: service01 (c: all) ─"), "\(lines[7])")
    #expect(lines.joined().contains("service01: messages"))
    d.handle(.resize(120, 40))
    #expect(!d.screen(glyphs: .unicode).lines.joined().contains("Charts:"), "not at 120×40")
  }
}
