import FanoutSim

// MARK: - What the dashboard knows

/// A stage's status for one request, as the Requests pane shows it.
public enum StageStatus: Equatable, Sendable {
  case pending, queued, running, retrying, done, deadLetter
}

/// One fired request.
public struct RequestRow: Sendable {
  public var fire: Int
  public var id: RequestID?
  public var fired: SimTime
  public var stages: [StageStatus]
  public var failed: String?
  public var collision = false
  public var completedAt: SimTime?
  public var notifications = 0
  /// Everything that happened to it, oldest first.
  public var timeline: [(SimTime, String)] = []
}

/// One line of the Events pane.
public struct EventLine: Sendable {
  public var time: SimTime
  /// The event's type, `service.action`.
  public var type: String
  /// What happened, for people.
  public var summary: String
}

/// A received message that is not deleted yet.
public struct InFlightRow: Sendable {
  public var queue: String
  public var messageId: UUID128
  public var requestID: RequestID?
  public var receiveCount: Int
  public var receivedAt: SimTime
  public var visibleUntil: SimTime
  public var invocation: Int?
}

/// An object written to S3.
public struct S3Row: Sendable {
  public var bucket: String
  public var key: String
  public var size: Int
  public var etag: String
  public var time: SimTime
}

/// The dashboard's picture of the pipeline, built from the simulation's events (and the public
/// Approximate* counters of its queues). Everything that grows has a bound.
public final class PipelineModel {
  public static let maxRequests = 2_000
  public static let maxRows = 500
  public static let historyLength = 240

  public let sim: Simulation
  /// Stage names (one per service), and which stage each queue (and its DLQ) feeds.
  public let stages: [String]
  public private(set) var stageOfQueue: [String: Int] = [:]
  private var stageOfFunction: [String: Int] = [:]

  public private(set) var requests: [RequestRow] = []
  /// Requests dropped from the list because it reached its bound.
  public private(set) var droppedRequests = 0
  private var firstFire = 1
  private var firesOfID: [RequestID: [Int]] = [:]
  public private(set) var s3: [S3Row] = []
  public private(set) var eventLines: [EventLine] = []
  public private(set) var inFlight: [UUID128: InFlightRow] = [:]
  /// The request and queue of each message still stored somewhere (dropped when it is deleted,
  /// expires or is purged, so that the map stays as small as the queues).
  private var messages: [UUID128: (request: RequestID, queue: String)] = [:]
  private var bodyOfMessage: [UUID128: String] = [:]
  private var invocationStages: [Int: (Int, [RequestID])] = [:]
  public private(set) var receiveHistory: [UUID128: [(SimTime, Int, String)]] = [:]
  /// Queue depth (visible + in flight + delayed), one sample per virtual second, per queue.
  public private(set) var depthHistory: [String: [Int]] = [:]
  private var lastSample: SimTime
  private var rateBase: [String: (SimTime, QueueCounters)] = [:]
  public private(set) var rates: [String: (sent: Double, received: Double, deleted: Double)] = [:]
  /// Bumped on every change, so the terminal redraws only when something moved.
  public private(set) var version = 0
  public private(set) var notifications = 0

  public init(sim: Simulation) {
    self.sim = sim
    stages = sim.tracker.stages
    lastSample = sim.now
    for m in sim.mappings {
      let f = sim.functions[m.function]
      if let s = stageIndex(of: f, sim) {
        stageOfFunction[f.name] = s
        let q = sim.queues[m.queue]
        stageOfQueue[q.name] = s
        if let d = q.deadLetterQueue { stageOfQueue[sim.queues[d].name] = s }
      }
    }
    for q in sim.queues {
      depthHistory[q.name] = []
      rateBase[q.name] = (sim.now, q.counters)
      rates[q.name] = (0, 0, 0)
    }
  }

  private func stageIndex(of f: LambdaFunction, _ sim: Simulation) -> Int? {
    if case .seedService(_, _, _, let stage, _) = f.spec.handler { return stages.firstIndex(of: stage) }
    return nil
  }

  /// The request row of a fire, if still kept.
  public func row(fire: Int) -> RequestRow? {
    let i = fire - firstFire
    return i >= 0 && i < requests.count ? requests[i] : nil
  }

  /// Messages the model still tracks (for tests of its bounds).
  var trackedMessages: Int { messages.count }
  var trackedIDs: Int { firesOfID.count }

