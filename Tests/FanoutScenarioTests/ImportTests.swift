import Foundation
import Testing

@testable import FanoutScenario
@testable import FanoutSim

func repoFile(_ relative: String) -> String {
  var root = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { root.deleteLastPathComponent() }
  return root.appendingPathComponent(relative).path
}

func templatePath(_ name: String) -> String { repoFile("Tests/Fixtures/templates/" + name) }

/// The corpus: every template under Tests/Fixtures/templates (not the overlays).
func corpus() throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: repoFile("Tests/Fixtures/templates"))
    .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".json")) && !$0.contains(".behaviour.") }.sorted()
}

/// Imports text as a template; `behaviour` is overlay text.
func importText(
  _ text: String, file: String = "t.yaml", behaviour: String? = nil, entry: String? = nil,
  options: ImportOptions = ImportOptions()
) -> TemplateImport {
  TemplateImport.parse(
    text, file: file, options: options, behaviour: behaviour.map { ($0, "b.yaml") }, entry: entry)
}

func errors(_ r: TemplateImport) -> [Diagnostic] { r.diagnostics.filter { $0.severity == .error } }

/// Every event of a run of `sim` firing `count` requests at 100 a second.
func eventLog(_ sim: Simulation, requests: Int = 10) -> String {
  var lines: [String] = []
  sim.observer = { lines.append($0.jsonLine) }
  if requests > 0 { sim.startLoad(count: requests, rate: 100) }
  sim.runUntilDrained()
  return lines.joined(separator: "\n")
}

/// A topology as sorted facts: what an import must agree on, whatever order it found things in.
func summary(_ t: Topology) -> [String] {
  var out = ["region \(t.region)", "account \(t.account)", "entry \(t.entryFunction ?? "-")"]
  for b in t.buckets { out.append("bucket \(b.name)") }
  for q in t.queues {
    var policy = "unchecked"
    if let p = q.policy { policy = p.document == nil ? "none" : "\(p.statements.count) statements" }
    out.append(
      "queue \(q.name) vis \(q.visibilityTimeout) delay \(q.delay) retention \(q.messageRetentionPeriod) max \(q.maximumMessageSize) wait \(q.receiveMessageWaitTime) redrive \(q.redrive.map { "\($0.deadLetterQueue)/\($0.maxReceiveCount)" } ?? "-") policy \(policy)"
    )
  }
  for topic in t.topics {
    for s in topic.subscriptions {
      var denied = "-"
      if case .queue(let q) = s.endpoint, let qs = t.queues.first(where: { $0.name == q }), let p = qs.policy {
        denied =
          p.allowsSNS(
            topicArn: "arn:aws:sns:\(t.region):\(t.account):\(topic.name)", topicAccount: t.account,
            queueArn: "arn:aws:sqs:\(t.region):\(t.account):\(q)") ? "allowed" : "denied"
      }
      let filter = s.filterPolicy.flatMap { JSONValue.parse($0)?.compact } ?? "-"
      out.append(
        "subscription \(topic.name) → \(s.endpoint) raw \(s.rawMessageDelivery) filter \(filter) scope \(s.filterPolicyScope) dlq \(s.deadLetterQueue ?? "-") \(denied)"
      )
    }
    if topic.subscriptions.isEmpty { out.append("topic \(topic.name)") }
  }
  for f in t.functions {
    out.append(
      "function \(f.name) runtime \(f.runtime) timeout \(f.timeout) reserved \(f.reservedConcurrency.map(String.init) ?? "-") handler \(f.handler) memory \(f.memorySize) \(f.architecture) async \(f.eventInvokeConfig) dlq \(f.deadLetter.map { "\($0)" } ?? "-") sns \(f.snsInvokePermissions.map { $0.joined(separator: ",") } ?? "-")"
    )
  }
  for m in t.mappings {
    out.append(
      "mapping \(m.queue) → \(m.function) batch \(m.batchSize) window \(m.maximumBatchingWindow) enabled \(m.enabled) rbif \(m.reportBatchItemFailures) max \(m.maximumConcurrency.map(String.init) ?? "-") provisioned \(m.provisionedPollers.map { "\($0.minimum)-\($0.maximum)" } ?? "-")"
    )
  }
  return out.sorted()
}

@Suite("fanout import: templates as scenarios")
struct ImportTests {
  // MARK: The article's pipeline as templates

  @Test(arguments: ["examples/seed-pipeline.sam.yaml", "examples/seed-pipeline.tfstate.json"])
  func testSeedPipelineTemplateGivesTheBuiltInPipelinesEvents(file: String) throws {
    let r = TemplateImport.load(
      path: repoFile(file), behaviour: repoFile("examples/seed-pipeline.behaviour.yaml"))
    #expect(errors(r).isEmpty, "\(r.diagnostics)")
    let scenario = try #require(r.scenario)
    let imported = eventLog(try Simulation(topology: scenario.topology, seed: 1))
    let builtIn = eventLog(try Simulation(topology: .seedPipeline(), seed: 1))
    #expect(imported == builtIn)
    #expect(imported.split(separator: "\n").count > 300)
    let seven = eventLog(try Simulation(topology: scenario.topology, seed: 7), requests: 40)
    #expect(seven == eventLog(try Simulation(topology: .seedPipeline(), seed: 7), requests: 40))
  }

