import Foundation
import Testing

@testable import FanoutScenario
@testable import FanoutSim

func configPath(_ name: String) -> String {
  var root = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { root.deleteLastPathComponent() }
  return root.appendingPathComponent("config/\(name)").path
}

func loadConfig(_ name: String) throws -> Scenario {
  let (s, d) = Scenario.load(path: configPath(name))
  guard let s else { throw TopologyError(d.map(\.description).joined(separator: "\n")) }
  return s
}

/// Runs a scenario headless; returns the simulation and the verdicts.
func runConfig(_ name: String) throws -> (Simulation, [Verdict]) {
  let s = try loadConfig(name)
  let sim = try s.simulation()
  sim.runUntilDrained()
  return (sim, s.expectations.map { $0.check(sim) })
}

@Suite("The scenarios in config/")
struct ConfigTests {
  static let files = [
    "seed-pipeline.yaml", "fanout-five.yaml", "slow-consumer.yaml", "poison-dlq.yaml", "filter-routing.yaml",
    "partial-batch.yaml", "burst-scaling.yaml", "at-least-once.yaml", "order-pipeline.yaml", "sns-to-lambda.yaml",
    "idle-pollers.yaml", "batching-cost.yaml",
  ]

  @Test("The list above names every scenario in config/, each once")
  func listIsComplete() throws {
    let dir = URL(fileURLWithPath: configPath("")).path
    let present = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }
    #expect(Set(ConfigTests.files).count == ConfigTests.files.count, "a file is listed twice")
    #expect(present.sorted() == ConfigTests.files.sorted())
  }

  @Test("Every example validates, runs, and keeps its expectations", arguments: files)
  func keepsPromises(file: String) throws {
    let (sim, verdicts) = try runConfig(file)
    #expect(!verdicts.isEmpty)
    for v in verdicts { #expect(v.held, "\(file): \(v.text)") }
    #expect(sim.conservation.holds)
  }

  @Test("seed-pipeline.yaml behaves exactly as the built-in pipeline: the same events, byte for byte")
  func seedPipelineMatchesBuiltIn() throws {
    let s = try loadConfig("seed-pipeline.yaml")
    func log(_ sim: Simulation) -> String {
      var lines: [String] = []
      sim.observer = { lines.append($0.jsonLine) }
      sim.startLoad(count: 40, rate: 100)
      sim.runUntilDrained()
      return lines.joined(separator: "\n")
    }
    let fromFile = log(try Simulation(topology: s.topology, seed: 9))
    let builtIn = log(try Simulation(topology: .seedPipeline(), seed: 9))
    #expect(fromFile == builtIn)
    #expect(fromFile.count > 10_000)
  }

  @Test("Poison: DLQ messages = poisoned requests × subscribed queues, each after maxReceiveCount receives")
  func poisonLesson() throws {
    let s = try loadConfig("poison-dlq.yaml")
    let sim = try s.simulation()
    var receives: [UUID128: Int] = [:]
    sim.observer = { e in
      if case .sqsDLQ(_, _, let id, let count, _, _) = e.kind { receives[id] = count }
    }
    sim.runUntilDrained()
    let poisoned = (1...sim.tracker.fired).compactMap { sim.tracker.requestID(ofFire: $0) }.filter {
      $0.hex.hasPrefix("0")
    }
    #expect(!poisoned.isEmpty)
    let dlqTotal = sim.queues.filter { $0.name.hasSuffix("-dlq") }.reduce(0) { $0 + $1.depth }
    #expect(dlqTotal == poisoned.count * 3)
    #expect(receives.count == dlqTotal && receives.values.allSatisfy { $0 == 3 })
  }

  @Test("Slow consumer: its queue backs up far beyond the others")
  func slowConsumerLesson() throws {
    let (sim, _) = try runConfig("slow-consumer.yaml")
    let slow = sim.queue(named: "service02")!.counters.maxDepth
    let fast = sim.queue(named: "service01")!.counters.maxDepth
    #expect(slow > 50 && slow > 10 * fast, "service02 max depth \(slow), service01 \(fast)")
  }

  @Test("Partial batch failures: with ReportBatchItemFailures nothing is lost; without it, failed records are")
  func partialBatchLesson() throws {
    let (sim, _) = try runConfig("partial-batch.yaml")
    let b = sim.bucket(named: "fanout-bucket")!
    let fired = sim.tracker.fired
    let written1 = b.list(prefix: "fanout/service01/").keyCount
    let written2 = b.list(prefix: "fanout/service02/").keyCount
    #expect(written1 == fired - sim.queue(named: "service01-dlq")!.depth)
    #expect(written2 < fired - 20, "service02 lost the records it failed: \(written2) of \(fired)")
  }

  @Test("Filter routing: each order reaches exactly the queues whose policy matches")
  func filterRoutingLesson() throws {
    let (sim, _) = try runConfig("filter-routing.yaml")
    #expect(sim.queue(named: "books")!.counters.sent == 2)
    #expect(sim.queue(named: "pens")!.counters.sent == 1)
    #expect(sim.queue(named: "other")!.counters.sent == 1)
    #expect(sim.queue(named: "large")!.counters.sent == 2)
    #expect(sim.topic(named: "orders")!.counters.filteredOut == 10)
    #expect(sim.sinks[0].received == 6)
  }

  @Test("At-least-once: a duplicate makes a non-idempotent handler write and notify twice, an idempotent one never")
  func testIdempotentHandlerIgnoresDuplicates() throws {
    let (sim, _) = try runConfig("at-least-once.yaml")
    let fired = sim.tracker.fired
    let t = sim.tracker
    #expect(t.duplicateCompletionsByStage[t.stages.firstIndex(of: "service01")!] > 0)
    #expect(t.duplicateCompletionsByStage[t.stages.firstIndex(of: "service02")!] == 0)
    let sink = { (name: String) in sim.sinks.first { $0.name == name }!.received }
    #expect(sink("email01") > fired, "extra notifications from the non-idempotent service")
    #expect(sink("email02") == fired, "exactly one per request from the idempotent one")
    #expect(sim.queues.allSatisfy { $0.counters.duplicated > 0 })
    #expect(sim.topic(named: "connector")!.counters.duplicated > 0)
  }

  @Test("Burst: the pollers ramp up well past their starting 5 concurrent batches")
  func burstLesson() throws {
    let (sim, _) = try runConfig("burst-scaling.yaml")
    for m in sim.mappings { #expect(m.counters.maxBatches > 50, "\(m.name): \(m.counters.maxBatches)") }
  }
}

@Suite("Scenario options and robustness")
struct ScenarioOptionTests {
  @Test("duplicateRate (queue and subscription) and RecursiveLoop are read; a bad value is refused in Lambda's words")
  func testAtLeastOnceAndRecursionKeysAreRead() throws {
    let base = try String(contentsOfFile: configPath("seed-pipeline.yaml"), encoding: .utf8)
    let text =
      base
      .replacingOccurrences(
        of: "  - name: service01\n    RedrivePolicy",
        with: "  - name: service01\n    duplicateRate: 0.25\n    RedrivePolicy"
      )
      .replacingOccurrences(
        of: "      - queue: service01\n", with: "      - queue: service01\n        duplicateRate: 0.5\n"
      )
      .replacingOccurrences(
        of: "stage: service01, topic: notifier }",
        with: "stage: service01, topic: notifier, idempotent: true }\n    RecursiveLoop: Allow")
    let (s, d) = Scenario.parse(text, file: "t.yaml")
    let t = try #require(s, "\(d)").topology
    #expect(t.queues.first { $0.name == "service01" }!.duplicateRate == 0.25)
    #expect(t.topics[0].subscriptions[0].duplicateRate == 0.5)
    let f = t.functions.first { $0.name == "service01" }!
    #expect(f.recursiveLoop == .allow && f.idempotent)
    #expect(t.functions.first { $0.name == "service02" }!.recursiveLoop == .terminate)
    let bad = text.replacingOccurrences(of: "RecursiveLoop: Allow", with: "RecursiveLoop: Sometimes")
      .replacingOccurrences(of: "duplicateRate: 0.25", with: "duplicateRate: 2")
    let (none, problems) = Scenario.parse(bad, file: "t.yaml")
    #expect(none == nil)
    #expect(problems.contains { $0.message.contains("Member must satisfy enum value set: [Allow, Terminate]") })
    #expect(problems.contains { $0.path.hasSuffix("duplicateRate") })
  }

  @Test("A seed-service handler changes the field and value it is given")
  func fieldAndValue() throws {
    let text = try String(contentsOfFile: configPath("seed-pipeline.yaml"), encoding: .utf8)
      .replacingOccurrences(
        of: "stage: service02, topic: notifier }",
        with: "stage: service02, topic: notifier, field: key2, value: {done: true} }"
      )
      .replacingOccurrences(of: "seed: 1\n", with: "seed: 1\nstart: 2030-05-06T07:08:09.5Z\n")
    let (s, d) = Scenario.parse(text, file: "t.yaml")
    let scenario = try #require(s, "\(d)")
    #expect(
      scenario.topology.startTime
        == CivilTime.instant(year: 2030, month: 5, day: 6, hour: 7, minute: 8, second: 9, microsecond: 500_000))
    let sim = try scenario.simulation()
    sim.runUntilDrained()
    let b = sim.bucket(named: "fanout-bucket")!
    let key = b.list(prefix: "fanout/service02/").contents[0].key
    #expect(b.peek(key: key) == "{\"key1\": \"val1\", \"key2\": {\"done\": true}, \"key3\": \"val3\"}")
    let other = b.list(prefix: "fanout/service01/").contents[0].key
    #expect(b.peek(key: other) == "{\"key1\": null, \"key2\": \"val2\", \"key3\": \"val3\"}")
  }

  @Test("No trap on any input: thousands of corrupted scenario files give diagnostics, never a crash")
  func corruptedFiles() throws {
    var rng = SimRandom(seed: 11, stream: "test/fuzz")
    var rejected = 0
    var accepted = 0
    for file in ConfigTests.files {
      let original = Array(try String(contentsOfFile: configPath(file), encoding: .utf8).utf8)
      for _ in 0..<150 {
        var bytes = original
        for _ in 0..<(1 + Int(rng.next() % 4)) {
          let i = Int(rng.next() % UInt64(bytes.count))
          switch rng.next() % 4 {
          case 0: bytes.remove(at: i)
          case 1: bytes.insert(Array(":-[]{}&*!|>'\"#,? \n\t0aZ".utf8)[Int(rng.next() % 21)], at: i)
          case 2: bytes[i] = UInt8(rng.next() % 128)
          default: bytes = Array(bytes.prefix(i))
          }
          if bytes.isEmpty { bytes = [0x20] }
        }
        let (s, d) = Scenario.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
        if s == nil {
          rejected += 1
          #expect(d.contains { $0.severity == .error }, "a rejected file has an error")
        } else {
          accepted += 1
          #expect(!d.contains { $0.severity == .error }, "an accepted file has no error: \(d)")
        }
      }
    }
    // Both outcomes occur: the corruptions neither all break the files nor all leave them valid.
    #expect(rejected > 100, "rejected \(rejected)")
    #expect(accepted > 25, "accepted \(accepted)")
  }
}

