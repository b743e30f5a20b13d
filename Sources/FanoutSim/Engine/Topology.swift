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

/// Latencies of the AWS calls the simulation makes, as distributions. Each default is calibrated
/// against a published measurement; docs/TIMINGS.md gives the sources, their percentiles and
/// fanout's, and the tolerance the tests hold them to.
public struct LatencySpec: Sendable {
  /// S3 GetObject of a small object from the same region. Calibrated on the 1 KB objects of
  /// https://github.com/dvassallo/s3-benchmark (EC2 in us-west-2, April 2019, 1,000 GETs per cell;
  /// one thread: time to last byte p50 9.3 ms, p90 12.3 ms, p99 53.9 ms). The p99 is six medians
  /// out, so a slow tail: 3.7 % of GETs come from a second log-normal around 40 ms.
  public var s3Get: DurationModel = .lognormalWithTail(
    median: .milliseconds(9.2), sigma: 0.22, tailProbability: 0.037, tailMedian: .milliseconds(40), tailSigma: 0.48)
  /// S3 PutObject of a small object from the same region. Calibrated on
  /// https://github.com/sirupsen/napkin-math/pull/39 (us-east-1, 128 KiB PUT, one connection:
  /// p50 30 ms, p90 54 ms, p99 88 ms), which a single log-normal reproduces.
  public var s3Put: DurationModel = .lognormal(median: .milliseconds(30), sigma: 0.46)
  /// SNS Publish (the API call, until it returns). No per-call distribution is published: it is
  /// taken to be SendMessage's (both calls store the message durably before they answer), and the
  /// publish → queue → handler path it is part of is held to the estimate docs/TIMINGS.md derives
  /// from https://bitesizedserverless.com/bite/serverless-messaging-latency-compared/.
  public var snsPublish: DurationModel = .lognormalWithTail(
    median: .milliseconds(8), sigma: 0.18, tailProbability: 0.15, tailMedian: .milliseconds(35), tailSigma: 0.68)
  /// From a publish returning to the message landing in a subscribed queue or endpoint: the SNS
  /// hop, about 12 ms at the median (SNS FIFO → SQS FIFO → Lambda minus SQS FIFO → Lambda in the
  /// bitesizedserverless measurement above; the standard path is taken to pay the same hop).
  public var snsDelivery: DurationModel = .lognormal(median: .milliseconds(11.5), sigma: 0.2)
  /// SQS SendMessage from a function. With `pollPickup` it makes the SendMessage → Lambda handler
  /// path that https://bitesizedserverless.com/bite/serverless-messaging-latency-compared/
  /// measured (eu-west-1, September 2022, 1,024 messages: p10 13.7 ms, p50 16.2 ms, p90 33.8 ms,
  /// p99 105 ms); the call's own median is ~8 ms (AWS support: 5–10 ms server-side,
  /// https://github.com/aws/aws-sdk-js/issues/3391), and the slow tail is the call's.
  public var sqsSend: DurationModel = .lognormalWithTail(
    median: .milliseconds(8), sigma: 0.18, tailProbability: 0.15, tailMedian: .milliseconds(35), tailSigma: 0.68)
  /// From a message becoming visible to an idle long-polling Lambda poller picking it up and the
  /// handler starting: the rest of the measured SendMessage → handler path (see `sqsSend`).
  public var pollPickup: DurationModel = .lognormal(median: .milliseconds(7.7), sigma: 0.15)
  /// From an invocation's end to its poller's next receive: DeleteMessageBatch, then a
  /// ReceiveMessage call (two SQS calls of ~8 ms median each, as `sqsSend`) and Lambda's own
  /// bookkeeping. 25 ms at the median reproduces the cold starts a minute that the ramp
  /// experiments measured (calibration/esm-ramp-*.yaml, docs/POLLERS.md).
  public var pollerTurnaround: DurationModel = .lognormal(median: .milliseconds(25), sigma: 0.3)
  /// From an asynchronous invocation being accepted (SNS invoking a subscribed function, or
  /// Invoke with InvocationType Event) to the handler starting: Lambda's internal queue and its
  /// reader. Fitted so that Publish → SNS → Lambda handler (`snsPublish` + `snsDelivery` + this)
  /// reproduces the SNS standard → Lambda row of
  /// https://bitesizedserverless.com/bite/serverless-messaging-latency-compared/ (p10 62 ms,
  /// p50 73 ms, p90 125 ms, p99 225 ms; docs/TIMINGS.md).
  public var asyncPickup: DurationModel = .lognormalWithTail(
    median: .milliseconds(50), sigma: 0.15, tailProbability: 0.15, tailMedian: .milliseconds(100), tailSigma: 0.4)
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
  /// A Lambda function of the topology, by name (protocol `lambda`): SNS invokes it
  /// asynchronously (`AsyncInvoke.swift`).
  case function(String)
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
  /// The subscription's RedrivePolicy: the SQS queue (by name) that holds the messages SNS could
  /// not deliver to the endpoint (https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html).
  public var deadLetterQueue: String?
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
  /// The queue's `Policy` attribute: nil when the topology does not say (fanout then lets every
  /// SNS subscription deliver, as before policies were modelled); `.none` for a queue without a
  /// policy (every SNS delivery to it is denied, as AWS denies it); else the document, which SNS
  /// deliveries must be allowed by (`QueuePolicy`). Checked once, when the simulation is built.
  public var policy: QueuePolicy?
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
  /// A program of steps (`Steps.swift`): what any handler does, per invocation or per record.
  case steps(StepProgram)
  /// The function's code is a process outside the simulation (`ExternalInvocation.swift`): each
  /// invocation is handed to the `ExternalInvoker`, which runs the code (through the Lambda
  /// Runtime API) and reports its result.
  case process(ProcessHandler)
}

