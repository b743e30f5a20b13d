import Testing

@testable import FanoutSim

@Suite("Ledger: every message's books from the events alone")
struct LedgerTests {
  /// A run with errors, timeouts, reported item failures, a paused trigger, DLQ moves, a redrive,
  /// and SendMessage, ReceiveMessage, ChangeMessageVisibility, DeleteMessage and PurgeQueue from
  /// outside: its events and its JSON report.
  static func faultyRun(seed: UInt64 = 7) throws -> (sim: Simulation, events: [SimEvent], report: String) {
    let sim = try Simulation(topology: faultyTopology(), seed: seed)
    let rec = Recorder(sim)
    try sim.setMapping(queue: "service03", enabled: false)
    sim.startLoad(count: 30, rate: 50)
    sim.runUntilDrained()
    try sim.setMapping(queue: "service03", enabled: true)
    try sim.setFailure(function: "service01", FailureSpec())
    try sim.startMessageMoveTask(source: "service01-dlq")
    sim.runUntilDrained()
    try sim.setMapping(queue: "service02", enabled: false)
    for i in 0..<4 { try sim.sendMessage(queue: "service02", body: "outside \(i)") }
    // One message goes back at once (ChangeMessageVisibility 0), is received again and deleted;
    // the others are purged.
    var got: [ReceivedMessage] = []
    while got.isEmpty { got = try sim.receiveMessages(queue: "service02", max: 1) }
    try sim.changeMessageVisibility(queue: "service02", receipt: got[0].receipt, timeout: .zero)
    var again: ReceivedMessage?
    while again == nil {
      again = try sim.receiveMessages(queue: "service02", max: 4).first { $0.messageId == got[0].messageId }
    }
    if let again { try sim.deleteMessage(queue: "service02", receipt: again.receipt) }
    try sim.purgeQueue("service02")
    sim.runUntilDrained()
    let report = RunReport(sim: sim, scenario: "ledger", drained: true, wallSeconds: 0).json
    return (sim, rec.events, report)
  }

  /// The seed pipeline with service01 erring and timing out (maxReceiveCount 2) and service02
  /// reporting item failures to a trigger that honours them.
  static func faultyTopology() -> Topology {
    var t = Topology.seedPipeline()
    t.functions[1].failure = FailureSpec(errorRate: 0.5, timeoutRate: 0.05)
    t.functions[2].failure = FailureSpec(itemFailureRate: 0.3, reportsItemFailures: true)
    t.mappings[1].reportBatchItemFailures = true
    t.queues[0].redrive = ("service01-dlq", 2)
    return t
  }

  /// A fresh ledger fed `events`, renumbered 1, 2, 3… as a simulation that emitted them would
  /// number them, then reconciled with `report`.
  static func check(_ events: [SimEvent], _ report: String, renumber: Bool = true) -> [LedgerViolation] {
    let topology = faultyTopology()
    let ledger = Ledger(topology: topology)
    for (i, e) in events.enumerated() {
      var e = e
      if renumber { e.seq = i + 1 }
      ledger.observe(e)
    }
    return ledger.reconcile(reportJSON: report, drained: true)
  }

  static func messageId(_ e: SimEvent) -> UUID128? {
    switch e.kind {
    case .sqsSend(_, let id, _, _, _, _, _), .sqsReceive(_, let id, _, _, _, _), .sqsDelete(_, let id, _, _),
      .sqsVisible(_, let id, _, _), .sqsDLQ(_, _, let id, _, _, _), .sqsExpire(_, let id, _, _):
      return id
    default: return nil
    }
  }

