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
