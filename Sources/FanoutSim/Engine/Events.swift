// MARK: - Typed events

/// One state change of the simulation. Panes, reports, the event log and tests all read these.
public struct SimEvent: Sendable {
  /// Position in the stream, from 1.
  public var seq: Int
  /// Virtual time of the change.
  public var time: SimTime
  public var kind: EventKind
}

/// Why a message became visible.
/// Where an asynchronous invocation's event is (`AsyncInvoke.swift`).
public enum AsyncStage: String, Sendable {
  /// Lambda accepted it into the function's queue.
  case accepted
  /// An attempt failed; Lambda retries it.
  case retry
  case succeeded
  /// Lambda gave up on it (`detail`: RetriesExhausted or EventAgeExceeded).
  case discarded
}

public enum VisibleReason: String, Sendable {
  case visibilityTimeout = "visibility_timeout"
  case delayEnded = "delay_ended"
  case changedVisibility = "change_visibility"
}

/// How an invocation ended.
public enum InvocationOutcome: Sendable, Equatable {
  case success
  case error(String)
  case timeout
}

/// An S3 object key as an event carries it: the text, or a folder and a request ID whose text
/// (`<folder>/<32 hex digits>.json`) is made only when read.
public enum S3ObjectKey: Sendable, Equatable, CustomStringConvertible {
  case text(String)
  case request(folder: String, id: RequestID)

  public var text: String {
    switch self {
    case .text(let t): return t
    case .request(let folder, let id):
      let name = id.hex + ".json"
      return folder.isEmpty ? name : folder + "/" + name
    }
  }
  public var description: String { text }
}

/// A record of the exact Lambda SQS event a function received. Built by the simulation, it holds
/// the message's structured values, and its texts (message ID, receipt handle, body) are made
/// only when read: observing an invocation costs no JSON.
public struct LambdaRecord: Sendable {
  private enum Texts: Sendable {
    case given(messageId: String, receiptHandle: String, body: String)
    case lazy(messageId: UUID128, receipt: ReceiptHandle, queueArn: String, body: MessageBody)
  }
  private let texts: Texts

  public var messageId: String {
    switch texts {
    case .given(let id, _, _): return id
    case .lazy(let id, _, _, _): return id.text
    }
  }
  public var receiptHandle: String {
    switch texts {
    case .given(_, let r, _): return r
    case .lazy(_, let r, let arn, _): return r.text(queueArn: arn)
    }
  }
  public var body: String {
    switch texts {
    case .given(_, _, let b): return b
    case .lazy(_, _, _, let b): return b.text
    }
  }
  /// The message ID as a value, when the simulation built the record.
  public var messageUUID: UUID128? {
    if case .lazy(let id, _, _, _) = texts { return id }
    return nil
  }
  public var approximateReceiveCount: Int
  public var sentTimestamp: Int64
  public var senderId: String
  public var approximateFirstReceiveTimestamp: Int64
  public var messageAttributes: [MessageAttribute]
  public var eventSourceARN: String
  public var awsRegion: String
  /// The request ID the body carries, when it carries one (for traces; not part of the event).
  public var requestID: RequestID?
  /// For a message a redrive policy moved to this dead-letter queue: the queue it came from
  /// (the `DeadLetterQueueSourceArn` system attribute).
  public var deadLetterQueueSourceArn: String?

  /// A record from its texts (as a captured event gives them).
  public init(
    messageId: String, receiptHandle: String, body: String, approximateReceiveCount: Int, sentTimestamp: Int64,
    senderId: String, approximateFirstReceiveTimestamp: Int64, messageAttributes: [MessageAttribute],
    eventSourceARN: String, awsRegion: String, requestID: RequestID? = nil
  ) {
    self.init(
      texts: .given(messageId: messageId, receiptHandle: receiptHandle, body: body),
      approximateReceiveCount: approximateReceiveCount, sentTimestamp: sentTimestamp, senderId: senderId,
      approximateFirstReceiveTimestamp: approximateFirstReceiveTimestamp, messageAttributes: messageAttributes,
      eventSourceARN: eventSourceARN, awsRegion: awsRegion, requestID: requestID)
  }

