import FanoutSim
import Yams

// MARK: - Functions: their settings, handlers and injected failures

extension ScenarioParser {
  func function(_ node: Node, _ path: String, _ names: Names) -> FunctionSpec? {
    let keys = [
      "name", "handler", "Runtime", "Timeout", "ReservedConcurrentExecutions", "coldStart", "duration", "perRecord",
      "idleLifetime",
      "failure", "RecursiveLoop", "EventInvokeConfig", "DeadLetterConfig", "SNSInvokePermissions", "MemorySize",
      "Architectures",
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
      case "MemorySize": if let x = r.int(v, p, limit: Limits.Lambda.memorySize) { f.memorySize = Int(x) }
      case "Architectures":
        // CreateFunction takes a list of exactly one.
        guard let list = r.list(v, p) else { continue }
        guard list.count == 1, let a = r.string(list[0], p + "[0]") else {
          r.error(
            v, p,
            "1 validation error detected: Value at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1"
          )
          continue
        }
        if let arch = Architecture(rawValue: a) {
          f.architecture = arch
        } else {
          r.error(
            list[0], p + "[0]",
            "1 validation error detected: Value '[\(a)]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]"
          )
        }
      case "ReservedConcurrentExecutions": if let x = r.int(v, p, 0...100_000) { f.reservedConcurrency = x }
      case "coldStart": if let x = r.durationModel(v, p) { f.coldStart = x }
      case "duration": if let x = r.durationModel(v, p) { f.duration = x }
      case "perRecord": if let x = r.durationModel(v, p) { f.perRecord = x }
      case "idleLifetime": if let x = r.duration(v, p) { f.idleLifetime = x }
      case "failure": if let x = failure(v, p) { f.failure = x }
      case "EventInvokeConfig": if let x = eventInvokeConfig(v, p, names) { f.eventInvokeConfig = x }
      case "DeadLetterConfig":
        guard let dm = r.mapping(v, p, keys: ["TargetArn"]) else { continue }
        guard let tn = dm.first(where: { $0.0 == "TargetArn" })?.1 else {
          r.error(v, p, "a DeadLetterConfig needs a TargetArn (an SQS queue or SNS topic)")
          continue
        }
        f.deadLetter = asyncTarget(tn, p + ".TargetArn", names)
      case "SNSInvokePermissions":
        // The topics the function's resource-based policy lets SNS invoke it from: ARN patterns
        // or topic names, `*` for any, `[]` for none.
        guard let list = r.list(v, p) else { continue }
        f.snsInvokePermissions = list.enumerated().compactMap { i, n in
          r.string(n, p + "[\(i)]").map { $0.hasPrefix("arn:") || $0.contains("*") ? $0 : "arn:aws:sns:*:*:" + $0 }
        }
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

  /// `{ type: process, command: [...], cwd: DIR, environment: { KEY: VALUE } }`: the function's
  /// code is a process (`ExternalInvocation.swift`). `cwd` is relative to the scenario's folder
  /// when it is not absolute (the CLI resolves it).
  func processHandler(_ node: Node, _ path: String) -> ProcessHandler? {
    guard let m = r.mapping(node, path, keys: ["type", "command", "cwd", "environment"]) else { return nil }
    let d = Dictionary(m, uniquingKeysWith: { a, _ in a })
    guard let cn = d["command"] else {
      r.error(node, path, "a process handler needs a command: the program and its arguments, as a list")
      return nil
    }
    guard let list = r.list(cn, path + ".command") else { return nil }
    let command = list.enumerated().compactMap { i, n in r.string(n, path + ".command[\(i)]") }
    guard command.count == list.count else { return nil }
    guard let program = command.first, !program.isEmpty else {
      r.error(
        cn, path + ".command",
        "the command is empty: name the program to run (e.g. [python3, -m, awslambdaric, app.handler])")
      return nil
    }
    var h = ProcessHandler(command: command)
    if let c = d["cwd"] { h.cwd = r.string(c, path + ".cwd") }
    if let e = d["environment"] {
      guard case .mapping(let em) = e else {
        r.error(e, path + ".environment", "expected a mapping of variable names to values")
        return h
      }
      for (k, v) in em {
        guard let name = k.string, !name.isEmpty, let value = r.string(v, path + ".environment." + (k.string ?? ""))
        else {
          continue
        }
        h.environment.append(EnvironmentVariable(name: name, value: value))
      }
    }
    return h
  }

  /// PutFunctionEventInvokeConfig's settings: MaximumRetryAttempts, MaximumEventAgeInSeconds and
  /// DestinationConfig (OnSuccess / OnFailure, each `{Destination: <queue or topic>}`).
  func eventInvokeConfig(_ node: Node, _ path: String, _ names: Names) -> EventInvokeConfig? {
    guard
      let m = r.mapping(node, path, keys: ["MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"])
    else { return nil }
    var c = EventInvokeConfig()
    for (k, v) in m {
      let p = path + "." + k
      switch k {
      case "MaximumRetryAttempts":
        if let x = r.int(v, p, limit: Limits.Lambda.maximumRetryAttempts) { c.maximumRetryAttempts = Int(x) }
      case "MaximumEventAgeInSeconds":
        if let x = r.seconds(v, p, limit: Limits.Lambda.maximumEventAge) { c.maximumEventAge = x }
      case "DestinationConfig":
        guard let dm = r.mapping(v, p, keys: ["OnSuccess", "OnFailure"]) else { continue }
        for (dk, dv) in dm {
          guard let om = r.mapping(dv, p + "." + dk, keys: ["Destination"]),
            let tn = om.first(where: { $0.0 == "Destination" })?.1
          else {
            r.error(dv, p + "." + dk, "a destination needs a Destination (an SQS queue or SNS topic)")
            continue
          }
          let target = asyncTarget(tn, p + "." + dk + ".Destination", names)
          if dk == "OnSuccess" { c.onSuccess = target } else { c.onFailure = target }
        }
      default: break
      }
    }
    return c
  }

  /// A destination or dead-letter target: `queue: NAME`, `topic: NAME`, or an SQS or SNS ARN.
  func asyncTarget(_ node: Node, _ path: String, _ names: Names) -> AsyncTarget? {
    if case .mapping = node {
      guard let m = r.mapping(node, path, keys: ["queue", "topic"]), m.count == 1, let (k, v) = m.first,
        let name = r.string(v, path + "." + k)
      else {
        r.error(node, path, "a target names exactly one queue or topic")
        return nil
      }
      names.refs.append((name, k == "queue" ? .queue : .topic, v, path + "." + k))
      return k == "queue" ? .queue(name) : .topic(name)
    }
    guard let text = r.string(node, path) else { return nil }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard text.hasPrefix("arn:"), parts.count == 6, parts[2] == "sqs" || parts[2] == "sns" else {
      r.error(node, path, "expected an SQS queue or SNS topic ARN, or {queue: NAME} / {topic: NAME}; got '\(text)'")
      return nil
    }
    let name = String(parts[5])
    names.refs.append((name, parts[2] == "sqs" ? .queue : .topic, node, path))
    return parts[2] == "sqs" ? .queue(name) : .topic(name)
  }

  func handler(_ node: Node, _ path: String, _ names: Names) -> HandlerSpec? {
    if case .mapping(let hm) = node, hm["type"]?.string == "steps" {
      return stepsHandler(node, path, names).map { .steps($0) }
    }
    if case .mapping(let hm) = node, hm["type"]?.string == "process" {
      return processHandler(node, path).map { .process($0) }
    }
    let keys = ["type", "bucket", "prefix", "stage", "previous", "topic", "queue", "field", "value", "idempotent"]
    guard let m = r.mapping(node, path, keys: keys) else { return nil }
    let d = Dictionary(m, uniquingKeysWith: { a, _ in a })
    let types = ["seed-preprocessor", "seed-service", "forward", "compute", "steps", "process"]
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
