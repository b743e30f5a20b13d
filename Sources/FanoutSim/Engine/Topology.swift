// MARK: - What a simulation is built from

/// A whole pipeline: topics, queues, functions, event source mappings and buckets, plus the
/// latencies of the AWS calls between them. The built-in seed pipeline is one of these; scenario
/// files produce others.
public struct Topology: Sendable {
  public var region = "us-east-1"
  public var account = "123456789012"
  /// Virtual time at which the simulation starts.
  public var startTime: SimTime = CivilTime.instant(year: 2026, month: 1, day: 1)
  /// The account's concurrent executions limit (AWS default 1,000).
  public var accountConcurrency = Limits.Lambda.defaultAccountConcurrency
  public var topics: [TopicSpec] = []
  public var queues: [QueueSpec] = []
  public var functions: [FunctionSpec] = []
  public var mappings: [MappingSpec] = []
  public var buckets: [BucketSpec] = []
  public var latency = LatencySpec()
  /// The function a "fire a request" command invokes.
  public var entryFunction: String?

  public init() {}
}

/// Latencies of the AWS calls the simulation makes, as distributions.
public struct LatencySpec: Sendable {
  /// S3 GetObject from a Lambda function in the same region.
  public var s3Get: DurationModel = .lognormal(median: .milliseconds(12), sigma: 0.35)
  /// S3 PutObject.
  public var s3Put: DurationModel = .lognormal(median: .milliseconds(25), sigma: 0.35)
  /// SNS Publish (the API call, until it returns).
  public var snsPublish: DurationModel = .lognormal(median: .milliseconds(15), sigma: 0.3)
  /// From a publish to the message landing in a subscribed queue or endpoint.
  public var snsDelivery: DurationModel = .lognormal(median: .milliseconds(40), sigma: 0.4)
  /// SQS SendMessage from a function.
  public var sqsSend: DurationModel = .lognormal(median: .milliseconds(8), sigma: 0.3)
  /// From a message becoming visible to an idle long-polling Lambda poller picking it up.
  public var pollPickup: DurationModel = .uniform(.milliseconds(2), .milliseconds(20))
  /// From an invocation's end to its poller's next receive: DeleteMessageBatch, then a
  /// ReceiveMessage call.
  public var pollerTurnaround: DurationModel = .lognormal(median: .milliseconds(25), sigma: 0.3)
  public init() {}
}

/// An SNS standard topic and its subscriptions, in subscription order.
public struct TopicSpec: Sendable {
  public var name: String
  public var subscriptions: [SubscriptionSpec]
  public init(name: String, subscriptions: [SubscriptionSpec] = []) {
    self.name = name
    self.subscriptions = subscriptions
  }
}

/// Where a subscription delivers.
public enum SubscriptionEndpoint: Equatable, Sendable {
  /// An SQS queue of the topology, by name.
  case queue(String)
  /// A recording endpoint that stands for an e-mail or HTTP subscriber.
  case sink(String)
}

/// An SNS subscription.
public struct SubscriptionSpec: Sendable {
  public var endpoint: SubscriptionEndpoint
  public var rawMessageDelivery = false
  /// The filter policy as JSON text, if any.
  public var filterPolicy: String?
  public var filterPolicyScope: FilterPolicyScope = .messageAttributes
  /// fanout's knob (AWS publishes no rate): the probability that SNS delivers a message to this
  /// subscription's queue twice, as two SQS messages with the same SNS MessageId in the envelope.
  /// 0 (the default) draws nothing. See `AtLeastOnce.swift`.
  public var duplicateRate = 0.0
  public init(
    endpoint: SubscriptionEndpoint, rawMessageDelivery: Bool = false, filterPolicy: String? = nil,
    filterPolicyScope: FilterPolicyScope = .messageAttributes
  ) {
    self.endpoint = endpoint
    self.rawMessageDelivery = rawMessageDelivery
    self.filterPolicy = filterPolicy
    self.filterPolicyScope = filterPolicyScope
  }
}

/// An SQS standard queue with AWS's attribute names and defaults.
public struct QueueSpec: Sendable {
  public var name: String
  public var visibilityTimeout: SimDuration = .seconds(30)
  /// DelaySeconds.
  public var delay: SimDuration = .zero
  public var messageRetentionPeriod: SimDuration = .seconds(345_600)
  public var maximumMessageSize = 1_048_576
  /// ReceiveMessageWaitTimeSeconds.
  public var receiveMessageWaitTime: SimDuration = .zero
  /// RedrivePolicy: the dead-letter queue's name and maxReceiveCount.
  public var redrive: (deadLetterQueue: String, maxReceiveCount: Int)?
  /// fanout's knob (AWS publishes no rate): the probability that a receive leaves a copy of the
  /// message visible on a server that missed the receive, so that the same message (same
  /// MessageId, its own receipt handle) is delivered again. 0 (the default) draws nothing. See
  /// `AtLeastOnce.swift`.
  public var duplicateRate = 0.0
  public init(name: String) { self.name = name }
}

