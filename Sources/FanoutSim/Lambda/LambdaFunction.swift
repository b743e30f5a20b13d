import DequeModule

// MARK: - Lambda functions

/// Counters of one function.
public struct FunctionCounters: Sendable, Equatable {
  public var invocations = 0
  public var errors = 0
  public var timeouts = 0
  public var throttles = 0
  public var coldStarts = 0
  public var maxConcurrency = 0
  public var totalDuration = SimDuration.zero
  public var recordsProcessed = 0
  /// RecursiveInvocationsDropped: invocations Lambda stopped as a recursive loop.
  public var recursiveInvocationsDropped = 0
  /// Billed duration: each invocation's duration (init included) rounded up to the millisecond.
  public var billedMilliseconds = 0
}

/// A Lambda function: its spec, its warm execution environments and its counters.
public final class LambdaFunction {
  public let index: Int
  public let name: String
  public let arn: String
  /// The `source` of the SQS sends its handler makes, made once.
  let sendSource: String
  public let spec: FunctionSpec
  public internal(set) var failure: FailureSpec
  public internal(set) var running = 0
  /// The most concurrent executions since the last `markPeak()`: a sampler reads it as
  /// CloudWatch's ConcurrentExecutions Maximum for its period.
  public internal(set) var peakRunning = 0
  /// Counts UpdateFunctionCode calls: an environment of an older version is not reused.
  var codeVersion = 0
  /// Starts a new peak period at the current concurrency.
  public func markPeak() { peakRunning = running }
  public internal(set) var counters = FunctionCounters()
  /// Its asynchronous invocations (SNS subscriptions): `AsyncInvoke.swift`.
  public internal(set) var async = AsyncCounters()
  /// When each idle, warm environment became free, oldest first.
  var warm = Deque<SimTime>()
  var rng: SimRandom
  /// Outputs of the seed service's edit, by (bucket, input body number): bodies are numbered
  /// per bucket, and the edit of one body always gives the same output.
  var transformCache: [Int64: Result<Int32, HandlerError>] = [:]
  var lastTransform: (Int64, Result<Int32, HandlerError>)?
  /// Where the handler's names point, resolved once when the simulation is built.
  /// The handler resolved against the topology; set by the simulation once every component exists.
  var plan = HandlerPlan(kind: .compute)
  /// The program a `.steps` plan runs.
  var program: CompiledProgram?

  init(index: Int, spec: FunctionSpec, region: String, account: String, seed: UInt64) {
    self.index = index
    self.name = spec.name
    self.spec = spec
    self.failure = spec.failure
    arn = "arn:aws:lambda:\(region):\(account):function:\(spec.name)"
    sendSource = "lambda:" + spec.name
    rng = SimRandom(seed: seed, stream: "lambda/" + spec.name)
  }

  /// Idle warm environments at `now`.
  public func warmEnvironments(now: SimTime) -> Int {
    warm.filter { now - $0 < spec.idleLifetime }.count
  }

  /// Takes a warm environment if one is still alive; false means a cold start.
  func takeWarm(now: SimTime) -> Bool {
    while let oldest = warm.first, now - oldest >= spec.idleLifetime { warm.removeFirst() }
    if warm.isEmpty { return false }
    warm.removeLast()
    return true
  }
}

// MARK: - Event source mappings

/// Counters of one event source mapping.
public struct MappingCounters: Sendable, Equatable {
  public var batches = 0
  public var records = 0
  public var maxBatches = 0
  public var throttles = 0
}

