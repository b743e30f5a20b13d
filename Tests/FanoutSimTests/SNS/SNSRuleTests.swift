import Testing

@testable import FanoutSim

@Suite("SNS topic rules")
struct SNSRuleTests {
  func sim(_ subs: [SubscriptionSpec], queues: [String] = ["a", "b"]) throws -> Simulation {
    var t = Topology()
    t.queues = queues.map { QueueSpec(name: $0) }
    t.topics = [TopicSpec(name: "t", subscriptions: subs)]
    return try Simulation(topology: t, seed: 3)
  }

  @Test("Fan-out: one publish lands in every subscribed queue, each SQS message with its own MessageId")
  func fanOut() throws {
    let s = try sim([SubscriptionSpec(endpoint: .queue("a")), SubscriptionSpec(endpoint: .queue("b"))])
    let rec = Recorder(s)
    let snsId = try s.publish(topic: "t", message: "hello")
    s.runUntilDrained()
    let a = s.queue(named: "a")!.storedMessages[0].message
    let b = s.queue(named: "b")!.storedMessages[0].message
    #expect(a.messageId != b.messageId && a.messageId != snsId)
    #expect(a.body.text.contains("\"MessageId\" : \"\(snsId.text)\""))
    #expect(a.body.text.contains("\"Message\" : \"hello\""))
    #expect(rec.of("sqs.send").count == 2)
    #expect(a.sentTime > rec.of("sns.publish")[0].time, "delivery takes the delivery delay")
  }

  @Test("Raw message delivery: the body is the message and SNS attributes become SQS attributes")
  func rawDelivery() throws {
    let s = try sim([SubscriptionSpec(endpoint: .queue("a"), rawMessageDelivery: true)])
    try s.publish(topic: "t", message: "{\"k\": 1}", attributes: [MessageAttribute(name: "stage", value: "x")])
    s.runUntilDrained()
    let m = s.queue(named: "a")!.storedMessages[0].message
    #expect(m.body.text == "{\"k\": 1}")
    #expect(m.attributes == [MessageAttribute(name: "stage", value: "x")])
  }

  @Test("Raw message delivery: more than 10 attributes is a client-side error and the message is discarded")
  func rawDeliveryTooManyAttributes() throws {
    let s = try sim([SubscriptionSpec(endpoint: .queue("a"), rawMessageDelivery: true)])
    let attrs = (0..<11).map { MessageAttribute(name: "a\($0)", value: "v") }
    try s.publish(topic: "t", message: "m", attributes: attrs)
    s.runUntilDrained()
    #expect(s.queue(named: "a")!.depth == 0)
    #expect(s.topic(named: "t")!.counters.failed == 1)
  }

