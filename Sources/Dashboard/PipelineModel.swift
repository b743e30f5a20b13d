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
  /// The latest of its stages' latencies so far (its end-to-end latency once complete).
  public var latestStage = SimDuration.zero
  /// Everything that happened to it, oldest first, as the sequence numbers of its events in the
  /// model's event history (the text is made when the timeline is opened), at most
  /// `PipelineModel.timelineLength`.
  public var timeline: Ring<Int> = Ring(capacity: PipelineModel.timelineLength, reserve: 48)
}

/// Names to their index: for the few names of a pipeline, a scan comparing strings (the names an
/// event carries are the same strings, so most comparisons are of identical storage) costs less
/// than hashing; a dictionary past 32 names.
struct NameIndex {
  private let names: [String]
  private let table: [String: Int]
  init(_ table: [String: Int]) {
    self.table = table
    var names = Array(repeating: "", count: table.count)
    for (n, i) in table { names[i] = n }
    self.names = names
  }
  @inline(__always)
  func index(of name: String) -> Int? {
    if names.count > 32 { return table[name] }
    for i in names.indices where names[i] == name { return i }
    return nil
  }
}

/// What the model keeps of a message stored in a queue.
struct TrackedMessage {
  var queue: Int
  var state: MessageState
  var request: RequestID?
  var receiveCount = 0
  var firstReceivedAt: SimTime?
  var receivedAt = SimTime.epoch
  var visibleUntil = SimTime.epoch
  var consumer = ""
  var invocation: Int?
  var record: LambdaRecord?
  /// A copy at-least-once delivery left (from 1), kept under `PipelineModel.key(_:copy:)`.
  var copy: UInt16 = 0

  mutating func receive(count: Int, at t: SimTime, until: SimTime, by who: String) {
    state = .inFlight
    receiveCount = count
    if firstReceivedAt == nil { firstReceivedAt = t }
    receivedAt = t
    visibleUntil = until
    consumer = who
    invocation = nil
  }
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

/// An object written to S3, with its content as the put event carried it.
public struct S3Row: Sendable {
  public var bucket: String
  public var objectKey: S3ObjectKey
  /// The key's text (made when read).
  public var key: String { objectKey.text }
  public var size: Int
  public var etag: String
  public var time: SimTime
  public var body: String
}

/// A move task as its events tell it.
public struct MoveTaskRow: Sendable, Equatable {
  public var id: Int
  public var source: String
  public var destination: String?
  public var status: String
  public var moved: Int
  public var total: Int
}

/// Messages stored in one queue, by state, counted from the events.
public struct QueueCounts: Sendable, Equatable {
  public var visible = 0
  public var inFlight = 0
  public var delayed = 0
  public var depth: Int { visible + inFlight + delayed }
}

/// One queue's histories, a value per virtual second.
public struct QueueSeries: Sendable {
  public var visible: Series
  public var inFlight: Series
  public var delayed: Series
  public var sent: Series
  public var received: Series
  public var deleted: Series
  init(_ n: Int) {
    (visible, inFlight, delayed) = (Series(capacity: n), Series(capacity: n), Series(capacity: n))
    (sent, received, deleted) = (Series(capacity: n), Series(capacity: n), Series(capacity: n))
  }
}

/// One function's histories, a value per virtual second.
public struct FunctionSeries: Sendable {
  public var running: Series
  public var invocations: Series
  public var errors: Series
  public var throttles: Series
  init(_ n: Int) {
    (running, invocations) = (Series(capacity: n), Series(capacity: n))
    (errors, throttles) = (Series(capacity: n), Series(capacity: n))
  }
}

/// The dashboard's picture of the pipeline. It is built from the simulation's events alone, plus
/// the pipeline's layout (taken once) and a snapshot of its public counters (taken once per
/// frame, for what events do not carry: the age of the oldest message, empty receives, warm
/// environments, busy pollers). It holds no reference to the simulation, so nothing it does can
/// change a run. Everything that grows has a bound, except what the pipeline itself keeps: one
/// entry per message stored in a queue.
public final class PipelineModel {
  public static let maxRequests = 2_000
  public static let maxRows = 500
  /// One-second samples kept per history: an hour of virtual time.
  public static let historyLength = 3_600
  public static let timelineLength = 100

