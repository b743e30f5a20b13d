// MARK: - SQS mechanics

extension Simulation {
  /// Stores a new message (or a dead-lettered one) in a queue.
  @discardableResult
  func enqueue(
    _ q: SQSQueue, messageId: UUID128, body: MessageBody, attributes: [MessageAttribute], size: Int, delay: SimDuration,
    sentTime: SimTime, enqueueTime: SimTime, receiveCount: Int = 0, firstReceive: SimTime? = nil,
    sender: Sender, sourceQueue: Int? = nil, injected: Bool = false, isMove: Bool = false,
    snsMessageId: UUID128? = nil, copy: UInt16 = 0, chain: RecursionChain = RecursionChain(),
    source: @autoclosure () -> String
  ) -> Int64 {
    let serial = nextMessageKey
    nextMessageKey += 1
    let delayed = delay > .zero
    let key = q.messages.insert(
      StoredMessage(
        messageId: messageId, body: body, attributes: attributes, sentTime: sentTime, enqueueTime: enqueueTime,
        firstReceiveTime: firstReceive, receiveCount: receiveCount, state: delayed ? .delayed : .visible,
        until: delayed ? now + delay : .epoch, generation: 0, sender: sender, sourceQueue: sourceQueue,
        injected: injected, serial: serial, copy: copy, chain: chain))
    if isMove {
      q.counters.movedIn += 1
    } else {
      q.counters.sent += 1
      q.counters.sentBytes += size
      q.counters.sendRequests += billedRequests(bytes: size)
      emit(
        .sqsSend(
          queue: q.name, messageId: messageId, snsMessageId: snsMessageId, delay: delay, size: size,
          requestID: body.requestID, source: source()))
    }
    q.retentionTimers.insert(QueueTimer(time: enqueueTime + q.spec.messageRetentionPeriod, key: key, generation: 0))
    q.arrivals?.append((now, key))
    armTimer(q, .retention)
    if delayed {
      q.delayedCount += 1
      q.delayTimers.insert(QueueTimer(time: now + delay, key: key, generation: 0))
      armTimer(q, .delay)
    } else {
      q.visibleCount += 1
      q.visibleOrder.append((key, 0))
      wakePollers(q)
    }
    q.noteDepth()
    return key
  }

  func armTimer(_ q: SQSQueue, _ kind: QueueTimerKind) {
    let top: QueueTimer?
    switch kind {
    case .delay: top = q.delayTimers.min
    case .visibility: top = q.visibilityTimers.min
    case .retention: top = q.retentionTimers.min
    }
    guard let top, top.time < q.scheduled[kind.rawValue] else { return }
    q.scheduled[kind.rawValue] = top.time
    schedule(.queueTimer(queue: Int32(q.index), kind: kind, at: top.time), at: top.time, keepsAlive: false)
  }

  func fireQueueTimer(_ q: SQSQueue, kind: QueueTimerKind, at: SimTime) {
    if q.scheduled[kind.rawValue] == at { q.scheduled[kind.rawValue] = .distantFuture }
    switch kind {
    case .delay:
      while let t = q.delayTimers.min, t.time <= now {
        q.delayTimers.removeMin()
        guard let (state, g) = q.messages.stateAndGeneration(t.key), state == .delayed, g == t.generation else {
          continue
        }
        makeVisible(q, key: t.key, reason: .delayEnded)
      }
    case .visibility:
      while let t = q.visibilityTimers.min, t.time <= now {
        q.visibilityTimers.removeMin()
        guard let (state, g) = q.messages.stateAndGeneration(t.key), state == .inFlight, g == t.generation else {
          continue
        }
        makeVisible(q, key: t.key, reason: .visibilityTimeout)
      }
    case .retention:
      while let t = q.retentionTimers.min, t.time <= now {
        q.retentionTimers.removeMin()
        guard let m = remove(q, key: t.key) else { continue }
        q.counters.expired += 1
        emit(.sqsExpire(queue: q.name, messageId: m.messageId, requestID: m.body.requestID, copy: m.copy))
      }
    }
    armTimer(q, kind)
  }

  /// A delayed or in-flight message becomes visible: to the back of the visible order, pollers told.
  func makeVisible(_ q: SQSQueue, key: Int64, reason: VisibleReason) {
    guard
      let (previous, generation, id, copy) = q.messages.modify(
        key,
        { m -> (MessageState, UInt32, UUID128, UInt16) in
          let previous = m.state
          m.state = .visible
          m.generation &+= 1
          return (previous, m.generation, m.messageId, m.copy)
        })
    else { return }
    if previous == .delayed { q.delayedCount -= 1 } else if previous == .inFlight { q.inFlightCount -= 1 }
    q.visibleCount += 1
    q.visibleOrder.append((key, generation))
    emit(.sqsVisible(queue: q.name, messageId: id, reason: reason, copy: copy))
    wakePollers(q)
  }

