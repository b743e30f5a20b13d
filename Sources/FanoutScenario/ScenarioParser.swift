import FanoutSim
import Yams

// MARK: - The scenario schema

/// Turns a YAML tree into a `Scenario`, reporting every problem with its place.
struct ScenarioParser {
  let r: Reader
  init(_ r: Reader) { self.r = r }

  static let topKeys = [
    "name", "description", "seed", "start", "region", "account", "accountConcurrency", "latency", "buckets", "topics",
    "queues", "functions", "eventSourceMappings", "entry", "load", "timeline", "expect",
  ]

  /// Where each named thing was defined, for references and later checks.
  final class Names {
    var queues: [String: Node] = [:]
    var topics: [String: Node] = [:]
    var functions: [String: Node] = [:]
    var buckets: [String: Node] = [:]
    var mappingNodes: [(MappingSpec, Node)] = []
    /// References to check once everything is defined: name, kind, the node naming it, its path.
    var refs: [(name: String, kind: String, node: Node, path: String)] = []
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
    if let v = d["accountConcurrency"].flatMap({ r.int($0, "accountConcurrency", 1...100_000) }) {
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
        refer(e, "entry", n, names.functions, "function")
        t.entryFunction = n
      }
    }
    checkReferences(t, names, d)
    checkRules(t, names)
    var loads: [LoadSpec] = []
    for (i, l) in (d["load"].flatMap { r.list($0, "load") } ?? []).enumerated() {
      if let spec = load(l, "load[\(i)]") { loads.append(spec) }
    }
    if !loads.isEmpty, t.entryFunction == nil {
      r.error(d["load"], "load", "a load fires requests at the entry function: set 'entry'")
    }
    var timeline: [(Int64, ScenarioAction)] = []
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
    let keys = ["s3Get", "s3Put", "snsPublish", "snsDelivery", "sqsSend", "pollPickup"]
    for (k, v) in r.mapping(node, "latency", keys: keys) ?? [] {
      guard let m = r.durationModel(v, "latency." + k) else { continue }
      switch k {
      case "s3Get": l.s3Get = m
      case "s3Put": l.s3Put = m
      case "snsPublish": l.snsPublish = m
      case "snsDelivery": l.snsDelivery = m
      case "sqsSend": l.sqsSend = m
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

  func seconds(_ node: Node, _ path: String, _ aws: String, _ range: ClosedRange<Int>) -> Int64? {
    r.int(node, path, range, awsName: aws).map { Int64($0) * Micros.second }
  }

  func queue(_ node: Node, _ path: String, _ names: Names) -> QueueSpec? {
    let keys = [
      "name", "VisibilityTimeout", "DelaySeconds", "MessageRetentionPeriod", "MaximumMessageSize",
      "ReceiveMessageWaitTimeSeconds", "RedrivePolicy",
    ]
    guard let m = r.mapping(node, path, keys: keys), let name = named(node, path, "queue", &names.queues) else {
      return nil
    }
    var q = QueueSpec(name: name)
    for (k, v) in m {
      let p = path + "." + k
      switch k {
      case "VisibilityTimeout": if let x = seconds(v, p, k, 0...43_200) { q.visibilityTimeout = x }
      case "DelaySeconds": if let x = seconds(v, p, k, 0...900) { q.delaySeconds = x }
      case "MessageRetentionPeriod": if let x = seconds(v, p, k, 60...1_209_600) { q.messageRetentionPeriod = x }
      case "MaximumMessageSize": if let x = r.int(v, p, 1_024...1_048_576, awsName: k) { q.maximumMessageSize = x }
      case "ReceiveMessageWaitTimeSeconds": if let x = seconds(v, p, k, 0...20) { q.receiveMessageWaitTimeSeconds = x }
      case "RedrivePolicy":
        guard let rp = r.mapping(v, p, keys: ["deadLetterTargetArn", "maxReceiveCount"]) else { continue }
        let rd = Dictionary(rp, uniquingKeysWith: { a, _ in a })
        guard let target = rd["deadLetterTargetArn"].flatMap({ r.string($0, p + ".deadLetterTargetArn") }),
          let count = rd["maxReceiveCount"].flatMap({
            r.int($0, p + ".maxReceiveCount", 1...1_000, awsName: "maxReceiveCount")
          })
        else {
          if rd["deadLetterTargetArn"] == nil || rd["maxReceiveCount"] == nil {
            r.error(v, p, "a RedrivePolicy needs deadLetterTargetArn and maxReceiveCount")
          }
          continue
        }
        // An ARN or a queue name.
        let dlq = target.hasPrefix("arn:") ? String(target.split(separator: ":").last ?? "") : target
        q.redrive = (dlq, count)
        names.refs.append((dlq, "dead-letter queue", rd["deadLetterTargetArn"]!, p + ".deadLetterTargetArn"))
      default: break
      }
    }
    return q
  }

  func topic(_ node: Node, _ path: String, _ names: Names) -> TopicSpec? {
    guard let m = r.mapping(node, path, keys: ["name", "subscriptions"]),
      let name = named(node, path, "topic", &names.topics)
    else { return nil }
    var t = TopicSpec(name: name)
    for (k, v) in m where k == "subscriptions" {
      for (i, s) in (r.list(v, path + ".subscriptions") ?? []).enumerated() {
        let p = path + ".subscriptions[\(i)]"
        let keys = ["queue", "sink", "RawMessageDelivery", "FilterPolicy", "FilterPolicyScope"]
        guard let sm = r.mapping(s, p, keys: keys) else { continue }
        let sd = Dictionary(sm, uniquingKeysWith: { a, _ in a })
        let endpoint: SubscriptionEndpoint
        switch (sd["queue"].flatMap { r.string($0, p + ".queue") }, sd["sink"].flatMap { r.string($0, p + ".sink") }) {
        case (let q?, nil):
          endpoint = .queue(q)
          names.refs.append((q, "queue", sd["queue"]!, p + ".queue"))
        case (nil, let k?): endpoint = .sink(k)
        default:
          r.error(s, p, "a subscription names exactly one endpoint: queue or sink")
          continue
        }
        var spec = SubscriptionSpec(endpoint: endpoint)
        if let raw = sd["RawMessageDelivery"].flatMap({ r.bool($0, p + ".RawMessageDelivery") }) {
          spec.rawMessageDelivery = raw
        }
        if let sc = sd["FilterPolicyScope"] {
          if let v = r.string(sc, p + ".FilterPolicyScope") {
            if let scope = FilterPolicyScope(rawValue: v) {
              spec.filterPolicyScope = scope
            } else {
              r.error(
                sc, p + ".FilterPolicyScope",
                "Invalid parameter: FilterPolicyScope: must be MessageAttributes or MessageBody")
            }
          }
        }
        if let fp = sd["FilterPolicy"] {
          let text: String?
          if case .scalar(let sc) = fp { text = sc.string } else { text = r.json(fp, p + ".FilterPolicy") }
          if let text {
            do {
              _ = try FilterPolicy(json: text, scope: spec.filterPolicyScope)
              spec.filterPolicy = text
            } catch {
              r.error(fp, p + ".FilterPolicy", "\(error)")
            }
          }
        }
        t.subscriptions.append(spec)
      }
    }
    return t
  }

  func function(_ node: Node, _ path: String, _ names: Names) -> FunctionSpec? {
    let keys = [
      "name", "handler", "Timeout", "ReservedConcurrentExecutions", "coldStart", "duration", "perRecord",
      "idleLifetime",
      "failure",
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
      if case .seedService = h {
      } else if hm["field"] != nil || hm["value"] != nil {
        r.error(hn, path + ".handler", "field and value belong to a seed-service handler")
      }
    }
    for (k, v) in m {
      let p = path + "." + k
      switch k {
      case "Timeout": if let x = seconds(v, p, "timeout", 1...900) { f.timeout = x }
      case "ReservedConcurrentExecutions": if let x = r.int(v, p, 0...100_000) { f.reservedConcurrency = x }
      case "coldStart": if let x = r.durationModel(v, p) { f.coldStart = x }
      case "duration": if let x = r.durationModel(v, p) { f.duration = x }
      case "perRecord": if let x = r.durationModel(v, p) { f.perRecord = x }
      case "idleLifetime": if let x = r.duration(v, p) { f.idleLifetime = x }
      case "failure": if let x = failure(v, p) { f.failure = x }
      default: break
      }
    }
    return f
  }

  func handler(_ node: Node, _ path: String, _ names: Names) -> HandlerSpec? {
    let keys = ["type", "bucket", "prefix", "stage", "previous", "topic", "queue", "field", "value"]
    guard let m = r.mapping(node, path, keys: keys) else { return nil }
    let d = Dictionary(m, uniquingKeysWith: { a, _ in a })
    let types = ["seed-preprocessor", "seed-service", "forward"]
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
    for (k, kind) in [("bucket", "bucket"), ("topic", "topic"), ("queue", "queue")] {
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

  func mapping(_ node: Node, _ path: String, _ names: Names) -> MappingSpec? {
    let keys = [
      "queue", "function", "BatchSize", "MaximumBatchingWindowInSeconds", "Enabled", "FunctionResponseTypes",
      "ScalingConfig",
    ]
    guard let m = r.mapping(node, path, keys: keys) else { return nil }
    let d = Dictionary(m, uniquingKeysWith: { a, _ in a })
    guard let q = d["queue"].flatMap({ r.string($0, path + ".queue") }),
      let f = d["function"].flatMap({ r.string($0, path + ".function") })
    else {
      r.error(node, path, "an event source mapping needs a queue and a function")
      return nil
    }
    var spec = MappingSpec(queue: q, function: f)
    names.refs.append((q, "queue", d["queue"]!, path + ".queue"))
    names.refs.append((f, "function", d["function"]!, path + ".function"))
    for (k, v) in m {
      let p = path + "." + k
      switch k {
      case "BatchSize": if let x = r.int(v, p, 1...10_000, awsName: "batchSize") { spec.batchSize = x }
      case "MaximumBatchingWindowInSeconds":
        if let x = r.int(v, p, 0...300, awsName: "maximumBatchingWindowInSeconds") {
          spec.maximumBatchingWindow = Int64(x) * Micros.second
        }
      case "Enabled": if let x = r.bool(v, p) { spec.enabled = x }
      case "FunctionResponseTypes":
        for (i, x) in (r.list(v, p) ?? []).enumerated() {
          guard let s = r.string(x, p + "[\(i)]") else { continue }
          if s == "ReportBatchItemFailures" {
            spec.reportBatchItemFailures = true
          } else {
            r.error(x, p + "[\(i)]", "the only FunctionResponseTypes value is ReportBatchItemFailures")
          }
        }
      case "ScalingConfig":
        for (_, mc) in r.mapping(v, p, keys: ["MaximumConcurrency"]) ?? [] {
          if let x = r.int(mc, p + ".MaximumConcurrency", 2...1_000, awsName: "scalingConfig.maximumConcurrency") {
            spec.maximumConcurrency = x
          }
        }
      default: break
      }
    }
    return spec
  }

  // MARK: References and AWS's rules

  func refer(_ node: Node?, _ path: String, _ name: String, _ table: [String: Node], _ kind: String) {
    guard table[name] == nil else { return }
    var message = "\(kind) '\(name)' is not defined"
    if let s = suggestion(name, Array(table.keys).sorted()) { message += " (did you mean '\(s)'?)" }
    r.error(node, path, message)
  }

  func checkReferences(_ t: Topology, _ names: Names, _ d: [String: Node]) {
    for ref in names.refs {
      let table: [String: Node]
      switch ref.kind {
      case "bucket": table = names.buckets
      case "topic": table = names.topics
      case "function": table = names.functions
      default: table = names.queues
      }
      refer(ref.node, ref.path, ref.name, table, ref.kind)
    }
  }

  func checkRules(_ t: Topology, _ names: Names) {
    for (i, (m, node)) in names.mappingNodes.enumerated() {
      let p = "eventSourceMappings[\(i)]"
      guard let q = t.queues.first(where: { $0.name == m.queue }),
        let f = t.functions.first(where: { $0.name == m.function })
      else { continue }
      if m.batchSize > 10, m.maximumBatchingWindow < Micros.second {
        r.error(
          node, p + ".BatchSize",
          "Invalid request provided: Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
        )
      }
      if q.visibilityTimeout < f.timeout {
        r.error(
          node, p,
          "Invalid request provided: Queue visibility timeout: \(q.visibilityTimeout / Micros.second) seconds is less than Function timeout: \(f.timeout / Micros.second) seconds"
        )
      } else if q.visibilityTimeout < 6 * f.timeout + m.maximumBatchingWindow {
        r.warning(
          node, p,
          "AWS recommends a visibility timeout of at least 6 × the function timeout (+ the batching window): \(q.name) has \(q.visibilityTimeout / Micros.second) s, \(f.name) times out after \(f.timeout / Micros.second) s"
        )
      }
      let failing = f.failure.errorRate > 0 || f.failure.timeoutRate > 0 || !f.failure.poison.isEmpty
      if failing, q.redrive == nil {
        r.warning(
          node, p,
          "\(f.name) can fail but \(q.name) has no dead-letter queue: failing messages retry until retention expires")
      }
    }
    for (i, q) in t.queues.enumerated() {
      if let rd = q.redrive, rd.maxReceiveCount < 5 {
        r.warning(
          names.queues[q.name], "queues[\(i)].RedrivePolicy.maxReceiveCount",
          "AWS recommends maxReceiveCount of at least 5 (here \(rd.maxReceiveCount))")
      }
    }
  }

  // MARK: Load, timeline, expectations

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
    let start = d["start"].flatMap { r.duration($0, p + ".start") } ?? 0
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
      if a + b <= 0 || over <= 0 {
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

  func action(_ node: Node, _ path: String, _ names: Names, _ t: Topology) -> (Int64, ScenarioAction)? {
    let kinds = ["fire", "pause", "resume", "fail", "mend", "publish", "send", "redrive", "inject"]
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
      refer(v, p, q, names.queues, "queue")
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
      if let topic { refer(id["topic"], p + ".topic", topic, names.topics, "topic") }
      if let queue { refer(id["queue"], p + ".queue", queue, names.queues, "queue") }
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
      refer(fromNode, p + ".from", from, names.queues, "queue")
      if names.queues[from] != nil, !t.queues.contains(where: { $0.redrive?.deadLetterQueue == from }) {
        r.error(fromNode, p + ".from", "Source queue must be configured as a Dead Letter Queue.")
      }
      let to = rd["to"].flatMap { r.string($0, p + ".to") }
      if let to, let n = rd["to"] { refer(n, p + ".to", to, names.queues, "queue") }
      let rate = rd["rate"].flatMap { r.int($0, p + ".rate", 1...500, awsName: "MaxNumberOfMessagesPerSecond") } ?? 500
      return (at, .redrive(from: from, to: to, perSecond: rate))
    case "mend":
      guard let f = r.string(v, p) else { return nil }
      refer(v, p, f, names.functions, "function")
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
      refer(fnode, p + ".function", f, names.functions, "function")
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
      refer(pd["topic"], p + ".topic", topic, names.topics, "topic")
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
      refer(sd["queue"], p + ".queue", queue, names.queues, "queue")
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

  func expect(_ node: Node, _ names: Names) -> [Expectation] {
    let keys = [
      "allRequestsComplete", "maxFailedRequests", "maxInDeadLetterQueues", "maxInQueue", "p99LatencyBelow",
      "maxAgeOfOldestMessage",
    ]
    var out: [Expectation] = []
    for (k, v) in r.mapping(node, "expect", keys: keys) ?? [] {
      let p = "expect." + k
      switch k {
      case "allRequestsComplete": if r.bool(v, p) == true { out.append(.allRequestsComplete) }
      case "maxFailedRequests": if let n = r.int(v, p, 0...100_000_000) { out.append(.maxFailedRequests(n)) }
      case "maxInDeadLetterQueues": if let n = r.int(v, p, 0...100_000_000) { out.append(.maxInDeadLetterQueues(n)) }
      case "p99LatencyBelow": if let d = r.duration(v, p) { out.append(.p99LatencyBelow(d)) }
      case "maxInQueue", "maxAgeOfOldestMessage":
        guard case .mapping(let m) = v else {
          r.error(v, p, "expected a mapping of queue names to limits")
          continue
        }
        for (qk, qv) in m {
          guard let q = qk.string else { continue }
          refer(qk, p + "." + q, q, names.queues, "queue")
          if k == "maxInQueue" {
            if let n = r.int(qv, p + "." + q, 0...100_000_000) { out.append(.maxInQueue(q, n)) }
          } else if let d = r.duration(qv, p + "." + q) {
            out.append(.maxAgeOfOldestMessage(q, d))
          }
        }
      default: break
      }
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
