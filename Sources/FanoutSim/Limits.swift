// MARK: - AWS's limits, once
//
// Every range and fixed limit fanout enforces, with AWS's names and AWS's units, and the words
// AWS answers with when a value is out of range. The scenario parser (which adds
// `file:line:column`), the simulation's topology checks and its API commands all ask these, so
// no range or refusal text is written twice.

/// The unit AWS states a limit in.
public enum AWSUnit: Sendable, Equatable {
  case seconds, bytes, count
}

/// How AWS words the refusal of a value out of range.
public enum RefusalStyle: Sendable, Equatable {
  /// SQS queue attributes (CreateQueue, SetQueueAttributes): `InvalidAttributeValue`.
  case sqsAttribute
  /// SQS request parameters (ReceiveMessage, SendMessage, ChangeMessageVisibility, …):
  /// `Value X for parameter P is invalid. Reason: Must be between A and B` and a tail.
  case sqsParameter(tail: String)
  /// Lambda's request validation of a member (`timeout`, `batchSize`, …).
  case lambdaConstraint(member: String)
}

/// One limit of an AWS attribute or parameter: its name as AWS spells it, its range in AWS's
/// units, and how AWS refuses a value outside it.
public struct AWSLimit: Sendable, Equatable {
  /// The attribute's or parameter's name, as AWS spells it (`VisibilityTimeout`).
  public let name: String
  public let range: ClosedRange<Int64>
  public let unit: AWSUnit
  public let style: RefusalStyle

  public init(_ name: String, _ range: ClosedRange<Int64>, _ unit: AWSUnit, _ style: RefusalStyle) {
    self.name = name
    self.range = range
    self.unit = unit
    self.style = style
  }

  /// The range as a span of time (for limits in seconds).
  public var spans: ClosedRange<SimDuration> { .seconds(range.lowerBound) ... .seconds(range.upperBound) }

  /// Whether a value in AWS's unit is allowed.
  public func allows(_ value: Int64) -> Bool { range.contains(value) }

  /// Whether a span is allowed (for limits in seconds; AWS takes whole seconds).
  public func allows(_ span: SimDuration) -> Bool { spans.contains(span) }

  /// AWS's words refusing `value` (in AWS's unit), or nil when it is allowed.
  public func refusal(_ value: Int64) -> String? {
    allows(value) ? nil : refusalText(value)
  }

  /// AWS's words refusing a span, or nil when it is allowed.
  public func refusal(_ span: SimDuration) -> String? {
    allows(span) ? nil : refusalText(span.wholeSeconds)
  }

  /// AWS's words for `value` out of range, whatever it is.
  public func refusalText(_ value: Int64) -> String {
    let lo = range.lowerBound
    let hi = range.upperBound
    switch style {
    case .sqsAttribute:
      let unitText = unit == .seconds ? " seconds" : unit == .bytes ? " bytes" : ""
      return "Invalid value for the parameter \(name). Reason: must be between \(lo) and \(hi)\(unitText)."
    case .sqsParameter(let tail):
      return "Value \(value) for parameter \(name) is invalid. Reason: Must be between \(lo) and \(hi)\(tail)"
    case .lambdaConstraint(let member):
      return
        "1 validation error detected: Value \(value) at '\(member)' failed to satisfy constraint: Member must have value between \(lo) and \(hi)"
    }
  }
}

/// Every AWS limit fanout models.
public enum Limits {
  /// Amazon SQS (standard queues): the API reference's attribute and parameter ranges.
  public enum SQS {
    // Queue attributes (CreateQueue / SetQueueAttributes).
    public static let visibilityTimeout = AWSLimit("VisibilityTimeout", 0...43_200, .seconds, .sqsAttribute)
    public static let delaySeconds = AWSLimit("DelaySeconds", 0...900, .seconds, .sqsAttribute)
    public static let messageRetentionPeriod = AWSLimit(
      "MessageRetentionPeriod", 60...1_209_600, .seconds, .sqsAttribute)
    public static let receiveMessageWaitTimeSeconds = AWSLimit(
      "ReceiveMessageWaitTimeSeconds", 0...20, .seconds, .sqsAttribute)
    public static let maximumMessageSize = AWSLimit("MaximumMessageSize", 1_024...1_048_576, .bytes, .sqsAttribute)
    /// RedrivePolicy's maxReceiveCount.
    public static let maxReceiveCount = AWSLimit("maxReceiveCount", 1...1_000, .count, .sqsAttribute)
    /// AWS's recommendation for maxReceiveCount (a warning, not a refusal).
    public static let recommendedMinimumMaxReceiveCount = 5

