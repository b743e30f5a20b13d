// MARK: - SNS mechanics

/// A publish is at most 256 KiB, message and attributes together.

extension Simulation {
  /// Publish: checks the size limit, evaluates every subscription's filter policy and schedules a
  /// delivery to each match after the delivery delay.
  @discardableResult
  func publish(
    _ t: SNSTopic, message: Payload, subject: String?, attributes: [MessageAttribute], injected: Bool = false,
    chain: RecursionChain = RecursionChain()
  ) throws(SNSError) -> UUID128 {
    let size = message.byteCount + attributes.reduce(0) { $0 + $1.byteCount }
    if size > Limits.SNS.maxPublishBytes { throw .messageTooLong(size) }
    if message.byteCount == 0 { throw .invalidParameter("Invalid parameter: Empty message") }
    let n = SNSNotification(
      messageId: t.rng.uuid(), topicArn: t.arn, subject: subject, message: message, timestamp: now,
      attributes: attributes, region: topology.region, injected: injected, chain: chain)
    t.counters.published += 1
    t.counters.publishRequests += billedRequests(bytes: size)
    // Who got it and who did not, for observers: when no filter policy left anyone out, the
    // topic's own list of endpoints (shared, not built per publish).
    var filteredOut: [Int] = []
    var bodyText: String?
    for i in t.subscriptions.indices {
      if t.subscriptions[i].unsubscribed {
        filteredOut.append(i)
        continue
      }
      if let filter = t.subscriptions[i].filter {
        let body = bodyText ?? message.text
        bodyText = body
        if !filter.matches(attributes: n.attributes, body: body) {
          t.subscriptions[i].filteredOut += 1
          t.counters.filteredOut += 1
          filteredOut.append(i)
          continue
        }
      }
      schedule(
        .snsDeliver(n, topic: Int32(t.index), subscription: Int32(i)),
        at: now + topology.latency.snsDelivery.sample(&t.rng))
    }
    if observer != nil {
      let matched =
        filteredOut.isEmpty
        ? t.endpointNames : t.endpointNames.indices.filter { !filteredOut.contains($0) }.map { t.endpointNames[$0] }
      let filtered = filteredOut.filter { !t.subscriptions[$0].unsubscribed }.map { t.endpointNames[$0] }
      emit(
        .snsPublish(
          topic: t.name, messageId: n.messageId, message: message, subject: subject, attributes: n.attributes,
          matched: matched, filtered: filtered, requestID: message.requestID, injected: injected))
    } else {
      eventCount += 1
    }
    return n.messageId
  }

  /// Delivers a publish to one subscription. `duplicate`: this is the second delivery that
  /// at-least-once delivery made (it draws no further duplicate).
  func deliver(_ n: SNSNotification, topic ti: Int, subscription si: Int, duplicate: Bool = false) {
    let t = topics[ti]
    if let qi = t.subscriptions[si].queue {
      let q = queues[qi]
      if q.deleted {
        failDelivery(
          t, si, n, reason: "AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist.")
        return
      }
      if t.subscriptions[si].deniedByPolicy {
        // A client-side error: SNS does not retry it and discards the message (`QueuePolicy`).
        failDelivery(t, si, n, reason: "AccessDenied: Access to the resource \(q.url) is denied.")
        return
      }
      let body: MessageBody
      var attributes: [MessageAttribute] = []
      var size: Int
      if t.subscriptions[si].spec.rawMessageDelivery {
        if n.attributes.count > 10 {
          failDelivery(t, si, n, reason: SQSError.tooManyAttributes(n.attributes.count).description)
          return
        }
        body = .payload(n.message)
        attributes = n.attributes
        size = n.message.byteCount + attributes.reduce(0) { $0 + $1.byteCount }
      } else {
        body = .envelope(n, subscription: t.subscriptions[si].id)
        size = envelopeSize(n, topic: ti, subscription: si)
      }
      if size > q.spec.maximumMessageSize {
        failDelivery(t, si, n, reason: SQSError.messageTooLong(size, q.spec.maximumMessageSize).description)
        return
      }
      t.subscriptions[si].delivered += 1
      t.counters.delivered += 1
      enqueue(
        q, messageId: idRng.uuid(), body: body, attributes: attributes, size: size, delay: q.spec.delay,
        sentTime: now, enqueueTime: now, sender: .sns, injected: n.injected, snsMessageId: n.messageId,
        chain: n.chain, source: t.sendSource)
      if !duplicate, t.subscriptions[si].spec.duplicateRate > 0 { maybeDeliverTwice(n, t, si) }
    } else if let fi = t.subscriptions[si].function {
      let f = functions[fi]
      if t.subscriptions[si].deniedByPolicy {
        // The function's resource-based policy does not let SNS invoke it: a client-side error.
        failDelivery(
          t, si, n,
          reason:
            "AccessDeniedException: The resource-based policy of function \(f.name) does not allow sns.amazonaws.com to invoke it from \(t.arn)"
        )
        return
      }
      t.subscriptions[si].delivered += 1
      t.counters.delivered += 1
      invokeAsync(f, .sns(n, subscription: t.subscriptions[si].id), source: t.name)
      if !duplicate, t.subscriptions[si].spec.duplicateRate > 0 { maybeDeliverTwice(n, t, si) }
    } else if let si2 = t.subscriptions[si].sink {
      t.subscriptions[si].delivered += 1
      t.counters.delivered += 1
      sinks[si2].received += 1
      tracker.notified()
      emit(
        .snsNotify(
          topic: t.name, endpoint: t.subscriptions[si].endpointName, messageId: n.messageId, message: n.message,
          requestID: n.message.requestID))
      if !duplicate, t.subscriptions[si].spec.duplicateRate > 0 { maybeDeliverTwice(n, t, si) }
    }
  }

