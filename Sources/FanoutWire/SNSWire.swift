import FanoutSim

// MARK: - SNS: the query protocol over the simulation's topics
//
// SNS speaks only the query protocol (botocore's model `data/sns/2010-03-31/service-2.json`,
// `"protocol": "query"`): a form body `Action=<Op>&Version=2010-03-31&…`; lists as
// `Name.member.N`, maps as `Name.entry.N.key` / `.value` (message attributes as
// `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue`); answers are XML in
// the namespace `http://sns.amazonaws.com/doc/2010-03-31/`, lists in `<member>`, maps in
// `<entry><key/><value/></entry>`; an error is an `ErrorResponse` whose `Code` is the model's
// error code (`NotFound`, `InvalidParameter`, `ParameterValueInvalid`, …) and whose status is the
// model's `httpStatusCode` (https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html).

/// The SNS wire protocol.
public final class SNSWire: WireService {
  var served: UInt64 = 0
  /// The protocol each subscription to a sink was made with (`http`, `email`, …), by ARN: the
  /// simulation's sinks stand for every such endpoint. Only looked up.
  var sinkProtocols: [String: String] = [:]

  public init() {}

  static let namespace = "http://sns.amazonaws.com/doc/2010-03-31/"
  static let version = "2010-03-31"

  public static let operations = [
    "CreateTopic", "ListTopics", "Subscribe", "Unsubscribe", "ListSubscriptions", "ListSubscriptionsByTopic", "Publish",
    "PublishBatch", "GetSubscriptionAttributes", "SetSubscriptionAttributes",
  ]
  static let noResult: Set<String> = ["Unsubscribe", "SetSubscriptionAttributes"]

  public func accepts(_ r: WireRequest) -> Bool {
    r.header("x-amz-target") == nil && WireRouter.formVersion(r) == SNSWire.version
  }

  public func answer(_ r: WireRequest, _ sim: Simulation) -> WireAnswer {
    served &+= 1
    let rid = "sns-" + requestId(served)
    do {
      guard let form = WireRouter.form(r) else {
        throw WireError("MalformedQueryString", "The request's form encoding is malformed.")
      }
      let p = Params(form: form)
      guard let action = p.string("Action") else {
        throw WireError("MissingAction", "The request must contain the parameter Action.")
      }
      guard SNSWire.operations.contains(action) else {
        throw WireError("InvalidAction", "The action \(action) is not valid for this web service.")
      }
      let out = try perform(action, p, sim)
      var x = "<?xml version=\"1.0\"?><\(action)Response xmlns=\"\(SNSWire.namespace)\">"
      if !SNSWire.noResult.contains(action) { Out.object(out).xml(name: action + "Result", into: &x) }
      x += "<ResponseMetadata><RequestId>\(rid)</RequestId></ResponseMetadata></\(action)Response>"
      return .now(.xml(x, requestId: rid))
    } catch {
      return .now(SNSWire.render(SNSWire.translate(error), rid))
    }
  }

  func refusal(_ e: WireError, for r: WireRequest) -> WireResponse {
    served &+= 1
    return SNSWire.render(e, "sns-" + requestId(served))
  }

  static func render(_ e: WireError, _ rid: String) -> WireResponse {
    let x =
      "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"\(namespace)\"><Error><Type>\(e.senderFault ? "Sender" : "Receiver")</Type><Code>\(xmlEscape(e.code))</Code><Message>\(xmlEscape(e.message))</Message></Error><RequestId>\(rid)</RequestId></ErrorResponse>"
    return .xml(x, status: e.status, requestId: rid)
  }