  public let layout: PipelineLayout
  public var stages: [String] { layout.stages }
  /// The last snapshot taken.
  public private(set) var snapshot: PipelineSnapshot
  /// The newest virtual time seen, in an event or a snapshot.
  public private(set) var now: SimTime

  // Per component, from events.
  public private(set) var queueCounts: [QueueCounts]
  public private(set) var mappingEnabled: [Bool]
  public private(set) var mappingTarget: [Int]
  public private(set) var running: [Int]
  public private(set) var failing: [Bool]
  /// Each queue's duplicate rate, as its spec and the last `sqs.duplicate_rate` event leave it.
  public private(set) var duplicateRates: [Double]
  public private(set) var moveTasks: [MoveTaskRow] = []

  public private(set) var requests: Ring<RequestRow> = Ring(capacity: PipelineModel.maxRequests)
  /// Requests dropped from the list because it reached its bound.
  public private(set) var droppedRequests = 0
  private var firstFire = 1
  private var firesOfID: [RequestID: [Int]] = [:]
  /// The last fire given each ID, by the ID's low bits: most events find their request here
  /// without hashing (a collision, or an overwritten slot, falls back to `firesOfID`).
  private var fireCache = [Int](repeating: 0, count: PipelineModel.fireCacheSize)
  private static let fireCacheSize = 8_192
  public private(set) var s3: Ring<S3Row> = Ring(capacity: PipelineModel.maxRows)
  /// The newest events, each kept once: the Events pane shows the last `maxRows`, and request
  /// timelines refer to them by sequence number.
  public private(set) var history: Ring<SimEvent> = Ring(capacity: PipelineModel.eventHistory)
  /// Events kept for timelines and the Events pane.
  public static let eventHistory = 16_384
  /// Every message stored in a queue: where, in what state, for which request, and (once
  /// received) its receives and the record a function got it in. One entry per message, changed
  /// in place: an event costs one lookup.
  private var messages: [UUID128: TrackedMessage] = [:]
  private var invocationStages: [Int: (Int, [RequestID])] = [:]
  /// Requests not complete yet: stages done and the latest stage latency.
  private var pending: [RequestID: (done: Int, latest: SimDuration)] = [:]
  public private(set) var notifications = 0
  /// Notifications (deliveries to a recording endpoint) per topic.
  private var notified: [Int]

  // Histories.
  public private(set) var queueSeries: [QueueSeries]
  public private(set) var functionSeries: [FunctionSeries]
  public private(set) var mappingTargetSeries: [Series]
  public private(set) var latencyP50 = Series(capacity: PipelineModel.historyLength)
  public private(set) var latencyP99 = Series(capacity: PipelineModel.historyLength)
  /// The virtual second (from the start) being gathered, and its counts so far.
  private var second: Int64 = 0
  private var sentNow: [Int]
  private var receivedNow: [Int]
  private var deletedNow: [Int]
  private var invokedNow: [Int]
  private var errorsNow: [Int]
  private var throttlesNow: [Int]
  private var latenciesNow: [SimDuration] = []

  /// Bumped on every change, so the terminal redraws only when something moved.
  public private(set) var version = 0

  private let queueIndex: NameIndex
  private let functionIndex: NameIndex
  private let mappingIndex: NameIndex
  private let topicIndex: NameIndex
  private let stageIndex: NameIndex
  /// Which stage each queue (and its DLQ) and each function feeds.
  public let stageOfQueue: [Int: Int]
  private let stageOfFunction: [Int: Int]

