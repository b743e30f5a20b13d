// MARK: - Lambda: event source mappings and invocations

/// Scale-up pace of an on-demand SQS event source mapping: +300 concurrent batches a minute, one
/// every 200 ms.
let scaleStep = SimDuration.milliseconds(200)
/// A long poll lasts 20 s; an idle poller makes one empty receive per long poll, and a poller
/// that found nothing for a whole long poll is let go.
let longPoll = SimDuration.seconds(20)
/// A Lambda payload is at most 6 MB; a batching window ends early when the batch reaches it.
let maxPayload = Limits.Lambda.maxPayloadBytes
/// What a function error or timeout leaves of a mapping's concurrency: Lambda "gradually backs
/// off, reducing the amount of concurrency allocated" (Lambda developer guide, "Backoff strategy
/// for failed invocations"); the share is calibrated against measurements (docs/POLLERS.md).
let errorBackoffKeep = 0.75
/// The concurrency an error backoff does not go below.
let errorBackoffFloor = 1
/// The shortest time between two error back-offs.
let errorBackoffPeriod = SimDuration.milliseconds(800)
/// How long a poller whose batch failed waits before it polls again (calibrated: docs/POLLERS.md).
let errorPause = SimDuration.milliseconds(3_500)

extension Simulation {
  func hasCapacity(_ f: LambdaFunction) -> Bool {
    if let r = f.spec.reservedConcurrency { return f.running < r }
    return unreservedRunning < topology.accountConcurrency - reservedTotal
  }

  /// Adds the idle pollers' empty receives to their queue's counter and marks them awake.
  func settleIdlePolls(_ m: EventSourceMapping) {
    let idle = m.idleEmptyReceives(now: now)
    queues[m.queue].counters.emptyReceives += idle
    queues[m.queue].counters.idleReceives += idle
    m.idleSince = nil
  }

  /// Changes the mapping's concurrency, as an event.
  func setTarget(_ m: EventSourceMapping, _ value: Int) {
    guard value != m.target else { return }
    emit(.lambdaScale(mapping: m.name, from: m.target, to: value))
    m.target = value
    if m.spec.maximumBatchingWindow > .zero { fitGatherers(m) }
  }

  /// Pollers free to receive now — not invoking, not turning around, not already returning from
  /// a long poll — that may invoke: concurrent invocations stay within the cap (MaximumConcurrency
  /// "limits the number of concurrent instances of the function"), pollers deleting a batch and
  /// polling again do not count against it.
  func freePollers(_ m: EventSourceMapping) -> Int {
    min(m.target - m.busy - m.returning - m.wakes, m.cap - m.busy - m.wakes)
  }

  /// A message became visible in the mapping's queue: an idle poller's long poll returns with it
  /// after the pickup latency. With every poller busy it waits, and a scale step is due.
  func messageVisible(_ m: EventSourceMapping) {
    guard m.enabled else { return }
    m.periodSawMessages = true
    m.arrivedSinceStep = true
    if m.spec.maximumBatchingWindow > .zero {
      guard m.wakes == 0, !m.gatherers.isEmpty else { return }
    } else {
      guard freePollers(m) > 0 else {
        scheduleScaleStep(m)
        return
      }
    }
    m.wakes += 1
    schedule(.wake(mapping: m.index), at: now + topology.latency.pollPickup.sample(&latencyRng))
  }

  /// A long poll returns: its poller receives what is visible.
  func wake(_ m: EventSourceMapping) {
    m.wakes -= 1
    poll(m, pollers: 1)
  }

  /// A scale step: with every poller busy and messages still coming, one more poller.
  func pump(_ m: EventSourceMapping) {
    m.pumpScheduled = false
    guard m.enabled else { return }
    if saturated(m) {
      setTarget(m, min(m.pollerCap, m.target + m.stepSize))
      if m.target >= m.floor { m.backedOff = false }
    }
    m.arrivedSinceStep = false
    poll(m)
  }

