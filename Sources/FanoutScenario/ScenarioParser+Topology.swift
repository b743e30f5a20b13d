import FanoutSim
import Yams

// MARK: - Topology: queues, topics and subscriptions, event source mappings, references and AWS's rules

extension ScenarioParser {
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
}