  public init(layout: PipelineLayout, snapshot: PipelineSnapshot) {
    self.layout = layout
    self.snapshot = snapshot
    now = snapshot.now
    var qi: [String: Int] = [:]
    for (i, q) in layout.queues.enumerated() { qi[q.name] = i }
    queueIndex = NameIndex(qi)
    var fi: [String: Int] = [:]
    for (i, f) in layout.functions.enumerated() { fi[f.name] = i }
    functionIndex = NameIndex(fi)
    var mi: [String: Int] = [:]
    for (i, m) in layout.mappings.enumerated() { mi[m.name] = i }
    mappingIndex = NameIndex(mi)
    var ti: [String: Int] = [:]
    for (i, t) in layout.topics.enumerated() { ti[t.name] = i }
    topicIndex = NameIndex(ti)
    var si: [String: Int] = [:]
    for (i, s) in layout.stages.enumerated() { si[s] = i }
    stageIndex = NameIndex(si)
    var sq: [Int: Int] = [:]
    var sf: [Int: Int] = [:]
    for m in layout.mappings {
      guard let s = layout.functions[m.function].outputs.stage else { continue }
      sf[m.function] = s
      sq[m.queue] = s
      if let d = layout.queues[m.queue].deadLetterQueue { sq[d] = s }
    }
    stageOfQueue = sq
    stageOfFunction = sf
    queueCounts = snapshot.queues.map { QueueCounts(visible: $0.visible, inFlight: $0.inFlight, delayed: $0.delayed) }
    mappingEnabled = snapshot.mappings.map(\.enabled)
    mappingTarget = snapshot.mappings.map(\.target)
    running = snapshot.functions.map(\.running)
    failing = snapshot.functions.map { $0.failure.errorRate >= 1 }
    duplicateRates = snapshot.queues.map(\.duplicateRate)
    let n = PipelineModel.historyLength
    queueSeries = layout.queues.map { _ in QueueSeries(n) }
    functionSeries = layout.functions.map { _ in FunctionSeries(n) }
    mappingTargetSeries = layout.mappings.map { _ in Series(capacity: n) }
    let zeros = { (k: Int) in Array(repeating: 0, count: k) }
    (sentNow, receivedNow, deletedNow) = (
      zeros(layout.queues.count), zeros(layout.queues.count), zeros(layout.queues.count)
    )
    notified = zeros(layout.topics.count)
    (invokedNow, errorsNow, throttlesNow) = (
      zeros(layout.functions.count), zeros(layout.functions.count), zeros(layout.functions.count)
    )
    second = secondOf(now)
  }

  /// A model of a simulation, from its layout and a first snapshot.
  public convenience init(sim: Simulation) { self.init(layout: sim.layout, snapshot: sim.snapshot()) }

  /// The request row of a fire, if still kept.
  public func row(fire: Int) -> RequestRow? {
    let i = fire - firstFire
    return i >= 0 && i < requests.count ? requests[i] : nil
  }

  /// The event with this sequence number, while the history keeps it.
  public func event(seq: Int) -> SimEvent? {
    guard let first = history.first else { return nil }
    let i = seq - first.seq
    guard i >= 0, i < history.count, history[i].seq == seq else { return nil }
    return history[i]
  }

  /// The newest events, newest first, at most `maxRows` (the Events pane).
  public var eventLines: [SimEvent] {
    let n = Swift.min(history.count, PipelineModel.maxRows)
    return (0..<n).map { history[history.count - 1 - $0] }
  }

  /// How many events the Events pane lists.
  public var eventLineCount: Int { Swift.min(history.count, PipelineModel.maxRows) }

  /// Messages the model tracks: those stored in a queue.
  var trackedMessages: Int { messages.count }
  var trackedIDs: Int { firesOfID.count }

  /// The body of a message, when it was seen in a function's event.
  public func body(of id: UUID128) -> String? { messages[id]?.record?.body }

  /// Messages received and not deleted yet (in flight), by message ID.
  public var inFlight: [UUID128: InFlightRow] {
    var out: [UUID128: InFlightRow] = [:]
    for (id, m) in messages where m.state == .inFlight { out[id] = inFlightRow(id, m) }
    return out
  }

  /// The messages in flight, in no particular order (one pass over the stored messages).
  public func inFlightRows() -> [InFlightRow] {
    var out: [InFlightRow] = []
    out.reserveCapacity(inFlightCount)
    for (id, m) in messages where m.state == .inFlight { out.append(inFlightRow(id, m)) }
    return out
  }

  /// How many messages are in flight, in every queue.
  public var inFlightCount: Int { queueCounts.reduce(0) { $0 + $1.inFlight } }

  /// A message's receives as the model knows them: how many, the first and the last, by whom.
  public func receives(of id: UUID128) -> (count: Int, first: SimTime, last: SimTime, consumer: String)? {
    guard let m = messages[id], let first = m.firstReceivedAt else { return nil }
    return (m.receiveCount, first, m.receivedAt, m.consumer)
  }

