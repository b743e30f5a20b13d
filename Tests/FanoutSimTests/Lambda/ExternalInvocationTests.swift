import Testing

@testable import FanoutSim

/// Functions whose code is a process (`ExternalInvocation.swift`), driven by a fake invoker that
/// stands for the Runtime API and its processes.
@Suite("Process functions: invocations handed to outside code")
struct ExternalInvocationTests {
  /// Records what it was handed; the test answers for the code.
  final class FakeInvoker: ExternalInvoker {
    var started: [ExternalInvocation] = []
    var stopped: [Int] = []
    func start(_ invocation: ExternalInvocation, in sim: Simulation) { started.append(invocation) }
    func timedOut(_ invocation: Int, in sim: Simulation) { stopped.append(invocation) }
  }

  func processSim(batchFailures: Bool = false, maxReceiveCount: Int = 2) throws -> (Simulation, FakeInvoker) {
    var t = Topology()
    var q = QueueSpec(name: "q")
    q.visibilityTimeout = .seconds(30)
    q.redrive = (deadLetterQueue: "dlq", maxReceiveCount: maxReceiveCount)
    t.queues = [q, QueueSpec(name: "dlq")]
    var f = FunctionSpec(name: "code", handler: .process(ProcessHandler(command: ["python3", "app.py"])))
    f.timeout = .seconds(5)
    t.functions = [f]
    var m = MappingSpec(queue: "q", function: "code")
    m.batchSize = 1
    m.reportBatchItemFailures = batchFailures
    t.mappings = [m]
    let sim = try Simulation(topology: t, seed: 1)
    let invoker = FakeInvoker()
    sim.externalInvoker = invoker
    return (sim, invoker)
  }

  @Test("The code gets the exact SQS event Lambda builds; its success deletes the message")
  func testProcessFunctionGetsTheSQSEventAndItsSuccessDeletes() throws {
    let (sim, invoker) = try processSim()
    try sim.sendMessage(queue: "q", body: "hello")
    sim.run(until: sim.now + .seconds(1))
    let inv = try #require(invoker.started.first)
    #expect(inv.coldStart && inv.function == "code")
    let event = JSONValue.parse(inv.event)
    guard case .array(let records)? = event?["Records"] else {
      Issue.record("not an SQS event: \(inv.event)")
      return
    }
    #expect(records.first?["body"]?.stringValue == "hello")
    #expect(records.first?["eventSource"]?.stringValue == "aws:sqs")
    #expect(sim.pendingExternalInvocations == [inv.id])
    #expect(sim.completeExternal(inv.id, .success("null")))
    sim.runUntilDrained()
    #expect(sim.queue(named: "q")!.counters.deleted == 1)
    #expect(!sim.completeExternal(inv.id, .success("null")), "a result comes once")
  }

  @Test(
    "Lambda's init phase is apart from the timeout: a cold start whose init ends at 2 s has its whole 5 s after that, and times out at 7 s; its process is stopped"
  )
  func testColdStartTimeoutCountsFromTheEndOfInit() throws {
    let (sim, invoker) = try processSim()
    try sim.sendMessage(queue: "q", body: "slow")
    sim.run(until: sim.now + .milliseconds(100))
    let inv = try #require(invoker.started.first)
    #expect(inv.coldStart)
    // Before its init ends, the limit is the init phase's 10 s plus the timeout.
    #expect(inv.deadline - sim.now <= Simulation.initPhaseLimit + .seconds(5))
    let initEnd = sim.now + .seconds(2)
    sim.run(until: initEnd)
    sim.externalInitEnded(inv.id)
    sim.externalInitEnded(inv.id)  // a second call changes nothing
    sim.run(until: initEnd + .milliseconds(4_999))
    #expect(invoker.stopped.isEmpty, "the handler has its whole timeout after init")
    sim.run(until: initEnd + .milliseconds(5_001))
    #expect(invoker.stopped == [inv.id])
    #expect(sim.function(named: "code")!.counters.timeouts == 1)
    #expect(!sim.completeExternal(inv.id, .success("null")), "too late: it timed out")
  }

  @Test("A cold start whose init never ends times out at the init phase's 10 s plus the function's timeout")
  func testColdStartWhoseInitNeverEndsTimesOutAfterInitLimitPlusTimeout() throws {
    let (sim, invoker) = try processSim()
    try sim.sendMessage(queue: "q", body: "stuck")
    sim.run(until: sim.now + .seconds(14))
    #expect(invoker.stopped.isEmpty)
    sim.run(until: sim.now + .seconds(2))
    #expect(invoker.stopped.count == 1)
  }