  /// A record of a stored message, its texts made when read.
  init(
    messageId: UUID128, receipt: ReceiptHandle, body: MessageBody, approximateReceiveCount: Int, sentTimestamp: Int64,
    senderId: String, approximateFirstReceiveTimestamp: Int64, messageAttributes: [MessageAttribute],
    deadLetterQueueSourceArn: String?, eventSourceARN: String, awsRegion: String, requestID: RequestID?
  ) {
    self.init(
      texts: .lazy(messageId: messageId, receipt: receipt, queueArn: eventSourceARN, body: body),
      approximateReceiveCount: approximateReceiveCount, sentTimestamp: sentTimestamp, senderId: senderId,
      approximateFirstReceiveTimestamp: approximateFirstReceiveTimestamp, messageAttributes: messageAttributes,
      eventSourceARN: eventSourceARN, awsRegion: awsRegion, requestID: requestID)
    self.deadLetterQueueSourceArn = deadLetterQueueSourceArn
  }

  private init(
    texts: Texts, approximateReceiveCount: Int, sentTimestamp: Int64, senderId: String,
    approximateFirstReceiveTimestamp: Int64, messageAttributes: [MessageAttribute], eventSourceARN: String,
    awsRegion: String, requestID: RequestID?
  ) {
    self.texts = texts
    self.approximateReceiveCount = approximateReceiveCount
    self.sentTimestamp = sentTimestamp
    self.senderId = senderId
    self.approximateFirstReceiveTimestamp = approximateFirstReceiveTimestamp
    self.messageAttributes = messageAttributes
    self.eventSourceARN = eventSourceARN
    self.awsRegion = awsRegion
    self.requestID = requestID
  }

  /// The record as AWS writes it, keys in AWS's order, every attribute value a string.
  public var json: String {
    var s = "{\"messageId\":" + jsonString(messageId) + ",\"receiptHandle\":" + jsonString(receiptHandle)
    s += ",\"body\":" + jsonString(body)
    s +=
      ",\"attributes\":{\"ApproximateReceiveCount\":\"\(approximateReceiveCount)\",\"SentTimestamp\":\"\(sentTimestamp)\""
    s += ",\"SenderId\":" + jsonString(senderId)
    s += ",\"ApproximateFirstReceiveTimestamp\":\"\(approximateFirstReceiveTimestamp)\""
    if let dlq = deadLetterQueueSourceArn { s += ",\"DeadLetterQueueSourceArn\":" + jsonString(dlq) }
    s += "}"
    s += ",\"messageAttributes\":{"
    for (i, a) in messageAttributes.enumerated() {
      if i > 0 { s += "," }
      s += jsonString(a.name) + ":" + a.lambdaRecordJSON
    }
    s += "}"
    if !messageAttributes.isEmpty {
      s += ",\"md5OfMessageAttributes\":" + jsonString(md5OfMessageAttributes(messageAttributes))
    }
    s += ",\"md5OfBody\":" + jsonString(md5Hex(body))
    s += ",\"eventSource\":\"aws:sqs\",\"eventSourceARN\":" + jsonString(eventSourceARN)
    s += ",\"awsRegion\":" + jsonString(awsRegion) + "}"
    return s
  }
}

/// The Lambda event for a batch of SQS records: `{"Records":[...]}`.
public func lambdaSQSEventJSON(_ records: [LambdaRecord]) -> String {
  "{\"Records\":[" + records.map(\.json).joined(separator: ",") + "]}"
}

