import FanoutSim
import Foundation
import Yams

// MARK: - Calibration: published measurements of AWS, reproduced

/// A published experiment on AWS as a scenario, with the figures it published and the tolerance
/// fanout is held to. The file is a scenario with a `calibration` block; `fanout calibrate` runs
/// it and compares.
public struct CalibrationExperiment: Sendable {
  public var file: String
  public var scenario: Scenario
  /// Where the figures come from.
  public var source: String
  /// The condition measured, as the source names it.
  public var experiment: String
  /// The checks: what fanout measures, what AWS measured, and the tolerance.
  public var checks: [CalibrationCheck]
  /// How long to run (the experiment's duration).
  public var duration: SimDuration
}

/// One published figure and how fanout's figure is compared with it.
public struct CalibrationCheck: Sendable {
  public var name: String
  public var measure: CalibrationMeasure
  public var published: Double
  public var tolerance: CalibrationTolerance
}

/// A time window of a run, from its start.
public struct CalibrationWindow: Sendable, Equatable {
  public var from: SimDuration
  public var to: SimDuration
}

/// How a per-minute series becomes one figure.
public enum CalibrationStatistic: String, Sendable {
  /// The mean of the per-minute values.
  case average
  /// The largest per-minute value.
  case maximum
  /// The sum over the window.
  case sum
}

/// What fanout measures in a run, CloudWatch-style: at one-minute periods.
public enum CalibrationMeasure: Sendable {
  /// Messages deleted from a queue per second, over the window (SQS NumberOfMessagesDeleted / 60).
  case throughput(queue: String, CalibrationWindow)
  /// How much lower the throughput is in `during` than in `steady`, in percent.
  case throughputReduction(queue: String, steady: CalibrationWindow, during: CalibrationWindow)
  /// A function's ConcurrentExecutions, Maximum per minute, then the statistic over the minutes.
  case concurrency(function: String, CalibrationWindow, CalibrationStatistic)
  /// A function's cold starts (Init Duration lines) per minute.
  case coldStarts(function: String, CalibrationWindow, CalibrationStatistic)
  /// A function's invocations per minute.
  case invocations(function: String, CalibrationWindow, CalibrationStatistic)
  /// A function's throttles per minute.
  case throttles(function: String, CalibrationWindow, CalibrationStatistic)
  /// Seconds from the start until the function first reaches `fraction` of its peak concurrency.
  case rampUp(function: String, fraction: Double)
  /// Seconds from the start until the function first runs `concurrency` executions at once
  /// (one-second resolution); a run that never gets there gives its duration + 1 s.
  case timeToConcurrency(function: String, concurrency: Int)
  /// A queue's NumberOfEmptyReceives per minute (idle long polls of its pollers included).
  case emptyReceives(queue: String, CalibrationWindow, CalibrationStatistic)
  /// Messages a queue's redrive policy moved to its dead-letter queue, per minute.
  case deadLettered(queue: String, CalibrationWindow, CalibrationStatistic)
  /// Seconds from a message's SentTimestamp to the start of the invocation that carries it, over
  /// the records of the invocations that start in the window: their `average` or `maximum` (not
  /// per minute: there is no CloudWatch metric for it; a handler logs it).
  case messageAge(function: String, CalibrationWindow, CalibrationStatistic)

  /// Whether fanout must watch invocations' records to measure it.
  var needsRecords: Bool {
    if case .messageAge = self { return true }
    return false
  }
}

/// How close fanout's figure must be to the published one.
public enum CalibrationTolerance: Sendable, Equatable {
  /// Within ± this much (in the figure's unit, e.g. percentage points).
  case plusMinus(Double)
  /// Within this factor either way.
  case factor(Double)
  /// Between these bounds.
  case range(Double, Double)

  public func holds(_ value: Double, published: Double) -> Bool {
    switch self {
    case .plusMinus(let d): return abs(value - published) <= d + 1e-9
    case .factor(let f): return value >= published / f - 1e-9 && value <= published * f + 1e-9
    case .range(let lo, let hi): return value >= lo - 1e-9 && value <= hi + 1e-9
    }
  }

