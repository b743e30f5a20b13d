import Testing

@testable import FanoutSim

@Suite("SQS standard queue rules")
struct SQSRuleTests {
  func q(_ name: String = "q", _ change: (inout QueueSpec) -> Void = { _ in }) -> QueueSpec {
    var s = QueueSpec(name: name)
    change(&s)
    return s
  }

  @Test("Visibility timeout: a received message is hidden until it ends, then visible again")
  func visibilityTimeout() throws {
    let sim = try queueSim([q { $0.visibilityTimeout = .s(30) }])
    try sim.sendMessage(queue: "q", body: "hello")
    let first = try sim.receiveMessages(queue: "q", max: 1, waitTime: .s(20))
    #expect(first.count == 1)
    let queue = sim.queue(named: "q")!
    #expect(queue.visibleCount == 0 && queue.inFlightCount == 1)
    sim.run(until: sim.now + .s(29.9))
    #expect(try sim.receiveMessages(queue: "q", max: 1, waitTime: .s(20)).isEmpty)
    sim.run(until: sim.now + .s(0.2))
    #expect(queue.visibleCount == 1 && queue.inFlightCount == 0)
  }

  @Test("Each receive: a new receipt handle, ApproximateReceiveCount +1, first-receive time kept")
  func receiveCountAndNewReceipt() throws {
    let sim = try queueSim([q { $0.visibilityTimeout = .s(5) }])
    try sim.sendMessage(queue: "q", body: "x")
    let a = try sim.receiveMessages(queue: "q", waitTime: .s(1))[0]
    sim.run(until: sim.now + .s(6))
    let b = try sim.receiveMessages(queue: "q", waitTime: .s(1))[0]
    #expect(a.messageId == b.messageId)
    #expect(a.receiveCount == 1 && b.receiveCount == 2)
    #expect(a.receipt != b.receipt)
    #expect(b.firstReceiveTimestamp == a.firstReceiveTimestamp)
    let arn = sim.queue(named: "q")!.arn
    #expect(a.receipt.text(queueArn: arn) != b.receipt.text(queueArn: arn))
  }

  @Test("DeleteMessage: a stale receipt handle does not delete; the latest one does")
  func staleReceiptDoesNotDelete() throws {
    let sim = try queueSim([q { $0.visibilityTimeout = .s(1) }])
    try sim.sendMessage(queue: "q", body: "x")
    let a = try sim.receiveMessages(queue: "q", waitTime: .s(1))[0]
    sim.run(until: sim.now + .s(2))
    let b = try sim.receiveMessages(queue: "q", waitTime: .s(1))[0]
    #expect(try sim.deleteMessage(queue: "q", receipt: a.receipt) == false)
    #expect(sim.queue(named: "q")!.depth == 1)
    #expect(try sim.deleteMessage(queue: "q", receipt: b.receipt) == true)
    #expect(sim.queue(named: "q")!.depth == 0)
    #expect(sim.queue(named: "q")!.counters.deleted == 1)
  }

  @Test("DelaySeconds: queue delay and a per-message delay that overrides it")
  func delays() throws {
    let sim = try queueSim([q { $0.delay = .s(10) }])
    let queue = sim.queue(named: "q")!
    try sim.sendMessage(queue: "q", body: "queue delay")
    try sim.sendMessage(queue: "q", body: "own delay", delay: .s(2))
    #expect(queue.delayedCount == 2 && queue.visibleCount == 0)
    sim.run(until: sim.now + .s(2))
    #expect(queue.delayedCount == 1 && queue.visibleCount == 1)
    sim.run(until: sim.now + .s(8))
    #expect(queue.delayedCount == 0 && queue.visibleCount == 2)
    #expect(throws: SQSError.self) { try sim.sendMessage(queue: "q", body: "x", delay: .s(901)) }
  }

  @Test("MessageRetentionPeriod: expiry removes a message whatever its state")
  func retention() throws {
    let sim = try queueSim([
      q {
        $0.messageRetentionPeriod = .s(60)
        $0.visibilityTimeout = .s(600)
      }
    ])
    try sim.sendMessage(queue: "q", body: "in flight")
    _ = try sim.receiveMessages(queue: "q", waitTime: .s(1))
    try sim.sendMessage(queue: "q", body: "visible")
    let queue = sim.queue(named: "q")!
    sim.run(until: sim.now + .s(61))
    #expect(queue.depth == 0)
    #expect(queue.counters.expired == 2)
    #expect(sim.conservation.holds)
  }