  /// Pollers of a mapping receive batches and invoke while messages are visible and a poller is
  /// free — `pollers` of them (a long poll that returned, a poller back from its batch), or every
  /// free one; then the scale clocks.
  func poll(_ m: EventSourceMapping, pollers: Int = .max) {
    guard m.enabled else { return }
    settleIdlePolls(m)
    let q = queues[m.queue]
    // Back from low traffic, 5 batches at once; after a back-off it climbs step by step.
    if q.visibleCount > 0, m.target < m.floor, !m.backedOff { setTarget(m, m.floor) }
    var turns = pollers
    while true {
      if m.spec.maximumBatchingWindow > .zero {
        gather(m)
      } else {
        while turns > 0, q.visibleCount > 0, freePollers(m) > 0 {
          turns -= 1
          let got = receive(q, max: min(10, m.spec.batchSize), consumer: m.name)
          if got.isEmpty { break }
          m.busy += 1
          invokeBatch(m, got, attempt: 0)
        }
      }
      break
    }
    scheduleScaleStep(m)
    // Messages left visible with pollers free: their long polls return with them.
    if q.visibleCount > 0, freePollers(m) > 0, m.wakes == 0, m.spec.maximumBatchingWindow == .zero {
      m.wakes += 1
      schedule(.wake(mapping: m.index), at: now + topology.latency.pollPickup.sample(&latencyRng))
    }
    scaleDown(m)
    if q.visibleCount == 0, m.busy == 0, m.wakes == 0, m.idleSince == nil { m.idleSince = now }
  }

  /// Whether every poller is busy while messages wait or keep arriving: "If messages are still
  /// available, Lambda increases the number of processes that are reading batches".
  func saturated(_ m: EventSourceMapping) -> Bool {
    let waiting = queues[m.queue].visibleCount > 0 || m.arrivedSinceStep
    guard waiting, m.busy < m.cap, m.target < m.pollerCap else { return false }
    if m.spec.maximumBatchingWindow > .zero { return m.gatherers.isEmpty }
    return freePollers(m) <= 0
  }

  /// While the pollers are saturated, a scale step every 200 ms (+300 a minute on demand).
  func scheduleScaleStep(_ m: EventSourceMapping) {
    guard !m.pumpScheduled, saturated(m) else { return }
    m.pumpScheduled = true
    schedule(.pump(mapping: m.index), at: now + m.stepInterval)
  }

  /// Pollers that found nothing for a whole long poll are let go, down to 5 batches while
  /// messages flow, and to 2 once none came for a long poll (not with MaximumConcurrency).
  func scaleDown(_ m: EventSourceMapping) {
    let free = max(0, m.target - m.busy - m.returning)
    guard let start = m.periodStart else {
      m.periodStart = now
      m.periodIdleLow = free
      m.periodSawMessages = false
      scheduleIdleCheck(m)
      return
    }
    m.periodIdleLow = min(m.periodIdleLow, free)
    guard now - start >= longPoll else {
      scheduleIdleCheck(m)
      return
    }
    // Quiet: no message came in the whole long poll and none waits.
    let empty = queues[m.queue].visibleCount == 0
    let quiet = empty && (!m.periodSawMessages || now - start >= longPoll * 2)
    let floor = quiet ? m.idleFloor : m.floor
    let spare = quiet ? m.target : m.periodIdleLow
    if m.target > floor, spare > 0 { setTarget(m, max(floor, m.target - spare, m.busy + m.returning)) }
    m.periodStart = now
    m.periodIdleLow = max(0, m.target - m.busy - m.returning)
    m.periodSawMessages = false
    scheduleIdleCheck(m)
  }

  /// When the pollers may be idle, a check at the end of the long poll lets go of the spare
  /// ones. It keeps nothing alive: a drained simulation stops without it.
  func scheduleIdleCheck(_ m: EventSourceMapping) {
    guard !m.idleCheckScheduled, m.target > m.idleFloor, let start = m.periodStart else { return }
    m.idleCheckScheduled = true
    schedule(.idleCheck(mapping: m.index), at: start + longPoll, keepsAlive: false)
  }

  func idleCheck(_ m: EventSourceMapping) {
    m.idleCheckScheduled = false
    guard m.enabled else { return }
    scaleDown(m)
  }

  /// A poller's invocation ended: it turns around (deletes the batch, polls again), and waits
  /// `extra` more, before it is free.
  func pollerReturns(_ m: EventSourceMapping, after extra: SimDuration = .zero) {
    m.busy -= 1
    m.returning += 1
    let free = now + topology.latency.pollerTurnaround.sample(&latencyRng) + extra
    schedule(.pollerFree(mapping: m.index), at: free)
  }

  /// A poller's invocation ended (or its throttled batch was given up): once it has deleted the
  /// batch and polled again it is free.
  func pollerFree(_ m: EventSourceMapping) {
    m.returning -= 1
    if m.spec.maximumBatchingWindow > .zero, m.busy + m.returning + m.gatherers.count < m.target {
      m.gatherSerial += 1
      m.gatherers.append(EventSourceMapping.Gatherer(serial: m.gatherSerial, freeSince: now))
    }
    poll(m, pollers: 1)
  }