  public var text: String {
    switch self {
    case .plusMinus(let d): return "±" + CalibrationResult.format(d)
    case .factor(let f): return "×/÷" + CalibrationResult.format(f)
    case .range(let lo, let hi): return "[" + CalibrationResult.format(lo) + ", " + CalibrationResult.format(hi) + "]"
    }
  }
}

/// A check's outcome.
public struct CalibrationResult: Sendable {
  public var experiment: String
  public var check: String
  public var published: Double
  public var measured: Double
  public var tolerance: CalibrationTolerance
  public var holds: Bool

  static func format(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e9 { return String(Int(x)) }
    if abs(x) >= 100 { return String(format: "%.0f", x) }
    return String(format: "%.2f", x)
  }
}

// MARK: Reading

extension CalibrationExperiment {
  /// Reads a calibration file: the scenario and its `calibration` block; problems as diagnostics.
  public static func load(path: String) -> (CalibrationExperiment?, [Diagnostic]) {
    switch Scenario.readText(path: path) {
    case .success(let text): return parse(text, file: path)
    case .failure(let d): return (nil, [d])
    }
  }

  /// Parses a calibration file's text: the scenario and its `calibration` block.
  public static func parse(_ text: String, file path: String) -> (CalibrationExperiment?, [Diagnostic]) {
    let (scenario, problems) = Scenario.parse(text, file: path)
    guard let scenario, !problems.contains(where: { $0.severity == .error }) else { return (nil, problems) }
    let r = Reader(file: path)
    guard let root = try? Yams.compose(yaml: text), case .mapping(let top) = root, let block = top["calibration"]
    else {
      r.error(nil, "calibration", "a calibration file needs a 'calibration' block")
      return (nil, problems + r.diagnostics)
    }
    let parsed = CalibrationParser(r: r, scenario: scenario).parse(block)
    guard var experiment = parsed, !r.hasErrors else { return (nil, problems + r.diagnostics) }
    experiment.file = path
    return (experiment, problems + r.diagnostics)
  }
}

struct CalibrationParser {
  let r: Reader
  let scenario: Scenario

  func parse(_ node: Node) -> CalibrationExperiment? {
    let keys = ["source", "experiment", "decisions", "duration", "checks"]
    guard let m = r.mapping(node, "calibration", keys: keys) else { return nil }
    let d = Dictionary(m, uniquingKeysWith: { a, _ in a })
    guard let source = d["source"].flatMap({ r.string($0, "calibration.source") }),
      let experiment = d["experiment"].flatMap({ r.string($0, "calibration.experiment") }),
      let duration = d["duration"].flatMap({ r.duration($0, "calibration.duration") })
    else {
      r.error(node, "calibration", "a calibration block needs source, experiment and duration")
      return nil
    }
    var checks: [CalibrationCheck] = []
    for (i, c) in (d["checks"].flatMap { r.list($0, "calibration.checks") } ?? []).enumerated() {
      if let check = self.check(c, "calibration.checks[\(i)]") { checks.append(check) }
    }
    if checks.isEmpty { r.error(node, "calibration.checks", "a calibration block needs at least one check") }
    return CalibrationExperiment(
      file: "", scenario: scenario, source: source, experiment: experiment, checks: checks, duration: duration)
  }

  func check(_ node: Node, _ path: String) -> CalibrationCheck? {
    guard let m = r.mapping(node, path, keys: ["name", "measure", "published", "tolerance"]) else { return nil }
    let d = Dictionary(m, uniquingKeysWith: { a, _ in a })
    guard let name = d["name"].flatMap({ r.string($0, path + ".name") }),
      let mn = d["measure"], let measure = self.measure(mn, path + ".measure"),
      let published = d["published"].flatMap({ r.double($0, path + ".published", -1e12...1e12) }),
      let tn = d["tolerance"], let tolerance = self.tolerance(tn, path + ".tolerance")
    else {
      r.error(node, path, "a check needs name, measure, published and tolerance")
      return nil
    }
    return CalibrationCheck(name: name, measure: measure, published: published, tolerance: tolerance)
  }

