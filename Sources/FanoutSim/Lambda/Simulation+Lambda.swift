// MARK: - Lambda: event source mappings and invocations

/// Scale-up pace of an SQS event source mapping: +300 concurrent invokes a minute, one every 200 ms.
let scaleStep = SimDuration.milliseconds(200)
/// A long poll lasts 20 s; an idle poller makes one empty receive per long poll.
let longPoll = SimDuration.seconds(20)
/// A Lambda payload is at most 6 MB; a batching window ends early when the batch reaches it.
let maxPayload = Limits.Lambda.maxPayloadBytes

extension Simulation {
  func hasCapacity(_ f: LambdaFunction) -> Bool {
    if let r = f.spec.reservedConcurrency { return f.running < r }
    return unreservedRunning < topology.accountConcurrency - reservedTotal
  }

  /// Adds the idle pollers' empty receives to their queue's counter and marks them awake.
  func settleIdlePolls(_ m: EventSourceMapping) {
    queues[m.queue].counters.emptyReceives += m.idleEmptyReceives(now: now)
    m.idleSince = nil
  }

  /// The pollers of a mapping: scale, receive batches and invoke while there is room.
  func pump(_ m: EventSourceMapping) {
    m.pumpScheduled = false
    guard m.enabled else { return }
    let q = queues[m.queue]
    settleIdlePolls(m)
    // While messages remain, +1 concurrent batch every 200 ms (+300 a minute), counted from when
    // the pollers first found the backlog.
    if q.visibleCount > 0 {
      let since = m.scaleClock ?? now
      let steps = Int((now - since) / scaleStep)
      if steps > 0, m.target < m.cap {
        let old = m.target
        m.target = min(m.cap, m.target + steps)
        emit(.lambdaScale(mapping: m.name, from: old, to: m.target))
      }
      m.scaleClock = since + scaleStep * steps
    } else {
      m.scaleClock = nil
    }
    let window = m.spec.maximumBatchingWindow
    while q.visibleCount > 0 {
      if window > .zero {
        if m.gathering == nil {
          guard m.busy < m.target else { break }
          m.busy += 1
          m.gatherSerial += 1
          let serial = m.gatherSerial
          m.gathering = EventSourceMapping.Gathering(records: [], bytes: 0, serial: serial)
          schedule(.windowEnd(mapping: m.index, serial: serial), at: now + window)
        }
        var g = m.gathering!
        while g.records.count < m.spec.batchSize, g.bytes < maxPayload, q.visibleCount > 0 {
          let got = receive(q, max: min(10, m.spec.batchSize - g.records.count), consumer: m.name)
          for r in got { g.bytes += bodySize(r.body) }
          g.records += got
        }
        if g.records.count >= m.spec.batchSize || g.bytes >= maxPayload {
          m.gathering = nil
          invokeBatch(m, g.records, attempt: 0)
          continue
        }
        m.gathering = g
        break
      } else {
        guard m.busy < m.target else { break }
        let got = receive(q, max: min(10, m.spec.batchSize), consumer: m.name)
        if got.isEmpty { continue }
        m.busy += 1
        invokeBatch(m, got, attempt: 0)
      }
    }
    if q.visibleCount > 0, m.busy >= m.target, m.target < m.cap, !m.pumpScheduled {
      // Pollers keep polling while a backlog waits: the next scale step comes in 200 ms.
      m.pumpScheduled = true
      schedule(.pump(mapping: m.index), at: now + scaleStep)
    }
    if q.visibleCount == 0 {
      let floor = max(m.floor, m.busy)
      if m.target > floor {
        emit(.lambdaScale(mapping: m.name, from: m.target, to: floor))
        m.target = floor
      }
      if m.busy == 0, m.gathering == nil, m.idleSince == nil { m.idleSince = now }
    }
  }

  func bodySize(_ b: MessageBody) -> Int {
    switch b {
    case .payload(let p): return p.byteCount
    case .envelope(let n, _): return n.message.byteCount + 1_000
    }
  }

  func windowEnded(_ m: EventSourceMapping, serial: Int) {
    guard let g = m.gathering, g.serial == serial else { return }
    m.gathering = nil
    if g.records.isEmpty {
      m.busy -= 1
      schedulePump(m)
    } else {
      invokeBatch(m, g.records, attempt: 0)
    }
  }

  func schedulePump(_ m: EventSourceMapping) {
    guard m.enabled, !m.pumpScheduled else { return }
    m.pumpScheduled = true
    schedule(.pump(mapping: m.index), at: now + topology.latency.pollPickup.sample(&latencyRng))
  }