  // MARK: Batching windows

  /// Keeps one gatherer per poller not holding a batch: new pollers start gathering now; spare
  /// ones go, empty ones first.
  func fitGatherers(_ m: EventSourceMapping) {
    while m.busy + m.returning + m.gatherers.count < m.target {
      m.gatherSerial += 1
      m.gatherers.append(EventSourceMapping.Gatherer(serial: m.gatherSerial, freeSince: now))
    }
    var i = m.gatherers.count - 1
    while m.busy + m.returning + m.gatherers.count > m.target, i >= 0 {
      if m.gatherers[i].records.isEmpty { m.gatherers.remove(at: i) }
      i -= 1
    }
  }

  /// Each gathering poller receives in turn while messages are visible; one whose batch is full
  /// (BatchSize or 6 MB) invokes at once, the others wait for their window to end. A poller that
  /// received goes to the back, so messages spread over the pollers as AWS's pollers share them.
  func gather(_ m: EventSourceMapping) {
    let q = queues[m.queue]
    let window = m.spec.maximumBatchingWindow
    // Gathering pollers keep receiving while messages are visible: pass after pass, each poller
    // one receive a pass.
    var turns = m.gatherers.count
    var received = false
    while q.visibleCount > 0, !m.gatherers.isEmpty {
      if turns == 0 {
        guard received else { break }
        turns = m.gatherers.count
        received = false
      }
      var g = m.gatherers.removeFirst()
      turns -= 1
      let got = receive(q, max: min(10, m.spec.batchSize - g.records.count), consumer: m.name)
      for r in got { g.bytes += recordBytes(r) }
      g.records += got
      if !got.isEmpty { received = true }
      if g.records.count >= m.spec.batchSize || g.bytes >= maxPayload {
        m.busy += 1
        invokeBatch(m, g.records, attempt: 0)
        turns = min(turns, m.gatherers.count)
        continue
      }
      if !g.records.isEmpty, g.windowEnd == nil {
        // Windows follow one another from when the poller became free.
        let k = (now - g.freeSince) / window + 1
        let end = g.freeSince + window * Int(k)
        g.windowEnd = end
        schedule(.windowEnd(mapping: m.index, serial: g.serial), at: end)
      }
      m.gatherers.append(g)
    }
  }

  /// A poller's batching window ended: it invokes with what it gathered.
  func windowEnded(_ m: EventSourceMapping, serial: Int) {
    guard let i = m.gatherers.firstIndex(where: { $0.serial == serial }) else { return }
    let g = m.gatherers.remove(at: i)
    guard !g.records.isEmpty else { return }
    m.busy += 1
    invokeBatch(m, g.records, attempt: 0)
    poll(m)
  }

  func bodySize(_ b: MessageBody) -> Int {
    switch b {
    case .payload(let p): return p.byteCount
    case .envelope(let n, _): return n.message.byteCount + 1_000
    }
  }

  /// The size of a record in the invocation payload: its JSON text and the comma after it.
  func recordBytes(_ r: BatchRecord) -> Int {
    lambdaRecord(r).json.utf8.count + 1
  }

