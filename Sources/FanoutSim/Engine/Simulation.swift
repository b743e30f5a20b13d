import DequeModule

// MARK: - Scheduler

enum Job {
  case snsDeliver(SNSNotification, topic: Int32, subscription: Int32)
  /// A second delivery of the same publish to the same subscription (at-least-once delivery).
  case snsDuplicate(SNSNotification, topic: Int32, subscription: Int32)
  case queueTimer(queue: Int32, kind: QueueTimerKind, at: SimTime)
  case pump(mapping: Int)
  case wake(mapping: Int)
  case pollerFree(mapping: Int)
  case idleCheck(mapping: Int)
  case windowEnd(mapping: Int, serial: Int)
  case step(Invocation)
  case retry(Int)
  case load(Int)
  case action(Int)
  case moveTask(Int)
  /// The reader of a function's asynchronous queue takes an event (`AsyncInvoke.swift`).
  case asyncDispatch(Int)
}

/// A job with its time and sequence; `JobHeap` orders jobs by (time, sequence).
struct Scheduled {
  var time: SimTime
  var seq: UInt64
  var job: Job
  var keepsAlive: Bool
}

/// Timer kinds of a queue.
enum QueueTimerKind: Int {
  /// A delayed message becomes visible (DelaySeconds).
  case delay
  /// An in-flight message becomes visible again (VisibilityTimeout).
  case visibility
  /// A message expires (MessageRetentionPeriod).
  case retention
}

// MARK: - The simulation

/// The whole pipeline in virtual time: SNS, SQS, Lambda and S3 driven by one event heap
/// ordered by (time, sequence), with one seeded random stream per component.
///
/// Same topology, same seed and same commands at the same virtual times give the same events,
/// byte for byte.
public final class Simulation {
  public let topology: Topology
  public let seed: UInt64
  /// The virtual clock.
  public internal(set) var now: SimTime
  /// Events emitted so far (whether or not anyone observes them).
  public internal(set) var eventCount = 0
  /// Receives every event as it happens. Building events costs nothing while this is nil.
  /// Takes every event. It owns the event it is given (an observer that keeps it moves it
  /// instead of copying: no reference counting per field).
  public var observer: ((consuming SimEvent) -> Void)?

  public internal(set) var topics: [SNSTopic] = []
  public internal(set) var queues: [SQSQueue] = []
  public internal(set) var functions: [LambdaFunction] = []
  public internal(set) var mappings: [EventSourceMapping] = []
  public internal(set) var buckets: [S3Bucket] = []
  public internal(set) var sinks: [Sink] = []
  public let tracker: RequestTracker

  let heap = JobHeap()
  var sequence: UInt64 = 0
  var activeJobs = 0
  var nextMessageKey: Int64 = 1
  /// Copies at-least-once delivery made of each SQS message, by MessageId (filled only while a
  /// queue's duplicateRate is above zero).
  var copiesMade: [UUID128: UInt16] = [:]
  var nextInvocationId = 1
  var pending: [Int: PendingBatch] = [:]
  var nextPendingId = 1
  /// Asynchronous invocations accepted and not yet done, by ID (only looked up, never iterated
  /// into output).
  var asyncEvents: [Int: AsyncEvent] = [:]
  var nextAsyncId = 1
  /// Invocations of process functions waiting for their result, by ID.
  var externalInvocations: [Int: Invocation] = [:]
  /// Runs process functions' code (`ExternalInvocation.swift`); nil runs none (a replay, or a
  /// run without processes: their invocations then wait for results given as commands).
  public weak var externalInvoker: (any ExternalInvoker)?
  /// Answers a recorded session's client requests again when it is replayed.
  public var wireReplayer: (any WireReplaying)?
  /// While a client request is answered: the invocation of a process function whose code made
  /// it (its environment's endpoint knows), nil for any other client.
  public var wireCaller: Int?
  var unreservedRunning = 0
  /// Whether the invariants (`Invariants.swift`) are checked after every job: by default in debug
  /// builds; the property tests and `fanout check` turn it on in any build.
  public var checksInvariants = _isDebugAssertConfiguration()
  /// Whether a broken invariant traps (debug builds) or is only recorded in `invariantViolation`.
  public var trapsOnInvariantViolation = _isDebugAssertConfiguration()
  /// The first invariant broken, with the job that broke it.
  public internal(set) var invariantViolation: InvariantViolation?
  var lastCheckedTime = SimTime.distantPast
  var reservedTotal = 0
  var idRng: SimRandom
  var latencyRng: SimRandom
  var loads: [LoadRun] = []
  var actions: [ScenarioAction] = []
  public internal(set) var moveTasks: [MessageMoveTask] = []
  /// The prices a snapshot's running cost is counted at (`Cost.swift`); nothing in the
  /// simulation depends on them.
  public var prices = PriceTable.usEast1
  /// What requests from outside (the AWS wire protocols) add (`External.swift`).
  var external = ExternalState()

