import FanoutSim

// MARK: - SQS: the JSON protocol and the query protocol over the simulation's queues
//
// The JSON protocol (current SDKs, boto3 among them): `POST /`, `X-Amz-Target: AmazonSQS.<Op>`,
// `Content-Type: application/x-amz-json-1.0`, a JSON object in and out. An error is
// `{"__type": "com.amazonaws.sqs#<Name>", "message": …}` with the header
// `x-amzn-query-error: <legacy code>;Sender`, from which botocore takes the exception class
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html).
// The query protocol (older SDKs): a form body `Action=<Op>&Version=2012-11-05&…`, XML answers in
// the namespace `http://queue.amazonaws.com/doc/2012-11-05/`, an error is an `ErrorResponse` whose
// `Code` is the legacy code
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-xml-api-responses.html).
// Parameter names and shapes follow botocore's model (`data/sqs/2012-11-05/service-2.json`).

/// The SQS wire protocols.
public final class SQSWire: WireService {
  /// Requests answered so far: each one's request ID is derived from it.
  var served: UInt64 = 0

  public init() {}

  enum Proto { case json, query }

  static let namespace = "http://queue.amazonaws.com/doc/2012-11-05/"
  static let version = "2012-11-05"

  /// Operations answered, by name.
  public static let operations = [
    "CreateQueue", "GetQueueUrl", "ListQueues", "GetQueueAttributes", "SetQueueAttributes", "SendMessage",
    "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch", "PurgeQueue", "DeleteQueue", "StartMessageMoveTask", "ListMessageMoveTasks",
    "CancelMessageMoveTask",
  ]
  /// Operations whose answer has no result element in the query protocol.
  static let noResult: Set<String> = [
    "SetQueueAttributes", "DeleteMessage", "ChangeMessageVisibility", "PurgeQueue", "DeleteQueue",
  ]

  /// The legacy (query-protocol) code of each error name that has one of its own.
  static func legacyCode(_ name: String) -> String {
    switch name {
    case "QueueDoesNotExist": return "AWS.SimpleQueueService.NonExistentQueue"
    case "QueueNameExists": return "QueueAlreadyExists"
    case "QueueDeletedRecently", "PurgeQueueInProgress", "MessageNotInflight", "TooManyEntriesInBatchRequest",
      "EmptyBatchRequest", "BatchEntryIdsNotDistinct", "InvalidBatchEntryId", "BatchRequestTooLong",
      "UnsupportedOperation":
      return "AWS.SimpleQueueService." + name
    default: return name
    }
  }

  public func accepts(_ r: WireRequest) -> Bool {
    if let t = r.header("x-amz-target") { return t.hasPrefix("AmazonSQS.") }
    return WireRouter.formVersion(r) == SQSWire.version
  }

  public func answer(_ r: WireRequest, _ sim: Simulation) -> WireAnswer {
    served &+= 1
    let rid = requestId(served)
    let proto: Proto = r.header("x-amz-target") != nil ? .json : .query
    let host = r.header("host") ?? "127.0.0.1:4747"
    do {
      let (action, params) = try SQSWire.decode(r, proto)
      let ctx = Context(sim: sim, host: host, path: r.path)
      switch try SQSWire.perform(action, params, ctx) {
      case .done(let out): return .now(SQSWire.render(action, out, proto, rid))
      case .wait(let deadline, let ready, let take, let timeout):
        return .wait(
          WireWait(
            deadline: deadline, ready: ready,
            take: { sim in
              do {
                return try take(sim).map { SQSWire.render(action, $0, proto, rid) }
              } catch let e as WireError {
                return SQSWire.render(e, proto, rid)
              } catch {
                return SQSWire.render(SQSWire.translate(error), proto, rid)
              }
            },
            timeout: { sim in
              do { return SQSWire.render(action, try timeout(sim), proto, rid) } catch let e as WireError {
                return SQSWire.render(e, proto, rid)
              } catch { return SQSWire.render(SQSWire.translate(error), proto, rid) }
            }))
      }
    } catch let e as WireError {
      return .now(SQSWire.render(e, proto, rid))
    } catch {
      return .now(SQSWire.render(SQSWire.translate(error), proto, rid))
    }
  }

