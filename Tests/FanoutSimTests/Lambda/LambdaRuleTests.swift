import Testing

@testable import FanoutSim

/// Puts the preprocessor's object for `n` request IDs and publishes them to the connector.
@discardableResult
func seedRequests(_ sim: Simulation, _ n: Int, tag: String = "r") throws -> [RequestID] {
  let b = sim.bucket(named: "fanout-bucket")!
  var ids: [RequestID] = []
  for i in 0..<n {
    let id = md5RequestID("\(tag)\(i)")
    try b.put(key: "fanout/preprocessor/\(id.hex).json", body: seedPreprocessorBody, at: sim.now)
    try sim.publish(topic: "connector", message: "{\"request_id\": \"\(id.hex)\"}")
    ids.append(id)
  }
  return ids
}

@Suite("Lambda and the SQS event source mapping")
struct LambdaRuleTests {
  func slow(_ t: inout Topology, duration: Double = 300, batch: Int = 1, maxConcurrency: Int? = nil) {
    t.queues[0].visibilityTimeout = .s(900)
    t.functions[1].timeout = .s(600)
    t.functions[1].duration = .fixed(.s(duration))
    t.mappings[0].batchSize = batch
    t.mappings[0].maximumConcurrency = maxConcurrency
  }

  @Test("Scaling: 5 concurrent batches when messages appear, then +300 a minute while a backlog remains")
  func scalingRamp() throws {
    let sim = try makeSim(services: 1) { slow(&$0) }
    try seedRequests(sim, 2_000)
    sim.run(until: sim.now + .s(0.15))
    let f = sim.function(named: "service01")!
    #expect(f.running == 5)
    sim.run(until: sim.now + .s(60))
    #expect((295...310).contains(f.running), "running \(f.running)")
    sim.run(until: sim.now + .s(120))
    #expect(f.running <= 1_000, "the account's concurrency bounds it")
  }

  @Test("ScalingConfig.MaximumConcurrency caps the pollers")
  func maximumConcurrency() throws {
    let sim = try makeSim(services: 1) { slow(&$0, maxConcurrency: 50) }
    try seedRequests(sim, 500)
    sim.run(until: sim.now + .s(120))
    #expect(sim.function(named: "service01")!.running == 50)
  }

  @Test("Enabled=false pauses the trigger: messages wait in the queue; enabling drains them")
  func pauseAndResume() throws {
    let sim = try makeSim()
    try sim.setMapping(queue: "service01", enabled: false)
    for _ in 0..<5 { sim.fireRequest() }
    sim.runUntilDrained()
    #expect(sim.queue(named: "service01")!.visibleCount == 5)
    #expect(sim.queue(named: "service02")!.depth == 0)
    #expect(sim.tracker.completed == 0)
    #expect(sim.function(named: "service01")!.counters.invocations == 0)
    try sim.setMapping(queue: "service01", enabled: true)
    sim.runUntilDrained()
    #expect(sim.queue(named: "service01")!.depth == 0)
    #expect(sim.tracker.completed == 5)
  }

  @Test(
    "Function error: the whole batch returns after the visibility timeout, then goes to the DLQ after maxReceiveCount")
  func errorRetriesThenDLQ() throws {
    let sim = try makeSim()
    let rec = Recorder(sim)
    try sim.setFailure(function: "service01", FailureSpec(errorRate: 1))
    sim.fireRequest()
    sim.runUntilDrained()
    let q = sim.queue(named: "service01")!
    #expect(q.counters.received == 5)
    #expect(q.counters.movedToDLQ == 1)
    #expect(sim.queue(named: "service01-dlq")!.depth == 1)
    #expect(sim.function(named: "service01")!.counters.errors == 5)
    let receives = rec.of("sqs.receive").filter {
      if case .sqsReceive("service01", _, _, _, _, _) = $0.kind { return true }
      return false
    }
    for (a, b) in zip(receives, receives.dropFirst()) {
      #expect(b.time - a.time >= q.spec.visibilityTimeout, "a retry waits for the visibility timeout")
    }
    #expect(sim.tracker.completed == 0)
    #expect(sim.tracker.stageTime(fire: 1, stage: 1) != nil, "the other services finished")
  }

