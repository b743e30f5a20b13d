// MARK: - Run-time creation and deletion: queues, topics and subscriptions made by API calls
//
// `fanout serve` lets AWS clients call CreateQueue, DeleteQueue, CreateTopic, Subscribe and
// Unsubscribe while the simulation runs. Nothing here runs unless such a call is made, so every
// existing run's events are unchanged: a created queue or topic draws from its own streams (named
// as a topology's would be), a subscription's ID from the ids stream only when it is made.
// Deleted queues and unsubscribed subscriptions keep their index (scheduled jobs name them by
// index); they are only no longer found.

/// A refusal of a run-time API call, with the error's name in botocore's model and AWS's text.
public struct APIRefusal: Error, Equatable, CustomStringConvertible {
  /// The error shape's name (`QueueNameExists`, `QueueDeletedRecently`, `InvalidParameterValue`, …).
  public var code: String
  public var message: String
  public init(_ code: String, _ message: String) {
    self.code = code
    self.message = message
  }
  public var description: String { "\(code): \(message)" }
}

extension Simulation {
  /// Queue names: "1 to 80 in length … alphanumeric characters, hyphens (-), and underscores (_)"
  /// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
  public static func isValidQueueName(_ name: String) -> Bool {
    (1...80).contains(name.utf8.count)
      && name.utf8.allSatisfy { b in
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
      }
  }

