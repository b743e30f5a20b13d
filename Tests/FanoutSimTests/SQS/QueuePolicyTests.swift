import Testing

@testable import FanoutSim

/// SNS → SQS deliveries and the queue's access policy.
@Suite("SQS queue policies and SNS delivery")
struct QueuePolicyTests {
  let topicArn = "arn:aws:sns:us-east-1:123456789012:orders"
  let queueArn = "arn:aws:sqs:us-east-1:123456789012:books"

  func policy(_ statement: String) throws -> QueuePolicy {
    try QueuePolicy(json: "{\"Version\": \"2012-10-17\", \"Statement\": [\(statement)]}")
  }

  func allows(_ statement: String, topic: String? = nil, account: String = "123456789012") throws -> Bool {
    try policy(statement).allowsSNS(topicArn: topic ?? topicArn, topicAccount: account, queueArn: queueArn)
  }

  /// A topic `orders` subscribed by queue `books` whose policy is `policy`.
  func sim(_ policy: QueuePolicy?) throws -> Simulation {
    var t = Topology()
    var q = QueueSpec(name: "books")
    q.policy = policy
    t.queues = [q]
    t.topics = [TopicSpec(name: "orders", subscriptions: [SubscriptionSpec(endpoint: .queue("books"))])]
    return try Simulation(topology: t, seed: 1)
  }