/// A Lambda SQS event source mapping: long-polling pollers that each hold one batch at a time
/// and invoke the function with it. The number of pollers (`target`) is the mapping's
/// concurrency: on demand it starts at 5, grows while messages wait, backs off on errors and
/// throttles and falls back when traffic is low (see `docs/POLLERS.md`); in provisioned mode it
/// stays between the configured minimum and maximum.
public final class EventSourceMapping {
  public let index: Int
  public let name: String
  public let uuid: UUID128
  /// Its settings; UpdateEventSourceMapping may change BatchSize (`Simulation+Invoke.swift`).
  public internal(set) var spec: MappingSpec
  public let queue: Int
  public let function: Int
  public internal(set) var enabled: Bool
  /// Concurrent batches the pollers may hold now: the number of pollers.
  public internal(set) var target: Int
  /// Pollers holding a batch: invoking it, waiting to retry it after a throttle, or deleting it
  /// and polling again.
  public internal(set) var busy = 0
  public internal(set) var counters = MappingCounters()
  /// Idle pollers whose long poll is about to return with a message that became visible.
  var wakes = 0
  /// Pollers whose invocation ended, deleting the batch and polling again.
  public internal(set) var returning = 0
  /// A scale step (or a throttle retry) is scheduled.
  var pumpScheduled = false
  /// Whether a message became visible since the last scale step.
  var arrivedSinceStep = false
  /// Whether errors or throttles backed the concurrency off below the floor: it climbs back by
  /// scale steps rather than jumping to 5.
  var backedOff = false
  /// When errors last backed the concurrency off.
  var lastBackoff: SimTime?
  /// The scale-down clock: the start of the current long poll period, the fewest idle pollers
  /// seen in it, and whether any message arrived in it.
  var periodStart: SimTime?
  var periodIdleLow = Int.max
  var periodSawMessages = false
  var idleCheckScheduled = false
  var idleSince: SimTime?
  /// With a batching window: the pollers not holding an invoked batch, each gathering its own.
  var gatherers = Deque<Gatherer>()
  var gatherSerial = 0

  /// Empty receives the idle pollers have made since they went idle: one per poller per 20 s
  /// long poll. Counted when they wake instead of scheduling an event per poll.
  func idleEmptyReceives(now: SimTime) -> Int {
    guard enabled, let since = idleSince else { return 0 }
    return target * Int((now - since) / longPoll)
  }

  /// A poller gathering a batch: its window starts when it became free (its previous invocation
  /// completed) and restarts each time it ends with nothing gathered.
  struct Gatherer {
    var serial: Int
    var freeSince: SimTime
    var records: [BatchRecord] = []
    var bytes = 0
    var windowEnd: SimTime?
  }

  /// Whether the mapping runs in provisioned mode (`ProvisionedPollerConfig`).
  public var provisioned: Bool { spec.provisionedPollers != nil }

  /// The most concurrent batches this mapping may reach: 1,000 on demand (AWS's current guide),
  /// 10 per provisioned poller, or MaximumConcurrency.
  public var cap: Int {
    let ceiling: Int
    if let p = spec.provisionedPollers {
      ceiling = p.maximum * Limits.Lambda.invokesPerProvisionedPoller
    } else {
      ceiling = Limits.Lambda.onDemandPollerConcurrency
    }
    return min(ceiling, spec.maximumConcurrency ?? ceiling)
  }
  /// The most pollers: enough to keep `cap` invocations running while others delete and poll.
  public var pollerCap: Int { cap * 2 }
  /// The concurrency it starts at when messages appear and keeps while they flow: 5 batches on
  /// demand, the minimum pollers' invokes in provisioned mode (or the cap when lower).
  public var floor: Int {
    if let p = spec.provisionedPollers { return min(cap, p.minimum * Limits.Lambda.invokesPerProvisionedPoller) }
    return min(5, cap)
  }
  /// What it falls back to when no message arrives for a whole long poll: 2 batches on demand
  /// without MaximumConcurrency (AWS's cost optimisation), else the floor.
  public var idleFloor: Int {
    if provisioned || spec.maximumConcurrency != nil { return floor }
    return min(2, floor)
  }
  /// How many batches it adds per scale step, and how often: +1 every 200 ms on demand (+300 a
  /// minute), +10 every 600 ms provisioned (+1,000 a minute).
  var stepSize: Int { provisioned ? Limits.Lambda.provisionedScaleStepSize : 1 }
  var stepInterval: SimDuration { provisioned ? .milliseconds(600) : scaleStep }

  init(index: Int, spec: MappingSpec, queue: Int, function: Int, uuid: UUID128, start: SimTime) {
    self.index = index
    self.spec = spec
    self.queue = queue
    self.function = function
    self.uuid = uuid
    self.enabled = spec.enabled
    name = spec.queue + "→" + spec.function
    target = 0
    target = floor
    // The pollers long-poll from the moment the mapping exists, messages or not: an unused queue
    // with a trigger still gets empty receives (AWS knowledge center).
    if spec.enabled { idleSince = start }
    if spec.maximumBatchingWindow > .zero {
      for _ in 0..<target {
        gatherSerial += 1
        gatherers.append(Gatherer(serial: gatherSerial, freeSince: start))
      }
    }
  }
}

