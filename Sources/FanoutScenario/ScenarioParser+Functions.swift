import FanoutSim
import Yams

// MARK: - Functions: their settings, handlers and injected failures

extension ScenarioParser {
  func function(_ node: Node, _ path: String, _ names: Names) -> FunctionSpec? {
    let keys = [
      "name", "handler", "Runtime", "Timeout", "ReservedConcurrentExecutions", "coldStart", "duration", "perRecord",
      "idleLifetime",
      "failure", "RecursiveLoop",
    ]
    guard let m = r.mapping(node, path, keys: keys), let name = named(node, path, "function", &names.functions) else {
      return nil
    }
    let d = Dictionary(m, uniquingKeysWith: { a, _ in a })
    guard let hn = d["handler"] else {
      r.error(node, path, "a function needs a handler")
      return nil
    }
    guard let h = handler(hn, path + ".handler", names) else { return nil }
    var f = FunctionSpec(name: name, handler: h)
    if case .mapping(let hm) = hn {
      if let field = hm["field"] { f.seedEdit.field = r.string(field, path + ".handler.field") ?? "key1" }
      if let value = hm["value"], let j = r.json(value, path + ".handler.value"), let v = JSONValue.parse(j) {
        f.seedEdit.value = v
      }
      if let i = hm["idempotent"], let x = r.bool(i, path + ".handler.idempotent") { f.idempotent = x }
      if case .seedService = h {
      } else if hm["field"] != nil || hm["value"] != nil || hm["idempotent"] != nil {
        r.error(hn, path + ".handler", "field, value and idempotent belong to a seed-service handler")
      }
    }
    for (k, v) in m {
      let p = path + "." + k
      switch k {
      // Checked against Lambda's enum with the whole topology (`Topology.problems()`).
      case "Runtime": if let x = r.string(v, p) { f.runtime = x }
      case "Timeout": if let x = r.seconds(v, p, limit: Limits.Lambda.timeout) { f.timeout = x }
      case "ReservedConcurrentExecutions": if let x = r.int(v, p, 0...100_000) { f.reservedConcurrency = x }
      case "coldStart": if let x = r.durationModel(v, p) { f.coldStart = x }
      case "duration": if let x = r.durationModel(v, p) { f.duration = x }
      case "perRecord": if let x = r.durationModel(v, p) { f.perRecord = x }
      case "idleLifetime": if let x = r.duration(v, p) { f.idleLifetime = x }
      case "failure": if let x = failure(v, p) { f.failure = x }
      case "RecursiveLoop":
        guard let x = r.string(v, p) else { continue }
        if let loop = RecursiveLoop(rawValue: x) {
          f.recursiveLoop = loop
        } else {
          r.error(
            v, p,
            "1 validation error detected: Value '\(x)' at 'recursiveLoop' failed to satisfy constraint: Member must satisfy enum value set: [Allow, Terminate]"
          )
        }
      default: break
      }
    }
    return f
  }

  func handler(_ node: Node, _ path: String, _ names: Names) -> HandlerSpec? {
    if case .mapping(let hm) = node, hm["type"]?.string == "steps" {
      return stepsHandler(node, path, names).map { .steps($0) }
    }
    let keys = ["type", "bucket", "prefix", "stage", "previous", "topic", "queue", "field", "value", "idempotent"]
    guard let m = r.mapping(node, path, keys: keys) else { return nil }
    let d = Dictionary(m, uniquingKeysWith: { a, _ in a })
    let types = ["seed-preprocessor", "seed-service", "forward", "compute", "steps"]
    guard let tn = d["type"], let type = r.string(tn, path + ".type") else {
      r.error(node, path, "a handler needs a type: " + types.joined(separator: ", "))
      return nil
    }
    func need(_ k: String) -> String? {
      guard let v = d[k] else {
        r.error(node, path, "a \(type) handler needs '\(k)'")
        return nil
      }
      return r.string(v, path + "." + k)
    }
    func optional(_ k: String) -> String? { d[k].flatMap { r.string($0, path + "." + k) } }
    for (k, kind) in [("bucket", RefKind.bucket), ("topic", .topic), ("queue", .queue)] {
      if let v = d[k], case .scalar(let sc) = v, !sc.string.isEmpty {
        names.refs.append((sc.string, kind, v, path + "." + k))
      }
    }
    switch type {
    case "seed-preprocessor":
      guard let b = need("bucket"), let s = need("stage"), let t = need("topic") else { return nil }
      return .seedPreprocessor(bucket: b, prefix: optional("prefix") ?? "", stage: s, topic: t)
    case "seed-service":
      guard let b = need("bucket"), let p = need("previous"), let s = need("stage"), let t = need("topic") else {
        return nil
      }
      return .seedService(bucket: b, prefix: optional("prefix") ?? "", previous: p, stage: s, topic: t)
    case "forward":
      let t = optional("topic")
      let q = optional("queue")
      if (t == nil) == (q == nil) {
        r.error(node, path, "a forward handler names exactly one of topic and queue")
        return nil
      }
      return .forward(topic: t, queue: q)
    case "compute":
      return .compute
    default:
      var message = "unknown handler type '\(type)'"
      if let s = suggestion(type, types) { message += " (did you mean '\(s)'?)" }
      r.error(tn, path + ".type", message + "; expected one of: " + types.joined(separator: ", "))
      return nil
    }
  }

  func failure(_ node: Node, _ path: String) -> FailureSpec? {
    let keys = ["errorRate", "timeoutRate", "itemFailureRate", "poison", "reportsItemFailures"]
    guard let m = r.mapping(node, path, keys: keys) else { return nil }
    var f = FailureSpec()
    for (k, v) in m {
      let p = path + "." + k
      switch k {
      case "errorRate": if let x = r.double(v, p, 0...1) { f.errorRate = x }
      case "timeoutRate": if let x = r.double(v, p, 0...1) { f.timeoutRate = x }
      case "itemFailureRate": if let x = r.double(v, p, 0...1) { f.itemFailureRate = x }
      case "reportsItemFailures": if let x = r.bool(v, p) { f.reportsItemFailures = x }
      case "poison":
        for (i, x) in (r.list(v, p) ?? []).enumerated() {
          guard let s = r.string(x, p + "[\(i)]") else { continue }
          if s.allSatisfy(\.isHexDigit), s.count <= 32 {
            f.poison.append(s.lowercased())
          } else {
            r.error(x, p + "[\(i)]", "a poison entry is the start of a request ID: hex digits")
          }
        }
      default: break
      }
    }
    return f
  }
}