  @Test("RedrivePolicy: the message moves to the DLQ at the receive after maxReceiveCount, keeping its enqueue time")
  func deadLetterQueue() throws {
    let sim = try queueSim([
      q {
        $0.visibilityTimeout = .s(1)
        $0.redrive = ("dlq", 3)
      }, q("dlq"),
    ])
    let sentAt = sim.now
    try sim.sendMessage(queue: "q", body: "poison")
    for n in 1...3 {
      let got = try sim.receiveMessages(queue: "q", waitTime: .s(1))
      #expect(got.first?.receiveCount == n)
      sim.run(until: sim.now + .s(2))
    }
    let dlq = sim.queue(named: "dlq")!
    #expect(dlq.depth == 0, "the move happens at the next receive attempt, not when the count is reached")
    #expect(try sim.receiveMessages(queue: "q", waitTime: .s(1)).isEmpty)
    #expect(dlq.depth == 1)
    #expect(sim.queue(named: "q")!.counters.movedToDLQ == 1)
    let stored = dlq.storedMessages[0].message
    #expect(stored.enqueueTime == sentAt)
    #expect(dlq.ageOfOldestMessage(now: sim.now) == .zero, "the DLQ's age counts from the move")
    #expect(sim.conservation.holds)
  }

  /// AWS's own example: a message spends a day in its source queue and then moves to a DLQ that
  /// keeps messages 4 days: it is deleted from the DLQ after 3 days, when its age there is 3 days.
  @Test("A DLQ's ApproximateAgeOfOldestMessage counts from the move; its retention from the original enqueue")
  func testDeadLetterQueueAgeOfOldestMessageCountsFromTheMove() throws {
    let day = SimDuration.seconds(86_400)
    let sim = try queueSim([
      q {
        $0.visibilityTimeout = .s(43_200)
        $0.redrive = ("dlq", 1)
      },
      q("dlq") { $0.messageRetentionPeriod = .seconds(4 * 86_400) },
    ])
    let sentAt = sim.now
    try sim.sendMessage(queue: "q", body: "poison")
    #expect(try sim.receiveMessages(queue: "q", waitTime: .s(1)).count == 1)
    sim.run(until: sentAt + day)
    // The receive after maxReceiveCount moves it, a day after it was sent.
    #expect(try sim.receiveMessages(queue: "q", waitTime: .s(1)).isEmpty)
    let dlq = sim.queue(named: "dlq")!
    #expect(dlq.depth == 1)
    #expect(dlq.storedMessages[0].message.enqueueTime == sentAt, "the enqueue timestamp is unchanged")
    #expect(dlq.ageOfOldestMessage(now: sim.now) == .zero)
    // A second message sent straight to the DLQ later is younger: the oldest is still the moved one.
    sim.run(until: sentAt + day + .s(3_600))
    try sim.sendMessage(queue: "dlq", body: "direct")
    #expect(dlq.ageOfOldestMessage(now: sim.now) == .s(3_600))
    sim.run(until: sentAt + 4 * day - .s(1))
    #expect(dlq.depth == 2)
    #expect(dlq.ageOfOldestMessage(now: sim.now) == 3 * day - .s(1))
    sim.run(until: sentAt + 4 * day + .s(1))
    #expect(dlq.counters.expired == 1, "deleted 3 days after the move: retention counts from the first enqueue")
    #expect(dlq.depth == 1)
    #expect(dlq.ageOfOldestMessage(now: sim.now) == 3 * day - .s(3_600) + .s(1), "now the direct one is the oldest")
    #expect(sim.queue(named: "q")!.ageOfOldestMessage(now: sim.now) == .zero)
    #expect(sim.conservation.holds)
  }