/// A handler's names resolved to indices, so that running it hashes no string.
struct HandlerPlan {
  enum Kind: Equatable {
    /// The seed preprocessor: puts `body` and publishes its request ID to `topic`.
    case preprocessor(topic: Int, body: Int32)
    /// A seed service: gets, edits and puts the object, publishes to `topic`, completes `stage` (its
    /// index in the request tracker).
    case service(topic: Int, stage: Int)
    /// Computes, then succeeds.
    case compute
    /// Runs the function's program of steps (`LambdaFunction.program`).
    case steps
    /// Hands each invocation to the external invoker (`ExternalInvocation.swift`).
    case external
  }
  var kind: Kind
  /// The bucket a seed handler reads and writes.
  var bucket = 0
  var inputFolder: Int32 = 0
  var outputFolder: Int32 = 0

  /// Whether the handler writes to S3 (the seed handlers do; a forward does not).
  var writesObjects: Bool {
    switch kind {
    case .preprocessor, .service: return true
    case .compute, .steps, .external: return false
    }
  }

  var isPreprocessor: Bool {
    if case .preprocessor = kind { return true }
    return false
  }
}

/// Where a handler is: the AWS call whose completion its next step carries out.
enum HandlerPhase: UInt8 {
  /// Nothing called yet for the current record (or, for the preprocessor, the invocation).
  case start
  /// S3 GetObject returns.
  case s3Get
  /// S3 PutObject takes effect.
  case s3Put
  /// SNS Publish takes effect.
  case snsPublish
  /// A forward's publish or send takes effect.
  case forward
  /// The call (or wait) of the program step at `Invocation.pc` completes.
  case awaiting
}

/// One received message in a batch.
struct BatchRecord {
  var queue: Int
  var key: Int64
  var receiveCount: Int
  var messageId: UUID128
  var body: MessageBody
  var bytes: Int
  var visibleUntil: SimTime
}

/// How a function was invoked.
enum Trigger {
  case direct(fire: Int?)
  case mapping(Int)
  /// An asynchronous invocation: the event's ID (`Simulation.asyncEvents`).
  case async(Int)

  var isAsync: Bool {
    if case .async = self { return true }
    return false
  }
}

/// A running invocation and where its handler is.
final class Invocation {
  let id: Int
  let function: Int
  let trigger: Trigger
  let records: [BatchRecord]
  let start: SimTime
  /// When it times out; a process function's cold start moves it once its init has ended.
  var deadline: SimTime
  let cold: Bool
  /// A process function's cold start whose init phase ended (its process asked for the event).
  var initEnded = false
  var recordIndex = 0
  var phase = HandlerPhase.start
  var requestID: RequestID?
  var key = S3Bucket.Key.text("")
  /// The body a service will put, by number in its bucket.
  var output: Int32 = 0
  var failedItems: [Int] = []
  var skip: Set<Int> = []
  /// A program's step, its variables and the publish or send it prepared.
  var pc = 0
  var slots: [StepValue] = []
  var call: PendingCall?
  var pendingOutcome: InvocationOutcome?
  /// The function's code version when it started.
  var codeVersion = 0
  /// An external invocation that ended (its result came, or it timed out): a later job for it
  /// does nothing.
  var ended = false
  /// The environment is not reused after it (a crashed process).
  var discardsEnvironment = false
  /// A process function's response, as it returned it.
  var response: String?

  init(id: Int, function: Int, trigger: Trigger, records: [BatchRecord], start: SimTime, deadline: SimTime, cold: Bool)
  {
    self.id = id
    self.function = function
    self.trigger = trigger
    self.records = records
    self.start = start
    self.deadline = deadline
    self.cold = cold
  }
}

/// A batch waiting to be invoked again after a throttle.
struct PendingBatch {
  var mapping: Int
  var records: [BatchRecord]
  var attempt: Int
}