  /// Where the model keeps a message: under its ID, or for a copy, under its ID mixed with the
  /// copy number (the mix undoes itself: the key of a copy's key is the ID).
  static func key(_ id: UUID128, copy: UInt16) -> UUID128 {
    copy == 0 ? id : UUID128(hi: id.hi ^ 0x0C0F_7000_0000_0000, lo: id.lo ^ (UInt64(copy) &* 0x9E37_79B9_7F4A_7C15))
  }

  private func inFlightRow(_ id: UUID128, _ m: TrackedMessage) -> InFlightRow {
    InFlightRow(
      queue: layout.queues[m.queue].name, messageId: PipelineModel.key(id, copy: m.copy), requestID: m.request,
      receiveCount: m.receiveCount,
      receivedAt: m.receivedAt, visibleUntil: m.visibleUntil, invocation: m.invocation)
  }

  /// Notifications a topic delivered to recording endpoints.
  public func notifications(topic t: Int) -> Int { notified[t] }

  /// Whether a mapping's function is failing on purpose (every invocation errors).
  public func isFailing(mapping i: Int) -> Bool { failing[layout.mappings[i].function] }

  // MARK: Snapshots and time

  /// Takes the frame's snapshot of public counters, and closes the seconds up to its time.
  public func take(_ s: PipelineSnapshot) {
    let changed = s.now != snapshot.now || s.jobsExecuted != snapshot.jobsExecuted || s.events != snapshot.events
    snapshot = s
    if s.now > now { now = s.now }
    advance(to: now)
    if changed { version += 1 }
  }

  private func secondOf(_ t: SimTime) -> Int64 {
    let d = (t - layout.startTime).microseconds
    return d >= 0 ? d / 1_000_000 : (d - 999_999) / 1_000_000
  }

  /// Closes every whole virtual second before `t`: one sample per history.
  private func advance(to t: SimTime) {
    let target = secondOf(t)
    guard target > second else { return }
    let gap = target - second
    // Past a whole history, older samples would be overwritten anyway.
    let pushes = Int(min(gap, Int64(PipelineModel.historyLength)))
    for k in 0..<pushes { closeSecond(first: k == 0) }
    second = target
  }

  private func closeSecond(first: Bool) {
    for q in queueCounts.indices {
      let c = queueCounts[q]
      queueSeries[q].visible.append(Double(c.visible))
      queueSeries[q].inFlight.append(Double(c.inFlight))
      queueSeries[q].delayed.append(Double(c.delayed))
      queueSeries[q].sent.append(first ? Double(sentNow[q]) : 0)
      queueSeries[q].received.append(first ? Double(receivedNow[q]) : 0)
      queueSeries[q].deleted.append(first ? Double(deletedNow[q]) : 0)
      (sentNow[q], receivedNow[q], deletedNow[q]) = (0, 0, 0)
    }
    for f in running.indices {
      functionSeries[f].running.append(Double(running[f]))
      functionSeries[f].invocations.append(first ? Double(invokedNow[f]) : 0)
      functionSeries[f].errors.append(first ? Double(errorsNow[f]) : 0)
      functionSeries[f].throttles.append(first ? Double(throttlesNow[f]) : 0)
      (invokedNow[f], errorsNow[f], throttlesNow[f]) = (0, 0, 0)
    }
    for m in mappingTarget.indices { mappingTargetSeries[m].append(Double(mappingTarget[m])) }
    if first, !latenciesNow.isEmpty {
      let s = LatencySummary(latenciesNow)
      latencyP50.append(s.p50.milliseconds)
      latencyP99.append(s.p99.milliseconds)
      latenciesNow.removeAll(keepingCapacity: true)
    } else {
      latencyP50.append(.nan)
      latencyP99.append(.nan)
    }
  }

  /// A queue's depth (visible + in flight + delayed), the last `n` seconds.
  public func depthHistory(queue q: Int, last n: Int) -> [Int] {
    let s = queueSeries[q]
    let v = s.visible.last(n)
    let f = s.inFlight.last(n)
    let d = s.delayed.last(n)
    return v.indices.map { Int(v[$0] + f[$0] + d[$0]) }
  }

