import Testing

@testable import FanoutSim

@Suite("AWS payloads, byte for byte")
struct AWSPayloadTests {
  /// Replaces the simulated parts (Signature, SigningCertURL) with another envelope's values.
  func withSignatureOf(_ ours: String, _ theirs: String) -> String {
    func field(_ text: String, _ key: String) -> String {
      let line = text.split(separator: "\n").first { $0.contains("\"\(key)\" : ") }!
      return String(line)
    }
    var out = ours
    for key in ["Signature", "SigningCertURL"] {
      out = out.replacingOccurrences(of: field(ours, key), with: field(theirs, key))
    }
    return out
  }

  @Test("SNS envelope: AWS's layout, fields and attribute form (fixture sns-envelope.example.txt)")
  func envelopeMatchesFixture() throws {
    let expected = try fixture("sns-envelope.example.txt").trimmingCharacters(in: .newlines)
    let n = SNSNotification(
      messageId: UUID128(hi: 0x0b8f_9c5e_3d1a_5f6e, lo: 0x9c2b_7a4d_1e8f_6b30),
      topicArn: "arn:aws:sns:us-east-1:123456789012:connector", subject: "preprocessed",
      message: .text("{\"request_id\": \"req-7f3c2a\"}"),
      timestamp: CivilTime.instant(year: 2026, month: 3, day: 2, hour: 14, minute: 5, second: 9, microsecond: 123_456),
      attributes: [MessageAttribute(name: "stage", value: "preprocessor")], region: "us-east-1")
    let ours = n.envelope(
      subscriptionArn: "arn:aws:sns:us-east-1:123456789012:connector:2e9e4f1a-6b3c-4d8e-9f0a-1b2c3d4e5f60")
    #expect(!ours.hasSuffix("\n"))
    #expect(withSignatureOf(ours, expected) == expected)
  }

  @Test("SNS envelope: a real captured SQS body is reproduced exactly, and md5OfBody matches")
  func realCapturedEnvelope() throws {
    let event = JSONValue.parse(try fixture("sns-sqs-event.real.json"))!
    guard case .array(let records)? = event["Records"] else {
      Issue.record("no Records")
      return
    }
    let record = records[0]
    let body = record["body"]!.stringValue!
    #expect(md5Hex(body) == record["md5OfBody"]!.stringValue!)
    let env = JSONValue.parse(body)!
    let ts = env["Timestamp"]!.stringValue!
    let n = SNSNotification(
      messageId: UUID128(hex36: env["MessageId"]!.stringValue!)!, topicArn: env["TopicArn"]!.stringValue!,
      subject: nil, message: .text(env["Message"]!.stringValue!),
      timestamp: CivilTime.instant(year: 2021, month: 1, day: 19, hour: 10, minute: 7, second: 7, microsecond: 287_000),
      attributes: [], region: "eu-west-1")
    #expect(ts == "2021-01-19T10:07:07.287Z")
    let unsubscribe = env["UnsubscribeURL"]!.stringValue!
    let subArn = String(unsubscribe.split(separator: "=").last!)
    let ours = n.envelope(subscriptionArn: subArn)
    #expect(withSignatureOf(ours, body) == body)
  }

