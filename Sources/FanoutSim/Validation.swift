// MARK: - The one validator of AWS's rules
//
// Every rule AWS enforces on a topology (an error: AWS would refuse it) and every recommendation
// AWS makes about one (a warning), in AWS's words. The simulation refuses a topology with an
// error; the scenario parser reports each problem at the YAML node of its component and
// attribute. Ranges and their texts come from `Limits`.

/// Where in a topology a problem lies: the component and, when one attribute is to blame, its
/// name as AWS spells it.
public enum TopologyPlace: Equatable, Sendable, CustomStringConvertible {
  case topology(attribute: String?)
  case queue(String, attribute: String?)
  case function(String, attribute: String?)
  /// The mapping at this index of `Topology.mappings`.
  case mapping(Int, attribute: String?)
  /// Subscription `index` of a topic.
  case subscription(topic: String, index: Int, attribute: String?)

  public var description: String {
    switch self {
    case .topology: return "topology"
    case .queue(let q, _): return "queue \(q)"
    case .function(let f, _): return "function \(f)"
    case .mapping(let i, _): return "event source mapping \(i + 1)"
    case .subscription(let t, let i, _): return "subscription \(i + 1) of \(t)"
    }
  }
}

/// One rule broken, or one recommendation ignored.
public struct TopologyProblem: Equatable, Sendable, CustomStringConvertible {
  public enum Severity: Sendable, Equatable {
    /// AWS would refuse it.
    case error
    /// AWS recommends otherwise.
    case warning
  }
  public var severity: Severity
  public var place: TopologyPlace
  /// AWS's words (or, for a recommendation, what AWS recommends).
  public var message: String

  public init(_ severity: Severity, _ place: TopologyPlace, _ message: String) {
    self.severity = severity
    self.place = place
    self.message = message
  }

  /// The message with the component it is about.
  public var description: String { "\(message) (\(place))" }
}