  static func translate(_ error: any Error) -> WireError {
    switch error {
    case let e as WireError:
      // The query protocol's codes: MissingParameter is SNS's InvalidParameter.
      if e.name == "MissingParameter" { return WireError("InvalidParameter", "Invalid parameter: \(e.message)") }
      return e
    case let s as SNSError:
      switch s {
      case .notFound(let what):
        return WireError(
          "NotFound",
          what.contains(":subscription") || what.split(separator: ":").count > 6
            ? "Subscription does not exist" : "Topic does not exist", status: 404)
      case .invalidParameter(let m): return WireError("InvalidParameter", m)
      case .messageTooLong: return WireError("InvalidParameter", "Invalid parameter: Message too long")
      }
    case let a as APIRefusal: return WireError(a.code, a.message)
    case let u as UnknownName: return WireError("NotFound", "\(u.kind) \(u.name) does not exist", status: 404)
    case let q as SQSError: return WireError("InvalidParameter", SQSWire.stripCode(q.description))
    default: return WireError("InternalError", "\(error)", status: 500, senderFault: false)
    }
  }

  /// The topic an ARN names.
  static func topic(_ arn: String, _ sim: Simulation) throws(WireError) -> SNSTopic {
    let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 6, parts[0] == "arn", parts[2] == "sns" else {
      throw WireError("InvalidParameter", "Invalid parameter: TopicArn")
    }
    guard let t = sim.topic(named: String(parts[5])) else {
      throw WireError("NotFound", "Topic does not exist", status: 404)
    }
    return t
  }

