import FanoutSim
import Foundation
import Yams

// MARK: - A scenario: topology, load, timeline, expectations

/// A promise a scenario makes, checked after a headless run.
public enum Expectation: Equatable, Sendable {
  case allRequestsComplete
  case maxFailedRequests(Int)
  case maxInDeadLetterQueues(Int)
  case maxInQueue(String, Int)
  /// At least N messages stay in this queue at the end (a dead-letter queue or destination that
  /// must have caught something).
  case minInQueue(String, Int)
  case p99LatencyBelow(SimDuration)
  case maxAgeOfOldestMessage(String, SimDuration)
  /// At least N stage completions of this stage were repeats (a non-idempotent handler, at-least-once delivery).
  case minDuplicateStageCompletions(String, Int)
  /// At most N stage completions of this stage were repeats.
  case maxDuplicateStageCompletions(String, Int)
  /// What the run cost (`total`, a service — `lambda`, `sqs`, `sns`, `s3` — or a component by
  /// name) at most / at least this many dollars, at the built-in prices.
  case maxCostUSD(String, Double)
  case minCostUSD(String, Double)
  /// A service's share of the whole bill is at least this fraction.
  case minCostShare(String, Double)
}

/// A whole scenario file, validated.
public struct Scenario: Sendable {
  public var name: String
  public var description: String
  public var seed: UInt64
  public var topology: Topology
  public var loads: [Load]
  public var timeline: [(at: SimDuration, action: ScenarioAction)]
  public var expectations: [Expectation]

  /// A simulation of the scenario, its load and timeline scheduled.
  public func simulation(seed override: UInt64? = nil) throws -> Simulation {
    let sim = try Simulation(topology: topology, seed: override ?? seed)
    for l in loads { sim.addLoad(l.spec, target: l.target) }
    for (at, a) in timeline { sim.schedule(a, at: at) }
    return sim
  }
}

/// Largest scenario file read.
public let maxScenarioBytes = 1_048_576

extension Scenario {
  /// Reads and validates a scenario file: the scenario, or nil, and every problem found.
  public static func load(path: String) -> (Scenario?, [Diagnostic]) {
    switch readText(path: path) {
    case .success(let text): return parse(text, file: path)
    case .failure(let d): return (nil, [d])
    }
  }

  /// A scenario file's text, or the problem that stops it being read: unreadable, over
  /// `maxScenarioBytes`, not UTF-8.
  static func readText(path: String) -> Result<String, Diagnostic> {
    func fail(_ m: String) -> Result<String, Diagnostic> {
      .failure(Diagnostic(severity: .error, file: path, line: 1, column: 1, path: "", message: m))
    }
    guard let attrs = try? FileManager.default.attributesOfItem(atPath: path) else {
      return fail("cannot read the file")
    }
    if let size = attrs[.size] as? Int, size > maxScenarioBytes {
      return fail("the file is \(size) bytes; scenario files are at most \(maxScenarioBytes)")
    }
    guard let data = FileManager.default.contents(atPath: path) else { return fail("cannot read the file") }
    guard let text = String(data: data, encoding: .utf8) else { return fail("the file is not UTF-8 text") }
    return .success(text)
  }

  /// Parses and validates scenario text.
  public static func parse(_ text: String, file: String) -> (Scenario?, [Diagnostic]) {
    let r = Reader(file: file)
    let root: Node
    do {
      guard let n = try Yams.compose(yaml: text) else {
        r.error(nil, "", "the file is empty: a scenario needs at least topics, queues and functions")
        return (nil, r.diagnostics)
      }
      root = n
    } catch let e as YamlError {
      let (line, column, message) = locate(e)
      return (nil, [Diagnostic(severity: .error, file: file, line: line, column: column, path: "", message: message)])
    } catch {
      r.error(nil, "", "not YAML: \(error)")
      return (nil, r.diagnostics)
    }
    let s = ScenarioParser(r).parse(root)
    return (r.hasErrors ? nil : s, r.diagnostics)
  }

  static func locate(_ e: YamlError) -> (Int, Int, String) {
    switch e {
    case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
      .composer(_, let problem, let mark, _):
      return (mark.line, mark.column, "not valid YAML: \(problem)")
    default:
      return (1, 1, "not valid YAML: \(e)")
    }
  }
}