  /// The error answer for a request refused before it reached the service (too large a body).
  func refusal(_ e: WireError, for r: WireRequest) -> WireResponse {
    served &+= 1
    return SQSWire.render(e, r.header("x-amz-target") != nil ? .json : .query, requestId(served))
  }

  // MARK: Decoding

  static func decode(_ r: WireRequest, _ proto: Proto) throws(WireError) -> (String, Params) {
    switch proto {
    case .json:
      let action = String(r.header("x-amz-target")!.dropFirst("AmazonSQS.".count))
      guard SQSWire.operations.contains(action) else {
        throw WireError(
          "UnknownOperationException", code: "InvalidAction",
          "The action \(action) is not valid for this web service.")
      }
      let text = r.body.isEmpty ? "{}" : String(validating: r.body, as: UTF8.self)
      guard let text, let v = JSONValue.parse(text), case .object = v else {
        throw WireError(
          "SerializationException", code: "MalformedQueryString", "The request body is not a JSON object.")
      }
      return (action, Params(json: v))
    case .query:
      guard let form = WireRouter.form(r) else {
        throw WireError("MalformedQueryString", "The request's form encoding is malformed.")
      }
      let p = Params(form: form)
      guard let action = p.string("Action") else {
        throw WireError("MissingAction", "The request must contain the parameter Action.")
      }
      guard SQSWire.operations.contains(action) else {
        throw WireError("InvalidAction", "The action \(action) is not valid for this web service.")
      }
      return (action, p)
    }
  }

  /// A simulation error in SQS's terms.
  static func translate(_ error: any Error) -> WireError {
    switch error {
    case let e as WireError: return e
    case let u as UnknownName where u.kind == "queue":
      return WireError(
        "QueueDoesNotExist", code: legacyCode("QueueDoesNotExist"), "The specified queue does not exist.")
    case let u as UnknownName:
      return WireError("InvalidParameterValue", "Value \(u.name) for parameter \(u.kind) is invalid.")
    case let a as APIRefusal: return WireError(a.code, code: legacyCode(a.code), a.message)
    case let s as SQSError:
      switch s {
      case .purgeQueueInProgress:
        return WireError("PurgeQueueInProgress", code: legacyCode("PurgeQueueInProgress"), stripCode(s.description))
      case .receiptHandleIsInvalid: return WireError("ReceiptHandleIsInvalid", stripCode(s.description))
      case .overLimit: return WireError("OverLimit", stripCode(s.description), status: 403)
      case .messageTooLong, .invalidParameterValue, .tooManyAttributes:
        return WireError("InvalidParameterValue", stripCode(s.description))
      }
    default:
      return WireError("InternalError", "\(error)", status: 500, senderFault: false)
    }
  }

  /// "Code: text" without its code.
  static func stripCode(_ s: String) -> String {
    guard let r = s.range(of: ": ") else { return s }
    return String(s[r.upperBound...])
  }

  // MARK: Rendering

  static func render(_ action: String, _ out: [(String, Out)], _ proto: Proto, _ rid: String) -> WireResponse {
    switch proto {
    case .json: return .json(Out.object(out).json, requestId: rid)
    case .query:
      var x = "<?xml version=\"1.0\"?><\(action)Response xmlns=\"\(namespace)\">"
      if !noResult.contains(action) { Out.object(out).xml(name: action + "Result", into: &x) }
      x += "<ResponseMetadata><RequestId>\(rid)</RequestId></ResponseMetadata></\(action)Response>"
      return .xml(x, requestId: rid)
    }
  }

  static func render(_ e: WireError, _ proto: Proto, _ rid: String) -> WireResponse {
    let type = e.senderFault ? "Sender" : "Receiver"
    switch proto {
    case .json:
      let body = Out.object([("__type", .string("com.amazonaws.sqs#" + e.name)), ("message", .string(e.message))]).json
      return .json(body, status: e.status, requestId: rid, extra: [("x-amzn-query-error", "\(e.code);\(type)")])
    case .query:
      let x =
        "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"\(namespace)\"><Error><Type>\(type)</Type><Code>\(xmlEscape(e.code))</Code><Message>\(xmlEscape(e.message))</Message><Detail/></Error><RequestId>\(rid)</RequestId></ErrorResponse>"
      return .xml(x, status: e.status, requestId: rid)
    }
  }

  // MARK: Operations

  struct Context {
    var sim: Simulation
    var host: String
    var path: String