  /// The body of a message, when it was seen being received.
  public func body(of id: UUID128) -> String? { bodyOfMessage[id] }

  // MARK: Events

  /// Takes one event into the picture.
  public func apply(_ e: SimEvent) {
    version += 1
    let summary = describe(e)
    eventLines.append(EventLine(time: e.time, type: e.kind.type, summary: summary))
    if eventLines.count > PipelineModel.maxRows { eventLines.removeFirst(eventLines.count - PipelineModel.maxRows) }
    switch e.kind {
    case .requestFire(let fire):
      requests.append(
        RequestRow(fire: fire, id: nil, fired: e.time, stages: Array(repeating: .pending, count: stages.count)))
      if requests.count > PipelineModel.maxRequests {
        let dropped = requests.removeFirst()
        if let id = dropped.id {
          firesOfID[id]?.removeAll { $0 == dropped.fire }
          if firesOfID[id]?.isEmpty == true { firesOfID[id] = nil }
        }
        firstFire += 1
        droppedRequests += 1
      }
      note(fire: fire, e.time, "fired")
    case .requestID(let fire, let id):
      update(fire) { $0.id = id }
      firesOfID[id, default: []].append(fire)
      note(fire: fire, e.time, "request ID \(id.hex)")
    case .requestCollision(let id, let fires):
      for f in fires { update(f) { $0.collision = true } }
      note(id, e.time, "COLLISION: fires \(fires.map(String.init).joined(separator: ", ")) share this ID")
    case .requestFailed(let fire, let reason):
      update(fire) { $0.failed = reason }
      note(fire: fire, e.time, "failed: \(reason)")
    case .requestStageDone(let id, let stage, let latency):
      if let s = stages.firstIndex(of: stage),
        let fire = firesOfID[id]?.first(where: { row(fire: $0)?.stages[s] != .done })
      {
        update(fire) { r in
          r.stages[s] = .done
          if r.stages.allSatisfy({ $0 == .done }) { r.completedAt = e.time }
        }
        note(fire: fire, e.time, "\(stage) done after \(formatSpan(latency))")
      }
    case .snsPublish(let topic, let mid, _, _, _, let matched, let filtered, let id, let injected):
      if let id {
        var text = "sns.publish \(topic) \(mid.text) → \(matched.joined(separator: ", "))"
        if !filtered.isEmpty { text += " (filtered out: \(filtered.joined(separator: ", ")))" }
        if injected { text += " [injected]" }
        note(id, e.time, text)
      }
    case .snsNotify(let topic, let endpoint, _, _, let id):
      notifications += 1
      if let id {
        for f in firesOfID[id] ?? [] { update(f) { $0.notifications += 1 } }
        note(id, e.time, "notified \(endpoint) via \(topic)")
      }
    case .sqsSend(let queue, let mid, _, _, _, let id, _):
      if let id {
        messages[mid] = (id, queue)
        if let s = stageOfQueue[queue] { setStage(id, s, .queued) }
        note(id, e.time, "sqs.send \(queue) \(mid.text)")
      }
    case .sqsReceive(let queue, let mid, let count, let until, let consumer):
      inFlight[mid] = InFlightRow(
        queue: queue, messageId: mid, requestID: messages[mid]?.request, receiveCount: count, receivedAt: e.time,
        visibleUntil: until, invocation: nil)
      receiveHistory[mid, default: []].append((e.time, count, consumer))
      if let id = messages[mid]?.request {
        note(id, e.time, "sqs.receive \(queue) receive #\(count), visible again at \(until.iso8601Millis)")
      }
    case .sqsDelete(let queue, let mid, _):
      inFlight[mid] = nil
      if let id = messages[mid]?.request { note(id, e.time, "sqs.delete \(queue)") }
      forget(mid)
    case .sqsVisible(let queue, let mid, let reason):
      inFlight[mid] = nil
      if let id = messages[mid]?.request {
        note(id, e.time, "visible again in \(queue) (\(reason.rawValue))")
        if let s = stageOfQueue[queue], reason == .visibilityTimeout { setStage(id, s, .retrying) }
      }
    case .sqsDLQ(let queue, let dlq, let mid, let count, let id):
      inFlight[mid] = nil
      if let known = messages[mid] { messages[mid] = (known.request, dlq) }
      if let id, let s = stageOfQueue[queue] {
        setStage(id, s, .deadLetter)
        note(id, e.time, "moved to \(dlq) after \(count) receives")
      }
    case .sqsExpire(_, let mid, _):
      inFlight[mid] = nil
      forget(mid)
    case .sqsRedrive(let task, let source, let destination, let old, let new, let id):
      forget(old)
      if let id {
        messages[new] = (id, destination)
        if let s = stageOfQueue[destination] { setStage(id, s, .queued) }
        note(id, e.time, "redriven from \(source) to \(destination) by move task \(task) (new message \(new.text))")
      }
    case .sqsMoveTask:
      break
    case .sqsPurge(let queue, _):
      for (k, v) in inFlight where v.queue == queue { inFlight[k] = nil }
      for (k, v) in messages where v.queue == queue { forget(k) }
    case .lambdaInvoke(let function, let inv, let cold, _, let ids, let records):
      for r in records ?? [] {
        if let mid = uuid(r.messageId) {
          inFlight[mid]?.invocation = inv
          bodyOfMessage[mid] = r.body
        }
      }
      if let s = stageOfFunction[function] {
        invocationStages[inv] = (s, ids)
        for id in ids {
          setStage(id, s, .running)
          note(id, e.time, "λ \(function) #\(inv) \(cold ? "cold" : "warm") start, batch of \(ids.count)")
          // The exact record this request arrived in.
          for r in records ?? [] where r.requestID == id { note(id, e.time, "  event record: " + r.json) }
        }
      }
    case .lambdaResult(let function, let inv, let outcome, let duration, let failures):
      if let (s, ids) = invocationStages.removeValue(forKey: inv) {
        for id in ids {
          switch outcome {
          case .success: note(id, e.time, "λ \(function) #\(inv) succeeded in \(formatSpan(duration))")
          case .error(let m):
            setStage(id, s, .retrying)
            note(id, e.time, "λ \(function) #\(inv) error: \(m)")
          case .timeout:
            setStage(id, s, .retrying)
            note(id, e.time, "λ \(function) #\(inv) timed out after \(formatSpan(duration))")
          }
        }
        if !failures.isEmpty {
          for f in failures {
            if let mid = uuid(f), let id = messages[mid]?.request {
              note(id, e.time, "reported as a batch item failure")
            }
          }
        }
      }
    case .s3Put(let bucket, let key, let etag, let size, let id):
      s3.append(S3Row(bucket: bucket, key: key, size: size, etag: etag, time: e.time))
      if s3.count > PipelineModel.maxRows { s3.removeFirst(s3.count - PipelineModel.maxRows) }
      if let id { note(id, e.time, "s3.put \(key) ETag \(etag)") }
    case .s3Get(_, let key, let found, let id):
      if let id { note(id, e.time, "s3.get \(key)" + (found ? "" : " → NoSuchKey")) }
    case .snsDeliveryFailed, .lambdaThrottle, .lambdaScale, .lambdaMapping, .lambdaFailure:
      break
    }
  }

