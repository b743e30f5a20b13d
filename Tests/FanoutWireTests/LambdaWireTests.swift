import FanoutSim
import Foundation
import Testing

@testable import FanoutWire

/// Answers a request as the server does: a `.wait` is asked again after every job the simulation
/// runs, and times out at its deadline (virtual time).
func drive(_ answer: WireAnswer, _ sim: Simulation) -> WireResponse {
  switch answer {
  case .now(let r): return r
  case .wait(let w):
    while let next = sim.nextJobTime, next <= w.deadline {
      sim.step()
      if let r = w.poll(sim) { return r }
    }
    sim.run(until: w.deadline)
    return w.poll(sim) ?? w.timeout(sim)
  }
}

func lambda(
  _ sim: Simulation, _ method: String, _ path: String, query: String = "",
  headers: [(name: String, value: String)] = [],
  body: String = ""
) -> WireResponse {
  let r = WireRequest(method: method, path: path, query: query, headers: headers, body: Array(body.utf8))
  return drive(LambdaWire().answer(r, sim), sim)
}

func json(_ r: WireResponse) -> JSONValue? { JSONValue.parse(r.text) }

@Suite("Lambda wire protocol")
struct LambdaWireTests {
  @Test("ListFunctions answers each function's FunctionConfiguration, by name")
  func testListFunctionsShape() throws {
    let sim = try wireSim()
    let r = lambda(sim, "GET", "/2015-03-31/functions/")
    #expect(r.status == 200)
    let v = try #require(json(r))
    guard case .array(let fs)? = v["Functions"] else {
      Issue.record("no Functions")
      return
    }
    #expect(
      fs.compactMap { $0["FunctionName"]?.stringValue } == ["preprocessor", "service01", "service02", "service03"])
    let p = fs[0]
    #expect(p["FunctionArn"]?.stringValue == "arn:aws:lambda:us-east-1:123456789012:function:preprocessor")
    #expect(p["Runtime"]?.stringValue == "python3.12")
    #expect(p["Timeout"] == .number(3))
    #expect(p["MemorySize"] == .number(128))
    #expect(p["Architectures"] == .array([.string("x86_64")]))
    #expect(p["Version"]?.stringValue == "$LATEST")
    #expect(p["LastModified"]?.stringValue == "2026-01-01T00:00:00.000+0000")
    #expect(v["NextMarker"] == .null)
  }

  @Test("ListFunctions pages with MaxItems and NextMarker; a bad MaxItems is a ValidationException")
  func testListFunctionsPaging() throws {
    let sim = try wireSim()
    let first = try #require(json(lambda(sim, "GET", "/2015-03-31/functions", query: "MaxItems=3")))
    let marker = try #require(first["NextMarker"]?.stringValue)
    let second = try #require(json(lambda(sim, "GET", "/2015-03-31/functions", query: "Marker=\(marker)")))
    guard case .array(let rest)? = second["Functions"] else { return }
    #expect(rest.compactMap { $0["FunctionName"]?.stringValue } == ["service03"])
    let bad = lambda(sim, "GET", "/2015-03-31/functions", query: "MaxItems=0")
    #expect(bad.status == 400)
    #expect(bad.header("x-amzn-ErrorType") == "ValidationException")
  }

  @Test("Invoke RequestResponse waits in virtual time for the invocation and answers its result: null")
  func testInvokeRequestResponseWaitsAndAnswersNull() throws {
    let sim = try wireSim()
    let start = sim.now
    let r = lambda(sim, "POST", "/2015-03-31/functions/service01/invocations", body: "{\"x\": 1}")
    #expect(r.status == 200)
    #expect(r.text == "null")
    #expect(r.header("X-Amz-Executed-Version") == "$LATEST")
    #expect(r.header("X-Amz-Function-Error") == nil)
    #expect(r.header("x-amzn-RequestId")?.count == 36)
    #expect(sim.now > start)
    #expect(sim.function(named: "service01")?.counters.invocations == 1)
  }

  @Test("Invoking the entry function is a fired request: the preprocessor writes its object")
  func testInvokeOfTheEntryFunctionFiresARequest() throws {
    let sim = try wireSim()
    let r = lambda(sim, "POST", "/2015-03-31/functions/preprocessor/invocations", body: "{}")
    #expect(r.status == 200)
    #expect(sim.tracker.fired == 1)
    #expect(sim.bucket(named: "fanout-bucket")?.objectCount == 1)
  }

  @Test("A function error answers 200 with X-Amz-Function-Error: Unhandled and errorMessage/errorType")
  func testInvokeFunctionErrorIsUnhandled() throws {
    let sim = try wireSim()
    var failure = FailureSpec()
    failure.errorRate = 1
    try sim.setFailure(function: "service01", failure)
    let r = lambda(sim, "POST", "/2015-03-31/functions/service01/invocations", body: "{}")
    #expect(r.status == 200)
    #expect(r.header("X-Amz-Function-Error") == "Unhandled")
    let v = try #require(json(r))
    #expect(v["errorMessage"]?.stringValue == "Injected error")
    #expect(v["errorType"]?.stringValue == "Exception")
    #expect(v["requestId"]?.stringValue == r.header("x-amzn-RequestId"))
  }

  @Test("A timed-out invocation answers Unhandled with Lambda's timeout message")
  func testInvokeTimeoutIsUnhandled() throws {
    let sim = try wireSim()
    var failure = FailureSpec()
    failure.timeoutRate = 1
    try sim.setFailure(function: "service01", failure)
    let r = lambda(sim, "POST", "/2015-03-31/functions/service01/invocations", headers: [("X-Amz-Log-Type", "Tail")])
    #expect(r.header("X-Amz-Function-Error") == "Unhandled")
    let v = try #require(json(r))
    #expect(v["errorType"]?.stringValue == "Sandbox.Timedout")
    #expect(v["errorMessage"]?.stringValue?.hasSuffix("Task timed out after 3.00 seconds") == true)
    let log = try #require(r.header("X-Amz-Log-Result").flatMap { Data(base64Encoded: $0) })
    #expect(String(decoding: log, as: UTF8.self).hasPrefix("START RequestId: "))
  }

  @Test("Invoke Event answers 202 at once; the event goes through Lambda's asynchronous queue")
  func testInvokeEventIsAcceptedWith202() throws {
    let sim = try wireSim()
    let r = lambda(
      sim, "POST", "/2015-03-31/functions/service02/invocations", headers: [("X-Amz-Invocation-Type", "Event")],
      body: "{\"k\":\"v\"}")
    #expect(r.status == 202)
    #expect(r.body.isEmpty)
    let f = try #require(sim.function(named: "service02"))
    #expect(f.async.received == 1)
    sim.runUntilDrained()
    #expect(f.async.succeeded == 1)
    #expect(f.counters.invocations == 1)
  }

  @Test("Invoke DryRun answers 204 and runs nothing")
  func testInvokeDryRunIs204() throws {
    let sim = try wireSim()
    let r = lambda(
      sim, "POST", "/2015-03-31/functions/service01/invocations", headers: [("X-Amz-Invocation-Type", "DryRun")])
    #expect(r.status == 204)
    #expect(sim.function(named: "service01")?.counters.invocations == 0)
  }

  @Test("An unknown function is ResourceNotFoundException (404) with x-amzn-ErrorType and Type User")
  func testUnknownFunctionIsResourceNotFound() throws {
    let sim = try wireSim()
    let r = lambda(sim, "POST", "/2015-03-31/functions/nope/invocations")
    #expect(r.status == 404)
    #expect(r.header("x-amzn-ErrorType") == "ResourceNotFoundException")
    #expect(
      r.text
        == "{\"Type\":\"User\",\"Message\":\"Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope\"}"
    )
    let q = lambda(sim, "POST", "/2015-03-31/functions/service01/invocations", query: "Qualifier=7")
    #expect(q.status == 404)
    let arn = lambda(
      sim, "POST",
      "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aservice01/invocations")
    #expect(arn.status == 200)
  }

  @Test(
    "Payloads: over 6 MB sync or 1 MB async is RequestEntityTooLargeException (413); not JSON is InvalidRequestContentException"
  )
  func testInvokePayloadLimits() throws {
    let sim = try wireSim()
    let big = "\"" + String(repeating: "a", count: 6 * 1_024 * 1_024) + "\""
    let r = lambda(sim, "POST", "/2015-03-31/functions/service01/invocations", body: big)
    #expect(r.status == 413)
    #expect(r.header("x-amzn-ErrorType") == "RequestEntityTooLargeException")
    let mid = "\"" + String(repeating: "a", count: 1_048_576) + "\""
    let a = lambda(
      sim, "POST", "/2015-03-31/functions/service01/invocations", headers: [("X-Amz-Invocation-Type", "Event")],
      body: mid)
    #expect(a.status == 413)
    let bad = lambda(sim, "POST", "/2015-03-31/functions/service01/invocations", body: "{not json")
    #expect(bad.status == 400)
    #expect(bad.header("x-amzn-ErrorType") == "InvalidRequestContentException")
    let type = lambda(
      sim, "POST", "/2015-03-31/functions/service01/invocations", headers: [("X-Amz-Invocation-Type", "Later")])
    #expect(type.header("x-amzn-ErrorType") == "ValidationException")
  }

  @Test("With no concurrency free, Invoke is TooManyRequestsException (429) with its Reason")
  func testThrottledInvokeIsTooManyRequests() throws {
    var t = Topology.seedPipeline()
    t.functions[1].reservedConcurrency = 0
    let sim = try Simulation(topology: t, seed: 1)
    let r = lambda(sim, "POST", "/2015-03-31/functions/service01/invocations")
    #expect(r.status == 429)
    #expect(r.header("x-amzn-ErrorType") == "TooManyRequestsException")
    let v = try #require(json(r))
    #expect(v["Reason"]?.stringValue == "ReservedFunctionConcurrentInvocationLimitExceeded")
    #expect(v["message"]?.stringValue == "Rate Exceeded.")
  }

  @Test("ListEventSourceMappings and GetEventSourceMapping answer the topology's mappings")
  func testListAndGetEventSourceMappings() throws {
    let sim = try wireSim()
    let r = lambda(sim, "GET", "/2015-03-31/event-source-mappings/")
    let v = try #require(json(r))
    guard case .array(let ms)? = v["EventSourceMappings"] else {
      Issue.record("no mappings")
      return
    }
    #expect(ms.count == 3)
    let uuid = try #require(ms[0]["UUID"]?.stringValue)
    #expect(ms[0]["State"]?.stringValue == "Enabled")
    #expect(ms[0]["EventSourceArn"]?.stringValue == sim.queues[sim.mappings[0].queue].arn)
    let one = lambda(sim, "GET", "/2015-03-31/event-source-mappings/" + uuid)
    #expect(one.status == 200)
    #expect(json(one)?["UUID"]?.stringValue == uuid)
    let filtered = try #require(
      json(lambda(sim, "GET", "/2015-03-31/event-source-mappings", query: "FunctionName=service02")))
    guard case .array(let only)? = filtered["EventSourceMappings"] else { return }
    #expect(only.count == 1)
    let missing = lambda(sim, "GET", "/2015-03-31/event-source-mappings/00000000-0000-0000-0000-000000000000")
    #expect(missing.status == 404)
    #expect(missing.header("x-amzn-ErrorType") == "ResourceNotFoundException")
  }

  @Test("UpdateEventSourceMapping Enabled false pauses the pollers as setMapping does; true resumes")
  func testUpdateEventSourceMappingEnabledPauses() throws {
    let sim = try wireSim()
    let uuid = sim.mappings[0].uuid.text
    let r = lambda(sim, "PUT", "/2015-03-31/event-source-mappings/" + uuid, body: "{\"Enabled\":false}")
    #expect(r.status == 202)
    #expect(json(r)?["State"]?.stringValue == "Disabling")
    #expect(sim.mappings[0].enabled == false)
    #expect(json(lambda(sim, "GET", "/2015-03-31/event-source-mappings/" + uuid))?["State"]?.stringValue == "Disabled")
    let on = lambda(sim, "PUT", "/2015-03-31/event-source-mappings/" + uuid, body: "{\"Enabled\":true,\"BatchSize\":5}")
    #expect(json(on)?["State"]?.stringValue == "Enabling")
    #expect(sim.mappings[0].enabled)
    #expect(sim.mappings[0].spec.batchSize == 5)
    let bad = lambda(sim, "PUT", "/2015-03-31/event-source-mappings/" + uuid, body: "{\"BatchSize\":11}")
    #expect(bad.status == 400)
    #expect(bad.header("x-amzn-ErrorType") == "InvalidParameterValueException")
  }

  @Test("CreateEventSourceMapping at run time: 202 Creating, and its pollers consume the queue")
  func testCreateEventSourceMappingStartsPollers() throws {
    var t = Topology.seedPipeline()
    t.queues.append(QueueSpec(name: "extra"))
    let sim = try Simulation(topology: t, seed: 1)
    let arn = try #require(sim.queue(named: "extra")?.arn)
    _ = try sim.sendMessage(queue: "extra", body: "{}")
    let r = lambda(
      sim, "POST", "/2015-03-31/event-source-mappings/",
      body: "{\"EventSourceArn\":\"\(arn)\",\"FunctionName\":\"service03\",\"BatchSize\":5}")
    #expect(r.status == 202)
    let v = try #require(json(r))
    #expect(v["State"]?.stringValue == "Creating")
    #expect(v["BatchSize"] == .number(5))
    #expect(v["FunctionArn"]?.stringValue == "arn:aws:lambda:us-east-1:123456789012:function:service03")
    sim.run(until: sim.now + .seconds(5))
    #expect(sim.queue(named: "extra")?.visibleCount == 0)
    #expect(sim.function(named: "service03")?.counters.invocations == 1)
    let twice = lambda(
      sim, "POST", "/2015-03-31/event-source-mappings",
      body: "{\"EventSourceArn\":\"\(arn)\",\"FunctionName\":\"service03\"}")
    #expect(twice.status == 409)
    #expect(twice.header("x-amzn-ErrorType") == "ResourceConflictException")
    let noQueue = lambda(
      sim, "POST", "/2015-03-31/event-source-mappings",
      body: "{\"EventSourceArn\":\"arn:aws:sqs:us-east-1:123456789012:none\",\"FunctionName\":\"service03\"}")
    #expect(noQueue.header("x-amzn-ErrorType") == "InvalidParameterValueException")
    let noFunction = lambda(
      sim, "POST", "/2015-03-31/event-source-mappings",
      body: "{\"EventSourceArn\":\"\(arn)\",\"FunctionName\":\"none\"}")
    #expect(noFunction.status == 404)
  }

  @Test("Hostile Lambda requests never trap: every one gets an HTTP answer")
  func testHostileLambdaRequestsNeverTrap() throws {
    let sim = try wireSim()
    let paths = [
      "/", "/2015-03-31", "/2015-03-31/", "/2015-03-31/functions//invocations", "/2015-03-31/functions/%ZZ/invocations",
      "/2015-03-31/functions/arn:aws:lambda/invocations", "/2015-03-31/functions/a:b:c:d:e/invocations",
      "/2015-03-31/event-source-mappings/x/y", "/2015-03-31/functions/service01/invocations/extra",
    ]
    let bodies = [
      "", "{", "[]", "null", "{\"Enabled\":\"yes\",\"BatchSize\":1e300}", String(repeating: "[", count: 5_000),
    ]
    for m in ["GET", "POST", "PUT", "DELETE"] {
      for p in paths {
        for b in bodies {
          let r = lambda(sim, m, p, body: b)
          #expect((200...599).contains(r.status))
        }
      }
    }
    for b in bodies {
      let r = lambda(sim, "POST", "/2015-03-31/event-source-mappings", body: b)
      #expect((400...499).contains(r.status))
      let u = lambda(sim, "PUT", "/2015-03-31/event-source-mappings/" + sim.mappings[0].uuid.text, body: b)
      #expect((200...499).contains(u.status))
    }
  }

  @Test("A run without clients makes the same events: the external stream is drawn only by requests")
  func testRunsWithoutClientsAreUnchanged() throws {
    func run(_ touch: Bool) throws -> [String] {
      let sim = try wireSim(seed: 7)
      var lines: [String] = []
      sim.observer = { lines.append($0.jsonLine) }
      if touch { _ = lambda(sim, "GET", "/2015-03-31/functions") }
      sim.startLoad(count: 5, rate: 10)
      sim.runUntilDrained()
      return lines
    }
    #expect(try run(false) == run(true))
  }
}