  /// AWS documents no order for message attributes; real payloads show a Java HashMap's. The
  /// fixture's publisher sent CirrusVersion, then SDLCEnv.
  @Test("Message attributes come in a Java HashMap's order, as AWS writes them: not as sent, not sorted")
  func testMessageAttributesAreInJavaHashMapOrderAsAWSWritesThem() throws {
    let expected = try fixture("sns-envelope-attributes.real.txt").trimmingCharacters(in: .newlines)
    let sent = [
      MessageAttribute(name: "CirrusVersion", value: "v1.1.0"), MessageAttribute(name: "SDLCEnv", value: "PROD"),
    ]
    for attributes in [sent, sent.reversed()] {
      let n = SNSNotification(
        messageId: UUID128(hex36: "5623b23e-dcfc-5444-a6c5-ee7cfb2a3449")!,
        topicArn: "arn:aws:sns:us-west-2:024726604032:AshtonTest", subject: nil, message: .text("{\"foo\": \"bar\"}"),
        timestamp: CivilTime.instant(
          year: 2023, month: 1, day: 18, hour: 17, minute: 0, second: 6, microsecond: 324_000),
        attributes: attributes, region: "us-west-2")
      let ours = n.envelope(
        subscriptionArn: "arn:aws:sns:us-west-2:024726604032:AshtonTest:f1abc4f3-7665-4968-b39c-8a4c6f082d9b")
      #expect(withSignatureOf(ours, expected) == expected)
    }
    func names(_ sent: [String]) -> [String] {
      awsAttributeOrder(sent.map { MessageAttribute(name: $0, value: "v") }).map(\.name)
    }
    // Other captures: an SNS envelope, a Lambda SQS record.
    #expect(names(["eventType", "id", "timestamp", "traceparent"]) == ["traceparent", "eventType", "id", "timestamp"])
    #expect(names(["Attribute1", "Attribute2", "Attribute3"]) == ["Attribute3", "Attribute2", "Attribute1"])
    // eventType and id share a bucket: between them, the order sent.
    #expect(names(["id", "eventType", "timestamp", "traceparent"]) == ["traceparent", "id", "eventType", "timestamp"])
    #expect(javaStringHashCode("hello") == 99_162_322, "\"hello\".hashCode() in Java")
    // 13 names: 32 buckets.
    let many = (1...13).map { "a\($0)" }
    #expect(Set(names(many)) == Set(many))
    let byBucket = many.enumerated().sorted { (bucket32($0.element), $0.offset) < (bucket32($1.element), $1.offset) }
    #expect(names(many) == byBucket.map(\.element))

    // Through the simulation: the envelope, raw delivery to SQS, SendMessage, ReceiveMessage, the Lambda record.
    var t = Topology()
    t.queues = [QueueSpec(name: "raw"), QueueSpec(name: "env"), QueueSpec(name: "api")]
    t.topics = [
      TopicSpec(
        name: "t",
        subscriptions: [
          SubscriptionSpec(endpoint: .queue("raw"), rawMessageDelivery: true),
          SubscriptionSpec(endpoint: .queue("env")),
        ])
    ]
    let sim = try Simulation(topology: t, seed: 1)
    try sim.publish(topic: "t", message: "m", attributes: sent)
    try sim.sendMessage(queue: "api", body: "m", attributes: sent)
    sim.runUntilDrained()
    let order = ["SDLCEnv", "CirrusVersion"]
    #expect(sim.queue(named: "raw")!.storedMessages[0].message.attributes.map(\.name) == order)
    #expect(
      sim.queue(named: "env")!.storedMessages[0].message.body.text.contains(
        "\"MessageAttributes\" : {\n    \"SDLCEnv\" : {\"Type\":\"String\",\"Value\":\"PROD\"},\n    \"CirrusVersion\"")
    )
    for q in ["raw", "api"] {
      let got = try sim.receiveMessages(queue: q, max: 1, waitTime: .s(1))
      #expect(got.first?.attributes.map(\.name) == order, "\(q)")
      let record = LambdaRecord(
        messageId: "m", receiptHandle: "h", body: "m", approximateReceiveCount: 1, sentTimestamp: 1, senderId: "s",
        approximateFirstReceiveTimestamp: 2, messageAttributes: got.first?.attributes ?? [], eventSourceARN: "a",
        awsRegion: "r")
      #expect(record.json.contains("\"messageAttributes\":{\"SDLCEnv\":"), "\(q)")
    }
  }

  private func bucket32(_ name: String) -> UInt32 {
    let h = javaStringHashCode(name)
    return (h ^ (h >> 16)) & 31
  }

  @Test("SNS signature: simulated, deterministic, 256 bytes as base64 like RSA-2048")
  func signatureShape() {
    let a = simulatedSignature(stringToSign: "Message\nx\n")
    #expect(a == simulatedSignature(stringToSign: "Message\nx\n"))
    #expect(a != simulatedSignature(stringToSign: "Message\ny\n"))
    #expect(base64Decode(a)?.count == 256)
    #expect(a.count == 344)
  }

  @Test("Lambda SQS event: record keys in AWS's order, string attributes (fixture sqs-event.aws-docs.json)")
  func lambdaEventMatchesDocs() throws {
    let expected = JSONValue.parse(try fixture("sqs-event.aws-docs.json"))!
    let r = LambdaRecord(
      messageId: "059f36b4-87a3-44ab-83d2-661975830a7d", receiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
      body: "test", approximateReceiveCount: 1, sentTimestamp: 1_545_082_649_183, senderId: "AIDAIENQZJOLO23YVJ4VO",
      approximateFirstReceiveTimestamp: 1_545_082_649_185, messageAttributes: [],
      eventSourceARN: "arn:aws:sqs:us-east-2:123456789012:my-queue", awsRegion: "us-east-2")
    #expect(lambdaSQSEventJSON([r]) == expected.compact)
    #expect(md5Hex("test") == "098f6bcd4621d373cade4e832627b4f6")
  }

  @Test("Lambda SQS event: the real captured event is reproduced from its fields")
  func lambdaEventMatchesRealCapture() throws {
    let expected = JSONValue.parse(try fixture("sns-sqs-event.real.json"))!
    guard case .array(let records)? = expected["Records"] else {
      Issue.record("no Records")
      return
    }
    let x = records[0]
    let r = LambdaRecord(
      messageId: x["messageId"]!.stringValue!, receiptHandle: x["receiptHandle"]!.stringValue!,
      body: x["body"]!.stringValue!, approximateReceiveCount: 1, sentTimestamp: 1_611_050_827_340,
      senderId: "AIDAISMY7JYY5F7RTT6AO", approximateFirstReceiveTimestamp: 1_611_050_827_344, messageAttributes: [],
      eventSourceARN: "arn:aws:sqs:eu-west-1:231436140809:powertools265", awsRegion: "eu-west-1")
    #expect(lambdaSQSEventJSON([r]) == expected.compact)
  }

  @Test("Lambda SQS event: a message attribute adds md5OfMessageAttributes before md5OfBody")
  func messageAttributeRecord() {
    let r = LambdaRecord(
      messageId: "m", receiptHandle: "h", body: "b", approximateReceiveCount: 1, sentTimestamp: 1, senderId: "s",
      approximateFirstReceiveTimestamp: 2, messageAttributes: [MessageAttribute(name: "stage", value: "v")],
      eventSourceARN: "a", awsRegion: "r")
    let j = r.json
    #expect(
      j.contains(
        "\"messageAttributes\":{\"stage\":{\"stringValue\":\"v\",\"stringListValues\":[],\"binaryListValues\":[],\"dataType\":\"String\"}}"
      ))
    let md5Attr = j.range(of: "md5OfMessageAttributes")!
    let md5Body = j.range(of: "md5OfBody")!
    #expect(md5Attr.lowerBound < md5Body.lowerBound)
    // Expected digests computed independently (AWS's length-prefixed encoding, cross-checked with moto).
    #expect(md5OfMessageAttributes([MessageAttribute(name: "stage", value: "v")]) == "2b28078b3389c92615bfc8dd3fd7f303")
    #expect(j.contains("\"md5OfMessageAttributes\":\"2b28078b3389c92615bfc8dd3fd7f303\""))
    let two = [MessageAttribute(name: "b", dataType: "Number", value: "5"), MessageAttribute(name: "a", value: "x")]
    #expect(md5OfMessageAttributes(two) == "a15c03a8a2bb13402e432c57c274df35", "sorted by name before hashing")
  }

  @Test("ReportBatchItemFailures response: fixture parsed; invalid answers fail the whole batch")
  func batchItemFailuresParsing() throws {
    let batch = ["id1", "id2", "id3", "id4", "id5"]
    #expect(parseBatchItemFailures(try fixture("batch-item-failures.json"), batch: batch) == ["id2", "id4"])
    #expect(parseBatchItemFailures("{\"batchItemFailures\":[]}", batch: batch) == [])
    #expect(parseBatchItemFailures("{\"batchItemFailures\":null}", batch: batch) == [])
    #expect(parseBatchItemFailures("{}", batch: batch) == [])
    #expect(parseBatchItemFailures("not json", batch: batch) == nil)
    #expect(parseBatchItemFailures("{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}", batch: batch) == nil)
    #expect(parseBatchItemFailures("{\"batchItemFailures\":[{\"itemIdentifier\":null}]}", batch: batch) == nil)
    #expect(parseBatchItemFailures("{\"batchItemFailures\":[{\"itemIdentifier\":\"id9\"}]}", batch: batch) == nil)
    #expect(parseBatchItemFailures(batchItemFailuresJSON(["id3"]), batch: batch) == ["id3"])
  }

  @Test("Envelope size is computed exactly without building the envelope")
  func envelopeSizeIsExact() throws {
    let sim = try makeSim()
    let rec = Recorder(sim)
    sim.fireRequest()
    sim.runUntilDrained()
    let sends = rec.of("sqs.send")
    #expect(sends.count == 3)
    var checked = 0
    for e in rec.of("lambda.invoke") {
      guard case .lambdaInvoke(_, _, _, _, _, let records?) = e.kind else { continue }
      for r in records {
        let sent = sends.first {
          if case .sqsSend(_, let mid, _, _, _, _, _) = $0.kind { return mid.text == r.messageId }
          return false
        }!
        guard case .sqsSend(_, _, _, _, let size, _, _) = sent.kind else {
          Issue.record("no sqs.send for a received message")
          continue
        }
        #expect(size == r.body.utf8.count)
        checked += 1
      }
    }
    #expect(checked == 3, "every delivered envelope was compared")
  }

  @Test("JSON writers: AWS escaping, Python json.dumps escaping and spacing")
  func jsonWriters() {
    #expect(jsonString("a\"b\\c\nd\u{01}/é") == "\"a\\\"b\\\\c\\nd\\u0001/é\"")
    #expect(pythonJSONString("é😀") == "\"\\u00e9\\ud83d\\ude00\"")
    #expect(JSONValue.parse(seedPreprocessorBody)!.pythonDumps == seedPreprocessorBody)
    #expect(JSONValue.parse("{\"b\":1,\"a\":[true,null,2.5]}")!.pythonDumps == "{\"b\": 1, \"a\": [true, null, 2.5]}")
    #expect(JSONValue.parse("{\"a\":1,}") == nil)
    #expect(JSONValue.parse("[1, 2") == nil)
  }

  @Test("A request reference's size is the bytes of its text: {\"request_id\": \"<32 hex>\"} is 50 bytes")
  func requestReferenceSize() throws {
    for seed: UInt64 in 1...20 {
      var rng = SimRandom(seed: seed, stream: "test/ids")
      let id = RequestID(hi: rng.next(), lo: rng.next())
      let p = Payload.requestRef(id)
      #expect(p.byteCount == p.text.utf8.count)
      #expect(p.byteCount == 50)
    }
  }
}

extension UUID128 {
  init?(hex36: String) {
    let h = hex36.replacingOccurrences(of: "-", with: "")
    guard let id = RequestID(hex: h) else { return nil }
    self.init(hi: id.hi, lo: id.lo)
  }
}
