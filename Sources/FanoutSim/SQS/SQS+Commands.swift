// MARK: - SQS commands: the queue API as a person, a scenario or a test calls it

/// A message as ReceiveMessage returns it.
public struct ReceivedMessage: Sendable {
  public var messageId: UUID128
  public var receipt: ReceiptHandle
  public var body: String
  public var receiveCount: Int
  public var sentTimestamp: SimTime
  public var firstReceiveTimestamp: SimTime
  public var attributes: [MessageAttribute]
}

extension Simulation {
  /// SendMessage to a queue from outside the pipeline. `delay` overrides the queue's DelaySeconds.
  @discardableResult
  public func sendMessage(
    queue name: String, body: String, delay: SimDuration? = nil, attributes: [MessageAttribute] = [],
    injected: Bool = true
  ) throws -> UUID128 {
    guard let q = queue(named: name) else { throw UnknownName(kind: "queue", name: name) }
    if attributes.count > Limits.SQS.maxMessageAttributes { throw SQSError.tooManyAttributes(attributes.count) }
    let d = delay ?? q.spec.delay
    if let refusal = Limits.SQS.sendDelaySeconds.refusal(d) { throw SQSError.invalidParameterValue(refusal) }
    let size = body.utf8.count + attributes.reduce(0) { $0 + $1.byteCount }
    if size > q.spec.maximumMessageSize { throw SQSError.messageTooLong(size, q.spec.maximumMessageSize) }
    if body.isEmpty { throw SQSError.invalidParameterValue("The request must contain the parameter MessageBody.") }
    let id = idRng.uuid()
    enqueue(
      q, messageId: id, body: .payload(Payload.from(text: body)), attributes: awsAttributeOrder(attributes), size: size,
      delay: d, sentTime: now, enqueueTime: now, sender: .api, injected: injected, source: "api")
    return id
  }

  /// ReceiveMessage from outside the pipeline. With short polling (wait 0, or no wait and the
  /// queue's ReceiveMessageWaitTimeSeconds 0) it asks a sample of the queue's servers, as SQS does
  /// (`ShortPolling`), so below about 1,000 visible messages a receive often returns fewer than
  /// asked, or none; nothing is lost. A long poll sees every server.
  public func receiveMessages(
    queue name: String, max: Int = 1, visibilityTimeout: SimDuration? = nil, waitTime: SimDuration? = nil
  ) throws -> [ReceivedMessage] {
    guard let q = queue(named: name) else { throw UnknownName(kind: "queue", name: name) }
    if let refusal = Limits.SQS.maxNumberOfMessages.refusal(Int64(max)) {
      throw SQSError.invalidParameterValue(refusal)
    }
    if let v = visibilityTimeout, let refusal = Limits.SQS.changeVisibilityTimeout.refusal(v) {
      throw SQSError.invalidParameterValue(refusal)
    }
    if let w = waitTime, let refusal = Limits.SQS.waitTimeSeconds.refusal(w) {
      throw SQSError.invalidParameterValue(refusal)
    }
    if q.inFlightCount >= Limits.SQS.maxInFlightMessages { throw SQSError.overLimit(q.inFlightCount) }
    let wait = waitTime ?? q.spec.receiveMessageWaitTime
    let got = receive(q, max: max, visibilityTimeout: visibilityTimeout, consumer: "api", shortPoll: wait == .zero)
    if got.isEmpty { q.counters.emptyReceives += 1 }
    return got.map { r in
      let m = q.messages[r.key]!
      return ReceivedMessage(
        messageId: r.messageId, receipt: ReceiptHandle(queue: q.index, key: r.key, receiveCount: r.receiveCount),
        body: r.body.text, receiveCount: r.receiveCount, sentTimestamp: m.sentTime,
        firstReceiveTimestamp: m.firstReceiveTime ?? now, attributes: m.attributes)
    }
  }