/// Every kind of state change, named `service.action` in the event log.
public enum EventKind: Sendable {
  case requestFire(fire: Int)
  case requestID(fire: Int, requestID: RequestID)
  case requestCollision(requestID: RequestID, fires: [Int])
  case requestFailed(fire: Int, reason: String)
  case requestStageDone(requestID: RequestID, stage: String, latency: SimDuration)
  case snsPublish(
    topic: String, messageId: UUID128, message: Payload, subject: String?, attributes: [MessageAttribute],
    matched: [String], filtered: [String], requestID: RequestID?, injected: Bool)
  case snsNotify(topic: String, endpoint: String, messageId: UUID128, message: Payload, requestID: RequestID?)
  case snsDeliveryFailed(topic: String, endpoint: String, messageId: UUID128, reason: String)
  /// SNS will deliver this publish to `endpoint` once more (at-least-once delivery): a second
  /// `sqs.send` (a new SQS message, the same SNS MessageId) or `sns.notify` follows.
  case snsDuplicate(topic: String, endpoint: String, messageId: UUID128)
  case sqsSend(
    queue: String, messageId: UUID128, snsMessageId: UUID128?, delay: SimDuration, size: Int, requestID: RequestID?,
    source: String)
  /// `copy` (in every event about a stored message) is 0 for the message as sent, from 1 for a
  /// copy at-least-once delivery left (`sqs.duplicate`); the JSON line has it only when above 0.
  case sqsReceive(
    queue: String, messageId: UUID128, receiveCount: Int, visibleUntil: SimTime, consumer: String, copy: UInt16)
  case sqsDelete(queue: String, messageId: UUID128, receiveCount: Int, copy: UInt16)
  case sqsVisible(queue: String, messageId: UUID128, reason: VisibleReason, copy: UInt16)
  case sqsDLQ(
    queue: String, deadLetterQueue: String, messageId: UUID128, receiveCount: Int, requestID: RequestID?,
    copy: UInt16)
  case sqsExpire(queue: String, messageId: UUID128, requestID: RequestID?, copy: UInt16)
  /// A receive of copy `of` left copy `copy` of the message visible, on a server that missed the
  /// receive: its receive count is the one before that receive (`receiveCount`).
  case sqsDuplicate(queue: String, messageId: UUID128, copy: UInt16, of: UInt16, receiveCount: Int)
  /// A queue's duplicate rate switched at run time.
  case sqsDuplicateRate(queue: String, rate: Double)
  case sqsPurge(queue: String, count: Int)
  case sqsMoveTask(task: Int, source: String, destination: String?, status: String, moved: Int, total: Int)
  case sqsRedrive(
    task: Int, source: String, destination: String, oldMessageId: UUID128, newMessageId: UUID128, requestID: RequestID?,
    copy: UInt16)
  case lambdaInvoke(
    function: String, invocation: Int, cold: Bool, trigger: String, requestIDs: [RequestID], event: [LambdaRecord]?)
  case lambdaResult(
    function: String, invocation: Int, outcome: InvocationOutcome, duration: SimDuration, batchItemFailures: [String])
  case lambdaThrottle(function: String, trigger: String, records: Int)
  /// Lambda stopped an invocation as a recursive loop (RecursiveInvocationsDropped): `messageId`'s
  /// chain had invoked the function `invocations` times; the batch of `records` stays in flight.
  case lambdaRecursiveLoop(function: String, trigger: String, invocations: Int, messageId: UUID128, records: Int)
  /// An asynchronous invocation's event moved on: accepted (with the event JSON when observed, and
  /// who sent it in `detail`), retried, succeeded or discarded. `awsRequestId` is Lambda's request
  /// ID (the same on every attempt); `requestID` the tracked request the event carries.
  case lambdaAsync(
    function: String, awsRequestId: UUID128, stage: AsyncStage, detail: String, requestID: RequestID?, event: String?)
  case lambdaScale(mapping: String, from: Int, to: Int)
  case lambdaMapping(mapping: String, enabled: Bool)
  /// UpdateFunctionCode: the function's warm execution environments are retired.
  case lambdaCodeUpdate(function: String, retired: Int)
  case lambdaFailure(function: String, failure: FailureSpec)
  /// `body` is the object's content (an interned string: passing it copies nothing); the event log
  /// does not write it.
  case s3Put(bucket: String, key: S3ObjectKey, etag: String, size: Int, body: String, requestID: RequestID?)
  case s3Get(bucket: String, key: S3ObjectKey, found: Bool, requestID: RequestID?)
  /// HeadObject from a handler's `s3Head` step.
  case s3Head(bucket: String, key: S3ObjectKey, found: Bool, requestID: RequestID?)
  /// DeleteObject from a handler's `s3Delete` step; `existed`: whether an object was removed (S3
  /// answers the same either way).
  case s3Delete(bucket: String, key: S3ObjectKey, existed: Bool, requestID: RequestID?)