  @Test("Publish limit: 262,144 bytes including attributes")
  func sizeLimit() throws {
    let s = try sim([SubscriptionSpec(endpoint: .queue("a"))])
    try s.publish(topic: "t", message: String(repeating: "x", count: 262_144))
    #expect(throws: SNSError.self) {
      try s.publish(
        topic: "t", message: String(repeating: "x", count: 262_140),
        attributes: [MessageAttribute(name: "n", value: "v")])
    }
  }

  @Test("Envelope carries Subject only when given, and MessageAttributes in AWS form")
  func subjectAndAttributes() throws {
    let s = try sim([SubscriptionSpec(endpoint: .queue("a"))])
    try s.publish(topic: "t", message: "m1")
    try s.publish(
      topic: "t", message: "m2", subject: "subj",
      attributes: [MessageAttribute(name: "n", dataType: "Number", value: "5")])
    s.runUntilDrained()
    let all = s.queue(named: "a")!.storedMessages.map(\.message.body.text)
    let bodies = [all.first { $0.contains("\"m1\"") }!, all.first { $0.contains("\"m2\"") }!]
    #expect(!bodies[0].contains("Subject"))
    #expect(!bodies[0].contains("MessageAttributes"))
    #expect(bodies[1].contains("\"Subject\" : \"subj\""))
    #expect(bodies[1].contains("\"MessageAttributes\" : {\n    \"n\" : {\"Type\":\"Number\",\"Value\":\"5\"}\n  }"))
  }

  @Test("Filter policy on message attributes routes by attribute")
  func filterRouting() throws {
    let s = try sim([
      SubscriptionSpec(endpoint: .queue("a"), filterPolicy: "{\"color\": [\"red\"]}"),
      SubscriptionSpec(endpoint: .queue("b"), filterPolicy: "{\"color\": [{\"anything-but\": \"red\"}]}"),
    ])
    try s.publish(topic: "t", message: "r", attributes: [MessageAttribute(name: "color", value: "red")])
    try s.publish(topic: "t", message: "g", attributes: [MessageAttribute(name: "color", value: "green")])
    try s.publish(topic: "t", message: "none")
    s.runUntilDrained()
    #expect(s.queue(named: "a")!.depth == 1)
    #expect(s.queue(named: "b")!.depth == 1)
    #expect(s.topic(named: "t")!.counters.filteredOut == 4)
  }

  func attrs(_ pairs: [(String, String, String)]) -> [MessageAttribute] {
    pairs.map { MessageAttribute(name: $0.0, dataType: $0.1, value: $0.2) }
  }

  @Test(
    "Filter policy operators on MessageAttributes",
    arguments: [
      ("{\"a\":[\"x\",\"y\"]}", [("a", "String", "y")], true),
      ("{\"a\":[\"x\"]}", [("a", "String", "z")], false),
      ("{\"a\":[\"x\"],\"b\":[\"y\"]}", [("a", "String", "x")], false),
      ("{\"n\":[{\"numeric\":[\">\",0,\"<=\",150]}]}", [("n", "Number", "150")], true),
      ("{\"n\":[{\"numeric\":[\">\",0,\"<=\",150]}]}", [("n", "Number", "151")], false),
      ("{\"n\":[{\"numeric\":[\"=\",3.5]}]}", [("n", "Number", "3.5")], true),
      ("{\"n\":[5]}", [("n", "Number", "5")], true),
      ("{\"a\":[{\"anything-but\":[\"x\",\"y\"]}]}", [("a", "String", "z")], true),
      ("{\"a\":[{\"anything-but\":[\"x\",\"y\"]}]}", [("a", "String", "y")], false),
      ("{\"a\":[{\"anything-but\":{\"prefix\":\"int\"}}]}", [("a", "String", "internal")], false),
      ("{\"a\":[{\"anything-but\":{\"suffix\":\".png\"}}]}", [("a", "String", "a.jpg")], true),
      ("{\"a\":[{\"anything-but\":\"x\"}]}", [], false),
      ("{\"a\":[{\"prefix\":\"ev\"}]}", [("a", "String", "event")], true),
      ("{\"a\":[{\"suffix\":\".json\"}]}", [("a", "String", "k.json")], true),
      ("{\"a\":[{\"equals-ignore-case\":\"RED\"}]}", [("a", "String", "red")], true),
      ("{\"a\":[{\"exists\":true}]}", [("a", "String", "v")], true),
      ("{\"a\":[{\"exists\":false}]}", [("b", "String", "v")], true),
      ("{\"a\":[{\"exists\":false}]}", [("a", "String", "v")], false),
      ("{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", [("ip", "String", "10.0.0.255")], true),
      ("{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", [("ip", "String", "10.0.1.1")], false),
      ("{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}", [("ip", "String", "2001:db8:1::1")], true),
      ("{\"tags\":[\"b\"]}", [("tags", "String.Array", "[\"a\",\"b\"]")], true),
      (
        "{\"a\":[\"x\"],\"$or\":[{\"b\":[\"1\"]},{\"c\":[\"2\"]}]}", [("a", "String", "x"), ("c", "String", "2")], true
      ),
      ("{\"a\":[\"x\"],\"$or\":[{\"b\":[\"1\"]},{\"c\":[\"2\"]}]}", [("a", "String", "x")], false),
    ] as [(String, [(String, String, String)], Bool)])
  func attributeOperators(policy: String, attributes: [(String, String, String)], expected: Bool) throws {
    let p = try FilterPolicy(json: policy)
    #expect(p.matches(attributes: attrs(attributes), body: "") == expected, "\(policy)")
  }

  @Test(
    "Filter policy operators on MessageBody, nested keys included",
    arguments: [
      ("{\"order\":{\"kind\":[\"book\"]}}", "{\"order\":{\"kind\":\"book\"}}", true),
      ("{\"order\":{\"kind\":[\"book\"]}}", "{\"order\":{\"kind\":\"pen\"}}", false),
      ("{\"price\":[{\"numeric\":[\">=\",10]}]}", "{\"price\":12}", true),
      ("{\"price\":[{\"numeric\":[\">=\",10]}]}", "{\"price\":\"12\"}", false),
      ("{\"tags\":[\"b\"]}", "{\"tags\":[\"a\",\"b\"]}", true),
      ("{\"x\":[null]}", "{\"x\":null}", true),
      ("{\"x\":[{\"exists\":false}]}", "{\"y\":1}", true),
      ("{\"request_id\":[{\"prefix\":\"26d8\"}]}", "{\"request_id\": \"26d84a1ffe20c326499614a49b48dc8f\"}", true),
      ("{\"a\":[\"x\"]}", "not json", false),
    ] as [(String, String, Bool)])
  func bodyOperators(policy: String, body: String, expected: Bool) throws {
    let p = try FilterPolicy(json: policy, scope: .messageBody)
    #expect(p.matches(attributes: [], body: body) == expected, "\(policy) on \(body)")
  }

  @Test(
    "Filter policy limits: at most 5 keys, 150 combinations, numbers within ±10^9 and 5 decimals",
    arguments: [
      "{\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1],\"f\":[1]}",
      "{\"a\":[1,2,3,4,5,6,7,8,9,10],\"b\":[1,2,3,4,5,6,7,8,9,10],\"c\":[1,2]}",
      "{\"a\":[1000000001]}",
      "{\"a\":[1.123456]}",
      "{\"a\":[{\"numeric\":[\">\",5,\"<\",1]}]}",
      "{\"a\":[{\"bogus\":1}]}",
      "{\"a\":\"x\"}",
      "{\"a\":{\"b\":[\"x\"]}}",
      "[]",
    ])
  func policyLimits(policy: String) {
    #expect(throws: FilterPolicyError.self) { try FilterPolicy(json: policy) }
  }

  @Test("A nested policy is accepted with the MessageBody scope")
  func nestedNeedsBodyScope() throws {
    _ = try FilterPolicy(json: "{\"a\":{\"b\":[\"x\"]}}", scope: .messageBody)
  }

  @Test("MessageBody filter policy: a dotted key matches the nested value as SNS reads it")
  func dottedKeyMatchesNestedValue() throws {
    let p = try FilterPolicy(json: "{\"order.type\": [\"book\"]}", scope: .messageBody)
    #expect(p.matches(attributes: [], body: "{\"order\": {\"type\": \"book\"}}"))
    #expect(!p.matches(attributes: [], body: "{\"order\": {\"type\": \"pen\"}}"))
    #expect(p.matches(attributes: [], body: "{\"order.type\": \"book\"}"), "a member named with the dot still matches")
    #expect(!p.matches(attributes: [], body: "{\"order\": \"book\"}"), "a path through a non-object finds nothing")
    let deep = try FilterPolicy(json: "{\"a.b.c\": [{\"numeric\": [\">\", 10]}]}", scope: .messageBody)
    #expect(deep.matches(attributes: [], body: "{\"a\": {\"b\": {\"c\": 11}}}"))
    #expect(!deep.matches(attributes: [], body: "{\"a\": {\"b\": {\"c\": 9}}}"))
  }

  private func refusal(_ json: String, _ scope: FilterPolicyScope) -> String? {
    do {
      _ = try FilterPolicy(json: json, scope: scope)
      return nil
    } catch {
      return "\(error)"
    }
  }

  private static let tooComplex = "Invalid parameter: FilterPolicy: Filter policy is too complex"
  private static let tooManyKeys = "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"

  /// AWS's examples and the answers AWS gave, as LocalStack's AWS-validated tests record them.
  @Test("Filter policy complexity counts nesting: each array's values times the depth of its key; $or adds up")
  func testFilterPolicyComplexityCountsNestingDepth() throws {
    // AWS's example: 4 values three levels down, 3 values two levels down: 3 x 4 x 2 x 3 = 72.
    let docs = "{\"key_a\":{\"key_b\":{\"key_c\":[1,2,3,4]}},\"key_d\":{\"key_e\":[1,2,3]}}"
    let p = try FilterPolicy(json: docs, scope: .messageBody)
    #expect(FilterPolicy.combinations(p.root) == 72)
    // With "key_f": [3 values] at the top: 72 x 1 x 3 = 216, refused (plain products gave 36).
    let more = "{\"key_a\":{\"key_b\":{\"key_c\":[1,2,3,4]}},\"key_d\":{\"key_e\":[1,2,3]},\"key_f\":[1,2,3]}"
    #expect(refusal(more, .messageBody) == Self.tooComplex)
    // 75 values one level down: 75 x 2 = 150, accepted; 76: 152, refused.
    let values = { (n: Int) in (1...n).map(String.init).joined(separator: ",") }
    #expect(refusal("{\"a\":{\"b\":[\(values(75))]}}", .messageBody) == nil)
    #expect(refusal("{\"a\":{\"b\":[\(values(76))]}}", .messageBody) == Self.tooComplex)
    // Flat: unchanged, one key of 151 values or 100 x 51 are refused.
    #expect(refusal("{\"a\":[\(values(151))]}", .messageAttributes) == Self.tooComplex)
    #expect(refusal("{\"a\":[\(values(100))],\"b\":[\(values(51))]}", .messageAttributes) == Self.tooComplex)
    // $or: (source x metricName) + (source x metricType x metricId) + (source x metricType x spaceId).
    func orPolicy(source: Int, spaceIds: Int) -> String {
      "{\"source\":[\(values(source))],\"$or\":[{\"metricName\":[\(values(6))]},"
        + "{\"metricType\":[\(values(4))],\"$or\":[{\"metricId\":[\(values(4))]},{\"spaceId\":[\(values(spaceIds))]}]}]}"
    }
    #expect(refusal(orPolicy(source: 4, spaceIds: 4), .messageAttributes) == Self.tooComplex, "24 + 64 + 64 = 152")
    #expect(refusal(orPolicy(source: 3, spaceIds: 7), .messageAttributes) == nil, "18 + 48 + 84 = 150")
    // An $or inside a nested object, its alternatives at that object's depth:
    // (3 x 4 x 2) + (3 x 4 x 6) + (2 x 4 x 2) + (2 x 4 x 6) = 160.
    let nestedOr =
      "{\"$or\":[{\"metricName\":[1,2,3]},{\"namespace\":[1,2]}],"
      + "\"detail\":{\"scope\":[1,2],\"$or\":[{\"source\":[1]},{\"type\":[1,2,3]}]}}"
    #expect(refusal(nestedOr, .messageBody) == Self.tooComplex)
    let q = try FilterPolicy(
      json: "{\"detail\":{\"scope\":[1,2],\"$or\":[{\"source\":[1]},{\"type\":[1,2,3]}]}}", scope: .messageBody)
    #expect(FilterPolicy.combinations(q.root) == 4 * 2 + 4 * 6)
  }

  @Test(
    "Filter policy keys: only top-level keys count toward 5 in a nested policy; an $or counts as its largest branch")
  func testFilterPolicyKeyLimitCountsTopLevelKeysOnly() throws {
    // Six flat keys: refused with AWS's words.
    let six = "{\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1],\"f\":[1]}"
    #expect(refusal(six, .messageAttributes) == Self.tooManyKeys)
    #expect(refusal(six, .messageBody) == Self.tooManyKeys)
    // AWS's example: state, severity, message, finding are counted; finding's three nested keys are not.
    let finding =
      "{\"state\":[\"SUCCESS\"],\"severity\":[{\"exists\":true}],\"message\":[{\"exists\":true}],"
      + "\"finding\":{\"standard_control\":[{\"exists\":true}],\"region\":[{\"exists\":true}],\"account\":[{\"exists\":true}]}}"
    let p = try FilterPolicy(json: finding, scope: .messageBody)
    #expect(FilterPolicy.keyCount(p.root) == 4)
    // Five top-level keys, one holding six nested keys: accepted (counting leaves refused it).
    let wide =
      "{\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":{\"f\":[1],\"g\":[1],\"h\":[1],\"i\":[1],\"j\":[1],\"k\":[1]}}"
    #expect(refusal(wide, .messageBody) == nil)
    // $or: each alternative is a policy of the same level; the largest counts.
    let or = "{\"a\":[1],\"b\":[1],\"$or\":[{\"c\":[1],\"d\":[1],\"e\":[1]},{\"f\":[1]}]}"
    #expect(refusal(or, .messageAttributes) == nil)
    let orTooMany = "{\"a\":[1],\"b\":[1],\"$or\":[{\"c\":[1],\"d\":[1],\"e\":[1],\"g\":[1]},{\"f\":[1]}]}"
    #expect(refusal(orTooMany, .messageAttributes) == Self.tooManyKeys)
  }

  @Test("MessageBody filter policy: an $or inside a nested object matches either alternative there")
  func nestedOrMatches() throws {
    let p = try FilterPolicy(
      json: "{\"detail\":{\"scope\":[\"Service\"],\"$or\":[{\"source\":[\"aws.cloudwatch\"]},{\"type\":[\"Alarm\"]}]}}",
      scope: .messageBody)
    #expect(p.matches(attributes: [], body: "{\"detail\":{\"scope\":\"Service\",\"source\":\"aws.cloudwatch\"}}"))
    #expect(p.matches(attributes: [], body: "{\"detail\":{\"scope\":\"Service\",\"type\":\"Alarm\"}}"))
    #expect(!p.matches(attributes: [], body: "{\"detail\":{\"scope\":\"Service\",\"type\":\"Other\"}}"))
    #expect(!p.matches(attributes: [], body: "{\"detail\":{\"scope\":\"Test\",\"type\":\"Alarm\"}}"))
    #expect(!p.matches(attributes: [], body: "{\"scope\":\"Service\",\"type\":\"Alarm\"}"), "not at the top")
  }
}