  func window(_ node: Node?, _ path: String) -> CalibrationWindow? {
    guard let node, let l = r.list(node, path), l.count == 2,
      let a = r.duration(l[0], path + "[0]"), let b = r.duration(l[1], path + "[1]"), a < b
    else {
      r.error(node, path, "a window is [from, to], from before to")
      return nil
    }
    return CalibrationWindow(from: a, to: b)
  }

  func measure(_ node: Node, _ path: String) -> CalibrationMeasure? {
    let kinds = [
      "throughput", "throughputReduction", "concurrency", "coldStarts", "invocations", "throttles", "rampUp",
      "timeToConcurrency", "emptyReceives", "deadLettered", "messageAge",
    ]
    guard let m = r.mapping(node, path, keys: kinds), m.count == 1, let (kind, body) = m.first else {
      r.error(node, path, "a measure is one of " + kinds.joined(separator: ", "))
      return nil
    }
    let p = path + "." + kind
    let fieldKeys = ["queue", "function", "during", "steady", "statistic", "fraction", "concurrency"]
    guard let fields = r.mapping(body, p, keys: fieldKeys) else { return nil }
    let d = Dictionary(fields, uniquingKeysWith: { a, _ in a })
    func name(_ k: String) -> String? {
      guard let v = d[k], let s = r.string(v, p + "." + k) else {
        r.error(body, p, "\(kind) needs '\(k)'")
        return nil
      }
      let known =
        k == "queue"
        ? scenario.topology.queues.contains { $0.name == s } : scenario.topology.functions.contains { $0.name == s }
      if !known { r.error(v, p + "." + k, "\(k) '\(s)' is not defined") }
      return s
    }
    func statistic() -> CalibrationStatistic? {
      guard let v = d["statistic"] else { return .average }
      guard let s = r.string(v, p + ".statistic"), let st = CalibrationStatistic(rawValue: s) else {
        r.error(v, p + ".statistic", "statistic is one of average, maximum, sum")
        return nil
      }
      return st
    }
    switch kind {
    case "throughput":
      guard let q = name("queue"), let w = window(d["during"], p + ".during") else { return nil }
      return .throughput(queue: q, w)
    case "throughputReduction":
      guard let q = name("queue"), let s = window(d["steady"], p + ".steady"),
        let w = window(d["during"], p + ".during")
      else { return nil }
      return .throughputReduction(queue: q, steady: s, during: w)
    case "rampUp":
      guard let f = name("function") else { return nil }
      let fraction = d["fraction"].flatMap { r.double($0, p + ".fraction", 0.01...1) } ?? 0.95
      return .rampUp(function: f, fraction: fraction)
    case "timeToConcurrency":
      guard let f = name("function") else { return nil }
      guard let v = d["concurrency"], let n = r.double(v, p + ".concurrency", 1...100_000) else {
        r.error(body, p, "timeToConcurrency needs 'concurrency': the number of concurrent executions to reach")
        return nil
      }
      return .timeToConcurrency(function: f, concurrency: Int(n))
    case "emptyReceives", "deadLettered":
      guard let q = name("queue"), let w = window(d["during"], p + ".during"), let st = statistic() else {
        return nil
      }
      return kind == "emptyReceives" ? .emptyReceives(queue: q, w, st) : .deadLettered(queue: q, w, st)
    case "messageAge":
      guard let f = name("function"), let w = window(d["during"], p + ".during"), let st = statistic() else {
        return nil
      }
      if st == .sum {
        r.error(d["statistic"], p + ".statistic", "a message age's statistic is average or maximum")
        return nil
      }
      return .messageAge(function: f, w, st)
    default:
      guard let f = name("function"), let w = window(d["during"], p + ".during"), let st = statistic() else {
        return nil
      }
      switch kind {
      case "concurrency": return .concurrency(function: f, w, st)
      case "coldStarts": return .coldStarts(function: f, w, st)
      case "invocations": return .invocations(function: f, w, st)
      default: return .throttles(function: f, w, st)
      }
    }
  }

