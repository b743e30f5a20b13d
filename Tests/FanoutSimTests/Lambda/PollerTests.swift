import Testing

@testable import FanoutSim

/// The SQS event source mapping's pollers, rule by rule (Lambda developer guide, "Configuring
/// scaling behavior for SQS event source mappings"; docs/POLLERS.md).
@Suite("SQS pollers: scaling, ceilings, back-off, provisioned mode")
struct PollerTests {
  /// One queue feeding one compute function of the given duration, with `messages` sent at once.
  static func worker(
    duration: SimDuration, messages: Int, account: Int = 1_000, _ change: (inout MappingSpec) -> Void = { _ in }
  ) throws -> Simulation {
    var t = Topology()
    t.accountConcurrency = account
    var q = QueueSpec(name: "work")
    q.visibilityTimeout = .seconds(900)
    t.queues = [q]
    var f = FunctionSpec(name: "worker", handler: .compute)
    f.duration = .fixed(duration)
    f.perRecord = .fixed(.zero)
    f.timeout = .seconds(900)
    t.functions = [f]
    var m = MappingSpec(queue: "work", function: "worker")
    change(&m)
    t.mappings = [m]
    let sim = try Simulation(topology: t, seed: 1)
    if messages > 0 { sim.addLoad(.burst(at: .seconds(1), count: messages), target: .queue("work", body: "{}")) }
    return sim
  }

  @Test("Pollers start at 5 concurrent batches and add up to 300 a minute while messages remain")
  func testPollersStartAtFiveAndAdd300AMinute() throws {
    let sim = try Self.worker(duration: .seconds(120), messages: 50_000)
    let m = sim.mappings[0]
    #expect(m.target == 5)
    sim.run(until: sim.now + .seconds(1) + .milliseconds(100))
    #expect(m.target == 5, "five batches at a time when messages appear")
    sim.run(until: sim.now + .seconds(60))
    // +1 every 200 ms: 300 in a minute, give or take the step in progress.
    #expect(m.target >= 5 + 299 && m.target <= 5 + 301, "target \(m.target)")
    #expect(sim.functions[0].running == m.busy)
  }

  @Test("On demand, a standard queue's mapping invokes at most 1,000 batches at once")
  func testOnDemandCeilingIs1000ConcurrentInvocations() throws {
    let sim = try Self.worker(duration: .seconds(600), messages: 30_000, account: 5_000)
    sim.run(until: sim.now + .seconds(300))
    #expect(sim.functions[0].counters.maxConcurrency == Limits.Lambda.onDemandPollerConcurrency)
    #expect(sim.mappings[0].cap == 1_000)
  }

  @Test("MaximumConcurrency caps the function's concurrent invocations exactly")
  func testMaximumConcurrencyIsRespectedExactly() throws {
    let sim = try Self.worker(duration: .milliseconds(50), messages: 20_000) { $0.maximumConcurrency = 7 }
    sim.run(until: sim.now + .seconds(10))
    // Pollers deleting a batch and polling again do not count against it: there are more pollers
    // than 7 while the backlog lasts, and the function is kept at its cap.
    #expect(sim.mappings[0].target > 7)
    sim.run(until: sim.now + .seconds(120))
    #expect(sim.functions[0].counters.maxConcurrency == 7)
  }

  @Test("Function errors back the concurrency off; it climbs back by scale steps, +1 each 200 ms")
  func testFunctionErrorsBackOffConcurrency() throws {
    let sim = try Self.worker(duration: .milliseconds(500), messages: 200_000)
    sim.run(until: sim.now + .seconds(30))
    let before = sim.mappings[0].target
    #expect(before > 50)
    try sim.setFailure(function: "worker", FailureSpec(errorRate: 1))
    sim.run(until: sim.now + .seconds(30))
    // At most one back-off to 75 % each 800 ms against +1 each 200 ms while saturated: the
    // concurrency settles near 16 (docs/POLLERS.md).
    let backedOff = sim.mappings[0].target
    #expect(backedOff < before / 4, "backed off from \(before) to \(backedOff)")
    try sim.setFailure(function: "worker", FailureSpec())
    sim.run(until: sim.now + .seconds(10))
    let m = sim.mappings[0]
    #expect(m.target > backedOff && m.target <= backedOff + 51, "recovering by steps: \(m.target)")
  }

