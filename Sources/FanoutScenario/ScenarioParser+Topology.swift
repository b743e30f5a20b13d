import FanoutSim
import Yams

// MARK: - Topology: queues, topics and subscriptions, event source mappings, references and AWS's rules

extension ScenarioParser {
  func queue(_ node: Node, _ path: String, _ names: Names) -> QueueSpec? {
    let keys = [
      "name", "VisibilityTimeout", "DelaySeconds", "MessageRetentionPeriod", "MaximumMessageSize",
      "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "Policy", "duplicateRate",
    ]
    guard let m = r.mapping(node, path, keys: keys), let name = named(node, path, "queue", &names.queues) else {
      return nil
    }
    var q = QueueSpec(name: name)
    for (k, v) in m {
      let p = path + "." + k
      switch k {
      case "VisibilityTimeout":
        if let x = r.seconds(v, p, limit: Limits.SQS.visibilityTimeout) { q.visibilityTimeout = x }
      case "DelaySeconds": if let x = r.seconds(v, p, limit: Limits.SQS.delaySeconds) { q.delay = x }
      case "MessageRetentionPeriod":
        if let x = r.seconds(v, p, limit: Limits.SQS.messageRetentionPeriod) { q.messageRetentionPeriod = x }
      case "MaximumMessageSize":
        if let x = r.int(v, p, limit: Limits.SQS.maximumMessageSize) { q.maximumMessageSize = x }
      case "ReceiveMessageWaitTimeSeconds":
        if let x = r.seconds(v, p, limit: Limits.SQS.receiveMessageWaitTimeSeconds) { q.receiveMessageWaitTime = x }
      case "duplicateRate": if let x = r.double(v, p, 0...1) { q.duplicateRate = x }
      case "Policy": q.policy = policy(v, p)
      case "RedrivePolicy":
        guard let rp = r.mapping(v, p, keys: ["deadLetterTargetArn", "maxReceiveCount"]) else { continue }
        let rd = Dictionary(rp, uniquingKeysWith: { a, _ in a })
        guard let target = rd["deadLetterTargetArn"].flatMap({ r.string($0, p + ".deadLetterTargetArn") }),
          let count = rd["maxReceiveCount"].flatMap({
            r.int($0, p + ".maxReceiveCount", limit: Limits.SQS.maxReceiveCount)
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
        names.refs.append((dlq, .deadLetterQueue, rd["deadLetterTargetArn"]!, p + ".deadLetterTargetArn"))
      default: break
      }
    }
    return q
  }

  /// A queue's `Policy`: `none` (the queue has no policy), or the policy document as YAML or as
  /// a JSON string.
  func policy(_ node: Node, _ path: String) -> QueuePolicy? {
    let text: String?
    if case .scalar(let sc) = node {
      if sc.string == "none", sc.style == .plain || sc.style == .any { return QueuePolicy.none }
      text = sc.string
    } else {
      text = r.json(node, path)
    }
    guard let text else { return nil }
    do { return try QueuePolicy(json: text) } catch {
      r.error(node, path, error.description + " (or write 'none' for a queue without a policy)")
      return nil
    }
  }

  func topic(_ node: Node, _ path: String, _ names: Names) -> TopicSpec? {
    guard let m = r.mapping(node, path, keys: ["name", "subscriptions"]),
      let name = named(node, path, "topic", &names.topics)
    else { return nil }
    var t = TopicSpec(name: name)
    for (k, v) in m where k == "subscriptions" {
      for (i, s) in (r.list(v, path + ".subscriptions") ?? []).enumerated() {
        let p = path + ".subscriptions[\(i)]"
        let keys = [
          "queue", "function", "sink", "RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy",
          "duplicateRate",
        ]
        guard let sm = r.mapping(s, p, keys: keys) else { continue }
        let sd = Dictionary(sm, uniquingKeysWith: { a, _ in a })
        let endpoint: SubscriptionEndpoint
        let named = ["queue", "function", "sink"].compactMap { k in
          sd[k].flatMap { r.string($0, p + "." + k) }.map { (k, $0) }
        }
        guard named.count == 1 else {
          r.error(s, p, "a subscription names exactly one endpoint: queue, function or sink")
          continue
        }
        switch named[0] {
        case ("queue", let q):
          endpoint = .queue(q)
          names.refs.append((q, .queue, sd["queue"]!, p + ".queue"))
        case ("function", let f):
          endpoint = .function(f)
          names.refs.append((f, .function, sd["function"]!, p + ".function"))
        default: endpoint = .sink(named[0].1)
        }
        var spec = SubscriptionSpec(endpoint: endpoint)
        if let rp = sd["RedrivePolicy"], let m = r.mapping(rp, p + ".RedrivePolicy", keys: ["deadLetterTargetArn"]) {
          let rd = Dictionary(m, uniquingKeysWith: { a, _ in a })
          if let tn = rd["deadLetterTargetArn"], let target = r.string(tn, p + ".RedrivePolicy.deadLetterTargetArn") {
            let dlq = target.hasPrefix("arn:") ? String(target.split(separator: ":").last ?? "") : target
            spec.deadLetterQueue = dlq
            names.refs.append((dlq, .deadLetterQueue, tn, p + ".RedrivePolicy.deadLetterTargetArn"))
          } else if rd["deadLetterTargetArn"] == nil {
            r.error(rp, p + ".RedrivePolicy", "Invalid parameter: RedrivePolicy: deadLetterTargetArn is required")
          }
        }
        if let raw = sd["RawMessageDelivery"].flatMap({ r.bool($0, p + ".RawMessageDelivery") }) {
          spec.rawMessageDelivery = raw
        }
        if let d = sd["duplicateRate"], let x = r.double(d, p + ".duplicateRate", 0...1) { spec.duplicateRate = x }
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
          // Its rules and AWS's limits are checked with the whole topology (`Topology.problems()`).
          if let text { spec.filterPolicy = text }
        }
        t.subscriptions.append(spec)
        names.subscriptionNodes[name, default: []].append(s)
      }
    }
    return t
  }

  func mapping(_ node: Node, _ path: String, _ names: Names) -> MappingSpec? {
    let keys = [
      "queue", "function", "BatchSize", "MaximumBatchingWindowInSeconds", "Enabled", "FunctionResponseTypes",
      "ScalingConfig", "ProvisionedPollerConfig",
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
    names.refs.append((q, .queue, d["queue"]!, path + ".queue"))
    names.refs.append((f, .function, d["function"]!, path + ".function"))
    for (k, v) in m {
      let p = path + "." + k
      switch k {
      case "BatchSize": if let x = r.int(v, p, limit: Limits.Lambda.batchSize) { spec.batchSize = x }
      case "MaximumBatchingWindowInSeconds":
        if let x = r.seconds(v, p, limit: Limits.Lambda.maximumBatchingWindow) { spec.maximumBatchingWindow = x }
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
          if let x = r.int(mc, p + ".MaximumConcurrency", limit: Limits.Lambda.maximumConcurrency) {
            spec.maximumConcurrency = x
          }
        }
      case "ProvisionedPollerConfig":
        var pp = ProvisionedPollers()
        for (k2, x) in r.mapping(v, p, keys: ["MinimumPollers", "MaximumPollers"]) ?? [] {
          let limit = k2 == "MinimumPollers" ? Limits.Lambda.minimumPollers : Limits.Lambda.maximumPollers
          guard let n = r.int(x, p + "." + k2, limit: limit) else { continue }
          if k2 == "MinimumPollers" { pp.minimum = n } else { pp.maximum = n }
        }
        spec.provisionedPollers = pp
      default: break
      }
    }
    return spec
  }

  // MARK: References and AWS's rules

  func refer(_ node: Node?, _ path: String, _ name: String, _ names: Names, _ kind: RefKind) {
    let table = names.table(kind)
    guard table[name] == nil else { return }
    var message = "\(kind.rawValue) '\(name)' is not defined"
    if let s = suggestion(name, Array(table.keys).sorted()) { message += " (did you mean '\(s)'?)" }
    r.error(node, path, message)
  }

  func checkReferences(_ t: Topology, _ names: Names, _ d: [String: Node]) {
    for ref in names.refs { refer(ref.node, ref.path, ref.name, names, ref.kind) }
  }

  /// AWS's rules and recommendations, from the one validator (`Topology.problems()`), each at the
  /// node of its component and attribute.
  func checkRules(_ t: Topology, _ names: Names) {
    for problem in t.problems() {
      let (node, path) = locate(problem.place, t, names)
      switch problem.severity {
      case .error: r.error(node, path, problem.message)
      case .warning: r.warning(node, path, problem.message)
      }
    }
  }

  /// The YAML node and key path of a place in the topology: the attribute's value when the file
  /// gives it, else the component.
  func locate(_ place: TopologyPlace, _ t: Topology, _ names: Names) -> (Node?, String) {
    func attribute(_ node: Node?, _ path: String, _ key: String?) -> (Node?, String) {
      var (n, p) = (node, path)
      // A dotted attribute (`RedrivePolicy.maxReceiveCount`, `handler.steps[2].s3Get.key`)
      // descends as far as the file goes, into lists by index.
      descent: for part in (key ?? "").split(separator: ".").map(String.init) {
        var name = Substring(part)
        var indices: [Int] = []
        while name.hasSuffix("]"), let open = name.lastIndex(of: "["),
          let i = Int(name[name.index(after: open)..<name.index(before: name.endIndex)])
        {
          indices.insert(i, at: 0)
          name = name[..<open]
        }
        guard case .mapping(let m)? = n, let v = m[String(name)] else { break }
        (n, p) = (v, p + "." + name)
        for i in indices {
          guard case .sequence(let items)? = n, i >= 0, i < items.count else { break descent }
          (n, p) = (items[i], p + "[\(i)]")
        }
      }
      return (n, p)
    }
    switch place {
    case .topology(let a):
      return (nil, a ?? "")
    case .queue(let name, let a):
      let i = t.queues.firstIndex { $0.name == name } ?? 0
      return attribute(names.queues[name], "queues[\(i)]", a)
    case .function(let name, let a):
      let i = t.functions.firstIndex { $0.name == name } ?? 0
      return attribute(names.functions[name], "functions[\(i)]", a)
    case .mapping(let i, let a):
      let node = i < names.mappingNodes.count ? names.mappingNodes[i].1 : nil
      return attribute(node, "eventSourceMappings[\(i)]", a)
    case .subscription(let topic, let i, let a):
      let ti = t.topics.firstIndex { $0.name == topic } ?? 0
      let nodes = names.subscriptionNodes[topic] ?? []
      return attribute(i < nodes.count ? nodes[i] : names.topics[topic], "topics[\(ti)].subscriptions[\(i)]", a)
    }
  }
}