  /// DeleteMessage: true when the receipt was the message's latest; a stale receipt deletes nothing.
  @discardableResult
  public func deleteMessage(queue name: String, receipt: ReceiptHandle) throws -> Bool {
    guard let q = queue(named: name) else { throw UnknownName(kind: "queue", name: name) }
    q.counters.deleteRequests += 1
    guard receipt.queue == q.index else { throw SQSError.receiptHandleIsInvalid }
    return delete(q, key: receipt.key, receiveCount: receipt.receiveCount)
  }

  /// ChangeMessageVisibility: the new timeout counts from now; 0 makes the message visible at once.
  public func changeMessageVisibility(queue name: String, receipt: ReceiptHandle, timeout: SimDuration) throws {
    guard let q = queue(named: name) else { throw UnknownName(kind: "queue", name: name) }
    q.counters.otherRequests += 1
    if let refusal = Limits.SQS.changeVisibilityTimeout.refusal(timeout) {
      throw SQSError.invalidParameterValue(refusal)
    }
    guard receipt.queue == q.index, q.messages.receiveCount(receipt.key) == receipt.receiveCount,
      q.messages.stateAndGeneration(receipt.key)?.0 == .inFlight
    else {
      throw SQSError.invalidParameterValue(
        "Value \(receipt.key) for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
      )
    }
    if let receivedAt = q.messages.receivedAt(receipt.key), now + timeout - receivedAt > Limits.SQS.maxTotalVisibility {
      throw SQSError.invalidParameterValue(
        "Value \(timeout.wholeSeconds) for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [\(Limits.SQS.maxTotalVisibility.wholeSeconds) seconds]"
      )
    }
    if timeout == .zero {
      makeVisible(q, key: receipt.key, reason: .changedVisibility)
    } else {
      let until = now + timeout
      q.messages.modify(receipt.key) { m in
        m.generation &+= 1
        m.until = until
        q.visibilityTimers.insert(QueueTimer(time: until, key: receipt.key, generation: m.generation))
      }
      armTimer(q, .visibility)
    }
  }

  /// Puts a request straight into one queue as the subscription that feeds it would deliver it: an
  /// SNS envelope (or the raw message) from the first topic subscribed to the queue, marked
  /// injected; a plain `{"request_id": …}` body when no topic feeds the queue.
  public func inject(_ message: Payload, attributes: [MessageAttribute] = [], queue name: String) throws {
    guard let q = queue(named: name) else { throw UnknownName(kind: "queue", name: name) }
    for t in topics {
      guard let s = t.subscriptions.first(where: { $0.queue == q.index }) else { continue }
      let n = SNSNotification(
        messageId: t.rng.uuid(), topicArn: t.arn, subject: nil, message: message, timestamp: now,
        attributes: attributes, region: topology.region, injected: true)
      let body: MessageBody = s.spec.rawMessageDelivery ? .payload(n.message) : .envelope(n, subscription: s.id)
      let carried = s.spec.rawMessageDelivery ? n.attributes : []
      let size = bodySize(body)
      enqueue(
        q, messageId: idRng.uuid(), body: body, attributes: carried, size: size, delay: q.spec.delay,
        sentTime: now, enqueueTime: now, sender: .sns, injected: true, snsMessageId: n.messageId, source: "inject")
      return
    }
    enqueue(
      q, messageId: idRng.uuid(), body: .payload(message), attributes: awsAttributeOrder(attributes),
      size: message.byteCount,
      delay: q.spec.delay, sentTime: now, enqueueTime: now, sender: .api, injected: true, source: "inject")
  }

  /// PurgeQueue: removes every message; a second purge within 60 s fails.
  public func purgeQueue(_ name: String) throws {
    guard let q = queue(named: name) else { throw UnknownName(kind: "queue", name: name) }
    q.counters.otherRequests += 1
    if let last = q.lastPurge, now - last < Limits.SQS.purgeInterval { throw SQSError.purgeQueueInProgress(q.arn) }
    q.lastPurge = now
    let n = q.messages.count
    q.noteAge(now: now)
    q.messages.removeAll()
    q.visibleOrder.removeAll()
    q.visibleCount = 0
    q.inFlightCount = 0
    q.delayedCount = 0
    q.pruneTimers()
    q.counters.purged += n
    emit(.sqsPurge(queue: q.name, count: n))
  }
}