  /// CreateQueue at run time. Idempotent: "If you provide the name of an existing queue along with
  /// the exact names and values of all the queue's attributes, CreateQueue returns the queue URL
  /// for the existing queue. If the queue name, attribute names, or attribute values don't match
  /// an existing queue, CreateQueue returns an error" (QueueNameExists); "After you delete a
  /// queue, you must wait at least 60 seconds before creating a queue with the same name"
  /// (QueueDeletedRecently) (API_CreateQueue.html, above). `deadLetterQueue`: the redrive
  /// target's name; `kept`: attributes fanout keeps but does not model.
  @discardableResult
  public func createQueue(_ spec: QueueSpec, kept: [(name: String, value: String)] = []) throws(APIRefusal)
    -> SQSQueue
  {
    guard Simulation.isValidQueueName(spec.name) else {
      throw APIRefusal(
        "InvalidParameterValue",
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
    }
    if let existing = queue(named: spec.name) {
      if let differing = Simulation.differingAttribute(existing.spec, spec) {
        throw APIRefusal(
          "QueueNameExists",
          "A queue already exists with the same name and a different value for attribute \(differing)")
      }
      return existing
    }
    if let deleted = deletedQueueNames[spec.name], now - deleted < .seconds(60) {
      throw APIRefusal(
        "QueueDeletedRecently",
        "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
    }
    let dlq = try deadLetterQueue(of: spec)
    let q = SQSQueue(index: queues.count, spec: spec, region: topology.region, account: topology.account, seed: seed)
    q.keptAttributes = kept
    q.createdAt = now
    q.deadLetterQueue = dlq
    if let dlq, queues[dlq].arrivals == nil { queues[dlq].arrivals = [] }
    queueByName[spec.name] = queues.count
    queues.append(q)
    return q
  }

  /// The first attribute (AWS's name) in which two queue specs differ, if any.
  static func differingAttribute(_ a: QueueSpec, _ b: QueueSpec) -> String? {
    if a.visibilityTimeout != b.visibilityTimeout { return "VisibilityTimeout" }
    if a.delay != b.delay { return "DelaySeconds" }
    if a.messageRetentionPeriod != b.messageRetentionPeriod { return "MessageRetentionPeriod" }
    if a.maximumMessageSize != b.maximumMessageSize { return "MaximumMessageSize" }
    if a.receiveMessageWaitTime != b.receiveMessageWaitTime { return "ReceiveMessageWaitTimeSeconds" }
    if a.redrive?.deadLetterQueue != b.redrive?.deadLetterQueue
      || a.redrive?.maxReceiveCount != b.redrive?.maxReceiveCount
    {
      return "RedrivePolicy"
    }
    return nil
  }

  /// DeleteQueue: "deletes the queue … regardless of the queue's contents"
  /// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html).
  /// Its messages are counted as purged (the books balance); its event source mappings are
  /// disabled; deliveries to it fail. A queue that is another's dead-letter queue stays that
  /// queue's target no more.
  public func deleteQueue(_ name: String) throws {
    guard let q = queue(named: name) else { throw UnknownName(kind: "queue", name: name) }
    q.noteAge(now: now)
    q.counters.purged += q.messages.count
    q.messages.removeAll()
    q.visibleOrder.removeAll()
    q.visibleCount = 0
    q.inFlightCount = 0
    q.delayedCount = 0
    q.pruneTimers()
    q.deleted = true
    queueByName[name] = nil
    deletedQueueNames[name] = now
    for other in queues where other.deadLetterQueue == q.index {
      other.deadLetterQueue = nil
      other.spec.redrive = nil
    }
    for mi in q.mappings where mappings[mi].spec.enabled { try? setMapping(queue: name, enabled: false) }
  }

  /// The index of the dead-letter queue a queue's RedrivePolicy names, refused in SQS's words
  /// when there is no such queue.
  private func deadLetterQueue(of spec: QueueSpec) throws(APIRefusal) -> Int? {
    guard let r = spec.redrive else { return nil }
    guard let d = queueByName[r.deadLetterQueue] else {
      throw APIRefusal(
        "InvalidParameterValue",
        "Value {\"deadLetterTargetArn\":\"arn:aws:sqs:\(topology.region):\(topology.account):\(r.deadLetterQueue)\"} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist."
      )
    }
    return d
  }

  /// SetQueueAttributes: the new values hold from now on. A new VisibilityTimeout, DelaySeconds or
  /// MessageRetentionPeriod applies to messages received, sent or stored after the change
  /// (messages already in flight keep the timeout they were given, as AWS says of
  /// VisibilityTimeout). `spec.name` must be the queue's.
  public func setQueueAttributes(_ spec: QueueSpec, kept: [(name: String, value: String)]) throws {
    guard let q = queue(named: spec.name) else { throw UnknownName(kind: "queue", name: spec.name) }
    let dlq = try deadLetterQueue(of: spec)
    q.counters.otherRequests += 1
    q.spec = spec
    q.deadLetterQueue = dlq
    if let dlq, queues[dlq].arrivals == nil { queues[dlq].arrivals = [] }
    for k in kept {
      q.keptAttributes.removeAll { $0.name == k.name }
      if !k.value.isEmpty { q.keptAttributes.append(k) }
    }
    q.modifiedAt = now
  }

  /// CreateTopic at run time: idempotent for an existing name. Names: "Topic names must be made up
  /// of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be
  /// between 1 and 256 characters long"
  /// (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html).
  @discardableResult
  public func createTopic(_ name: String) throws(APIRefusal) -> SNSTopic {
    if let t = topic(named: name) { return t }
    let valid =
      (1...256).contains(name.utf8.count)
      && name.utf8.allSatisfy { b in
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
      }
    guard valid else {
      throw APIRefusal(
        "InvalidParameter",
        "Invalid parameter: Topic Name must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
      )
    }
    let t = SNSTopic(index: topics.count, name: name, region: topology.region, account: topology.account, seed: seed)
    topicByName[name] = topics.count
    topics.append(t)
    return t
  }

  /// Subscribe at run time. "If the endpoint and protocol are already subscribed to the topic,
  /// Subscribe returns the existing subscription"
  /// (https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html): the same endpoint again
  /// gives the same subscription.
  @discardableResult
  public func subscribe(topic name: String, _ spec: SubscriptionSpec) throws -> Subscription {
    guard let t = topic(named: name) else { throw SNSError.notFound(name) }
    if let s = t.subscriptions.first(where: { !$0.unsubscribed && $0.spec.endpoint == spec.endpoint }) { return s }
    var queue: Int?
    var sink: Int?
    var function: Int?
    let endpointName: String
    switch spec.endpoint {
    case .queue(let q):
      guard let qi = queueByName[q] else {
        throw SNSError.invalidParameter("Invalid parameter: SQS endpoint ARN")
      }
      queue = qi
      endpointName = q
    case .function(let f):
      guard let fi = functionByName[f] else {
        throw SNSError.invalidParameter("Invalid parameter: Lambda endpoint ARN")
      }
      function = fi
      endpointName = f
    case .sink(let s):
      sink = sinks.count
      sinks.append(Sink(name: s))
      endpointName = s
    }
    var dlq: Int?
    if let d = spec.deadLetterQueue {
      guard let di = queueByName[d] else {
        throw SNSError.invalidParameter(
          "Invalid parameter: RedrivePolicy: deadLetterTargetArn: arn:aws:sqs:\(topology.region):\(topology.account):\(d) does not exist"
        )
      }
      dlq = di
    }
    var filter: FilterPolicy?
    if let p = spec.filterPolicy {
      do { filter = try FilterPolicy(json: p, scope: spec.filterPolicyScope) } catch {
        throw SNSError.invalidParameter("Invalid parameter: FilterPolicy: \(error)")
      }
    }
    let u = idRng.uuid()
    let i = t.subscriptions.count
    let s = Subscription(
      index: i, id: u, arn: t.arn + ":" + u.text, spec: spec, endpointName: endpointName, queue: queue, sink: sink,
      function: function, deadLetterQueue: dlq, filter: filter, deniedByPolicy: false,
      duplicateRng: SimRandom(seed: seed, stream: "sns/\(t.name)/\(i)/at-least-once"))
    t.subscriptions.append(s)
    t.endpointNames.append(endpointName)
    return s
  }

  /// The topic and index of a subscription by its ARN (unsubscribed ones included).
  public func subscription(arn: String) -> (topic: SNSTopic, index: Int)? {
    for t in topics where arn.hasPrefix(t.arn + ":") {
      if let i = t.subscriptions.firstIndex(where: { $0.arn == arn }) { return (t, i) }
    }
    return nil
  }

  /// Unsubscribe: the subscription gets nothing more. Unsubscribing twice does nothing.
  public func unsubscribe(arn: String) throws {
    guard let (t, i) = subscription(arn: arn) else { throw SNSError.notFound(arn) }
    t.subscriptions[i].unsubscribed = true
  }

  /// SetSubscriptionAttributes: RawMessageDelivery, FilterPolicy (with FilterPolicyScope) and
  /// RedrivePolicy (the dead-letter queue's name, or nil to remove it).
  public func setSubscriptionSpec(arn: String, _ spec: SubscriptionSpec) throws {
    guard let (t, i) = subscription(arn: arn), !t.subscriptions[i].unsubscribed else {
      throw SNSError.notFound(arn)
    }
    var filter: FilterPolicy?
    if let p = spec.filterPolicy {
      do { filter = try FilterPolicy(json: p, scope: spec.filterPolicyScope) } catch {
        throw SNSError.invalidParameter("Invalid parameter: FilterPolicy: \(error)")
      }
    }
    if let d = spec.deadLetterQueue, queueByName[d] == nil {
      throw SNSError.invalidParameter(
        "Invalid parameter: RedrivePolicy: deadLetterTargetArn: arn:aws:sqs:\(topology.region):\(topology.account):\(d) does not exist"
      )
    }
    t.subscriptions[i].spec = spec
    t.subscriptions[i].filter = filter
    t.subscriptions[i].deadLetterQueue = spec.deadLetterQueue.flatMap { queueByName[$0] }
    t.subscriptions[i].envelopeBase = -1
  }

  /// The name of the queue a subscription delivers to, if it is a queue's.
  public func queueName(of s: Subscription) -> String? { s.queue.map { queues[$0].name } }
  /// The name of the function a subscription invokes, if it is a function's.
  public func functionName(of s: Subscription) -> String? { s.function.map { functions[$0].name } }
  /// The name of a subscription's dead-letter queue.
  public func deadLetterQueueName(of s: Subscription) -> String? { s.deadLetterQueue.map { queues[$0].name } }
}

extension UnknownName {
  /// The error for a name the simulation does not have (for the wire layer).
  public static func of(_ kind: String, _ name: String) -> UnknownName { UnknownName(kind: kind, name: name) }
}

extension ReceiptHandle {
  /// A handle from its parts (the wire layer's receipt text carries them).
  public static func parts(queue: Int, key: Int64, receiveCount: Int) -> ReceiptHandle {
    ReceiptHandle(queue: queue, key: key, receiveCount: receiveCount)
  }
}
