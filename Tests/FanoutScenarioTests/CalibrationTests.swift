import Foundation
import Testing

@testable import FanoutScenario
@testable import FanoutSim

/// The calibration measures: how a run's samples become the figure compared with AWS's, and how
/// a calibration block is read.
@Suite("Calibration measures")
struct CalibrationTests {
  /// A calibration file: one queue with a DLQ, one function, its trigger, and the given load and
  /// checks.
  static func experiment(
    load: String, checks: String, mapping: String = "", function: String = "duration: 100ms", duration: String = "3m"
  ) throws -> CalibrationExperiment {
    let text = """
      name: calibration-test
      seed: 1
      queues:
        - name: work
          VisibilityTimeout: 60
          RedrivePolicy: { deadLetterTargetArn: work-dlq, maxReceiveCount: 5 }
        - name: work-dlq
      functions:
        - name: worker
          handler: { type: compute }
          \(function)
          perRecord: 0ms
      eventSourceMappings:
        - queue: work
          function: worker
          \(mapping)
      load:
        \(load)
      calibration:
        source: https://example.com/
        experiment: test
        duration: \(duration)
        checks:
      \(checks)
      """
    let (e, d) = CalibrationExperiment.parse(text, file: "test.yaml")
    guard let e else { throw TopologyError(d.map(\.description).joined(separator: "\n")) }
    return e
  }

  static func check(_ measure: String) -> String {
    """
        - name: figure
          measure: \(measure)
          published: 1
          tolerance: { factor: 2 }
    """
  }

  static func problems(_ measure: String) -> [String] {
    let text = """
      queues: [{ name: work }]
      functions: [{ name: worker, handler: { type: compute } }]
      eventSourceMappings: [{ queue: work, function: worker }]
      calibration:
        source: s
        experiment: e
        duration: 1m
        checks:
          - { name: f, measure: \(measure), published: 1, tolerance: { factor: 2 } }
      """
    let (e, d) = CalibrationExperiment.parse(text, file: "test.yaml")
    #expect(e == nil)
    return d.filter { $0.severity == .error }.map(\.message)
  }

  @Test("timeToConcurrency is the first second whose peak reaches the goal, counted from 1")
  func testTimeToConcurrencyIsTheFirstSecondAtTheGoal() {
    var s = CalibrationSamples()
    s.peak["f"] = [5, 5, 8, 12, 20, 20, 19]
    #expect(s.value(.timeToConcurrency(function: "f", concurrency: 12)) == 4)
    #expect(s.value(.timeToConcurrency(function: "f", concurrency: 20)) == 5)
    #expect(s.value(.timeToConcurrency(function: "f", concurrency: 5)) == 1)
  }

  @Test("timeToConcurrency of a run that never gets there is the run's length + 1 s, so no bound passes by accident")
  func testTimeToConcurrencyNeverReachedIsLaterThanTheRun() {
    var s = CalibrationSamples()
    s.peak["f"] = [5, 5, 8]
    #expect(s.value(.timeToConcurrency(function: "f", concurrency: 9)) == 4)
  }

  @Test("emptyReceives and deadLettered are sums per minute, then the statistic over the minutes")
  func testQueueCountsArePerMinuteSums() {
    var s = CalibrationSamples()
    s.emptyReceives["q"] =
      Array(repeating: 1, count: 60) + Array(repeating: 0, count: 60) + [30] + Array(repeating: 0, count: 59)
    s.deadLettered["q"] = [0, 3] + Array(repeating: 0, count: 118)
    let all = CalibrationWindow(from: .zero, to: .minutes(3))
    #expect(s.value(.emptyReceives(queue: "q", all, .average)) == 30)
    #expect(s.value(.emptyReceives(queue: "q", all, .maximum)) == 60)
    #expect(s.value(.emptyReceives(queue: "q", all, .sum)) == 90)
    #expect(s.value(.deadLettered(queue: "q", CalibrationWindow(from: .zero, to: .minutes(2)), .sum)) == 3)
    #expect(s.value(.deadLettered(queue: "q", CalibrationWindow(from: .minutes(1), to: .minutes(2)), .sum)) == 0)
  }

  @Test("messageAge takes the records of the invocations that start in the window, not per minute")
  func testMessageAgeIsOverTheRecordsInvokedInTheWindow() {
    var s = CalibrationSamples()
    s.ages["f"] = [(at: 10, age: 1), (at: 20, age: 3), (at: 70, age: 20)]
    #expect(s.value(.messageAge(function: "f", CalibrationWindow(from: .zero, to: .minutes(1)), .average)) == 2)
    #expect(s.value(.messageAge(function: "f", CalibrationWindow(from: .zero, to: .minutes(2)), .maximum)) == 20)
    #expect(s.value(.messageAge(function: "f", CalibrationWindow(from: .minutes(1), to: .minutes(2)), .average)) == 20)
  }