    func url(_ q: SQSQueue) -> String { "http://\(host)/\(sim.topology.account)/\(q.name)" }

    /// The queue a request names: its QueueUrl (the last path segment is the name), or, in the
    /// query protocol, the request's own path (`POST /<account>/<name>`).
    func queue(_ p: Params) throws(WireError) -> SQSQueue {
      let name: String
      if let u = p.string("QueueUrl") {
        name = String(u.split(separator: "/", omittingEmptySubsequences: true).last ?? "")
      } else if path.split(separator: "/").count >= 2 {
        name = String(path.split(separator: "/").last!)
      } else {
        throw WireError("MissingParameter", "The request must contain the parameter QueueUrl.")
      }
      guard let q = sim.queue(named: name) else { throw SQSWire.translate(UnknownName.of("queue", name)) }
      return q
    }
  }

  enum Result {
    case done([(String, Out)])
    /// `ready` only reads; `take` may change the simulation and still find nothing.
    case wait(
      deadline: SimTime, ready: (Simulation) -> Bool, take: (Simulation) throws -> [(String, Out)]?,
      timeout: (Simulation) throws -> [(String, Out)])
  }

  static func perform(_ action: String, _ p: Params, _ c: Context) throws -> Result {
    let sim = c.sim
    switch action {
    case "CreateQueue":
      let name = try p.required("QueueName")
      if name.hasSuffix(".fifo")
        || p.map(json: "Attributes", form: "Attribute", key: "Name", value: "Value").contains(
          where: { $0.0 == "FifoQueue" && $0.1 == "true" })
      {
        throw WireError("InvalidParameterValue", "FIFO queues are not modelled by fanout: only standard queues.")
      }
      let (spec, kept) = try queueSpec(
        name: name, base: QueueSpec(name: name),
        p.map(json: "Attributes", form: "Attribute", key: "Name", value: "Value"),
        sim)
      let q = try sim.createQueue(spec, kept: kept)
      return .done([("QueueUrl", .string(c.url(q)))])

    case "GetQueueUrl":
      let name = try p.required("QueueName")
      guard let q = sim.queue(named: name) else { throw translate(UnknownName.of("queue", name)) }
      return .done([("QueueUrl", .string(c.url(q)))])

    case "ListQueues":
      let prefix = p.string("QueueNamePrefix") ?? ""
      let max = try p.int("MaxResults")
      if let max, !(1...1000).contains(max) {
        throw WireError(
          "InvalidParameterValue",
          "Value \(max) for parameter MaxResults is invalid. Reason: must be between 1 and 1000.")
      }
      let start = p.string("NextToken").flatMap { Int($0) } ?? 0
      let all = sim.queues.filter { !$0.deleted && $0.name.hasPrefix(prefix) }
      let limit = max ?? 1000
      let page = Array(all.dropFirst(start).prefix(limit))
      var out: [(String, Out)] = []
      if !page.isEmpty { out.append(("QueueUrls", .list(flat: "QueueUrl", page.map { .string(c.url($0)) }))) }
      if max != nil, start + page.count < all.count { out.append(("NextToken", .string(String(start + page.count)))) }
      return .done(out)

    case "GetQueueAttributes":
      let q = try c.queue(p)
      let names = p.strings(json: "AttributeNames", form: "AttributeName")
      return .done([
        ("Attributes", .map(flat: "Attribute", try attributes(q, names, sim).map { ($0.0, .string($0.1)) }))
      ])

    case "SetQueueAttributes":
      let q = try c.queue(p)
      let given = p.map(json: "Attributes", form: "Attribute", key: "Name", value: "Value")
      let (spec, kept) = try queueSpec(name: q.name, base: q.spec, given, sim)
      try sim.setQueueAttributes(spec, kept: kept)
      return .done([])

    case "SendMessage":
      let q = try c.queue(p)
      let r = try send(q, p, sim)
      return .done(r)

    case "SendMessageBatch":
      let q = try c.queue(p)
      let entries = try batch(p, json: "Entries", form: "SendMessageBatchRequestEntry")
      let total = entries.reduce(0) { $0 + ($1.string("MessageBody")?.utf8.count ?? 0) }
      if total > q.spec.maximumMessageSize {
        throw WireError(
          "BatchRequestTooLong", code: legacyCode("BatchRequestTooLong"),
          "Batch requests cannot be longer than \(q.spec.maximumMessageSize) bytes. You have sent \(total) bytes.")
      }
      var ok: [Out] = []
      var failed: [Out] = []
      for e in entries {
        let id = e.string("Id")!
        do {
          ok.append(.object([("Id", .string(id))] + (try send(q, e, sim))))
        } catch {
          failed.append(failure(id, translate(error)))
        }
      }
      return .done(batchOut("SendMessageBatchResultEntry", ok, failed))

    case "ReceiveMessage":
      return try receive(p, c)

    case "DeleteMessage":
      let q = try c.queue(p)
      let h = try receipt(p.required("ReceiptHandle"), q)
      try sim.deleteMessage(queue: q.name, receipt: h)
      return .done([])

    case "DeleteMessageBatch":
      let q = try c.queue(p)
      let entries = try batch(p, json: "Entries", form: "DeleteMessageBatchRequestEntry")
      var ok: [Out] = []
      var failed: [Out] = []
      for e in entries {
        let id = e.string("Id")!
        do {
          let h = try receipt(e.required("ReceiptHandle"), q)
          try sim.deleteMessage(queue: q.name, receipt: h)
          ok.append(.object([("Id", .string(id))]))
        } catch { failed.append(failure(id, translate(error))) }
      }
      return .done(batchOut("DeleteMessageBatchResultEntry", ok, failed))

    case "ChangeMessageVisibility":
      let q = try c.queue(p)
      try changeVisibility(q, p, sim)
      return .done([])

    case "ChangeMessageVisibilityBatch":
      let q = try c.queue(p)
      let entries = try batch(p, json: "Entries", form: "ChangeMessageVisibilityBatchRequestEntry")
      var ok: [Out] = []
      var failed: [Out] = []
      for e in entries {
        let id = e.string("Id")!
        do {
          try changeVisibility(q, e, sim)
          ok.append(.object([("Id", .string(id))]))
        } catch { failed.append(failure(id, translate(error))) }
      }
      return .done(batchOut("ChangeMessageVisibilityBatchResultEntry", ok, failed))

    case "PurgeQueue":
      let q = try c.queue(p)
      try sim.purgeQueue(q.name)
      return .done([])

    case "DeleteQueue":
      let q = try c.queue(p)
      try sim.deleteQueue(q.name)
      return .done([])

    case "StartMessageMoveTask":
      let source = try queue(arn: p.required("SourceArn"), sim, parameter: "SourceArn")
      let dest = try p.string("DestinationArn").map { try queue(arn: $0, sim, parameter: "DestinationArn") }
      let rate = try p.int("MaxNumberOfMessagesPerSecond")
      let id = try sim.startMessageMoveTask(source: source.name, destination: dest?.name, maxPerSecond: rate)
      return .done([("TaskHandle", .string(taskHandle(id, source)))])

    case "ListMessageMoveTasks":
      let source = try queue(arn: p.required("SourceArn"), sim, parameter: "SourceArn")
      let max = try p.int("MaxResults") ?? 1
      guard (1...10).contains(max) else {
        throw WireError(
          "InvalidParameterValue", "Value \(max) for parameter MaxResults is invalid. Reason: must be between 1 and 10."
        )
      }
      let tasks = sim.moveTasks.filter { $0.source == source.index }.reversed().prefix(max)
      return .done([("Results", .list(flat: "ListMessageMoveTasksResultEntry", tasks.map { task(sim, $0) }))])

    case "CancelMessageMoveTask":
      let handle = try p.required("TaskHandle")
      guard let (id, _) = parseTaskHandle(handle, sim) else {
        throw WireError(
          "ResourceNotFoundException", "The resource that you specified for the TaskHandle parameter doesn't exist.")
      }
      guard sim.moveTasks.contains(where: { $0.id == id && $0.status == .running }) else {
        throw WireError(
          "ResourceNotFoundException", "Task does not exist or is not running: \(handle)")
      }
      try sim.cancelMessageMoveTask(id)
      let moved = sim.moveTasks.first { $0.id == id }?.moved ?? 0
      return .done([("ApproximateNumberOfMessagesMoved", .int(moved))])

    default:
      throw WireError("InvalidAction", "The action \(action) is not valid for this web service.")
    }
  }