  @Test("A warm invocation times out at the function's timeout from its start")
  func testWarmInvocationTimesOutAtItsTimeout() throws {
    let (sim, invoker) = try processSim()
    try sim.sendMessage(queue: "q", body: "first")
    sim.run(until: sim.now + .milliseconds(100))
    let first = try #require(invoker.started.first)
    sim.externalInitEnded(first.id)
    #expect(sim.completeExternal(first.id, .success("null")))
    try sim.sendMessage(queue: "q", body: "slow")
    sim.run(until: sim.now + .milliseconds(100))
    let warm = try #require(invoker.started.last)
    #expect(!warm.coldStart)
    let start = sim.now
    sim.run(until: start + .seconds(6))
    #expect(invoker.stopped == [warm.id])
    #expect(warm.deadline - start < .seconds(5))
  }

  @Test("A crash is a function error: the message is retried and, after maxReceiveCount, moves to the DLQ")
  func testProcessCrashIsAnErrorAndEndsInTheDLQ() throws {
    let (sim, invoker) = try processSim(maxReceiveCount: 2)
    try sim.sendMessage(queue: "q", body: "boom")
    // Each time the code is invoked, its process crashes at once.
    while sim.hasPendingWork, sim.step() {
      for id in sim.pendingExternalInvocations { sim.completeExternal(id, .crash(exitStatus: 1)) }
      if sim.now - sim.topology.startTime > .minutes(5) { break }
    }
    let f = sim.function(named: "code")!
    #expect(f.counters.errors == 2)
    #expect(sim.queue(named: "dlq")!.depth == 1)
    // A crashed process's environment is not reused: each attempt is a cold start.
    #expect(invoker.started.allSatisfy { $0.coldStart })
  }

  @Test("A raised error is a function error; a warm environment is reused after a success")
  func testProcessErrorAndWarmReuse() throws {
    let (sim, invoker) = try processSim()
    try sim.sendMessage(queue: "q", body: "a")
    sim.run(until: sim.now + .seconds(1))
    sim.completeExternal(invoker.started[0].id, .success("null"))
    try sim.sendMessage(queue: "q", body: "b")
    sim.run(until: sim.now + .seconds(1))
    #expect(invoker.started.count == 2 && !invoker.started[1].coldStart)
    sim.completeExternal(invoker.started[1].id, .error(type: "ValueError", message: "bad"))
    sim.run(until: sim.now + .seconds(1))
    #expect(sim.function(named: "code")!.counters.errors == 1)
  }

  @Test("With ReportBatchItemFailures the code's response is read as a partial batch response")
  func testProcessResponseIsReadAsBatchItemFailures() throws {
    let (sim, invoker) = try processSim(batchFailures: true)
    try sim.sendMessage(queue: "q", body: "x")
    sim.run(until: sim.now + .seconds(1))
    let inv = try #require(invoker.started.first)
    let id = try #require(
      JSONValue.parse(inv.event)?["Records"].flatMap { r -> String? in
        guard case .array(let a) = r else { return nil }
        return a.first?["messageId"]?.stringValue
      })
    sim.completeExternal(inv.id, .success(batchItemFailuresJSON([id])))
    sim.run(until: sim.now + .seconds(1))
    #expect(sim.queue(named: "q")!.counters.deleted == 0, "the reported record returns to the queue")
  }

  /// Invoke (RequestResponse) hands the function the caller's payload and answers the function's
  /// response (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: Payload, both ways).
  @Test("A synchronous Invoke passes its payload to the code and answers the code's response")
  func testInvokePassesItsPayloadAndAnswersTheResponse() throws {
    let (sim, invoker) = try processSim()
    guard case .started(let ticket, let requestId) = try sim.invoke(function: "code", payload: #"{"n": 1}"#) else {
      Issue.record("not started")
      return
    }
    let inv = try #require(invoker.started.first)
    #expect(inv.event == #"{"n": 1}"#)
    #expect(inv.awsRequestId == requestId, "the code sees the Invoke's request ID")
    #expect(sim.completeExternal(inv.id, .success(#"{"answer": 2}"#)))
    sim.runUntilDrained()
    let result = try #require(sim.invokeResult(ticket: ticket))
    #expect(result.outcome == .success && result.payload == #"{"answer": 2}"#)
  }

  /// An init error (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html#runtimes-api-initerror)
  /// fails the invocation; Lambda initializes a new environment for the next one.
  @Test("An init error is a function error and its environment is not reused: the retry is a cold start")
  func testInitErrorFailsTheInvocationAndDiscardsTheEnvironment() throws {
    let (sim, invoker) = try processSim(maxReceiveCount: 2)
    try sim.sendMessage(queue: "q", body: "x")
    while sim.hasPendingWork, sim.step() {
      for id in sim.pendingExternalInvocations {
        sim.completeExternal(
          id, .initError(type: "Runtime.HandlerNotFound", message: "Handler 'h' missing on module 'app'"))
      }
      if sim.now - sim.topology.startTime > .minutes(5) { break }
    }
    #expect(sim.function(named: "code")!.counters.errors == 2)
    #expect(sim.queue(named: "dlq")!.depth == 1)
    #expect(invoker.started.count == 2 && invoker.started.allSatisfy { $0.coldStart })
  }
}