  @Test("A run's emptyReceives add up to the queue's NumberOfEmptyReceives, idle long polls included")
  func testEmptyReceivesAddUpToTheQueueCounter() throws {
    let e = try Self.experiment(
      load: "- burst: { at: 30s, count: 20, queue: work }",
      checks: Self.check("{ emptyReceives: { queue: work, during: [0s, 3m], statistic: sum } }"))
    let sim = try e.scenario.simulation()
    let s = CalibrationSamples.record(sim, for: .minutes(3))
    let total = s.value(.emptyReceives(queue: "work", CalibrationWindow(from: .zero, to: .minutes(3)), .sum))
    #expect(total > 0)
    #expect(Int(total) == sim.emptyReceives(sim.queues[0]))
  }

  @Test("A run's deadLettered add up to the messages the redrive policy moved")
  func testDeadLetteredAddsUpToTheMovedMessages() throws {
    let e = try Self.experiment(
      load: "- burst: { at: 1s, count: 10, queue: work }",
      checks: Self.check("{ deadLettered: { queue: work, during: [0s, 10m], statistic: sum } }"),
      function: "duration: 100ms\n    failure: { errorRate: 1 }", duration: "10m")
    let results = try e.run()
    let sim = try e.scenario.simulation()
    let s = CalibrationSamples.record(sim, for: .minutes(10))
    #expect(sim.queues[0].counters.movedToDLQ == 10)
    #expect(s.value(.deadLettered(queue: "work", CalibrationWindow(from: .zero, to: .minutes(10)), .sum)) == 10)
    #expect(results[0].measured == 10)
  }

  @Test("messageAge is measured from SentTimestamp: a message waits out its DelaySeconds before any poller sees it")
  func testMessageAgeCountsFromTheSend() throws {
    let e = try Self.experiment(
      load: "- constant: { rate: 1, count: 5, start: 10s, queue: work }",
      checks: Self.check("{ messageAge: { function: worker, during: [0s, 3m], statistic: maximum } }"))
    let quick = try e.run()[0].measured
    #expect(quick > 0 && quick < 1, "an idle poller picks a message up within its pickup latency")
    var delayed = e
    delayed.scenario.topology.queues[0].delay = .seconds(7)
    let slow = try delayed.run()[0].measured
    #expect(slow >= 7 && slow < 8)
  }

  @Test("The new measures are read from a calibration block, with their fields checked")
  func testNewMeasuresAreRead() throws {
    let e = try Self.experiment(
      load: "- burst: { at: 1s, count: 10, queue: work }",
      checks: [
        Self.check("{ timeToConcurrency: { function: worker, concurrency: 5 } }"),
        Self.check("{ emptyReceives: { queue: work, during: [0s, 1m] } }"),
        Self.check("{ deadLettered: { queue: work, during: [0s, 1m], statistic: maximum } }"),
        Self.check("{ messageAge: { function: worker, during: [0s, 1m] } }"),
      ].joined(separator: "\n"))
    let kinds = e.checks.map { c -> String in
      switch c.measure {
      case .timeToConcurrency(let f, let n): return "time \(f) \(n)"
      case .emptyReceives(let q, _, let st): return "empty \(q) \(st)"
      case .deadLettered(let q, _, let st): return "dlq \(q) \(st)"
      case .messageAge(let f, _, let st): return "age \(f) \(st)"
      default: return "other"
      }
    }
    #expect(kinds == ["time worker 5", "empty work average", "dlq work maximum", "age worker average"])
  }

  @Test("A measure's missing or wrong fields are refused with the reason")
  func testBadMeasuresAreRefused() {
    #expect(Self.problems("{ timeToConcurrency: { function: worker } }").contains { $0.contains("'concurrency'") })
    #expect(
      Self.problems("{ messageAge: { function: worker, during: [0s, 1m], statistic: sum } }").contains {
        $0.contains("average or maximum")
      })
    #expect(
      Self.problems("{ emptyReceives: { queue: nowhere, during: [0s, 1m] } }").contains { $0.contains("not defined") })
    #expect(Self.problems("{ batchCount: { function: worker } }").contains { $0.contains("messageAge") })
  }

  @Test("The files in calibration/ all load, and none sits in both calibration/ and calibration/pending/")
  func testCalibrationFilesLoad() throws {
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    let fm = FileManager.default
    var names: [String: [String]] = [:]
    for dir in ["calibration", "calibration/pending"] {
      let path = root.appendingPathComponent(dir).path
      let files = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
      names[dir] = files
      for f in files {
        let (e, d) = CalibrationExperiment.load(path: path + "/" + f)
        #expect(e != nil, "\(dir)/\(f): \(d.map(\.description).joined(separator: "; "))")
      }
    }
    #expect(!(names["calibration"] ?? []).isEmpty)
    #expect(Set(names["calibration"] ?? []).isDisjoint(with: names["calibration/pending"] ?? []))
  }
}
