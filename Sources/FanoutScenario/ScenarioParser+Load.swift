import FanoutSim
import Yams

// MARK: - Load: constant, Poisson, burst and ramp

extension ScenarioParser {
  func load(_ node: Node, _ path: String) -> LoadSpec? {
    guard let m = r.mapping(node, path, keys: ["constant", "poisson", "burst", "ramp"]) else { return nil }
    guard m.count == 1, let (kind, body) = m.first else {
      r.error(node, path, "a load is one of constant, poisson, burst, ramp")
      return nil
    }
    let p = path + "." + kind
    let keys: [String]
    switch kind {
    case "burst": keys = ["at", "count"]
    case "ramp": keys = ["from", "to", "over", "start"]
    default: keys = ["rate", "count", "start"]
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
    switch kind {
    case "burst":
      guard let at = req("at", { r.duration($0, $1) }), let n = req("count", { r.int($0, $1, 1...10_000_000) }) else {
        return nil
      }
      return .burst(at: at, count: n)
    case "ramp":
      guard let a = req("from", { r.double($0, $1, 0...1_000_000) }),
        let b = req("to", { r.double($0, $1, 0...1_000_000) }),
        let over = req("over", { r.duration($0, $1) })
      else { return nil }
      if a + b <= 0 || over <= .zero {
        r.error(body, p, "a ramp needs a positive rate at one end and a positive duration")
        return nil
      }
      return .ramp(from: a, to: b, over: over, start: start)
    default:
      guard let rate = req("rate", { r.double($0, $1, 0.000_001...1_000_000) }),
        let n = req("count", { r.int($0, $1, 1...10_000_000) })
      else { return nil }
      return kind == "poisson"
        ? .poisson(rate: rate, count: n, start: start) : .constant(rate: rate, count: n, start: start)
    }
  }
}
