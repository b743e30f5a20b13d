import Testing

@testable import FanoutScenario
@testable import FanoutSim

/// The scenario parser and the simulation refuse the same values with the same words: both ask
/// `Limits` and `Topology.problems()`.
@Suite("The parser and the simulation agree on AWS's limits")
struct LimitsAgreementTests {
  /// A queue attribute past its range, in a file and in a topology.
  @Test(
    "Queue attributes one past AWS's range: the same AWS words from the parser (located) and the simulation",
    arguments: [
      ("VisibilityTimeout", Limits.SQS.visibilityTimeout), ("DelaySeconds", Limits.SQS.delaySeconds),
      ("MessageRetentionPeriod", Limits.SQS.messageRetentionPeriod),
      ("ReceiveMessageWaitTimeSeconds", Limits.SQS.receiveMessageWaitTimeSeconds),
      ("MaximumMessageSize", Limits.SQS.maximumMessageSize),
    ])
  func queueAttribute(key: String, limit: AWSLimit) throws {
    let v = limit.range.upperBound + 1
    let text = """
      name: t
      queues:
        - name: q
          \(key): \(v)

      """
    let (scenario, diagnostics) = Scenario.parse(text, file: "t.yaml")
    #expect(scenario == nil)
    let d = try #require(diagnostics.first { $0.severity == .error })
    #expect(d.message == limit.refusalText(v))
    #expect((d.line, d.column) == (4, key.count + 7), "at the value: \(d)")
    #expect(d.path == "queues[0].\(key)")
  }

  @Test("Cross-field rules come from the one validator: a visibility timeout below the function timeout")
  func crossFieldRule() throws {
    let text = """
      name: t
      queues:
        - name: q
          VisibilityTimeout: 5
      functions:
        - name: f
          handler: { type: forward, queue: q }
          Timeout: 10
      eventSourceMappings:
        - queue: q
          function: f

      """
    let (scenario, diagnostics) = Scenario.parse(text, file: "t.yaml")
    #expect(scenario == nil)
    let d = try #require(diagnostics.first { $0.severity == .error })
    var t = Topology()
    var q = QueueSpec(name: "q")
    q.visibilityTimeout = .seconds(5)
    t.queues = [q]
    var f = FunctionSpec(name: "f", handler: .forward(topic: nil, queue: "q"))
    f.timeout = .seconds(10)
    t.functions = [f]
    t.mappings = [MappingSpec(queue: "q", function: "f")]
    let problem = try #require(t.problems().first)
    #expect(d.message == problem.message)
    #expect(d.path == "eventSourceMappings[0]" && d.line == 10)
    #expect(throws: TopologyError(problem.description)) { try Simulation(topology: t, seed: 1) }
  }
}