@Suite("Redrive in a scenario timeline")
struct ScenarioRedriveTests {
  @Test("fail, mend, then redrive: the DLQ empties and every request completes")
  func timelineRedrive() throws {
    let text =
      try String(contentsOfFile: configPath("seed-pipeline.yaml"), encoding: .utf8)
      .replacingOccurrences(
        of: "expect:\n  allRequestsComplete: true\n  maxInDeadLetterQueues: 0\n  p99LatencyBelow: 5s\n", with: "")
        + """
        timeline:
          - { at: 0s, fail: { function: service01, errorRate: 1 } }
          - { at: 10m, mend: service01 }
          - { at: 11m, redrive: { from: service01-dlq, rate: 5 } }
        expect:
          allRequestsComplete: true
          maxInDeadLetterQueues: 0

        """
    let (s, d) = Scenario.parse(text, file: "t.yaml")
    let scenario = try #require(s, "\(d)")
    let sim = try scenario.simulation()
    sim.runUntilDrained()
    for v in scenario.expectations.map({ $0.check(sim) }) { #expect(v.held, "\(v.text)") }
    #expect(sim.queue(named: "service01-dlq")!.counters.redriven == 10)
    let bad = text.replacingOccurrences(of: "from: service01-dlq", with: "from: service01")
    #expect(
      Scenario.parse(bad, file: "t.yaml").1.contains {
        $0.message.contains("must be configured as a Dead Letter Queue")
      })
  }
}