/// A function whose code is a process: the command that starts one execution environment, its
/// working directory and its environment variables (besides those Lambda sets).
public struct ProcessHandler: Sendable, Equatable {
  public var command: [String]
  public var cwd: String?
  public var environment: [EnvironmentVariable]
  public init(command: [String], cwd: String? = nil, environment: [EnvironmentVariable] = []) {
    self.command = command
    self.cwd = cwd
    self.environment = environment
  }
}

/// One environment variable, in the order the scenario gives them.
public struct EnvironmentVariable: Sendable, Equatable {
  public var name: String
  public var value: String
  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }
}

extension FunctionSpec {
  /// The handler as a program of steps: every handler is one (the seed's are built by
  /// `StepProgram.seedPreprocessor` and `StepProgram.seedService`, `forward` by
  /// `StepProgram.forward`; `compute` is the empty program).
  public var program: StepProgram {
    switch handler {
    case .seedPreprocessor(let bucket, let prefix, let stage, let topic):
      return .seedPreprocessor(bucket: bucket, prefix: prefix, stage: stage, topic: topic)
    case .seedService(let bucket, let prefix, let previous, let stage, let topic):
      return .seedService(
        bucket: bucket, prefix: prefix, previous: previous, stage: stage, topic: topic, edit: seedEdit,
        idempotent: idempotent)
    case .forward(let topic, let queue): return .forward(topic: topic, queue: queue)
    case .compute, .process: return StepProgram()
    case .steps(let p): return p
    }
  }
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
  /// The Lambda runtime (CreateFunction's `Runtime`, one of `Limits.Lambda.runtimes`). It selects
  /// the default cold start.
  public var runtime = LambdaRuntimes.seedRuntime
  /// The init duration of a cold start as given for this function; nil takes the runtime's
  /// published one.
  public var coldStartOverride: DurationModel?
  /// Init duration of a cold start: `coldStartOverride`, else the runtime's published one
  /// (`LambdaRuntimes.coldStarts`). Setting it sets the override.
  public var coldStart: DurationModel {
    get {
      coldStartOverride ?? LambdaRuntimes.coldStart(runtime) ?? LambdaRuntimes.coldStart(LambdaRuntimes.seedRuntime)!
    }
    set { coldStartOverride = newValue }
  }
  /// The handler's own compute time per invocation, beyond the AWS calls it makes. Calibrated on
  /// lambda-perf's Python 3.12 function (128 MB, x86_64): the mean `Duration` of each day's ~10
  /// invocations has p10 1.84 ms, p50 1.99 ms, p90 3.5 ms over 78 days
  /// (https://github.com/maxday/lambda-perf); an occasional slow invocation (3 %) makes that tail.
  public var duration: DurationModel = .lognormalWithTail(
    median: .milliseconds(1.9), sigma: 0.16, tailProbability: 0.03, tailMedian: .milliseconds(13), tailSigma: 0.6)
  /// Extra compute time per record of a batch: the seed service's JSON work (parse the ~1 KB SNS
  /// envelope and the object, write the object back), about 80 µs on one vCPU, times 1,769 / 128 =
  /// 13.8 at Lambda's default 128 MB (Lambda gives one vCPU at 1,769 MB,
  /// https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). No distribution is
  /// published; docs/TIMINGS.md gives the derivation.
  public var perRecord: DurationModel = .lognormal(median: .milliseconds(1), sigma: 0.3)
  /// How long an idle execution environment stays warm: 10 minutes after its last request, as
  /// measured since July 2019 (https://mikhail.io/2019/08/aws-lambda-cold-starts-after-10-minutes/).
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
  /// MemorySize, 128–10,240 MB (default 128): what a GB-second of its duration is billed on.
  /// fanout's timings do not scale with it (give `duration` and `coldStart` for another size).
  public var memorySize = 128
  /// Architectures: x86_64 (the default) or arm64, billed at different GB-second rates.
  public var architecture = Architecture.x86_64
  /// How Lambda retries asynchronous invocations and where it sends their records
  /// (PutFunctionEventInvokeConfig).
  public var eventInvokeConfig = EventInvokeConfig()
  /// DeadLetterConfig.TargetArn: the SQS queue or SNS topic that gets the events of asynchronous
  /// invocations Lambda discards.
  public var deadLetter: AsyncTarget?
  /// The function's resource-based policy as far as SNS is concerned: nil when the topology does
  /// not say (every SNS subscription may invoke it, as before permissions were modelled); else the
  /// topics allowed to invoke it (`AWS::Lambda::Permission` with principal `sns.amazonaws.com`):
  /// ARN patterns, `*` for any, empty for none (every SNS delivery to it is denied).
  public var snsInvokePermissions: [String]?
  public init(name: String, handler: HandlerSpec) {
    self.name = name
    self.handler = handler
  }
}

/// A function's instruction set (CreateFunction's `Architectures`).
public enum Architecture: String, Sendable, CaseIterable {
  case x86_64
  case arm64
}

/// Where Lambda sends an asynchronous invocation's record or discarded event.
public enum AsyncTarget: Sendable, Equatable {
  case queue(String)
  case topic(String)
}

/// A function's event invoke config (PutFunctionEventInvokeConfig), with AWS's defaults:
/// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html.
public struct EventInvokeConfig: Sendable, Equatable {
  /// MaximumRetryAttempts: 0–2, default 2 (retries after a function error).
  public var maximumRetryAttempts = 2
  /// MaximumEventAgeInSeconds: 60–21,600, default 21,600 (6 hours).
  public var maximumEventAge: SimDuration = .seconds(21_600)
  /// DestinationConfig.OnSuccess / OnFailure.
  public var onSuccess: AsyncTarget?
  public var onFailure: AsyncTarget?
  public init() {}
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
