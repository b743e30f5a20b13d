import Foundation
import Testing

@testable import FanoutScenario
@testable import FanoutSim

/// A small valid scenario to break one rule at a time.
let base = """
  name: t
  buckets: [b]
  topics:
    - name: in
      subscriptions:
        - queue: work
  queues:
    - name: work
      VisibilityTimeout: 30
      RedrivePolicy: { deadLetterTargetArn: work-dlq, maxReceiveCount: 5 }
    - name: work-dlq
  functions:
    - name: worker
      handler: { type: forward, topic: in }
      Timeout: 3
  eventSourceMappings:
    - queue: work
      function: worker

  """

/// The base with an invalid filter policy on its subscription.
let filterCase = """
  topics:
    - name: in
      subscriptions:
        - queue: work
          FilterPolicy: { a: [{ bogus: 1 }] }
  queues:
    - name: work

  """

/// A failing function whose queue has no dead-letter queue.
let noDLQCase = """
  topics: []
  queues:
    - name: work
  functions:
    - name: worker
      handler: { type: forward, queue: work }
      failure: { errorRate: 0.1 }
  eventSourceMappings:
    - { queue: work, function: worker }

  """

func diagnose(_ text: String) -> (Scenario?, [Diagnostic]) { Scenario.parse(text, file: "s.yaml") }

@Suite("Scenario validation: every problem located, in AWS's words where AWS has them")
struct ValidationTests {
  @Test("The base scenario is valid and has no warning")
  func baseIsValid() {
    let (s, d) = diagnose(base)
    #expect(s != nil)
    #expect(d.isEmpty, "\(d)")
  }