  // MARK: Pieces

  /// The queue an ARN names (`arn:aws:sqs:<region>:<account>:<name>`).
  static func queue(arn: String, _ sim: Simulation, parameter: String) throws(WireError) -> SQSQueue {
    let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 6, parts[0] == "arn", parts[2] == "sqs" else {
      throw WireError(
        "InvalidParameterValue", "Value \(arn) for parameter \(parameter) is invalid. Reason: not an SQS queue ARN.")
    }
    guard let q = sim.queue(named: String(parts[5])) else {
      throw WireError(
        "ResourceNotFoundException", "The resource that you specified for the \(parameter) parameter doesn't exist.")
    }
    return q
  }

  /// A task handle as SQS writes one: base64 of `{"taskId":…,"sourceArn":…}`.
  static func taskHandle(_ id: Int, _ source: SQSQueue) -> String {
    base64Encode(Array("{\"taskId\":\"\(id)\",\"sourceArn\":\(jsonString(source.arn))}".utf8))
  }

  static func parseTaskHandle(_ h: String, _ sim: Simulation) -> (Int, String)? {
    guard let bytes = base64Decode(h), let text = String(validating: bytes, as: UTF8.self),
      let v = JSONValue.parse(text), let id = v["taskId"]?.stringValue.flatMap({ Int($0) }),
      let arn = v["sourceArn"]?.stringValue
    else { return nil }
    return (id, arn)
  }