@Suite("Inject in a scenario timeline")
struct ScenarioInjectTests {
  @Test("inject at service02's queue only: only service02 acts on it")
  func injectAction() throws {
    let id = md5RequestID("scenario-inject")
    let text =
      try String(contentsOfFile: configPath("seed-pipeline.yaml"), encoding: .utf8)
      .replacingOccurrences(
        of: "  - constant: { rate: 100, count: 10 }\n", with: "  - constant: { rate: 100, count: 1 }\n"
      )
      .replacingOccurrences(
        of: "expect:\n  allRequestsComplete: true\n  maxInDeadLetterQueues: 0\n  p99LatencyBelow: 5s\n", with: "")
        + """
        timeline:
          - { at: 5s, inject: { request_id: \(id.hex), queue: service02 } }
          - { at: 6s, inject: { request_id: \(id.hex), topic: connector, attributes: { stage: again } } }

        """
    let (s, d) = Scenario.parse(text, file: "t.yaml")
    let scenario = try #require(s, "\(d)")
    let sim = try scenario.simulation()
    sim.run(until: sim.topology.startTime + .milliseconds(5_500))
    #expect(sim.function(named: "service02")!.counters.invocations == 2)
    #expect(sim.function(named: "service01")!.counters.invocations == 1)
    #expect(sim.function(named: "service02")!.counters.errors == 1, "no object for that ID yet: NoSuchKey")
    let bad = text.replacingOccurrences(
      of: "request_id: \(id.hex), queue: service02", with: "request_id: \(id.hex), queue: service02, topic: connector")
    #expect(Scenario.parse(bad, file: "t.yaml").1.contains { $0.message.contains("exactly one of topic and queue") })
  }
}
