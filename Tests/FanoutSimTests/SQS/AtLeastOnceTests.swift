import Testing

@testable import FanoutSim

/// At-least-once delivery: SQS copies left by a receive, SNS deliveries made twice, and the books
/// that account for both (`AtLeastOnce.swift`).
@Suite("At-least-once delivery")
struct AtLeastOnceTests {
  func duplicating(_ rate: Double, _ name: String = "q") -> QueueSpec {
    var s = QueueSpec(name: name)
    s.duplicateRate = rate
    s.visibilityTimeout = .s(30)
    return s
  }

  @Test("A standard queue can deliver a message twice: same MessageId, its own receipt, while the first is in flight")
  func testStandardQueueCanDeliverAMessageTwice() throws {
    let sim = try queueSim([duplicating(1)])
    let rec = Recorder(sim)
    let id = try sim.sendMessage(queue: "q", body: "hello")
    let first = try sim.receiveMessages(queue: "q", waitTime: .s(1))
    #expect(first.count == 1 && first[0].messageId == id)
    let q = sim.queue(named: "q")!
    // The copy a server kept stays visible while the first receive is in flight.
    #expect(q.inFlightCount == 1 && q.visibleCount == 1 && q.counters.duplicated == 1)
    let second = try sim.receiveMessages(queue: "q", waitTime: .s(1))
    #expect(second.count == 1 && second[0].messageId == id && second[0].body == "hello")
    #expect(second[0].receipt != first[0].receipt)
    // The server that kept the copy missed the receive: the same ApproximateReceiveCount.
    #expect(first[0].receiveCount == 1 && second[0].receiveCount == 1)
    #expect(second[0].sentTimestamp == first[0].sentTimestamp)
    let copies = rec.of("sqs.duplicate")
    #expect(copies.count >= 1)
    #expect(rec.of("sqs.receive").map(\.jsonLine)[1].contains("\"copy\":1"))
  }

  @Test("A copy has its own receipt handles: deleting the first receipt leaves the copy, its own receipt deletes it")
  func testDeletingOneReceiptLeavesTheCopy() throws {
    var spec = duplicating(1)
    spec.duplicateRate = 1
    let sim = try queueSim([spec])
    try sim.sendMessage(queue: "q", body: "x")
    let a = try sim.receiveMessages(queue: "q", waitTime: .s(1))[0]
    try sim.setDuplicateRate(queue: "q", 0)
    let b = try sim.receiveMessages(queue: "q", waitTime: .s(1))[0]
    let q = sim.queue(named: "q")!
    #expect(q.depth == 2)
    #expect(try sim.deleteMessage(queue: "q", receipt: a.receipt))
    #expect(q.depth == 1 && q.inFlightCount == 1)
    #expect(try sim.deleteMessage(queue: "q", receipt: a.receipt) == false)
    #expect(try sim.deleteMessage(queue: "q", receipt: b.receipt))
    #expect(q.depth == 0 && q.counters.deleted == 2 && q.counters.sent == 1 && q.counters.duplicated == 1)
    #expect(sim.queueBalances(q) && sim.conservation.holds)
  }

  @Test("SNS → SQS delivery can duplicate: two SQS messages, one SNS MessageId in their envelopes")
  func testSNSToSQSDeliveryCanDuplicate() throws {
    var t = Topology()
    t.queues = [QueueSpec(name: "q")]
    var sub = SubscriptionSpec(endpoint: .queue("q"))
    sub.duplicateRate = 1
    t.topics = [TopicSpec(name: "orders", subscriptions: [sub])]
    let sim = try Simulation(topology: t, seed: 1)
    let rec = Recorder(sim)
    let snsId = try sim.publish(topic: "orders", message: "{\"order\": 1}")
    sim.run(until: sim.now + .s(5))
    let sends = rec.of("sqs.send")
    #expect(sends.count == 2)
    #expect(rec.of("sns.duplicate").count == 1)
    let received = try sim.receiveMessages(queue: "q", max: 10, waitTime: .s(1))
    #expect(received.count == 2)
    #expect(received[0].messageId != received[1].messageId)
    for m in received { #expect(m.body.contains("\"MessageId\" : \"\(snsId.text)\"")) }
    #expect(sim.topic(named: "orders")!.counters.duplicated == 1)
    #expect(sim.topic(named: "orders")!.counters.delivered == 2)
  }

  @Test("Duplicates are off by default: no copies, no second deliveries, their streams never drawn")
  func testDuplicatesAreOffByDefault() throws {
    let sim = try makeSim()
    let rec = Recorder(sim)
    sim.startLoad(count: 100, rate: 200)
    sim.runUntilDrained()
    #expect(rec.of("sqs.duplicate").isEmpty && rec.of("sns.duplicate").isEmpty)
    #expect(sim.tracker.duplicateCompletions == 0)
    for q in sim.queues {
      #expect(q.counters.duplicated == 0)
      var drawn = q.duplicateRng
      var fresh = SimRandom(seed: 1, stream: "sqs/" + q.name + "/at-least-once")
      #expect(drawn.next() == fresh.next())
    }
    for t in sim.topics {
      for (i, s) in t.subscriptions.enumerated() {
        var drawn = s.duplicateRng
        var fresh = SimRandom(seed: 1, stream: "sns/\(t.name)/\(i)/at-least-once")
        #expect(drawn.next() == fresh.next())
      }
    }
  }

  @Test("A duplicate is neither lost nor invented: the invariants, the ledger and the report agree")
  func testDuplicatesKeepTheBooksBalanced() throws {
    let sim = try makeSim { t in
      for i in t.queues.indices { t.queues[i].duplicateRate = 0.2 }
      for i in t.topics[0].subscriptions.indices { t.topics[0].subscriptions[i].duplicateRate = 0.2 }
    }
    sim.checksInvariants = true
    sim.trapsOnInvariantViolation = false
    let ledger = Ledger(topology: sim.topology)
    sim.observer = { ledger.observe($0) }
    sim.startLoad(count: 200, rate: 100)
    let drained = sim.runUntilDrained()
    #expect(sim.invariantViolation == nil)
    let duplicated = sim.queues.reduce(0) { $0 + $1.counters.duplicated }
    #expect(duplicated > 0 && sim.topics[0].counters.duplicated > 0)
    #expect(sim.conservation.holds && sim.conservation.duplicated == duplicated)
    let report = RunReport(sim: sim, scenario: "t", drained: drained, wallSeconds: 0)
    let violations = ledger.reconcile(reportJSON: report.json, drained: drained)
    #expect(violations.isEmpty, "\(violations.prefix(3))")
    // The seed services are not idempotent: a duplicate completes a stage twice.
    #expect(sim.tracker.duplicateCompletions > 0)
  }

  @Test("The ledger flags a copy of a message that was not just received")
  func testLedgerRejectsAnInventedCopy() throws {
    let sim = try queueSim([QueueSpec(name: "q")])
    let rec = Recorder(sim)
    try sim.sendMessage(queue: "q", body: "x")
    sim.run(until: sim.now + .s(1))
    var events = rec.events
    guard case .sqsSend(_, let id, _, _, _, _, _) = events[0].kind else { return }
    events.append(
      SimEvent(
        seq: events.count + 1, time: sim.now,
        kind: .sqsDuplicate(queue: "q", messageId: id, copy: 1, of: 0, receiveCount: 0)))
    let ledger = Ledger()
    for e in events { ledger.observe(e) }
    #expect(ledger.firstViolation?.expected.contains("a copy of a message just received") == true)
  }
}