    // Request parameters.
    /// SendMessage's DelaySeconds.
    public static let sendDelaySeconds = AWSLimit("DelaySeconds", 0...900, .seconds, .sqsParameter(tail: "."))
    /// ReceiveMessage's MaxNumberOfMessages.
    public static let maxNumberOfMessages = AWSLimit(
      "MaxNumberOfMessages", 1...10, .count, .sqsParameter(tail: ", if provided."))
    /// ReceiveMessage's WaitTimeSeconds.
    public static let waitTimeSeconds = AWSLimit("WaitTimeSeconds", 0...20, .seconds, .sqsParameter(tail: "."))
    /// ChangeMessageVisibility's (and ReceiveMessage's) VisibilityTimeout.
    public static let changeVisibilityTimeout = AWSLimit(
      "VisibilityTimeout", 0...43_200, .seconds, .sqsParameter(tail: "."))
    /// A message's visibility timeout, counted from the receive, may not pass this (12 hours),
    /// however often ChangeMessageVisibility extends it.
    public static let maxTotalVisibility = SimDuration.seconds(43_200)
    /// StartMessageMoveTask's MaxNumberOfMessagesPerSecond.
    public static let maxNumberOfMessagesPerSecond = AWSLimit(
      "MaxNumberOfMessagesPerSecond", 1...500, .count, .sqsParameter(tail: "."))

    /// Message attributes per message.
    public static let maxMessageAttributes = 10
    /// In-flight messages per standard queue before ReceiveMessage answers OverLimit.
    public static let maxInFlightMessages = 120_000
    /// A second PurgeQueue within this span fails with PurgeQueueInProgress.
    public static let purgeInterval = SimDuration.seconds(60)
  }

  /// Amazon SNS (standard topics).
  public enum SNS {
    /// A publish, message and attributes together.
    public static let maxPublishBytes = 262_144
    /// Keys in a filter policy.
    public static let maxFilterPolicyKeys = 5
    /// Value combinations in a filter policy.
    public static let maxFilterPolicyCombinations = 150
    /// Numbers in a filter policy lie within ±10⁹, with at most 5 decimals.
    public static let maxFilterPolicyNumber = 1_000_000_000.0
    public static let maxFilterPolicyDecimals = 5
  }

