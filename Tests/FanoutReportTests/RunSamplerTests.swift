import FanoutScenario
import FanoutSim
import Foundation
import Testing

@testable import FanoutReport

/// The repository's root.
func repoPath(_ relative: String) -> String {
  var root = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { root.deleteLastPathComponent() }
  return root.appendingPathComponent(relative).path
}

/// The seed pipeline with `requests` fired at `rate` a second, its events recorded.
func seedRun(requests: Int = 10, rate: Double = 100, seed: UInt64 = 1, _ change: (inout Topology) -> Void = { _ in })
  throws -> (Simulation, () -> [String])
{
  var t = Topology.seedPipeline()
  change(&t)
  let sim = try Simulation(topology: t, seed: seed)
  var lines: [String] = []
  sim.observer = { lines.append($0.jsonLine) }
  sim.startLoad(count: requests, rate: rate)
  return (sim, { lines })
}

@Suite("Run sampler")
struct RunSamplerTests {
  @Test("Sampling changes no event: the same seed gives the same events with and without a sampler")
  func testSamplingLeavesEventsByteIdentical() throws {
    for seed: UInt64 in [1, 7] {
      let (plain, a) = try seedRun(requests: 200, rate: 50, seed: seed)
      plain.runUntilDrained()
      let (sampled, b) = try seedRun(requests: 200, rate: 50, seed: seed)
      let sampler = RunSampler(sim: sampled)
      sampler.runUntilDrained()
      #expect(a() == b())
      #expect(a().count > 1_000)
      #expect(plain.now == sampled.now)
      #expect(sampler.count > 100)
    }
    // A scenario with a timeline and a time limit.
    let scenario = try #require(Scenario.load(path: repoPath("config/poison-dlq.yaml")).0)
    var runs: [[String]] = []
    for sample in [false, true] {
      let sim = try scenario.simulation(seed: nil)
      var lines: [String] = []
      sim.observer = { lines.append($0.jsonLine) }
      let limit = sim.now + .seconds(40)
      if sample { RunSampler(sim: sim).runUntilDrained(limit: limit) } else { sim.runUntilDrained(limit: limit) }
      runs.append(lines)
    }
    #expect(runs[0] == runs[1])
  }

  @Test("Sampling a replayed session changes no event either")
  func testSamplingAReplayLeavesEventsByteIdentical() throws {
    // Record a session: a fire, a mapping disabled and enabled again, another fire.
    let (live, recorded) = try seedRun(requests: 0)
    var log = ReplayLog(seed: 1, scenario: nil)
    for (c, at) in [
      (ControlCommand.fire(20), 0), (.setMapping(0, enabled: false), 200), (.fire(5), 400),
      (.setMapping(0, enabled: true), 900),
    ] {
      live.run(until: live.topology.startTime + .milliseconds(at))
      log.record(c, live)
      _ = live.apply(c)
    }
    live.runUntilDrained()
    log.record(nil, live)
    var runs: [[String]] = []
    for sample in [false, true] {
      let (sim, lines) = try seedRun(requests: 0)
      var player = ReplayPlayer(log: log)
      if sample {
        let s = RunSampler(sim: sim)
        s.replay(&player)
        #expect(s.count > 50)
      } else {
        _ = player.advance(sim, to: .distantFuture)
      }
      runs.append(lines())
    }
    #expect(runs[0] == runs[1])
    #expect(runs[0] == recorded())
  }