/// Injected failures of a function, switchable at run time.
public struct FailureSpec: Equatable, Sendable {
  /// Probability that an invocation raises an error before doing anything.
  public var errorRate = 0.0
  /// Probability that an invocation hangs until the function timeout.
  public var timeoutRate = 0.0
  /// Probability that each record of a batch fails on its own; the function reports those in
  /// `batchItemFailures` (which Lambda only honours with ReportBatchItemFailures).
  public var itemFailureRate = 0.0
  /// Poison messages: a record whose request ID starts with one of these fails every time.
  public var poison: [String] = []
  /// Whether the handler catches a failing record and reports it in `batchItemFailures` (true),
  /// or lets the error fail the whole invocation (false).
  public var reportsItemFailures = false
  public init(
    errorRate: Double = 0, timeoutRate: Double = 0, itemFailureRate: Double = 0, poison: [String] = [],
    reportsItemFailures: Bool = false
  ) {
    self.errorRate = errorRate
    self.timeoutRate = timeoutRate
    self.itemFailureRate = itemFailureRate
    self.poison = poison
    self.reportsItemFailures = reportsItemFailures
  }
}

/// What a function's code does.
public enum HandlerSpec: Sendable {
  /// The seed preprocessor: request ID = MD5 of the timestamp, PUT the JSON object at
  /// `<prefix>/<stage>/<id>.json`, publish `{"request_id": "<id>"}` to a topic.
  case seedPreprocessor(bucket: String, prefix: String, stage: String, topic: String)
  /// A seed service: for each record, read the request ID from the SNS envelope, GET
  /// `<prefix>/<previous>/<id>.json`, set `key1` to null, PUT `<prefix>/<stage>/<id>.json`,
  /// publish `{"request_id": "<id>"}` to a topic.
  case seedService(bucket: String, prefix: String, previous: String, stage: String, topic: String)
  /// Passes each record's message on, unchanged, to a topic or to a queue.
  case forward(topic: String?, queue: String?)
  /// Only computes for its duration (plus its per-record time) and succeeds: the workload of a
  /// measurement, such as a function that sleeps 50 ms.
  case compute
}

/// The change a seed service makes: `data[field] = value` (the article: `key1` set to None).
public struct SeedEdit: Sendable, Equatable {
  public var field = "key1"
  public var value = JSONValue.null
  public init(field: String = "key1", value: JSONValue = .null) {
    self.field = field
    self.value = value
  }
}

/// A Lambda function.
public struct FunctionSpec: Sendable {
  public var name: String
  public var handler: HandlerSpec
  /// Function timeout (AWS default 3 s, range 1–900 s).
  public var timeout: SimDuration = .seconds(3)
  /// Reserved concurrency; nil draws on the account's unreserved pool.
  public var reservedConcurrency: Int?
  /// Init duration of a cold start.
  public var coldStart: DurationModel = .lognormal(median: .milliseconds(250), sigma: 0.25)
  /// The handler's own compute time per invocation, beyond the AWS calls it makes.
  public var duration: DurationModel = .lognormal(median: .milliseconds(3), sigma: 0.5)
  /// Extra compute time per record of a batch.
  public var perRecord: DurationModel = .lognormal(median: .milliseconds(1), sigma: 0.3)
  /// How long an idle execution environment stays warm.
  public var idleLifetime: SimDuration = .minutes(10)
  public var failure = FailureSpec()
  /// What a seed service changes in the object it reads: the field, and its new value.
  public var seedEdit = SeedEdit()
  /// An idempotent seed service: it puts its output with `If-None-Match: *` and, when S3 answers
  /// 412 PreconditionFailed (the object exists: this record was processed before), skips the
  /// record's publish. A duplicate delivery then writes nothing twice.
  public var idempotent = false
  /// Recursive loop detection (PutFunctionRecursionConfig): Terminate (AWS's default) or Allow.
  public var recursiveLoop = RecursiveLoop.terminate
  public init(name: String, handler: HandlerSpec) {
    self.name = name
    self.handler = handler
  }
}

/// A Lambda SQS event source mapping (the queue's "trigger").
public struct MappingSpec: Sendable {
  public var queue: String
  public var function: String
  public var batchSize = 10
  /// MaximumBatchingWindowInSeconds.
  public var maximumBatchingWindow: SimDuration = .zero
  public var enabled = true
  public var reportBatchItemFailures = false
  /// ScalingConfig.MaximumConcurrency (2–1000), nil for none.
  public var maximumConcurrency: Int?
  /// ProvisionedPollerConfig: dedicated pollers, each up to 10 concurrent invokes; nil for the
  /// default on-demand mode.
  public var provisionedPollers: ProvisionedPollers?
  public init(queue: String, function: String) {
    self.queue = queue
    self.function = function
  }
}

/// An SQS mapping's ProvisionedPollerConfig: MinimumPollers (2–200) and MaximumPollers (2–2,000).
public struct ProvisionedPollers: Sendable, Equatable {
  public var minimum: Int
  public var maximum: Int
  public init(minimum: Int = 2, maximum: Int = 200) {
    self.minimum = minimum
    self.maximum = maximum
  }
}

/// An S3 bucket.
public struct BucketSpec: Sendable {
  public var name: String
  public init(name: String) { self.name = name }
}

/// A topology AWS would refuse, in AWS's words.
public struct TopologyError: Error, CustomStringConvertible, Equatable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