  /// Invokes the function with a batch, or backs off and retries when throttled. A throttled batch
  /// is retried until its visibility timeout ends; then its messages reappear on their own.
  func invokeBatch(_ m: EventSourceMapping, _ records: [BatchRecord], attempt: Int) {
    let f = functions[m.function]
    guard hasCapacity(f) else {
      f.counters.throttles += 1
      m.counters.throttles += 1
      emit(.lambdaThrottle(function: f.name, trigger: m.name, records: records.count))
      // Lambda backs off on throttles: the mapping drops to the concurrency it actually holds.
      let backedOff = max(1, min(m.target, m.busy - 1))
      if backedOff < m.target {
        setTarget(m, backedOff)
        m.backedOff = true
      }
      let wait = min(SimDuration.seconds(1 << min(attempt, 4)), .seconds(16))
      let earliest = records.map(\.visibleUntil).min() ?? now
      if now + wait >= earliest {
        // Given up: the messages reappear when their visibility timeout ends.
        m.busy -= 1
        m.returning += 1
        pollerFree(m)
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
  /// The invocation started, or nil when recursive loop detection stopped it.
  @discardableResult
  func startInvocation(_ f: LambdaFunction, trigger: Trigger, records: [BatchRecord]) -> Invocation? {
    if stopsRecursiveLoop(f, trigger: trigger, records: records) { return nil }
    if f.plan.kind == .external { return startExternal(f, trigger: trigger, records: records) }
    let cold = occupyEnvironment(f)
    var initDuration = SimDuration.zero
    if cold { initDuration = f.spec.coldStart.sample(&f.rng) }
    let id = nextInvocationId
    nextInvocationId += 1
    let inv = Invocation(
      id: id, function: f.index, trigger: trigger, records: records, start: now,
      deadline: now + initDuration + f.spec.timeout, cold: cold)
    inv.codeVersion = f.codeVersion
    emit(
      .lambdaInvoke(
        function: f.name, invocation: id, cold: cold, trigger: triggerName(trigger),
        requestIDs: records.compactMap { $0.body.requestID }, event: trigger.isAsync ? nil : lambdaRecords(records)))
    var compute = f.spec.duration.sample(&f.rng)
    for _ in records { compute += f.spec.perRecord.sample(&f.rng) }
    let begin = now + initDuration
    if f.rng.chance(f.failure.errorRate) {
      // The error is raised before the handler does anything: the invocation ends at once
      // (1 ms, the runtime's own turnaround), not after the handler's compute time.
      inv.pendingOutcome = .error("Injected error")
      scheduleStep(inv, at: begin + .milliseconds(1))
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
    return inv
  }

  /// An invocation takes an execution environment — a warm one, or a cold start (the answer) —
  /// and one of the function's concurrency, counted.
  func occupyEnvironment(_ f: LambdaFunction) -> Bool {
    let cold = !f.takeWarm(now: now)
    f.running += 1
    if f.spec.reservedConcurrency == nil { unreservedRunning += 1 }
    f.counters.invocations += 1
    f.counters.maxConcurrency = max(f.counters.maxConcurrency, f.running)
    f.peakRunning = max(f.peakRunning, f.running)
    if cold { f.counters.coldStarts += 1 }
    return cold
  }

  func triggerName(_ t: Trigger) -> String {
    switch t {
    case .direct: return "direct"
    case .mapping(let m): return mappings[m].name
    case .async: return "async"
    }
  }

  /// The exact event records, built only when an observer will read them.
  func lambdaRecords(_ records: [BatchRecord]) -> [LambdaRecord]? {
    guard observer != nil, !records.isEmpty else { return nil }
    return records.map(lambdaRecord)
  }

  /// One record of an SQS event, exactly as Lambda writes it.
  func lambdaRecord(_ r: BatchRecord) -> LambdaRecord {
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
    if inv.ended { return }
    if functions[inv.function].plan.kind == .external {
      // Its deadline: the function timed out; its process is stopped.
      timeOutExternal(inv)
      return
    }
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
    // A timed-out environment is reset (and a crashed process's); any other one stays warm.
    if outcome != .timeout, !inv.discardsEnvironment, inv.codeVersion == f.codeVersion { f.warm.append(now) }
    let duration = now - inv.start
    f.counters.totalDuration += duration
    f.counters.billedMilliseconds += Int((duration.microseconds + 999) / 1_000)
    switch outcome {
    case .success: f.counters.recordsProcessed += inv.records.count - inv.failedItems.count
    case .error: f.counters.errors += 1
    case .timeout: f.counters.timeouts += 1
    }
    let failedIds = inv.failedItems.map { inv.records[$0].messageId.text }
    emit(
      .lambdaResult(
        function: f.name, invocation: inv.id, outcome: outcome, duration: duration, batchItemFailures: failedIds))
    // A client's Invoke waiting for this invocation (`Simulation+Invoke.swift`).
    if !external.waiting.isEmpty, external.waiting[inv.id] != nil { invokeEnded(inv, outcome, duration) }
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
        var deleted = 0
        for r in inv.records where keep.isEmpty || !keep.contains(r.messageId) {
          delete(queues[r.queue], key: r.key, receiveCount: r.receiveCount)
          deleted += 1
        }
        // DeleteMessageBatch takes at most 10 entries.
        if deleted > 0 { queues[m.queue].counters.deleteRequests += (deleted + 9) / 10 }
      case .error, .timeout:
        // At most one back-off a period: a burst of failures is one signal.
        let due = m.lastBackoff.map { now - $0 >= errorBackoffPeriod } ?? true
        let backedOff = due ? max(errorBackoffFloor, Int(Double(m.target) * errorBackoffKeep)) : m.target
        if backedOff < m.target {
          m.lastBackoff = now
          setTarget(m, backedOff)
          m.backedOff = true
        }
      }
      // The poller deletes the batch and polls again before it is free; after an error it waits.
      pollerReturns(m, after: outcome == .success ? .zero : errorPause)
    case .async(let id):
      finishAsync(id, inv, outcome)
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
