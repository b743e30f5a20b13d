import Testing

@testable import FanoutSim

@Suite("DLQ redrive (StartMessageMoveTask)")
struct RedriveTests {
  /// Breaks service01, fires `n` requests, drains: `n` messages end in service01-dlq. Then mends it.
  func dlqWith(_ n: Int) throws -> Simulation {
    let sim = try makeSim()
    try sim.setFailure(function: "service01", FailureSpec(errorRate: 1))
    for _ in 0..<n { sim.fireRequest() }
    sim.runUntilDrained()
    #expect(sim.queue(named: "service01-dlq")!.visibleCount == n)
    try sim.setFailure(function: "service01", FailureSpec())
    return sim
  }

  @Test("Messages go back to their source queue as new messages: new MessageId, new enqueue time, receive count 0")
  func newMessages() throws {
    let sim = try dlqWith(4)
    let rec = Recorder(sim)
    let oldIds = Set(sim.queue(named: "service01-dlq")!.storedMessages.map(\.message.messageId))
    try sim.startMessageMoveTask(source: "service01-dlq")
    sim.runUntilDrained()
    let redrives = rec.of("sqs.redrive")
    #expect(redrives.count == 4)
    for e in redrives {
      guard case .sqsRedrive(_, _, let dest, let old, let new, _, _) = e.kind else {
        Issue.record("an sqs.redrive record that is not a redrive: \(e.kind.type)")
        continue
      }
      #expect(dest == "service01")
      #expect(oldIds.contains(old) && !oldIds.contains(new))
    }
    #expect(sim.queue(named: "service01-dlq")!.depth == 0)
    #expect(sim.tracker.completed == 4, "the mended service finished them")
    let receives = rec.of("sqs.receive").compactMap { e -> Int? in
      if case .sqsReceive("service01", _, let c, _, _, _) = e.kind { return c }
      return nil
    }
    #expect(receives.allSatisfy { $0 == 1 }, "a redriven message starts again at receive count 1")
    #expect(sim.conservation.holds)
    for q in sim.queues { #expect(sim.queueBalances(q), "\(q.name)") }
  }

  @Test("Rate limit: at most MaxNumberOfMessagesPerSecond; AWS's limits refused")
  func rateLimit() throws {
    let sim = try dlqWith(10)
    try sim.setMapping(queue: "service01", enabled: false)
    let rec = Recorder(sim)
    let start = sim.now
    try sim.startMessageMoveTask(source: "service01-dlq", maxPerSecond: 2)
    sim.runUntilDrained()
    let times = rec.of("sqs.redrive").map { $0.time - start }
    #expect(times.count == 10)
    #expect(times.last! >= .milliseconds(4_500), "10 messages at 2 a second take 4.5 s: \(times.last!)")
    #expect(throws: SQSError.self) { try sim.startMessageMoveTask(source: "service01-dlq", maxPerSecond: 501) }
    #expect(throws: SQSError.self) { try sim.startMessageMoveTask(source: "service01") }
  }

  @Test("Redrive without MaxNumberOfMessagesPerSecond: the system optimises the rate from the backlog, at most 500")
  func testRedriveWithoutARateUsesTheOptimisedRateFromTheBacklog() throws {
    #expect(OptimisedMoveRate.rate(backlog: 0) == 10)
    #expect(OptimisedMoveRate.rate(backlog: 50) == 10)
    #expect(OptimisedMoveRate.rate(backlog: 101) == 11)
    #expect(OptimisedMoveRate.rate(backlog: 2_000) == 200)
    #expect(OptimisedMoveRate.rate(backlog: 20_000) == 500)

    func sim(_ n: Int) throws -> Simulation {
      var q = QueueSpec(name: "q")
      q.redrive = ("dlq", 5)
      let sim = try queueSim([q, QueueSpec(name: "dlq")])
      for i in 0..<n { try sim.sendMessage(queue: "dlq", body: "m\(i)") }
      return sim
    }
    // 300 waiting: 30 a second at first, falling as the backlog drains, 10 a second at the end.
    let small = try sim(300)
    let rec = Recorder(small)
    let id = try small.startMessageMoveTask(source: "dlq", destination: "q")
    #expect(small.moveTasks[0].maxPerSecond == nil, "ListMessageMoveTasks shows NULL")
    #expect(small.moveTasks[0].rate == 30)
    small.runUntilDrained()
    let times = rec.of("sqs.redrive").map(\.time)
    #expect(times.count == 300)
    #expect(times[1] - times[0] == .seconds(1) / 30, "299 left: 30 a second")
    #expect(times[299] - times[298] == .seconds(1) / 10)
    var expected = SimDuration.zero
    for left in stride(from: 299, through: 1, by: -1) {
      expected += .seconds(1) / OptimisedMoveRate.rate(backlog: left)
    }
    #expect(times[299] - times[0] == expected)
    #expect(times[299] - times[0] > .seconds(15), "not the fixed 500 a second (0.6 s): \(times[299] - times[0])")
    let task = try #require(small.moveTasks.first { $0.id == id })
    #expect(task.status == .completed && task.moved == 300 && task.rate == 10)
    #expect(small.queue(named: "q")!.visibleCount == 300)

    // A large backlog moves at AWS's maximum, 500 a second.
    let large = try sim(6_000)
    let rec2 = Recorder(large)
    try large.startMessageMoveTask(source: "dlq", destination: "q")
    large.run(until: large.now + .seconds(1) - .microseconds(1))
    let moved = rec2.of("sqs.redrive").map(\.time)
    #expect(moved.count == 500, "one every 2 ms")
    #expect(moved[1] - moved[0] == .milliseconds(2))
    #expect(large.moveTasks[0].rate == 500)

    // A given rate stays fixed, and is what ListMessageMoveTasks shows.
    let fixed = try sim(30)
    try fixed.startMessageMoveTask(source: "dlq", destination: "q", maxPerSecond: 7)
    fixed.run(until: fixed.now + .milliseconds(999))
    #expect(fixed.moveTasks[0].maxPerSecond == 7 && fixed.moveTasks[0].rate == 7)
    #expect(fixed.queue(named: "q")!.visibleCount == 7, "one every 1/7 s")
    #expect(fixed.conservation.holds && small.conservation.holds)
  }

  @Test("To a named destination; counts moved; only one running task per source")
  func namedDestination() throws {
    let sim = try dlqWith(3)
    try sim.setMapping(queue: "service02", enabled: false)
    let id = try sim.startMessageMoveTask(source: "service01-dlq", destination: "service02", maxPerSecond: 1)
    #expect(throws: SQSError.self) { try sim.startMessageMoveTask(source: "service01-dlq") }
    sim.runUntilDrained()
    #expect(sim.queue(named: "service02")!.visibleCount == 3)
    #expect(sim.moveTasks.first { $0.id == id }?.moved == 3)
    #expect(sim.moveTasks.first { $0.id == id }?.status == .completed)
  }

  @Test("Cancellation stops the task; what moved stays moved")
  func cancel() throws {
    let sim = try dlqWith(6)
    let id = try sim.startMessageMoveTask(source: "service01-dlq", maxPerSecond: 1)
    sim.run(until: sim.now + .milliseconds(2_500))
    try sim.cancelMessageMoveTask(id)
    sim.runUntilDrained()
    let task = sim.moveTasks.first { $0.id == id }!
    #expect(task.status == .cancelled)
    #expect(task.moved == 3)
    #expect(sim.queue(named: "service01-dlq")!.visibleCount == 3)
    #expect(sim.conservation.holds)
  }
}