  /// Samples depth history and rates up to the simulation's clock (one sample per virtual second).
  public func sample() {
    while sim.now - lastSample >= .seconds(1) {
      lastSample += .seconds(1)
      for q in sim.queues {
        var h = depthHistory[q.name] ?? []
        h.append(q.depth)
        if h.count > PipelineModel.historyLength { h.removeFirst(h.count - PipelineModel.historyLength) }
        depthHistory[q.name] = h
      }
      version += 1
    }
    for q in sim.queues {
      guard let (t0, c0) = rateBase[q.name] else { continue }
      let span = sim.now - t0
      if span >= .seconds(5) {
        let s = span.seconds
        rates[q.name] = (
          Double(q.counters.sent + q.counters.movedIn - c0.sent - c0.movedIn) / s,
          Double(q.counters.received - c0.received) / s, Double(q.counters.deleted - c0.deleted) / s
        )
        rateBase[q.name] = (sim.now, q.counters)
      }
    }
  }

  // MARK: Helpers

  private func update(_ fire: Int, _ change: (inout RequestRow) -> Void) {
    let i = fire - firstFire
    guard i >= 0, i < requests.count else { return }
    change(&requests[i])
  }

  private func setStage(_ id: RequestID, _ s: Int, _ status: StageStatus) {
    for f in firesOfID[id] ?? [] {
      update(f) { r in
        if r.stages[s] != .done { r.stages[s] = status }
      }
    }
  }

