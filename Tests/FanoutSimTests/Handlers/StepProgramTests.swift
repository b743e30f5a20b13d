import Testing

@testable import FanoutSim

/// A template, for short test literals.
func tt(_ s: String) -> TextTemplate {
  // swift-format-ignore: NeverUseForceTry
  try! TextTemplate(s)
}

/// A pipeline around one function `f` running `program`: queue `in` triggers it (whole batches
/// of up to `batch`), topic `t` delivers to `in` (raw when `raw`), topic `out` has an e-mail sink
/// and the queue `outq`; queue `sent`; bucket `b`. The function itself takes no time (no cold
/// start, no compute), so an invocation lasts as long as its steps.
func programSim(
  _ program: StepProgram, batch: Int = 10, report: Bool = false, raw: Bool = false,
  _ change: (inout Topology) -> Void = { _ in }
) throws -> (Simulation, Recorder) {
  var t = Topology()
  t.buckets = [BucketSpec(name: "b")]
  t.queues = [QueueSpec(name: "in"), QueueSpec(name: "outq"), QueueSpec(name: "sent")]
  t.topics = [
    TopicSpec(name: "t", subscriptions: [SubscriptionSpec(endpoint: .queue("in"), rawMessageDelivery: raw)]),
    TopicSpec(
      name: "out",
      subscriptions: [SubscriptionSpec(endpoint: .sink("email")), SubscriptionSpec(endpoint: .queue("outq"))]
    ),
  ]
  var f = FunctionSpec(name: "f", handler: .steps(program))
  f.coldStart = .fixed(.zero)
  f.duration = .fixed(.zero)
  f.perRecord = .fixed(.zero)
  t.functions = [f]
  var m = MappingSpec(queue: "in", function: "f")
  m.batchSize = batch
  if batch > 1 { m.maximumBatchingWindow = .seconds(1) }
  m.reportBatchItemFailures = report
  t.mappings = [m]
  change(&t)
  let sim = try Simulation(topology: t, seed: 1)
  let rec = Recorder(sim)
  // Held by the simulation: a test may drop the recorder.
  sim.observer = { rec.events.append($0) }
  return (sim, rec)
}

/// The errors a function's invocations ended with.
func invocationErrors(_ rec: Recorder) -> [String] {
  rec.of("lambda.result").compactMap {
    if case .lambdaResult(_, _, .error(let m), _, _) = $0.kind { return m }
    return nil
  }
}

/// The keys of the events of a type (s3.get, s3.head, s3.put, s3.delete) with their found flag.
func s3Events(_ rec: Recorder, _ type: String) -> [(String, Bool)] {
  rec.of(type).compactMap {
    switch $0.kind {
    case .s3Get(_, let k, let found, _), .s3Head(_, let k, let found, _), .s3Delete(_, let k, let found, _):
      return (k.text, found)
    case .s3Put(_, let k, _, _, _, _): return (k.text, true)
    default: return nil
    }
  }
}

@Suite("Handlers made of steps")
struct StepProgramTests {
  // MARK: read