  /// Invokes the function with a batch, or backs off and retries when throttled. A throttled batch
  /// is retried until its visibility timeout ends; then its messages reappear on their own.
  func invokeBatch(_ m: EventSourceMapping, _ records: [BatchRecord], attempt: Int) {
    let f = functions[m.function]
    guard hasCapacity(f) else {
      f.counters.throttles += 1
      m.counters.throttles += 1
      emit(.lambdaThrottle(function: f.name, trigger: m.name, records: records.count))
      let backedOff = max(1, min(m.target, m.busy - 1))
      if backedOff < m.target {
        emit(.lambdaScale(mapping: m.name, from: m.target, to: backedOff))
        m.target = backedOff
      }
      let wait = min(SimDuration.seconds(1 << min(attempt, 4)), .seconds(16))
      let earliest = records.map(\.visibleUntil).min() ?? now
      if now + wait >= earliest {
        m.busy -= 1
        schedulePump(m)
        return
      }
      let id = nextPendingId
      nextPendingId += 1
      pending[id] = PendingBatch(mapping: m.index, records: records, attempt: attempt + 1)
      schedule(.retry(id), at: now + wait)
      return
    }
    m.counters.batches += 1
    m.counters.records += records.count
    m.counters.maxBatches = max(m.counters.maxBatches, m.busy)
    startInvocation(f, trigger: .mapping(m.index), records: records)
  }

  func retryPending(_ id: Int) {
    guard let p = pending.removeValue(forKey: id) else { return }
    invokeBatch(mappings[p.mapping], p.records, attempt: p.attempt)
  }

  /// Starts an invocation: a warm environment or a cold start, injected failures decided, the
  /// handler scheduled.
  func startInvocation(_ f: LambdaFunction, trigger: Trigger, records: [BatchRecord]) {
    if stopsRecursiveLoop(f, trigger: trigger, records: records) { return }
    let cold = !f.takeWarm(now: now)
    f.running += 1
    if f.spec.reservedConcurrency == nil { unreservedRunning += 1 }
    f.counters.invocations += 1
    f.counters.maxConcurrency = max(f.counters.maxConcurrency, f.running)
    var initDuration = SimDuration.zero
    if cold {
      f.counters.coldStarts += 1
      initDuration = f.spec.coldStart.sample(&f.rng)
    }
    let id = nextInvocationId
    nextInvocationId += 1
    let inv = Invocation(
      id: id, function: f.index, trigger: trigger, records: records, start: now,
      deadline: now + initDuration + f.spec.timeout, cold: cold)
    emit(
      .lambdaInvoke(
        function: f.name, invocation: id, cold: cold, trigger: triggerName(trigger),
        requestIDs: records.compactMap { $0.body.requestID }, event: lambdaRecords(records)))
    var compute = f.spec.duration.sample(&f.rng)
    for _ in records { compute += f.spec.perRecord.sample(&f.rng) }
    let begin = now + initDuration
    if f.rng.chance(f.failure.errorRate) {
      inv.pendingOutcome = .error("Injected error")
      scheduleStep(inv, at: begin + compute)
    } else if f.rng.chance(f.failure.timeoutRate) {
      inv.pendingOutcome = .timeout
      schedule(.step(inv), at: inv.deadline)
    } else {
      if f.failure.itemFailureRate > 0 {
        for i in records.indices where f.rng.chance(f.failure.itemFailureRate) { inv.skip.insert(i) }
      }
      // Poison messages fail every time: reported one by one, or failing the whole batch.
      if !f.failure.poison.isEmpty {
        for (i, r) in records.enumerated() {
          guard let hex = r.body.requestID?.hex, f.failure.poison.contains(where: { hex.hasPrefix($0) }) else {
            continue
          }
          if f.failure.reportsItemFailures {
            inv.skip.insert(i)
          } else {
            inv.pendingOutcome = .error("poison message: request \(hex)")
            break
          }
        }
      }
      scheduleStep(inv, at: begin + compute)
      if f.plan.isPreprocessor, inv.pendingOutcome == nil {
        // The request ID is the MD5 of the instant the handler calls `datetime.now()`, which is
        // known now: worked out here, its tracker and S3 slots are in cache by the time the
        // handler uses them.
        let id = (begin + compute).withPythonCompactTimestamp { md5RequestID($0) }
        inv.requestID = id
        tracker.prefetch(id: id)
        let b = buckets[f.plan.bucket]
        b.prefetch(b.key(folder: f.plan.outputFolder, id: id))
      }
    }
  }

  func triggerName(_ t: Trigger) -> String {
    switch t {
    case .direct: return "direct"
    case .mapping(let m): return mappings[m].name
    }
  }