  static func task(_ sim: Simulation, _ t: MessageMoveTask) -> Out {
    let source = sim.queues[t.source]
    var m: [(String, Out)] = []
    if t.status == .running { m.append(("TaskHandle", .string(taskHandle(t.id, source)))) }
    m.append(("Status", .string(t.status.rawValue)))
    m.append(("SourceArn", .string(source.arn)))
    if let d = t.destination { m.append(("DestinationArn", .string(sim.queues[d].arn))) }
    if let r = t.maxPerSecond { m.append(("MaxNumberOfMessagesPerSecond", .int(r))) }
    m.append(("ApproximateNumberOfMessagesMoved", .int(t.moved)))
    m.append(("ApproximateNumberOfMessagesToMove", .int(t.total)))
    m.append(("StartedTimestamp", .int(Int(t.started.microsecondsSinceEpoch / 1000))))
    return .object(m)
  }

  /// A batch's entries: 1 to 10, with distinct IDs of at most 80 alphanumerics, hyphens and
  /// underscores (API_SendMessageBatch.html).
  static func batch(_ p: Params, json: String, form: String) throws(WireError) -> [Params] {
    let entries = p.entries(json: json, form: form)
    if entries.isEmpty {
      throw WireError(
        "EmptyBatchRequest", code: legacyCode("EmptyBatchRequest"),
        "There should be at least one SendMessageBatchRequestEntry in the request.")
    }
    if entries.count > 10 {
      throw WireError(
        "TooManyEntriesInBatchRequest", code: legacyCode("TooManyEntriesInBatchRequest"),
        "Maximum number of entries per request are 10. You have sent \(entries.count).")
    }
    var seen: [String] = []
    for e in entries {
      guard let id = e.string("Id"), Simulation.isValidQueueName(id) else {
        throw WireError(
          "InvalidBatchEntryId", code: legacyCode("InvalidBatchEntryId"),
          "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."
        )
      }
      if seen.contains(id) {
        throw WireError(
          "BatchEntryIdsNotDistinct", code: legacyCode("BatchEntryIdsNotDistinct"), "Id \(id) repeated.")
      }
      seen.append(id)
    }
    return entries
  }

  static func failure(_ id: String, _ e: WireError) -> Out {
    .object([
      ("Id", .string(id)), ("SenderFault", .bool(e.senderFault)), ("Code", .string(e.code)),
      ("Message", .string(e.message)),
    ])
  }

  static func batchOut(_ element: String, _ ok: [Out], _ failed: [Out]) -> [(String, Out)] {
    [("Successful", .list(flat: element, ok)), ("Failed", .list(flat: "BatchResultErrorEntry", failed))]
  }