  @Test("Points are bounded: a long run keeps at most maxPoints samples, on boundaries of its final step")
  func testSamplerPointCountIsBounded() throws {
    let (sim, _) = try seedRun(requests: 3_000, rate: 10)
    sim.observer = nil
    let sampler = RunSampler(sim: sim)
    sampler.runUntilDrained()
    let s = sampler.samples
    #expect(sampler.count <= RunSampler.defaultMaxPoints)
    #expect(sampler.count >= RunSampler.defaultMaxPoints / 5)
    #expect(s.times.count == sampler.count + 1)
    // 300 s of load: a 1 s step (600 ms steps are not on the ladder).
    #expect(s.step == .seconds(1))
    let step = s.step.seconds
    for t in s.times.dropLast() { #expect((t / step).rounded() * step == t) }
    #expect(s.times.last == (sim.now - sim.topology.startTime).seconds)
    // Every series has one value per sample.
    #expect(s.queues.allSatisfy { $0.visible.count == s.times.count && $0.inFlight.count == s.times.count })
    #expect(s.latency.p99.count == s.times.count)
    // A tiny bound coarsens further, never past it.
    let (small, _) = try seedRun(requests: 3_000, rate: 10)
    let tight = RunSampler(sim: small, maxPoints: 30)
    tight.runUntilDrained()
    #expect(tight.count <= 30)
    #expect(tight.samples.step == .seconds(20))
  }

  @Test("A sampler's memory does not grow with virtual time: 400 days of waiting keep at most 600 samples")
  func testLongIdleTimeKeepsTheBound() throws {
    let (sim, _) = try seedRun(requests: 0)
    let sampler = RunSampler(sim: sim)
    sampler.advance(to: sim.now + .days(400))
    #expect(sampler.count <= 600)
    #expect(sampler.step >= .days(1))
    // A clock at the end of time (a replay whose jobs ran out) ends the samples, without a trap.
    sim.moveClock(to: .distantFuture)
    sampler.finish()
    #expect(sampler.count <= 600)
    #expect(sampler.samples.times.allSatisfy { $0.isFinite })
  }

  @Test("Coarsened samples are what sampling at the final step from the start takes")
  func testCoarsenedSamplesEqualSamplingAtTheFinalStep() throws {
    let (a, _) = try seedRun(requests: 400, rate: 20)
    let adaptive = RunSampler(sim: a)
    adaptive.runUntilDrained()
    let step = adaptive.step
    #expect(step > .milliseconds(1))
    let (b, _) = try seedRun(requests: 400, rate: 20)
    let fixed = RunSampler(sim: b, initialStep: step)
    fixed.runUntilDrained()
    let x = adaptive.samples
    let y = fixed.samples
    #expect(x.times == y.times)
    #expect(x.queues.map(\.visible) == y.queues.map(\.visible))
    #expect(x.queues.map(\.inFlight) == y.queues.map(\.inFlight))
    #expect(x.functions.map(\.concurrency) == y.functions.map(\.concurrency))
    #expect(x.functions.map(\.errors) == y.functions.map(\.errors))
    #expect(x.mappingPollers == y.mappingPollers)
    #expect(x.latency.p99 == y.latency.p99)
  }

  @Test("Samples agree with the run's counters: per-step totals add up, the last sample is the end state")
  func testSamplesAgreeWithTheCounters() throws {
    let (sim, _) = try seedRun(requests: 300, rate: 100) { t in
      t.functions[1].failure.errorRate = 0.2
      t.functions[2].reservedConcurrency = 2
    }
    let sampler = RunSampler(sim: sim)
    sampler.runUntilDrained()
    let s = sampler.samples
    for (i, f) in sim.functions.enumerated() {
      #expect(s.functions[i].invocations.compactMap { $0 }.reduce(0, +) == Double(f.counters.invocations))
      #expect(s.functions[i].errors.compactMap { $0 }.reduce(0, +) == Double(f.counters.errors))
      #expect(s.functions[i].throttles.compactMap { $0 }.reduce(0, +) == Double(f.counters.throttles))
      // The peak in each step: the largest is the run's maximum concurrency.
      #expect(s.functions[i].concurrency.compactMap { $0 }.max() == Double(f.counters.maxConcurrency))
    }
    #expect(sim.functions[1].counters.errors > 0)
    #expect(s.latency.completed.compactMap { $0 }.reduce(0, +) == Double(sim.tracker.endToEnd.count))
    for (q, queue) in sim.queues.enumerated() {
      #expect(s.queues[q].depth.last! == Double(queue.depth))
      #expect(s.queues[q].visible.first! == 0)
    }
    // Latency points lie within the run's extremes.
    let all = LatencySummary(sim.tracker.endToEnd)
    #expect(s.latency.p99.compactMap { $0 }.allSatisfy { $0 <= all.max.milliseconds })
    #expect(s.latency.p50.compactMap { $0 }.count > 10)
  }

  @Test("A probe is sampled with the rest and drawn on a chart of its own (the hook for a cost series)")
  func testProbeIsSampledAndCharted() throws {
    let (sim, _) = try seedRun(requests: 100, rate: 100)
    let probes = [
      ReportProbe(
        chart: "cost", chartTitle: "Cost", yTitle: "cost", unit: "USD", series: "invocations × 1¢", kind: .total,
        read: { sim in Double(sim.functions.reduce(0) { $0 + $1.counters.invocations }) / 100 }),
      ReportProbe(
        chart: "cost", chartTitle: "Cost", yTitle: "cost", unit: "USD", series: "so far", kind: .gauge,
        read: { sim in Double(sim.functions.reduce(0) { $0 + $1.counters.invocations }) / 100 }),
    ]
    let sampler = RunSampler(sim: sim, probes: probes)
    sampler.runUntilDrained()
    let s = sampler.samples
    #expect(s.probes.count == 2)
    let total = Double(sim.functions.reduce(0) { $0 + $1.counters.invocations }) / 100
    #expect(abs(s.probes[0].values.compactMap { $0 }.reduce(0, +) - total) < 1e-9)
    #expect(s.probes[1].values.last! == total)
    let charts = RunReportPage.charts(layout: sim.layout, samples: s)
    let cost = try #require(charts.first { $0.id == "cost" })
    #expect(cost.series.map(\.name) == ["invocations × 1¢", "so far"])
    let page = RunReportPage.html(
      report: RunReport(sim: sim, scenario: "probe", drained: true, wallSeconds: 0), samples: s)
    #expect(page.contains("data-chart=\"cost\""))
    #expect(page.contains("<section id=\"more\">"))
  }
}
