import Testing

@testable import FanoutSim

/// Lambda recursive loop detection (`RecursiveLoop.swift`).
@Suite("Lambda recursive loop detection")
struct RecursiveLoopTests {
  /// A function whose trigger reads `loop` and which forwards every record back to `loop` (or,
  /// with `viaTopic`, publishes it to a topic `loop` is subscribed to).
  func loopSim(
    viaTopic: Bool = false, recursiveLoop: RecursiveLoop = .terminate, maxReceiveCount: Int = 3
  ) throws -> Simulation {
    var t = Topology()
    var q = QueueSpec(name: "loop")
    q.visibilityTimeout = .s(30)
    q.redrive = (deadLetterQueue: "loop-dlq", maxReceiveCount: maxReceiveCount)
    t.queues = [q, QueueSpec(name: "loop-dlq")]
    if viaTopic { t.topics = [TopicSpec(name: "again", subscriptions: [SubscriptionSpec(endpoint: .queue("loop"))])] }
    var f = FunctionSpec(
      name: "looper", handler: viaTopic ? .forward(topic: "again", queue: nil) : .forward(topic: nil, queue: "loop"))
    f.recursiveLoop = recursiveLoop
    t.functions = [f]
    var m = MappingSpec(queue: "loop", function: "looper")
    m.batchSize = 1
    t.mappings = [m]
    return try Simulation(topology: t, seed: 1)
  }

  @Test("An SQS → Lambda → same queue loop is stopped after 16 invocations; the message retries, then goes to the DLQ")
  func testRecursiveLoopIsStoppedAfter16Invocations() throws {
    let sim = try loopSim()
    let rec = Recorder(sim)
    try sim.sendMessage(queue: "loop", body: "{\"n\": 1}")
    let drained = sim.runUntilDrained(limit: sim.now + .minutes(30))
    #expect(drained)
    let f = sim.function(named: "looper")!
    #expect(f.counters.invocations == Limits.Lambda.recursiveLoopLimit)
    // The 17th would-be invocation is stopped at each of its message's 3 receives, then the redrive
    // policy moves the message to the DLQ.
    #expect(f.counters.recursiveInvocationsDropped == 3)
    let stops = rec.of("lambda.recursive_loop")
    #expect(stops.count == 3)
    #expect(stops[0].jsonLine.contains("\"invocations\":16"))
    #expect(sim.queue(named: "loop-dlq")!.depth == 1)
    #expect(sim.queue(named: "loop")!.depth == 0)
    let report = RunReport(sim: sim, scenario: "loop", drained: drained, wallSeconds: 0)
    #expect(report.json.contains("\"recursive_invocations_dropped\":3"))
  }

  @Test("The count travels through SNS: Lambda → topic → queue → the same Lambda stops after 16 as well")
  func testRecursionIsCountedThroughSNS() throws {
    let sim = try loopSim(viaTopic: true)
    try sim.publish(topic: "again", message: "{\"n\": 1}")
    sim.runUntilDrained(limit: sim.now + .minutes(30))
    let f = sim.function(named: "looper")!
    #expect(f.counters.invocations == 16)
    #expect(f.counters.recursiveInvocationsDropped == 3)
  }

  @Test("RecursiveLoop: Allow lets the loop run on, and emits no RecursiveInvocationsDropped")
  func testAllowLetsARecursiveLoopRun() throws {
    let sim = try loopSim(recursiveLoop: .allow)
    try sim.sendMessage(queue: "loop", body: "x")
    sim.run(until: sim.now + .seconds(30))
    let f = sim.function(named: "looper")!
    #expect(f.counters.invocations > 50)
    #expect(f.counters.recursiveInvocationsDropped == 0)
  }

  @Test("Each chain is counted on its own: a new message from outside starts a new chain")
  func testEachRequestChainIsCountedOnItsOwn() throws {
    let sim = try loopSim()
    try sim.sendMessage(queue: "loop", body: "a")
    sim.run(until: sim.now + .seconds(2))
    try sim.sendMessage(queue: "loop", body: "b")
    sim.runUntilDrained(limit: sim.now + .minutes(30))
    let f = sim.function(named: "looper")!
    #expect(f.counters.invocations == 32)
    #expect(sim.queue(named: "loop-dlq")!.depth == 2)
  }

  @Test("A pipeline of distinct functions is never taken for a loop; the chain counts per function")
  func testChainCountsInvocationsPerFunction() throws {
    let sim = try makeSim()
    sim.startLoad(count: 50, rate: 100)
    sim.runUntilDrained()
    #expect(sim.functions.allSatisfy { $0.counters.recursiveInvocationsDropped == 0 })
    #expect(sim.tracker.completed == 50)
    var c = RecursionChain()
    for _ in 0..<3 { c = c.invoking(4) }
    c = c.invoking(7)
    #expect(c.count(of: 4) == 3 && c.count(of: 7) == 1 && c.count(of: 5) == 0)
    for f in 10..<20 { c = c.invoking(f) }
    #expect(c.count(of: 4) == 0, "the least recently invoked function drops out of a full chain")
    #expect(c.count(of: 19) == 1)
  }
}