  /// The exact event records, built only when an observer will read them.
  func lambdaRecords(_ records: [BatchRecord]) -> [LambdaRecord]? {
    guard observer != nil, !records.isEmpty else { return nil }
    return records.map { r in
      let q = queues[r.queue]
      let m = q.messages.recordFields(r.key)
      return LambdaRecord(
        messageId: r.messageId, receipt: ReceiptHandle(queue: r.queue, key: r.key, receiveCount: r.receiveCount),
        body: r.body, approximateReceiveCount: r.receiveCount, sentTimestamp: (m?.sent ?? now).epochMillis,
        senderId: m?.sender.senderId ?? snsSenderId,
        approximateFirstReceiveTimestamp: (m?.firstReceive ?? now).epochMillis,
        messageAttributes: m?.attributes ?? [], deadLetterQueueSourceArn: m?.sourceQueue.map { queues[$0].arn },
        eventSourceARN: q.arn, awsRegion: topology.region, requestID: r.body.requestID)
    }
  }

  /// Schedules the handler's next step, or the timeout when the step would end past the deadline.
  func scheduleStep(_ inv: Invocation, at time: SimTime) {
    if time > inv.deadline {
      inv.pendingOutcome = .timeout
      schedule(.step(inv), at: inv.deadline)
    } else {
      schedule(.step(inv), at: time)
    }
  }

  func stepInvocation(_ inv: Invocation) {
    if let outcome = inv.pendingOutcome {
      finish(inv, outcome)
      return
    }
    runHandler(inv)
  }

  /// Ends an invocation: frees its concurrency, then acts on the result as Lambda does.
  func finish(_ inv: Invocation, _ outcome: InvocationOutcome) {
    let f = functions[inv.function]
    f.running -= 1
    if f.spec.reservedConcurrency == nil { unreservedRunning -= 1 }
    // A timed-out environment is reset; any other one stays warm.
    if outcome != .timeout { f.warm.append(now) }
    let duration = now - inv.start
    f.counters.totalDuration += duration
    switch outcome {
    case .success: f.counters.recordsProcessed += inv.records.count - inv.failedItems.count
    case .error: f.counters.errors += 1
    case .timeout: f.counters.timeouts += 1
    }
    let failedIds = inv.failedItems.map { inv.records[$0].messageId.text }
    emit(
      .lambdaResult(
        function: f.name, invocation: inv.id, outcome: outcome, duration: duration, batchItemFailures: failedIds))
    switch inv.trigger {
    case .direct(let fire):
      if let fire, outcome != .success {
        let reason: String
        switch outcome {
        case .timeout: reason = "timeout"
        case .error(let msg): reason = msg
        case .success: reason = ""
        }
        tracker.fail(fire)
        emit(.requestFailed(fire: fire, reason: reason))
      }
    case .mapping(let mi):
      let m = mappings[mi]
      m.busy -= 1
      switch outcome {
      case .success:
        var keep = Set<UUID128>()
        if m.spec.reportBatchItemFailures, !failedIds.isEmpty {
          let response = batchItemFailuresJSON(failedIds)
          if let failed = parseBatchItemFailures(response, batch: inv.records.map(\.messageId.text)) {
            keep = Set(inv.records.filter { failed.contains($0.messageId.text) }.map(\.messageId))
          } else {
            keep = Set(inv.records.map(\.messageId))
          }
        }
        for r in inv.records where keep.isEmpty || !keep.contains(r.messageId) {
          delete(queues[r.queue], key: r.key, receiveCount: r.receiveCount)
        }
      case .error, .timeout:
        let backedOff = max(min(2, m.cap), m.target / 2)
        if backedOff < m.target {
          emit(.lambdaScale(mapping: m.name, from: m.target, to: backedOff))
          m.target = backedOff
        }
      }
      schedulePump(m)
    }
  }
}

// MARK: - Partial batch responses

/// The response a function returns to report failed records.
public func batchItemFailuresJSON(_ ids: [String]) -> String {
  "{\"batchItemFailures\":[" + ids.map { "{\"itemIdentifier\":" + jsonString($0) + "}" }.joined(separator: ",") + "]}"
}

/// Reads a function's ReportBatchItemFailures response as Lambda does: the identifiers to return
/// to the queue; an empty set when it reports none (an empty or null list, or no list); nil when
/// the whole batch counts as failed (invalid JSON, an empty or null identifier, or one that is
/// not in the batch).
public func parseBatchItemFailures(_ response: String, batch: [String]) -> Set<String>? {
  guard let v = JSONValue.parse(response) else { return nil }
  guard case .object = v else { return Set() }
  guard let list = v["batchItemFailures"] else { return Set() }
  if list == .null { return Set() }
  guard case .array(let items) = list else { return nil }
  var out = Set<String>()
  for item in items {
    guard let id = item["itemIdentifier"]?.stringValue, !id.isEmpty, batch.contains(id) else { return nil }
    out.insert(id)
  }
  return out
}
