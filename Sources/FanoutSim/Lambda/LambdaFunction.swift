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
  public internal(set) var counters = FunctionCounters()
  /// When each idle, warm environment became free, oldest first.
  var warm = Deque<SimTime>()
  var rng: SimRandom
  /// Outputs of the seed service's edit, by (bucket, input body number): bodies are numbered
  /// per bucket, and the edit of one body always gives the same output.
  var transformCache: [Int64: Result<Int32, HandlerError>] = [:]
  var lastTransform: (Int64, Result<Int32, HandlerError>)?
  /// Where the handler's names point, resolved once when the simulation is built.
  /// The handler resolved against the topology; set by the simulation once every component exists.
  var plan = HandlerPlan(kind: .forwardToQueue(0))

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

/// A Lambda SQS event source mapping: long-polling pollers that invoke the function with
/// batches, scaling between 5 and 1,250 concurrent batches.
public final class EventSourceMapping {
  public let index: Int
  public let name: String
  public let uuid: UUID128
  public let spec: MappingSpec
  public let queue: Int
  public let function: Int
  public internal(set) var enabled: Bool
  /// Concurrent batches the pollers aim for now.
  public internal(set) var target: Int
  /// Batches being invoked (or retried after a throttle).
  public internal(set) var busy = 0
  public internal(set) var counters = MappingCounters()
  var pumpScheduled = false
  /// When the current run of scale steps started (nil while the queue has nothing visible).
  var scaleClock: SimTime?
  var idleSince: SimTime?

  /// Empty receives the idle pollers have made since they went idle: one per poller per 20 s
  /// long poll. Counted when they wake instead of scheduling an event per poll.
  func idleEmptyReceives(now: SimTime) -> Int {
    guard enabled, let since = idleSince else { return 0 }
    return target * Int((now - since) / longPoll)
  }
  var gathering: Gathering?
  var gatherSerial = 0

  struct Gathering {
    var records: [BatchRecord]
    var bytes: Int
    var serial: Int
  }

  /// The most concurrent batches this mapping may reach: 1,250, or MaximumConcurrency.
  public var cap: Int { min(1_250, spec.maximumConcurrency ?? 1_250) }
  /// The floor it scales back to: 5 pollers (or the cap when lower).
  public var floor: Int { min(5, cap) }

  init(index: Int, spec: MappingSpec, queue: Int, function: Int, uuid: UUID128) {
    self.index = index
    self.spec = spec
    self.queue = queue
    self.function = function
    self.uuid = uuid
    self.enabled = spec.enabled
    name = spec.queue + "→" + spec.function
    target = min(5, min(1_250, spec.maximumConcurrency ?? 1_250))
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
    /// Passes each record's message on to a topic.
    case forwardToTopic(Int)
    /// Passes each record's body on to a queue.
    case forwardToQueue(Int)
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
    case .forwardToTopic, .forwardToQueue: return false
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
}

/// A running invocation and where its handler is.
final class Invocation {
  let id: Int
  let function: Int
  let trigger: Trigger
  let records: [BatchRecord]
  let start: SimTime
  let deadline: SimTime
  let cold: Bool
  var recordIndex = 0
  var phase = HandlerPhase.start
  var requestID: RequestID?
  var key = S3Bucket.Key.text("")
  /// The body a service will put, by number in its bucket.
  var output: Int32 = 0
  var failedItems: [Int] = []
  var skip: Set<Int> = []
  var pendingOutcome: InvocationOutcome?

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
