import FanoutSim

// MARK: - Shards: a slice of a sweep's runs with its raw figures, and merging them

/// The partial results of `fanout sweep --shard K/N`: the sweep's definition (with the
/// scenario's fingerprint) and every run of its slice with its raw figures.
public struct SweepShard: Sendable {
  /// The version of the shard format.
  public static let format = 1
  public var definition: SweepDefinition
  /// This shard, 1-based, and how many there are.
  public var index: Int
  public var count: Int
  public var table: SweepTable

  public init(definition: SweepDefinition, index: Int, count: Int, table: SweepTable) {
    self.definition = definition
    self.index = index
    self.count = count
    self.table = table
  }

  /// The shard as one JSON object; numbers written so that they read back to the same bits.
  public var json: String {
    var w = JSONObjectWriter()
    w.int("fanout_sweep_shard", SweepShard.format)
    w.object("shard") { s in
      s.int("index", index)
      s.int("count", count)
    }
    w.raw("definition", definition.json)
    var runs: [String] = []
    runs.reserveCapacity(table.count)
    for slot in 0..<table.count {
      let r = table.runs[slot]
      var o = JSONObjectWriter()
      o.int("run", r + 1)
      o.int("combination", definition.combination(ofRun: r) + 1)
      o.string("seed", String(definition.seed(ofRun: r)))
      o.bool("drained", table.drained(slot))
      o.raw(
        "values", jsonArray((0..<table.figureCount).map { f in table.value(slot, f).map(exactNumber) ?? "null" }))
      o.raw(
        "components",
        jsonArray((0..<table.figureCount).map { f in table.component(slot, f).map { String($0) } ?? "null" }))
      runs.append(o.finished())
    }
    w.raw("runs", "[\n" + runs.joined(separator: ",\n") + "\n]")
    return w.finished()
  }

  /// Reads a shard written by `json`; `file` names it in errors.
  public static func parse(_ text: String, file: String) throws -> SweepShard {
    func fail(_ why: String) -> SweepError { SweepError("\(file): not a fanout sweep shard: \(why)") }
    guard let root = JSONValue.parse(text) else { throw fail("not JSON") }
    guard let format = root["fanout_sweep_shard"]?.int else {
      throw fail("no fanout_sweep_shard (write one with fanout sweep … --shard K/N)")
    }
    guard format == SweepShard.format else {
      throw SweepError("\(file): shard format \(format); this fanout reads format \(SweepShard.format)")
    }
    guard let index = root["shard"]?["index"]?.int, let count = root["shard"]?["count"]?.int, count >= 1,
      (1...count).contains(index)
    else { throw fail("shard.index and shard.count are missing or out of range") }
    guard let dj = root["definition"], let d = SweepDefinition(json: dj) else {
      throw fail("its definition is missing or incomplete")
    }
    guard case .array(let runs)? = root["runs"] else { throw fail("no runs") }
    let expected = d.runs(ofShard: index, of: count)
    guard runs.count == expected.count else {
      throw SweepError(
        "\(file): shard \(index) of \(count) should hold \(expected.count) runs but holds \(runs.count): it was cut short or changed"
      )
    }
    let table = SweepTable(runs: expected, figureCount: d.figures.count)
    for (slot, run) in runs.enumerated() {
      guard let n = run["run"]?.int, n == expected[slot] + 1 else {
        throw SweepError(
          "\(file): shard \(index) of \(count) should hold run \(expected[slot] + 1) in place \(slot + 1), and holds \(run["run"]?.int.map(String.init) ?? "none")"
        )
      }
      guard let drained = run["drained"]?.bool, case .array(let values)? = run["values"],
        case .array(let components)? = run["components"], values.count == d.figures.count,
        components.count == d.figures.count
      else { throw fail("run \(n) is incomplete") }
      var readings: [SweepReading] = []
      for (v, c) in zip(values, components) {
        let value: Double?
        switch v {
        case .null: value = nil
        case .number(let x): value = x
        default: throw fail("run \(n) has a value that is not a number")
        }
        let component: Int?
        switch c {
        case .null: component = nil
        case .number: component = c.int
        default: throw fail("run \(n) has a component that is not a number")
        }
        readings.append(SweepReading(value, component: component))
      }
      table.store(slot, drained: drained, readings: readings)
    }
    return SweepShard(definition: d, index: index, count: count, table: table)
  }

  /// The whole sweep's results from its shards: refused, by name, when the shards do not come
  /// from the same sweep of the same scenario text, or when a slice is missing or given twice.
  public static func merge(_ shards: [(file: String, shard: SweepShard)]) throws -> (SweepDefinition, SweepTable) {
    guard let (firstFile, first) = shards.first else { throw SweepError("no shards to merge") }
    let d = first.definition
    for (file, s) in shards.dropFirst() {
      if s.definition.fingerprint != d.fingerprint {
        throw SweepError(
          "\(file) and \(firstFile) were cut from different pipelines: the scenario fingerprints differ (\(s.definition.fingerprint.prefix(12))… and \(d.fingerprint.prefix(12))…), so their runs cannot be merged"
        )
      }
      if let difference = s.definition.difference(from: d) {
        throw SweepError("\(file) and \(firstFile) are shards of different sweeps: \(difference)")
      }
      if s.count != first.count {
        throw SweepError(
          "\(file) is shard \(s.index) of \(s.count) but \(firstFile) is shard \(first.index) of \(first.count)")
      }
    }
    var byIndex: [Int: String] = [:]
    for (file, s) in shards {
      if let other = byIndex[s.index] {
        throw SweepError("shard \(s.index) of \(s.count) is given twice: \(other) and \(file)")
      }
      byIndex[s.index] = file
    }
    let missing = (1...first.count).filter { byIndex[$0] == nil }
    if !missing.isEmpty {
      let list = missing.map(String.init)
      let names =
        list.count == 1
        ? "shard \(list[0])" : "shards " + list.dropLast().joined(separator: ", ") + " and " + list.last!
      throw SweepError(
        "\(names) of \(first.count) \(missing.count == 1 ? "is" : "are") missing: merge needs every slice (--shard K/\(first.count) for K = 1 … \(first.count))"
      )
    }
    let table = SweepTable(runs: Array(0..<d.runCount), figureCount: d.figures.count)
    for (_, s) in shards {
      for slot in 0..<s.table.count {
        let r = s.table.runs[slot]
        table.store(
          r, drained: s.table.drained(slot),
          readings: (0..<d.figures.count).map {
            SweepReading(s.table.value(slot, $0), component: s.table.component(slot, $0))
          })
      }
    }
    return (d, table)
  }
}