  /// `service.action`.
  public var type: String {
    switch self {
    case .requestFire: return "request.fire"
    case .requestID: return "request.id"
    case .requestCollision: return "request.collision"
    case .requestFailed: return "request.failed"
    case .requestStageDone: return "request.stage_done"
    case .snsPublish: return "sns.publish"
    case .snsNotify: return "sns.notify"
    case .snsDeliveryFailed: return "sns.delivery_failed"
    case .snsDuplicate: return "sns.duplicate"
    case .sqsSend: return "sqs.send"
    case .sqsReceive: return "sqs.receive"
    case .sqsDelete: return "sqs.delete"
    case .sqsVisible: return "sqs.visible"
    case .sqsDLQ: return "sqs.dlq"
    case .sqsExpire: return "sqs.expire"
    case .sqsDuplicate: return "sqs.duplicate"
    case .sqsDuplicateRate: return "sqs.duplicate_rate"
    case .sqsPurge: return "sqs.purge"
    case .sqsMoveTask: return "sqs.move_task"
    case .sqsRedrive: return "sqs.redrive"
    case .lambdaInvoke: return "lambda.invoke"
    case .lambdaResult: return "lambda.result"
    case .lambdaThrottle: return "lambda.throttle"
    case .lambdaRecursiveLoop: return "lambda.recursive_loop"
    case .lambdaAsync: return "lambda.async"
    case .lambdaScale: return "lambda.scale"
    case .lambdaMapping: return "lambda.mapping"
    case .lambdaCodeUpdate: return "lambda.code_update"
    case .lambdaFailure: return "lambda.failure"
    case .s3Put: return "s3.put"
    case .s3Get: return "s3.get"
    case .s3Head: return "s3.head"
    case .s3Delete: return "s3.delete"
    }
  }
}