  func tolerance(_ node: Node, _ path: String) -> CalibrationTolerance? {
    guard let m = r.mapping(node, path, keys: ["plusMinus", "factor", "range"]), m.count == 1, let (k, v) = m.first
    else {
      r.error(node, path, "a tolerance is one of plusMinus, factor, range")
      return nil
    }
    switch k {
    case "plusMinus": return r.double(v, path + ".plusMinus", 0...1e12).map { .plusMinus($0) }
    case "factor": return r.double(v, path + ".factor", 1...1e6).map { .factor($0) }
    default:
      guard let l = r.list(v, path + ".range"), l.count == 2,
        let a = r.double(l[0], path + ".range[0]", -1e12...1e12),
        let b = r.double(l[1], path + ".range[1]", -1e12...1e12),
        a <= b
      else {
        r.error(v, path + ".range", "a range is [low, high]")
        return nil
      }
      return .range(a, b)
    }
  }
}

// MARK: Running

/// Per-second samples of a run, from which the CloudWatch-style minute figures come.
public struct CalibrationSamples: Sendable {
  /// Per function: invocations, cold starts, throttles, errors and peak concurrency each second.
  public var invocations: [String: [Int]] = [:]
  public var coldStarts: [String: [Int]] = [:]
  public var throttles: [String: [Int]] = [:]
  public var peak: [String: [Int]] = [:]
  /// Per queue: messages deleted each second.
  public var deleted: [String: [Int]] = [:]
  /// Per queue: empty receives (NumberOfEmptyReceives, idle long polls included) each second.
  public var emptyReceives: [String: [Int]] = [:]
  /// Per queue: messages its redrive policy moved to its dead-letter queue each second.
  public var deadLettered: [String: [Int]] = [:]
  /// Per function, when watched: for each record invoked, the invocation's start (seconds from
  /// the run's start) and the record's age then (seconds since its SentTimestamp).
  public var ages: [String: [(at: Double, age: Double)]] = [:]

  /// Runs a simulation for `duration`, sampling every second; with `records`, it also watches
  /// each invocation's records (their ages), which costs an event per change.
  public static func record(_ sim: Simulation, for duration: SimDuration, records: Bool = false)
    -> CalibrationSamples
  {
    var s = CalibrationSamples()
    let start = sim.now
    let seconds = Int(duration / .seconds(1))
    var lastF = sim.functions.map { ($0.counters.invocations, $0.counters.coldStarts, $0.counters.throttles) }
    var lastQ = sim.queues.map { ($0.counters.deleted, sim.emptyReceives($0), $0.counters.movedToDLQ) }
    for f in sim.functions { f.markPeak() }
    let watch = AgeWatch(start: start.epochMillis)
    if records {
      let previous = sim.observer
      sim.observer = { event in
        let e = event
        if case .lambdaInvoke(let function, _, _, _, _, let event?) = e.kind { watch.add(function, e.time, event) }
        previous?(e)
      }
    }
    for k in 1...max(1, seconds) {
      sim.run(until: start + .seconds(Int64(k)))
      for (i, f) in sim.functions.enumerated() {
        let c = f.counters
        s.invocations[f.name, default: []].append(c.invocations - lastF[i].0)
        s.coldStarts[f.name, default: []].append(c.coldStarts - lastF[i].1)
        s.throttles[f.name, default: []].append(c.throttles - lastF[i].2)
        s.peak[f.name, default: []].append(f.peakRunning)
        f.markPeak()
        lastF[i] = (c.invocations, c.coldStarts, c.throttles)
      }
      for (i, q) in sim.queues.enumerated() {
        let now = (q.counters.deleted, sim.emptyReceives(q), q.counters.movedToDLQ)
        s.deleted[q.name, default: []].append(now.0 - lastQ[i].0)
        s.emptyReceives[q.name, default: []].append(now.1 - lastQ[i].1)
        s.deadLettered[q.name, default: []].append(now.2 - lastQ[i].2)
        lastQ[i] = now
      }
    }
    s.ages = watch.ages
    return s
  }

  /// Collects the ages of invoked records as the events come.
  final class AgeWatch {
    let start: Int64
    var ages: [String: [(at: Double, age: Double)]] = [:]
    init(start: Int64) { self.start = start }
    func add(_ function: String, _ time: SimTime, _ records: [LambdaRecord]) {
      let now = time.epochMillis
      for r in records {
        ages[function, default: []].append(
          (at: Double(now - start) / 1_000, age: Double(now - r.sentTimestamp) / 1_000))
      }
    }
  }