  @Test("ChangeMessageVisibility: counts from the call; 0 makes the message visible at once")
  func changeVisibility() throws {
    let sim = try queueSim([q { $0.visibilityTimeout = .s(30) }])
    try sim.sendMessage(queue: "q", body: "x")
    let m = try sim.receiveMessages(queue: "q", waitTime: .s(1))[0]
    sim.run(until: sim.now + .s(20))
    try sim.changeMessageVisibility(queue: "q", receipt: m.receipt, timeout: .s(60))
    sim.run(until: sim.now + .s(59))
    #expect(sim.queue(named: "q")!.inFlightCount == 1, "the old deadline no longer applies")
    sim.run(until: sim.now + .s(2))
    #expect(sim.queue(named: "q")!.visibleCount == 1)
    let again = try sim.receiveMessages(queue: "q", waitTime: .s(1))[0]
    try sim.changeMessageVisibility(queue: "q", receipt: again.receipt, timeout: .zero)
    #expect(sim.queue(named: "q")!.visibleCount == 1)
    #expect(throws: SQSError.self) { try sim.changeMessageVisibility(queue: "q", receipt: m.receipt, timeout: .s(5)) }
  }

  @Test("PurgeQueue: removes visible and in-flight messages; a second purge within 60 s fails")
  func purge() throws {
    let sim = try queueSim([q()])
    for i in 0..<5 { try sim.sendMessage(queue: "q", body: "m\(i)") }
    _ = try sim.receiveMessages(queue: "q", max: 2, waitTime: .s(1))
    try sim.purgeQueue("q")
    #expect(sim.queue(named: "q")!.depth == 0)
    #expect(sim.queue(named: "q")!.counters.purged == 5)
    sim.run(until: sim.now + .s(30))
    #expect(throws: SQSError.purgeQueueInProgress(sim.queue(named: "q")!.arn)) { try sim.purgeQueue("q") }
    sim.run(until: sim.now + .s(31))
    try sim.purgeQueue("q")
    #expect(sim.conservation.holds)
  }

  @Test("Short polling samples: fewer messages than asked, never a lost one")
  func shortPolling() throws {
    let sim = try queueSim([q()])
    for i in 0..<10 { try sim.sendMessage(queue: "q", body: "m\(i)") }
    var total = 0
    var short = false
    var polls = 0
    while total < 10, polls < 10_000 {
      polls += 1
      let got = try sim.receiveMessages(queue: "q", max: 10, waitTime: .zero)
      if got.count < 10 { short = true }
      for m in got { try sim.deleteMessage(queue: "q", receipt: m.receipt) }
      total += got.count
    }
    #expect(short)
    #expect(total == 10, "every message is found in the end: \(polls) polls")
    #expect(sim.queue(named: "q")!.depth == 0)
    #expect(sim.conservation.holds)
  }