  /// Per-second rates of a queue over the last five whole seconds: in (sent), received, deleted.
  public func rates(queue q: Int) -> (sent: Double, received: Double, deleted: Double) {
    let s = queueSeries[q]
    func avg(_ x: Series) -> Double {
      let v = x.last(5)
      return v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count)
    }
    return (avg(s.sent), avg(s.received), avg(s.deleted))
  }

  // MARK: Events

  /// Takes one event into the picture.
  public func apply(_ e: consuming SimEvent) {
    version += 1
    if e.time > now {
      now = e.time
      if secondOf(now) > second { advance(to: now) }
    }
    take(e)
    history.append(e)
  }

  private func take(_ e: SimEvent) {
    let seq = e.seq
    switch e.kind {
    case .requestFire(let fire):
      if requests.count == PipelineModel.maxRequests {
        let dropped = requests[0]
        if let id = dropped.id {
          firesOfID[id]?.removeAll { $0 == dropped.fire }
          if firesOfID[id]?.isEmpty == true { firesOfID[id] = nil }
          // Still going: its end-to-end latency is followed without its row.
          let done = dropped.stages.filter { $0 == .done }.count
          if dropped.completedAt == nil, dropped.failed == nil, done > 0 {
            pending[id] = (done, dropped.latestStage)
          }
        }
        firstFire += 1
        droppedRequests += 1
      }
      requests.append(
        RequestRow(fire: fire, id: nil, fired: e.time, stages: Array(repeating: .pending, count: stages.count)))
      note(fire: fire, seq)
    case .requestID(let fire, let id):
      update(fire) { $0.id = id }
      firesOfID[id, default: []].append(fire)
      fireCache[Int(truncatingIfNeeded: id.lo) & (PipelineModel.fireCacheSize - 1)] = fire
      note(fire: fire, seq)
    case .requestCollision(let id, let fires):
      for f in fires { update(f) { $0.collision = true } }
      note(id, seq)
    case .requestFailed(let fire, let reason):
      update(fire) { $0.failed = reason }
      note(fire: fire, seq)
    case .requestStageDone(let id, let stage, let latency):
      if let s = stageIndex.index(of: stage) {
        var fire: Int?
        forEachFire(id) { f in
          if fire == nil, requests[f - firstFire].stages[s] != .done { fire = f }
        }
        if let fire {
          update(fire) { r in
            r.stages[s] = .done
            r.latestStage = max(r.latestStage, latency)
            r.timeline.append(seq)
            if r.stages.allSatisfy({ $0 == .done }) {
              r.completedAt = e.time
              latenciesNow.append(r.latestStage)
            }
          }
        } else if var p = pending[id] {
          // A request whose row is no longer kept.
          p.done += 1
          p.latest = max(p.latest, latency)
          if p.done >= stages.count {
            latenciesNow.append(p.latest)
            pending[id] = nil
          } else {
            pending[id] = p
          }
        }
      }
    case .snsPublish(_, _, _, _, _, _, _, let id, _):
      if let id { note(id, seq) }
    case .snsNotify(let topic, _, _, _, let id):
      notifications += 1
      if let t = topicIndex.index(of: topic) { notified[t] += 1 }
      if let id {
        forEachFire(id) { f in update(f) { $0.notifications += 1 } }
        note(id, seq)
      }
    case .sqsSend(let queue, let mid, _, let delay, _, let id, _):
      guard let q = queueIndex.index(of: queue) else { break }
      let state: MessageState = delay > .zero ? .delayed : .visible
      messages[mid] = TrackedMessage(queue: q, state: state, request: id)
      count(q, state, +1)
      sentNow[q] += 1
      if let id {
        if let s = stageOfQueue[q] { setStage(id, s, .queued, noting: seq) } else { note(id, seq) }
      }
    case .sqsReceive(let queue, let id, let receiveCount, let until, let consumer, let copy):
      guard let q = queueIndex.index(of: queue) else { break }
      let mid = PipelineModel.key(id, copy: copy)
      receivedNow[q] += 1
      var request: RequestID?
      if let i = messages.index(forKey: mid) {
        // One lookup, then the entry changed in place.
        count(q, messages.values[i].state, -1)
        count(q, .inFlight, +1)
        messages.values[i].receive(count: receiveCount, at: e.time, until: until, by: consumer)
        request = messages.values[i].request
      } else {
        count(q, .visible, -1)
        count(q, .inFlight, +1)
      }
      if let id = request { note(id, seq) }
    case .sqsDelete(let queue, let id, _, let copy):
      guard let q = queueIndex.index(of: queue) else { break }
      deletedNow[q] += 1
      if let id = forget(PipelineModel.key(id, copy: copy)) { note(id, seq) }
    case .sqsDuplicate(let queue, let id, let copy, let of, _):
      guard let q = queueIndex.index(of: queue) else { break }
      let request = messages[PipelineModel.key(id, copy: of)]?.request
      var m = TrackedMessage(queue: q, state: .visible, request: request)
      m.copy = copy
      messages[PipelineModel.key(id, copy: copy)] = m
      count(q, .visible, +1)
      if let request { note(request, seq) }
    case .sqsVisible(let queue, let id, let reason, let copy):
      guard let q = queueIndex.index(of: queue) else { break }
      let mid = PipelineModel.key(id, copy: copy)
      let from: MessageState = reason == .delayEnded ? .delayed : .inFlight
      if let id = move(mid, q, from: from, to: .visible) {
        if let s = stageOfQueue[q], reason == .visibilityTimeout {
          setStage(id, s, .retrying, noting: seq)
        } else {
          note(id, seq)
        }
      }
    case .sqsDLQ(let queue, let dlq, let messageId, _, let id, let copy):
      let mid = PipelineModel.key(messageId, copy: copy)
      if let i = messages.index(forKey: mid), let d = queueIndex.index(of: dlq) {
        count(messages.values[i].queue, messages.values[i].state, -1)
        messages.values[i].queue = d
        messages.values[i].state = .visible
        count(d, .visible, +1)
      }
      if let id, let q = queueIndex.index(of: queue), let s = stageOfQueue[q] {
        setStage(id, s, .deadLetter, noting: seq)
      }
    case .sqsExpire(_, let mid, _, let copy):
      forget(PipelineModel.key(mid, copy: copy))
    case .sqsRedrive(_, _, let destination, let old, _, let id, let copy):
      forget(PipelineModel.key(old, copy: copy))
      if let id {
        if let d = queueIndex.index(of: destination), let s = stageOfQueue[d] {
          setStage(id, s, .queued, noting: seq)
        } else {
          note(id, seq)
        }
      }
    case .sqsMoveTask(let task, let source, let destination, let status, let moved, let total):
      let row = MoveTaskRow(
        id: task, source: source, destination: destination, status: status, moved: moved, total: total)
      if let i = moveTasks.firstIndex(where: { $0.id == task }) { moveTasks[i] = row } else { moveTasks.append(row) }
    case .sqsPurge(let queue, _):
      guard let q = queueIndex.index(of: queue) else { break }
      for (k, v) in messages where v.queue == q { forget(k) }
    case .lambdaInvoke(let function, let inv, _, _, let ids, let batch):
      let f = functionIndex.index(of: function)
      if let f {
        running[f] += 1
        invokedNow[f] += 1
      }
      for r in batch ?? [] {
        if let mid = r.messageUUID, let i = messages.index(forKey: mid) {
          messages.values[i].invocation = inv
          messages.values[i].record = r
        }
      }
      if let f, let s = stageOfFunction[f] {
        invocationStages[inv] = (s, ids)
        for id in ids { setStage(id, s, .running, noting: seq) }
      }
    case .lambdaResult(let function, let inv, let outcome, _, _):
      if let f = functionIndex.index(of: function) {
        running[f] -= 1
        if outcome != .success { errorsNow[f] += 1 }
      }
      if let (s, ids) = invocationStages.removeValue(forKey: inv) {
        for id in ids {
          if outcome != .success { setStage(id, s, .retrying, noting: seq) } else { note(id, seq) }
        }
      }
    case .lambdaThrottle(let function, _, _):
      if let f = functionIndex.index(of: function) { throttlesNow[f] += 1 }
    case .lambdaScale(let mapping, _, let to):
      if let m = mappingIndex.index(of: mapping) { mappingTarget[m] = to }
    case .lambdaMapping(let mapping, let enabled):
      if let m = mappingIndex.index(of: mapping) { mappingEnabled[m] = enabled }
    case .lambdaCodeUpdate: break
    case .lambdaFailure(let function, let failure):
      if let f = functionIndex.index(of: function) { failing[f] = failure.errorRate >= 1 }
    case .s3Put(let bucket, let key, let etag, let size, let body, let id):
      s3.append(S3Row(bucket: bucket, objectKey: key, size: size, etag: etag, time: e.time, body: body))
      if let id = id ?? requestID(inKey: key) { note(id, seq) }
    case .s3Get(_, let key, _, let id), .s3Head(_, let key, _, let id), .s3Delete(_, let key, _, let id):
      if let id = id ?? requestID(inKey: key) { note(id, seq) }
    case .sqsDuplicateRate(let queue, let rate):
      if let q = queueIndex.index(of: queue) { duplicateRates[q] = rate }
    case .lambdaAsync(_, _, _, _, let id, _):
      if let id { note(id, seq) }
    case .snsDeliveryFailed, .snsDuplicate, .lambdaRecursiveLoop:
      break
    }
  }

