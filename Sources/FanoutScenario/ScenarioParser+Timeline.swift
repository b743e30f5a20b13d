import FanoutSim
import Yams

// MARK: - Timeline: actions at virtual times

extension ScenarioParser {
  func action(_ node: Node, _ path: String, _ names: Names, _ t: Topology) -> (SimDuration, ScenarioAction)? {
    let kinds = ["fire", "pause", "resume", "fail", "mend", "update", "publish", "send", "redrive", "inject"]
    guard let m = r.mapping(node, path, keys: ["at"] + kinds) else { return nil }
    let d = Dictionary(m, uniquingKeysWith: { a, _ in a })
    guard let atNode = d["at"], let at = r.duration(atNode, path + ".at") else {
      if d["at"] == nil { r.error(node, path, "a timeline action needs 'at'") }
      return nil
    }
    let chosen = m.filter { $0.0 != "at" }
    guard chosen.count == 1, let (kind, v) = chosen.first else {
      r.error(node, path, "a timeline action is exactly one of: " + kinds.joined(separator: ", "))
      return nil
    }
    let p = path + "." + kind
    switch kind {
    case "fire":
      guard t.entryFunction != nil else {
        r.error(v, p, "firing requests needs an entry function: set 'entry'")
        return nil
      }
      return r.int(v, p, 1...1_000_000).map { (at, .fire($0)) }
    case "pause", "resume":
      guard let q = r.string(v, p) else { return nil }
      refer(v, p, q, names, .queue)
      if names.queues[q] != nil, !t.mappings.contains(where: { $0.queue == q }) {
        r.error(v, p, "queue '\(q)' has no event source mapping to \(kind)")
      }
      return (at, .setMapping(queue: q, enabled: kind == "resume"))
    case "inject":
      guard let im = r.mapping(v, p, keys: ["request_id", "topic", "queue", "message", "attributes"]) else {
        return nil
      }
      let id = Dictionary(im, uniquingKeysWith: { a, _ in a })
      guard let idNode = id["request_id"], let hex = r.string(idNode, p + ".request_id") else {
        r.error(v, p, "inject needs request_id")
        return nil
      }
      guard let rid = RequestID(hex: hex.lowercased()) else {
        r.error(idNode, p + ".request_id", "a request ID is 32 hex digits")
        return nil
      }
      let topic = id["topic"].flatMap { r.string($0, p + ".topic") }
      let queue = id["queue"].flatMap { r.string($0, p + ".queue") }
      guard (topic == nil) != (queue == nil) else {
        r.error(v, p, "inject names exactly one of topic and queue")
        return nil
      }
      if let topic { refer(id["topic"], p + ".topic", topic, names, .topic) }
      if let queue { refer(id["queue"], p + ".queue", queue, names, .queue) }
      let message = id["message"].flatMap { r.string($0, p + ".message") }
      return (
        at,
        .inject(
          .inject(
            requestID: rid, message: message, attributes: attributes(id["attributes"], p), topic: topic, queue: queue))
      )
    case "redrive":
      guard let rm = r.mapping(v, p, keys: ["from", "to", "rate"]) else { return nil }
      let rd = Dictionary(rm, uniquingKeysWith: { a, _ in a })
      guard let fromNode = rd["from"], let from = r.string(fromNode, p + ".from") else {
        r.error(v, p, "redrive needs 'from': a dead-letter queue")
        return nil
      }
      refer(fromNode, p + ".from", from, names, .queue)
      if names.queues[from] != nil, !t.queues.contains(where: { $0.redrive?.deadLetterQueue == from }) {
        r.error(fromNode, p + ".from", "Source queue must be configured as a Dead Letter Queue.")
      }
      let to = rd["to"].flatMap { r.string($0, p + ".to") }
      if let to, let n = rd["to"] { refer(n, p + ".to", to, names, .queue) }
      // No rate: MaxNumberOfMessagesPerSecond left out, the system optimises it from the backlog.
      let rate = rd["rate"].flatMap { r.int($0, p + ".rate", limit: Limits.SQS.maxNumberOfMessagesPerSecond) }
      return (at, .redrive(from: from, to: to, perSecond: rate))
    case "update":
      guard let f = r.string(v, p) else { return nil }
      refer(v, p, f, names, .function)
      return (at, .updateCode(function: f))
    case "mend":
      guard let f = r.string(v, p) else { return nil }
      refer(v, p, f, names, .function)
      return (at, .setFailure(function: f, FailureSpec()))
    case "fail":
      guard
        let fm = r.mapping(
          v, p, keys: ["function", "errorRate", "timeoutRate", "itemFailureRate", "poison", "reportsItemFailures"]),
        let fnode = fm.first(where: { $0.0 == "function" })?.1, let f = r.string(fnode, p + ".function")
      else {
        r.error(v, p, "fail needs a function")
        return nil
      }
      refer(fnode, p + ".function", f, names, .function)
      var spec = FailureSpec()
      if case .mapping(var mm) = v {
        mm["function"] = nil
        if let x = failure(.mapping(mm), p) { spec = x }
      }
      return (at, .setFailure(function: f, spec))
    case "publish":
      guard let pm = r.mapping(v, p, keys: ["topic", "message", "attributes"]) else { return nil }
      let pd = Dictionary(pm, uniquingKeysWith: { a, _ in a })
      guard let topic = pd["topic"].flatMap({ r.string($0, p + ".topic") }),
        let message = pd["message"].flatMap({ r.string($0, p + ".message") })
      else {
        r.error(v, p, "publish needs a topic and a message")
        return nil
      }
      refer(pd["topic"], p + ".topic", topic, names, .topic)
      return (at, .publish(topic: topic, message: message, attributes: attributes(pd["attributes"], p)))
    default:
      guard let sm = r.mapping(v, p, keys: ["queue", "body", "attributes"]) else { return nil }
      let sd = Dictionary(sm, uniquingKeysWith: { a, _ in a })
      guard let queue = sd["queue"].flatMap({ r.string($0, p + ".queue") }),
        let body = sd["body"].flatMap({ r.string($0, p + ".body") })
      else {
        r.error(v, p, "send needs a queue and a body")
        return nil
      }
      refer(sd["queue"], p + ".queue", queue, names, .queue)
      return (at, .send(queue: queue, body: body, attributes: attributes(sd["attributes"], p)))
    }
  }