  /// Seconds [from, to) of a window.
  static func range(_ w: CalibrationWindow, count: Int) -> Range<Int> {
    let a = max(0, min(count, Int(w.from / .seconds(1))))
    let b = max(a, min(count, Int(w.to / .seconds(1))))
    return a..<b
  }

  /// Per-minute values of a per-second series over a window: sums, or maxima.
  static func minutes(_ series: [Int], _ w: CalibrationWindow, max useMax: Bool) -> [Double] {
    let r = range(w, count: series.count)
    var out: [Double] = []
    var i = r.lowerBound
    while i < r.upperBound {
      let chunk = series[i..<min(i + 60, r.upperBound)]
      out.append(Double(useMax ? (chunk.max() ?? 0) : chunk.reduce(0, +)))
      i += 60
    }
    return out
  }

  static func statistic(_ values: [Double], _ st: CalibrationStatistic) -> Double {
    guard !values.isEmpty else { return 0 }
    switch st {
    case .average: return values.reduce(0, +) / Double(values.count)
    case .maximum: return values.max()!
    case .sum: return values.reduce(0, +)
    }
  }

  func throughput(_ q: String, _ w: CalibrationWindow) -> Double {
    let series = deleted[q] ?? []
    let r = Self.range(w, count: series.count)
    guard !r.isEmpty else { return 0 }
    return Double(series[r].reduce(0, +)) / Double(r.count)
  }

  /// Fanout's figure for a measure.
  public func value(_ m: CalibrationMeasure) -> Double {
    switch m {
    case .throughput(let q, let w): return throughput(q, w)
    case .throughputReduction(let q, let s, let w):
      let steady = throughput(q, s)
      return steady > 0 ? (1 - throughput(q, w) / steady) * 100 : 0
    case .concurrency(let f, let w, let st): return Self.statistic(Self.minutes(peak[f] ?? [], w, max: true), st)
    case .coldStarts(let f, let w, let st): return Self.statistic(Self.minutes(coldStarts[f] ?? [], w, max: false), st)
    case .invocations(let f, let w, let st):
      return Self.statistic(Self.minutes(invocations[f] ?? [], w, max: false), st)
    case .throttles(let f, let w, let st): return Self.statistic(Self.minutes(throttles[f] ?? [], w, max: false), st)
    case .rampUp(let f, let fraction):
      let series = peak[f] ?? []
      guard let top = series.max(), top > 0 else { return 0 }
      let goal = Double(top) * fraction
      let first = series.firstIndex { Double($0) >= goal } ?? 0
      return Double(first + 1)
    case .timeToConcurrency(let f, let n):
      let series = peak[f] ?? []
      return Double((series.firstIndex { $0 >= n } ?? series.count) + 1)
    case .emptyReceives(let q, let w, let st):
      return Self.statistic(Self.minutes(emptyReceives[q] ?? [], w, max: false), st)
    case .deadLettered(let q, let w, let st):
      return Self.statistic(Self.minutes(deadLettered[q] ?? [], w, max: false), st)
    case .messageAge(let f, let w, let st):
      let from = Double(w.from.microseconds) / 1_000_000
      let to = Double(w.to.microseconds) / 1_000_000
      let inWindow = (ages[f] ?? []).filter { $0.at >= from && $0.at < to }.map(\.age)
      return Self.statistic(inWindow, st)
    }
  }
}

extension CalibrationExperiment {
  /// Runs the experiment and compares every check.
  public func run(seed: UInt64? = nil) throws -> [CalibrationResult] {
    let sim = try scenario.simulation(seed: seed)
    let samples = CalibrationSamples.record(sim, for: duration, records: checks.contains { $0.measure.needsRecords })
    return checks.map { c in
      let v = samples.value(c.measure)
      return CalibrationResult(
        experiment: experiment, check: c.name, published: c.published, measured: v, tolerance: c.tolerance,
        holds: c.tolerance.holds(v, published: c.published))
    }
  }
}
