// MARK: - Lambda: asynchronous invocation
//
// SNS invokes a subscribed function asynchronously, as Invoke with InvocationType Event does:
// Lambda accepts the event into the function's internal queue at once, and a separate process
// reads it and runs the function
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html). What happens next is
// Lambda's, not the caller's (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):
//
// - a function error or timeout is retried MaximumRetryAttempts times (default 2), one minute
//   before the first retry and two minutes before the second;
// - a throttle (no concurrency free) returns the event to the queue and retries it, 1 s after the
//   first attempt and exponentially up to 5 minutes between attempts, for as long as the event is
//   younger than MaximumEventAgeInSeconds (default 6 hours);
// - an event that fails every attempt (`RetriesExhausted`) or grows too old (`EventAgeExceeded`)
//   is discarded: its invocation record goes to the on-failure destination and the event itself
//   to the dead-letter queue (DeadLetterConfig), either, both or neither ("You can configure
//   destinations in addition to or instead of a dead-letter queue", PutFunctionEventInvokeConfig);
// - with reserved concurrency 0, events go to the dead-letter queue or on-failure destination at
//   once, without retries (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html);
// - a success sends the invocation record to the on-success destination, if any.
//
// Every accepted event is accounted for: it succeeds, is discarded (with or without a record
// sent somewhere) or is still queued (`AsyncCounters`, checked as an invariant).

/// What an asynchronous invocation carries.
enum AsyncPayload {
  /// An SNS notification for the subscription with this ID (its ARN is the topic's plus the ID).
  case sns(SNSNotification, subscription: UUID128)
  /// A client's Invoke with InvocationType Event: its payload, the function's event as sent
  /// (`Simulation+Invoke.swift`). It carries no SQS or SNS record.
  case invoke(Payload)
}

/// An event in a function's asynchronous queue: accepted, waiting for its next attempt.
struct AsyncEvent {
  var function: Int
  /// The invocation's request ID: the same on every attempt.
  var requestId: UUID128
  var payload: AsyncPayload
  /// When Lambda accepted it: the event's age counts from here.
  var accepted: SimTime
  /// Invocations made so far (approximateInvokeCount).
  var invocations = 0
  /// Throttled attempts so far (their back-off doubles).
  var throttles = 0
  /// The last invocation's error, as Lambda reports it.
  var lastError: (type: String, message: String)?

  /// The tracked request the event carries.
  var requestID: RequestID? {
    switch payload {
    case .sns(let n, _): return n.message.requestID
    case .invoke(let p): return p.requestID
    }
  }
  /// The recursion chain of what led to the event.
  var chain: RecursionChain {
    switch payload {
    case .sns(let n, _): return n.chain
    case .invoke: return RecursionChain()
    }
  }
}

/// Counters of a function's asynchronous invocations, as CloudWatch names them where it does.
public struct AsyncCounters: Sendable, Equatable {
  /// AsyncEventsReceived: events Lambda accepted into the function's queue.
  public var received = 0
  /// Events whose invocation succeeded.
  public var succeeded = 0
  /// AsyncEventsDropped: events discarded after every attempt failed or their age ran out.
  public var dropped = 0
  /// Of the dropped: because their age passed MaximumEventAgeInSeconds.
  public var expired = 0
  /// Retries after a function error or timeout.
  public var retries = 0
  /// Discarded events sent to the dead-letter queue, and records sent to destinations.
  public var deadLettered = 0
  public var destinationRecords = 0
  /// DeadLetterErrors and DestinationDeliveryFailures: a send to them that failed.
  public var deadLetterErrors = 0
  public var destinationDeliveryFailures = 0
  /// AsyncEventAge, Maximum: the oldest an event was when Lambda read it from the queue.
  public var maxEventAge = SimDuration.zero
  /// Events accepted and not yet done (queued, or waiting for a retry).
  public var queued: Int { received - succeeded - dropped }
}

