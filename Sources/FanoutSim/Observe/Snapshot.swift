// MARK: - What an observer may read: the layout once, a snapshot of public counters per frame
//
// The dashboard builds its picture from the event stream. What events do not carry — the
// pipeline's shape, and counters such as ApproximateAgeOfOldestMessage or NumberOfEmptyReceives —
// it reads from these two values: `PipelineLayout`, taken once, and `PipelineSnapshot`, taken
// once per frame. Taking either changes nothing in the simulation.

/// The pipeline's shape: names, ARNs, settings, and how the parts connect, in topology order.
public struct PipelineLayout: Sendable {
  public struct Queue: Sendable {
    public var name: String
    public var arn: String
    public var url: String
    public var spec: QueueSpec
    /// The queue its RedrivePolicy names, by index.
    public var deadLetterQueue: Int?
    /// The queues whose dead-letter queue this is, by index (empty for an ordinary queue).
    public var sourceQueues: [Int]
    /// The mappings that poll it, by index.
    public var mappings: [Int]
    public var isDeadLetterQueue: Bool { !sourceQueues.isEmpty }
  }
  public struct Subscription: Sendable {
    public var endpointName: String
    /// The queue it delivers to, by index; nil for a recording sink or a function.
    public var queue: Int?
    /// The function it invokes asynchronously (protocol lambda), by index.
    public var function: Int? = nil
    public var rawMessageDelivery: Bool
    public var hasFilterPolicy: Bool
  }
  public struct Topic: Sendable {
    public var name: String
    public var subscriptions: [Subscription]
  }
  /// Where a function's handler sends what it makes.
  public struct Outputs: Sendable {
    public var topics: [Int] = []
    public var queues: [Int] = []
    public var buckets: [Int] = []
    /// The request-tracker stage a seed service completes.
    public var stage: Int?
  }
  public struct Function: Sendable {
    public var name: String
    public var spec: FunctionSpec
    public var outputs: Outputs
  }
  public struct Mapping: Sendable {
    public var name: String
    public var queue: Int
    public var function: Int
    public var spec: MappingSpec
  }

  public var seed: UInt64
  public var region: String
  public var account: String
  public var startTime: SimTime
  public var queues: [Queue]
  public var topics: [Topic]
  public var functions: [Function]
  public var mappings: [Mapping]
  public var buckets: [String]
  /// The function a "fire a request" command invokes, by index.
  public var entryFunction: Int?
  /// The request tracker's stages (one per seed service), in order.
  public var stages: [String]

  public func queue(named name: String) -> Int? { queues.firstIndex { $0.name == name } }
  public func function(named name: String) -> Int? { functions.firstIndex { $0.name == name } }
  public func topic(named name: String) -> Int? { topics.firstIndex { $0.name == name } }
}

/// Counters of one queue at an instant: the Approximate* attributes and the CloudWatch counts.
public struct QueueSnapshot: Sendable, Equatable {
  public var visible = 0
  public var inFlight = 0
  public var delayed = 0
  /// ApproximateAgeOfOldestMessage (zero when empty).
  public var ageOfOldestMessage = SimDuration.zero
  /// NumberOfEmptyReceives, idle long polls included.
  public var emptyReceives = 0
  public var counters = QueueCounters()
  /// The duplicate rate now (at-least-once delivery; switchable at run time).
  public var duplicateRate = 0.0
  public var depth: Int { visible + inFlight + delayed }
}

/// Counters of one function at an instant.
public struct FunctionSnapshot: Sendable, Equatable {
  public var running = 0
  public var warmEnvironments = 0
  public var counters = FunctionCounters()
  /// Its asynchronous invocations (an SNS subscription): received, queued, dropped.
  public var async = AsyncCounters()
  public var failure = FailureSpec()
}

/// Counters of one event source mapping at an instant.
public struct MappingSnapshot: Sendable, Equatable {
  public var enabled = true
  /// The mapping's pollers.
  public var target = 0
  /// Batches being invoked (or retried after a throttle).
  public var busy = 0
  public var counters = MappingCounters()
}

/// The public counters of the whole pipeline at an instant.
public struct PipelineSnapshot: Sendable {
  public var now: SimTime
  public var jobsExecuted: Int
  public var events: Int
  public var queues: [QueueSnapshot]
  public var topics: [TopicCounters]
  public var functions: [FunctionSnapshot]
  public var mappings: [MappingSnapshot]
  /// Objects and bytes in each bucket.
  public var buckets: [(objects: Int, bytes: Int)]
  public var sinks: [(name: String, received: Int)]
  public var moveTasks: [MessageMoveTask]
  public var fired: Int
  public var completed: Int
  public var failed: Int
  public var collisions: Int
  public var notifications: Int
  /// What the run has cost so far at `Simulation.prices`, and its rate per hour of virtual time.
  public var costUSD = 0.0
  public var costPerHourUSD: Double?
}

