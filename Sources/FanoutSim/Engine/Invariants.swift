// MARK: - Invariants checked after every job
//
// In the style of TigerBeetle's simulator: the books are checked after every job, so a bug stops
// at the job that broke them instead of showing up, much later, as a wrong total. Debug builds
// (and so `swift test`) check them by default; the property tests and `fanout check` turn them on
// in any build.

/// The first invariant a run broke, with the job that broke it.
public struct InvariantViolation: Error, Equatable, Sendable, CustomStringConvertible {
  /// Jobs executed when it was found (the breaking job is the last of them).
  public var job: Int
  /// The job's kind, as `Job` names it.
  public var jobKind: String
  public var time: SimTime
  public var message: String
  public var description: String { "after job \(job) (\(jobKind)) at \(time.iso8601Millis): \(message)" }
}

extension Simulation {
  /// Every invariant that must hold between jobs, or the first one that does not.
  public func brokenInvariant() -> String? {
    if now < lastCheckedTime { return "the clock went back from \(lastCheckedTime.iso8601Millis)" }
    for q in queues {
      let c = q.counters
      if q.visibleCount < 0 || q.inFlightCount < 0 || q.delayedCount < 0 {
        return
          "queue \(q.name): a count is below zero (visible \(q.visibleCount), in flight \(q.inFlightCount), delayed \(q.delayedCount))"
      }
      if let top = q.retentionTimers.min, !q.messages.contains(top.key) {
        return "queue \(q.name): the oldest retention timer belongs to a message no longer stored"
      }
      if let first = q.arrivals?.first, !q.messages.contains(first.key) {
        return "queue \(q.name): the oldest arrival belongs to a message no longer stored"
      }
      if let problem = Simulation.booksProblem(q) { return problem }
      if [
        c.sent, c.received, c.deleted, c.movedToDLQ, c.movedIn, c.expired, c.purged, c.redriven, c.emptyReceives,
        c.duplicated,
      ]
      .contains(where: { $0 < 0 }) {
        return "queue \(q.name): a counter is below zero"
      }
    }
    var unreserved = 0
    for f in functions {
      if f.running < 0 { return "function \(f.name): \(f.running) running executions" }
      if let r = f.spec.reservedConcurrency, f.running > r {
        return "function \(f.name): \(f.running) running executions above its reserved concurrency \(r)"
      }
      if f.spec.reservedConcurrency == nil { unreserved += f.running }
    }
    if unreserved != unreservedRunning {
      return "unreserved executions counted \(unreservedRunning), running \(unreserved)"
    }
    if unreservedRunning > topology.accountConcurrency - reservedTotal {
      return "\(unreservedRunning) unreserved executions above the account's unreserved concurrency"
    }
    for m in mappings where m.busy < 0 || m.target < 1 || m.wakes < 0 || m.returning < 0 {
      return "mapping \(m.name): \(m.busy) pollers busy, target \(m.target)"
    }
    var queuedAsync = 0
    for f in functions {
      let a = f.async
      if a.queued < 0 || a.succeeded < 0 || a.dropped < 0 {
        return
          "function \(f.name): asynchronous events received \(a.received) < succeeded \(a.succeeded) + dropped \(a.dropped)"
      }
      queuedAsync += a.queued
    }
    if queuedAsync != asyncEvents.count {
      return "asynchronous events: \(asyncEvents.count) held, but the counters say \(queuedAsync) are queued"
    }
    if activeJobs < 0 { return "\(activeJobs) jobs keeping the run alive" }
    return nil
  }

  /// Checks the invariants after a job; records the first violation and, when asked to, traps.
  func checkInvariants(after job: Job) {
    guard invariantViolation == nil, let message = brokenInvariant() else {
      lastCheckedTime = now
      return
    }
    let v = InvariantViolation(job: jobsExecuted, jobKind: job.kindName, time: now, message: message)
    invariantViolation = v
    if trapsOnInvariantViolation { preconditionFailure("fanout invariant broken \(v)") }
  }
}

extension Simulation {
  /// What is wrong with a queue's books, if anything: its slab against its depth, and everything
  /// that arrived (sent, moved in) against everything that left (deleted, moved to a DLQ,
  /// expired, purged, redriven) plus what is stored.
  static func booksProblem(_ q: SQSQueue) -> String? {
    let c = q.counters
    if q.messages.count != q.depth {
      return "queue \(q.name): \(q.messages.count) messages stored but a depth of \(q.depth)"
    }
    // A copy at-least-once delivery left is a message that arrived, neither lost nor invented.
    let arrived = c.sent + c.movedIn + c.duplicated
    let left = c.deleted + c.movedToDLQ + c.expired + c.purged + c.redriven
    if arrived != left + q.depth {
      return
        "queue \(q.name): books do not balance: \(c.sent) sent + \(c.movedIn) moved in + \(c.duplicated) duplicated ≠ \(c.deleted) deleted + \(c.movedToDLQ) to DLQ + \(c.expired) expired + \(c.purged) purged + \(c.redriven) redriven + \(q.depth) stored"
    }
    return nil
  }
}

extension Job {
  /// The job's kind, for messages.
  var kindName: String {
    switch self {
    case .snsDeliver: return "SNS delivery"
    case .snsDuplicate: return "SNS duplicate delivery"
    case .queueTimer(_, let kind, _): return "queue timer (\(kind))"
    case .pump: return "poller scale step"
    case .wake: return "long poll return"
    case .pollerFree: return "poller free"
    case .idleCheck: return "poller idle check"
    case .windowEnd: return "batching window end"
    case .step: return "handler step"
    case .retry: return "throttled batch retry"
    case .load: return "load fire"
    case .action: return "timeline action"
    case .moveTask: return "message move"
    case .asyncDispatch: return "asynchronous invocation"
    }
  }
}
