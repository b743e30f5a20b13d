import FanoutSim
import Yams

// MARK: - Load: constant, Poisson, burst and ramp

extension ScenarioParser {
  func load(_ node: Node, _ path: String, _ names: Names) -> Load? {
    guard let m = r.mapping(node, path, keys: ["constant", "poisson", "burst", "ramp"]) else { return nil }
    guard m.count == 1, let (kind, body) = m.first else {
      r.error(node, path, "a load is one of constant, poisson, burst, ramp")
      return nil
    }
    let p = path + "." + kind
    let keys: [String]
    switch kind {
    case "burst": keys = ["at", "count", "queue", "body"]
    case "ramp": keys = ["from", "to", "over", "start", "queue", "body"]
    default: keys = ["rate", "count", "start", "queue", "body"]
    }
    guard let fields = r.mapping(body, p, keys: keys) else { return nil }
    let d = Dictionary(fields, uniquingKeysWith: { a, _ in a })
    func req<T>(_ k: String, _ read: (Node, String) -> T?) -> T? {
      guard let v = d[k] else {
        r.error(body, p, "a \(kind) load needs '\(k)'")
        return nil
      }
      return read(v, p + "." + k)
    }
    let start = d["start"].flatMap { r.duration($0, p + ".start") } ?? .zero
    // With `queue`, a generator sends each request as a message to that queue instead.
    var target = LoadTarget.entry
    if let qn = d["queue"], let q = r.string(qn, p + ".queue") {
      refer(qn, p + ".queue", q, names, .queue)
      let body = d["body"].flatMap { r.string($0, p + ".body") } ?? "{\"message\": \"hello\"}"
      target = .queue(q, body: body)
    } else if let b = d["body"] {
      r.error(b, p + ".body", "'body' goes with 'queue': a load without 'queue' fires requests at the entry function")
    }
    let spec: LoadSpec?
    switch kind {
    case "burst":
      guard let at = req("at", { r.duration($0, $1) }), let n = req("count", { r.int($0, $1, 1...10_000_000) }) else {
        return nil
      }
      spec = .burst(at: at, count: n)
    case "ramp":
      guard let a = req("from", { r.double($0, $1, 0...1_000_000) }),
        let b = req("to", { r.double($0, $1, 0...1_000_000) }),
        let over = req("over", { r.duration($0, $1) })
      else { return nil }
      if a + b <= 0 || over <= .zero {
        r.error(body, p, "a ramp needs a positive rate at one end and a positive duration")
        return nil
      }
      spec = .ramp(from: a, to: b, over: over, start: start)
    default:
      guard let rate = req("rate", { r.double($0, $1, 0.000_001...1_000_000) }),
        let n = req("count", { r.int($0, $1, 1...10_000_000) })
      else { return nil }
      spec =
        kind == "poisson"
        ? .poisson(rate: rate, count: n, start: start) : .constant(rate: rate, count: n, start: start)
    }
    return spec.map { Load($0, target: target) }
  }
}