  @Test("When traffic stops the pollers fall back to 2 batches, or to 5 with MaximumConcurrency")
  func testPollersFallBackWhenTrafficStops() throws {
    for mc in [nil, 50] as [Int?] {
      let sim = try Self.worker(duration: .milliseconds(50), messages: 20_000) { $0.maximumConcurrency = mc }
      sim.run(until: sim.now + .seconds(5))
      #expect(sim.mappings[0].target > 5, "scaled up while the burst drains")
      sim.run(until: sim.now + .seconds(120))
      #expect(sim.queues[0].visibleCount == 0)
      #expect(sim.mappings[0].target == (mc == nil ? 2 : 5), "MaximumConcurrency \(String(describing: mc))")
    }
  }

  @Test("Provisioned mode: MinimumPollers × 10 invokes from the start, up to MaximumPollers × 10, +1,000 a minute")
  func testProvisionedPollersScaleBetweenMinimumAndMaximum() throws {
    let sim = try Self.worker(duration: .seconds(60), messages: 20_000, account: 5_000) {
      $0.provisionedPollers = ProvisionedPollers(minimum: 3, maximum: 40)
    }
    let m = sim.mappings[0]
    #expect(m.target == 30)
    sim.run(until: sim.now + .seconds(7))
    // +10 every 600 ms: 100 in 6 s.
    #expect(m.target >= 30 + 90 && m.target <= 30 + 110, "target \(m.target)")
    sim.run(until: sim.now + .seconds(30))
    #expect(sim.functions[0].counters.maxConcurrency == 400, "MaximumPollers 40 × 10 invokes")
  }

  @Test("UpdateFunctionCode retires the warm environments: the next invocations are cold starts")
  func testUpdateFunctionCodeForcesColdStarts() throws {
    let sim = try Self.worker(duration: .milliseconds(50), messages: 0)
    for _ in 0..<5 { _ = try sim.sendMessage(queue: "work", body: "{}") }
    sim.run(until: sim.now + .seconds(5))
    let f = sim.functions[0]
    let cold = f.counters.coldStarts
    #expect(f.warmEnvironments(now: sim.now) >= 1)
    try sim.updateCode(function: "worker")
    #expect(f.warmEnvironments(now: sim.now) == 0)
    _ = try sim.sendMessage(queue: "work", body: "{}")
    sim.run(until: sim.now + .seconds(5))
    #expect(f.counters.coldStarts == cold + 1)
  }

  @Test("The 6 MB batch limit counts each record's real size in the event, not its body's")
  func testBatchPayloadEstimateUsesTheRealRecordSize() throws {
    let sim = try makeSim(services: 1)
    let rec = Recorder(sim)
    sim.fireRequest()
    sim.runUntilDrained()
    let invoke = try #require(
      rec.of("lambda.invoke").first {
        if case .lambdaInvoke("service01", _, _, _, _, _) = $0.kind { return true }
        return false
      })
    guard case .lambdaInvoke(_, _, _, _, _, let event?) = invoke.kind, let record = event.first else {
      Issue.record("no record")
      return
    }
    // A seed record: the SNS envelope escaped inside the record's JSON, its attributes, its
    // receipt handle — about 1.8 kB, where the body alone is about 1 kB.
    let size = record.json.utf8.count + 1
    #expect(size > 1_400 && size < 2_000, "record \(size) bytes")
    #expect(size > record.body.utf8.count + 500)
  }

  @Test("A batching window ends early when the batch's records reach 6 MB, each counted at its size in the event")
  func testBatchingWindowEndsEarlyAtSixMegabytes() throws {
    let sim = try Self.worker(duration: .milliseconds(50), messages: 0) {
      $0.batchSize = 1_000
      $0.maximumBatchingWindow = .seconds(60)
      $0.maximumConcurrency = 2
    }
    let rec = Recorder(sim)
    let body = String(repeating: "x", count: 200_000)
    for _ in 0..<100 { _ = try sim.sendMessage(queue: "work", body: body) }
    sim.run(until: sim.now + .seconds(5))
    let sizes = rec.of("lambda.invoke").compactMap { e -> Int? in
      guard case .lambdaInvoke(_, _, _, _, _, let event?) = e.kind else { return nil }
      return event.reduce(0) { $0 + $1.json.utf8.count + 1 }
    }
    // Long before the 60 s window ends, the gathered batches invoke: each just over 6 MB of records
    // (the limit is reached by the last receive of up to 10).
    #expect(!sizes.isEmpty)
    for size in sizes {
      #expect(size >= Limits.Lambda.maxPayloadBytes && size < Limits.Lambda.maxPayloadBytes + 10 * 201_000)
    }
  }
}