/// Lambda's error shape in records and responses: `errorType` and `errorMessage`.
func lambdaError(_ outcome: InvocationOutcome, requestId: UUID128, timeout: SimDuration, at time: SimTime) -> (
  type: String, message: String
) {
  switch outcome {
  case .success: return ("", "")
  case .timeout:
    let secs = formatFixed(Double(timeout.microseconds) / 1_000_000, 2)
    return ("Sandbox.Timedout", "\(time.iso8601Millis) \(requestId.text) Task timed out after \(secs) seconds")
  case .error(let text):
    // fanout's handler errors read `Type: message`, as Python's traceback's last line does.
    if let r = text.range(of: ": "), !text[..<r.lowerBound].contains(" ") {
      return (String(text[..<r.lowerBound]), String(text[r.upperBound...]))
    }
    return ("Exception", text)
  }
}

extension Simulation {
  /// Lambda accepts an asynchronous invocation: it goes to the function's queue, and its reader
  /// starts it after the pickup latency.
  func invokeAsync(_ f: LambdaFunction, _ payload: AsyncPayload, source: String, requestId: UUID128? = nil) {
    let id = nextAsyncId
    nextAsyncId += 1
    let e = AsyncEvent(function: f.index, requestId: requestId ?? idRng.uuid(), payload: payload, accepted: now)
    asyncEvents[id] = e
    f.async.received += 1
    emit(
      .lambdaAsync(
        function: f.name, awsRequestId: e.requestId, stage: .accepted, detail: source, requestID: e.requestID,
        event: asyncEventJSON(e)))
    schedule(.asyncDispatch(id), at: now + topology.latency.asyncPickup.sample(&latencyRng))
  }

  /// The reader takes the event: it runs the function, or, out of concurrency, puts it back;
  /// an event too old is discarded.
  func dispatchAsync(_ id: Int) {
    guard var e = asyncEvents[id] else { return }
    let f = functions[e.function]
    let age = now - e.accepted
    f.async.maxEventAge = max(f.async.maxEventAge, age)
    if age > f.spec.eventInvokeConfig.maximumEventAge {
      discardAsync(id, condition: "EventAgeExceeded")
      return
    }
    if f.spec.reservedConcurrency == 0 {
      // "Lambda begins sending new events to the configured dead-letter queue or the on-failure
      // event destination, without any retries."
      f.counters.throttles += 1
      emit(.lambdaThrottle(function: f.name, trigger: "async", records: 1))
      discardAsync(id, condition: "RetriesExhausted", throttled: true)
      return
    }
    guard hasCapacity(f) else {
      f.counters.throttles += 1
      emit(.lambdaThrottle(function: f.name, trigger: "async", records: 1))
      // 1 s after the first attempt, doubling, at most 5 minutes.
      let wait = SimDuration.seconds(min(300, 1 << min(e.throttles, 9)))
      e.throttles += 1
      asyncEvents[id] = e
      if now + wait - e.accepted > f.spec.eventInvokeConfig.maximumEventAge {
        // The next attempt would come too late: the event expires when its age runs out.
        schedule(.asyncDispatch(id), at: e.accepted + f.spec.eventInvokeConfig.maximumEventAge + .microseconds(1))
      } else {
        schedule(.asyncDispatch(id), at: now + wait)
      }
      return
    }
    e.invocations += 1
    asyncEvents[id] = e
    startInvocation(f, trigger: .async(id), records: asyncRecords(e))
  }

  /// The event as the records of the invocation's batch: an SNS event has exactly one record; a
  /// client's payload none (fanout's handlers read only SQS and SNS records).
  func asyncRecords(_ e: AsyncEvent) -> [BatchRecord] {
    switch e.payload {
    case .sns(let n, let sub):
      return [
        BatchRecord(
          queue: -1, key: 0, receiveCount: e.invocations, messageId: n.messageId, body: .envelope(n, subscription: sub),
          bytes: n.message.byteCount, visibleUntil: .distantFuture)
      ]
    case .invoke: return []
    }
  }