  var topicByName: [String: Int] = [:]
  var queueByName: [String: Int] = [:]
  var functionByName: [String: Int] = [:]
  var bucketByName: [String: Int] = [:]
  var entryFunction: Int?
  /// When each queue name was deleted at run time: a new queue of that name waits 60 s
  /// (`Simulation+Create.swift`). Only looked up.
  var deletedQueueNames: [String: SimTime] = [:]

  /// Builds the simulation, refusing what AWS would refuse.
  public convenience init(topology: Topology, seed: UInt64) throws {
    try self.init(topology: topology, seed: seed, interpretsSeedHandlers: false)
  }

  /// `interpretsSeedHandlers`: run the article's handlers through the step interpreter
  /// (`Simulation+Steps.swift`) instead of their specialised code — the same events, slower; the
  /// tests compare the two.
  init(topology: Topology, seed: UInt64, interpretsSeedHandlers: Bool) throws {
    self.topology = topology
    self.seed = seed
    now = topology.startTime
    idRng = SimRandom(seed: seed, stream: "ids")
    latencyRng = SimRandom(seed: seed, stream: "latency")
    let region = topology.region
    let account = topology.account
    if let p = topology.problems().first(where: { $0.severity == .error }) { throw TopologyError(p.description) }

    for b in topology.buckets {
      guard bucketByName[b.name] == nil else { throw TopologyError("Bucket \(b.name) is defined twice") }
      bucketByName[b.name] = buckets.count
      buckets.append(S3Bucket(name: b.name))
    }
    for q in topology.queues {
      guard queueByName[q.name] == nil else { throw TopologyError("Queue \(q.name) is defined twice") }
      queueByName[q.name] = queues.count
      queues.append(SQSQueue(index: queues.count, spec: q, region: region, account: account, seed: seed))
    }
    for q in queues {
      if let r = q.spec.redrive {
        guard let d = queueByName[r.deadLetterQueue] else {
          throw TopologyError(
            "Value {\"deadLetterTargetArn\":\"arn:aws:sqs:\(region):\(account):\(r.deadLetterQueue)\"} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist."
          )
        }
        q.deadLetterQueue = d
        // A DLQ's age of oldest message counts from each message's move, not its enqueue time.
        if queues[d].arrivals == nil { queues[d].arrivals = [] }
      }
    }
    var stages: [String] = []
    for f in topology.functions {
      guard functionByName[f.name] == nil else { throw TopologyError("Function \(f.name) is defined twice") }
      if let r = f.reservedConcurrency { reservedTotal += r }
      functionByName[f.name] = functions.count
      functions.append(LambdaFunction(index: functions.count, spec: f, region: region, account: account, seed: seed))
      for stage in f.program.stages where !stages.contains(stage) { stages.append(stage) }
    }
    for t in topology.topics {
      guard topicByName[t.name] == nil else { throw TopologyError("Topic \(t.name) is defined twice") }
      let topic = SNSTopic(index: topics.count, name: t.name, region: region, account: account, seed: seed)
      topicByName[t.name] = topics.count
      for s in t.subscriptions {
        var queue: Int?
        var sink: Int?
        var function: Int?
        var denied = false
        let endpointName: String
        switch s.endpoint {
        case .queue(let name):
          guard let q = queueByName[name] else {
            throw TopologyError("Topic \(t.name) subscribes queue \(name), which does not exist")
          }
          queue = q
          endpointName = name
          if let policy = queues[q].spec.policy {
            denied = !policy.allowsSNS(topicArn: topic.arn, topicAccount: account, queueArn: queues[q].arn)
          }
        case .sink(let name):
          sink = sinks.count
          sinks.append(Sink(name: name))
          endpointName = name
        case .function(let name):
          guard let fi = functionByName[name] else {
            throw TopologyError("Topic \(t.name) subscribes function \(name), which does not exist")
          }
          function = fi
          endpointName = name
          if let allowed = functions[fi].spec.snsInvokePermissions {
            denied = !allowed.contains { arnLike($0, topic.arn) }
          }
        }
        var deadLetterQueue: Int?
        if let d = s.deadLetterQueue {
          guard let q = queueByName[d] else {
            throw TopologyError(
              "Invalid parameter: RedrivePolicy: deadLetterTargetArn: arn:aws:sqs:\(region):\(account):\(d) does not exist (subscription of \(endpointName) to \(t.name))"
            )
          }
          deadLetterQueue = q
        }
        var filter: FilterPolicy?
        if let p = s.filterPolicy {
          do { filter = try FilterPolicy(json: p, scope: s.filterPolicyScope) } catch let e as FilterPolicyError {
            throw TopologyError(e.description + " (subscription of \(endpointName) to \(t.name))")
          }
        }
        let u = idRng.uuid()
        topic.subscriptions.append(
          Subscription(
            index: topic.subscriptions.count, id: u, arn: topic.arn + ":" + u.text, spec: s, endpointName: endpointName,
            queue: queue, sink: sink, function: function, deadLetterQueue: deadLetterQueue, filter: filter,
            deniedByPolicy: denied,
            duplicateRng: SimRandom(seed: seed, stream: "sns/\(t.name)/\(topic.subscriptions.count)/at-least-once")))
      }
      topic.endpointNames = topic.subscriptions.map(\.endpointName)
      topics.append(topic)
    }
    try Simulation.checkTargets(topology.functions, queues: queueByName, topics: topicByName)
    for m in topology.mappings {
      guard let q = queueByName[m.queue] else {
        throw TopologyError("Event source mapping: queue \(m.queue) does not exist")
      }
      guard let f = functionByName[m.function] else {
        throw TopologyError("Event source mapping: function \(m.function) does not exist")
      }
      let esm = EventSourceMapping(
        index: mappings.count, spec: m, queue: q, function: f, uuid: idRng.uuid(), start: topology.startTime)
      queues[q].mappings.append(mappings.count)
      mappings.append(esm)
    }
    // A process function an event source mapping triggers is a stage of each request it handles:
    // done when its code publishes a message carrying the request's ID, as a service's is.
    for m in topology.mappings where !stages.contains(m.function) {
      if let f = topology.functions.first(where: { $0.name == m.function }), case .process = f.handler {
        stages.append(f.name)
      }
    }
    tracker = RequestTracker(stages: stages, start: topology.startTime)
    for f in functions {
      switch f.spec.handler {
      case .seedPreprocessor(let bucket, let prefix, let stage, let topic) where !interpretsSeedHandlers:
        let (b, t) = try resolve(f, bucket: bucket, topic: topic)
        f.plan = HandlerPlan(kind: .preprocessor(topic: t, body: buckets[b].intern(seedPreprocessorBody)), bucket: b)
        f.plan.outputFolder = buckets[b].folder(pathJoin([prefix, stage]))
      case .seedService(let bucket, let prefix, let previous, let stage, let topic) where !interpretsSeedHandlers:
        let (b, t) = try resolve(f, bucket: bucket, topic: topic)
        f.plan = HandlerPlan(kind: .service(topic: t, stage: stages.firstIndex(of: stage)!), bucket: b)
        f.plan.inputFolder = buckets[b].folder(pathJoin([prefix, previous]))
        f.plan.outputFolder = buckets[b].folder(pathJoin([prefix, stage]))
      case .compute:
        f.plan = HandlerPlan(kind: .compute)
      case .process:
        f.plan = HandlerPlan(kind: .external)
      default:
        if case .forward(let topic, let queue) = f.spec.handler {
          switch (topic, queue) {
          case (let t?, nil):
            guard topicByName[t] != nil else {
              throw TopologyError("Function \(f.name) forwards to topic \(t), which does not exist")
            }
          case (nil, let q?):
            guard queueByName[q] != nil else {
              throw TopologyError("Function \(f.name) forwards to queue \(q), which does not exist")
            }
          default:
            throw TopologyError("Function \(f.name) must forward to exactly one topic or queue")
          }
        }
        // Every other handler is a program of steps, the seed's too when they are interpreted.
        f.plan = HandlerPlan(kind: .steps)
        f.program = try compile(f.spec.program, for: f)
      }
    }
    if let e = topology.entryFunction {
      guard let i = functionByName[e] else { throw TopologyError("Entry function \(e) does not exist") }
      entryFunction = i
    }
  }