  @Test func testQueuePolicyIsReadAsYAMLOrJSONTextAndAllowsTheTopic() throws {
    let yaml = base.replacingOccurrences(
      of: "VisibilityTimeout: 30",
      with:
        "Policy: { Version: '2012-10-17', Statement: [{ Effect: Allow, Principal: { Service: sns.amazonaws.com }, Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:123456789012:work', Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:in' } } }] }"
    )
    let (s, d) = diagnose(yaml)
    #expect(d.isEmpty, "\(d)")
    let policy = try #require(s?.topology.queues[0].policy)
    #expect(policy.document?.hasPrefix("{\"Version\":\"2012-10-17\"") == true)
    #expect(
      policy.allowsSNS(
        topicArn: "arn:aws:sns:us-east-1:123456789012:in", topicAccount: "123456789012",
        queueArn: "arn:aws:sqs:us-east-1:123456789012:work"))
    let json = base.replacingOccurrences(
      of: "VisibilityTimeout: 30",
      with: #"Policy: '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}]}'"#)
    #expect(diagnose(json).0?.topology.queues[0].policy?.statements.count == 1)
    #expect(
      diagnose(base.replacingOccurrences(of: "VisibilityTimeout: 30", with: "Policy: none")).0?.topology.queues[0]
        .policy == QueuePolicy.none)
  }

  @Test(
    "Broken files: each gives the expected message at the expected line:column",
    arguments: [
      ("", "1:1", "the file is empty"),
      ("queues: [", "2:1", "not valid YAML"),
      ("queues: 5\ntopics: []\n", "1:9", "expected a list, found '5'"),
      (
        base.replacingOccurrences(of: "VisibilityTimeout: 30", with: "VisibilityTimout: 30"), "9:5",
        "unknown key 'VisibilityTimout' (did you mean 'VisibilityTimeout'?)"
      ),
      (
        base.replacingOccurrences(of: "VisibilityTimeout: 30", with: "VisibilityTimeout: 50000"), "9:24",
        "Invalid value for the parameter VisibilityTimeout. Reason: must be between 0 and 43200 seconds."
      ),
      (
        base.replacingOccurrences(of: "VisibilityTimeout: 30", with: "VisibilityTimeout: thirty"), "9:24",
        "expected a whole number, found 'thirty'"
      ),
      (
        base.replacingOccurrences(of: "- queue: work\n", with: "- queue: wrok\n"), "6:16",
        "queue 'wrok' is not defined (did you mean 'work'?)"
      ),
      (
        base.replacingOccurrences(of: "- name: work-dlq", with: "- name: work"), "11:11",
        "queue 'work' is defined twice"
      ),
      (
        base.replacingOccurrences(of: "Timeout: 3\n", with: "Timeout: 60\n"), "17:5",
        "Invalid request provided: Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds"
      ),
      (
        base + "    BatchSize: 100\n", "19:16",
        "Invalid request provided: Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
      ),
      (
        base.replacingOccurrences(of: "type: forward", with: "type: froward"), "14:22",
        "unknown handler type 'froward' (did you mean 'forward'?)"
      ),
      (base + "load:\n  - constant: { rate: 5, count: 10 }\n", "20:3", "a load fires requests at the entry function"),
      (base + "timeline:\n  - at: 5s\n    pause: nowhere\n", "21:12", "queue 'nowhere' is not defined"),
      (
        filterCase, "5:23", "Invalid parameter: FilterPolicy: Unrecognized match type bogus"
      ),
      (base + "expect:\n  maxInQueue: { wrk: 0 }\n", "20:17", "queue 'wrk' is not defined (did you mean 'work'?)"),
      ("name: a\nname: b\nqueues: [{ name: q }]\n", "1:1", "duplicated key(s): 'name'"),
      (
        base.replacingOccurrences(of: "VisibilityTimeout: 30", with: "Policy: { Statement: [{ Effect: Allow }] }"),
        "9:13", "Invalid value for the parameter Policy. Reason: Statement[0] needs exactly one of Principal"
      ),
      (
        base.replacingOccurrences(of: "VisibilityTimeout: 30", with: "Policy: nothing"), "9:13",
        "Invalid value for the parameter Policy. Reason: the policy is not valid JSON"
      ),
    ])
  func broken(text: String, at: String, message: String) throws {
    let (s, d) = diagnose(text)
    #expect(s == nil, "should be rejected")
    let hit = try #require(
      d.first { $0.severity == .error && $0.message.contains(message) },
      "no error containing \(message); got:\n\(d.map(\.description).joined(separator: "\n"))")
    #expect("\(hit.line):\(hit.column)".hasPrefix(at), "\(hit)")
  }

  /// SNS → Lambda and asynchronous invocation settings, broken one at a time.
  static let asyncCases: [(String, String, String)] = [
    (
      base.replacingOccurrences(
        of: "handler: { type: forward, topic: in }", with: "handler: { type: process, command: [] }"),
      "14:", "the command is empty"
    ),
    (
      base.replacingOccurrences(of: "handler: { type: forward, topic: in }", with: "handler: { type: process }"),
      "14:", "a process handler needs a command"
    ),
    (
      base.replacingOccurrences(of: "    Timeout: 3\n", with: "    Timeout: 3\n    MemorySize: 64\n"), "16:",
      "at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240"
    ),
    (
      base.replacingOccurrences(of: "    Timeout: 3\n", with: "    Timeout: 3\n    Architectures: [arm]\n"), "16:",
      "Member must satisfy enum value set: [x86_64, arm64]"
    ),
    (
      base.replacingOccurrences(
        of: "    Timeout: 3\n", with: "    Timeout: 3\n    EventInvokeConfig: { MaximumRetryAttempts: 3 }\n"),
      "16:", "at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 2"
    ),
    (
      base.replacingOccurrences(
        of: "    Timeout: 3\n", with: "    Timeout: 3\n    EventInvokeConfig: { MaximumEventAgeInSeconds: 30 }\n"),
      "16:", "at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600"
    ),
    (
      base.replacingOccurrences(of: "      - queue: work\n", with: "      - queue: work\n        function: worker\n"),
      "6:",
      "a subscription names exactly one endpoint: queue, function or sink"
    ),
    (
      base.replacingOccurrences(of: "      - queue: work\n", with: "      - function: wrker\n"), "6:",
      "function 'wrker' is not defined (did you mean 'worker'?)"
    ),
    (
      base.replacingOccurrences(
        of: "    Timeout: 3\n",
        with: "    Timeout: 3\n    DeadLetterConfig: { TargetArn: arn:aws:events:us-east-1:1:event-bus/b }\n"),
      "16:", "expected an SQS queue or SNS topic ARN"
    ),
    (
      base.replacingOccurrences(
        of: "    Timeout: 3\n",
        with:
          "    Timeout: 3\n    EventInvokeConfig: { DestinationConfig: { OnFailure: { Destination: { queue: wrk } } } }\n"
      ),
      "16:", "queue 'wrk' is not defined (did you mean 'work'?)"
    ),
  ]

  @Test("A process handler: its command, working directory and environment, in order")
  func processHandler() throws {
    let text = base.replacingOccurrences(
      of: "handler: { type: forward, topic: in }",
      with:
        "handler: { type: process, command: [python3, -m, awslambdaric, app.handler], cwd: code, environment: { B: 2, A: one } }"
    )
    let (s, d) = diagnose(text)
    let f = try #require(s, "\(d)").topology.functions[0]
    guard case .process(let h) = f.handler else {
      Issue.record("not a process handler")
      return
    }
    #expect(h.command == ["python3", "-m", "awslambdaric", "app.handler"])
    #expect(h.cwd == "code")
    #expect(h.environment.map(\.name) == ["B", "A"] && h.environment.map(\.value) == ["2", "one"])
  }

  @Test(
    "Broken asynchronous invocation settings: each gives Lambda's or fanout's message, located", arguments: asyncCases)
  func brokenAsync(text: String, at: String, message: String) throws {
    try broken(text: text, at: at, message: message)
  }

  @Test("Every problem is reported at once, not only the first")
  func allAtOnce() {
    let text =
      base.replacingOccurrences(of: "VisibilityTimeout: 30", with: "VisibilityTimeout: -1")
      .replacingOccurrences(of: "- queue: work\n", with: "- queue: wrok\n") + "bogus: 1\n"
    let (_, d) = diagnose(text)
    #expect(d.filter { $0.severity == .error }.count >= 3, "\(d)")
  }

  @Test(
    "Rules AWS only recommends are warnings: visibility under 6 × timeout, maxReceiveCount under 5, a failing function without a DLQ",
    arguments: [
      (base.replacingOccurrences(of: "Timeout: 3\n", with: "Timeout: 10\n"), "at least 6 × the function timeout"),
      (
        base.replacingOccurrences(of: "maxReceiveCount: 5", with: "maxReceiveCount: 2"), "maxReceiveCount of at least 5"
      ),
      (
        noDLQCase, "has no dead-letter queue"
      ),
      (
        base.replacingOccurrences(of: "VisibilityTimeout: 30", with: "Policy: none"),
        "SNS cannot deliver in to work: work has no queue policy"
      ),
      (
        base.replacingOccurrences(
          of: "VisibilityTimeout: 30",
          with:
            "Policy: { Statement: [{ Effect: Allow, Principal: '*', Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:other' } } }] }"
        ), "SNS cannot deliver in to work: work's Policy does not allow it"
      ),
    ])
  func warnings(text: String, message: String) {
    let (s, d) = diagnose(text)
    #expect(s != nil, "warnings do not reject: \(d)")
    #expect(d.contains { $0.severity == .warning && $0.message.contains(message) }, "\(d)")
  }

  @Test("A YAML alias bomb in a filter policy stops the reader's walk at its node limit, with one located error")
  func aliasBomb() {
    // Six levels of ten aliases each, all inside the subscription's FilterPolicy, which the
    // parser walks node by node: a few hundred bytes that stand for over a million nodes.
    var levels = ["k0: &a0 [" + Array(repeating: "x", count: 10).joined(separator: ", ") + "]"]
    var nodes = 11
    var total = nodes
    for i in 1...5 {
      levels.append("k\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]")
      nodes = 10 * nodes + 1
      total += nodes
    }
    #expect(total > 10 * Reader.maxNodes, "the bomb is far larger than the walk allows")
    let policy = "        FilterPolicy: { \(levels.joined(separator: ", ")) }\n"
    let text = base.replacingOccurrences(of: "      - queue: work\n", with: "      - queue: work\n" + policy)
    #expect(text != base)
    let (s, d) = diagnose(text)
    #expect(s == nil)
    let guardHits = d.filter {
      $0.message == "the document expands to more than 100000 nodes (aliases?); not read further"
    }
    #expect(guardHits.count == 1, "\(d.map(\.description).joined(separator: "\n"))")
    #expect(guardHits.first?.severity == .error)
    #expect(guardHits.first?.path == "topics[0].subscriptions[0].FilterPolicy")
  }

  @Test("Files over 1 MiB are refused with their size")
  func hugeFile() throws {
    let path = NSTemporaryDirectory() + "fanout-huge-\(ProcessInfo.processInfo.processIdentifier).yaml"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try String(repeating: "# padding\n", count: 120_000).write(toFile: path, atomically: true, encoding: .utf8)
    let (s, d) = Scenario.load(path: path)
    #expect(s == nil)
    #expect(d.first?.message.contains("at most 1048576") == true)
  }

  static let runtimeCases: [(String, String, String)] = [
    (
      base.replacingOccurrences(of: "Timeout: 3\n", with: "Timeout: 3\n    Runtime: python3.99\n"), "16:14",
      "Value python3.99 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [nodejs, nodejs4.3,"
    ),
    (
      base.replacingOccurrences(of: "Timeout: 3\n", with: "Timeout: 3\n    Runtime: ruby4.0\n"), "16:14",
      "fanout has no published cold start for runtime ruby4.0: give coldStart"
    ),
    (
      base.replacingOccurrences(
        of: "Timeout: 3\n", with: "Timeout: 3\n    coldStart: { median: 9ms, tail: { median: 90ms } }\n"),
      "16:37", "a tail needs probability and median (and sigma)"
    ),
  ]

  @Test(
    "An unknown Runtime is refused in Lambda's words; one without a published cold start needs coldStart",
    arguments: runtimeCases)
  func brokenRuntime(text: String, at: String, message: String) throws {
    try broken(text: text, at: at, message: message)
  }

  @Test("Runtime: Lambda's enum; it selects the cold start; coldStart and a tail are read as given")
  func runtimeAndColdStart() throws {
    let java = base.replacingOccurrences(of: "Timeout: 3\n", with: "Timeout: 3\n    Runtime: java21\n")
    let (s, d) = diagnose(java)
    #expect(d.isEmpty, "\(d)")
    let f = try #require(s?.topology.functions.first)
    #expect(f.runtime == "java21")
    #expect(f.coldStart == LambdaRuntimes.coldStart("java21"))
    // A runtime AWS knows but no benchmark measures runs once the scenario gives its cold start.
    let ruby = base.replacingOccurrences(
      of: "Timeout: 3\n",
      with:
        "Timeout: 3\n    Runtime: ruby4.0\n    coldStart: { median: 200ms, sigma: 0.1, tail: { probability: 0.05, median: 400ms, sigma: 0.2 } }\n"
    )
    let (s2, d2) = diagnose(ruby)
    #expect(d2.isEmpty, "\(d2)")
    #expect(
      s2?.topology.functions.first?.coldStart
        == .lognormalWithTail(
          median: .milliseconds(200), sigma: 0.1, tailProbability: 0.05, tailMedian: .milliseconds(400), tailSigma: 0.2)
    )
    // The seed's runtime when the file says none.
    let (s3, _) = diagnose(base)
    #expect(s3?.topology.functions.first?.runtime == "python3.12")
  }
}