  @Test("A real run with faults, DLQ moves, a redrive and a purge: the books balance, event for event")
  func cleanRun() throws {
    let (sim, events, report) = try Self.faultyRun()
    let types = Set(events.map(\.kind.type))
    for t in ["sqs.dlq", "sqs.redrive", "sqs.purge", "sqs.visible", "sqs.move_task", "sns.notify"] {
      #expect(types.contains(t), "the run proves nothing about \(t)")
    }
    #expect(events.contains { $0.jsonLine.contains("\"reason\":\"change_visibility\"") })
    let ledger = Ledger(topology: sim.topology)
    for e in events { ledger.observe(e) }
    let violations = ledger.reconcile(reportJSON: report, drained: true)
    #expect(violations.isEmpty, "\(violations.prefix(3))")
    #expect(ledger.eventsChecked == sim.eventCount)
    #expect(ledger.messagesTracked == sim.conservation.created)
    for q in sim.queues {
      let b = ledger.books(queue: q.name)
      let c = q.counters
      #expect(
        [b.sent, b.received, b.deleted, b.movedToDLQ, b.movedIn, b.expired, b.purged, b.redriven]
          == [c.sent, c.received, c.deleted, c.movedToDLQ, c.movedIn, c.expired, c.purged, c.redriven], "\(q.name)")
      #expect([b.visible, b.inFlight, b.delayed] == [q.visibleCount, q.inFlightCount, q.delayedCount], "\(q.name)")
    }
  }

  @Test("S3 keys are the request_id as sent: IDs the tracker does not follow keep every book and invariant whole")
  func testUntrackedRequestIDsKeepTheBooks() throws {
    for seed in [UInt64(3), 11] {
      let sim = try Simulation(topology: Self.faultyTopology(), seed: seed)
      let rec = Recorder(sim)
      let b = sim.bucket(named: "fanout-bucket")!
      // One untracked ID whose object exists (it goes all the way), the rest NoSuchKey.
      try b.put(key: "fanout/preprocessor/hello.json", body: seedPreprocessorBody, at: sim.now)
      sim.startLoad(count: 20, rate: 50)
      sim.run(until: sim.now + .s(2))
      let id = try #require(sim.tracker.requestID(ofFire: 1)).hex
      for m in [
        "{\"request_id\": \"\(id.uppercased())\"}", "{\"request_id\": \"hello\"}", "{\"request_id\": \"e\u{301}\"}",
        "{\"request_id\": 7}", "{\"request_id\": null}", "{\"request_id\": \"\(String(id.dropLast()))\"}",
      ] {
        // A second apart: each its own batch (a failing record fails its whole batch).
        try sim.publish(topic: "connector", message: m)
        sim.run(until: sim.now + .s(1))
      }
      #expect(sim.runUntilDrained())
      let report = RunReport(sim: sim, scenario: "ledger", drained: true, wallSeconds: 0).json
      let ledger = Ledger(topology: sim.topology)
      for e in rec.events { ledger.observe(e) }
      let v = ledger.reconcile(reportJSON: report, drained: true)
      #expect(v.isEmpty, "seed \(seed): \(v.prefix(3))")
      #expect(sim.brokenInvariant() == nil)
      #expect(sim.tracker.fired == 20)
      #expect(b.peek(key: "fanout/service03/hello.json") != nil)
      #expect(b.peek(key: "fanout/service03/\(id.uppercased()).json") == nil)
      // Every untracked NoSuchKey message of service03 (no faults) ends in its DLQ: five of them.
      #expect(sim.queue(named: "service03-dlq")!.depth == 5)
    }
  }

  @Test("Over 10 seeds of the same faulty run, no violation")
  func seeds() throws {
    for seed in 1...10 {
      let (_, events, report) = try Self.faultyRun(seed: UInt64(seed))
      let v = Self.check(events, report)
      #expect(v.isEmpty, "seed \(seed): \(v.prefix(3))")
    }
  }

  @Test("A dropped sqs.delete: the message the ledger still holds is named")
  func droppedDelete() throws {
    let (_, events, report) = try Self.faultyRun()
    let i = try #require(
      events.firstIndex { if case .sqsDelete("service01", _, _, _) = $0.kind { true } else { false } })
    let id = try #require(Self.messageId(events[i]))
    var tampered = events
    tampered.remove(at: i)
    let v = Self.check(tampered, report)
    let first = try #require(v.first)
    #expect(first.messageId == id.text, "\(first)")
    #expect(first.queue == "service01")
    #expect(first.seq == nil, "found against the report")
    #expect(first.description.contains(id.text))
    #expect(v.contains { $0.expected.contains("queues.service01.deleted") }, "\(v)")
  }

  @Test("A duplicated sqs.delete: deleted twice, at the copy's seq")
  func duplicatedDelete() throws {
    let (_, events, report) = try Self.faultyRun()
    let i = try #require(
      events.firstIndex { if case .sqsDelete("service02", _, _, _) = $0.kind { true } else { false } })
    let id = try #require(Self.messageId(events[i]))
    var tampered = events
    tampered.insert(events[i], at: i + 1)
    let v = Self.check(tampered, report)
    let first = try #require(v.first)
    #expect(first.messageId == id.text, "\(first)")
    #expect(first.queue == "service02")
    #expect(first.seq == i + 2)
    #expect(first.seen.contains("deleted twice"), "\(first)")
  }

  @Test("A removed sqs.send: the message's first receive is of a message never sent")
  func removedSend() throws {
    let (_, events, report) = try Self.faultyRun()
    let i = try #require(
      events.firstIndex { if case .sqsSend("service03", _, _, _, _, _, _) = $0.kind { true } else { false } })
    let id = try #require(Self.messageId(events[i]))
    let next = try #require(events[(i + 1)...].firstIndex { Self.messageId($0) == id })
    var tampered = events
    tampered.remove(at: i)
    let v = Self.check(tampered, report)
    let first = try #require(v.first)
    #expect(first.messageId == id.text, "\(first)")
    #expect(first.queue == "service03")
    #expect(first.seq == next, "the next event of that message, renumbered")
    #expect(first.seen.contains("never sent"), "\(first)")
  }

  @Test("A receive count that skips, a gap in the seqs, a lost notification, a report that lies")
  func otherDivergences() throws {
    let (_, events, report) = try Self.faultyRun()
    // The second receive of a message claims receive count 3.
    var firsts = Set<UUID128>()
    let i = try #require(
      events.firstIndex { e in
        guard case .sqsReceive(_, let id, _, _, _, _) = e.kind else { return false }
        return !firsts.insert(id).inserted
      })
    var tampered = events
    guard case .sqsReceive(let q, let id, let count, let until, let consumer, let copy) = events[i].kind else { return }
    tampered[i].kind = .sqsReceive(
      queue: q, messageId: id, receiveCount: count + 1, visibleUntil: until, consumer: consumer, copy: copy)
    let skip = try #require(Self.check(tampered, report).first)
    #expect(skip.messageId == id.text && skip.seq == i + 1, "\(skip)")
    #expect(skip.expected.contains("receive count \(count)"), "\(skip)")

    // An event missing without renumbering: the seq gap is seen at once.
    var gap = events
    gap.remove(at: 100)
    let g = try #require(Self.check(gap, report, renumber: false).first)
    #expect(g.seq == 102 && g.expected.contains("101"), "\(g)")

    // A notification lost between the publish and the sink.
    let n = try #require(events.firstIndex { $0.kind.type == "sns.notify" })
    guard case .snsNotify(_, _, let sns, _, _) = events[n].kind else { return }
    var lost = events
    lost.remove(at: n)
    let l = Self.check(lost, report)
    #expect(l.contains { $0.topic == "notifier" && $0.messageId == sns.text && $0.seq == nil }, "\(l)")

    // The report counts one receive more than happened.
    let received = "\"service03\":{\"sent\":"
    let start = try #require(report.range(of: received))
    let rest = report[start.upperBound...]
    let comma = try #require(rest.firstIndex(of: ","))
    let field = try #require(rest[comma...].range(of: "\"received\":"))
    let end = try #require(rest[field.upperBound...].firstIndex(of: ","))
    let value = try #require(Int(rest[field.upperBound..<end]))
    let lying = String(report[..<field.upperBound]) + "\(value + 1)" + String(report[end...])
    let r = Self.check(events, lying)
    #expect(r.count == 1, "\(r)")
    #expect(r.first?.queue == "service03" && r.first?.expected.contains("queues.service03.received \(value)") == true)
  }

  @Test("Every SQS and SNS event dropped, and every one duplicated, is caught")
  func everyEvent() throws {
    let (_, events, report) = try Self.faultyRun()
    var dropped = 0
    var duplicated = 0
    for (i, e) in events.enumerated() {
      let type = e.kind.type
      guard type.hasPrefix("sqs.") || type.hasPrefix("sns.") else { continue }
      // A purge of an empty queue changes nothing: without it the books are the same.
      if case .sqsPurge(_, 0) = e.kind { continue }
      var less = events
      less.remove(at: i)
      if !Self.check(less, report).isEmpty { dropped += 1 } else { Issue.record("dropping \(e.jsonLine) went unseen") }
      var more = events
      more.insert(e, at: i)
      if !Self.check(more, report).isEmpty {
        duplicated += 1
      } else {
        Issue.record("duplicating \(e.jsonLine) went unseen")
      }
    }
    #expect(dropped > 500)
    #expect(duplicated == dropped)
  }
}