  /// Every function's destinations and dead-letter target must be queues or topics of the
  /// topology.
  private static func checkTargets(_ functions: [FunctionSpec], queues: [String: Int], topics: [String: Int]) throws {
    func check(_ target: AsyncTarget, _ function: String, _ what: String) throws {
      switch target {
      case .queue(let q):
        if queues[q] == nil {
          throw TopologyError("Function \(function): \(what) names queue \(q), which does not exist")
        }
      case .topic(let t):
        if topics[t] == nil {
          throw TopologyError("Function \(function): \(what) names topic \(t), which does not exist")
        }
      }
    }
    for f in functions {
      if let t = f.eventInvokeConfig.onSuccess { try check(t, f.name, "DestinationConfig.OnSuccess") }
      if let t = f.eventInvokeConfig.onFailure { try check(t, f.name, "DestinationConfig.OnFailure") }
      if let t = f.deadLetter { try check(t, f.name, "DeadLetterConfig") }
    }
  }

  private func resolve(_ f: LambdaFunction, bucket: String, topic: String) throws -> (Int, Int) {
    guard let b = bucketByName[bucket] else {
      throw TopologyError("Function \(f.name) writes to bucket \(bucket), which does not exist")
    }
    guard let t = topicByName[topic] else {
      throw TopologyError("Function \(f.name) publishes to topic \(topic), which does not exist")
    }
    return (b, t)
  }

