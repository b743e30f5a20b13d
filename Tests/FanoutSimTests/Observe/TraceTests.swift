import Testing

@testable import FanoutSim

@Suite("Tracing a request through the event log")
struct TraceTests {
  func types(_ t: RequestTrace) -> [String] { t.parsed.compactMap { $0["type"]?.stringValue } }

  @Test("A normal request: every hop, from fire to the last notification, with the events received")
  func normal() throws {
    let sim = try makeSim()
    let rec = Recorder(sim)
    sim.fireRequest()
    sim.fireRequest()
    sim.runUntilDrained()
    guard case .requestID(_, let id) = try #require(rec.of("request.id").first).kind else {
      Issue.record("the first request.id event carries no request ID")
      return
    }
    let t = try traceRequest(lines: rec.events.map(\.jsonLine), id: String(id.hex.prefix(8)))
    #expect(t.requestID == id.hex)
    let ty = types(t)
    #expect(ty.first == "request.fire" && ty[1] == "request.id")
    for (type, n) in [
      ("s3.put", 4), ("sns.publish", 4), ("sqs.send", 3), ("sqs.receive", 3), ("lambda.invoke", 3), ("s3.get", 3),
      ("request.stage_done", 3), ("lambda.result", 3), ("sqs.delete", 3), ("sns.notify", 3),
    ] {
      #expect(ty.filter { $0 == type }.count == n, "\(type)")
    }
    #expect(t.parsed.allSatisfy { $0["request_id"] == nil || $0["request_id"]?.stringValue == id.hex })
    #expect(t.text.contains("event received: {\"Records\":["))
    #expect(JSONValue.parse(t.json)?["request_id"]?.stringValue == id.hex)
    #expect(throws: TraceError.self) { try traceRequest(lines: rec.events.map(\.jsonLine), id: "ffffffffff") }
  }

  @Test("A retried request: the failed invocation, the message visible again, the second receive")
  func retried() throws {
    let sim = try makeSim(services: 1)
    let rec = Recorder(sim)
    sim.schedule(.setFailure(function: "service01", FailureSpec(errorRate: 1)), at: .zero)
    sim.schedule(.setFailure(function: "service01", FailureSpec()), at: .seconds(20))
    sim.fireRequest()
    sim.runUntilDrained()
    guard case .requestID(_, let id) = try #require(rec.of("request.id").first).kind else {
      Issue.record("the first request.id event carries no request ID")
      return
    }
    let t = try traceRequest(lines: rec.events.map(\.jsonLine), id: id.hex)
    let results = t.parsed.filter {
      $0["type"]?.stringValue == "lambda.result" && $0["function"]?.stringValue == "service01"
    }
    #expect(results.map { $0["outcome"]?.stringValue } == ["error", "success"])
    #expect(types(t).contains("sqs.visible"))
    #expect(t.parsed.contains { $0["type"]?.stringValue == "sqs.receive" && $0["receive_count"] == .number(2) })
  }

  @Test("A dead-lettered and redriven request: the DLQ move, the redrive, the new message processed")
  func deadLetteredAndRedriven() throws {
    let sim = try makeSim(services: 1)
    let rec = Recorder(sim)
    try sim.setFailure(function: "service01", FailureSpec(errorRate: 1))
    sim.fireRequest()
    sim.runUntilDrained()
    try sim.setFailure(function: "service01", FailureSpec())
    try sim.startMessageMoveTask(source: "service01-dlq")
    sim.runUntilDrained()
    guard case .requestID(_, let id) = try #require(rec.of("request.id").first).kind else {
      Issue.record("the first request.id event carries no request ID")
      return
    }
    let t = try traceRequest(lines: rec.events.map(\.jsonLine), id: id.hex)
    let ty = types(t)
    let dlq = ty.firstIndex(of: "sqs.dlq")!
    let redrive = ty.firstIndex(of: "sqs.redrive")!
    #expect(dlq < redrive)
    #expect(ty.filter { $0 == "sqs.receive" }.count == 6, "five failed receives, then the redriven message")
    #expect(ty.last == "sns.notify" || ty.contains("request.stage_done"))
    #expect(sim.tracker.completed == 1)
  }
}

@Suite("Injecting a request at any stage")
struct InjectTests {
  @Test("Injected at service02's queue only: only service02 acts on it, and the trace marks it injected")
  func injectAtOneQueue() throws {
    let sim = try makeSim()
    let rec = Recorder(sim)
    sim.fireRequest()
    sim.runUntilDrained()
    guard case .requestID(_, let id) = try #require(rec.of("request.id").first).kind else {
      Issue.record("the first request.id event carries no request ID")
      return
    }
    let before = (1...3).map { sim.function(named: "service0\($0)")!.counters.invocations }
    sim.apply(.inject(requestID: id, topic: nil, queue: "service02"))
    sim.runUntilDrained()
    let after = (1...3).map { sim.function(named: "service0\($0)")!.counters.invocations }
    #expect(after[0] == before[0] && after[2] == before[2])
    #expect(after[1] == before[1] + 1)
    #expect(sim.tracker.duplicateCompletions == 1, "service02 did the request a second time")
    let t = try traceRequest(lines: rec.events.map(\.jsonLine), id: id.hex)
    #expect(t.parsed.contains { $0["type"]?.stringValue == "sqs.send" && $0["source"]?.stringValue == "inject" })
  }

  @Test("Injected at the connector topic: every service acts, the publish is marked injected")
  func injectAtTopic() throws {
    let sim = try makeSim()
    let rec = Recorder(sim)
    let id = md5RequestID("outside")
    try sim.bucket(named: "fanout-bucket")!.put(
      key: "fanout/preprocessor/\(id.hex).json", body: seedPreprocessorBody, at: sim.now)
    sim.apply(.inject(requestID: id, topic: "connector", queue: nil))
    sim.runUntilDrained()
    #expect(sim.bucket(named: "fanout-bucket")!.objectCount == 4)
    #expect(
      rec.events.contains {
        if case .snsPublish("connector", _, _, _, _, _, _, _, true) = $0.kind { return true }
        return false
      })
  }
}
