import Testing

@testable import FanoutSim

@Suite("Loads, the timeline, generic handlers and poison messages")
struct LoadAndTimelineTests {
  func fireTimes(_ spec: LoadSpec, seed: UInt64 = 1) throws -> [SimDuration] {
    let sim = try makeSim(seed: seed)
    let rec = Recorder(sim)
    sim.addLoad(spec)
    sim.runUntilDrained()
    return rec.of("request.fire").map { $0.time - sim.topology.startTime }
  }

  @Test("Constant: one request every 1/rate seconds from the start offset")
  func constant() throws {
    #expect(try fireTimes(.constant(rate: 4, count: 3, start: .s(1))) == [.s(1), .s(1.25), .s(1.5)])
  }

  @Test("Poisson: the count asked for, gaps averaging 1/rate")
  func poisson() throws {
    let t = try fireTimes(.poisson(rate: 50, count: 400, start: .zero))
    #expect(t.count == 400)
    let mean = Double(t.last!.microseconds) / 400 / 1e6
    #expect(abs(mean - 0.02) < 0.004, "mean gap \(mean)")
  }

  @Test("Burst: every request at one instant")
  func burst() throws {
    #expect(try fireTimes(.burst(at: .s(2), count: 5)) == Array(repeating: .s(2), count: 5))
  }

  @Test("Ramp: (from + to) / 2 × duration requests, denser as the rate rises")
  func ramp() throws {
    let t = try fireTimes(.ramp(from: 1, to: 9, over: .s(10), start: .zero))
    #expect(t.count == 50)
    let firstHalf = t.filter { $0 < .s(5) }.count
    #expect(firstHalf < 25 && firstHalf > 10, "\(firstHalf) in the first half")
  }

  @Test("Timeline: actions at virtual times pause, fire and resume")
  func timeline() throws {
    let sim = try makeSim()
    sim.schedule(.setMapping(queue: "service01", enabled: false), at: .zero)
    sim.schedule(.fire(3), at: .s(1))
    sim.schedule(.setMapping(queue: "service01", enabled: true), at: .s(30))
    sim.run(until: sim.topology.startTime + .s(20))
    #expect(sim.queue(named: "service01")!.visibleCount == 3)
    sim.runUntilDrained()
    #expect(sim.tracker.completed == 3)
  }

  @Test("Poison messages without reported item failures fail the whole batch, every time")
  func poisonWholeBatch() throws {
    let sim = try makeSim(services: 1)
    let ids = try seedRequests(sim, 1, tag: "p")
    try sim.setFailure(function: "service01", FailureSpec(poison: [String(ids[0].hex.prefix(6))]))
    sim.runUntilDrained()
    #expect(sim.queue(named: "service01-dlq")!.depth == 1)
    #expect(sim.function(named: "service01")!.counters.errors == 5)
  }

  @Test("Poison messages reported as item failures: only they return, then land in the DLQ")
  func poisonReported() throws {
    let sim = try makeSim(services: 1) {
      $0.mappings[0].reportBatchItemFailures = true
      $0.mappings[0].batchSize = 10
      $0.mappings[0].maximumBatchingWindow = .s(1)
    }
    let ids = try seedRequests(sim, 6, tag: "q")
    try sim.setFailure(
      function: "service01", FailureSpec(poison: [String(ids[2].hex.prefix(8))], reportsItemFailures: true))
    sim.runUntilDrained()
    #expect(sim.queue(named: "service01-dlq")!.depth == 1)
    #expect(sim.queue(named: "service01")!.counters.deleted == 5)
    #expect(sim.function(named: "service01")!.counters.errors == 0)
  }

  @Test("A forward handler passes each message on to a topic or a queue")
  func forward() throws {
    var t = Topology()
    t.queues = [QueueSpec(name: "in"), QueueSpec(name: "out"), QueueSpec(name: "copy")]
    t.topics = [TopicSpec(name: "t", subscriptions: [SubscriptionSpec(endpoint: .queue("out"))])]
    t.functions = [
      FunctionSpec(name: "relay", handler: .forward(topic: "t", queue: nil)),
      FunctionSpec(name: "copier", handler: .forward(topic: nil, queue: "copy")),
    ]
    t.mappings = [MappingSpec(queue: "in", function: "relay")]
    let sim = try Simulation(topology: t, seed: 1)
    try sim.sendMessage(queue: "in", body: "{\"request_id\": \"\(md5RequestID("x").hex)\"}")
    sim.runUntilDrained()
    let out = sim.queue(named: "out")!.storedMessages
    #expect(out.count == 1)
    #expect(out[0].message.body.text.contains("\\\"request_id\\\""))
    #expect(throws: TopologyError.self) {
      var bad = t
      bad.functions[0] = FunctionSpec(name: "relay", handler: .forward(topic: "nope", queue: nil))
      _ = try Simulation(topology: bad, seed: 1)
    }
  }
}