  @Test("Function timeout: the invocation ends at the timeout and the batch is retried")
  func timeout() throws {
    let sim = try makeSim(services: 1)
    let rec = Recorder(sim)
    try sim.setFailure(function: "service01", FailureSpec(timeoutRate: 1))
    sim.fireRequest()
    sim.run(until: sim.now + .s(40))
    let results = rec.of("lambda.result").filter {
      if case .lambdaResult("service01", _, .timeout, _, _) = $0.kind { return true }
      return false
    }
    #expect(results.count >= 1)
    guard case .lambdaResult(_, _, _, let d, _) = try #require(results.first).kind else {
      Issue.record("not a result: \(results[0].kind)")
      return
    }
    #expect(d >= .s(3) && d <= .s(4), "timeout 3 s after the init phase")
    #expect(sim.queue(named: "service01")!.counters.received == 2)
  }

  @Test("ReportBatchItemFailures: only the reported records return to the queue")
  func partialBatchFailures() throws {
    let sim = try makeSim(services: 1) {
      $0.mappings[0].reportBatchItemFailures = true
      $0.mappings[0].batchSize = 10
      $0.mappings[0].maximumBatchingWindow = .s(1)
      $0.functions[1].failure = FailureSpec(itemFailureRate: 0.5)
    }
    let rec = Recorder(sim)
    try seedRequests(sim, 10)
    sim.run(until: sim.now + .s(5))
    // Each poller gathers its own batch: the ten records may come in several invocations.
    var failed: [String] = []
    for e in rec.of("lambda.result") {
      guard case .lambdaResult("service01", _, let outcome, _, let items) = e.kind else { continue }
      #expect(outcome == .success)
      failed += items
    }
    #expect(!failed.isEmpty && failed.count < 10)
    let q = sim.queue(named: "service01")!
    #expect(q.counters.deleted == 10 - failed.count)
    #expect(q.inFlightCount == failed.count)
    let remaining = Set(q.storedMessages.map(\.message.messageId.text))
    #expect(remaining == Set(failed))
  }

  @Test("Without ReportBatchItemFailures a reported failure is ignored: the whole batch is deleted")
  func itemFailuresIgnoredWithoutSetting() throws {
    let sim = try makeSim(services: 1) { $0.functions[1].failure = FailureSpec(itemFailureRate: 1) }
    try seedRequests(sim, 3)
    sim.runUntilDrained()
    let q = sim.queue(named: "service01")!
    #expect(q.counters.deleted == 3)
    #expect(sim.bucket(named: "fanout-bucket")!.objectCount == 3, "no service output was written")
  }

  @Test("Throttling: reserved concurrency below the pollers throttles, backs off, and still processes everything")
  func throttling() throws {
    let sim = try makeSim(services: 1) {
      $0.functions[1].reservedConcurrency = 1
      $0.functions[1].duration = .fixed(.s(1))
      $0.mappings[0].batchSize = 1
    }
    try seedRequests(sim, 20)
    sim.runUntilDrained()
    let f = sim.function(named: "service01")!
    #expect(f.counters.throttles > 0)
    #expect(f.counters.maxConcurrency == 1)
    #expect(sim.queue(named: "service01")!.counters.deleted == 20)
    #expect(sim.conservation.holds)
  }

  @Test("Cold and warm starts: a free environment is reused; after its idle lifetime it is gone")
  func coldAndWarm() throws {
    let sim = try makeSim(services: 1)
    let pre = sim.function(named: "preprocessor")!
    sim.fireRequest()
    sim.runUntilDrained()
    sim.fireRequest()
    sim.runUntilDrained()
    #expect(pre.counters.coldStarts == 1)
    sim.run(until: sim.now + pre.spec.idleLifetime + .microseconds(1))
    sim.fireRequest()
    sim.runUntilDrained()
    #expect(pre.counters.coldStarts == 2)
  }

  @Test("Creating a mapping whose queue visibility timeout is below the function timeout fails, in AWS's words")
  func visibilityBelowTimeout() {
    #expect(
      throws: TopologyError(
        "Invalid request provided: Queue visibility timeout: 30 seconds is less than Function timeout: 300 seconds (event source mapping 1)"
      )
    ) {
      try makeSim { $0.functions[1].timeout = .s(300) }
    }
  }

  @Test("BatchSize above 10 needs a batching window; with one, each poller gathers its own batch until its window ends")
  func batchingWindow() throws {
    #expect(throws: TopologyError.self) { try makeSim { $0.mappings[0].batchSize = 100 } }
    let sim = try makeSim(services: 1) {
      $0.mappings[0].batchSize = 100
      $0.mappings[0].maximumBatchingWindow = .s(2)
    }
    let rec = Recorder(sim)
    try seedRequests(sim, 50)
    sim.runUntilDrained()
    let invokes = rec.of("lambda.invoke").filter {
      if case .lambdaInvoke("service01", _, _, _, _, _) = $0.kind { return true }
      return false
    }
    // Five pollers share the fifty messages (AWS's pollers each receive up to 10 at a time and
    // gather their own batch): more, smaller batches than one gatherer would make.
    let m = sim.mapping(forQueue: "service01")!
    #expect(invokes.count > 1 && invokes.count <= m.target)
    var total = 0
    for e in invokes {
      guard case .lambdaInvoke(_, _, _, _, let ids, _) = e.kind else { continue }
      #expect(ids.count >= 1 && ids.count <= 100)
      total += ids.count
      // A window ends on a 2 s boundary counted from the simulation's start, when the poller
      // became free.
      #expect((e.time - sim.topology.startTime).microseconds % 2_000_000 == 0, "invoked at \(e.time)")
    }
    #expect(total == 50)
  }

  @Test("The event a function receives: exact records, md5OfBody of the body bytes, string attributes")
  func invokeEvent() throws {
    let sim = try makeSim(services: 1)
    let rec = Recorder(sim)
    sim.fireRequest()
    sim.runUntilDrained()
    let invoke = rec.of("lambda.invoke").first {
      if case .lambdaInvoke("service01", _, _, _, _, _) = $0.kind { return true }
      return false
    }!
    guard case .lambdaInvoke(_, _, _, _, _, let records?) = invoke.kind else {
      Issue.record("no records")
      return
    }
    let r = records[0]
    #expect(r.body.hasPrefix("{\n  \"Type\" : \"Notification\""))
    let parsed = JSONValue.parse(invoke.jsonLine)!["event"]!
    guard case .array(let recs)? = parsed["Records"] else {
      Issue.record("no Records")
      return
    }
    #expect(recs[0]["md5OfBody"]?.stringValue == md5Hex(r.body))
    #expect(recs[0]["attributes"]?["ApproximateReceiveCount"] == .string("1"))
    #expect(recs[0]["eventSource"] == .string("aws:sqs"))
    #expect(recs[0]["eventSourceARN"] == .string("arn:aws:sqs:us-east-1:123456789012:service01"))
  }

  @Test("A message moved to a dead-letter queue carries DeadLetterQueueSourceArn in the Lambda record of its DLQ")
  func deadLetterQueueSourceArn() throws {
    let sim = try makeSim { t in
      t.functions[1].failure = FailureSpec(errorRate: 1)
      t.queues.append(QueueSpec(name: "parked"))
      t.functions.append(FunctionSpec(name: "dlq-reader", handler: .forward(topic: nil, queue: "parked")))
      var m = MappingSpec(queue: "service01-dlq", function: "dlq-reader")
      m.batchSize = 1
      t.mappings.append(m)
    }
    let rec = Recorder(sim)
    sim.fireRequest()
    sim.runUntilDrained(limit: sim.now + .hours(1))
    func records(of function: String) -> [LambdaRecord] {
      rec.of("lambda.invoke").flatMap { e -> [LambdaRecord] in
        guard case .lambdaInvoke(let f, _, _, _, _, let r?) = e.kind, f == function else { return [] }
        return r
      }
    }
    let fromDLQ = try #require(records(of: "dlq-reader").first)
    let source = try #require(sim.queue(named: "service01")).arn
    #expect(fromDLQ.deadLetterQueueSourceArn == source)
    #expect(fromDLQ.json.contains("\"DeadLetterQueueSourceArn\":\"\(source)\"}"))
    let direct = try #require(records(of: "service02").first)
    #expect(direct.deadLetterQueueSourceArn == nil && !direct.json.contains("DeadLetterQueueSourceArn"))
    #expect(sim.queue(named: "parked")?.depth == 1, "the DLQ's reader forwarded it")
  }
}