  /// An asynchronous invocation ended.
  func finishAsync(_ id: Int, _ inv: Invocation, _ outcome: InvocationOutcome) {
    guard var e = asyncEvents[id] else { return }
    let f = functions[e.function]
    if outcome == .success {
      asyncEvents[id] = nil
      f.async.succeeded += 1
      emit(
        .lambdaAsync(
          function: f.name, awsRequestId: e.requestId, stage: .succeeded, detail: "", requestID: e.requestID, event: nil
        ))
      if let d = f.spec.eventInvokeConfig.onSuccess {
        sendRecord(f, e, to: d, condition: "Success", outcome: outcome)
      }
      return
    }
    e.lastError = lambdaError(outcome, requestId: e.requestId, timeout: f.spec.timeout, at: now)
    asyncEvents[id] = e
    let retriesMade = e.invocations - 1
    guard retriesMade < f.spec.eventInvokeConfig.maximumRetryAttempts else {
      discardAsync(id, condition: "RetriesExhausted")
      return
    }
    // One minute before the first retry, two before the second.
    let wait = SimDuration.minutes(retriesMade + 1)
    f.async.retries += 1
    emit(
      .lambdaAsync(
        function: f.name, awsRequestId: e.requestId, stage: .retry, detail: "attempt \(e.invocations + 1) in \(wait)",
        requestID: e.requestID, event: nil))
    schedule(.asyncDispatch(id), at: now + wait)
  }

  /// Lambda gives up on an event: its record to the on-failure destination, the event to the
  /// dead-letter queue, or nowhere.
  func discardAsync(_ id: Int, condition: String, throttled: Bool = false) {
    guard let e = asyncEvents.removeValue(forKey: id) else { return }
    let f = functions[e.function]
    f.async.dropped += 1
    if condition == "EventAgeExceeded" { f.async.expired += 1 }
    emit(
      .lambdaAsync(
        function: f.name, awsRequestId: e.requestId, stage: .discarded, detail: condition, requestID: e.requestID,
        event: nil))
    if let d = f.spec.eventInvokeConfig.onFailure {
      sendRecord(f, e, to: d, condition: condition, outcome: nil)
    }
    if let d = f.spec.deadLetter {
      f.async.deadLettered += 1
      // For a dead-letter queue Lambda sends "only the content of the event", with the request ID
      // and the error as message attributes (RequestID, ErrorCode, ErrorMessage).
      var attributes = [MessageAttribute(name: "RequestID", value: e.requestId.text)]
      attributes.append(MessageAttribute(name: "ErrorCode", dataType: "Number", value: "200"))
      let message = e.lastError.map { $0.type.isEmpty ? $0.message : $0.type + ": " + $0.message } ?? condition
      attributes.append(MessageAttribute(name: "ErrorMessage", value: String(message.utf8.prefix(1_024)) ?? message))
      if !deliverAsyncOutput(f, to: d, body: asyncEventJSON(e), attributes: attributes) {
        f.async.deadLetterErrors += 1
      }
    }
  }

  /// The invocation record Lambda sends to a destination
  /// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
  func sendRecord(
    _ f: LambdaFunction, _ e: AsyncEvent, to d: AsyncTarget, condition: String, outcome: InvocationOutcome?
  ) {
    var s = "{\"version\":\"1.0\",\"timestamp\":" + jsonString(now.iso8601Millis)
    s += ",\"requestContext\":{\"requestId\":" + jsonString(e.requestId.text)
    s += ",\"functionArn\":" + jsonString(f.arn + ":$LATEST")
    s += ",\"condition\":" + jsonString(condition) + ",\"approximateInvokeCount\":\(e.invocations)}"
    s += ",\"requestPayload\":" + asyncEventJSON(e)
    if e.invocations > 0 {
      s += ",\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"$LATEST\""
      if let err = e.lastError, outcome != .success {
        s += ",\"functionError\":\"Unhandled\"},\"responsePayload\":{\"errorMessage\":" + jsonString(err.message)
        if !err.type.isEmpty { s += ",\"errorType\":" + jsonString(err.type) }
        s += "}"
      } else {
        s += "},\"responsePayload\":null"
      }
    }
    s += "}"
    f.async.destinationRecords += 1
    if !deliverAsyncOutput(f, to: d, body: s, attributes: []) { f.async.destinationDeliveryFailures += 1 }
  }