extension Simulation {
  /// The pipeline's shape, for an observer.
  public var layout: PipelineLayout {
    var outputs = Array(repeating: PipelineLayout.Outputs(), count: functions.count)
    for f in functions {
      var o = PipelineLayout.Outputs()
      switch f.plan.kind {
      case .preprocessor(let t, _):
        o.topics = [t]
        o.buckets = [f.plan.bucket]
      case .service(let t, let stage):
        o.topics = [t]
        o.buckets = [f.plan.bucket]
        o.stage = stage
      case .steps:
        if let p = f.program {
          o.topics = p.topics
          o.queues = p.queues
          o.buckets = p.buckets
          o.stage = p.stage.flatMap { $0 >= 0 ? $0 : nil }
        }
      case .external:
        // Code names what it writes to in its environment, as the article's does
        // (SNS_TOPIC_ARN_CONNECTOR, S3_BUCKET): the topics, queues and buckets named there.
        if case .process(let h) = f.spec.handler {
          let values = Set(h.environment.map(\.value))
          o.topics = topics.filter { values.contains($0.arn) }.map(\.index)
          o.queues = queues.filter { values.contains($0.arn) || values.contains($0.url) }.map(\.index)
          o.buckets = buckets.indices.filter {
            values.contains(buckets[$0].name) || values.contains("arn:aws:s3:::" + buckets[$0].name)
          }
          o.stage = tracker.stages.firstIndex(of: f.name)
        }
      case .compute: break
      }
      outputs[f.index] = o
    }
    return PipelineLayout(
      seed: seed, region: topology.region, account: topology.account, startTime: topology.startTime,
      queues: queues.map { q in
        PipelineLayout.Queue(
          name: q.name, arn: q.arn, url: q.url, spec: q.spec, deadLetterQueue: q.deadLetterQueue,
          sourceQueues: queues.filter { $0.deadLetterQueue == q.index }.map(\.index), mappings: q.mappings)
      },
      topics: topics.map { t in
        PipelineLayout.Topic(
          name: t.name,
          subscriptions: t.subscriptions.map {
            PipelineLayout.Subscription(
              endpointName: $0.endpointName, queue: $0.queue, function: $0.function,
              rawMessageDelivery: $0.spec.rawMessageDelivery, hasFilterPolicy: $0.filter != nil)
          })
      },
      functions: functions.map { PipelineLayout.Function(name: $0.name, spec: $0.spec, outputs: outputs[$0.index]) },
      mappings: mappings.map {
        PipelineLayout.Mapping(name: $0.name, queue: $0.queue, function: $0.function, spec: $0.spec)
      },
      buckets: buckets.map(\.name), entryFunction: entryFunction, stages: tracker.stages)
  }

  /// The public counters now. Reading them changes nothing.
  public func snapshot() -> PipelineSnapshot {
    var snap = PipelineSnapshot(
      now: now, jobsExecuted: jobsExecuted, events: eventCount,
      queues: queues.map { q in
        QueueSnapshot(
          visible: q.visibleCount, inFlight: q.inFlightCount, delayed: q.delayedCount,
          ageOfOldestMessage: q.ageOfOldestMessage(now: now), emptyReceives: emptyReceives(q), counters: q.counters,
          duplicateRate: q.duplicateRate)
      },
      topics: topics.map(\.counters),
      functions: functions.map {
        FunctionSnapshot(
          running: $0.running, warmEnvironments: $0.warmEnvironments(now: now), counters: $0.counters,
          async: $0.async, failure: $0.failure)
      },
      mappings: mappings.map {
        MappingSnapshot(enabled: $0.enabled, target: $0.target, busy: $0.busy, counters: $0.counters)
      },
      buckets: buckets.map { ($0.objectCount, $0.totalBytes) }, sinks: sinks.map { ($0.name, $0.received) },
      moveTasks: moveTasks, fired: tracker.fired, completed: tracker.completed, failed: tracker.failedCount,
      collisions: tracker.collidingFires, notifications: tracker.notifications)
    let c = cost(prices: prices)
    snap.costUSD = c.totalUSD
    snap.costPerHourUSD = c.hourlyUSD
    return snap
  }
}