extension SimEvent {
  /// The event as one line of the JSON-lines log (no newline): `seq`, `time`, `type`, then the
  /// event's own fields in a fixed order.
  public var jsonLine: String {
    var w = JSONObjectWriter()
    w.int("seq", seq)
    w.string("time", time.iso8601Millis)
    w.string("type", kind.type)
    func rid(_ id: RequestID?) { if let id { w.string("request_id", id.hex) } }
    func copy(_ n: UInt16) { if n > 0 { w.int("copy", Int(n)) } }
    switch kind {
    case .requestFire(let fire):
      w.int("fire", fire)
    case .requestID(let fire, let id):
      w.int("fire", fire)
      w.string("request_id", id.hex)
    case .requestCollision(let id, let fires):
      w.string("request_id", id.hex)
      w.raw("fires", jsonArray(fires.map(String.init)))
    case .requestFailed(let fire, let reason):
      w.int("fire", fire)
      w.string("reason", reason)
    case .requestStageDone(let id, let stage, let latency):
      w.string("request_id", id.hex)
      w.string("stage", stage)
      w.int("latency_us", latency.microseconds)
    case .snsPublish(
      let topic, let mid, let message, let subject, let attributes, let matched, let filtered, let id, let injected):
      w.string("topic", topic)
      w.string("message_id", mid.text)
      if let subject { w.string("subject", subject) }
      w.string("message", message.text)
      if !attributes.isEmpty {
        w.raw(
          "attributes",
          "{" + attributes.map { jsonString($0.name) + ":" + $0.envelopeJSON }.joined(separator: ",") + "}")
      }
      w.raw("delivered_to", jsonArray(matched.map(jsonString)))
      w.raw("filtered_out", jsonArray(filtered.map(jsonString)))
      rid(id)
      if injected { w.bool("injected", true) }
    case .snsNotify(let topic, let endpoint, let mid, let message, let id):
      w.string("topic", topic)
      w.string("endpoint", endpoint)
      w.string("message_id", mid.text)
      w.string("message", message.text)
      rid(id)
    case .snsDeliveryFailed(let topic, let endpoint, let mid, let reason):
      w.string("topic", topic)
      w.string("endpoint", endpoint)
      w.string("message_id", mid.text)
      w.string("reason", reason)
    case .snsDuplicate(let topic, let endpoint, let mid):
      w.string("topic", topic)
      w.string("endpoint", endpoint)
      w.string("message_id", mid.text)
    case .sqsSend(let queue, let mid, let snsId, let delay, let size, let id, let source):
      w.string("queue", queue)
      w.string("message_id", mid.text)
      if let snsId { w.string("sns_message_id", snsId.text) }
      w.int("delay_us", delay.microseconds)
      w.int("size", size)
      w.string("source", source)
      rid(id)
    case .sqsReceive(let queue, let mid, let count, let until, let consumer, let c):
      w.string("queue", queue)
      w.string("message_id", mid.text)
      copy(c)
      w.int("receive_count", count)
      w.string("visible_until", until.iso8601Millis)
      w.string("consumer", consumer)
    case .sqsDelete(let queue, let mid, let count, let c):
      w.string("queue", queue)
      w.string("message_id", mid.text)
      copy(c)
      w.int("receive_count", count)
    case .sqsVisible(let queue, let mid, let reason, let c):
      w.string("queue", queue)
      w.string("message_id", mid.text)
      copy(c)
      w.string("reason", reason.rawValue)
    case .sqsDLQ(let queue, let dlq, let mid, let count, let id, let c):
      w.string("queue", queue)
      w.string("dead_letter_queue", dlq)
      w.string("message_id", mid.text)
      copy(c)
      w.int("receive_count", count)
      rid(id)
    case .sqsExpire(let queue, let mid, let id, let c):
      w.string("queue", queue)
      w.string("message_id", mid.text)
      copy(c)
      rid(id)
    case .sqsDuplicate(let queue, let mid, let c, let of, let count):
      w.string("queue", queue)
      w.string("message_id", mid.text)
      w.int("copy", Int(c))
      w.int("of", Int(of))
      w.int("receive_count", count)
    case .sqsDuplicateRate(let queue, let rate):
      w.string("queue", queue)
      w.double("duplicate_rate", rate)
    case .sqsPurge(let queue, let count):
      w.string("queue", queue)
      w.int("count", count)
    case .sqsMoveTask(let task, let source, let destination, let status, let moved, let total):
      w.int("task", task)
      w.string("source", source)
      w.string("destination", destination ?? "(each message's source queue)")
      w.string("status", status)
      w.int("moved", moved)
      w.int("total", total)
    case .sqsRedrive(let task, let source, let destination, let old, let new, let id, let c):
      w.int("task", task)
      w.string("queue", source)
      w.string("destination", destination)
      w.string("message_id", old.text)
      copy(c)
      w.string("new_message_id", new.text)
      rid(id)
    case .lambdaInvoke(let function, let inv, let cold, let trigger, let ids, let event):
      w.string("function", function)
      w.int("invocation", inv)
      w.bool("cold_start", cold)
      w.string("trigger", trigger)
      w.raw("request_ids", jsonArray(ids.map { jsonString($0.hex) }))
      if let event { w.raw("event", lambdaSQSEventJSON(event)) }
    case .lambdaResult(let function, let inv, let outcome, let duration, let failures):
      w.string("function", function)
      w.int("invocation", inv)
      switch outcome {
      case .success: w.string("outcome", "success")
      case .error(let msg):
        w.string("outcome", "error")
        w.string("error", msg)
      case .timeout: w.string("outcome", "timeout")
      }
      w.int("duration_us", duration.microseconds)
      if !failures.isEmpty { w.raw("batch_item_failures", jsonArray(failures.map(jsonString))) }
    case .lambdaThrottle(let function, let trigger, let records):
      w.string("function", function)
      w.string("trigger", trigger)
      w.int("records", records)
    case .lambdaRecursiveLoop(let function, let trigger, let invocations, let mid, let records):
      w.string("function", function)
      w.string("trigger", trigger)
      w.int("invocations", invocations)
      w.string("message_id", mid.text)
      w.int("records", records)
    case .lambdaAsync(let function, let awsId, let stage, let detail, let id, let event):
      w.string("function", function)
      w.string("aws_request_id", awsId.text)
      w.string("stage", stage.rawValue)
      if !detail.isEmpty { w.string("detail", detail) }
      rid(id)
      if let event { w.raw("event", event) }
    case .lambdaScale(let mapping, let from, let to):
      w.string("mapping", mapping)
      w.int("from", from)
      w.int("to", to)
    case .lambdaMapping(let mapping, let enabled):
      w.string("mapping", mapping)
      w.bool("enabled", enabled)
    case .lambdaCodeUpdate(let function, let retired):
      w.string("function", function)
      w.int("retired", retired)
    case .lambdaFailure(let function, let f):
      w.string("function", function)
      w.double("error_rate", f.errorRate)
      w.double("timeout_rate", f.timeoutRate)
      w.double("item_failure_rate", f.itemFailureRate)
    case .s3Put(let bucket, let key, let etag, let size, _, let id):
      w.string("bucket", bucket)
      w.string("key", key.text)
      w.string("etag", etag)
      w.int("size", size)
      rid(id)
    case .s3Get(let bucket, let key, let found, let id):
      w.string("bucket", bucket)
      w.string("key", key.text)
      w.bool("found", found)
      rid(id)
    case .s3Head(let bucket, let key, let found, let id):
      w.string("bucket", bucket)
      w.string("key", key.text)
      w.bool("found", found)
      rid(id)
    case .s3Delete(let bucket, let key, let existed, let id):
      w.string("bucket", bucket)
      w.string("key", key.text)
      w.bool("existed", existed)
      rid(id)
    }
    return w.finished()
  }
}