  /// AWS Lambda and its SQS event source mapping.
  public enum Lambda {
    public static let timeout = AWSLimit("Timeout", 1...900, .seconds, .lambdaConstraint(member: "timeout"))
    public static let batchSize = AWSLimit("BatchSize", 1...10_000, .count, .lambdaConstraint(member: "batchSize"))
    public static let maximumBatchingWindow = AWSLimit(
      "MaximumBatchingWindowInSeconds", 0...300, .seconds,
      .lambdaConstraint(member: "maximumBatchingWindowInSeconds"))
    public static let maximumConcurrency = AWSLimit(
      "MaximumConcurrency", 2...1_000, .count, .lambdaConstraint(member: "scalingConfig.maximumConcurrency"))
    /// CreateFunction's MemorySize: 128–10,240 MB (botocore's Lambda model).
    public static let memorySize = AWSLimit("MemorySize", 128...10_240, .count, .lambdaConstraint(member: "memorySize"))
    /// PutFunctionEventInvokeConfig (botocore's Lambda model: MaximumRetryAttempts 0–2,
    /// MaximumEventAgeInSeconds 60–21,600).
    public static let maximumRetryAttempts = AWSLimit(
      "MaximumRetryAttempts", 0...2, .count, .lambdaConstraint(member: "maximumRetryAttempts"))
    public static let maximumEventAge = AWSLimit(
      "MaximumEventAgeInSeconds", 60...21_600, .seconds, .lambdaConstraint(member: "maximumEventAgeInSeconds"))
    /// The payload of an asynchronous invocation (Invoke with InvocationType Event): 1 MB since
    /// October 2025, 256 KB before
    /// (https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb).
    public static let maxAsyncPayloadBytes = 1_048_576
    /// ProvisionedPollerConfig for an SQS mapping: 2–200 minimum and 2–2,000 maximum pollers
    /// (Lambda developer guide, "Lambda parameters for Amazon SQS event source mappings").
    public static let minimumPollers = AWSLimit(
      "MinimumPollers", 2...200, .count, .lambdaConstraint(member: "provisionedPollerConfig.minimumPollers"))
    public static let maximumPollers = AWSLimit(
      "MaximumPollers", 2...2_000, .count, .lambdaConstraint(member: "provisionedPollerConfig.maximumPollers"))
    /// Each provisioned SQS poller handles up to 10 concurrent invokes (same page).
    public static let invokesPerProvisionedPoller = 10
    /// On demand, an SQS mapping processes at most 1,000 batches at once (Lambda developer guide,
    /// "Configuring scaling behavior for SQS event source mappings"; older material said 1,250).
    public static let onDemandPollerConcurrency = 1_000
    /// Provisioned mode scales up to 1,000 concurrent invokes a minute ("up to 3x faster" than
    /// on demand's 300; AWS launch post, 2025): 10 invokes (one poller) per 600 ms step.
    public static let provisionedScaleStepSize = 10
    /// A batch above this many records needs a batching window of at least a second.
    public static let batchSizeWithoutWindow: Int64 = 10
    /// The invocation payload (a batch's records) for a synchronous invocation.
    public static let maxPayloadBytes = 6 * 1_024 * 1_024
    /// The account's concurrent executions, by default.
    public static let defaultAccountConcurrency = 1_000
    /// Lambda keeps at least this many of the account's executions unreserved: reserved
    /// concurrency may take only the rest.
    public static let minimumUnreservedConcurrency = 100
    /// The range fanout accepts for an account's concurrency (AWS raises it on request).
    public static let accountConcurrency: ClosedRange<Int64> = 1...100_000
    /// Recursive loop detection: after this many invocations of a function in one chain of
    /// requests, Lambda stops the next one ("approximately 16",
    /// https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html).
    public static let recursiveLoopLimit = 16
    /// CreateFunction's `Runtime` values: the `Runtime` enum of botocore's Lambda model
    /// (botocore 1.43.11, data/lambda/2015-03-31/service-2.json), in the model's order.
    public static let runtimes = [
      "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x",
      "java8", "java8.al2", "java11", "python2.7", "python3.6", "python3.7", "python3.8", "python3.9",
      "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "nodejs4.3-edge",
      "go1.x", "ruby2.5", "ruby2.7", "provided", "provided.al2", "nodejs18.x", "python3.10", "java17", "ruby3.2",
      "ruby3.3", "ruby3.4", "python3.11", "nodejs20.x", "provided.al2023", "python3.12", "java21", "python3.13",
      "nodejs22.x", "nodejs24.x", "python3.14", "java25", "dotnet10", "ruby4.0",
    ]
    /// Lambda's words (InvalidParameterValueException) refusing a `Runtime` that is neither one of
    /// the enum nor a runtime ARN (`arn:aws:lambda:<region>::runtime:…`), or nil when it is. The
    /// wording is what CreateFunction answers, as CloudFormation passes it on
    /// ("… Error Code: InvalidParameterValueException") and as LocalStack reproduces it
    /// (https://github.com/localstack/localstack/blob/master/localstack/services/lambda_/provider.py):
    /// the value unquoted, the enum in brackets, "or be a valid ARN". AWS lists the runtimes it
    /// accepts at the time; fanout lists botocore's enum.
    public static func runtimeRefusal(_ runtime: String) -> String? {
      if runtimes.contains(runtime) { return nil }
      if runtime.hasPrefix("arn:aws"), runtime.contains(":lambda:"), runtime.contains("::runtime:") { return nil }
      return "Value \(runtime) at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ["
        + runtimes.joined(separator: ", ") + "] or be a valid ARN"
    }
  }

  /// Amazon S3.
  public enum S3 {
    /// An object key, in UTF-8 bytes.
    public static let maxKeyBytes = 1_024
    /// Keys in one ListObjectsV2 page.
    public static let maxKeysPerPage = 1_000
  }
}