  @Test("Short polling samples a subset of servers: below 1,000 visible it returns fewer or none; from 1,000 it fills")
  func testShortPollingSamplesServersBelowAThousandVisible() throws {
    // Many messages: keep 1,000+ visible; every 10-message short poll fills.
    let many = try queueSim([q { $0.visibilityTimeout = .s(43_200) }])
    for i in 0..<1_000 { try many.sendMessage(queue: "q", body: "m\(i)") }
    var full = 0
    for i in 0..<200 {
      if try many.receiveMessages(queue: "q", max: 10, waitTime: .zero).count == 10 { full += 1 }
      for j in 0..<10 { try many.sendMessage(queue: "q", body: "n\(i)-\(j)") }
    }
    #expect(full == 200)

    // Ten messages: a short poll comes back empty about 3 times in 4 (0.735), never with all ten.
    let few = try queueSim([q()])
    for i in 0..<10 { try few.sendMessage(queue: "q", body: "m\(i)") }
    var empty = 0
    var most = 0
    for _ in 0..<400 {
      let got = try few.receiveMessages(queue: "q", max: 10, waitTime: .zero)
      if got.isEmpty { empty += 1 }
      most = max(most, got.count)
      // Put them back at once, so that ten stay visible.
      for m in got { try few.changeMessageVisibility(queue: "q", receipt: m.receipt, timeout: .zero) }
    }
    #expect((240...340).contains(empty), "\(empty) of 400 empty")
    #expect(most < 10)
    #expect(few.queue(named: "q")!.counters.emptyReceives == empty)

    // A long poll asks every server: all ten at once.
    #expect(try few.receiveMessages(queue: "q", max: 10, waitTime: .s(1)).count == 10)

    // A message lives on one server for good: the same message, the same server.
    let id = UUID128(hi: 0x1234, lo: 0x5678)
    #expect(ShortPolling.server(of: id) == ShortPolling.server(of: id))
    var rng = SimRandom(seed: 1, stream: "t")
    for _ in 0..<100 { #expect(ShortPolling.Sample(&rng).count == ShortPolling.sampled) }
    // Random message IDs spread evenly over the 1,024 servers (100 each expected).
    var perServer = [Int](repeating: 0, count: ShortPolling.servers)
    var ids = SimRandom(seed: 2, stream: "ids")
    for _ in 0..<102_400 { perServer[ShortPolling.server(of: ids.uuid())] += 1 }
    #expect(perServer.allSatisfy { (55...145).contains($0) }, "\(perServer.min()!)…\(perServer.max()!)")
  }

  @Test("Approximate counts, age of oldest message, sent/received/deleted/empty-receive counters")
  func counters() throws {
    let sim = try queueSim([q()])
    let queue = sim.queue(named: "q")!
    #expect(try sim.receiveMessages(queue: "q", waitTime: .s(1)).isEmpty)
    try sim.sendMessage(queue: "q", body: "a")
    sim.run(until: sim.now + .s(10))
    try sim.sendMessage(queue: "q", body: "b")
    try sim.sendMessage(queue: "q", body: "c", delay: .s(5))
    #expect(queue.visibleCount == 2 && queue.delayedCount == 1 && queue.inFlightCount == 0)
    #expect(queue.ageOfOldestMessage(now: sim.now) == .s(10))
    let got = try sim.receiveMessages(queue: "q", max: 10, waitTime: .s(1))
    try sim.deleteMessage(queue: "q", receipt: got[0].receipt)
    #expect(queue.counters.sent == 3 && queue.counters.received == 2 && queue.counters.deleted == 1)
    #expect(queue.counters.emptyReceives == 1)
    #expect(queue.counters.maxDepth == 3)
  }

  @Test("MaximumMessageSize and the 10-attribute limit reject a send")
  func sendLimits() throws {
    let sim = try queueSim([q { $0.maximumMessageSize = 1_024 }])
    #expect(throws: SQSError.self) { try sim.sendMessage(queue: "q", body: String(repeating: "x", count: 1_025)) }
    let attrs = (0..<11).map { MessageAttribute(name: "a\($0)", value: "v") }
    #expect(throws: SQSError.tooManyAttributes(11)) { try sim.sendMessage(queue: "q", body: "x", attributes: attrs) }
    #expect(sim.queue(named: "q")!.depth == 0)
  }

  @Test("Queue attributes out of AWS's ranges are refused")
  func attributeRanges() {
    #expect(throws: TopologyError.self) { try queueSim([q { $0.visibilityTimeout = .s(43_201) }]) }
    #expect(throws: TopologyError.self) { try queueSim([q { $0.messageRetentionPeriod = .s(59) }]) }
    #expect(throws: TopologyError.self) { try queueSim([q { $0.delay = .s(901) }]) }
    #expect(throws: TopologyError.self) { try queueSim([q { $0.redrive = ("missing", 5) }]) }
  }

  @Test("ChangeMessageVisibility: the visibility timeout, counted from the receive, may not pass 12 hours")
  func changeVisibilityTwelveHours() throws {
    let sim = try queueSim([QueueSpec(name: "q")])
    try sim.sendMessage(queue: "q", body: "long job")
    let got = try sim.receiveMessages(queue: "q", max: 1, visibilityTimeout: .hours(10), waitTime: .seconds(20))
    let m = try #require(got.first)
    sim.run(until: sim.now + .hours(5))
    // 5 hours in, 10 more would end 15 hours after the receive.
    #expect(
      throws: SQSError.invalidParameterValue(
        "Value 36000 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"
      )
    ) { try sim.changeMessageVisibility(queue: "q", receipt: m.receipt, timeout: .hours(10)) }
    // 7 more ends exactly 12 hours after the receive: allowed.
    try sim.changeMessageVisibility(queue: "q", receipt: m.receipt, timeout: .hours(7))
    sim.run(until: sim.now + .hours(7) - .seconds(1))
    #expect(try sim.receiveMessages(queue: "q", max: 1, waitTime: .seconds(20)).isEmpty, "still in flight")
    sim.run(until: sim.now + .seconds(2))
    #expect(try sim.receiveMessages(queue: "q", max: 1, waitTime: .seconds(20)).count == 1, "visible after 12 hours")
  }
}