/// A number as JSON text that reads back to the same Double: whole numbers as integers, others
/// in Swift's shortest round-trip form.
func exactNumber(_ v: Double) -> String {
  if v == v.rounded(), abs(v) < 9_007_199_254_740_992 { return String(Int64(v)) }
  return "\(v)"
}

extension JSONValue {
  /// A whole number, when this is one.
  var int: Int? {
    guard case .number(let x) = self, x == x.rounded(), abs(x) < 9_007_199_254_740_992 else { return nil }
    return Int(x)
  }
  var bool: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }
  var text: String? {
    if case .string(let s) = self { return s }
    return nil
  }
}

extension SweepDefinition {
  /// The definition as JSON: strings for seeds (64-bit), numbers that read back exactly.
  var json: String {
    var w = JSONObjectWriter()
    w.string("scenario", scenario)
    w.string("pipeline", pipeline)
    w.string("fingerprint", fingerprint)
    w.string("seed_base", String(seedBase))
    w.int("seeds", seeds)
    w.bool("fires", fires)
    w.int("requests", requests)
    w.raw("rate", exactNumber(rate))
    if let u = untilMicroseconds { w.int("until_us", u) } else { w.null("until_us") }
    w.raw(
      "vary",
      jsonArray(
        axes.map { a in
          var o = JSONObjectWriter()
          o.string("key", a.key)
          o.raw("values", jsonArray(a.values.map(jsonString)))
          return o.finished()
        }))
    w.raw("figures", jsonArray(figures.map(jsonString)))
    w.raw("queues", jsonArray(queues.map(jsonString)))
    w.raw("functions", jsonArray(functions.map(jsonString)))
    return w.finished()
  }

  init?(json v: JSONValue) {
    func strings(_ k: String) -> [String]? {
      guard case .array(let items)? = v[k] else { return nil }
      let out = items.compactMap(\.text)
      return out.count == items.count ? out : nil
    }
    guard let scenario = v["scenario"]?.text, let pipeline = v["pipeline"]?.text,
      let fingerprint = v["fingerprint"]?.text, let base = v["seed_base"]?.text.flatMap({ UInt64($0) }),
      let seeds = v["seeds"]?.int, seeds >= 1, let fires = v["fires"]?.bool, let requests = v["requests"]?.int,
      case .number(let rate)? = v["rate"], case .array(let vary)? = v["vary"], let figures = strings("figures"),
      let queues = strings("queues"), let functions = strings("functions")
    else { return nil }
    var axes: [SweepAxis] = []
    for a in vary {
      guard let key = a["key"]?.text, case .array(let values)? = a["values"], !values.isEmpty else { return nil }
      let texts = values.compactMap(\.text)
      guard texts.count == values.count else { return nil }
      axes.append(SweepAxis(key: key, values: texts))
    }
    let until: Int64?
    switch v["until_us"] {
    case .null?: until = nil
    case let u?:
      guard let x = u.int else { return nil }
      until = Int64(x)
    case nil: return nil
    }
    self.init(
      scenario: scenario, pipeline: pipeline, fingerprint: fingerprint, seedBase: base, seeds: seeds, fires: fires,
      requests: requests, rate: rate, untilMicroseconds: until, axes: axes, figures: figures, queues: queues,
      functions: functions)
    guard axes.reduce(1, { $0 * $1.values.count }) <= SweepPlan.maxCombinations, runCount <= SweepPlan.maxRuns else {
      return nil
    }
  }

  /// What differs between two definitions, in words; nil when they are equal.
  func difference(from o: SweepDefinition) -> String? {
    func seedsText(_ d: SweepDefinition) -> String { "\(d.seeds) seeds from \(d.seedBase)" }
    func load(_ d: SweepDefinition) -> String {
      d.fires ? "\(d.requests) requests at \(exactNumber(d.rate))/s" : "none"
    }
    func until(_ d: SweepDefinition) -> String { d.untilMicroseconds.map { formatSpan(.microseconds($0)) } ?? "none" }
    let checks: [(String, String, String)] = [
      ("scenario", scenario, o.scenario),
      ("pipeline", pipeline, o.pipeline),
      ("seeds", seedsText(self), seedsText(o)),
      ("load (--requests, --rate)", load(self), load(o)),
      ("--until", until(self), until(o)),
      ("--vary", axes.map(\.text).joined(separator: " "), o.axes.map(\.text).joined(separator: " ")),
      ("figures", figures.joined(separator: ","), o.figures.joined(separator: ",")),
      ("queues", queues.joined(separator: ","), o.queues.joined(separator: ",")),
      ("functions", functions.joined(separator: ","), o.functions.joined(separator: ",")),
    ]
    for (what, a, b) in checks where a != b {
      return "their \(what) differ (\(a.isEmpty ? "none" : a) and \(b.isEmpty ? "none" : b))"
    }
    return self == o ? nil : "their definitions differ"
  }
}
