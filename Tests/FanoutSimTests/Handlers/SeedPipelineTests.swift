import Testing

@testable import FanoutSim

@Suite("The seed pipeline")
struct SeedPipelineTests {
  @Test("A request: ID = MD5 of the virtual timestamp; four S3 keys; three notifications")
  func oneRequest() throws {
    let sim = try makeSim()
    let rec = Recorder(sim)
    sim.fireRequest()
    #expect(sim.runUntilDrained())
    let idEvent = rec.of("request.id")[0]
    guard case .requestID(_, let id) = idEvent.kind else {
      Issue.record("no id")
      return
    }
    // The ID is hashlib.md5(b"20260101000000094798").hexdigest(), computed by Python.
    #expect(idEvent.time.pythonCompactTimestamp == "20260101000000094798")
    #expect(id.hex == "ede6d277fab24b6e044bff6aa667ac8a")
    let b = sim.bucket(named: "fanout-bucket")!
    #expect(
      b.allKeys == [
        "fanout/preprocessor/\(id.hex).json", "fanout/service01/\(id.hex).json", "fanout/service02/\(id.hex).json",
        "fanout/service03/\(id.hex).json",
      ])
    #expect(
      b.peek(key: "fanout/preprocessor/\(id.hex).json")
        == "{\"key1\": \"val1\", \"key2\": \"val2\", \"key3\": \"val3\"}")
    #expect(
      b.peek(key: "fanout/service02/\(id.hex).json") == "{\"key1\": null, \"key2\": \"val2\", \"key3\": \"val3\"}")
    #expect(sim.sinks[0].received == 3)
    #expect(sim.tracker.completed == 1)
    let notify = rec.of("sns.notify")
    #expect(notify.count == 3)
    guard case .snsNotify(_, _, _, let message, _) = try #require(notify.first).kind else {
      Issue.record("not a notification: \(notify[0].kind)")
      return
    }
    #expect(message.text == "{\"request_id\": \"\(id.hex)\"}")
    let publish = try #require(rec.of("sns.publish").first)
    guard case .snsPublish("connector", _, let m, _, _, let matched, _, _, _) = publish.kind else {
      Issue.record("not a publish to connector: \(publish.kind)")
      return
    }
    #expect(m.text == "{\"request_id\": \"\(id.hex)\"}")
    #expect(matched == ["service01", "service02", "service03"])
  }

  @Test("Two requests in the same microsecond get the same ID: reproduced, reported as a collision, not merged")
  func collision() throws {
    let sim = try makeSim {
      for i in $0.functions.indices {
        $0.functions[i].coldStart = .fixed(.s(0.2))
        $0.functions[i].duration = .fixed(.s(0.003))
      }
    }
    let rec = Recorder(sim)
    sim.fireRequest()
    sim.fireRequest()
    sim.runUntilDrained()
    #expect(rec.of("request.collision").count == 1)
    #expect(sim.tracker.collidingFires == 1)
    #expect(sim.tracker.fired == 2)
    #expect(sim.tracker.completed == 2, "each service processed both messages, one per request")
    #expect(sim.bucket(named: "fanout-bucket")!.objectCount == 4, "the second PUT overwrote the same keys")
    #expect(sim.sinks[0].received == 6)
  }

  @Test("A request can enter at any stage: a message sent straight to one service's queue")
  func entryAtAnyStage() throws {
    let sim = try makeSim()
    let id = md5RequestID("manual")
    try sim.bucket(named: "fanout-bucket")!.put(
      key: "fanout/preprocessor/\(id.hex).json", body: seedPreprocessorBody, at: sim.now)
    let n = SNSNotification(
      messageId: UUID128(hi: 1, lo: 2), topicArn: sim.topic(named: "connector")!.arn, subject: nil,
      message: .requestRef(id), timestamp: sim.now, attributes: [], region: "us-east-1")
    try sim.sendMessage(
      queue: "service02", body: n.envelope(subscriptionArn: sim.topic(named: "connector")!.subscriptions[1].arn))
    sim.runUntilDrained()
    let b = sim.bucket(named: "fanout-bucket")!
    #expect(b.peek(key: "fanout/service02/\(id.hex).json") != nil)
    #expect(b.peek(key: "fanout/service01/\(id.hex).json") == nil)
    #expect(b.peek(key: "fanout/service03/\(id.hex).json") == nil)
  }

  @Test("A service whose input object is missing fails with NoSuchKey and its message ends in the DLQ")
  func missingObject() throws {
    let sim = try makeSim(services: 1)
    try sim.publish(topic: "connector", message: "{\"request_id\": \"\(md5RequestID("ghost").hex)\"}")
    sim.runUntilDrained()
    #expect(sim.function(named: "service01")!.counters.errors == 5)
    #expect(sim.queue(named: "service01-dlq")!.depth == 1)
  }

  @Test("A raw-delivery subscription breaks the seed service: it looks for the envelope's Message")
  func rawDeliveryBreaksService() throws {
    let sim = try makeSim(services: 1) { $0.topics[0].subscriptions[0].rawMessageDelivery = true }
    let rec = Recorder(sim)
    sim.fireRequest()
    sim.runUntilDrained()
    let errors = rec.of("lambda.result").compactMap { e -> String? in
      if case .lambdaResult("service01", _, .error(let m), _, _) = e.kind { return m }
      return nil
    }
    #expect(errors.first == "KeyError: 'Message'")
  }

  /// The S3 GETs a service made, as (key text, found).
  private func gets(_ rec: Recorder) -> [(String, Bool)] {
    rec.of("s3.get").compactMap { e -> (String, Bool)? in
      if case .s3Get(_, let k, let found, _) = e.kind { return (k.text, found) }
      return nil
    }
  }

  private func errors(_ rec: Recorder, _ function: String) -> [String] {
    rec.of("lambda.result").compactMap { e -> String? in
      if case .lambdaResult(let f, _, .error(let m), _, _) = e.kind, f == function { return m }
      return nil
    }
  }

  static let boto3NoSuchKey =
    "NoSuchKey: An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist."

  @Test("S3 keys are case-sensitive: an upper-case request ID GETs its own key, fails with NoSuchKey, ends in the DLQ")
  func testS3KeysAreCaseSensitiveRequestIDUpperCaseIsNoSuchKey() throws {
    let sim = try makeSim(services: 1)
    let rec = Recorder(sim)
    sim.fireRequest()
    #expect(sim.runUntilDrained())
    let id = try #require(sim.tracker.requestID(ofFire: 1)).hex
    let upper = id.uppercased()
    #expect(sim.bucket(named: "fanout-bucket")!.peek(key: "fanout/preprocessor/\(id).json") != nil)
    rec.events.removeAll()
    try sim.publish(topic: "connector", message: "{\"request_id\": \"\(upper)\"}")
    #expect(sim.runUntilDrained())
    // s3.get_object(Key=f"{prefix}/{previous}/{request_id}.json"): the key as sent, five times.
    let g = gets(rec)
    #expect(g.count == 5)
    #expect(g.allSatisfy { $0 == ("fanout/preprocessor/\(upper).json", false) })
    #expect(errors(rec, "service01") == Array(repeating: Self.boto3NoSuchKey, count: 5))
    #expect(sim.queue(named: "service01-dlq")!.depth == 1)
    #expect(sim.bucket(named: "fanout-bucket")!.peek(key: "fanout/service01/\(upper).json") == nil)
    #expect(sim.tracker.duplicateCompletions == 0, "the upper-case ID is not the tracked request")
  }

  @Test("S3 keys are the request_id as sent: {\"request_id\": \"hello\"} GETs …/hello.json and fails with NoSuchKey")
  func testS3KeyIsTheRequestIDAsSentHelloIsAGet() throws {
    let sim = try makeSim(services: 1)
    let rec = Recorder(sim)
    try sim.publish(topic: "connector", message: "{\"request_id\": \"hello\"}")
    #expect(sim.runUntilDrained())
    let g = gets(rec)
    #expect(g.count == 5)
    #expect(g.first.map { $0 == ("fanout/preprocessor/hello.json", false) } == true)
    #expect(errors(rec, "service01").first == Self.boto3NoSuchKey)
    #expect(sim.bucket(named: "fanout-bucket")!.getMisses == 5)
    #expect(sim.queue(named: "service01-dlq")!.depth == 1)
  }

  @Test("S3 keys are the request_id as sent: when that exact key exists the service reads it and writes its own")
  func testS3KeyIsTheRequestIDAsSentExistingTextKey() throws {
    let sim = try makeSim(services: 1)
    let b = sim.bucket(named: "fanout-bucket")!
    let upper = md5RequestID("manual").hex.uppercased()
    for name in ["hello", upper] {
      try b.put(key: "fanout/preprocessor/\(name).json", body: seedPreprocessorBody, at: sim.now)
      try sim.publish(topic: "connector", message: "{\"request_id\": \"\(name)\"}")
    }
    // A number: Python's f-string writes str(7).
    try b.put(key: "fanout/preprocessor/7.json", body: seedPreprocessorBody, at: sim.now)
    try sim.publish(topic: "connector", message: "{\"request_id\": 7}")
    #expect(sim.runUntilDrained())
    for name in ["hello", upper, "7"] {
      #expect(
        b.peek(key: "fanout/service01/\(name).json") == "{\"key1\": null, \"key2\": \"val2\", \"key3\": \"val3\"}")
    }
    #expect(b.peek(key: "fanout/service01/\(upper.lowercased()).json") == nil)
    #expect(sim.function(named: "service01")!.counters.errors == 0)
    #expect(sim.sinks[0].received == 3)
    #expect(sim.tracker.completed == 0, "none of them is a tracked request")
  }

  @Test("S3 keys are UTF-8 bytes: a request_id \"é\" precomposed does not find the decomposed key")
  func testS3KeysAreUTF8BytesNotNormalised() throws {
    let sim = try makeSim(services: 1)
    let rec = Recorder(sim)
    let b = sim.bucket(named: "fanout-bucket")!
    let decomposed = "e\u{301}"
    let precomposed = "\u{E9}"
    #expect(decomposed == precomposed, "Swift's String == calls them equal; S3 does not")
    try b.put(key: "fanout/preprocessor/\(decomposed).json", body: seedPreprocessorBody, at: sim.now)
    try sim.publish(topic: "connector", message: "{\"request_id\": \"\(precomposed)\"}")
    #expect(sim.runUntilDrained())
    let g = gets(rec)
    #expect(g.count == 5)
    #expect(g.allSatisfy { !$0.1 && Array($0.0.utf8) == Array("fanout/preprocessor/\u{E9}.json".utf8) })
    #expect(sim.queue(named: "service01-dlq")!.depth == 1)
  }
}
