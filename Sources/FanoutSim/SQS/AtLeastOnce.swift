// MARK: - At-least-once delivery: the copies SQS and SNS can deliver twice
//
// SQS standard queues deliver "at least once": SQS keeps copies of a message on several servers,
// and "on rare occasions, one of the servers that stores a copy of a message might be
// unavailable when you receive or delete a message. If this occurs, the copy of the message isn't
// deleted on the server that is unavailable, and you might get that message copy again"
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues-at-least-once-delivery.html).
// AWS publishes no rate, so the knob is fanout's: `QueueSpec.duplicateRate`, 0 by default.
//
// What fanout models: each receive of a message, with probability `duplicateRate`, leaves a copy
// on a server that missed the receive. The copy is the message as that server had it: the same
// MessageId, body, attributes and SentTimestamp, visible, with the receive count before the
// receive (so its own receive shows the same ApproximateReceiveCount; AWS documents no number).
// It becomes visible once the receive that left it ends (a receive never returns a copy of a
// message it returned), so another receive, another poller's batch, can get it while the first
// is still in flight. Each copy has its own receipt handles: deleting the first receive's handle
// deletes that copy only (the server that kept the copy missed the delete too, as AWS describes);
// the copy is deleted through its own receive's handle, or expires, or moves to the dead-letter
// queue, like any message. Copies are numbered from 1 per MessageId (`StoredMessage.copy`, the
// `copy` of the events); a copy's receive can leave a copy of its own.
//
// Ordering: standard queues give "best-effort ordering"
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues.html):
// fanout delivers visible messages oldest-visible first, and out-of-order delivery comes from what
// reorders messages in SQS itself: a copy arriving after newer messages, a message back after its
// visibility timeout, delays, short-poll sampling. There is no separate reordering knob.
//
// Every draw comes from the queue's own stream for this (`sqs/<name>/at-least-once`), and only
// while `duplicateRate` is above zero: with the knob off, no output changes.

extension Simulation {
  /// After a receive of `key`: with probability `duplicateRate`, a copy stays visible on a server
  /// that missed the receive. It joins the visible order when the receive ends (`showCopies`).
  func leaveCopy(_ q: SQSQueue, of key: Int64) {
    guard q.duplicateRng.chance(q.duplicateRate), var m = q.messages[key] else { return }
    let n = (copiesMade[m.messageId] ?? 0) &+ 1
    copiesMade[m.messageId] = n
    let original = m.copy
    m.copy = n
    m.state = .visible
    m.generation = 0
    m.receiveCount -= 1
    if m.receiveCount == 0 { m.firstReceiveTime = nil }
    m.until = .epoch
    m.receivedAt = .epoch
    m.serial = nextMessageKey
    nextMessageKey += 1
    let copyKey = q.messages.insert(m)
    q.visibleCount += 1
    q.counters.duplicated += 1
    q.retentionTimers.insert(
      QueueTimer(time: m.enqueueTime + q.spec.messageRetentionPeriod, key: copyKey, generation: 0))
    armTimer(q, .retention)
    q.copiesToShow.append(copyKey)
    q.noteDepth()
    emit(.sqsDuplicate(queue: q.name, messageId: m.messageId, copy: n, of: original, receiveCount: m.receiveCount))
  }

  /// The copies the receive just made join the back of the visible order; pollers are told.
  func showCopies(_ q: SQSQueue) {
    for k in q.copiesToShow { q.visibleOrder.append((k, 0)) }
    q.copiesToShow.removeAll(keepingCapacity: true)
    wakePollers(q)
  }

  /// Switches a queue's duplicate rate (0 to 1) at run time.
  public func setDuplicateRate(queue name: String, _ rate: Double) throws {
    guard let q = queue(named: name) else { throw UnknownName(kind: "queue", name: name) }
    guard rate.isFinite, (0...1).contains(rate) else {
      throw SQSError.invalidParameterValue("duplicateRate must be between 0 and 1 (got \(rate))")
    }
    q.duplicateRate = rate
    emit(.sqsDuplicateRate(queue: q.name, rate: rate))
  }
}