  @Test func testSNSDeliveryToAQueueWithoutPolicyIsDeniedAndNotRetried() throws {
    let s = try sim(QueuePolicy.none)
    let rec = Recorder(s)
    try s.publish(topic: "orders", message: "m")
    s.runUntilDrained()
    #expect(s.queue(named: "books")!.depth == 0)
    #expect(s.topic(named: "orders")!.counters.failed == 1)
    #expect(s.topic(named: "orders")!.counters.delivered == 0)
    let failed = rec.of("sns.delivery_failed")
    #expect(failed.count == 1, "one attempt: a client-side error is not retried")
    #expect(
      failed[0].jsonLine.contains(
        "AccessDenied: Access to the resource https://sqs.us-east-1.amazonaws.com/123456789012/books is denied."))
  }

  @Test func testSNSDeliversWhenThePolicyAllowsTheServicePrincipalForTheTopic() throws {
    let statement = """
      {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
       "Resource": "\(queueArn)", "Condition": {"ArnEquals": {"aws:SourceArn": "\(topicArn)"}}}
      """
    let s = try sim(try policy(statement))
    try s.publish(topic: "orders", message: "m")
    s.runUntilDrained()
    #expect(s.queue(named: "books")!.depth == 1)
    #expect(s.topic(named: "orders")!.counters.failed == 0)
  }

  @Test func testAQueueWithoutAModelledPolicyKeepsDelivering() throws {
    let s = try sim(nil)
    try s.publish(topic: "orders", message: "m")
    s.runUntilDrained()
    #expect(s.queue(named: "books")!.depth == 1)
  }

  @Test func testPolicyPrincipalStarOrAWSStarNamesSNS() throws {
    #expect(try allows(#"{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage"}"#))
    #expect(try allows(#"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SQS:SendMessage"}"#))
    #expect(try allows(#"{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["sqs:*"]}"#))
    #expect(
      try !allows(#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sqs:*"}"#))
    #expect(
      try !allows(#"{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:*"}"#))
  }

  @Test func testPolicyActionMatchesSendMessageCaseInsensitivelyWithWildcards() throws {
    #expect(try allows(#"{"Effect": "Allow", "Principal": "*", "Action": "sqs:Send*"}"#))
    #expect(try allows(#"{"Effect": "Allow", "Principal": "*", "Action": "*"}"#))
    #expect(try !allows(#"{"Effect": "Allow", "Principal": "*", "Action": "sqs:ReceiveMessage"}"#))
    #expect(try allows(#"{"Effect": "Allow", "Principal": "*", "NotAction": "sqs:DeleteQueue"}"#))
  }

  @Test func testPolicyResourceMustMatchTheQueueArn() throws {
    #expect(
      try !allows(
        #"{"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-1:123456789012:other"}"#
      ))
    #expect(
      try allows(
        #"{"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "arn:aws:sqs:*:123456789012:*"}"#))
    #expect(
      try allows(
        #"{"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": ["arn:aws:sqs:us-east-1:123456789012:a", "arn:aws:sqs:us-east-1:123456789012:books"]}"#
      ))
  }

  @Test func testPolicySourceArnConditionNamesTheTopic() throws {
    let other = "arn:aws:sns:us-east-1:123456789012:payments"
    let equals =
      #"{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:orders"}}}"#
    #expect(try allows(equals))
    #expect(try !allows(equals, topic: other))
    let like =
      #"{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}}}"#
    #expect(try allows(like, topic: other))
    let key =
      #"{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Condition": {"StringEquals": {"AWS:SOURCEACCOUNT": "123456789012"}}}"#
    #expect(try allows(key), "condition keys are case-insensitive")
    #expect(try !allows(key, account: "999999999999"))
  }

  @Test func testPolicyConditionOnAnAbsentKeyIsFalseUnlessNegatedIfExistsOrNull() throws {
    func with(_ condition: String) throws -> Bool {
      try allows(#"{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Condition": "# + condition + "}")
    }
    #expect(try !with(#"{"StringEquals": {"aws:SourceVpc": "vpc-1"}}"#))
    #expect(try with(#"{"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}"#))
    #expect(try with(#"{"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}"#))
    #expect(try with(#"{"Null": {"aws:SourceVpc": "true"}}"#))
    #expect(try !with(#"{"Null": {"aws:SourceArn": "true"}}"#))
    #expect(try with(#"{"Null": {"aws:SourceArn": "false"}}"#))
  }

  @Test func testPolicyExplicitDenyOverridesAnAllow() throws {
    let p = try policy(
      #"{"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}, {"Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:orders"}}}"#
    )
    #expect(p.decision(topicArn: topicArn, topicAccount: "123456789012", queueArn: queueArn) == .explicitDeny)
    #expect(
      p.decision(topicArn: "arn:aws:sns:us-east-1:123456789012:x", topicAccount: "123456789012", queueArn: queueArn)
        == .allowed)
  }

  @Test func testPolicyThatSQSWouldRefuseIsRefusedWithTheReason() {
    for bad in [
      "not json", "[]", "{\"Version\": \"2012-10-17\"}",
      #"{"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "sqs:*"}]}"#,
      #"{"Statement": [{"Effect": "Allow", "Action": "sqs:*"}]}"#,
      #"{"Statement": [{"Effect": "Allow", "Principal": "*"}]}"#,
      #"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Condition": {"StringSorta": {"k": "v"}}}]}"#,
    ] {
      #expect(throws: QueuePolicyError.self) { try QueuePolicy(json: bad) }
    }
    do {
      _ = try QueuePolicy(json: "{}")
    } catch {
      #expect(error.description.hasPrefix("Invalid value for the parameter Policy. Reason:"))
    }
  }

  @Test func testValidationWarnsOfASubscriptionItsQueuePolicyDenies() throws {
    var t = Topology()
    var q = QueueSpec(name: "books")
    q.policy = QueuePolicy.none
    t.queues = [q]
    t.topics = [TopicSpec(name: "orders", subscriptions: [SubscriptionSpec(endpoint: .queue("books"))])]
    let p = t.problems()
    #expect(p.count == 1)
    #expect(p.first?.severity == .warning)
    #expect(p.first?.place == .subscription(topic: "orders", index: 0, attribute: nil))
    #expect(p.first?.message.contains("books has no queue policy") == true)
  }

  @Test func testWildcardsMatchAsIAMDoes() {
    #expect(wildcardMatch("a*c", "abbbc"))
    #expect(wildcardMatch("a?c", "abc"))
    #expect(!wildcardMatch("a?c", "abbc"))
    #expect(wildcardMatch("*", ""))
    #expect(!wildcardMatch("A*", "abc"), "case-sensitive")
    #expect(arnLike("arn:aws:sns:*:*:orders", "arn:aws:sns:us-east-1:123456789012:orders"))
    #expect(!arnLike("arn:aws:sns:*:orders", "arn:aws:sns:us-east-1:123456789012:orders"), "six parts each")
  }
}