  // MARK: Running

  func schedule(_ job: Job, at time: SimTime, keepsAlive: Bool = true) {
    sequence &+= 1
    if keepsAlive { activeJobs += 1 }
    heap.insert(Scheduled(time: max(time, now), seq: sequence, job: job, keepsAlive: keepsAlive))
  }

  @inline(__always)
  func emit(_ make: @autoclosure () -> EventKind) {
    eventCount += 1
    if let observer { observer(SimEvent(seq: eventCount, time: now, kind: make())) }
  }

  /// Whether anything is left that will change the pipeline: a scheduled job, or a message in
  /// flight or delayed (it will become visible). Retention alone does not count.
  public var hasPendingWork: Bool {
    activeJobs > 0 || !externalInvocations.isEmpty
      || queues.contains { $0.inFlightCount > 0 || $0.delayedCount > 0 }
  }
  /// Jobs run so far: with the clock, the exact point of a run (a replay applies commands there).
  public internal(set) var jobsExecuted = 0

  /// Moves the clock forward without running anything (a replay's recorded time).
  public func moveClock(to time: SimTime) { if time > now { now = time } }

  /// Jobs scheduled so far (each is one pass through the event heap).
  public var jobsScheduled: UInt64 { sequence }
  /// Virtual time of the next scheduled job, if any.
  public var nextJobTime: SimTime? { heap.minTime }

  /// Runs the next scheduled job, moving the clock to its time. False when nothing is scheduled.
  @discardableResult
  public func step() -> Bool {
    guard let s = heap.popMin() else { return false }
    run(s)
    return true
  }

  @inline(__always)
  private func run(_ s: Scheduled) {
    jobsExecuted += 1
    if s.keepsAlive { activeJobs -= 1 }
    if s.time > now { now = s.time }
    execute(s.job)
    if checksInvariants { checkInvariants(after: s.job) }
  }

  /// Runs every job scheduled up to `time`, then sets the clock to `time`.
  public func run(until time: SimTime) {
    // Taking the job out and putting it back when it is too late costs less than looking at
    // the top (a copy of the job) before every step.
    while let s = heap.popMin() {
      if s.time > time {
        heap.insert(s)
        break
      }
      run(s)
    }
    if time > now { now = time }
  }

  /// What a real-time loop calls: the same as `run(until:)`.
  public func advance(to time: SimTime) { run(until: time) }

  /// Runs until no pending work is left, or until `limit`. True when it drained.
  @discardableResult
  public func runUntilDrained(limit: SimTime? = nil) -> Bool {
    while hasPendingWork, let s = heap.popMin() {
      if let limit, s.time > limit {
        heap.insert(s)
        if limit > now { now = limit }
        return false
      }
      run(s)
    }
    return !hasPendingWork
  }