  // MARK: Helpers

  private func count(_ q: Int, _ state: MessageState, _ d: Int) {
    switch state {
    case .visible: queueCounts[q].visible += d
    case .inFlight: queueCounts[q].inFlight += d
    case .delayed: queueCounts[q].delayed += d
    }
  }

  /// A stored message changes state (`from` when the model does not know it); returns its request.
  @discardableResult
  private func move(_ mid: UUID128, _ q: Int, from: MessageState, to: MessageState) -> RequestID? {
    guard let i = messages.index(forKey: mid) else {
      count(q, from, -1)
      count(q, to, +1)
      return nil
    }
    count(q, messages.values[i].state, -1)
    count(q, to, +1)
    messages.values[i].state = to
    if to != .inFlight { messages.values[i].invocation = nil }
    return messages.values[i].request
  }

  private func update(_ fire: Int, _ change: (inout RequestRow) -> Void) {
    let i = fire - firstFire
    guard i >= 0, i < requests.count else { return }
    change(&requests[i])
  }

  /// Sets a stage's status for the requests with this ID, and notes the event in their timelines
  /// (one lookup of the ID).
  /// Calls `body` with each kept fire that has this ID: from the cache when it holds the ID's
  /// one fire, else from the dictionary.
  @inline(__always)
  private func forEachFire(_ id: RequestID, _ body: (Int) -> Void) {
    let f = fireCache[Int(truncatingIfNeeded: id.lo) & (PipelineModel.fireCacheSize - 1)]
    let i = f - firstFire
    if f != 0, i >= 0, i < requests.count, requests[i].id == id, !requests[i].collision {
      body(f)
      return
    }
    guard let fires = firesOfID[id] else { return }
    for f in fires { body(f) }
  }

