import Testing

@testable import FanoutSim

/// AWS's limits (`Limits.swift`) and the one validator (`Validation.swift`).
@Suite("AWS limits and the validator")
struct LimitsTests {
  /// Each queue attribute's limit with a setter, for sweeping the ranges.
  static let queueAttributes: [(AWSLimit, @Sendable (inout QueueSpec, Int64) -> Void)] = [
    (Limits.SQS.visibilityTimeout, { $0.visibilityTimeout = .seconds($1) }),
    (Limits.SQS.delaySeconds, { $0.delay = .seconds($1) }),
    (Limits.SQS.messageRetentionPeriod, { $0.messageRetentionPeriod = .seconds($1) }),
    (Limits.SQS.receiveMessageWaitTimeSeconds, { $0.receiveMessageWaitTime = .seconds($1) }),
    (Limits.SQS.maximumMessageSize, { $0.maximumMessageSize = Int($1) }),
  ]

  @Test("SQS queue attributes: both ends of AWS's range accepted, one past either end refused in AWS's words")
  func sqsQueueAttributeRanges() throws {
    for (limit, set) in Self.queueAttributes {
      for v in [limit.range.lowerBound, limit.range.upperBound] {
        var q = QueueSpec(name: "q")
        set(&q, v)
        #expect(throws: Never.self, "\(limit.name) = \(v)") { try queueSim([q]) }
      }
      for v in [limit.range.lowerBound - 1, limit.range.upperBound + 1] {
        var q = QueueSpec(name: "q")
        set(&q, v)
        #expect(throws: TopologyError(limit.refusalText(v) + " (queue q)")) { try queueSim([q]) }
      }
    }
    #expect(
      Limits.SQS.visibilityTimeout.refusalText(43_201)
        == "Invalid value for the parameter VisibilityTimeout. Reason: must be between 0 and 43200 seconds.")
  }

  @Test("SQS request parameters: MaxNumberOfMessages 1–10, WaitTimeSeconds 0–20, VisibilityTimeout 0–43200")
  func sqsRequestParameterRanges() throws {
    let sim = try queueSim([QueueSpec(name: "q")])
    #expect(throws: SQSError.invalidParameterValue(Limits.SQS.maxNumberOfMessages.refusalText(11))) {
      try sim.receiveMessages(queue: "q", max: 11)
    }
    #expect(
      Limits.SQS.maxNumberOfMessages.refusalText(0)
        == "Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
    #expect(throws: SQSError.invalidParameterValue(Limits.SQS.waitTimeSeconds.refusalText(21))) {
      try sim.receiveMessages(queue: "q", waitTime: .seconds(21))
    }
    #expect(throws: SQSError.invalidParameterValue(Limits.SQS.changeVisibilityTimeout.refusalText(43_201))) {
      try sim.receiveMessages(queue: "q", visibilityTimeout: .seconds(43_201))
    }
    #expect(throws: Never.self) { try sim.receiveMessages(queue: "q", max: 10, waitTime: .seconds(20)) }
  }

  @Test("Lambda: Timeout 1–900 s, BatchSize 1–10000, MaximumBatchingWindowInSeconds 0–300, MaximumConcurrency 2–1000")
  func lambdaRanges() throws {
    func refusal(_ change: (inout Topology) -> Void) -> String? {
      var t = Topology.seedPipeline()
      change(&t)
      return t.problems().first(where: { $0.severity == .error })?.message
    }
    #expect(refusal { $0.functions[1].timeout = .seconds(901) } == Limits.Lambda.timeout.refusalText(901))
    #expect(
      Limits.Lambda.timeout.refusalText(901)
        == "1 validation error detected: Value 901 at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900"
    )
    #expect(
      refusal {
        $0.functions[1].timeout = .seconds(900)
        $0.queues[0].visibilityTimeout = .seconds(900)
      } == nil)
    #expect(refusal { $0.mappings[0].batchSize = 10_001 } == Limits.Lambda.batchSize.refusalText(10_001))
    #expect(
      refusal { $0.mappings[0].maximumBatchingWindow = .seconds(301) }
        == Limits.Lambda.maximumBatchingWindow.refusalText(301))
    #expect(refusal { $0.mappings[0].maximumConcurrency = 1 } == Limits.Lambda.maximumConcurrency.refusalText(1))
    #expect(refusal { $0.mappings[0].maximumConcurrency = 1_000 } == nil)
  }

  @Test("BatchSize above 10 needs a batching window of at least 1 s (AWS's CreateEventSourceMapping rule)")
  func batchSizeNeedsWindow() {
    var t = Topology.seedPipeline()
    t.mappings[0].batchSize = 11
    let p = t.problems().first { $0.severity == .error }
    #expect(p?.place == .mapping(0, attribute: "BatchSize"))
    #expect(
      p?.message.hasPrefix("Invalid request provided: Maximum batch window in seconds must be greater than 0") == true)
    t.mappings[0].maximumBatchingWindow = .seconds(1)
    #expect(t.problems().filter { $0.severity == .error }.isEmpty)
  }

  @Test("Recommendations are warnings, not refusals: maxReceiveCount below 5, visibility below 6 × timeout")
  func recommendationsAreWarnings() throws {
    var t = Topology.seedPipeline()
    t.queues[0].redrive = ("service01-dlq", 3)
    t.functions[1].timeout = .seconds(10)
    let problems = t.problems()
    #expect(problems.allSatisfy { $0.severity == .warning })
    #expect(problems.map(\.place).contains(.queue("service01", attribute: "RedrivePolicy.maxReceiveCount")))
    #expect(problems.contains { $0.message.hasPrefix("AWS recommends a visibility timeout of at least 6 ×") })
    #expect(throws: Never.self) { try Simulation(topology: t, seed: 1) }
  }

  @Test("Reserved concurrency leaves at least 100 of the account's executions unreserved")
  func reservedConcurrencyKeepsHundredUnreserved() {
    var t = Topology.seedPipeline()
    t.functions[1].reservedConcurrency = 450
    t.functions[2].reservedConcurrency = 450
    #expect(t.problems().filter { $0.severity == .error }.isEmpty, "900 of 1,000 reserved leaves exactly 100")
    t.functions[2].reservedConcurrency = 451
    let p = t.problems().first { $0.severity == .error }
    #expect(p?.place == .function(t.functions[2].name, attribute: "ReservedConcurrentExecutions"))
    #expect(
      p?.message
        == "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]."
    )
    t.accountConcurrency = 5_000
    #expect(t.problems().filter { $0.severity == .error }.isEmpty, "a larger account has room")
  }
}