  private func note(fire: Int, _ t: SimTime, _ text: String) {
    update(fire) { r in
      r.timeline.append((t, text))
      if r.timeline.count > 200 { r.timeline.removeFirst() }
    }
  }

  private func note(_ id: RequestID, _ t: SimTime, _ text: String) {
    for f in firesOfID[id] ?? [] { note(fire: f, t, text) }
  }

  private func forget(_ mid: UUID128) {
    bodyOfMessage[mid] = nil
    receiveHistory[mid] = nil
    messages[mid] = nil
  }

  private func uuid(_ text: String) -> UUID128? {
    let h = text.replacingOccurrences(of: "-", with: "")
    guard let r = RequestID(hex: h) else { return nil }
    return UUID128(hi: r.hi, lo: r.lo)
  }

  /// One line for the Events pane.
  func describe(_ e: SimEvent) -> String {
    switch e.kind {
    case .requestFire(let f): return "fire #\(f)"
    case .requestID(let f, let id): return "#\(f) id \(id.hex)"
    case .requestCollision(let id, let fires): return "COLLISION \(id.hex) fires \(fires)"
    case .requestFailed(let f, let r): return "#\(f) failed: \(r)"
    case .requestStageDone(let id, let s, let l): return "\(s) done \(id.hex.prefix(8)) in \(formatSpan(l))"
    case .snsPublish(let t, _, let m, _, _, let to, _, _, _): return "\(t) ← \(m.text) → \(to.count) subs"
    case .snsNotify(let t, let ep, _, let m, _): return "\(t) → \(ep): \(m.text)"
    case .snsDeliveryFailed(let t, let ep, _, let r): return "\(t) → \(ep) FAILED: \(r)"
    case .sqsSend(let q, let mid, _, _, let size, _, _): return "\(q) ← \(mid.text.prefix(8)) (\(size) B)"
    case .sqsReceive(let q, let mid, let c, _, let who): return "\(q) → \(who) \(mid.text.prefix(8)) rc=\(c)"
    case .sqsDelete(let q, let mid, _): return "\(q) deleted \(mid.text.prefix(8))"
    case .sqsVisible(let q, let mid, let r): return "\(q) \(mid.text.prefix(8)) visible (\(r.rawValue))"
    case .sqsDLQ(let q, let d, let mid, let c, _): return "\(q) → \(d) \(mid.text.prefix(8)) after \(c) receives"
    case .sqsExpire(let q, let mid, _): return "\(q) expired \(mid.text.prefix(8))"
    case .sqsPurge(let q, let n): return "\(q) purged \(n)"
    case .sqsMoveTask(let id, let s, let d, let status, let moved, let total):
      return "move task \(id) \(s) → \(d ?? "sources") \(status) \(moved)/\(total)"
    case .sqsRedrive(_, let s, let d, let old, let new, _):
      return "redrive \(s) → \(d) \(old.text.prefix(8)) as \(new.text.prefix(8))"
    case .lambdaInvoke(let f, let i, let cold, _, let ids, _):
      return "λ \(f) #\(i) \(cold ? "cold" : "warm") batch \(ids.count)"
    case .lambdaResult(let f, let i, let o, let d, let fails):
      let r: String
      switch o {
      case .success: r = fails.isEmpty ? "ok" : "ok, \(fails.count) item failures"
      case .error(let m): r = "ERROR \(m)"
      case .timeout: r = "TIMEOUT"
      }
      return "λ \(f) #\(i) \(r) \(formatSpan(d))"
    case .lambdaThrottle(let f, let t, _): return "λ \(f) THROTTLED (\(t))"
    case .lambdaScale(let m, let a, let b): return "\(m) pollers \(a) → \(b)"
    case .lambdaMapping(let m, let on): return "\(m) trigger \(on ? "enabled" : "DISABLED")"
    case .lambdaFailure(let f, let x): return "λ \(f) failure rate \(Int(x.errorRate * 100))%"
    case .s3Put(_, let k, _, let size, _): return "put \(k) (\(size) B)"
    case .s3Get(_, let k, let found, _): return "get \(k)" + (found ? "" : " NoSuchKey")
    }
  }
}
