import Testing

@testable import FanoutSim

/// SNS → Lambda: asynchronous invocation (`AsyncInvoke.swift`), subscription dead-letter queues
/// and SNS invoke permissions.
@Suite("Lambda asynchronous invocation")
struct AsyncInvokeTests {
  /// A topic `t` subscribing function `f` (a `compute` handler), with queues `dlq`, `failures`,
  /// `successes` and `sns-dlq` to point destinations at.
  func asyncSim(seed: UInt64 = 1, _ change: (inout FunctionSpec, inout SubscriptionSpec) -> Void = { _, _ in }) throws
    -> Simulation
  {
    var t = Topology()
    var f = FunctionSpec(name: "f", handler: .compute)
    var s = SubscriptionSpec(endpoint: .function("f"))
    change(&f, &s)
    t.functions = [f]
    t.topics = [TopicSpec(name: "t", subscriptions: [s])]
    t.queues = ["dlq", "failures", "successes", "sns-dlq"].map { QueueSpec(name: $0) }
    return try Simulation(topology: t, seed: seed)
  }

  /// Every message of a queue, received once (long poll: every server).
  func drain(_ sim: Simulation, _ queue: String) throws -> [ReceivedMessage] {
    var out: [ReceivedMessage] = []
    while true {
      let got = try sim.receiveMessages(queue: queue, max: 10, waitTime: .seconds(1))
      if got.isEmpty { return out }
      out += got
    }
  }