  @Test func testImportedScenarioTextValidatesAsAFileAndRunsTheSame() throws {
    let r = TemplateImport.load(
      path: repoFile("examples/seed-pipeline.sam.yaml"), behaviour: repoFile("examples/seed-pipeline.behaviour.yaml"))
    let (s, d) = Scenario.parse(r.scenarioText, file: "written.yaml")
    #expect(!d.contains { $0.severity == .error }, "\(d)")
    let fromText = try #require(s)
    #expect(summary(fromText.topology) == summary(try #require(r.scenario).topology))
  }

  // MARK: Names, resources and properties

  @Test func testLogicalIDsBecomeNamesUnlessTheTemplateNamesTheResource() throws {
    let r = importText(
      """
      Resources:
        Orders: { Type: AWS::SNS::Topic }
        Named: { Type: AWS::SNS::Topic, Properties: { TopicName: named-topic } }
        Work: { Type: AWS::SQS::Queue }
        Jobs: { Type: AWS::SQS::Queue, Properties: { QueueName: jobs } }
      """)
    let t = try #require(r.scenario).topology
    #expect(t.topics.map(\.name) == ["Orders", "named-topic"])
    #expect(t.queues.map(\.name) == ["Work", "jobs"])
  }

  @Test func testImportedFunctionWithoutBehaviourConsumesItsRecordsAndTheReportSaysSo() throws {
    let r = TemplateImport.load(path: templatePath("cfn-inline-subscriptions.yaml"))
    let scenario = try #require(r.scenario, "\(r.diagnostics)")
    for f in scenario.topology.functions {
      guard case .compute = f.handler else {
        Issue.record("\(f.name) is not compute")
        continue
      }
    }
    #expect(
      r.report.contains(
        "no behaviour given (--behaviour): handler compute, which consumes its records successfully after its duration")
    )
    #expect(r.scenarioText.contains("# No behaviour given: it consumes its records successfully after its duration."))
    let sim = try scenario.simulation()
    try sim.publish(topic: "events", message: "{\"id\": 1}")
    sim.runUntilDrained()
    for q in ["indexer", "archiver"] {
      #expect(sim.queue(named: q)!.counters.deleted == 1, "\(q): consumed and deleted")
    }
    #expect(sim.functions.allSatisfy { $0.counters.errors == 0 })
  }

  @Test func testEveryUnmodelledPropertyIsListedInTheReport() throws {
    let r = TemplateImport.load(path: templatePath("cfn-inline-subscriptions.yaml"))
    #expect(r.report.contains("not modelled: DisplayName — the display name only appears in SMS and e-mail deliveries"))
    #expect(r.report.contains("note: MemorySize prices its GB-seconds; durations do not scale with it"))
    #expect(r.report.contains("Resources.Role (AWS::IAM::Role) → ignored: IAM is not modelled"))
    #expect(r.report.contains("mapped: EventSourceArn, FunctionName, BatchSize, MaximumBatchingWindowInSeconds"))
    let dlq = TemplateImport.load(path: templatePath("cfn-dlqs.yaml"))
    #expect(dlq.report.contains("not modelled: RedriveAllowPolicy — which source queues may use this queue"))
  }

  @Test func testShortFormTagsAndIntrinsicFunctionsAreEvaluatedAsCloudFormationDoes() throws {
    let r = TemplateImport.load(path: templatePath("cfn-parameters-conditions.yaml"))
    let t = try #require(r.scenario, "\(r.diagnostics)").topology
    #expect(t.topics.map(\.name) == ["shop-staging-orders"])
    #expect(t.queues.map(\.name) == ["shop-staging-work"], "Mirror exists only in production")
    #expect(t.queues[0].visibilityTimeout == .seconds(60))
    #expect(t.functions[0].name == "shop-handler")
    #expect(t.functions[0].timeout == .seconds(5))
    #expect(t.functions[0].reservedConcurrency == 10)
    #expect(
      t.topics[0].subscriptions[0].filterPolicy.flatMap { JSONValue.parse($0)?.compact }
        == #"{"channel":["web","app","store"]}"#)
    #expect(r.report.contains("Resources.Mirror (AWS::SQS::Queue) → not created: condition IsProduction is false"))
  }

  @Test func testParametersTakeTheirDefaultOrTheGivenValue() throws {
    let r = TemplateImport.load(
      path: templatePath("cfn-parameters-conditions.yaml"),
      options: ImportOptions(parameters: [("Environment", "production"), ("AWS::Region", "eu-west-1")]))
    let t = try #require(r.scenario, "\(r.diagnostics)").topology
    #expect(t.region == "eu-west-1")
    #expect(t.queues.map(\.name) == ["shop-production-work", "shop-mirror"])
    #expect(t.queues[0].visibilityTimeout == .seconds(180))
    #expect(t.functions[0].timeout == .seconds(15))
    #expect(t.functions[0].reservedConcurrency == nil, "AWS::NoValue leaves the property out")
    #expect(t.topics[0].subscriptions.count == 2)
    #expect(summary(t).filter { $0.hasSuffix("denied") }.isEmpty, "the policy names the production topic's ARN")
  }

  @Test func testFifoQueueGetsAClearMessageThatFIFOIsNotModelled() throws {
    let r = importText(
      "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: { QueueName: q.fifo, FifoQueue: true }\n")
    #expect(r.scenario != nil)
    #expect(
      r.diagnostics.contains {
        $0.severity == .warning
          && $0.message.contains("FIFO queues are not modelled: fanout runs q.fifo as a standard queue") && $0.line == 4
      })
  }

  @Test func testLambdaSubscriptionSubscribesTheFunctionItself() throws {
    let r = TemplateImport.load(path: templatePath("sam-existing-queue.yaml"))
    let t = try #require(r.scenario, "\(r.diagnostics)").topology
    let subs = t.topics[0].subscriptions.map(\.endpoint)
    #expect(subs.contains { if case .function = $0 { return true } else { return false } })
    #expect(!subs.contains(.sink("lambda")))
  }

  @Test func testSAMSNSEventWithoutSqsSubscriptionIsAnAsynchronousInvocationWithSAMsPermission() throws {
    let r = TemplateImport.load(
      path: templatePath("sam-sns-lambda.yaml"), behaviour: templatePath("sam-sns-lambda.behaviour.yaml"))
    let t = try #require(r.scenario, "\(r.diagnostics)").topology
    #expect(t.topics[0].subscriptions.map(\.endpoint) == [.function("auditor")])
    #expect(t.topics[0].subscriptions[0].deadLetterQueue == "audit-undeliverable")
    let f = try #require(t.functions.first)
    #expect(f.snsInvokePermissions == ["arn:aws:sns:us-east-1:123456789012:audit-events"])
    #expect(f.eventInvokeConfig.maximumRetryAttempts == 1)
    #expect(f.eventInvokeConfig.maximumEventAge == .seconds(3_600))
    // SAM creates the on-failure queue a destination of Type SQS without Destination names.
    #expect(f.eventInvokeConfig.onFailure == .queue("AuditorEventInvokeConfigOnFailureQueue"))
    #expect(f.deadLetter == .queue("audit-discarded"))
    #expect(!r.diagnostics.contains { $0.severity == .warning })
    let sim = try #require(r.scenario).simulation()
    sim.runUntilDrained()
    let a = sim.function(named: "auditor")!.async
    #expect(a.received == 4 && a.succeeded + a.dropped == 4)
  }

  @Test func testLambdaSubscriptionWithoutPermissionWarnsAndTheRunFailsTheDeliveriesAsAWSDoes() throws {
    let text = """
      Resources:
        T:
          Type: AWS::SNS::Topic
        F:
          Type: AWS::Lambda::Function
          Properties:
            Runtime: python3.12
            Handler: app.handler
            Role: arn:aws:iam::123456789012:role/r
            Code: { ZipFile: "def handler(e, c): pass" }
        S:
          Type: AWS::SNS::Subscription
          Properties: { TopicArn: !Ref T, Protocol: lambda, Endpoint: !GetAtt F.Arn }
      """
    let r = importText(text, behaviour: "timeline:\n  - at: 1s\n    publish: { topic: T, message: hi }\n")
    let w = try #require(r.diagnostics.first { $0.message.contains("SNS → Lambda T → F") })
    #expect(w.severity == .warning && w.line == 12)
    #expect(w.message.contains("no AWS::Lambda::Permission lets sns.amazonaws.com invoke it"))
    #expect(r.scenarioText.contains("SNSInvokePermissions: []"))
    let sim = try #require(r.scenario).simulation()
    sim.runUntilDrained()
    #expect(sim.topic(named: "T")!.counters.failed == 1)
    #expect(sim.function(named: "F")!.counters.invocations == 0)
    // With the permission, or --assume-policies, SNS invokes it.
    let permitted = importText(
      text
        + "\n  P:\n    Type: AWS::Lambda::Permission\n    Properties: { Action: lambda:InvokeFunction, FunctionName: !Ref F, Principal: sns.amazonaws.com, SourceArn: !Ref T }\n",
      behaviour: "timeline:\n  - at: 1s\n    publish: { topic: T, message: hi }\n")
    let ps = try #require(permitted.scenario, "\(permitted.diagnostics)").simulation()
    ps.runUntilDrained()
    #expect(ps.function(named: "F")!.counters.invocations == 1)
    let assumed = importText(
      text, behaviour: "timeline:\n  - at: 1s\n    publish: { topic: T, message: hi }\n",
      options: ImportOptions(assumePolicies: true))
    let asim = try #require(assumed.scenario).simulation()
    asim.runUntilDrained()
    #expect(asim.function(named: "F")!.counters.invocations == 1)
  }

  @Test func testMemorySizeAndArchitecturesAreImportedForTheBill() throws {
    let text = """
      Resources:
        F:
          Type: AWS::Lambda::Function
          Properties:
            Role: arn:aws:iam::123456789012:role/r
            Code: { ZipFile: "x" }
            Handler: app.handler
            Runtime: python3.12
            MemorySize: 512
            Architectures: [arm64]
      """
    let f = try #require(importText(text).scenario).topology.functions[0]
    #expect(f.memorySize == 512 && f.architecture == .arm64)
    let tf = """
      {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_lambda_function.f", "mode": "managed", "type": "aws_lambda_function", "name": "f",
         "values": {"function_name": "f", "runtime": "python3.12", "memory_size": 1024, "architectures": ["arm64"]}}
      ]}}}
      """
    let g = try #require(importText(tf, file: "state.json").scenario).topology.functions[0]
    #expect(g.memorySize == 1_024 && g.architecture == .arm64)
  }

  @Test func testEventInvokeConfigAndDeadLetterConfigResourcesAreImported() throws {
    let text = """
      Resources:
        T:
          Type: AWS::SNS::Topic
        Q:
          Type: AWS::SQS::Queue
        F:
          Type: AWS::Lambda::Function
          Properties:
            Role: arn:aws:iam::123456789012:role/r
            Code: { ZipFile: "x" }
            Handler: app.handler
            Runtime: python3.12
            DeadLetterConfig: { TargetArn: !Ref T }
        C:
          Type: AWS::Lambda::EventInvokeConfig
          Properties:
            FunctionName: !Ref F
            Qualifier: $LATEST
            MaximumRetryAttempts: 0
            MaximumEventAgeInSeconds: 120
            DestinationConfig: { OnSuccess: { Destination: !GetAtt Q.Arn } }
      """
    let r = importText(text)
    let f = try #require(r.scenario, "\(r.diagnostics)").topology.functions[0]
    #expect(f.deadLetter == .topic("T"))
    #expect(f.eventInvokeConfig.maximumRetryAttempts == 0 && f.eventInvokeConfig.maximumEventAge == .seconds(120))
    #expect(f.eventInvokeConfig.onSuccess == .queue("Q"))
    let bad = importText(text.replacingOccurrences(of: "!GetAtt Q.Arn", with: "arn:aws:events:us-east-1:1:event-bus/b"))
    #expect(errors(bad).contains { $0.message.contains("fanout models SQS queue and SNS topic targets only") })
  }

  @Test func testTerraformLambdaSubscriptionPermissionAndInvokeConfig() throws {
    let text = """
      {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_sns_topic.t", "mode": "managed", "type": "aws_sns_topic", "name": "t", "values": {"name": "t"}},
        {"address": "aws_sqs_queue.d", "mode": "managed", "type": "aws_sqs_queue", "name": "d", "values": {"name": "d"}},
        {"address": "aws_lambda_function.f", "mode": "managed", "type": "aws_lambda_function", "name": "f",
         "values": {"function_name": "f", "runtime": "python3.12", "dead_letter_config": [{"target_arn": "arn:aws:sqs:us-east-1:123456789012:d"}]}},
        {"address": "aws_sns_topic_subscription.s", "mode": "managed", "type": "aws_sns_topic_subscription", "name": "s",
         "values": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:t", "protocol": "lambda", "endpoint": "arn:aws:lambda:us-east-1:123456789012:function:f",
                    "redrive_policy": "{\\"deadLetterTargetArn\\":\\"arn:aws:sqs:us-east-1:123456789012:d\\"}"}},
        {"address": "aws_lambda_permission.p", "mode": "managed", "type": "aws_lambda_permission", "name": "p",
         "values": {"function_name": "f", "principal": "sns.amazonaws.com", "action": "lambda:InvokeFunction", "source_arn": "arn:aws:sns:us-east-1:123456789012:t"}},
        {"address": "aws_lambda_function_event_invoke_config.c", "mode": "managed", "type": "aws_lambda_function_event_invoke_config", "name": "c",
         "values": {"function_name": "f", "maximum_retry_attempts": 1, "destination_config": [{"on_failure": [{"destination": "arn:aws:sqs:us-east-1:123456789012:d"}]}]}}
      ]}}}
      """
    let r = importText(text, file: "state.json")
    let t = try #require(r.scenario, "\(r.diagnostics)").topology
    #expect(t.topics[0].subscriptions.map(\.endpoint) == [.function("f")])
    #expect(t.topics[0].subscriptions[0].deadLetterQueue == "d")
    let f = t.functions[0]
    #expect(f.snsInvokePermissions == ["arn:aws:sns:us-east-1:123456789012:t"])
    #expect(f.deadLetter == .queue("d"))
    #expect(f.eventInvokeConfig.maximumRetryAttempts == 1 && f.eventInvokeConfig.onFailure == .queue("d"))
  }

  // MARK: SAM, expanded as SAM expands it

  @Test func testSAMSqsSubscriptionExpandsIntoQueuePolicySubscriptionAndMappingWithSAMsNames() throws {
    let r = TemplateImport.load(path: templatePath("sam-shorthand.yaml"))
    let t = try #require(r.scenario, "\(r.diagnostics)").topology
    #expect(t.queues.map(\.name) == ["BillingNewOrdersQueue", "ShippingAllOrdersQueue", "returns"])
    let billing = try #require(t.mappings.first { $0.queue == "BillingNewOrdersQueue" })
    #expect(billing.function == "Billing" && billing.batchSize == 10 && billing.enabled)
    #expect(t.queues.first { $0.name == "ShippingAllOrdersQueue" }?.policy?.statements.count == 1)
    #expect(summary(t).filter { $0.hasPrefix("subscription orders") }.allSatisfy { $0.hasSuffix("allowed") })
    let shipping = try #require(t.functions.first { $0.name == "shipping" })
    #expect(shipping.timeout == .seconds(10) && shipping.reservedConcurrency == 20, "local values win over Globals")
    #expect(t.functions.first { $0.name == "Billing" }?.timeout == .seconds(5), "Globals.Function.Timeout")
    let returns = try #require(t.mappings.first { $0.queue == "returns" })
    #expect(returns.batchSize == 5 && returns.reportBatchItemFailures && returns.maximumConcurrency == 5)
    #expect(
      r.report.contains(
        "Resources.BillingNewOrdersQueuePolicy (AWS::SQS::QueuePolicy, made by SAM from Resources.Billing.Properties.Events.NewOrders)"
      ))
  }

  @Test func testSAMSqsSubscriptionObjectUsesQueuePolicyLogicalIdBatchSizeAndIgnoresEnabledAsSAMDoes() throws {
    let r = TemplateImport.load(path: templatePath("sam-existing-queue.yaml"))
    #expect(r.report.contains("Resources.LedgerPolicy (AWS::SQS::QueuePolicy, made by SAM"))
    let t = try #require(r.scenario).topology
    let m = try #require(t.mappings.first)
    #expect(m.queue == "Ledger" && m.batchSize == 4 && m.enabled)
  }

  // MARK: Queue policies

  @Test func testMissingQueuePolicyWarnsAndTheRunDropsTheDeliveriesAsAWSDoes() throws {
    let r = TemplateImport.load(
      path: templatePath("cfn-missing-policy.yaml"), behaviour: templatePath("cfn-missing-policy.behaviour.yaml"))
    let warning = try #require(r.diagnostics.first { $0.message.contains("SNS → SQS alerts → pager") })
    #expect(warning.severity == .warning)
    #expect(
      warning.message.contains("the template gives pager no queue policy: AWS drops every delivery (AccessDenied)"))
    #expect(warning.line == 19, "at the subscription resource")
    #expect(r.scenarioText.contains("Policy: none"))
    let sim = try #require(r.scenario).simulation()
    sim.runUntilDrained()
    #expect(sim.topic(named: "alerts")!.counters.failed == 2)
    #expect(sim.queue(named: "pager")!.counters.sent == 0)
  }

  @Test func testAssumePoliciesLetsSNSDeliverWhereThePolicyWouldNot() throws {
    let r = TemplateImport.load(
      path: templatePath("cfn-missing-policy.yaml"), options: ImportOptions(assumePolicies: true),
      behaviour: templatePath("cfn-missing-policy.behaviour.yaml"))
    #expect(r.diagnostics.contains { $0.message.contains("--assume-policies lets the deliveries through") })
    #expect(!r.scenarioText.contains("Policy: none"))
    let sim = try #require(r.scenario).simulation()
    sim.runUntilDrained()
    #expect(sim.topic(named: "alerts")!.counters.failed == 0)
    #expect(sim.queue(named: "pager")!.counters.deleted == 2)
  }

  @Test func testSharedQueuePolicyCoversItsThreeQueuesAndNotAFourth() throws {
    let r = TemplateImport.load(path: templatePath("cfn-shared-policy.json"))
    let t = try #require(r.scenario, "\(r.diagnostics)").topology
    let s = summary(t).filter { $0.hasPrefix("subscription telemetry") }
    #expect(s.count == 4)
    #expect(s.filter { $0.hasSuffix("allowed") }.count == 3)
    #expect(s.contains { $0.contains("queue(\"audit\")") && $0.hasSuffix("denied") })
    let w = try #require(r.diagnostics.first { $0.message.contains("telemetry → audit") })
    #expect(w.path == "Resources.AuditSubscription", "JSON: the path locates it")
  }

  // MARK: Terraform

  @Test func testTerraformPlanResolvesPlainReferencesAndSaysWhatAPlanCannotKnow() throws {
    let r = TemplateImport.load(path: templatePath("terraform-plan.json"))
    let t = try #require(r.scenario, "\(r.diagnostics)").topology
    #expect(r.kind == "Terraform plan")
    #expect(t.region == "us-west-2")
    #expect(t.topics[0].subscriptions.map(\.endpoint) == [.queue("welcome"), .queue("crm")])
    #expect(t.mappings.map { "\($0.queue)→\($0.function)" } == ["welcome→welcome-mailer", "crm→crm-sync"])
    #expect(t.queues.first { $0.name == "crm" }?.redrive?.maxReceiveCount == 4)
    #expect(t.queues.first { $0.name == "welcome" }?.redrive == nil)
    #expect(
      r.diagnostics.contains { $0.message.contains("aws_sqs_queue.welcome.redrive_policy is known only after apply") })
    #expect(r.diagnostics.contains { $0.message.contains("deliveries to welcome are not checked") })
    #expect(t.queues.first { $0.name == "welcome" }?.policy == nil)
  }

  // MARK: Errors a user can act on

  @Test(
    arguments: [
      // A dangling !Ref names the missing resource, with a did-you-mean.
      (
        "Resources:\n  Orders: { Type: AWS::SNS::Topic }\n  Sub:\n    Type: AWS::SNS::Subscription\n    Properties: { TopicArn: !Ref Order, Protocol: email, Endpoint: a@b.c }\n",
        "t.yaml:5:",
        "!Ref 'Order': no resource, parameter or pseudo parameter of the template has that name (did you mean 'Orders'?)"
      ),
      (
        "Resources:\n  Work: { Type: AWS::SQS::Queue }\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Subscription:\n        - { Protocol: sqs, Endpoint: !GetAtt Wrok.Arn }\n",
        "t.yaml:7:", "!GetAtt 'Wrok.Arn': the template has no resource 'Wrok' (did you mean 'Work'?)"
      ),
      (
        "Resources:\n  Work: { Type: AWS::SQS::Queue }\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Subscription:\n        - { Protocol: sqs, Endpoint: !GetAtt Work.Arm }\n",
        "t.yaml:7:", "Work is a AWS::SQS::Queue, which has no attribute 'Arm' (did you mean 'Arn'?)"
      ),
      (
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimout: 30\n",
        "t.yaml:5:7", "Encountered unsupported property VisibilityTimout (did you mean VisibilityTimeout?)"
      ),
      (
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: 50000\n",
        "t.yaml:5:26", "Invalid value for the parameter VisibilityTimeout. Reason: must be between 0 and 43200 seconds."
      ),
      (
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: { QueueName: !Sbu x }\n", "t.yaml:4:",
        "unknown tag !Sbu (did you mean !Sub?)"
      ),
      ("Resources:\n  Q: [\n", "t.yaml:3:", "not valid YAML"),
      (
        "Parameters:\n  Env: { Type: String }\nResources:\n  Q: { Type: AWS::SQS::Queue, Properties: { QueueName: !Ref Env } }\n",
        "t.yaml:2:", "parameter Env has no Default: give --parameter Env=VALUE"
      ),
      (
        "Parameters:\n  Env: { Type: String, Default: dev, AllowedValues: [staging, production] }\nResources:\n  Q: { Type: AWS::SQS::Queue }\n",
        "t.yaml:2:", "Parameter 'Env' must be one of AllowedValues (staging, production), found 'dev'"
      ),
      (
        "Resources:\n  T: { Type: AWS::SNS::Topic }\n  S:\n    Type: AWS::SNS::Subscription\n    Properties: { TopicArn: !Ref T, Protocol: sqs, Endpoint: arn:aws:sqs:us-east-1:123456789012:elsewhere }\n",
        "t.yaml:5:", "Endpoint arn:aws:sqs:us-east-1:123456789012:elsewhere is not the ARN of a queue of this template"
      ),
      (
        "Resources:\n  T: { Type: AWS::SNS::Topic }\n  S:\n    Type: AWS::SNS::Subscription\n    Properties: { TopicArn: !Ref T, Protocol: carrier-pigeon, Endpoint: x }\n",
        "t.yaml:5:", "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"
      ),
      (
        "Resources:\n  Q: { Type: AWS::SQS::Queue, Properties: { QueueName: { \"Fn::Jion\": [\"-\", [a, b]] } } }\n",
        "t.yaml:2:", "unknown intrinsic function Fn::Jion (did you mean Fn::Join?)"
      ),
      (
        "Resources:\n  Q: { Type: AWS::SQS::Queue, Condition: IsProd }\nConditions:\n  IsProdd: !Equals [a, a]\n",
        "t.yaml:2:", "the template's Conditions have no condition 'IsProd' (did you mean 'IsProdd'?)"
      ),
      (
        "Resources:\n  Q: { Type: AWS::SQS::Queue, DependsOn: Topc }\n  Topic: { Type: AWS::SNS::Topic }\n",
        "t.yaml:2:", "DependsOn names 'Topc', which is not a resource of this template (did you mean 'Topic'?)"
      ),
      (
        "Resourses:\n  Q: { Type: AWS::SQS::Queue }\n", "t.yaml:1:1",
        "unknown template section 'Resourses' (did you mean 'Resources'?)"
      ),
      (
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: { deadLetterTargetArn: arn:aws:sqs:us-east-1:123456789012:nowhere, maxReceiveCount: 5 }\n",
        "t.yaml:5:", "deadLetterTargetArn arn:aws:sqs:us-east-1:123456789012:nowhere is not a queue of this template"
      ),
      (
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  P:\n    Type: AWS::SQS::QueuePolicy\n    Properties:\n      Queues: [!Ref Q]\n      PolicyDocument: { Statement: [{ Effect: Allow, Action: 'sqs:*' }] }\n",
        "t.yaml:8:",
        "Invalid value for the parameter Policy. Reason: Statement[0] needs exactly one of Principal and NotPrincipal."
      ),
      (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: a.b\n      InlineCode: x\n      Events:\n        Q: { Type: SQS, Properties: { Queue: !GetAtt Work.Arn } }\n  FnQ: { Type: AWS::SQS::Queue }\n  Work: { Type: AWS::SQS::Queue }\n",
        "t.yaml:10:",
        "Transforming resource with id [Fn] attempts to create a new resource with id [FnQ] and type \"AWS::Lambda::EventSourceMapping\". A resource with that id already exists within this template."
      ),
      (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: a.b\n      InlineCode: x\n      Timout: 3\n",
        "t.yaml:9:",
        "property Timout is not defined for resource of type AWS::Serverless::Function (did you mean Timeout?)"
      ),
    ])
  func testImportErrorIsLocatedAndSaysWhatWasExpected(text: String, at: String, message: String) throws {
    let r = importText(text)
    #expect(r.scenario == nil, "rejected")
    let hit = try #require(
      errors(r).first { $0.message.contains(message) },
      "no error containing \(message); got:\n\(r.diagnostics.map(\.description).joined(separator: "\n"))")
    #expect(hit.description.hasPrefix(at), "\(hit)")
  }

  @Test func testJSONTemplateErrorsGiveTheJSONPath() throws {
    let text = """
      {
        "Resources": {
          "Topic": { "Type": "AWS::SNS::Topic" },
          "Sub": {
            "Type": "AWS::SNS::Subscription",
            "Properties": { "TopicArn": { "Ref": "Topik" }, "Protocol": "email", "Endpoint": "a@b.c" }
          }
        }
      }
      """
    let r = importText(text, file: "t.json")
    let e = try #require(errors(r).first)
    #expect(e.path == "Resources.Sub.Properties.TopicArn.Ref")
    #expect(e.line == 6)
    #expect(e.message.contains("did you mean 'Topic'?"))
    let broken = importText(
      "{\n  \"Resources\": {\n    \"Q\": { \"Type\": \"AWS::SQS::Queue\" },\n  }\n}\n", file: "t.json")
    let b = try #require(errors(broken).first)
    #expect(
      b.description.hasPrefix("t.json:4:3: error: Resources: not valid JSON: expected a key in double quotes"), "\(b)")
  }

  @Test func testUnknownParameterOnTheCommandLineIsAnError() throws {
    let r = TemplateImport.load(
      path: templatePath("cfn-parameters-conditions.yaml"),
      options: ImportOptions(parameters: [("Enviroment", "production")]))
    #expect(
      errors(r).contains {
        $0.message.contains(
          "--parameter Enviroment: the template has no parameter 'Enviroment' (did you mean 'Environment'?)")
      })
  }

  @Test func testOverlayErrorsAreLocatedInTheOverlay() throws {
    let template =
      "Resources:\n  Worker:\n    Type: AWS::Lambda::Function\n    Properties: { FunctionName: worker, Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::123456789012:role/r, Code: { ZipFile: x } }\n"
    let unknown = importText(template, behaviour: "functions:\n  wroker:\n    handler: { type: compute }\n")
    let e = try #require(errors(unknown).first)
    #expect(e.file == "b.yaml" && e.line == 2)
    #expect(e.message.contains("the imported pipeline has no function 'wroker' (did you mean 'worker'?)"))
    let badHandler = importText(template, behaviour: "functions:\n  worker:\n    handler:\n      type: froward\n")
    let h = try #require(errors(badHandler).first)
    #expect(h.file == "b.yaml" && h.line == 4, "\(h)")
    #expect(h.message.contains("unknown handler type 'froward' (did you mean 'forward'?)"))
    let entry = importText(template, entry: "wrker")
    #expect(
      errors(entry).contains {
        $0.message.contains("--entry wrker: the imported pipeline has no function 'wrker' (did you mean 'worker'?)")
      })
    let key = importText(template, behaviour: "fuctions: {}\n")
    #expect(
      errors(key).contains {
        $0.file == "b.yaml" && $0.message.contains("unknown key 'fuctions' (did you mean 'functions'?)")
      })
  }

  @Test func testOverlayAcceptsWhateverTheScenarioParserAcceptsAndWinsOverTheTemplate() throws {
    let template =
      "Resources:\n  Worker:\n    Type: AWS::Lambda::Function\n    Properties: { FunctionName: worker, Runtime: python3.12, Timeout: 3, Handler: a.b, Role: arn:aws:iam::123456789012:role/r, Code: { ZipFile: x } }\n  Q: { Type: AWS::SQS::Queue, Properties: { QueueName: q } }\n"
    let overlay = """
      entry: worker
      seed: 42
      functions:
        worker:
          handler: { type: steps, forEach: invocation, steps: [ { send: { queue: q, body: "hello" } } ] }
          Timeout: 7
          duration: { median: 5ms, sigma: 0.1 }
          failure: { errorRate: 0.5, poison: ["00"] }
      queues:
        q: { duplicateRate: 0.25 }
      load:
        - constant: { rate: 10, count: 3 }
      """
    let r = importText(template, behaviour: overlay)
    let s = try #require(r.scenario, "\(r.diagnostics)")
    #expect(s.seed == 42)
    #expect(s.topology.entryFunction == "worker")
    let f = s.topology.functions[0]
    // A forward handler on the entry function would be refused (it only passes records on):
    // the overlay gives it a per-invocation steps program that sends.
    guard case .steps = f.handler else {
      Issue.record("handler \(f.handler)")
      return
    }
    #expect(f.timeout == .seconds(7))
    #expect(f.failure.errorRate == 0.5 && f.failure.poison == ["00"])
    #expect(s.topology.queues[0].duplicateRate == 0.25)
    #expect(s.loads.count == 1)
  }

  @Test func testTerraformErrorsAreLocated() throws {
    let text = """
      {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_sns_topic.t", "mode": "managed", "type": "aws_sns_topic", "name": "t", "values": {"name": "t", "arn": "arn:aws:sns:us-east-1:123456789012:t"}},
        {"address": "aws_sns_topic_subscription.s", "mode": "managed", "type": "aws_sns_topic_subscription", "name": "s",
         "values": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:t", "protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:123456789012:gone"}}
      ]}}}
      """
    let r = importText(text, file: "state.json")
    let e = try #require(errors(r).first)
    #expect(e.message.contains("endpoint arn:aws:sqs:us-east-1:123456789012:gone is not a queue of this configuration"))
    #expect(e.path == "values.root_module.resources[1].values.endpoint" && e.line == 4, "\(e)")
  }

  // MARK: No trap on any input

  @Test func testCorruptedTemplatesGiveDiagnosticsNeverATrap() throws {
    var rng = SimRandom(seed: 12, stream: "test/import-fuzz")
    var rejected = 0
    var accepted = 0
    let files = try corpus().map { templatePath($0) } + [repoFile("examples/seed-pipeline.sam.yaml")]
    for file in files {
      let original = Array(try String(contentsOfFile: file, encoding: .utf8).utf8)
      for _ in 0..<60 {
        var bytes = original
        for _ in 0..<(1 + Int(rng.next() % 4)) {
          let i = Int(rng.next() % UInt64(bytes.count))
          switch rng.next() % 4 {
          case 0: bytes.remove(at: i)
          case 1: bytes.insert(Array(":-[]{}&*!|>'\"#,?$ \n\t0aZ".utf8)[Int(rng.next() % 22)], at: i)
          case 2: bytes[i] = UInt8(rng.next() % 128)
          default: bytes = Array(bytes.prefix(i))
          }
          if bytes.isEmpty { bytes = [0x20] }
        }
        let r = importText(String(decoding: bytes, as: UTF8.self), file: URL(fileURLWithPath: file).lastPathComponent)
        if r.scenario == nil {
          rejected += 1
          #expect(r.hasErrors, "a rejected template has an error")
        } else {
          accepted += 1
          #expect(!r.hasErrors, "an accepted template has no error: \(r.diagnostics)")
        }
      }
    }
    #expect(rejected > 100, "rejected \(rejected)")
    #expect(accepted > 25, "accepted \(accepted)")
  }

  @Test func testCorruptedOverlaysGiveDiagnosticsNeverATrap() throws {
    var rng = SimRandom(seed: 13, stream: "test/overlay-fuzz")
    let template = try String(contentsOfFile: repoFile("examples/seed-pipeline.sam.yaml"), encoding: .utf8)
    let original = Array(
      try String(contentsOfFile: repoFile("examples/seed-pipeline.behaviour.yaml"), encoding: .utf8).utf8)
    var rejected = 0
    var accepted = 0
    for _ in 0..<150 {
      var bytes = original
      for _ in 0..<(1 + Int(rng.next() % 3)) {
        let i = Int(rng.next() % UInt64(bytes.count))
        switch rng.next() % 3 {
        case 0: bytes.remove(at: i)
        case 1: bytes.insert(Array(":-[]{}&*!|>'\"#,? \n0aZ".utf8)[Int(rng.next() % 20)], at: i)
        default: bytes[i] = UInt8(rng.next() % 128)
        }
        if bytes.isEmpty { bytes = [0x20] }
      }
      let r = importText(template, file: "seed.sam.yaml", behaviour: String(decoding: bytes, as: UTF8.self))
      if r.scenario == nil {
        rejected += 1
        #expect(r.hasErrors)
      } else {
        accepted += 1
        #expect(!r.hasErrors, "\(r.diagnostics)")
      }
    }
    #expect(rejected > 20 && accepted > 10, "rejected \(rejected), accepted \(accepted)")
  }

  @Test func testPathologicalTemplatesAreRefusedWithAMessage() {
    let deep = String(repeating: "[", count: 5_000)
    #expect(importText(deep, file: "d.json").hasErrors)
    #expect(importText("a: " + String(repeating: "[", count: 5_000), file: "d.yaml").hasErrors)
    let cycle = "Resources:\n  Q: { Type: AWS::SQS::Queue, Properties: { QueueName: !GetAtt Q.QueueName } }\n"
    #expect(errors(importText(cycle)).contains { $0.message.contains("QueueName of Q depends on itself") })
    let conditions =
      "Conditions:\n  A: !Condition B\n  B: !Condition A\nResources:\n  Q: { Type: AWS::SQS::Queue, Condition: A }\n"
    #expect(errors(importText(conditions)).contains { $0.message.contains("depends on itself") })
    #expect(importText("", file: "e.yaml").hasErrors)
    #expect(importText("[]", file: "e.json").hasErrors)
    #expect(importText("Resources: 5\n").hasErrors)
  }
}