  static func send(_ q: SQSQueue, _ p: Params, _ sim: Simulation) throws -> [(String, Out)] {
    guard let body = p.string("MessageBody") else {
      throw WireError("MissingParameter", "The request must contain the parameter MessageBody.")
    }
    let delay = try p.int("DelaySeconds").map { SimDuration.seconds($0) }
    let attrs = try p.messageAttributes(json: "MessageAttributes", form: "MessageAttribute")
    let id = try sim.sendMessage(queue: q.name, body: body, delay: delay, attributes: attrs)
    var out: [(String, Out)] = [("MessageId", .string(id.text)), ("MD5OfMessageBody", .string(md5Hex(body)))]
    if !attrs.isEmpty { out.append(("MD5OfMessageAttributes", .string(md5OfMessageAttributes(attrs)))) }
    return out
  }

  static func changeVisibility(_ q: SQSQueue, _ p: Params, _ sim: Simulation) throws {
    let h = try receipt(p.required("ReceiptHandle"), q)
    guard let t = try p.int("VisibilityTimeout") else {
      throw WireError("MissingParameter", "The request must contain the parameter VisibilityTimeout.")
    }
    guard let m = q.message(h.key), m.receiveCount == h.receiveCount, m.state == .inFlight else {
      throw WireError(
        "MessageNotInflight", code: legacyCode("MessageNotInflight"), "The message referred to isn't in flight.")
    }
    try sim.changeMessageVisibility(queue: q.name, receipt: h, timeout: .seconds(t))
  }

  // MARK: Receipt handles

  /// A receipt handle's text: `AQEB` and base64 of the queue's index, the message's key and
  /// receive count, and a check (MD5 of them with the queue's ARN), so it comes back to the same
  /// `ReceiptHandle` and a changed or foreign one is refused (ReceiptHandleIsInvalid).
  public static func receiptText(_ h: ReceiptHandle, queueArn: String) -> String {
    var bytes: [UInt8] = []
    func put(_ v: UInt64) { for i in (0..<8).reversed() { bytes.append(UInt8((v >> (UInt64(i) * 8)) & 0xFF)) } }
    put(UInt64(h.queue))
    put(UInt64(bitPattern: h.key))
    put(UInt64(h.receiveCount))
    let check = md5Hex("\(queueArn)|\(h.queue)|\(h.key)|\(h.receiveCount)")
    bytes.append(contentsOf: Array(check.utf8))
    return "AQEB" + base64Encode(bytes)
  }