  func execute(_ job: Job) {
    switch job {
    case .snsDeliver(let n, let t, let s): deliver(n, topic: Int(t), subscription: Int(s))
    case .snsDuplicate(let n, let t, let s): deliver(n, topic: Int(t), subscription: Int(s), duplicate: true)
    case .queueTimer(let q, let kind, let at): fireQueueTimer(queues[Int(q)], kind: kind, at: at)
    case .pump(let m): pump(mappings[m])
    case .wake(let m): wake(mappings[m])
    case .pollerFree(let m): pollerFree(mappings[m])
    case .idleCheck(let m): idleCheck(mappings[m])
    case .windowEnd(let m, let serial): windowEnded(mappings[m], serial: serial)
    case .step(let inv): stepInvocation(inv)
    case .retry(let id): retryPending(id)
    case .load(let i): loadFire(i)
    case .action(let i): perform(i)
    case .moveTask(let i): moveOne(i)
    case .asyncDispatch(let id): dispatchAsync(id)
    }
  }

  // MARK: Lookups

  public func queue(named name: String) -> SQSQueue? { queueByName[name].map { queues[$0] } }
  public func topic(named name: String) -> SNSTopic? { topicByName[name].map { topics[$0] } }
  public func function(named name: String) -> LambdaFunction? { functionByName[name].map { functions[$0] } }
  public func bucket(named name: String) -> S3Bucket? { bucketByName[name].map { buckets[$0] } }
  public func mapping(forQueue name: String) -> EventSourceMapping? {
    queue(named: name)?.mappings.first.map { mappings[$0] }
  }

  // MARK: Load

  /// Fires `count` requests at `rate` per second of virtual time, the first one now.
  public func startLoad(count: Int, rate: Double) {
    guard count > 0, rate > 0 else { return }
    addLoad(.constant(rate: rate, count: count, start: now - topology.startTime))
  }

  /// Adds a load; its times count from the simulation's start.
  public func addLoad(_ spec: LoadSpec, target: LoadTarget = .entry) {
    let index = loads.count
    var run = LoadRun(
      spec: spec, target: target, rng: SimRandom(seed: seed, stream: "load/\(index)"), origin: topology.startTime)
    guard spec.count > 0, let first = run.time(of: 0) else { return }
    // Room for the first requests of the load, at most `loadReservation` of them: growing the
    // tables while a run fills them costs about 15 %, but storage must grow with what exists,
    // not with what a load plans (a 10,000,000-request scenario starts under 30 MB).
    let planned = target == .entry ? min(spec.count, Simulation.loadReservation) : 0
    tracker.reserve(fires: planned)
    var writers = Array(repeating: 0, count: buckets.count)
    for f in functions {
      if f.plan.writesObjects { writers[f.plan.bucket] += 1 }
      for b in f.program?.writtenBuckets ?? [] { writers[b] += 1 }
    }
    for (b, n) in writers.enumerated() where n > 0 { buckets[b].reserve(objects: n * planned) }
    run.next = first
    loads.append(run)
    schedule(.load(index), at: first)
  }

  func loadFire(_ index: Int) {
    switch loads[index].target {
    case .entry: fireRequest()
    case .queue(let q, let body): _ = try? sendMessage(queue: q, body: body)
    }
    loads[index].fired += 1
    if let t = loads[index].time(of: loads[index].fired) { schedule(.load(index), at: t) }
  }

  /// The most requests of a load that storage is made ready for at its start.
  static let loadReservation = 131_072

  /// Schedules an action at a time counted from the simulation's start.
  public func schedule(_ action: ScenarioAction, at offset: SimDuration) {
    actions.append(action)
    schedule(.action(actions.count - 1), at: topology.startTime + offset)
  }

  func perform(_ index: Int) {
    switch actions[index] {
    case .fire(let n):
      for _ in 0..<n { fireRequest() }
    case .setMapping(let queue, let enabled):
      try? setMapping(queue: queue, enabled: enabled)
    case .setFailure(let function, let failure):
      try? setFailure(function: function, failure)
    case .updateCode(let function):
      try? updateCode(function: function)
    case .publish(let topic, let message, let attributes):
      _ = try? publish(topic: topic, message: message, attributes: attributes)
    case .send(let queue, let body, let attributes):
      _ = try? sendMessage(queue: queue, body: body, attributes: attributes)
    case .inject(let c):
      apply(c)
    case .redrive(let from, let to, let rate):
      _ = try? startMessageMoveTask(source: from, destination: to, maxPerSecond: rate)
    }
  }
}