  /// Sends a record or a discarded event to a queue or topic, as Lambda's service role does (an
  /// SQS queue's policy is not checked for it: Lambda sends with the function's execution role).
  /// False when the target refuses it.
  func deliverAsyncOutput(_ f: LambdaFunction, to d: AsyncTarget, body: String, attributes: [MessageAttribute]) -> Bool
  {
    let payload = Payload.from(text: body)
    switch d {
    case .queue(let name):
      guard let qi = queueByName[name] else { return false }
      let q = queues[qi]
      let size = payload.byteCount + attributes.reduce(0) { $0 + $1.byteCount }
      guard size <= q.spec.maximumMessageSize else { return false }
      enqueue(
        q, messageId: idRng.uuid(), body: .payload(payload), attributes: attributes, size: size, delay: q.spec.delay,
        sentTime: now, enqueueTime: now, sender: .api, source: f.sendSource)
      return true
    case .topic(let name):
      guard let ti = topicByName[name] else { return false }
      do {
        try publish(topics[ti], message: payload, subject: nil, attributes: attributes)
        return true
      } catch {
        return false
      }
    }
  }

  /// The event's JSON, as the function receives it.
  func asyncEventJSON(_ e: AsyncEvent) -> String {
    switch e.payload {
    case .sns(let n, let sub): return snsLambdaEventJSON(n, subscriptionArn: n.topicArn + ":" + sub.text)
    case .invoke(let p): return p.text
    }
  }
}

/// The event SNS gives a subscribed function: one record, `EventSource` `aws:sns`, and the
/// notification under `Sns`, in the key order of real events (captured events, e.g.
/// https://gist.github.com/mikegrima/e4e754ccf22b1aa45ed9a6e18a063ee3): `Subject` null when
/// the publisher gave none, `MessageAttributes` `{}` when it gave none, and `SigningCertUrl` /
/// `UnsubscribeUrl` spelled so (the SQS envelope spells them `…URL`).
public func snsLambdaEventJSON(_ n: SNSNotification, subscriptionArn: String) -> String {
  var s = "{\"Records\":[{\"EventSource\":\"aws:sns\",\"EventVersion\":\"1.0\",\"EventSubscriptionArn\":"
  appendJSONString(&s, subscriptionArn)
  s += ",\"Sns\":{\"Type\":\"Notification\",\"MessageId\":"
  appendJSONString(&s, n.messageId.text)
  s += ",\"TopicArn\":"
  appendJSONString(&s, n.topicArn)
  s += ",\"Subject\":"
  if let subject = n.subject { appendJSONString(&s, subject) } else { s += "null" }
  s += ",\"Message\":"
  appendJSONString(&s, n.message.text)
  s += ",\"Timestamp\":"
  appendJSONString(&s, n.timestamp.iso8601Millis)
  s += ",\"SignatureVersion\":\"1\",\"Signature\":"
  appendJSONString(&s, simulatedSignature(stringToSign: n.stringToSign))
  s += ",\"SigningCertUrl\":"
  appendJSONString(&s, signingCertURL(region: n.region))
  s += ",\"UnsubscribeUrl\":"
  appendJSONString(&s, "https://sns.\(n.region).amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + subscriptionArn)
  s += ",\"MessageAttributes\":{"
  for (i, a) in n.attributes.enumerated() {
    if i > 0 { s += "," }
    appendJSONString(&s, a.name)
    s += ":" + a.envelopeJSON
  }
  s += "}}}]}"
  return s
}
