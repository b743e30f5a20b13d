import FanoutSim
import Yams

// MARK: - The scenario schema

/// Turns a YAML tree into a `Scenario`, reporting every problem with its place.
struct ScenarioParser {
  let r: Reader
  init(_ r: Reader) { self.r = r }

  static let topKeys = [
    "name", "description", "seed", "start", "region", "account", "accountConcurrency", "latency", "buckets", "topics",
    "queues", "functions", "eventSourceMappings", "entry", "load", "timeline", "expect", "calibration",
  ]

  /// What a reference names.
  enum RefKind: String {
    case bucket, topic, function, queue
    case deadLetterQueue = "dead-letter queue"
  }

  /// Where each named thing was defined, for references and later checks.
  final class Names {
    var queues: [String: Node] = [:]
    var topics: [String: Node] = [:]
    var functions: [String: Node] = [:]
    var buckets: [String: Node] = [:]
    var mappingNodes: [(MappingSpec, Node)] = []
    /// Each topic's subscription nodes, in order.
    var subscriptionNodes: [String: [Node]] = [:]
    /// References to check once everything is defined: name, kind, the node naming it, its path.
    var refs: [(name: String, kind: RefKind, node: Node, path: String)] = []

    /// The names defined of a kind.
    func table(_ kind: RefKind) -> [String: Node] {
      switch kind {
      case .bucket: return buckets
      case .topic: return topics
      case .function: return functions
      case .queue, .deadLetterQueue: return queues
      }
    }
  }

  func parse(_ root: Node) -> Scenario? {
    guard let top = r.mapping(root, "", keys: ScenarioParser.topKeys) else { return nil }
    let d = Dictionary(top, uniquingKeysWith: { a, _ in a })
    var t = Topology()
    let names = Names()
    let name = d["name"].flatMap { r.string($0, "name") } ?? "scenario"
    let description = d["description"].flatMap { r.string($0, "description") } ?? ""
    var seed: UInt64 = 1
    if let s = d["seed"] {
      if case .scalar(let sc) = s, let v = UInt64(sc.string) {
        seed = v
      } else {
        r.error(s, "seed", "expected a whole number from 0")
      }
    }
    if let s = d["start"] {
      if let text = r.string(s, "start") {
        if let t0 = parseInstant(text) {
          t.startTime = t0
        } else {
          r.error(s, "start", "expected a UTC time such as 2026-01-01T00:00:00Z, found '\(text)'")
        }
      }
    }
    if let v = d["region"].flatMap({ r.string($0, "region") }) { t.region = v }
    if let v = d["account"].flatMap({ r.string($0, "account") }) {
      if v.count == 12, v.allSatisfy(\.isNumber) {
        t.account = v
      } else {
        r.error(d["account"], "account", "an AWS account ID is 12 digits")
      }
    }
    if let v = d["accountConcurrency"].flatMap({
      r.int(
        $0, "accountConcurrency",
        Int(Limits.Lambda.accountConcurrency.lowerBound)...Int(Limits.Lambda.accountConcurrency.upperBound))
    }) {
      t.accountConcurrency = v
    }
    if let l = d["latency"] { t.latency = latency(l) }
    for (i, b) in (d["buckets"].flatMap { r.list($0, "buckets") } ?? []).enumerated() {
      guard let n = r.string(b, "buckets[\(i)]") else { continue }
      if names.buckets[n] != nil { r.error(b, "buckets[\(i)]", "bucket '\(n)' is defined twice") }
      names.buckets[n] = b
      t.buckets.append(BucketSpec(name: n))
    }
    for (i, q) in (d["queues"].flatMap { r.list($0, "queues") } ?? []).enumerated() {
      if let spec = queue(q, "queues[\(i)]", names) { t.queues.append(spec) }
    }
    for (i, x) in (d["topics"].flatMap { r.list($0, "topics") } ?? []).enumerated() {
      if let spec = topic(x, "topics[\(i)]", names) { t.topics.append(spec) }
    }
    for (i, f) in (d["functions"].flatMap { r.list($0, "functions") } ?? []).enumerated() {
      if let spec = function(f, "functions[\(i)]", names) { t.functions.append(spec) }
    }
    for (i, m) in (d["eventSourceMappings"].flatMap { r.list($0, "eventSourceMappings") } ?? []).enumerated() {
      if let spec = mapping(m, "eventSourceMappings[\(i)]", names) {
        t.mappings.append(spec)
        names.mappingNodes.append((spec, m))
      }
    }
    if t.queues.isEmpty && t.topics.isEmpty && t.functions.isEmpty {
      r.error(root, "", "a scenario needs at least one of topics, queues and functions")
    }
    if let e = d["entry"] {
      if let n = r.string(e, "entry") {
        refer(e, "entry", n, names, .function)
        t.entryFunction = n
      }
    }
    checkReferences(t, names, d)
    checkRules(t, names)
    var loads: [Load] = []
    for (i, l) in (d["load"].flatMap { r.list($0, "load") } ?? []).enumerated() {
      if let spec = load(l, "load[\(i)]", names) { loads.append(spec) }
    }
    if loads.contains(where: { $0.target == .entry }), t.entryFunction == nil {
      r.error(d["load"], "load", "a load fires requests at the entry function: set 'entry'")
    }
    var timeline: [(SimDuration, ScenarioAction)] = []
    for (i, a) in (d["timeline"].flatMap { r.list($0, "timeline") } ?? []).enumerated() {
      if let x = action(a, "timeline[\(i)]", names, t) { timeline.append(x) }
    }
    let expectations = d["expect"].map { expect($0, names) } ?? []
    if !r.hasErrors {
      do { _ = try Simulation(topology: t, seed: seed) } catch { r.error(root, "", "\(error)") }
    }
    return Scenario(
      name: name, description: description, seed: seed, topology: t, loads: loads,
      timeline: timeline.map { (at: $0.0, action: $0.1) }, expectations: expectations)
  }

  // MARK: Sections

  func latency(_ node: Node) -> LatencySpec {
    var l = LatencySpec()
    let keys = ["s3Get", "s3Put", "snsPublish", "snsDelivery", "sqsSend", "pollPickup", "pollerTurnaround"]
    for (k, v) in r.mapping(node, "latency", keys: keys) ?? [] {
      guard let m = r.durationModel(v, "latency." + k) else { continue }
      switch k {
      case "s3Get": l.s3Get = m
      case "s3Put": l.s3Put = m
      case "snsPublish": l.snsPublish = m
      case "snsDelivery": l.snsDelivery = m
      case "sqsSend": l.sqsSend = m
      case "pollerTurnaround": l.pollerTurnaround = m
      default: l.pollPickup = m
      }
    }
    return l
  }

  func named(_ node: Node, _ path: String, _ kind: String, _ table: inout [String: Node]) -> String? {
    guard case .mapping(let m) = node, let n = m["name"] else {
      r.error(node, path, "a \(kind) needs a name")
      return nil
    }
    guard let name = r.string(n, path + ".name") else { return nil }
    if table[name] != nil { r.error(n, path + ".name", "\(kind) '\(name)' is defined twice") }
    table[name] = node
    return name
  }
}