  func perform(_ action: String, _ p: Params, _ sim: Simulation) throws -> [(String, Out)] {
    switch action {
    case "CreateTopic":
      let name = try p.required("Name")
      let attrs = p.map(json: "Attributes", form: "Attributes.entry", key: "key", value: "value")
      if name.hasSuffix(".fifo") || attrs.contains(where: { $0.0 == "FifoTopic" && $0.1 == "true" }) {
        throw WireError(
          "InvalidParameter", "Invalid parameter: FIFO topics are not modelled by fanout: only standard topics.")
      }
      let t = try sim.createTopic(name)
      return [("TopicArn", .string(t.arn))]

    case "ListTopics":
      let start = p.string("NextToken").flatMap { Int($0) } ?? 0
      let page = sim.topics.dropFirst(start).prefix(100)
      var out: [(String, Out)] = [("Topics", .list(flat: nil, page.map { .object([("TopicArn", .string($0.arn))]) }))]
      if start + page.count < sim.topics.count { out.append(("NextToken", .string(String(start + page.count)))) }
      return out

    case "Subscribe":
      let t = try SNSWire.topic(p.required("TopicArn"), sim)
      let proto = try p.required("Protocol")
      let endpoint = p.string("Endpoint") ?? ""
      var spec: SubscriptionSpec
      switch proto {
      case "sqs":
        let parts = endpoint.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[2] == "sqs" else {
          throw WireError("InvalidParameter", "Invalid parameter: SQS endpoint ARN")
        }
        spec = SubscriptionSpec(endpoint: .queue(String(parts[5])))
      case "lambda":
        let parts = endpoint.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 7, parts[2] == "lambda" else {
          throw WireError("InvalidParameter", "Invalid parameter: Lambda endpoint ARN")
        }
        spec = SubscriptionSpec(endpoint: .function(String(parts[6])))
      case "http", "https", "email", "email-json", "sms", "application", "firehose":
        guard !endpoint.isEmpty else { throw WireError("InvalidParameter", "Invalid parameter: Endpoint") }
        spec = SubscriptionSpec(endpoint: .sink(endpoint))
      default:
        throw WireError(
          "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: \(proto)")
      }
      spec = try SNSWire.apply(
        p.map(json: "Attributes", form: "Attributes.entry", key: "key", value: "value"), to: spec, sim)
      let s = try sim.subscribe(topic: t.name, spec)
      if case .sink = spec.endpoint { sinkProtocols[s.arn] = proto }
      return [("SubscriptionArn", .string(s.arn))]

    case "Unsubscribe":
      try sim.unsubscribe(arn: p.required("SubscriptionArn"))
      return []

    case "ListSubscriptions":
      let all = sim.topics.flatMap { t in t.subscriptions.filter { !$0.unsubscribed }.map { (t, $0) } }
      return page(all, p, sim)

    case "ListSubscriptionsByTopic":
      let t = try SNSWire.topic(p.required("TopicArn"), sim)
      return page(t.subscriptions.filter { !$0.unsubscribed }.map { (t, $0) }, p, sim)

    case "Publish":
      let arn = try p.string("TopicArn") ?? p.string("TargetArn") ?? p.required("TopicArn")
      let t = try SNSWire.topic(arn, sim)
      let id = try publish(t, p, sim)
      return [("MessageId", .string(id.text))]

    case "PublishBatch":
      let t = try SNSWire.topic(p.required("TopicArn"), sim)
      let entries = p.entries(json: "PublishBatchRequestEntries", form: "PublishBatchRequestEntries.member")
      if entries.isEmpty { throw WireError("EmptyBatchRequest", "The batch request doesn't contain any entries.") }
      if entries.count > 10 {
        throw WireError("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
      }
      var ids: [String] = []
      for e in entries {
        guard let id = e.string("Id"), Simulation.isValidQueueName(id) else {
          throw WireError(
            "InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification.")
        }
        if ids.contains(id) {
          throw WireError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
        }
        ids.append(id)
      }
      let total = entries.reduce(0) { $0 + ($1.string("Message")?.utf8.count ?? 0) }
      if total > Limits.SNS.maxPublishBytes {
        throw WireError("BatchRequestTooLong", "The length of all the messages put together is more than the limit.")
      }
      var ok: [Out] = []
      var failed: [Out] = []
      for (e, id) in zip(entries, ids) {
        do {
          let m = try publish(t, e, sim)
          ok.append(.object([("Id", .string(id)), ("MessageId", .string(m.text))]))
        } catch {
          let w = SNSWire.translate(error)
          failed.append(
            .object([
              ("Id", .string(id)), ("Code", .string(w.code)), ("Message", .string(w.message)),
              ("SenderFault", .bool(w.senderFault)),
            ]))
        }
      }
      return [("Successful", .list(flat: nil, ok)), ("Failed", .list(flat: nil, failed))]

    case "GetSubscriptionAttributes":
      let arn = try p.required("SubscriptionArn")
      guard let (t, i) = sim.subscription(arn: arn), !t.subscriptions[i].unsubscribed else {
        throw WireError("NotFound", "Subscription does not exist", status: 404)
      }
      return [("Attributes", .map(flat: nil, attributes(t, t.subscriptions[i], sim).map { ($0.0, .string($0.1)) }))]

    case "SetSubscriptionAttributes":
      let arn = try p.required("SubscriptionArn")
      let name = try p.required("AttributeName")
      let value = p.string("AttributeValue") ?? ""
      guard let (t, i) = sim.subscription(arn: arn), !t.subscriptions[i].unsubscribed else {
        throw WireError("NotFound", "Subscription does not exist", status: 404)
      }
      let spec = try SNSWire.apply([(name, value)], to: t.subscriptions[i].spec, sim)
      try sim.setSubscriptionSpec(arn: arn, spec)
      return []

    default:
      throw WireError("InvalidAction", "The action \(action) is not valid for this web service.")
    }
  }

  /// Subscription attributes applied to a spec: RawMessageDelivery, FilterPolicy,
  /// FilterPolicyScope, RedrivePolicy (https://docs.aws.amazon.com/sns/latest/api/API_SetSubscriptionAttributes.html).
  static func apply(_ attrs: [(String, String)], to base: SubscriptionSpec, _ sim: Simulation) throws(WireError)
    -> SubscriptionSpec
  {
    var s = base
    for (k, v) in attrs {
      switch k {
      case "RawMessageDelivery":
        guard v == "true" || v == "false" else {
          throw WireError(
            "InvalidParameter",
            "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [\(v)]. Must be true or false.")
        }
        s.rawMessageDelivery = v == "true"
      case "FilterPolicy": s.filterPolicy = v.isEmpty ? nil : v
      case "FilterPolicyScope":
        switch v {
        case "MessageAttributes": s.filterPolicyScope = .messageAttributes
        case "MessageBody": s.filterPolicyScope = .messageBody
        default:
          throw WireError(
            "InvalidParameter",
            "Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [\(v)]. Please use either MessageBody or MessageAttributes"
          )
        }
      case "RedrivePolicy":
        if v.isEmpty {
          s.deadLetterQueue = nil
          continue
        }
        guard let j = JSONValue.parse(v), let arn = j["deadLetterTargetArn"]?.stringValue else {
          throw WireError("InvalidParameter", "Invalid parameter: RedrivePolicy: Invalid RedrivePolicy JSON")
        }
        s.deadLetterQueue = String(arn.split(separator: ":").last ?? "")
      case "DeliveryPolicy", "SubscriptionRoleArn", "ReplayPolicy":
        throw WireError("InvalidParameter", "Invalid parameter: AttributeName: \(k) is not modelled by fanout")
      default:
        throw WireError("InvalidParameter", "Invalid parameter: AttributeName")
      }
    }
    return s
  }

  func publish(_ t: SNSTopic, _ p: Params, _ sim: Simulation) throws -> UUID128 {
    var message = try p.required("Message")
    if p.string("MessageStructure") == "json" {
      guard let j = JSONValue.parse(message), let d = j["default"]?.stringValue else {
        throw WireError(
          "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body")
      }
      message = d
    }
    let attrs = try p.messageAttributes(json: "MessageAttributes", form: "MessageAttributes.entry")
    if attrs.count > 10 {
      throw WireError(
        "InvalidParameter",
        "Invalid parameter: MessageAttributes: Number of message attributes [\(attrs.count)] exceeds the allowed maximum [10]."
      )
    }
    return try sim.publish(topic: t.name, message: message, subject: p.string("Subject"), attributes: attrs)
  }

  func endpoint(_ s: Subscription, _ sim: Simulation) -> (String, String) {
    if let q = sim.queueName(of: s) { return ("sqs", sim.queues.first { $0.name == q }?.arn ?? q) }
    if let f = sim.functionName(of: s), let fn = sim.function(named: f) { return ("lambda", fn.arn) }
    return (sinkProtocols[s.arn] ?? SNSWire.guessProtocol(s.endpointName), s.endpointName)
  }

  /// The protocol of a sink the topology made (its name is all fanout knows).
  static func guessProtocol(_ endpoint: String) -> String {
    if endpoint.hasPrefix("https://") { return "https" }
    if endpoint.hasPrefix("http://") { return "http" }
    return endpoint.contains("@") ? "email" : "email"
  }

  func page(_ all: [(SNSTopic, Subscription)], _ p: Params, _ sim: Simulation) -> [(String, Out)] {
    let start = p.string("NextToken").flatMap { Int($0) } ?? 0
    let items = all.dropFirst(start).prefix(100)
    var out: [(String, Out)] = [
      (
        "Subscriptions",
        .list(
          flat: nil,
          items.map { t, s in
            let (proto, ep) = endpoint(s, sim)
            return .object([
              ("SubscriptionArn", .string(s.arn)), ("Owner", .string(sim.topology.account)),
              ("Protocol", .string(proto)),
              ("Endpoint", .string(ep)), ("TopicArn", .string(t.arn)),
            ])
          })
      )
    ]
    if start + items.count < all.count { out.append(("NextToken", .string(String(start + items.count)))) }
    return out
  }

  func attributes(_ t: SNSTopic, _ s: Subscription, _ sim: Simulation) -> [(String, String)] {
    let (proto, ep) = endpoint(s, sim)
    var out: [(String, String)] = [
      ("SubscriptionArn", s.arn), ("TopicArn", t.arn), ("Owner", sim.topology.account), ("Protocol", proto),
      ("Endpoint", ep), ("ConfirmationWasAuthenticated", "true"), ("PendingConfirmation", "false"),
      ("RawMessageDelivery", s.spec.rawMessageDelivery ? "true" : "false"),
    ]
    if let f = s.spec.filterPolicy {
      out.append(("FilterPolicy", f))
      out.append(("FilterPolicyScope", s.spec.filterPolicyScope == .messageBody ? "MessageBody" : "MessageAttributes"))
    }
    if let d = sim.deadLetterQueueName(of: s), let q = sim.queue(named: d) {
      out.append(("RedrivePolicy", "{\"deadLetterTargetArn\":\(jsonString(q.arn))}"))
    }
    return out
  }
}