  /// Takes a message out of a queue, whatever its state, and returns it.
  @discardableResult
  func remove(_ q: SQSQueue, key: Int64) -> StoredMessage? {
    guard let m = q.messages.take(key) else { return nil }
    forget(q, state: m.state)
    return m
  }

  /// Counts a message taken out of a queue out of its state, and drops timers left without one.
  private func forget(_ q: SQSQueue, state: MessageState) {
    switch state {
    case .visible: q.visibleCount -= 1
    case .inFlight: q.inFlightCount -= 1
    case .delayed: q.delayedCount -= 1
    }
    q.noteAge(now: now)
    q.pruneTimers()
  }

  /// ReceiveMessage: up to `max` visible messages, each with a new receipt, its receive count
  /// raised and its visibility timeout started. A message whose receive count has reached the
  /// redrive policy's maxReceiveCount moves to the dead-letter queue instead. A short poll sees
  /// only the messages on the servers it samples (`ShortPolling`); the rest stay as they are.
  func receive(
    _ q: SQSQueue, max: Int, visibilityTimeout: SimDuration? = nil, consumer: String, shortPoll: Bool = false
  )
    -> [BatchRecord]
  {
    var out: [BatchRecord] = []
    q.counters.receiveCalls += 1
    out.reserveCapacity(Swift.min(max, q.visibleCount))
    var skipped: [(Int64, UInt32)] = []
    let vt = visibilityTimeout ?? q.spec.visibilityTimeout
    let servers = shortPoll ? ShortPolling.Sample(&q.rng) : nil
    while out.count < max, let (key, gen) = q.visibleOrder.popFirst() {
      guard let (state, g) = q.messages.stateAndGeneration(key), state == .visible, g == gen else { continue }
      if let servers, !servers.contains(ShortPolling.server(of: q.messages.messageId(key)!)) {
        skipped.append((key, gen))
        continue
      }
      if let dlq = q.deadLetterQueue, let r = q.spec.redrive, q.messages.receiveCount(key)! >= r.maxReceiveCount {
        moveToDeadLetterQueue(q, key: key, dlq: queues[dlq])
        continue
      }
      let now = self.now
      var copy: UInt16 = 0
      let record = q.messages.modify(key) { m -> BatchRecord in
        copy = m.copy
        m.receiveCount += 1
        if m.firstReceiveTime == nil { m.firstReceiveTime = now }
        m.state = .inFlight
        m.generation &+= 1
        m.until = now + vt
        m.receivedAt = now
        q.visibilityTimers.insert(QueueTimer(time: m.until, key: key, generation: m.generation))
        return BatchRecord(
          queue: q.index, key: key, receiveCount: m.receiveCount, messageId: m.messageId, body: m.body, bytes: 0,
          visibleUntil: m.until)
      }!
      q.visibleCount -= 1
      q.inFlightCount += 1
      q.counters.received += 1
      out.append(record)
      emit(
        .sqsReceive(
          queue: q.name, messageId: record.messageId, receiveCount: record.receiveCount,
          visibleUntil: record.visibleUntil, consumer: consumer, copy: copy))
      if q.duplicateRate > 0 { leaveCopy(q, of: key) }
    }
    for s in skipped.reversed() { q.visibleOrder.prepend(s) }
    if !q.copiesToShow.isEmpty { showCopies(q) }
    if !out.isEmpty { armTimer(q, .visibility) }
    return out
  }

  func moveToDeadLetterQueue(_ q: SQSQueue, key: Int64, dlq: SQSQueue) {
    guard let m = remove(q, key: key) else { return }
    q.counters.movedToDLQ += 1
    emit(
      .sqsDLQ(
        queue: q.name, deadLetterQueue: dlq.name, messageId: m.messageId, receiveCount: m.receiveCount,
        requestID: m.body.requestID, copy: m.copy))
    enqueue(
      dlq, messageId: m.messageId, body: m.body, attributes: m.attributes, size: 0, delay: .zero, sentTime: m.sentTime,
      enqueueTime: m.enqueueTime, receiveCount: m.receiveCount, firstReceive: m.firstReceiveTime,
      sender: m.sender, sourceQueue: q.index, injected: m.injected, isMove: true, copy: m.copy, chain: m.chain,
      source: "dlq")
  }

  /// DeleteMessage with the receipt of one receive: deletes only when it is the latest receipt.
  @discardableResult
  func delete(_ q: SQSQueue, key: Int64, receiveCount: Int) -> Bool {
    guard q.messages.receiveCount(key) == receiveCount, let (state, id, copy) = q.messages.drop(key) else {
      return false
    }
    forget(q, state: state)
    q.counters.deleted += 1
    emit(.sqsDelete(queue: q.name, messageId: id, receiveCount: receiveCount, copy: copy))
    return true
  }

  /// Tells the queue's pollers that a message became visible.
  func wakePollers(_ q: SQSQueue) {
    for mi in q.mappings { messageVisible(mappings[mi]) }
  }
}