  /// Sets a stage's status for the requests with this ID, and notes the event in their timelines.
  private func setStage(_ id: RequestID, _ s: Int, _ status: StageStatus, noting seq: Int? = nil) {
    forEachFire(id) { f in
      update(f) { r in
        if r.stages[s] != .done { r.stages[s] = status }
        if let seq { r.timeline.append(seq) }
      }
    }
  }

  private func note(fire: Int, _ seq: Int) { update(fire) { $0.timeline.append(seq) } }

  private func note(_ id: RequestID, _ seq: Int) { forEachFire(id) { note(fire: $0, seq) } }

  /// The request an object's key names, as the article's keys do (`<prefix>/<stage>/<id>.json`):
  /// a client's or a process function's own S3 call names no request, its key does.
  private func requestID(inKey key: S3ObjectKey) -> RequestID? {
    switch key {
    case .request(_, let id): return id
    case .text(let text):
      let name = text.split(separator: "/").last.map { $0.split(separator: ".").first ?? $0 } ?? ""
      guard name.utf8.count == 32 else { return nil }
      return RequestID(hex: String(name))
    }
  }

  /// A message leaves its queue; returns its request.
  @discardableResult
  private func forget(_ mid: UUID128) -> RequestID? {
    guard let known = messages.removeValue(forKey: mid) else { return nil }
    count(known.queue, known.state, -1)
    return known.request
  }
}