extension Topology {
  /// Every AWS rule this topology breaks and every AWS recommendation it ignores, in topology
  /// order. Names that refer to nothing are not checked here: the simulation and the parser
  /// report those where the reference is made.
  public func problems() -> [TopologyProblem] {
    var out: [TopologyProblem] = []
    func error(_ place: TopologyPlace, _ text: String?) {
      if let text { out.append(TopologyProblem(.error, place, text)) }
    }
    // Queues.
    for q in queues {
      func at(_ a: String) -> TopologyPlace { .queue(q.name, attribute: a) }
      error(at("VisibilityTimeout"), Limits.SQS.visibilityTimeout.refusal(q.visibilityTimeout))
      error(at("DelaySeconds"), Limits.SQS.delaySeconds.refusal(q.delay))
      error(at("MessageRetentionPeriod"), Limits.SQS.messageRetentionPeriod.refusal(q.messageRetentionPeriod))
      error(
        at("ReceiveMessageWaitTimeSeconds"),
        Limits.SQS.receiveMessageWaitTimeSeconds.refusal(q.receiveMessageWaitTime))
      error(at("MaximumMessageSize"), Limits.SQS.maximumMessageSize.refusal(Int64(q.maximumMessageSize)))
      if let r = q.redrive {
        if !Limits.SQS.maxReceiveCount.allows(Int64(r.maxReceiveCount)) {
          error(
            at("RedrivePolicy.maxReceiveCount"),
            "Value \(r.maxReceiveCount) for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: \(r.maxReceiveCount), valid values are from \(Limits.SQS.maxReceiveCount.range.lowerBound) to \(Limits.SQS.maxReceiveCount.range.upperBound) both inclusive."
          )
        } else if r.maxReceiveCount < Limits.SQS.recommendedMinimumMaxReceiveCount {
          out.append(
            TopologyProblem(
              .warning, at("RedrivePolicy.maxReceiveCount"),
              "AWS recommends maxReceiveCount of at least \(Limits.SQS.recommendedMinimumMaxReceiveCount) (here \(r.maxReceiveCount))"
            ))
        }
      }
    }
    // Topics: filter policies parse and keep within AWS's limits.
    for t in topics {
      for (i, s) in t.subscriptions.enumerated() {
        guard let p = s.filterPolicy else { continue }
        do { _ = try FilterPolicy(json: p, scope: s.filterPolicyScope) } catch {
          out.append(
            TopologyProblem(.error, .subscription(topic: t.name, index: i, attribute: "FilterPolicy"), "\(error)"))
        }
      }
    }
    // Queue policies: a subscription whose queue's policy denies SNS loses every delivery.
    for t in topics {
      for (i, s) in t.subscriptions.enumerated() {
        guard case .queue(let name) = s.endpoint, let q = queues.first(where: { $0.name == name }),
          let policy = q.policy
        else { continue }
        let topicArn = "arn:aws:sns:\(region):\(account):\(t.name)"
        let queueArn = "arn:aws:sqs:\(region):\(account):\(q.name)"
        let decision = policy.decision(topicArn: topicArn, topicAccount: account, queueArn: queueArn)
        guard decision != .allowed else { continue }
        let why =
          policy.document == nil
          ? "\(q.name) has no queue policy"
          : decision == .explicitDeny
            ? "\(q.name)'s Policy denies it" : "\(q.name)'s Policy does not allow it"
        out.append(
          TopologyProblem(
            .warning, .subscription(topic: t.name, index: i, attribute: nil),
            "SNS cannot deliver \(t.name) to \(q.name): \(why) (sns.amazonaws.com, sqs:SendMessage, aws:SourceArn \(topicArn)), so every delivery fails with AccessDenied"
          ))
      }
    }
    // Functions.
    var reservedTotal = 0
    for f in functions {
      error(.function(f.name, attribute: "Timeout"), Limits.Lambda.timeout.refusal(f.timeout))
      if let refusal = Limits.Lambda.runtimeRefusal(f.runtime) {
        error(.function(f.name, attribute: "Runtime"), refusal)
      } else if f.coldStartOverride == nil, LambdaRuntimes.coldStart(f.runtime) == nil {
        // A runtime AWS knows but no benchmark measures: fanout has no cold start to give it.
        error(
          .function(f.name, attribute: "Runtime"),
          "fanout has no published cold start for runtime \(f.runtime): give coldStart, or use one of \(LambdaRuntimes.listed)"
        )
      }
      if let r = f.reservedConcurrency {
        if r < 0 {
          error(
            .function(f.name, attribute: "ReservedConcurrentExecutions"),
            "1 validation error detected: Value \(r) at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0"
          )
        } else {
          reservedTotal += r
          let minimum = Limits.Lambda.minimumUnreservedConcurrency
          if reservedTotal > accountConcurrency - minimum {
            error(
              .function(f.name, attribute: "ReservedConcurrentExecutions"),
              "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [\(minimum)]."
            )
          }
        }
      }
    }
    // Handlers: a program's own mistakes, each at its step.
    for f in functions {
      guard case .steps(let program) = f.handler else { continue }
      for p in program.problems() { error(.function(f.name, attribute: "handler." + p.path), p.message) }
    }
    // A handler that can never do anything: the entry function is invoked with no records.
    if let e = entryFunction, let f = functions.first(where: { $0.name == e }) {
      let fix =
        "give it a handler that works once per invocation (seed-preprocessor, compute, or steps with forEach: invocation), or make 'entry' the function that starts the pipeline"
      switch f.handler {
      case .forward:
        error(
          .function(e, attribute: "handler"),
          "\(e) is the entry function, which a load or a fire invokes directly with no records, and a forward handler only passes records on: every invocation would do nothing; "
            + fix)
      case .seedService:
        error(
          .function(e, attribute: "handler"),
          "\(e) is the entry function, which a load or a fire invokes directly with no records, and a seed-service handler works on each record: every invocation would do nothing; "
            + fix)
      case .steps(let p) where p.forEach == .record:
        error(
          .function(e, attribute: "handler.forEach"),
          "\(e) is the entry function, which a load or a fire invokes directly with no records, and its steps run for each record (forEach: record): every invocation would do nothing; "
            + fix)
      default: break
      }
    }
    // Event source mappings.
    for (i, m) in mappings.enumerated() {
      func at(_ a: String?) -> TopologyPlace { .mapping(i, attribute: a) }
      error(at("BatchSize"), Limits.Lambda.batchSize.refusal(Int64(m.batchSize)))
      error(
        at("MaximumBatchingWindowInSeconds"), Limits.Lambda.maximumBatchingWindow.refusal(m.maximumBatchingWindow))
      if let c = m.maximumConcurrency {
        error(at("ScalingConfig.MaximumConcurrency"), Limits.Lambda.maximumConcurrency.refusal(Int64(c)))
      }
      if let pp = m.provisionedPollers {
        error(at("ProvisionedPollerConfig.MinimumPollers"), Limits.Lambda.minimumPollers.refusal(Int64(pp.minimum)))
        error(at("ProvisionedPollerConfig.MaximumPollers"), Limits.Lambda.maximumPollers.refusal(Int64(pp.maximum)))
        if pp.minimum > pp.maximum {
          error(
            at("ProvisionedPollerConfig"),
            "Invalid request provided: MinimumPollers must be less than or equal to MaximumPollers")
        }
      }
      if Int64(m.batchSize) > Limits.Lambda.batchSizeWithoutWindow, m.maximumBatchingWindow < .seconds(1) {
        error(
          at("BatchSize"),
          "Invalid request provided: Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than \(Limits.Lambda.batchSizeWithoutWindow)"
        )
      }
      guard let q = queues.first(where: { $0.name == m.queue }),
        let f = functions.first(where: { $0.name == m.function })
      else { continue }
      if q.visibilityTimeout < f.timeout {
        error(
          at(nil),
          "Invalid request provided: Queue visibility timeout: \(q.visibilityTimeout.wholeSeconds) seconds is less than Function timeout: \(f.timeout.wholeSeconds) seconds"
        )
      } else if q.visibilityTimeout < f.timeout * 6 + m.maximumBatchingWindow {
        out.append(
          TopologyProblem(
            .warning, at(nil),
            "AWS recommends a visibility timeout of at least 6 × the function timeout (+ the batching window): \(q.name) has \(q.visibilityTimeout.wholeSeconds) s, \(f.name) times out after \(f.timeout.wholeSeconds) s"
          ))
      }
      let failing = f.failure.errorRate > 0 || f.failure.timeoutRate > 0 || !f.failure.poison.isEmpty
      if failing, q.redrive == nil {
        out.append(
          TopologyProblem(
            .warning, at(nil),
            "\(f.name) can fail but \(q.name) has no dead-letter queue: failing messages retry until retention expires")
        )
      }
    }
    return out
  }
}