  @Test(
    "SNS invokes a subscribed function with the SNS event: one record, EventSource aws:sns, Sns in real events' key order"
  )
  func testSNSInvokesASubscribedFunctionWithTheSNSEvent() throws {
    let sim = try asyncSim()
    let rec = Recorder(sim)
    try sim.publish(topic: "t", message: "{\"k\": 1}", attributes: [MessageAttribute(name: "color", value: "red")])
    sim.runUntilDrained()
    let accepted = rec.of("lambda.async").filter { $0.jsonLine.contains("\"stage\":\"accepted\"") }
    #expect(accepted.count == 1)
    guard case .lambdaAsync(_, _, _, _, _, let event?) = accepted[0].kind, let v = JSONValue.parse(event) else {
      Issue.record("no event")
      return
    }
    guard case .object(let top) = v, case .array(let records)? = v["Records"], records.count == 1,
      case .object(let record) = records[0], case .object(let sns)? = records[0]["Sns"]
    else {
      Issue.record("not an SNS event: \(event)")
      return
    }
    #expect(top.map(\.0) == ["Records"])
    #expect(record.map(\.0) == ["EventSource", "EventVersion", "EventSubscriptionArn", "Sns"])
    #expect(records[0]["EventSource"]?.stringValue == "aws:sns")
    #expect(
      sns.map(\.0) == [
        "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature",
        "SigningCertUrl", "UnsubscribeUrl", "MessageAttributes",
      ])
    #expect(records[0]["Sns"]?["Subject"] == .null)
    #expect(records[0]["Sns"]?["Message"]?.stringValue == "{\"k\": 1}")
    #expect(records[0]["Sns"]?["MessageAttributes"]?["color"]?["Value"]?.stringValue == "red")
    let sub = sim.topic(named: "t")!.subscriptions[0].arn
    #expect(records[0]["EventSubscriptionArn"]?.stringValue == sub)
    let f = sim.function(named: "f")!
    #expect(f.counters.invocations == 1)
    #expect(f.async.received == 1 && f.async.succeeded == 1 && f.async.queued == 0)
  }

  @Test(
    "A function error is retried twice: one minute before the first retry, two before the second; then RetriesExhausted"
  )
  func testAsyncFunctionErrorIsRetriedTwiceAfterOneAndTwoMinutes() throws {
    let sim = try asyncSim { f, _ in
      f.failure.errorRate = 1
      f.eventInvokeConfig.onFailure = .queue("failures")
      f.deadLetter = .queue("dlq")
    }
    let rec = Recorder(sim)
    let start = sim.now
    try sim.publish(topic: "t", message: "boom")
    sim.runUntilDrained()
    let invokes = rec.of("lambda.invoke").map(\.time)
    #expect(invokes.count == 3)
    // Each retry waits from the end of the failed attempt (which takes about 1 ms).
    let gap1 = invokes[1] - invokes[0]
    let gap2 = invokes[2] - invokes[1]
    #expect(gap1 >= .seconds(60) && gap1 < .seconds(61))
    #expect(gap2 >= .seconds(120) && gap2 < .seconds(121))
    #expect(invokes[0] - start < .seconds(1))
    let f = sim.function(named: "f")!
    #expect(f.async.retries == 2 && f.async.dropped == 1 && f.async.succeeded == 0)
    // The on-failure destination gets the invocation record.
    let records = try drain(sim, "failures")
    #expect(records.count == 1)
    let r = JSONValue.parse(records[0].body)
    #expect(r?["version"]?.stringValue == "1.0")
    #expect(r?["requestContext"]?["condition"]?.stringValue == "RetriesExhausted")
    #expect(r?["requestContext"]?["approximateInvokeCount"] == .number(3))
    #expect(r?["requestContext"]?["functionArn"]?.stringValue == f.arn + ":$LATEST")
    #expect(r?["responseContext"]?["functionError"]?.stringValue == "Unhandled")
    #expect(r?["responsePayload"]?["errorMessage"]?.stringValue == "Injected error")
    #expect(r?["requestPayload"]?["Records"]?[0]?["Sns"]?["Message"]?.stringValue == "boom")
    // The dead-letter queue gets the event itself, with RequestID, ErrorCode and ErrorMessage.
    let dead = try drain(sim, "dlq")
    #expect(dead.count == 1)
    #expect(JSONValue.parse(dead[0].body)?["Records"]?[0]?["Sns"]?["Message"]?.stringValue == "boom")
    #expect(dead[0].attributes.map(\.name).sorted() == ["ErrorCode", "ErrorMessage", "RequestID"])
    let requestId = r?["requestContext"]?["requestId"]?.stringValue
    #expect(dead[0].attributes.first { $0.name == "RequestID" }?.value == requestId)
  }

  @Test("MaximumRetryAttempts 0: one attempt, then the event is discarded")
  func testMaximumRetryAttemptsZeroMeansOneAttempt() throws {
    let sim = try asyncSim { f, _ in
      f.failure.errorRate = 1
      f.eventInvokeConfig.maximumRetryAttempts = 0
    }
    try sim.publish(topic: "t", message: "x")
    sim.runUntilDrained()
    let f = sim.function(named: "f")!
    #expect(f.counters.invocations == 1)
    #expect(f.async.dropped == 1 && f.async.retries == 0)
  }

  @Test("A timeout is a function error: retried, and the record says Task timed out")
  func testAsyncTimeoutIsRetriedAsAnError() throws {
    let sim = try asyncSim { f, _ in
      f.failure.timeoutRate = 1
      f.eventInvokeConfig.maximumRetryAttempts = 1
      f.eventInvokeConfig.onFailure = .queue("failures")
    }
    try sim.publish(topic: "t", message: "x")
    sim.runUntilDrained()
    let f = sim.function(named: "f")!
    #expect(f.counters.timeouts == 2)
    let r = try drain(sim, "failures").first.flatMap { JSONValue.parse($0.body) }
    #expect(r?["responsePayload"]?["errorType"]?.stringValue == "Sandbox.Timedout")
    #expect(r?["responsePayload"]?["errorMessage"]?.stringValue?.hasSuffix("Task timed out after 3.00 seconds") == true)
  }

  @Test(
    "Throttled events wait in the queue with back-off from 1 s, and expire at MaximumEventAgeInSeconds (EventAgeExceeded)"
  )
  func testThrottledAsyncEventsExpireAtMaximumEventAge() throws {
    let sim = try asyncSim { f, _ in
      f.reservedConcurrency = 1
      f.timeout = .seconds(900)
      f.duration = .fixed(.seconds(100))
      f.perRecord = .fixed(.zero)
      f.eventInvokeConfig.maximumEventAge = .seconds(60)
      f.eventInvokeConfig.onFailure = .queue("failures")
    }
    let rec = Recorder(sim)
    try sim.publish(topic: "t", message: "first")
    sim.run(until: sim.now + .seconds(1))
    try sim.publish(topic: "t", message: "second")
    sim.runUntilDrained()
    let f = sim.function(named: "f")!
    // The first runs 100 s; the second is throttled until its 60 s are up.
    #expect(f.counters.invocations == 1)
    #expect(f.async.expired == 1 && f.async.dropped == 1 && f.async.succeeded == 1)
    let throttles = rec.of("lambda.throttle").map(\.time)
    #expect(throttles.count >= 5)
    // Back-off doubles from 1 s.
    #expect(throttles[1] - throttles[0] == .seconds(1))
    #expect(throttles[2] - throttles[1] == .seconds(2))
    #expect(throttles[3] - throttles[2] == .seconds(4))
    let r = try drain(sim, "failures").first.flatMap { JSONValue.parse($0.body) }
    #expect(r?["requestContext"]?["condition"]?.stringValue == "EventAgeExceeded")
    #expect(r?["requestContext"]?["approximateInvokeCount"] == .number(0))
    #expect(r?["responseContext"] == nil)
    #expect(f.async.maxEventAge > .seconds(60))
  }

  @Test("Reserved concurrency 0: events go to the dead-letter queue at once, without retries")
  func testReservedConcurrencyZeroSendsAsyncEventsToTheDLQWithoutRetries() throws {
    let sim = try asyncSim { f, _ in
      f.reservedConcurrency = 0
      f.deadLetter = .queue("dlq")
    }
    let start = sim.now
    try sim.publish(topic: "t", message: "x")
    sim.runUntilDrained()
    #expect(sim.now - start < .seconds(1))
    #expect(sim.function(named: "f")!.counters.invocations == 0)
    #expect(sim.queue(named: "dlq")!.depth == 1)
  }

  @Test("A success sends the invocation record to the on-success destination (condition Success)")
  func testOnSuccessDestinationGetsTheInvocationRecord() throws {
    let sim = try asyncSim { f, _ in f.eventInvokeConfig.onSuccess = .queue("successes") }
    try sim.publish(topic: "t", message: "ok")
    sim.runUntilDrained()
    let r = try drain(sim, "successes").first.flatMap { JSONValue.parse($0.body) }
    #expect(r?["requestContext"]?["condition"]?.stringValue == "Success")
    #expect(r?["requestContext"]?["approximateInvokeCount"] == .number(1))
    #expect(r?["responsePayload"] == .null)
    #expect(r?["responseContext"]?["statusCode"] == .number(200))
  }

  @Test("Without a permission for sns.amazonaws.com, SNS cannot invoke the function: the delivery fails")
  func testMissingLambdaPermissionFailsSNSDeliveries() throws {
    let sim = try asyncSim { f, _ in f.snsInvokePermissions = [] }
    try sim.publish(topic: "t", message: "x")
    sim.runUntilDrained()
    #expect(sim.function(named: "f")!.counters.invocations == 0)
    #expect(sim.topic(named: "t")!.counters.failed == 1)
    let allowed = try asyncSim { f, _ in f.snsInvokePermissions = ["arn:aws:sns:*:*:t"] }
    try allowed.publish(topic: "t", message: "x")
    allowed.runUntilDrained()
    #expect(allowed.function(named: "f")!.counters.invocations == 1)
    let other = try asyncSim { f, _ in f.snsInvokePermissions = ["arn:aws:sns:us-east-1:123456789012:other"] }
    try other.publish(topic: "t", message: "x")
    other.runUntilDrained()
    #expect(other.function(named: "f")!.counters.invocations == 0)
  }

  @Test("A subscription's RedrivePolicy: a delivery that fails with a client-side error goes to its dead-letter queue")
  func testSubscriptionDeadLetterQueueGetsFailedDeliveries() throws {
    let sim = try asyncSim { f, s in
      f.snsInvokePermissions = []
      s.deadLetterQueue = "sns-dlq"
    }
    let mid = try sim.publish(topic: "t", message: "lost?")
    sim.runUntilDrained()
    let got = try drain(sim, "sns-dlq")
    #expect(got.count == 1)
    let envelope = JSONValue.parse(got[0].body)
    #expect(envelope?["Type"]?.stringValue == "Notification")
    #expect(envelope?["MessageId"]?.stringValue == mid.text)
    #expect(envelope?["Message"]?.stringValue == "lost?")
    #expect(sim.topic(named: "t")!.counters.deadLettered == 1)
  }

  @Test("SNS sends to a subscription's dead-letter queue only when the queue's policy lets it")
  func testSubscriptionDeadLetterQueueNeedsAQueuePolicy() throws {
    var t = Topology()
    var f = FunctionSpec(name: "f", handler: .compute)
    f.snsInvokePermissions = []
    var s = SubscriptionSpec(endpoint: .function("f"))
    s.deadLetterQueue = "sns-dlq"
    var q = QueueSpec(name: "sns-dlq")
    q.policy = QueuePolicy.none
    t.functions = [f]
    t.topics = [TopicSpec(name: "t", subscriptions: [s])]
    t.queues = [q]
    let sim = try Simulation(topology: t, seed: 1)
    try sim.publish(topic: "t", message: "x")
    sim.runUntilDrained()
    #expect(sim.queue(named: "sns-dlq")!.depth == 0)
    #expect(sim.topic(named: "t")!.counters.deadLettered == 0)
  }

  @Test("Every accepted asynchronous event is accounted for: succeeded + dropped + queued = received")
  func testAsyncEventsAreConserved() throws {
    for seed in UInt64(1)...5 {
      let sim = try asyncSim(seed: seed) { f, _ in
        f.failure.errorRate = 0.5
        f.reservedConcurrency = 2
        f.duration = .fixed(.seconds(2))
        f.eventInvokeConfig.maximumEventAge = .seconds(90)
      }
      sim.checksInvariants = true
      for i in 0..<50 { try sim.publish(topic: "t", message: "m\(i)") }
      sim.run(until: sim.now + .seconds(30))
      let mid = sim.function(named: "f")!.async
      #expect(mid.received == 50 && mid.queued > 0)
      sim.runUntilDrained()
      let a = sim.function(named: "f")!.async
      #expect(a.received == 50)
      #expect(a.succeeded + a.dropped == 50)
      #expect(a.queued == 0)
      #expect(sim.invariantViolation == nil)
    }
  }

  @Test("A seed service subscribed straight to the topic reads its request ID from the SNS record")
  func testSeedServiceWorksOnAnSNSRecord() throws {
    let sim = try makeSim(services: 1) { t in
      let service = t.mappings.removeFirst()
      t.queues.removeAll { $0.name == service.queue }
      t.topics[0].subscriptions = [SubscriptionSpec(endpoint: .function(service.function))]
    }
    sim.startLoad(count: 20, rate: 10)
    sim.runUntilDrained()
    #expect(sim.tracker.completed == 20)
  }

  @Test("Recursive loop detection stops an SNS → Lambda → same topic loop")
  func testRecursiveLoopThroughSNSToLambdaIsStopped() throws {
    var t = Topology()
    t.functions = [FunctionSpec(name: "f", handler: .forward(topic: "t", queue: nil))]
    t.topics = [TopicSpec(name: "t", subscriptions: [SubscriptionSpec(endpoint: .function("f"))])]
    let sim = try Simulation(topology: t, seed: 1)
    try sim.publish(topic: "t", message: "again")
    sim.runUntilDrained(limit: sim.now + .hours(1))
    let f = sim.function(named: "f")!
    #expect(f.counters.invocations == Limits.Lambda.recursiveLoopLimit)
    #expect(f.counters.recursiveInvocationsDropped == 1)
    #expect(f.async.dropped == 1)
  }

  @Test("The same scenario and seed give the same asynchronous events, byte for byte")
  func testAsyncInvocationIsDeterministic() throws {
    func lines() throws -> String {
      let sim = try asyncSim(seed: 3) { f, _ in
        f.failure.errorRate = 0.3
        f.reservedConcurrency = 1
        f.eventInvokeConfig.onFailure = .queue("failures")
      }
      let rec = Recorder(sim)
      for i in 0..<20 { try sim.publish(topic: "t", message: "m\(i)") }
      sim.runUntilDrained()
      return rec.lines
    }
    #expect(try lines() == lines())
  }
}

extension JSONValue {
  /// An array's element, for reading events in tests.
  fileprivate subscript(i: Int) -> JSONValue? {
    guard case .array(let items) = self, items.indices.contains(i) else { return nil }
    return items[i]
  }
}