  /// SNS standard topics deliver at least once: "the distributed nature of Amazon SNS and transient
  /// network conditions could result in occasional, duplicate messages at the subscriber end"
  /// (https://aws.amazon.com/sns/faqs/). With probability `duplicateRate` (fanout's knob; AWS
  /// publishes no rate) the subscription gets the publish again one delivery delay later: for a
  /// queue, a second SQS message (a new SQS MessageId, the same SNS MessageId in the envelope).
  /// Draws come from the subscription's own stream, only while its rate is above zero.
  func maybeDeliverTwice(_ n: SNSNotification, _ t: SNSTopic, _ si: Int) {
    guard t.subscriptions[si].duplicateRng.chance(t.subscriptions[si].spec.duplicateRate) else { return }
    t.subscriptions[si].duplicated += 1
    t.counters.duplicated += 1
    emit(.snsDuplicate(topic: t.name, endpoint: t.subscriptions[si].endpointName, messageId: n.messageId))
    let delay = topology.latency.snsDelivery.sample(&t.subscriptions[si].duplicateRng)
    schedule(.snsDuplicate(n, topic: Int32(t.index), subscription: Int32(si)), at: now + delay)
  }

  /// The exact byte size of an envelope, without building it when there is no subject and no
  /// attribute: a skeleton's length per subscription, plus the escaped message.
  func envelopeSize(_ n: SNSNotification, topic ti: Int, subscription si: Int) -> Int {
    guard n.subject == nil, n.attributes.isEmpty else {
      return n.envelope(subscriptionArn: topics[ti].subscriptions[si].arn).utf8.count
    }
    var base = topics[ti].subscriptions[si].envelopeBase
    if base < 0 {
      let skeleton = SNSNotification(
        messageId: UUID128(hi: 0, lo: 0), topicArn: n.topicArn, subject: nil, message: .text(""), timestamp: now,
        attributes: [], region: n.region)
      base = skeleton.envelope(subscriptionArn: topics[ti].subscriptions[si].arn).utf8.count - 2
      topics[ti].subscriptions[si].envelopeBase = base
    }
    return base + jsonEscapedLength(n.message)
  }

  /// A delivery failed with a client-side error: SNS does not retry it. With a RedrivePolicy the
  /// message moves to the subscription's dead-letter queue ("When Amazon SNS receives a
  /// client-side error … Amazon SNS moves the message into the dead-letter queue",
  /// https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html), else it is discarded.
  func failDelivery(_ t: SNSTopic, _ si: Int, _ n: SNSNotification, reason: String) {
    t.subscriptions[si].failed += 1
    t.counters.failed += 1
    emit(
      .snsDeliveryFailed(
        topic: t.name, endpoint: t.subscriptions[si].endpointName, messageId: n.messageId, reason: reason))
    guard let di = t.subscriptions[si].deadLetterQueue else { return }
    let q = queues[di]
    // SNS sends to its dead-letter queue as to any subscribed queue: the queue's policy must let
    // it, or the message is lost.
    if let policy = q.spec.policy, !policy.allowsSNS(topicArn: t.arn, topicAccount: topology.account, queueArn: q.arn) {
      emit(
        .snsDeliveryFailed(
          topic: t.name, endpoint: q.name, messageId: n.messageId,
          reason: "AccessDenied: Access to the resource \(q.url) is denied. (the subscription's dead-letter queue)"))
      return
    }
    // The message as SNS would have delivered it: the envelope (or, with raw delivery, the
    // message and its attributes).
    let raw = t.subscriptions[si].spec.rawMessageDelivery && n.attributes.count <= 10
    let body: MessageBody = raw ? .payload(n.message) : .envelope(n, subscription: t.subscriptions[si].id)
    let attributes = raw ? n.attributes : []
    let size =
      raw
      ? n.message.byteCount + attributes.reduce(0) { $0 + $1.byteCount }
      : envelopeSize(n, topic: t.index, subscription: si)
    guard size <= q.spec.maximumMessageSize else { return }
    t.subscriptions[si].deadLettered += 1
    t.counters.deadLettered += 1
    enqueue(
      q, messageId: idRng.uuid(), body: body, attributes: attributes, size: size, delay: q.spec.delay, sentTime: now,
      enqueueTime: now, sender: .sns, injected: n.injected, snsMessageId: n.messageId, chain: n.chain,
      source: t.sendSource)
  }
}
