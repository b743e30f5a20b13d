// MARK: - Requests

/// What became of each fired request: its ID, each stage's completion, collisions.
///
/// A request is one invocation of the entry function. Its ID is only known once the handler has
/// computed it; two requests can get the same ID (the seed's timestamp-based IDs collide when two
/// invocations run in the same microsecond), and then each stage completion of that ID is credited
/// to the earliest of them still waiting for it, never merged.
public final class RequestTracker {
  public let stages: [String]
  public let start: SimTime
  public private(set) var fireTimes: [SimTime] = []
  /// Each fire's ID; all zero until the handler computed it.
  private var idOf: [RequestID] = []
  public private(set) var failed: [Bool] = []
  /// Completion time per fire and stage, flat: fire * stages.count + stage; -1 while pending.
  public private(set) var stageDone: [SimTime] = []
  private var doneCount: [UInt16] = []
  public private(set) var completed = 0
  public private(set) var failedCount = 0
  public private(set) var notifications = 0
  /// Stage completions of an already completed stage (at-least-once delivery, retries).
  public private(set) var duplicateCompletions = 0
  /// The same, per stage.
  public private(set) var duplicateCompletionsByStage: [Int]
  /// Requests whose ID another request already had, by ID.
  public private(set) var collisions: [RequestID: [Int]] = [:]
  /// First fire of each ID; negated once the ID collides.
  private var byID = IDTable<Int32>(placeholder: 0)
  /// Latencies per stage, in completion order.
  public private(set) var stageLatencies: [[SimDuration]]
  /// End-to-end latencies of completed requests (fire to last stage).
  public private(set) var endToEnd: [SimDuration] = []

  init(stages: [String], start: SimTime) {
    self.stages = stages
    self.start = start
    stageLatencies = Array(repeating: [], count: stages.count)
    duplicateCompletionsByStage = Array(repeating: 0, count: stages.count)
  }

  /// Number of requests fired.
  public var fired: Int { fireTimes.count }

  /// Makes room for `n` more fires.
  func reserve(fires n: Int) {
    let total = fireTimes.count + n
    fireTimes.reserveCapacity(total)
    idOf.reserveCapacity(total)
    failed.reserveCapacity(total)
    doneCount.reserveCapacity(total)
    stageDone.reserveCapacity(total * stages.count)
    byID.reserve(total)
  }

  func fire(at time: SimTime) -> Int {
    fireTimes.append(time)
    idOf.append(RequestID(hi: 0, lo: 0))
    failed.append(false)
    doneCount.append(0)
    stageDone.append(contentsOf: repeatElement(.distantPast, count: stages.count))
    return fireTimes.count
  }

  /// Starts loading an ID's slot ahead of `assign` or `stageDone`.
  func prefetch(id: RequestID) { byID.prefetch(tag: 0, hi: id.hi, lo: id.lo) }

  /// Records the ID of a fire (numbered from 1); returns every fire sharing it when it collides.
  func assign(fire: Int, id: RequestID) -> [Int]? {
    idOf[fire - 1] = id
    // One probe: store the fire, and put the first one back if the ID was taken.
    guard let stored = byID.update(Int32(fire), tag: 0, hi: id.hi, lo: id.lo).map(Int.init) else { return nil }
    // A colliding ID's first fire is stored negated: its fires are in `collisions`.
    let first = abs(stored)
    var list = collisions[id] ?? [first]
    list.append(fire)
    collisions[id] = list
    byID.update(Int32(-first), tag: 0, hi: id.hi, lo: id.lo)
    return list
  }

  func fail(_ fire: Int) {
    if !failed[fire - 1] {
      failed[fire - 1] = true
      failedCount += 1
    }
  }

  func notified() { notifications += 1 }

  /// Credits a stage completion; returns its latency since the fire.
  func stageDone(id: RequestID, stage s: Int, at time: SimTime) -> SimDuration? {
    guard s >= 0, let stored = byID[0, id.hi, id.lo].map(Int.init) else { return nil }
    var fire = abs(stored)
    if stored < 0, let list = collisions[id] {
      guard let f = list.first(where: { stageDone[($0 - 1) * stages.count + s] == .distantPast }) else {
        duplicateCompletions += 1
        duplicateCompletionsByStage[s] += 1
        return nil
      }
      fire = f
    }
    let slot = (fire - 1) * stages.count + s
    if stageDone[slot] != .distantPast {
      duplicateCompletions += 1
      duplicateCompletionsByStage[s] += 1
      return nil
    }
    stageDone[slot] = time
    let latency = time - fireTimes[fire - 1]
    stageLatencies[s].append(latency)
    doneCount[fire - 1] += 1
    if Int(doneCount[fire - 1]) == stages.count {
      completed += 1
      endToEnd.append(latency)
    }
    return latency
  }

  /// Whether a fire (from 1) has completed every stage.
  public func isComplete(_ fire: Int) -> Bool { Int(doneCount[fire - 1]) == stages.count && !stages.isEmpty }

  /// The ID of a fire (from 1), once its handler computed it.
  public func requestID(ofFire fire: Int) -> RequestID? {
    let id = idOf[fire - 1]
    return id.hi == 0 && id.lo == 0 ? nil : id
  }

  /// Completion time of a stage of a fire, if done.
  public func stageTime(fire: Int, stage: Int) -> SimTime? {
    let t = stageDone[(fire - 1) * stages.count + stage]
    return t != .distantPast ? t : nil
  }

  /// Fires that got an ID another fire already had.
  public var collidingFires: Int { collisions.values.reduce(0) { $0 + $1.count - 1 } }
}

extension Simulation {
  /// A fire's request has its ID now (the entry function computed or published it): recorded,
  /// said in an event, and a collision with another fire's ID said too.
  func nameRequest(fire: Int, _ id: RequestID) {
    let fires = tracker.assign(fire: fire, id: id)
    emit(.requestID(fire: fire, requestID: id))
    if let fires { emit(.requestCollision(requestID: id, fires: fires)) }
  }

  /// A stage of a request is done: credited and said in an event, unless it was done before.
  func completeStage(_ stage: Int, of id: RequestID) {
    if let latency = tracker.stageDone(id: id, stage: stage, at: now) {
      emit(.requestStageDone(requestID: id, stage: tracker.stages[stage], latency: latency))
    }
  }
}
