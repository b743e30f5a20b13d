import FanoutSim
import Testing

@testable import FanoutWire

/// Requests in, responses out: the SQS JSON and query protocols and the SNS query protocol over a
/// small simulation, each error in its protocol's shape, and hostile bodies.
@Suite("SQS and SNS wire protocols")
struct SQSSNSWireTests {
  static func simulation() throws -> Simulation {
    var t = Topology()
    var work = QueueSpec(name: "work")
    work.redrive = ("work-dlq", 1)
    t.queues = [work, QueueSpec(name: "work-dlq")]
    t.topics = [TopicSpec(name: "events")]
    return try Simulation(topology: t, seed: 1)
  }

  static func json(_ op: String, _ body: String) -> WireRequest {
    WireRequest(
      method: "POST", path: "/",
      headers: [
        ("X-Amz-Target", "AmazonSQS." + op), ("Content-Type", "application/x-amz-json-1.0"), ("Host", "localhost:4747"),
      ],
      body: Array(body.utf8))
  }

  static func form(_ body: String, path: String = "/") -> WireRequest {
    WireRequest(
      method: "POST", path: path,
      headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Host", "localhost:4747")],
      body: Array(body.utf8))
  }

  /// The immediate answer (an issue when the service waits instead).
  static func now(_ a: WireAnswer, sourceLocation: SourceLocation = #_sourceLocation) -> WireResponse {
    if case .now(let r) = a { return r }
    Issue.record("expected an immediate answer", sourceLocation: sourceLocation)
    return WireResponse(status: 0)
  }

  static func text(_ r: WireResponse) -> String { String(decoding: r.body, as: UTF8.self) }
  static func object(_ r: WireResponse) -> JSONValue { JSONValue.parse(text(r)) ?? .null }
  static func header(_ r: WireResponse, _ name: String) -> String? {
    r.headers.first { $0.name.lowercased() == name.lowercased() }?.value
  }

  let router = WireRouter()
  let url = "http://localhost:4747/123456789012/work"

  func call(_ sim: Simulation, _ op: String, _ body: String) -> WireResponse {
    Self.now(router.answer(Self.json(op, body), sim))
  }