  @Test("read takes a value from the record's body by JSON path")
  func testReadTakesAValueFromTheBodyByJSONPath() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, path: try JSONPath(parsing: "order.items[1].sku"), as: "sku")),
        .s3Put(S3PutStep(bucket: "b", key: tt("skus/{sku}"), body: .text(tt("{sku!r}")))),
      ])
    let (sim, _) = try programSim(p)
    try sim.sendMessage(queue: "in", body: "{\"order\": {\"items\": [{\"sku\": \"A-0\"}, {\"sku\": \"A-1\"}]}}")
    sim.runUntilDrained()
    #expect(sim.bucket(named: "b")!.peek(key: "skus/A-1") == "'A-1'")
  }

  @Test("read takes a value from the SNS envelope's Message; its text is parsed as JSON")
  func testReadTakesAValueFromTheEnvelopeMessage() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .envelope, path: JSONPath([.key("n")]), as: "n")),
        .s3Put(S3PutStep(bucket: "b", key: tt("n/{n}.txt"), body: .text(tt("{n!j}")))),
      ])
    let (sim, _) = try programSim(p)
    try sim.publish(topic: "t", message: "{\"n\": 7}")
    sim.runUntilDrained()
    // str(7) in the key, json.dumps(7) in the body.
    #expect(sim.bucket(named: "b")!.peek(key: "n/7.txt") == "7")
    #expect(sim.function(named: "f")!.counters.errors == 0)
  }

  @Test("read takes an SQS message attribute, and an SNS envelope's attribute")
  func testReadTakesMessageAttributes() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .attribute("kind"), as: "kind")),
        .s3Put(S3PutStep(bucket: "b", key: tt("kinds/{kind}"), body: .text(tt("x")))),
      ])
    let (sim, _) = try programSim(p)
    try sim.sendMessage(queue: "in", body: "hello", attributes: [MessageAttribute(name: "kind", value: "book")])
    sim.runUntilDrained()
    #expect(sim.bucket(named: "b")!.peek(key: "kinds/book") == "x")

    let q = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .envelopeAttribute("kind"), as: "kind")),
        .s3Put(S3PutStep(bucket: "b", key: tt("kinds/{kind}"), body: .text(tt("y")))),
      ])
    let (sim2, rec2) = try programSim(q, batch: 1)
    try sim2.publish(
      topic: "t", message: "m", attributes: [MessageAttribute(name: "kind", dataType: "String", value: "pen")])
    try sim2.publish(topic: "t", message: "no attributes")
    sim2.run(until: sim2.now + .seconds(3))
    #expect(sim2.bucket(named: "b")!.peek(key: "kinds/pen") == "y")
    // An envelope without attributes has no MessageAttributes key at all.
    #expect(!invocationErrors(rec2).isEmpty)
    #expect(invocationErrors(rec2).allSatisfy { $0 == "KeyError: 'MessageAttributes'" })
  }

  @Test("read of a missing key raises KeyError as Python does, unless it has a default")
  func testReadOfAMissingKeyRaisesKeyErrorUnlessADefault() throws {
    let missing = StepProgram(
      forEach: .record, steps: [.read(ReadStep(source: .body, path: JSONPath([.key("id")]), as: "id"))])
    let (sim, rec) = try programSim(missing, batch: 1)
    try sim.sendMessage(queue: "in", body: "{\"other\": 1}")
    try sim.sendMessage(queue: "in", body: "[1, 2]")
    try sim.sendMessage(queue: "in", body: "not json")
    sim.run(until: sim.now + .seconds(5))
    let errors = Set(invocationErrors(rec))
    #expect(
      errors == [
        "KeyError: 'id'", "TypeError: list indices must be integers or slices, not str",
        "JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
      ])
    let withDefault = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, path: JSONPath([.key("id")]), as: "id", fallback: .string("none"))),
        .s3Put(S3PutStep(bucket: "b", key: tt("{id}"), body: .text(tt("x")))),
      ])
    let (sim2, _) = try programSim(withDefault)
    try sim2.sendMessage(queue: "in", body: "{\"other\": 1}")
    sim2.runUntilDrained()
    #expect(sim2.bucket(named: "b")!.peek(key: "none") == "x")
  }

  // MARK: S3

  @Test("s3Get reads the object into a variable; a missing key raises NoSuchKey as boto3 does")
  func testS3GetReadsTheObjectAndNoSuchKeyAsBoto3RaisesIt() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, path: JSONPath([.key("id")]), as: "id")),
        .s3Get(S3GetStep(bucket: "b", key: tt("in/{id}.json"), as: "obj")),
        .s3Put(S3PutStep(bucket: "b", key: tt("out/{id}.json"), body: .text(tt("copy of {obj}")))),
      ])
    let (sim, rec) = try programSim(p, batch: 1)
    try sim.bucket(named: "b")!.put(key: "in/1.json", body: "one", at: sim.now)
    try sim.sendMessage(queue: "in", body: "{\"id\": 1}")
    try sim.sendMessage(queue: "in", body: "{\"id\": 2}")
    sim.run(until: sim.now + .seconds(5))
    #expect(sim.bucket(named: "b")!.peek(key: "out/1.json") == "copy of one")
    #expect(s3Events(rec, "s3.get").contains { $0 == ("in/2.json", false) })
    #expect(
      invocationErrors(rec).first
        == "NoSuchKey: An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist."
    )
    let skip = StepProgram(
      forEach: .record,
      steps: [
        .s3Get(S3GetStep(bucket: "b", key: tt("nothing"), as: "obj", missing: .skip)),
        .fail(FailStep()),
      ])
    let (sim2, rec2) = try programSim(skip)
    try sim2.sendMessage(queue: "in", body: "x")
    sim2.runUntilDrained()
    #expect(invocationErrors(rec2).isEmpty, "missing: skip ends the record successfully")
    #expect(sim2.queue(named: "in")!.depth == 0)
  }

  @Test("s3Put writes a template body, a JSON body, and the GET's body with fields set (as the seed service does)")
  func testS3PutWritesTemplatesAndTheGetBodyWithAFieldSet() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, path: JSONPath([.key("id")]), as: "id")),
        .s3Get(S3GetStep(bucket: "b", key: tt("in/{id}.json"), as: "obj")),
        .s3Put(
          S3PutStep(
            bucket: "b", key: tt("edited/{id}.json"),
            body: .edit(variable: "obj", set: [("key1", .value(.null)), ("by", .variable("id"))]))),
        .s3Put(
          S3PutStep(
            bucket: "b", key: tt("json/{id}.json"),
            body: .json(.object([("id", .variable("id")), ("path", .text(tt("in/{id}"))), ("n", .value(.number(2)))])))),
      ])
    let (sim, _) = try programSim(p)
    let b = sim.bucket(named: "b")!
    try b.put(key: "in/5.json", body: seedPreprocessorBody, at: sim.now)
    try sim.sendMessage(queue: "in", body: "{\"id\": 5}")
    sim.runUntilDrained()
    #expect(b.peek(key: "edited/5.json") == "{\"key1\": null, \"key2\": \"val2\", \"key3\": \"val3\", \"by\": 5}")
    #expect(b.peek(key: "json/5.json") == "{\"id\": 5, \"path\": \"in/5\", \"n\": 2}")
  }

  @Test("s3Put with IfNoneMatch: an existing object is S3's 412, skipped or raised as boto3's ClientError")
  func testS3PutIfNoneMatchSkipsOrFailsOnAnExistingObject() throws {
    func run(_ onExists: S3PutStep.ExistsAction) throws -> (Simulation, Recorder) {
      let p = StepProgram(
        forEach: .record,
        steps: [
          .s3Put(
            S3PutStep(bucket: "b", key: tt("once"), body: .text(tt("new")), ifNoneMatch: true, onExists: onExists)),
          .publish(PublishStep(topic: "out", message: .text(tt("written")))),
        ])
      let (sim, rec) = try programSim(p, batch: 1)
      try sim.bucket(named: "b")!.put(key: "once", body: "old", at: sim.now)
      try sim.sendMessage(queue: "in", body: "x")
      sim.run(until: sim.now + .seconds(3))
      return (sim, rec)
    }
    let (skipped, skipRec) = try run(.skip)
    #expect(skipped.bucket(named: "b")!.peek(key: "once") == "old")
    #expect(skipped.sinks[0].received == 0, "the publish after a skipped put is not made")
    #expect(invocationErrors(skipRec).isEmpty)
    let (_, failRec) = try run(.fail)
    #expect(
      invocationErrors(failRec).first
        == "ClientError: An error occurred (PreconditionFailed) when calling the PutObject operation: At least one of the pre-conditions you specified did not hold"
    )
  }

  @Test("s3Head finds an object (found: skip ends the record) and raises boto3's ClientError (404) Not Found")
  func testS3HeadFindsTheObjectAnd404AsBoto3RaisesIt() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, as: "k")),
        .s3Head(S3HeadStep(bucket: "b", key: tt("{k}"), as: "meta")),
        .s3Put(S3PutStep(bucket: "b", key: tt("meta/{k}"), body: .json(.variable("meta")))),
      ])
    let (sim, rec) = try programSim(p, batch: 1)
    try sim.bucket(named: "b")!.put(key: "there", body: "12345", at: sim.now)
    try sim.sendMessage(queue: "in", body: "there")
    try sim.sendMessage(queue: "in", body: "absent")
    sim.run(until: sim.now + .seconds(3))
    #expect(
      sim.bucket(named: "b")!.peek(key: "meta/there")
        == "{\"ContentLength\": 5, \"ETag\": \"\\\"827ccb0eea8a706c4c34a16891f84e7b\\\"\"}")
    #expect(s3Events(rec, "s3.head").contains { $0 == ("absent", false) })
    #expect(
      invocationErrors(rec).first
        == "ClientError: An error occurred (404) when calling the HeadObject operation: Not Found")
    let dedupe = StepProgram(
      forEach: .record,
      steps: [
        .s3Head(S3HeadStep(bucket: "b", key: tt("done"), missing: .continue, found: .skip)),
        .s3Put(S3PutStep(bucket: "b", key: tt("done"), body: .text(tt("1")))),
        .publish(PublishStep(topic: "out", message: .text(tt("did it")))),
      ])
    let (sim2, _) = try programSim(dedupe, batch: 1)
    for _ in 0..<3 {
      try sim2.sendMessage(queue: "in", body: "x")
      sim2.run(until: sim2.now + .seconds(1))
    }
    sim2.runUntilDrained()
    #expect(sim2.sinks[0].received == 1, "the HEAD finds the object after the first record and skips the rest")
    #expect(sim2.bucket(named: "b")!.heads == 3)
  }

  @Test("s3Delete removes an object, and succeeds (S3's 204) when there is none")
  func testS3DeleteRemovesTheObjectAndSucceedsWhenThereIsNone() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [.read(ReadStep(source: .body, as: "k")), .s3Delete(S3DeleteStep(bucket: "b", key: tt("{k}")))])
    let (sim, rec) = try programSim(p, batch: 1)
    try sim.bucket(named: "b")!.put(key: "a", body: "1", at: sim.now)
    try sim.sendMessage(queue: "in", body: "a")
    try sim.sendMessage(queue: "in", body: "never-was")
    sim.runUntilDrained()
    #expect(sim.bucket(named: "b")!.objectCount == 0)
    #expect(Set(s3Events(rec, "s3.delete").map { "\($0.0) \($0.1)" }) == ["a true", "never-was false"])
    #expect(invocationErrors(rec).isEmpty)
  }

  @Test("S3 keys are the template's text, byte for byte: case and Unicode normalisation make other keys")
  func testS3KeysAreTheTemplateTextExactUTF8Bytes() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, path: JSONPath([.key("id")]), as: "id")),
        .s3Get(S3GetStep(bucket: "b", key: tt("in/{id}.json"), as: "obj")),
      ])
    let (sim, rec) = try programSim(p, batch: 1)
    let id = md5RequestID("k").hex
    let b = sim.bucket(named: "b")!
    try b.put(key: "in/\(id).json", body: "lower", at: sim.now)
    try b.put(key: "in/e\u{301}.json", body: "decomposed", at: sim.now)
    try sim.sendMessage(queue: "in", body: "{\"id\": \"\(id)\"}")
    try sim.sendMessage(queue: "in", body: "{\"id\": \"\(id.uppercased())\"}")
    try sim.sendMessage(queue: "in", body: "{\"id\": \"\u{E9}\"}")
    sim.run(until: sim.now + .seconds(2))
    let gets = s3Events(rec, "s3.get")
    #expect(gets.contains { $0 == ("in/\(id).json", true) })
    #expect(gets.contains { $0 == ("in/\(id.uppercased()).json", false) })
    #expect(gets.contains { Array($0.0.utf8) == Array("in/\u{E9}.json".utf8) && !$0.1 })
  }

  @Test("S3 keys over 1,024 bytes are KeyTooLongError; an empty key is botocore's ParamValidationError")
  func testS3KeyOver1024BytesIsKeyTooLongErrorAndEmptyKeyIsParamValidation() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, as: "k")), .s3Put(S3PutStep(bucket: "b", key: tt("{k}"), body: .text(tt("x")))),
      ])
    let (sim, rec) = try programSim(p, batch: 1)
    try sim.sendMessage(queue: "in", body: String(repeating: "a", count: 1_025))
    sim.run(until: sim.now + .seconds(1))
    #expect(
      invocationErrors(rec).first
        == "ClientError: An error occurred (KeyTooLongError) when calling the PutObject operation: Your key is too long"
    )
    let (sim2, rec2) = try programSim(
      StepProgram(forEach: .record, steps: [.s3Put(S3PutStep(bucket: "b", key: tt(""), body: .text(tt("x"))))]))
    try sim2.sendMessage(queue: "in", body: "x")
    sim2.run(until: sim2.now + .seconds(1))
    #expect(
      invocationErrors(rec2).first
        == "ParamValidationError: Parameter validation failed:\nInvalid length for parameter Key, value: 0, valid min length: 1"
    )
    #expect(sim2.bucket(named: "b")!.puts == 0)
  }

  // MARK: SNS and SQS

  @Test("publish sends the template message with its attributes and subject")
  func testPublishSendsTheTemplateMessageWithAttributes() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, path: JSONPath([.key("id")]), as: "id")),
        .publish(
          PublishStep(
            topic: "out", message: .json(.object([("id", .variable("id")), ("state", .value(.string("done")))])),
            subject: tt("order {id}"),
            attributes: [AttributeTemplate(name: "id", dataType: "Number", value: tt("{id}"))])),
      ])
    let (sim, rec) = try programSim(p)
    try sim.sendMessage(queue: "in", body: "{\"id\": 42}")
    sim.runUntilDrained()
    let publish = try #require(rec.of("sns.publish").last)
    guard case .snsPublish("out", _, let message, let subject, let attributes, _, _, _, _) = publish.kind else {
      Issue.record("no publish to out: \(publish.kind)")
      return
    }
    #expect(message.text == "{\"id\": 42, \"state\": \"done\"}")
    #expect(subject == "order 42")
    #expect(attributes == [MessageAttribute(name: "id", dataType: "Number", value: "42")])
    #expect(sim.sinks[0].received == 1)
  }

  @Test("send puts the body on a queue, with its attributes and DelaySeconds")
  func testSendPutsTheBodyOnTheQueueWithDelay() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .send(
          SendStep(
            queue: "sent", body: .record(.body), attributes: [AttributeTemplate(name: "from", value: tt("f"))],
            delay: .seconds(5)))
      ])
    let (sim, rec) = try programSim(p)
    try sim.sendMessage(queue: "in", body: "payload")
    sim.runUntilDrained()
    let stored = sim.queue(named: "sent")!.storedMessages
    #expect(stored.count == 1)
    #expect(stored.first?.message.body.text == "payload")
    #expect(stored.first?.message.attributes == [MessageAttribute(name: "from", value: "f")])
    let send = try #require(rec.of("sqs.send").last)
    guard case .sqsSend("sent", _, _, let delay, _, _, let source) = send.kind else {
      Issue.record("no send to sent: \(send.kind)")
      return
    }
    #expect(delay == .seconds(5))
    #expect(source == "lambda:f")
  }

  // MARK: Time

  @Test(
    "Each AWS call takes its latency from the topology: S3 GET/HEAD s3Get, PUT/DELETE s3Put, SNS snsPublish, SQS sqsSend"
  )
  func testAWSCallsTakeTheirLatencyFromTheTopology() throws {
    let p = StepProgram(
      forEach: .invocation,
      steps: [
        .s3Put(S3PutStep(bucket: "b", key: tt("k"), body: .text(tt("v")))),
        .s3Get(S3GetStep(bucket: "b", key: tt("k"), as: nil)),
        .s3Head(S3HeadStep(bucket: "b", key: tt("k"))),
        .s3Delete(S3DeleteStep(bucket: "b", key: tt("k"))),
        .publish(PublishStep(topic: "out", message: .text(tt("m")))),
        .send(SendStep(queue: "sent", body: .text(tt("m")))),
      ])
    let (sim, rec) = try programSim(p) {
      $0.latency.s3Get = .fixed(.milliseconds(7))
      $0.latency.s3Put = .fixed(.milliseconds(11))
      $0.latency.snsPublish = .fixed(.milliseconds(13))
      $0.latency.sqsSend = .fixed(.milliseconds(17))
      $0.entryFunction = "f"
    }
    sim.fireRequest()
    sim.runUntilDrained()
    let result = try #require(rec.of("lambda.result").first)
    guard case .lambdaResult(_, _, .success, let duration, _) = result.kind else {
      Issue.record("not a success: \(result.kind)")
      return
    }
    #expect(duration == .milliseconds(11 + 7 + 7 + 11 + 13 + 17))
  }

  @Test("wait (an outside dependency) and compute take their duration models' time")
  func testWaitAndComputeTakeTheirDurations() throws {
    let p = StepProgram(steps: [.wait(.fixed(.milliseconds(120))), .compute(.fixed(.milliseconds(30)))])
    let (sim, rec) = try programSim(p) { $0.entryFunction = "f" }
    sim.fireRequest()
    sim.runUntilDrained()
    guard case .lambdaResult(_, _, .success, let duration, _)? = rec.of("lambda.result").first?.kind else {
      Issue.record("no success")
      return
    }
    #expect(duration == .milliseconds(150))
    // A wait past the function's timeout is a timeout.
    let (slow, slowRec) = try programSim(StepProgram(steps: [.wait(.fixed(.seconds(5)))])) { $0.entryFunction = "f" }
    slow.fireRequest()
    slow.runUntilDrained()
    guard case .lambdaResult(_, _, .timeout, let d, _)? = slowRec.of("lambda.result").first?.kind else {
      Issue.record("no timeout")
      return
    }
    #expect(d == .seconds(3))
  }

  // MARK: Failing

  @Test("fail when a value matches a regular expression: only those records fail")
  func testFailWhenAValueMatchesARegex() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, path: JSONPath([.key("sku")]), as: "sku")),
        .fail(
          FailStep(
            condition: .init(value: tt("{sku}"), .matches("^TEST-[0-9]+$")), error: tt("ValueError: test SKU {sku}"))),
        .s3Put(S3PutStep(bucket: "b", key: tt("ok/{sku}"), body: .text(tt("1")))),
      ])
    let (sim, rec) = try programSim(p, batch: 1)
    for sku in ["A-1", "TEST-12", "TEST-x", "xTEST-1"] {
      try sim.sendMessage(queue: "in", body: "{\"sku\": \"\(sku)\"}")
    }
    sim.run(until: sim.now + .seconds(3))
    #expect(sim.bucket(named: "b")!.allKeys == ["ok/A-1", "ok/TEST-x", "ok/xTEST-1"])
    #expect(Set(invocationErrors(rec)) == ["ValueError: test SKU TEST-12"])
  }

  @Test("fail when a value equals a text, byte for byte")
  func testFailWhenAValueEquals() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .attribute("kind"), as: "kind")),
        .fail(FailStep(condition: .init(value: tt("{kind}"), .equals("poison")))),
      ])
    let (sim, rec) = try programSim(p, batch: 1)
    for kind in ["poison", "Poison", "ok"] {
      try sim.sendMessage(queue: "in", body: "x", attributes: [MessageAttribute(name: "kind", value: kind)])
    }
    sim.run(until: sim.now + .seconds(3))
    #expect(sim.function(named: "f")!.counters.errors == 1)
    #expect(invocationErrors(rec) == ["Exception: failed"])
  }

  @Test("fail with a probability fails about that share, drawn from the handler's own stream")
  func testFailWithAProbabilityFailsThatShare() throws {
    let p = StepProgram(steps: [.fail(FailStep(probability: 0.3))])
    let (sim, _) = try programSim(p) { $0.entryFunction = "f" }
    sim.startLoad(count: 2_000, rate: 500)
    sim.runUntilDrained()
    let errors = sim.function(named: "f")!.counters.errors
    // 600 expected; 5 standard deviations is 102.
    #expect(abs(errors - 600) < 102, "\(errors) of 2,000 failed")
    #expect(sim.tracker.failedCount == errors)
  }

  @Test("reportItemFailures: a failing record is reported in batchItemFailures and only it returns to the queue")
  func testReportedItemFailuresReportTheRecordInsteadOfFailingTheBatch() throws {
    let p = StepProgram(
      forEach: .record,
      steps: [
        .read(ReadStep(source: .body, as: "v")),
        .fail(FailStep(condition: .init(value: tt("{v}"), .equals("bad")))),
        .s3Put(S3PutStep(bucket: "b", key: tt("done/{v}"), body: .text(tt("1")))),
      ], reportItemFailures: true)
    let (sim, rec) = try programSim(p, report: true) { $0.queues[0].visibilityTimeout = .seconds(60) }
    for v in ["one", "bad", "two"] { try sim.sendMessage(queue: "in", body: v) }
    sim.run(until: sim.now + .seconds(10))
    var reported = 0
    for e in rec.of("lambda.result") {
      guard case .lambdaResult(_, _, .success, _, let failures) = e.kind else {
        Issue.record("a batch failed: \(e.kind)")
        continue
      }
      reported += failures.count
    }
    #expect(reported == 1)
    #expect(sim.bucket(named: "b")!.allKeys == ["done/one", "done/two"])
    #expect(sim.queue(named: "in")!.depth == 1, "only the reported record stays")
    // Without reportItemFailures the error fails the whole batch: every record comes back.
    var q = p
    q.reportItemFailures = false
    let (sim2, rec2) = try programSim(q, report: true) { $0.queues[0].visibilityTimeout = .seconds(60) }
    for v in ["one", "bad", "two"] { try sim2.sendMessage(queue: "in", body: v) }
    sim2.run(until: sim2.now + .seconds(10))
    #expect(invocationErrors(rec2).first == "Exception: failed")
    #expect(sim2.queue(named: "in")!.depth == 3)
  }

  // MARK: Identifiers and requests

  @Test("newId makes the seed's MD5 of the timestamp, or a uuid4; an entry invocation's first ID is its request's")
  func testNewIdMakesRequestIDsAndTracksTheRequest() throws {
    let p = StepProgram(steps: [
      .newID(NewIDStep(.md5Timestamp, as: "md5")), .newID(NewIDStep(.uuid4, as: "u")),
      .s3Put(S3PutStep(bucket: "b", key: tt("{md5}/{u}"), body: .text(tt("x")))),
    ])
    let (sim, rec) = try programSim(p) { $0.entryFunction = "f" }
    sim.fireRequest()
    sim.runUntilDrained()
    let idEvent = try #require(rec.of("request.id").first)
    guard case .requestID(1, let id) = idEvent.kind else {
      Issue.record("no request id")
      return
    }
    #expect(id == idEvent.time.withPythonCompactTimestamp { md5RequestID($0) })
    let key = try #require(sim.bucket(named: "b")!.allKeys.first)
    #expect(key.hasPrefix(id.hex + "/"))
    let u = String(key.dropFirst(33))
    #expect(u.count == 36 && u.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12] && Array(u)[14] == "4")
  }

  @Test("complete credits the record's request with a stage: the tracker's end-to-end latency")
  func testCompleteCreditsTheRequestsStage() throws {
    let p = StepProgram(forEach: .record, steps: [.complete(stage: "done")])
    let (sim, rec) = try programSim(p) {
      $0.functions.append(
        FunctionSpec(
          name: "entry",
          handler: .steps(
            StepProgram(steps: [
              .newID(NewIDStep(.uuid4Hex, as: "id")),
              .publish(PublishStep(topic: "t", message: .json(.object([("request_id", .variable("id"))])))),
            ]))))
      $0.entryFunction = "entry"
    }
    sim.fireRequest()
    sim.fireRequest()
    sim.runUntilDrained()
    #expect(sim.tracker.stages == ["done"])
    #expect(sim.tracker.completed == 2)
    #expect(rec.of("request.stage_done").count == 2)
  }
}