  func attributes(_ node: Node?, _ path: String) -> [MessageAttribute] {
    guard let node else { return [] }
    guard case .mapping(let m) = node else {
      r.error(node, path + ".attributes", "expected a mapping of attribute names to values")
      return []
    }
    var out: [MessageAttribute] = []
    for (k, v) in m {
      guard let name = k.string, case .scalar(let s) = v else { continue }
      let numeric = (s.style == .plain || s.style == .any) && Double(s.string) != nil
      out.append(MessageAttribute(name: name, dataType: numeric ? "Number" : "String", value: s.string))
    }
    return out
  }
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` as virtual time.
func parseInstant(_ text: String) -> SimTime? {
  let u = Array(text.utf8)
  guard u.count >= 20, u.last == UInt8(ascii: "Z"), u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
    u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":")
  else { return nil }
  func num(_ a: Int, _ b: Int) -> Int? { Int(String(decoding: u[a..<b], as: UTF8.self)) }
  guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13), let mi = num(14, 16),
    let s = num(17, 19), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 60
  else { return nil }
  var micro = 0
  if u[19] == UInt8(ascii: ".") {
    let digits = Array(u[20..<(u.count - 1)])
    guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
    micro = Int(String(decoding: digits, as: UTF8.self))! * Int(pow10(6 - digits.count))
  } else if u.count != 20 {
    return nil
  }
  return CivilTime.instant(year: y, month: mo, day: d, hour: h, minute: mi, second: s, microsecond: micro)
}

private func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { a, _ in a * 10 } }