  @Test("A missing queue is QueueDoesNotExist in JSON: __type, message and x-amzn-query-error with the legacy code")
  func testQueueDoesNotExistCarriesTheLegacyCodeInJSON() throws {
    let sim = try Self.simulation()
    let r = call(sim, "GetQueueUrl", #"{"QueueName":"nope"}"#)
    #expect(r.status == 400)
    #expect(Self.object(r)["__type"]?.stringValue == "com.amazonaws.sqs#QueueDoesNotExist")
    #expect(Self.object(r)["message"]?.stringValue == "The specified queue does not exist.")
    #expect(Self.header(r, "x-amzn-query-error") == "AWS.SimpleQueueService.NonExistentQueue;Sender")
    #expect(Self.header(r, "content-type") == "application/x-amz-json-1.0")
  }

  @Test("A missing queue in the query protocol is an XML ErrorResponse whose Code is the legacy code")
  func testQueryProtocolErrorIsAnErrorResponseWithTheLegacyCode() throws {
    let sim = try Self.simulation()
    let r = Self.now(router.answer(Self.form("Action=GetQueueUrl&Version=2012-11-05&QueueName=nope"), sim))
    #expect(r.status == 400)
    let x = Self.text(r)
    #expect(x.contains("<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"))
    #expect(x.contains("<Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>"))
    #expect(x.contains("<RequestId>"))
  }

  @Test("CreateQueue with the same attributes returns the queue; different ones are QueueNameExists")
  func testCreateQueueIsIdempotentAndRefusesDifferentAttributes() throws {
    let sim = try Self.simulation()
    let a = call(sim, "CreateQueue", #"{"QueueName":"new","Attributes":{"VisibilityTimeout":"5"}}"#)
    #expect(Self.object(a)["QueueUrl"]?.stringValue == "http://localhost:4747/123456789012/new")
    let b = call(sim, "CreateQueue", #"{"QueueName":"new","Attributes":{"VisibilityTimeout":"5"}}"#)
    #expect(b.status == 200)
    #expect(sim.queues.filter { $0.name == "new" }.count == 1)
    let c = call(sim, "CreateQueue", #"{"QueueName":"new","Attributes":{"VisibilityTimeout":"6"}}"#)
    #expect(c.status == 400)
    #expect(Self.object(c)["__type"]?.stringValue == "com.amazonaws.sqs#QueueNameExists")
    #expect(Self.header(c, "x-amzn-query-error") == "QueueAlreadyExists;Sender")
    #expect(sim.queue(named: "new")?.spec.visibilityTimeout == .seconds(5))
  }

  @Test("Queue names are 1–80 alphanumerics, hyphens and underscores; attributes outside AWS's ranges are refused")
  func testQueueNamesAndAttributeRangesAreAWSs() throws {
    let sim = try Self.simulation()
    let bad = call(sim, "CreateQueue", #"{"QueueName":"has space"}"#)
    #expect(Self.object(bad)["__type"]?.stringValue == "com.amazonaws.sqs#InvalidParameterValue")
    let long = call(sim, "CreateQueue", "{\"QueueName\":\"\(String(repeating: "a", count: 81))\"}")
    #expect(long.status == 400)
    let vt = call(sim, "CreateQueue", #"{"QueueName":"x","Attributes":{"VisibilityTimeout":"43201"}}"#)
    #expect(Self.object(vt)["__type"]?.stringValue == "com.amazonaws.sqs#InvalidAttributeValue")
    let unknown = call(sim, "CreateQueue", #"{"QueueName":"x","Attributes":{"Colour":"blue"}}"#)
    #expect(Self.object(unknown)["__type"]?.stringValue == "com.amazonaws.sqs#InvalidAttributeName")
    #expect(sim.queue(named: "x") == nil)
  }

  @Test("After DeleteQueue a queue of the same name cannot be created for 60 seconds (QueueDeletedRecently)")
  func testQueueNameDeletedRecentlyWaitsSixtySeconds() throws {
    let sim = try Self.simulation()
    _ = call(sim, "CreateQueue", #"{"QueueName":"gone"}"#)
    _ = call(sim, "SendMessage", #"{"QueueUrl":"http://h/123456789012/gone","MessageBody":"m"}"#)
    let d = call(sim, "DeleteQueue", #"{"QueueUrl":"http://h/123456789012/gone"}"#)
    #expect(d.status == 200)
    #expect(sim.queue(named: "gone") == nil)
    let again = call(sim, "SendMessage", #"{"QueueUrl":"http://h/123456789012/gone","MessageBody":"m"}"#)
    #expect(Self.object(again)["__type"]?.stringValue == "com.amazonaws.sqs#QueueDoesNotExist")
    let soon = call(sim, "CreateQueue", #"{"QueueName":"gone"}"#)
    #expect(Self.object(soon)["__type"]?.stringValue == "com.amazonaws.sqs#QueueDeletedRecently")
    #expect(Self.header(soon, "x-amzn-query-error") == "AWS.SimpleQueueService.QueueDeletedRecently;Sender")
    sim.run(until: sim.now + .seconds(60))
    #expect(call(sim, "CreateQueue", #"{"QueueName":"gone"}"#).status == 200)
    #expect(sim.brokenInvariant() == nil)
  }

  @Test("A receipt handle comes back to its message; a changed one is ReceiptHandleIsInvalid")
  func testReceiptHandlesRoundTripAndForeignOnesAreInvalid() throws {
    let sim = try Self.simulation()
    let sent = call(sim, "SendMessage", "{\"QueueUrl\":\"\(url)\",\"MessageBody\":\"hello\"}")
    #expect(Self.object(sent)["MD5OfMessageBody"]?.stringValue == md5Hex("hello"))
    let got = call(sim, "ReceiveMessage", "{\"QueueUrl\":\"\(url)\",\"WaitTimeSeconds\":1}")
    guard case .array(let msgs)? = Self.object(got)["Messages"], let m = msgs.first,
      let handle = m["ReceiptHandle"]?.stringValue
    else {
      Issue.record("no message: \(Self.text(got))")
      return
    }
    #expect(m["Body"]?.stringValue == "hello")
    var tampered = Array(handle)
    tampered[10] = tampered[10] == "A" ? "B" : "A"
    let bad = call(sim, "DeleteMessage", "{\"QueueUrl\":\"\(url)\",\"ReceiptHandle\":\"\(String(tampered))\"}")
    #expect(Self.object(bad)["__type"]?.stringValue == "com.amazonaws.sqs#ReceiptHandleIsInvalid")
    #expect(sim.queue(named: "work")?.inFlightCount == 1)
    let ok = call(sim, "DeleteMessage", "{\"QueueUrl\":\"\(url)\",\"ReceiptHandle\":\"\(handle)\"}")
    #expect(ok.status == 200 && Self.text(ok) == "{}")
    #expect(sim.queue(named: "work")?.depth == 0)
    // Another queue's handle is not this queue's.
    let dlq = call(sim, "DeleteMessage", "{\"QueueUrl\":\"http://h/1/work-dlq\",\"ReceiptHandle\":\"\(handle)\"}")
    #expect(Self.object(dlq)["__type"]?.stringValue == "com.amazonaws.sqs#ReceiptHandleIsInvalid")
  }

  @Test(
    "A long poll on an empty queue waits in virtual time: a message sent meanwhile answers it, else it ends empty at WaitTimeSeconds"
  )
  func testLongPollWaitsInVirtualTime() throws {
    let sim = try Self.simulation()
    let start = sim.now
    guard
      case .wait(let w) = router.answer(
        Self.json("ReceiveMessage", "{\"QueueUrl\":\"\(url)\",\"WaitTimeSeconds\":20}"), sim)
    else {
      Issue.record("an empty queue answered a long poll at once")
      return
    }
    #expect(w.deadline == start + .seconds(20))
    #expect(!w.ready(sim))
    #expect(w.poll(sim) == nil)
    sim.run(until: start + .seconds(3))
    try sim.sendMessage(queue: "work", body: "late")
    #expect(w.ready(sim))
    let r = try #require(w.poll(sim))
    guard case .array(let msgs)? = Self.object(r)["Messages"] else {
      Issue.record("no messages: \(Self.text(r))")
      return
    }
    #expect(msgs.first?["Body"]?.stringValue == "late")
    // A second long poll times out empty.
    guard
      case .wait(let w2) = router.answer(
        Self.json("ReceiveMessage", "{\"QueueUrl\":\"\(url)\",\"WaitTimeSeconds\":2}"), sim)
    else {
      Issue.record("expected a wait")
      return
    }
    #expect(Self.text(w2.timeout(sim)) == "{}")
  }

  @Test("SendMessageBatch answers each entry; more than 10 entries, repeated Ids or none are refused whole")
  func testSendMessageBatchReportsEachEntry() throws {
    let sim = try Self.simulation()
    let big = String(repeating: "x", count: 300_000)
    let r = call(
      sim, "SendMessageBatch",
      "{\"QueueUrl\":\"\(url)\",\"Entries\":[{\"Id\":\"a\",\"MessageBody\":\"one\"},{\"Id\":\"b\",\"MessageBody\":\"\"}]}"
    )
    let o = Self.object(r)
    guard case .array(let ok)? = o["Successful"], case .array(let failed)? = o["Failed"] else {
      Issue.record("\(Self.text(r))")
      return
    }
    #expect(ok.count == 1 && ok.first?["Id"]?.stringValue == "a")
    #expect(failed.first?["Id"]?.stringValue == "b" && failed.first?["Code"]?.stringValue == "InvalidParameterValue")
    let entries = (1...11).map { "{\"Id\":\"e\($0)\",\"MessageBody\":\"m\"}" }.joined(separator: ",")
    let many = call(sim, "SendMessageBatch", "{\"QueueUrl\":\"\(url)\",\"Entries\":[\(entries)]}")
    #expect(Self.object(many)["__type"]?.stringValue == "com.amazonaws.sqs#TooManyEntriesInBatchRequest")
    let twice = call(
      sim, "SendMessageBatch",
      "{\"QueueUrl\":\"\(url)\",\"Entries\":[{\"Id\":\"a\",\"MessageBody\":\"1\"},{\"Id\":\"a\",\"MessageBody\":\"2\"}]}"
    )
    #expect(Self.object(twice)["__type"]?.stringValue == "com.amazonaws.sqs#BatchEntryIdsNotDistinct")
    let none = call(sim, "SendMessageBatch", "{\"QueueUrl\":\"\(url)\",\"Entries\":[]}")
    #expect(Self.object(none)["__type"]?.stringValue == "com.amazonaws.sqs#EmptyBatchRequest")
    let long = call(
      sim, "SendMessageBatch",
      "{\"QueueUrl\":\"\(url)\",\"Entries\":[{\"Id\":\"a\",\"MessageBody\":\"\(big)\"},{\"Id\":\"b\",\"MessageBody\":\"\(big)\"},{\"Id\":\"c\",\"MessageBody\":\"\(big)\"},{\"Id\":\"d\",\"MessageBody\":\"\(big)\"}]}"
    )
    #expect(Self.object(long)["__type"]?.stringValue == "com.amazonaws.sqs#BatchRequestTooLong")
    #expect(sim.queue(named: "work")?.depth == 1)
  }

  @Test("The query protocol sends and receives: form lists in, flattened XML out")
  func testQueryProtocolSendAndReceive() throws {
    let sim = try Self.simulation()
    let send = Self.now(
      router.answer(
        Self.form(
          "Action=SendMessage&Version=2012-11-05&QueueUrl=\(url)&MessageBody=a+b%26c&MessageAttribute.1.Name=k&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v"
        ), sim))
    #expect(send.status == 200, "\(Self.text(send))")
    #expect(Self.text(send).contains("<MD5OfMessageBody>\(md5Hex("a b&c"))</MD5OfMessageBody>"))
    let recv = Self.now(
      router.answer(
        Self.form(
          "Action=ReceiveMessage&Version=2012-11-05&MaxNumberOfMessages=10&WaitTimeSeconds=1&AttributeName.1=All&MessageAttributeName.1=All",
          path: "/123456789012/work"), sim))
    let x = Self.text(recv)
    #expect(
      x.hasPrefix(
        "<?xml version=\"1.0\"?><ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><ReceiveMessageResult><Message>"
      ))
    #expect(x.contains("<Body>a b&amp;c</Body>"))
    #expect(x.contains("<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>"))
    #expect(
      x.contains(
        "<MessageAttribute><Name>k</Name><Value><StringValue>v</StringValue><DataType>String</DataType></Value></MessageAttribute>"
      ))
    let attrs = Self.now(
      router.answer(
        Self.form(
          "Action=GetQueueAttributes&Version=2012-11-05&QueueUrl=\(url)&AttributeName.1=ApproximateNumberOfMessagesNotVisible"
        ), sim))
    #expect(
      Self.text(attrs).contains(
        "<Attribute><Name>ApproximateNumberOfMessagesNotVisible</Name><Value>1</Value></Attribute>"))
  }

  @Test("Hostile bodies get the protocol's error, never a crash")
  func testHostileBodiesGetTheProtocolsError() throws {
    let sim = try Self.simulation()
    let badJSON = Self.now(router.answer(Self.json("SendMessage", "{\"QueueUrl\":"), sim))
    #expect(Self.object(badJSON)["__type"]?.stringValue == "com.amazonaws.sqs#SerializationException")
    let notObject = Self.now(router.answer(Self.json("ListQueues", "[1,2]"), sim))
    #expect(notObject.status == 400)
    let binary = WireRequest(
      method: "POST", path: "/", headers: [("X-Amz-Target", "AmazonSQS.ListQueues")], body: [0xFF, 0xFE, 0x00, 0x7B])
    #expect(Self.now(router.answer(binary, sim)).status == 400)
    let unknown = Self.now(router.answer(Self.json("FlyToTheMoon", "{}"), sim))
    #expect(Self.object(unknown)["__type"]?.stringValue == "com.amazonaws.sqs#UnknownOperationException")
    let missing = Self.now(router.answer(Self.json("CreateQueue", "{}"), sim))
    #expect(Self.object(missing)["__type"]?.stringValue == "com.amazonaws.sqs#MissingParameter")
    let wrongType = Self.now(
      router.answer(Self.json("ReceiveMessage", "{\"QueueUrl\":\"\(url)\",\"MaxNumberOfMessages\":\"many\"}"), sim))
    #expect(Self.object(wrongType)["__type"]?.stringValue == "com.amazonaws.sqs#InvalidParameterValue")
    let brokenForm = Self.now(router.answer(Self.form("Action=ListQueues&Version=2012-11-05&x=%G1"), sim))
    #expect(Self.text(brokenForm).contains("<Code>MalformedQueryString</Code>"))
    let noAction = Self.now(router.answer(Self.form("Version=2012-11-05"), sim))
    #expect(Self.text(noAction).contains("<Code>MissingAction</Code>"))
    let badAction = Self.now(router.answer(Self.form("Action=Explode&Version=2012-11-05"), sim))
    #expect(Self.text(badAction).contains("<Code>InvalidAction</Code>"))
    let badVersion = Self.now(router.answer(Self.form("Action=ListQueues&Version=1999-01-01"), sim))
    #expect(Self.text(badVersion).contains("<Code>InvalidAction</Code>"))
    let deep = String(repeating: "[", count: 100_000)
    #expect(Self.now(router.answer(Self.json("ListQueues", deep), sim)).status == 400)
    let tooLarge = router.tooLarge(Self.json("SendMessage", ""), limit: 2_097_152)
    #expect(tooLarge.status == 413)
    #expect(Self.object(tooLarge)["__type"]?.stringValue == "com.amazonaws.sqs#RequestEntityTooLarge")
    #expect(sim.brokenInvariant() == nil)
  }

  @Test("A message received maxReceiveCount times moves to the DLQ, and StartMessageMoveTask brings it back")
  func testStartMessageMoveTaskRedrivesTheDeadLetterQueue() throws {
    let sim = try Self.simulation()
    _ = call(sim, "SendMessage", "{\"QueueUrl\":\"\(url)\",\"MessageBody\":\"poison\"}")
    _ = call(sim, "ReceiveMessage", "{\"QueueUrl\":\"\(url)\",\"WaitTimeSeconds\":1,\"VisibilityTimeout\":0}")
    sim.run(until: sim.now + .milliseconds(1))
    _ = call(sim, "ReceiveMessage", "{\"QueueUrl\":\"\(url)\",\"WaitTimeSeconds\":1}")
    #expect(sim.queue(named: "work-dlq")?.visibleCount == 1)
    let dlqArn = "arn:aws:sqs:us-east-1:123456789012:work-dlq"
    let notDLQ = call(sim, "StartMessageMoveTask", #"{"SourceArn":"arn:aws:sqs:us-east-1:123456789012:work"}"#)
    #expect(Self.object(notDLQ)["__type"]?.stringValue == "com.amazonaws.sqs#InvalidParameterValue")
    let start = call(sim, "StartMessageMoveTask", "{\"SourceArn\":\"\(dlqArn)\"}")
    let handle = try #require(Self.object(start)["TaskHandle"]?.stringValue, "\(Self.text(start))")
    sim.run(until: sim.now + .seconds(5))
    #expect(sim.queue(named: "work")?.visibleCount == 1)
    let list = call(sim, "ListMessageMoveTasks", "{\"SourceArn\":\"\(dlqArn)\"}")
    guard case .array(let results)? = Self.object(list)["Results"], let t = results.first else {
      Issue.record("\(Self.text(list))")
      return
    }
    #expect(t["Status"]?.stringValue == "COMPLETED")
    #expect(t["ApproximateNumberOfMessagesMoved"] == .number(1))
    let cancel = call(sim, "CancelMessageMoveTask", "{\"TaskHandle\":\"\(handle)\"}")
    #expect(Self.object(cancel)["__type"]?.stringValue == "com.amazonaws.sqs#ResourceNotFoundException")
  }

  @Test("PurgeQueue twice within 60 seconds is PurgeQueueInProgress")
  func testPurgeQueueTwiceWithinSixtySecondsIsRefused() throws {
    let sim = try Self.simulation()
    #expect(call(sim, "PurgeQueue", "{\"QueueUrl\":\"\(url)\"}").status == 200)
    let again = call(sim, "PurgeQueue", "{\"QueueUrl\":\"\(url)\"}")
    #expect(Self.object(again)["__type"]?.stringValue == "com.amazonaws.sqs#PurgeQueueInProgress")
    #expect(Self.header(again, "x-amzn-query-error") == "AWS.SimpleQueueService.PurgeQueueInProgress;Sender")
  }

  @Test("ChangeMessageVisibility of a message not in flight is MessageNotInflight")
  func testChangeVisibilityOfAMessageNotInFlightIsRefused() throws {
    let sim = try Self.simulation()
    _ = call(sim, "SendMessage", "{\"QueueUrl\":\"\(url)\",\"MessageBody\":\"m\"}")
    let got = call(sim, "ReceiveMessage", "{\"QueueUrl\":\"\(url)\",\"WaitTimeSeconds\":1}")
    guard case .array(let msgs)? = Self.object(got)["Messages"], let h = msgs.first?["ReceiptHandle"]?.stringValue
    else {
      Issue.record("no message")
      return
    }
    #expect(
      call(
        sim, "ChangeMessageVisibility", "{\"QueueUrl\":\"\(url)\",\"ReceiptHandle\":\"\(h)\",\"VisibilityTimeout\":0}"
      ).status == 200)
    let again = call(
      sim, "ChangeMessageVisibility", "{\"QueueUrl\":\"\(url)\",\"ReceiptHandle\":\"\(h)\",\"VisibilityTimeout\":10}")
    #expect(Self.object(again)["__type"]?.stringValue == "com.amazonaws.sqs#MessageNotInflight")
  }

  @Test("SNS: subscribe a queue, publish, and the envelope arrives after the delivery delay")
  func testSNSPublishDeliversTheEnvelopeToASubscribedQueue() throws {
    let sim = try Self.simulation()
    func sns(_ body: String) -> WireResponse {
      Self.now(router.answer(Self.form("Version=2010-03-31&" + body), sim))
    }
    let topic = sns("Action=CreateTopic&Name=orders")
    #expect(Self.text(topic).contains("<TopicArn>arn:aws:sns:us-east-1:123456789012:orders</TopicArn>"))
    let sub = sns(
      "Action=Subscribe&TopicArn=arn:aws:sns:us-east-1:123456789012:orders&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1:123456789012:work"
    )
    #expect(sub.status == 200, "\(Self.text(sub))")
    let pub = sns(
      "Action=Publish&TopicArn=arn:aws:sns:us-east-1:123456789012:orders&Message=%7B%22n%22%3A1%7D&Subject=hi")
    #expect(
      Self.text(pub).contains(
        "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>"))
    #expect(sim.queue(named: "work")?.depth == 0)
    sim.run(until: sim.now + .seconds(1))
    let m = try #require(sim.queue(named: "work")?.storedMessages.first?.message)
    let envelope = try #require(JSONValue.parse(m.body.text))
    #expect(envelope["Type"]?.stringValue == "Notification")
    #expect(envelope["Message"]?.stringValue == "{\"n\":1}")
    #expect(envelope["Subject"]?.stringValue == "hi")
    let list = sns("Action=ListSubscriptionsByTopic&TopicArn=arn:aws:sns:us-east-1:123456789012:orders")
    #expect(Self.text(list).contains("<Subscriptions><member><SubscriptionArn>"))
    #expect(
      Self.text(list).contains("<Protocol>sqs</Protocol><Endpoint>arn:aws:sqs:us-east-1:123456789012:work</Endpoint>"))
  }

  @Test("SNS: RawMessageDelivery set on a subscription delivers the message alone; Unsubscribe stops deliveries")
  func testSNSSubscriptionAttributesAndUnsubscribe() throws {
    let sim = try Self.simulation()
    func sns(_ body: String) -> WireResponse { Self.now(router.answer(Self.form("Version=2010-03-31&" + body), sim)) }
    let t = "arn:aws:sns:us-east-1:123456789012:events"
    let sub = Self.text(
      sns("Action=Subscribe&TopicArn=\(t)&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1:123456789012:work"))
    let arn = try #require(sub.split(separator: "<SubscriptionArn>").last?.split(separator: "<").first.map(String.init))
    #expect(
      sns(
        "Action=SetSubscriptionAttributes&SubscriptionArn=\(arn)&AttributeName=RawMessageDelivery&AttributeValue=true"
      ).status == 200)
    let attrs = Self.text(sns("Action=GetSubscriptionAttributes&SubscriptionArn=\(arn)"))
    #expect(attrs.contains("<entry><key>RawMessageDelivery</key><value>true</value></entry>"))
    _ = sns("Action=Publish&TopicArn=\(t)&Message=raw")
    sim.run(until: sim.now + .seconds(1))
    #expect(sim.queue(named: "work")?.storedMessages.first?.message.body.text == "raw")
    let bad = sns(
      "Action=SetSubscriptionAttributes&SubscriptionArn=\(arn)&AttributeName=FilterPolicy&AttributeValue=%7Bnot")
    #expect(Self.text(bad).contains("<Code>InvalidParameter</Code>"))
    #expect(sns("Action=Unsubscribe&SubscriptionArn=\(arn)").status == 200)
    _ = sns("Action=Publish&TopicArn=\(t)&Message=later")
    sim.run(until: sim.now + .seconds(1))
    #expect(sim.queue(named: "work")?.depth == 1)
    #expect(sim.brokenInvariant() == nil)
  }

  @Test("SNS: a missing topic is NotFound with HTTP 404, as botocore's model has it")
  func testSNSNotFoundIs404() throws {
    let sim = try Self.simulation()
    let r = Self.now(
      router.answer(
        Self.form("Action=Publish&Version=2010-03-31&TopicArn=arn:aws:sns:us-east-1:123456789012:nope&Message=m"), sim))
    #expect(r.status == 404)
    #expect(
      Self.text(r).contains(
        "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type><Code>NotFound</Code>"
      ))
    let missing = Self.now(
      router.answer(
        Self.form("Action=Publish&Version=2010-03-31&TopicArn=arn:aws:sns:us-east-1:123456789012:events"), sim))
    #expect(Self.text(missing).contains("<Code>InvalidParameter</Code>"))
  }

  @Test("SigV4 is parsed (access key, date, region, service) and never verified")
  func testSigV4IsParsedNotVerified() {
    let h =
      "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/sqs/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00"
    let s = SigV4(authorization: h)
    #expect(s?.accessKey == "x" && s?.region == "us-east-1" && s?.service == "sqs")
    #expect(s?.signedHeaders == ["content-type", "host", "x-amz-date"])
    #expect(SigV4(authorization: "Basic Zm9v") == nil)
  }

  @Test("The router: JSON target to SQS, form Version 2012-11-05 to SQS and 2010-03-31 to SNS, anything else an error")
  func testRouterChoosesTheServiceByTargetOrVersion() throws {
    let sim = try Self.simulation()
    #expect(SQSWire().accepts(Self.json("ListQueues", "{}")))
    #expect(SQSWire().accepts(Self.form("Action=ListQueues&Version=2012-11-05")))
    #expect(!SQSWire().accepts(Self.form("Action=ListTopics&Version=2010-03-31")))
    #expect(SNSWire().accepts(Self.form("Action=ListTopics&Version=2010-03-31")))
    let get = WireRequest(method: "GET", path: "/", query: "Action=ListTopics&Version=2010-03-31")
    #expect(Self.text(Self.now(router.answer(get, sim))).contains("<ListTopicsResponse"))
    let other = Self.now(router.answer(WireRequest(method: "GET", path: "/bucket/key"), sim))
    #expect(other.status == 400)
  }
}