  /// The handle a receipt text stands for, when it is one of this queue's.
  public static func parseReceipt(_ text: String, queue q: SQSQueue) -> ReceiptHandle? {
    guard text.hasPrefix("AQEB"), let bytes = base64Decode(String(text.dropFirst(4))), bytes.count == 56 else {
      return nil
    }
    func get(_ at: Int) -> UInt64 { bytes[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) } }
    let h = ReceiptHandle.parts(
      queue: Int(get(0) & 0xFFFF_FFFF), key: Int64(bitPattern: get(8)), receiveCount: Int(get(16) & 0xFFFF_FFFF))
    guard String(decoding: bytes[24...], as: UTF8.self) == md5Hex("\(q.arn)|\(h.queue)|\(h.key)|\(h.receiveCount)"),
      h.queue == q.index
    else { return nil }
    return h
  }

  static func receipt(_ text: String, _ q: SQSQueue) throws(WireError) -> ReceiptHandle {
    guard let h = parseReceipt(text, queue: q) else {
      throw WireError("ReceiptHandleIsInvalid", "The input receipt handle \"\(text)\" is not a valid receipt handle.")
    }
    return h
  }

  // MARK: ReceiveMessage

  static func receive(_ p: Params, _ c: Context) throws -> Result {
    let q = try c.queue(p)
    let name = q.name
    let max = try p.int("MaxNumberOfMessages") ?? 1
    let vt = try p.int("VisibilityTimeout").map { SimDuration.seconds($0) }
    let wt = try p.int("WaitTimeSeconds").map { SimDuration.seconds($0) }
    if let refusal = Limits.SQS.maxNumberOfMessages.refusal(Int64(max)) {
      throw WireError("InvalidParameterValue", refusal)
    }
    if let vt, let refusal = Limits.SQS.changeVisibilityTimeout.refusal(vt) {
      throw WireError("InvalidParameterValue", refusal)
    }
    if let wt, let refusal = Limits.SQS.waitTimeSeconds.refusal(wt) {
      throw WireError("InvalidParameterValue", refusal)
    }
    let system =
      p.strings(json: "MessageSystemAttributeNames", form: "MessageSystemAttributeName")
      + p.strings(json: "AttributeNames", form: "AttributeName")
    let wanted = p.strings(json: "MessageAttributeNames", form: "MessageAttributeName")
    let wait = wt ?? q.spec.receiveMessageWaitTime
    let take: (Simulation) throws -> [(String, Out)] = { sim in
      let got = try sim.receiveMessages(queue: name, max: max, visibilityTimeout: vt, waitTime: wt)
      guard let q = sim.queue(named: name) else { return [] }
      return got.isEmpty ? [] : [("Messages", .list(flat: "Message", got.map { message($0, q, system, wanted) }))]
    }
    // A long poll on an empty queue waits in virtual time; it is not counted as a receive until it
    // answers (one ReceiveMessage call).
    if wait > .zero, q.visibleCount == 0 {
      return .wait(
        deadline: c.sim.now + wait,
        // A deleted queue is ready too: its answer is the error.
        ready: { sim in sim.queue(named: name).map { $0.visibleCount > 0 } ?? true },
        take: { sim in
          guard sim.queue(named: name) != nil else { throw UnknownName.of("queue", name) }
          let r = try take(sim)
          return r.isEmpty ? nil : r
        },
        timeout: take)
    }
    return .done(try take(c.sim))
  }

  static func message(_ m: ReceivedMessage, _ q: SQSQueue, _ system: [String], _ wanted: [String]) -> Out {
    var out: [(String, Out)] = [
      ("MessageId", .string(m.messageId.text)),
      ("ReceiptHandle", .string(receiptText(m.receipt, queueArn: q.arn))),
      ("MD5OfBody", .string(md5Hex(m.body))), ("Body", .string(m.body)),
    ]
    let all = system.contains("All")
    var attrs: [(String, Out)] = []
    let stored = q.message(m.receipt.key)
    let sender = stored?.senderId ?? apiSenderId
    let candidates: [(String, String)] = [
      ("SenderId", sender),
      ("ApproximateFirstReceiveTimestamp", String(m.firstReceiveTimestamp.microsecondsSinceEpoch / 1000)),
      ("ApproximateReceiveCount", String(m.receiveCount)),
      ("SentTimestamp", String(m.sentTimestamp.microsecondsSinceEpoch / 1000)),
    ]
    for (k, v) in candidates where all || system.contains(k) { attrs.append((k, .string(v))) }
    if !attrs.isEmpty { out.append(("Attributes", .map(flat: "Attribute", attrs))) }
    let chosen = m.attributes.filter { a in
      wanted.contains { w in
        w == "All" || w == ".*" || w == a.name || (w.hasSuffix(".*") && a.name.hasPrefix(String(w.dropLast(1))))
      }
    }
    if !chosen.isEmpty {
      out.append(("MD5OfMessageAttributes", .string(md5OfMessageAttributes(chosen))))
      out.append(
        (
          "MessageAttributes",
          .map(
            flat: "MessageAttribute",
            chosen.map { a in
              (
                a.name,
                .object([
                  (a.baseType == "Binary" ? "BinaryValue" : "StringValue", .string(a.value)),
                  ("DataType", .string(a.dataType)),
                ])
              )
            })
        ))
    }
    return .object(out)
  }

  // MARK: Queue attributes

  /// A queue spec with the given attributes applied (AWS's names and ranges); attributes fanout
  /// keeps without modelling come back apart.
  static func queueSpec(name: String, base: QueueSpec, _ given: [(String, String)], _ sim: Simulation) throws(WireError)
    -> (QueueSpec, [(name: String, value: String)])
  {
    var s = base
    var kept: [(name: String, value: String)] = []
    func seconds(_ limit: AWSLimit, _ v: String) throws(WireError) -> SimDuration {
      guard let n = Int64(v) else {
        throw WireError("InvalidAttributeValue", "Invalid value for the parameter \(limit.name).")
      }
      if let r = limit.refusal(n) { throw WireError("InvalidAttributeValue", r) }
      return .seconds(n)
    }
    for (k, v) in given {
      switch k {
      case "VisibilityTimeout": s.visibilityTimeout = try seconds(Limits.SQS.visibilityTimeout, v)
      case "DelaySeconds": s.delay = try seconds(Limits.SQS.delaySeconds, v)
      case "MessageRetentionPeriod": s.messageRetentionPeriod = try seconds(Limits.SQS.messageRetentionPeriod, v)
      case "ReceiveMessageWaitTimeSeconds":
        s.receiveMessageWaitTime = try seconds(Limits.SQS.receiveMessageWaitTimeSeconds, v)
      case "MaximumMessageSize":
        guard let n = Int64(v) else {
          throw WireError("InvalidAttributeValue", "Invalid value for the parameter MaximumMessageSize.")
        }
        if let r = Limits.SQS.maximumMessageSize.refusal(n) { throw WireError("InvalidAttributeValue", r) }
        s.maximumMessageSize = Int(n)
      case "RedrivePolicy":
        if v.isEmpty {
          s.redrive = nil
          continue
        }
        guard let j = JSONValue.parse(v), let arn = j["deadLetterTargetArn"]?.stringValue else {
          throw WireError(
            "InvalidAttributeValue",
            "Value \(v) for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.")
        }
        let countText: String? =
          switch j["maxReceiveCount"] {
          case .string(let t)?: t
          case .number(let n)?: formatJSONNumber(n)
          default: nil
          }
        guard let countText, let count = Int64(countText) else {
          throw WireError(
            "InvalidAttributeValue",
            "Value \(v) for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: maxReceiveCount."
          )
        }
        if let r = Limits.SQS.maxReceiveCount.refusal(count) { throw WireError("InvalidAttributeValue", r) }
        let dlq = String(arn.split(separator: ":").last ?? "")
        s.redrive = (dlq, Int(count))
      case "Policy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled":
        kept.append((k, v))
      case "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit":
        throw WireError("InvalidAttributeName", "Unknown Attribute \(k): FIFO queues are not modelled by fanout.")
      default:
        throw WireError("InvalidAttributeName", "Unknown Attribute \(k).")
      }
    }
    return (s, kept)
  }

  /// The attributes GetQueueAttributes answers, in the order asked (All: SQS's order).
  static func attributes(_ q: SQSQueue, _ names: [String], _ sim: Simulation) throws(WireError) -> [(String, String)] {
    let created = (q.createdAt ?? sim.topology.startTime).microsecondsSinceEpoch / 1_000_000
    var all: [(String, String)] = [
      ("QueueArn", q.arn),
      ("ApproximateNumberOfMessages", String(q.visibleCount)),
      ("ApproximateNumberOfMessagesNotVisible", String(q.inFlightCount)),
      ("ApproximateNumberOfMessagesDelayed", String(q.delayedCount)),
      ("CreatedTimestamp", String(created)),
      ("LastModifiedTimestamp", String((q.modifiedAt?.microsecondsSinceEpoch).map { $0 / 1_000_000 } ?? created)),
      ("VisibilityTimeout", String(q.spec.visibilityTimeout.wholeSeconds)),
      ("MaximumMessageSize", String(q.spec.maximumMessageSize)),
      ("MessageRetentionPeriod", String(q.spec.messageRetentionPeriod.wholeSeconds)),
      ("DelaySeconds", String(q.spec.delay.wholeSeconds)),
      ("ReceiveMessageWaitTimeSeconds", String(q.spec.receiveMessageWaitTime.wholeSeconds)),
    ]
    if let r = q.spec.redrive, let d = sim.queue(named: r.deadLetterQueue) {
      all.append(
        ("RedrivePolicy", "{\"deadLetterTargetArn\":\(jsonString(d.arn)),\"maxReceiveCount\":\(r.maxReceiveCount)}"))
    }
    if !q.keptAttributes.contains(where: { $0.name == "SqsManagedSseEnabled" }) {
      all.append(("SqsManagedSseEnabled", "false"))
    }
    for k in q.keptAttributes { all.append((k.name, k.value)) }
    if names.isEmpty { return [] }
    if names.contains("All") { return all }
    var out: [(String, String)] = []
    for n in names {
      if let a = all.first(where: { $0.0 == n }) {
        if !out.contains(where: { $0.0 == n }) { out.append(a) }
      } else if !["Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"]
        .contains(n)
      {
        throw WireError("InvalidAttributeName", "Unknown Attribute \(n).")
      }
    }
    return out
  }
}
