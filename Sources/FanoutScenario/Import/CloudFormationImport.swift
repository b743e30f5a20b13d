import FanoutSim
import Foundation

// MARK: - CloudFormation (and SAM, once transformed): resources mapped to fanout's pipeline

/// How an import is asked for.
public struct ImportOptions: Sendable {
  /// `--parameter KEY=VALUE`, in order (a later one wins). `AWS::Region`, `AWS::AccountId` and
  /// `AWS::StackName` set the pseudo parameters.
  public var parameters: [(key: String, value: String)] = []
  /// `--code NAME[=DIR]`: the function (or `all`: every function whose template names a local
  /// folder) runs its own code as a process, from DIR or the template's `CodeUri`/`Code` folder.
  /// DIR is absolute (the command line's are made so).
  public var code: [(function: String, directory: String?)] = []
  /// `--assume-policies`: SNS may deliver to every queue, whatever its policy says.
  public var assumePolicies = false
  public init(
    parameters: [(key: String, value: String)] = [], assumePolicies: Bool = false,
    code: [(function: String, directory: String?)] = []
  ) {
    self.parameters = parameters
    self.assumePolicies = assumePolicies
    self.code = code
  }
}

/// Why fanout leaves a property out, by resource type and property.
enum NotModelled {
  static let tags = "tags do not change what a resource does"
  static let fifoQueue = "FIFO queues are not modelled"
  static let fifoTopic = "FIFO topics are not modelled"
  static let encryption =
    "encryption at rest is not modelled (with a customer managed KMS key, SNS also needs kms:GenerateDataKey and kms:Decrypt in the key's policy, which fanout does not check)"
  static let code = "the code is not run: the behaviour overlay (--behaviour) says what it does"
  static let nothing = "does not change what fanout models"
  static let notSQS = "not used by an SQS event source"

  static let queue: [String: String] = [
    "ContentBasedDeduplication": fifoQueue, "DeduplicationScope": fifoQueue, "FifoThroughputLimit": fifoQueue,
    "FifoQueue": fifoQueue + ": the queue runs as a standard queue",
    "KmsMasterKeyId": encryption, "KmsDataKeyReusePeriodSeconds": encryption, "SqsManagedSseEnabled": encryption,
    "RedriveAllowPolicy": "which source queues may use this queue as their dead-letter queue is not checked",
    "Tags": tags,
  ]
  static let topic: [String: String] = [
    "DisplayName": "the display name only appears in SMS and e-mail deliveries, which fanout records without it",
    "FifoTopic": fifoTopic + ": the topic runs as a standard topic", "ContentBasedDeduplication": fifoTopic,
    "FifoThroughputScope": fifoTopic, "ArchivePolicy": fifoTopic + " (nor their message archive)",
    "KmsMasterKeyId": encryption,
    "DataProtectionPolicy": "message data protection (audit, de-identify, deny) is not modelled",
    "DeliveryStatusLogging": "delivery status logs are not written (fanout's event log has every delivery)",
    "TracingConfig": "X-Ray tracing is not modelled", "Tags": tags,
    "SignatureVersion": "envelopes carry SignatureVersion 1 and a simulated signature",
  ]
  static let subscription: [String: String] = [
    "DeliveryPolicy": "HTTP/S delivery retry policies are not modelled",
    "ReplayPolicy": "message replay from a FIFO topic's archive is not modelled",
    "SubscriptionRoleArn": "Amazon Data Firehose subscriptions are not modelled",
  ]
  static let function: [String: String] = [
    "Environment": "what the code does comes from the behaviour overlay, not from its variables",
    "Handler": code, "Code": code, "ImageConfig": code, "Layers": code, "PackageType": code,
    "Role": "IAM is not modelled: the function may make every call its behaviour makes",
    "VpcConfig": "VPC networking adds nothing in fanout",
    "EphemeralStorage": nothing, "FileSystemConfigs": nothing, "KmsKeyArn": encryption,
    "CodeSigningConfigArn": nothing, "LoggingConfig": "logs are fanout's event log",
    "TracingConfig": "X-Ray tracing is not modelled",
    "SnapStart": "SnapStart's shorter cold starts are not modelled", "SnapStartResponse": nothing,
    "RuntimeManagementConfig": nothing, "TenancyConfig": nothing, "DurableConfig": "durable functions are not modelled",
    "CapacityProviderConfig": "Lambda Managed Instances are not modelled",
    "FunctionScalingConfig": "Lambda Managed Instances are not modelled", "PublishToLatestPublished": nothing,
    "Description": nothing, "Tags": tags,
  ]
  static let mapping: [String: String] = [
    "FilterCriteria": "event filtering is not modelled: every message reaches the function",
    "MetricsConfig": "event source mapping metrics are fanout's report", "LoggingConfig": "logs are fanout's event log",
    "KmsKeyArn": encryption, "Tags": tags,
    "StartingPosition": notSQS, "StartingPositionTimestamp": notSQS, "BisectBatchOnFunctionError": notSQS,
    "MaximumRecordAgeInSeconds": notSQS, "MaximumRetryAttempts": notSQS, "ParallelizationFactor": notSQS,
    "TumblingWindowInSeconds": notSQS, "DestinationConfig": notSQS, "Topics": notSQS, "Queues": notSQS,
    "SelfManagedEventSource": notSQS, "SourceAccessConfigurations": notSQS,
    "AmazonManagedKafkaEventSourceConfig": notSQS, "SelfManagedKafkaEventSourceConfig": notSQS,
    "DocumentDBEventSourceConfig": notSQS,
  ]
  static let bucketProperties = [
    "AbacStatus", "AccelerateConfiguration", "AccessControl", "AnalyticsConfigurations", "BucketEncryption",
    "BucketNamePrefix", "BucketNamespace", "CorsConfiguration", "IntelligentTieringConfigurations",
    "InventoryConfigurations", "LifecycleConfiguration", "LoggingConfiguration", "MetadataConfiguration",
    "MetadataTableConfiguration", "MetricsConfigurations", "NotificationConfiguration", "ObjectLockConfiguration",
    "ObjectLockEnabled", "OwnershipControls", "PublicAccessBlockConfiguration", "ReplicationConfiguration", "Tags",
    "VersioningConfiguration", "WebsiteConfiguration",
  ]
  static let bucket: [String: String] = {
    var d: [String: String] = [:]
    for p in bucketProperties { d[p] = nothing }
    d["NotificationConfiguration"] = "S3 event notifications are not modelled: no event leaves the bucket"
    d["VersioningConfiguration"] = "versioning is not modelled: a PUT replaces the object"
    d["LifecycleConfiguration"] = "lifecycle rules are not modelled: objects stay"
    d["Tags"] = tags
    return d
  }()

  /// Types fanout reads only to resolve references, and why they change nothing.
  static let ignoredTypes: [String: String] = [
    "AWS::Lambda::Version": "a version runs its function's code",
    "AWS::Lambda::Alias": "invocations through an alias run the function",
    "AWS::SNS::TopicPolicy": "who may publish to a topic is not checked",
    "AWS::SNS::TopicInlinePolicy": "who may publish to a topic is not checked",
    "AWS::Logs::LogGroup": "logs are fanout's event log",
    "AWS::Serverless::Connector":
      "SAM connectors are not expanded: if one grants SNS sqs:SendMessage on a queue, run with --assume-policies",
  ]
}

/// The CloudFormation template's top-level sections.
let templateSections = [
  "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions",
  "Transform", "Resources", "Outputs", "Globals",
]

/// The SAM transform's name.
let samTransform = "AWS::Serverless-2016-10-31"

final class CloudFormationImporter {
  let t: CFNTemplate
  let log: ImportLog
  let file: String
  let options: ImportOptions
  var p: ImportedPipeline
  /// Queue name by ARN and by URL, topic name by ARN, function name, for endpoints.
  var queueByArn: [String: String] = [:]
  var queueByURL: [String: String] = [:]
  var topicByArn: [String: String] = [:]
  var functionNames: Set<String> = []
  var functionByArn: [String: String] = [:]
  /// AWS::Lambda::EventInvokeConfig entries waiting for their function: (function, entry).
  var invokeConfigs: [(String, Entry)] = []
  /// Subscriptions waiting for their topic: (topic, subscription), in template order.
  var standalone: [(String, ImportedSubscription)] = []
  /// The SAM resources (and Globals) the transform replaced: their references are checked as
  /// written.
  var samOriginals: [TNode] = []

  init(file: String, log: ImportLog, options: ImportOptions) {
    self.file = file
    self.log = log
    self.options = options
    t = CFNTemplate(log: log)
    let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    p = ImportedPipeline(kind: "CloudFormation", source: file, name: name.isEmpty ? "imported" : name)
  }

  func origin(_ place: Place) -> Origin { Origin(file: file, place: place) }

  func run(_ root: TNode) -> ImportedPipeline? {
    guard let top = root.entries else {
      log.error(root.place, "a template is a mapping with Resources, found \(root.describe)")
      return nil
    }
    for (k, v) in top where !templateSections.contains(k) {
      var m = "unknown template section '\(k)'"
      if let s = suggestion(k, templateSections) { m += " (did you mean '\(s)'?)" }
      log.error(v.keyOrPlace, m + "; a template has " + templateSections.joined(separator: ", "))
    }
    var sam = false
    if let tr = root["Transform"] {
      let names = tr.string.map { [$0] } ?? tr.items?.compactMap(\.string) ?? []
      for n in names {
        if n == samTransform {
          sam = true
        } else {
          log.error(tr.place, "fanout expands only the SAM transform (\(samTransform)), not \(n)")
        }
      }
    }
    if root["Globals"] != nil, !sam {
      log.error(root["Globals"]?.place, "Globals is a SAM section: it needs Transform: \(samTransform)")
    }
    p.kind = sam ? "CloudFormation with the SAM transform" : "CloudFormation"
    readParameters(root["Parameters"])
    t.mappings = root["Mappings"]
    for c in root["Conditions"]?.entries ?? [] { t.conditionNodes[c.key] = c.value }
    guard let resources = root["Resources"]?.entries, !resources.isEmpty else {
      log.error(root["Resources"]?.place ?? root.place, "a template needs Resources, at least one")
      return nil
    }
    for (id, node) in resources {
      guard let entries = node.entries else {
        log.error(node.place, "resource \(id) must be a mapping with Type and Properties")
        continue
      }
      let keys = [
        "Type", "Properties", "Condition", "DependsOn", "Metadata", "DeletionPolicy", "UpdateReplacePolicy",
        "UpdatePolicy", "CreationPolicy", "Version", "Connectors",
      ]
      for (k, v) in entries where !keys.contains(k) {
        var m = "resource \(id) has an unknown attribute '\(k)'"
        if let s = suggestion(k, keys) { m += " (did you mean '\(s)'?)" }
        log.error(v.keyOrPlace, m)
      }
      guard let type = node["Type"]?.string else {
        log.error(node.place, "resource \(id) needs a Type")
        continue
      }
      let props = node["Properties"]
      if let props, props.entries == nil {
        log.error(props.place, "Properties of \(id) must be a mapping")
        continue
      }
      t.index[id] = t.resources.count
      t.resources.append(
        CFNResource(id: id, type: type, node: node, properties: props, condition: node["Condition"]?.string))
    }
    if sam { SAMTransform(self).expand(globals: root["Globals"]) }
    // References first: a dangling one names the missing resource.
    for r in t.resources where r.madeBy == nil {
      t.checkReferences(r.node)
      if let c = r.node["Condition"] {
        if let name = c.string { t.checkCondition(name, c.place) } else { log.error(c.place, "Condition takes a name") }
      }
      for d in dependsOn(r.node) {
        if t.resource(d.0) == nil {
          var m = "DependsOn names '\(d.0)', which is not a resource of this template"
          if let s = suggestion(d.0, t.resources.map(\.id)) { m += " (did you mean '\(s)'?)" }
          log.error(d.1, m)
        }
      }
    }
    for n in samOriginals { t.checkReferences(n) }
    for c in root["Conditions"]?.entries ?? [] { t.checkReferences(c.value, inCondition: true) }
    if let outputs = root["Outputs"] { t.checkReferences(outputs) }
    guard !log.hasErrors else { return nil }
    p.region = t.region
    p.account = t.account
    for (section, why) in [
      ("Rules", "not evaluated: fanout does not check the template's rule assertions on its parameters"),
      ("Outputs", "not modelled: outputs are values for people and other stacks (their references are checked)"),
    ] {
      if let n = root[section] {
        p.reports.append(ResourceReport(origin: origin(n.keyOrPlace), subject: section, outcome: why))
      }
    }
    mapResources()
    guard !log.hasErrors else { return nil }
    finish()
    p.reports.sort { ($0.origin.place.line, $0.origin.place.column) < ($1.origin.place.line, $1.origin.place.column) }
    return log.hasErrors ? nil : p
  }

  func dependsOn(_ node: TNode) -> [(String, Place)] {
    guard let d = node["DependsOn"] else { return [] }
    if let s = d.string { return [(s, d.place)] }
    return (d.items ?? []).compactMap { i in i.string.map { ($0, i.place) } }
  }

  // MARK: Parameters

  func readParameters(_ section: TNode?) {
    var given: [String: String] = [:]
    for (k, v) in options.parameters {
      switch k {
      case "AWS::Region": t.region = v
      case "AWS::AccountId":
        if v.count == 12, v.allSatisfy(\.isNumber) {
          t.account = v
        } else {
          log.error(nil, "--parameter AWS::AccountId=\(v): an AWS account ID is 12 digits")
        }
      case "AWS::StackName": t.stackName = v
      default: given[k] = v
      }
    }
    let defined = section?.entries ?? []
    for (k, _) in options.parameters where !k.hasPrefix("AWS::") && !defined.contains(where: { $0.key == k }) {
      var m = "--parameter \(k): the template has no parameter '\(k)'"
      if let s = suggestion(k, defined.map(\.key)) { m += " (did you mean '\(s)'?)" }
      log.error(nil, m)
    }
    for (name, node) in defined {
      t.parameterNodes[name] = node
      guard let type = node["Type"]?.string else {
        log.error(node.place, "parameter \(name) needs a Type")
        continue
      }
      let text: String
      if let v = given[name] {
        text = v
      } else if let d = node["Default"] {
        guard let dv = t.eval(d), let s = dv.text ?? listText(dv) else {
          log.error(d.place, "the Default of \(name) must be a string, a number or a list")
          continue
        }
        text = s
      } else {
        log.error(node.place, "parameter \(name) has no Default: give --parameter \(name)=VALUE")
        continue
      }
      if let allowed = node["AllowedValues"]?.items?.compactMap({ t.eval($0)?.text }), !allowed.isEmpty,
        !allowed.contains(text)
      {
        log.error(
          node["AllowedValues"]?.place ?? node.place,
          "Parameter '\(name)' must be one of AllowedValues (\(allowed.joined(separator: ", "))), found '\(text)'")
      }
      if let pattern = node["AllowedPattern"]?.string,
        let re = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$"),
        re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
      {
        log.error(node["AllowedPattern"]?.place, "Parameter '\(name)' must match pattern \(pattern), found '\(text)'")
      }
      func bound(_ key: String, _ ok: (Double, Double) -> Bool, _ what: String, _ measure: (String) -> Double?) {
        guard let b = node[key], let limit = t.eval(b)?.text.flatMap(Double.init), let x = measure(text) else { return }
        if !ok(x, limit) { log.error(b.place, "Parameter '\(name)' must be \(what) \(formatJSONNumber(limit))") }
      }
      bound("MinValue", >=, "at least", Double.init)
      bound("MaxValue", <=, "at most", Double.init)
      bound("MinLength", >=, "at least this long:", { Double($0.count) })
      bound("MaxLength", <=, "at most this long:", { Double($0.count) })
      switch type {
      case "Number":
        guard Double(text) != nil else {
          log.error(node.place, "parameter \(name) is a Number; '\(text)' is not one")
          continue
        }
        t.parameters[name] = .number(text)
      case "CommaDelimitedList", "List<Number>":
        t.parameters[name] = .list(
          text.split(separator: ",", omittingEmptySubsequences: false).map {
            .string($0.trimmingCharacters(in: .whitespaces))
          })
      case _ where type.hasPrefix("List<"):
        t.parameters[name] = .list(text.split(separator: ",").map { .string(String($0)) })
      case _ where type.hasPrefix("AWS::SSM::Parameter::Value<"):
        if given[name] != nil {
          t.parameters[name] = .string(text)
        } else {
          t.parameters[name] = .unknown(
            "\(name) is read from the SSM parameter \(text) when the stack is deployed: give --parameter \(name)=VALUE")
        }
      default:
        t.parameters[name] = .string(text)
      }
    }
  }

  func listText(_ v: CValue) -> String? {
    guard case .list(let items) = v else { return nil }
    let texts = items.compactMap(\.text)
    return texts.count == items.count ? texts.joined(separator: ",") : nil
  }

  // MARK: Resources

  func subject(_ r: CFNResource) -> String {
    "Resources.\(r.id) (\(r.type)" + (r.madeBy.map { ", made by SAM from \($0)" } ?? "") + ")"
  }

  func mapResources() {
    // Names and ARNs first: endpoints and policies refer to them.
    for r in t.resources where included(r) {
      switch r.type {
      case "AWS::SQS::Queue":
        if let n = t.name(of: r.id) {
          queueByArn[t.queueArn(n)] = n
          queueByURL[t.queueURL(n)] = n
        }
      case "AWS::SNS::Topic": if let n = t.name(of: r.id) { topicByArn[t.topicArn(n)] = n }
      case "AWS::Lambda::Function":
        if let n = t.name(of: r.id) {
          functionNames.insert(n)
          functionByArn[t.functionArn(n)] = n
        }
      default: break
      }
    }
    guard !log.hasErrors else { return }
    for r in t.resources {
      guard included(r) else {
        var rep = ResourceReport(
          origin: origin(r.node.place), subject: subject(r),
          outcome: "not created: condition \(r.condition ?? "") is false")
        rep.notes = []
        p.reports.append(rep)
        continue
      }
      let m = PropertyReader(self, r)
      switch r.type {
      case "AWS::SQS::Queue": queue(m)
      case "AWS::SQS::QueuePolicy", "AWS::SQS::QueueInlinePolicy": queuePolicy(m)
      case "AWS::SNS::Topic": topic(m)
      case "AWS::SNS::Subscription": subscription(m)
      case "AWS::Lambda::Function": function(m)
      case "AWS::Lambda::EventSourceMapping": mapping(m)
      case "AWS::Lambda::EventInvokeConfig": eventInvokeConfig(m)
      case "AWS::Lambda::Permission": permission(m)
      case "AWS::S3::Bucket": bucket(m)
      default:
        let why: String
        if let w = NotModelled.ignoredTypes[r.type] {
          why = w
        } else if r.type.hasPrefix("AWS::IAM::") {
          why = "IAM is not modelled: functions may make the calls their behaviour makes"
        } else if r.type.hasPrefix("AWS::Serverless::") {
          why = "fanout models the SAM resources AWS::Serverless::Function (its SQS and SNS events) only"
        } else {
          why = "fanout does not model \(r.type)"
        }
        p.reports.append(ResourceReport(origin: origin(r.node.place), subject: subject(r), outcome: "ignored: " + why))
      }
    }
  }

  func included(_ r: CFNResource) -> Bool {
    guard let c = r.condition else { return true }
    return t.condition(c, at: r.node["Condition"]?.place ?? r.node.place) ?? false
  }

  func queue(_ m: PropertyReader) {
    guard let name = t.name(of: m.r.id) else { return }
    if p.queueIndex(name) != nil {
      log.error(m.r.node.place, "a second queue named '\(name)' (SQS queue names are unique in an account and region)")
      return
    }
    var c = Component(name: name, origin: origin(m.r.node.place))
    m.known(["QueueName"] + Array(NotModelled.queue.keys) + ["VisibilityTimeout", "DelaySeconds"])
    m.known(["MessageRetentionPeriod", "MaximumMessageSize", "ReceiveMessageWaitTimeSeconds", "RedrivePolicy"])
    m.mapped("QueueName")
    for key in [
      "VisibilityTimeout", "DelaySeconds", "MessageRetentionPeriod", "MaximumMessageSize",
      "ReceiveMessageWaitTimeSeconds",
    ] {
      if let e = m.number(key) { c.set(e) }
    }
    if let (v, node) = m.value("RedrivePolicy") {
      m.mapped("RedrivePolicy")
      if let e = redrive(v, node, m) { c.set(e) }
    }
    if let (v, node) = m.value("FifoQueue"), v.text?.lowercased() == "true" {
      log.warning(
        node.place,
        "Resources.\(m.r.id).Properties.FifoQueue: FIFO queues are not modelled: fanout runs \(name) as a standard queue (no ordering within message groups, no deduplication, no exactly-once processing)"
      )
    }
    m.unmodelled(NotModelled.queue)
    p.queues.append(ImportedQueue(component: c))
    m.report("queue '\(name)'")
  }

  /// A RedrivePolicy (an object or a JSON string) as the scenario's block.
  func redrive(_ v: CValue, _ node: TNode, _ m: PropertyReader) -> Entry? {
    guard let doc = v.jsonDocument, let members = doc.members else {
      log.error(
        node.place, "RedrivePolicy is an object (or a JSON string) with deadLetterTargetArn and maxReceiveCount")
      return nil
    }
    var below: [ScenarioLine] = []
    for x in members {
      let place = node[x.key]?.place ?? node.place
      var value = x.value
      if x.key == "deadLetterTargetArn" {
        guard let arn = x.value.text else {
          log.error(place, "deadLetterTargetArn is a queue's ARN, found \(t.describe(x.value))")
          return nil
        }
        guard let q = queueByArn[arn] else {
          var msg = "deadLetterTargetArn \(arn) is not a queue of this template"
          if let s = suggestion(arn, queueByArn.keys.sorted()) { msg += " (did you mean \(s)?)" }
          log.error(place, msg)
          return nil
        }
        value = .string(q)
      }
      below.append(
        ScenarioLine(text: "  " + yamlScalar(x.key) + ": " + yamlText(m.scalar(value)), origin: origin(place)))
    }
    return Entry("RedrivePolicy", nil, origin(node.place), below: below)
  }

  func queuePolicy(_ m: PropertyReader) {
    let inline = m.r.type == "AWS::SQS::QueueInlinePolicy"
    m.known(inline ? ["PolicyDocument", "Queue"] : ["PolicyDocument", "Queues"])
    guard let (doc, docNode) = m.require("PolicyDocument") else { return }
    m.mapped("PolicyDocument")
    let queuesKey = inline ? "Queue" : "Queues"
    guard let (qs, qsNode) = m.require(queuesKey) else { return }
    m.mapped(queuesKey)
    if let why = doc.unknownReason {
      log.warning(
        docNode.place, "PolicyDocument holds a value fanout cannot know (\(why)): the queues' policy is not checked")
      m.report("nothing: its policy cannot be read")
      return
    }
    guard let document = doc.jsonDocument, let json = document.json else {
      log.error(docNode.place, "PolicyDocument is a policy: an object (or a JSON string)")
      return
    }
    do { _ = try QueuePolicy(json: json) } catch {
      log.error(docNode.place, error.description)
      return
    }
    let urls: [(CValue, Place)]
    if inline {
      urls = [(qs, qsNode.place)]
    } else if case .list(let items) = qs {
      urls = items.enumerated().map { ($0.element, qsNode.items?[safe: $0.offset]?.place ?? qsNode.place) }
    } else {
      log.error(qsNode.place, "Queues is a list of queue URLs (!Ref Queue)")
      return
    }
    var names: [String] = []
    for (u, place) in urls {
      guard let url = u.text else {
        log.error(place, "a queue URL (!Ref Queue), found \(t.describe(u))")
        continue
      }
      guard let q = queueByURL[url] ?? queueByURL.first(where: { $0.key.hasSuffix("/" + url) })?.value,
        let qi = p.queueIndex(q)
      else {
        var msg = "\(url) is not the URL of a queue of this template"
        if url.hasPrefix("arn:") { msg += " (Queues takes URLs, as !Ref Queue gives, not ARNs)" }
        log.error(place, msg)
        continue
      }
      if !p.queues[qi].policySources.isEmpty {
        log.warning(
          docNode.place,
          "queue \(q) gets its Policy from \(p.queues[qi].policySources.joined(separator: ", ")) and from \(m.r.id): a queue has one Policy, and SQS keeps whichever CloudFormation applies last; fanout takes \(m.r.id)'s"
        )
      }
      p.queues[qi].policy = .document(json, origin(docNode.place))
      p.queues[qi].policySources = [m.r.id]
      names.append(q)
    }
    m.report("the Policy of " + (names.isEmpty ? "no queue" : names.map { "'\($0)'" }.joined(separator: ", ")))
  }

  func topic(_ m: PropertyReader) {
    guard let name = t.name(of: m.r.id) else { return }
    if p.topicIndex(name) != nil {
      log.error(m.r.node.place, "a second topic named '\(name)'")
      return
    }
    m.known(["TopicName", "Subscription"] + Array(NotModelled.topic.keys))
    m.mapped("TopicName")
    var topic = ImportedTopic(component: Component(name: name, origin: origin(m.r.node.place)))
    if let (v, node) = m.value("Subscription") {
      m.mapped("Subscription")
      if case .list(let items) = v {
        for (i, item) in items.enumerated() {
          let n = node.items?[safe: i] ?? node
          guard let members = item.members else {
            log.error(n.place, "a Subscription entry is {Endpoint, Protocol}")
            continue
          }
          for x in members where !["Endpoint", "Protocol"].contains(x.key) {
            log.error(
              n[x.key]?.place ?? n.place,
              "Encountered unsupported property \(x.key) (a Subscription entry has Endpoint and Protocol)")
          }
          if let s = endpoint(
            protocol: item["Protocol"], endpoint: item["Endpoint"], node: n, topic: name, owner: m.r.id,
            existing: topic.subscriptions)
          {
            topic.subscriptions.append(s)
          }
        }
      } else {
        log.error(node.place, "Subscription is a list of {Endpoint, Protocol}")
      }
    }
    if let (v, node) = m.value("FifoTopic"), v.text?.lowercased() == "true" {
      log.warning(
        node.place,
        "Resources.\(m.r.id).Properties.FifoTopic: FIFO topics are not modelled: fanout runs \(name) as a standard topic"
      )
    }
    m.unmodelled(NotModelled.topic)
    p.topics.append(topic)
    m.report("topic '\(name)'")
  }

  static let protocols = ["sqs", "lambda", "email", "email-json", "http", "https", "sms", "application", "firehose"]

  /// A subscription's endpoint: a queue of the template, or a recording sink.
  func endpoint(
    protocol proto: CValue?, endpoint: CValue?, node: TNode, topic: String, owner: String,
    existing: [ImportedSubscription]
  ) -> ImportedSubscription? {
    let pNode = node["Protocol"] ?? node
    let eNode = node["Endpoint"] ?? node
    guard let proto = proto?.text else {
      log.error(pNode.place, "a subscription needs a Protocol")
      return nil
    }
    guard CloudformationProtocol.valid(proto) else {
      log.error(pNode.place, "Invalid parameter: Amazon SNS does not support this protocol string: \(proto)")
      return nil
    }
    let c = Component(name: "", origin: origin(node.place))
    if proto == "sqs" {
      guard let arn = endpoint?.text else {
        log.error(eNode.place, "an sqs subscription's Endpoint is the queue's ARN (!GetAtt Queue.Arn)")
        return nil
      }
      guard let q = queueByArn[arn] else {
        var msg = "Endpoint \(arn) is not the ARN of a queue of this template"
        if let s = suggestion(arn, queueByArn.keys.sorted()) { msg += " (did you mean \(s)?)" }
        log.error(eNode.place, msg)
        return nil
      }
      return ImportedSubscription(endpointKey: "queue", endpoint: q, component: c)
    }
    if proto == "lambda" {
      guard let arn = endpoint?.text else {
        log.error(eNode.place, "a lambda subscription's Endpoint is the function's ARN (!GetAtt Function.Arn)")
        return nil
      }
      let f = functionName(arn)
      guard functionNames.contains(f) else {
        var msg = "Endpoint \(arn) is not the ARN of a function of this template"
        if let s = suggestion(f, functionNames.sorted()) { msg += " (did you mean \(s)?)" }
        log.error(eNode.place, msg)
        return nil
      }
      return ImportedSubscription(endpointKey: "function", endpoint: f, component: c)
    }
    // Every other protocol delivers outside the pipeline: a recording sink named after it.
    var sink = proto
    var k = 2
    while existing.contains(where: { $0.endpointKey == "sink" && $0.endpoint == sink }) {
      sink = "\(proto)-\(k)"
      k += 1
    }
    var s = ImportedSubscription(endpointKey: "sink", endpoint: sink, component: c)
    let address = endpoint?.text ?? endpoint?.unknownReason ?? "?"
    s.component.comments.append("\(proto) subscription to \(address): a recording sink")
    return s
  }

  func subscription(_ m: PropertyReader) {
    m.known(
      [
        "TopicArn", "Protocol", "Endpoint", "RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "Region",
        "RedrivePolicy",
      ] + Array(NotModelled.subscription.keys))
    guard let (topicArn, topicNode) = m.require("TopicArn"), m.require("Protocol") != nil else { return }
    guard let arn = topicArn.text, let topic = topicByArn[arn] else {
      var msg = "TopicArn \(topicArn.text ?? t.describe(topicArn)) is not a topic of this template"
      if let s = suggestion(topicArn.text ?? "", topicByArn.keys.sorted()) { msg += " (did you mean \(s)?)" }
      log.error(topicNode.place, msg)
      return
    }
    m.mapped("TopicArn")
    m.mapped("Protocol")
    m.mapped("Endpoint")
    let existing = p.topics.first { $0.component.name == topic }?.subscriptions ?? []
    guard
      var s = endpoint(
        protocol: m.value("Protocol")?.0, endpoint: m.value("Endpoint")?.0, node: m.props ?? m.r.node, topic: topic,
        owner: m.r.id, existing: existing + standalone.filter { $0.0 == topic }.map(\.1))
    else { return }
    s.component.origin = origin(m.r.node.place)
    if let e = m.bool("RawMessageDelivery") { s.component.set(e) }
    if let (v, node) = m.value("FilterPolicy") {
      m.mapped("FilterPolicy")
      guard let doc = v.jsonDocument, let json = doc.json else {
        log.error(node.place, "FilterPolicy is an object (or a JSON string)")
        return
      }
      s.component.set(Entry("FilterPolicy", .flow(json), origin(node.place)))
    }
    if let e = m.string("FilterPolicyScope") { s.component.set(e) }
    if let (v, node) = m.value("Region") {
      if v.text == t.region {
        m.mapped("Region")
      } else {
        m.notModelled.append(
          ("Region", "cross-region subscriptions are not modelled: the queue is taken to be in \(t.region)"))
        log.warning(
          node.place,
          "\(m.r.id): Region \(v.text ?? "?") differs from \(t.region): cross-region delivery is not modelled")
      }
    }
    if let (v, node) = m.value("RedrivePolicy") {
      m.mapped("RedrivePolicy")
      guard let doc = v.jsonDocument, let arn = doc["deadLetterTargetArn"]?.text else {
        log.error(node.place, "RedrivePolicy is an object (or a JSON string) with deadLetterTargetArn (a queue's ARN)")
        return
      }
      guard let q = queueByArn[arn] else {
        var msg = "RedrivePolicy.deadLetterTargetArn \(arn) is not a queue of this template"
        if let s = suggestion(arn, queueByArn.keys.sorted()) { msg += " (did you mean \(s)?)" }
        log.error(node["deadLetterTargetArn"]?.place ?? node.place, msg)
        return
      }
      s.component.set(
        Entry(
          "RedrivePolicy", nil, origin(node.place),
          below: [ScenarioLine(text: "  deadLetterTargetArn: " + yamlScalar(q), origin: origin(node.place))]))
      s.deadLetterQueue = q
    }
    m.unmodelled(NotModelled.subscription)
    standalone.append((topic, s))
    m.report("a subscription of '\(topic)' to \(s.endpointKey) '\(s.endpoint)'")
  }

  func function(_ m: PropertyReader) {
    guard let name = t.name(of: m.r.id) else { return }
    if p.functionIndex(name) != nil {
      log.error(m.r.node.place, "a second function named '\(name)'")
      return
    }
    m.known(
      ["FunctionName", "Timeout", "ReservedConcurrentExecutions", "Runtime", "RecursiveLoop", "DeadLetterConfig"]
        + ["MemorySize", "Architectures"]
        + Array(NotModelled.function.keys))
    m.mapped("FunctionName")
    var c = Component(name: name, origin: origin(m.r.node.place))
    if let e = m.string("Runtime") {
      c.set(e)
    } else {
      m.notes.append(
        "no Runtime (a container image): fanout gives it \(LambdaRuntimes.seedRuntime)'s cold start; set coldStart in the behaviour overlay"
      )
    }
    if let e = m.number("Timeout") { c.set(e) }
    if let e = m.number("ReservedConcurrentExecutions") { c.set(e) }
    if let e = m.string("RecursiveLoop") { c.set(e) }
    if let (v, node) = m.value("DeadLetterConfig"), let target = v["TargetArn"] {
      m.mapped("DeadLetterConfig")
      if let arn = asyncTarget(target, node["TargetArn"] ?? node, what: "DeadLetterConfig.TargetArn") {
        c.set(
          Entry(
            "DeadLetterConfig", nil, origin(node.place),
            below: [ScenarioLine(text: "  TargetArn: " + yamlScalar(arn), origin: origin(node.place))]))
      }
    }
    if let e = m.number("MemorySize") {
      c.set(e)
      m.notes.append(
        "MemorySize prices its GB-seconds; durations do not scale with it (give duration and coldStart in the overlay)")
    }
    if let (v, node) = m.value("Architectures") {
      m.mapped("Architectures")
      if case .list(let items) = v, items.count == 1, let a = items[0].text {
        c.set(Entry("Architectures", .flow("[" + yamlScalar(a) + "]"), origin(node.place)))
      } else {
        log.error(node.place, "Architectures is a list of one: [x86_64] or [arm64]")
      }
    }
    var code = FunctionCode(
      runtime: m.value("Runtime")?.0.text, handler: m.value("Handler")?.0.text, origin: origin(m.r.node.place))
    if let (v, _) = m.value("Code") {
      code.path = v.text ?? v["S3Key"]?.text
    }
    let vars = m.value("Environment")?.0["Variables"]?.members ?? []
    code.environment = vars.compactMap { member in member.value.text.map { (member.key, $0) } }
    p.code[name] = code
    if !vars.isEmpty {
      c.comments.append(
        "Environment: "
          + vars.map { "\($0.key)=\($0.value.text ?? $0.value.unknownReason.map { "<\($0)>" } ?? "…")" }.joined(
            separator: ", "))
    }
    m.unmodelled(NotModelled.function)
    p.functions.append(c)
    m.report("function '\(name)'")
  }

  /// A destination or dead-letter target: the ARN of a queue or topic of this template.
  func asyncTarget(_ v: CValue, _ node: TNode, what: String) -> String? {
    guard let arn = v.text else {
      log.error(node.place, "\(what) is an SQS queue's or SNS topic's ARN, found \(t.describe(v))")
      return nil
    }
    if queueByArn[arn] != nil || topicByArn[arn] != nil { return arn }
    let service = arn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(2).first ?? ""
    guard service == "sqs" || service == "sns" else {
      log.error(
        node.place,
        "\(what) \(arn): fanout models SQS queue and SNS topic targets only (a function, event bus or bucket is not modelled)"
      )
      return nil
    }
    var msg = "\(what) \(arn) is not a queue or topic of this template"
    if let s = suggestion(arn, (Array(queueByArn.keys) + Array(topicByArn.keys)).sorted()) {
      msg += " (did you mean \(s)?)"
    }
    log.error(node.place, msg)
    return nil
  }

  /// AWS::Lambda::EventInvokeConfig: the retries, event age and destinations of a function's
  /// asynchronous invocations.
  func eventInvokeConfig(_ m: PropertyReader) {
    m.known(["FunctionName", "Qualifier", "MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"])
    guard let (fn, fnNode) = m.require("FunctionName"), m.require("Qualifier") != nil else { return }
    let f = functionName(fn.text ?? "")
    guard functionNames.contains(f) else {
      var msg = "FunctionName \(fn.text ?? t.describe(fn)) is not a function of this template"
      if let s = suggestion(f, functionNames.sorted()) { msg += " (did you mean \(s)?)" }
      log.error(fnNode.place, msg)
      return
    }
    m.mapped("FunctionName")
    if let (q, _) = m.value("Qualifier") {
      m.mapped("Qualifier")
      if q.text != "$LATEST" {
        m.notes.append("Qualifier \(q.text ?? "?"): versions and aliases run the function: the config is applied to it")
      }
    }
    var below: [ScenarioLine] = []
    for key in ["MaximumRetryAttempts", "MaximumEventAgeInSeconds"] {
      if let e = m.number(key), let v = e.value {
        below.append(ScenarioLine(text: "  \(key): " + yamlText(v), origin: e.origin))
      }
    }
    if let (v, node) = m.value("DestinationConfig") {
      m.mapped("DestinationConfig")
      var dest: [ScenarioLine] = []
      for key in ["OnSuccess", "OnFailure"] {
        guard let target = v[key]?["Destination"] else { continue }
        let place = node[key]?.place ?? node.place
        if let arn = asyncTarget(
          target, node[key]?["Destination"] ?? node, what: "DestinationConfig.\(key).Destination")
        {
          dest.append(ScenarioLine(text: "    \(key): { Destination: \(yamlScalar(arn)) }", origin: origin(place)))
        }
      }
      if !dest.isEmpty { below.append(ScenarioLine(text: "  DestinationConfig:", origin: origin(node.place))) }
      below += dest
    }
    invokeConfigs.append((f, Entry("EventInvokeConfig", nil, origin(m.r.node.place), below: below)))
    m.report("the asynchronous invocation config of function '\(f)'")
  }

  /// AWS::Lambda::Permission: who may invoke a function. fanout checks the ones that let SNS
  /// (principal `sns.amazonaws.com`) invoke a subscribed function.
  func permission(_ m: PropertyReader) {
    m.known(
      ["Action", "FunctionName", "Principal", "SourceArn", "SourceAccount", "EventSourceToken"]
        + ["FunctionUrlAuthType", "PrincipalOrgID", "InvokedViaFunctionUrl"])
    guard let (fn, fnNode) = m.require("FunctionName"), let (principal, _) = m.require("Principal"),
      let (action, _) = m.require("Action")
    else { return }
    let f = functionName(fn.text ?? "")
    guard functionNames.contains(f) else {
      var msg = "FunctionName \(fn.text ?? t.describe(fn)) is not a function of this template"
      if let s = suggestion(f, functionNames.sorted()) { msg += " (did you mean \(s)?)" }
      log.error(fnNode.place, msg)
      return
    }
    guard principal.text == "sns.amazonaws.com" || principal.text == "*",
      ["lambda:InvokeFunction", "lambda:*", "*"].contains(action.text ?? "")
    else {
      m.report("ignored: it does not let SNS invoke '\(f)' (only SNS's invocations are checked)")
      return
    }
    for key in ["FunctionName", "Principal", "Action"] { m.mapped(key) }
    var source = "*"
    if let (v, node) = m.value("SourceArn") {
      m.mapped("SourceArn")
      guard let arn = v.text else {
        log.error(node.place, "SourceArn: \(t.describe(v))")
        return
      }
      source = arn
    }
    if m.value("SourceAccount") != nil { m.notes.append("SourceAccount: every topic is in the stack's account") }
    p.snsPermissions[f, default: []].append((source, m.r.id))
    m.report("lets SNS invoke '\(f)' from \(source == "*" ? "any topic" : source)")
  }

  /// A function's name from FunctionName as an event source mapping gives it: a name, an ARN
  /// (with or without a version or alias), or a partial ARN.
  func functionName(_ s: String) -> String {
    let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    if let i = parts.firstIndex(of: "function"), i + 1 < parts.count { return parts[i + 1] }
    return s
  }

  func mapping(_ m: PropertyReader) {
    m.known(
      ["EventSourceArn", "FunctionName", "BatchSize", "MaximumBatchingWindowInSeconds", "Enabled"]
        + ["FunctionResponseTypes", "ScalingConfig", "ProvisionedPollerConfig"] + Array(NotModelled.mapping.keys))
    guard let (fn, fnNode) = m.require("FunctionName") else { return }
    guard let (source, sourceNode) = m.value("EventSourceArn") else {
      m.report("ignored: no EventSourceArn (fanout models SQS event sources)")
      return
    }
    guard let arn = source.text else {
      log.error(sourceNode.place, "EventSourceArn: \(t.describe(source))")
      return
    }
    guard arn.split(separator: ":").dropFirst(2).first == "sqs" else {
      m.report("ignored: \(arn) is not an SQS queue (fanout models SQS event sources only)")
      return
    }
    guard let q = queueByArn[arn] else {
      var msg = "EventSourceArn \(arn) is not the ARN of a queue of this template"
      if let s = suggestion(arn, queueByArn.keys.sorted()) { msg += " (did you mean \(s)?)" }
      log.error(sourceNode.place, msg)
      return
    }
    guard let fnText = fn.text, functionNames.contains(functionName(fnText)) else {
      var msg = "FunctionName \(fn.text ?? t.describe(fn)) is not a function of this template"
      if let s = suggestion(functionName(fn.text ?? ""), functionNames.sorted()) { msg += " (did you mean \(s)?)" }
      log.error(fnNode.place, msg)
      return
    }
    m.mapped("EventSourceArn")
    m.mapped("FunctionName")
    let f = functionName(fnText)
    var c = Component(name: "", origin: origin(m.r.node.place))
    if let e = m.number("BatchSize") { c.set(e) }
    if let e = m.number("MaximumBatchingWindowInSeconds") { c.set(e) }
    if let e = m.bool("Enabled") { c.set(e) }
    if let (v, node) = m.value("FunctionResponseTypes") {
      m.mapped("FunctionResponseTypes")
      c.set(Entry("FunctionResponseTypes", v.json.map { .flow($0) } ?? .string("?"), origin(node.place)))
    }
    for key in ["ScalingConfig", "ProvisionedPollerConfig"] {
      if let (v, node) = m.value(key) {
        m.mapped(key)
        let below = (v.members ?? []).map { x in
          ScenarioLine(
            text: "  " + yamlScalar(x.key) + ": " + yamlText(m.scalar(x.value)),
            origin: origin(node[x.key]?.place ?? node.place))
        }
        c.set(Entry(key, v.members == nil ? .flow(v.json ?? "?") : nil, origin(node.place), below: below))
      }
    }
    if let (v, node) = m.value("FilterCriteria"), v.members?.isEmpty == false {
      log.warning(
        node.place,
        "\(m.r.id): event filtering (FilterCriteria) is not modelled: every message of \(q) reaches \(f), where AWS would delete the ones no filter matches"
      )
    }
    m.unmodelled(NotModelled.mapping)
    p.mappings.append(ImportedMapping(queue: q, function: f, component: c))
    m.report("an event source mapping from '\(q)' to '\(f)'")
  }

  func bucket(_ m: PropertyReader) {
    guard let name = t.name(of: m.r.id) else { return }
    m.known(["BucketName"] + NotModelled.bucketProperties)
    m.mapped("BucketName")
    if let (v, node) = m.value("NotificationConfiguration"), v.members?.isEmpty == false {
      log.warning(node.place, "\(m.r.id): S3 event notifications are not modelled: no event leaves bucket \(name)")
    }
    m.unmodelled(NotModelled.bucket)
    p.buckets.append(Component(name: name, origin: origin(m.r.node.place)))
    m.report("bucket '\(name)'")
  }

  // MARK: After every resource: subscriptions onto their topics, policies checked

  func finish() {
    for (topic, s) in standalone {
      guard let ti = p.topicIndex(topic) else { continue }
      p.topics[ti].subscriptions.append(s)
    }
    for (f, e) in invokeConfigs {
      guard let fi = p.functionIndex(f) else { continue }
      p.functions[fi].set(e)
    }
    checkPolicies(&p, log: log, assumePolicies: options.assumePolicies)
  }
}

enum CloudformationProtocol {
  static func valid(_ p: String) -> Bool { CloudFormationImporter.protocols.contains(p) }
}

/// Every subscribed queue's policy, decided for each topic that delivers to it: a queue the
/// template gives no policy gets `Policy: none`; each delivery the policy denies is a warning
/// (AWS drops them) — unless `--assume-policies`, which leaves such queues unchecked.
func checkPolicies(_ p: inout ImportedPipeline, log: ImportLog, assumePolicies: Bool) {
  checkPermissions(&p, log: log, assumePolicies: assumePolicies)
  for ti in p.topics.indices {
    let topic = p.topics[ti].component.name
    let topicArn = "arn:aws:sns:\(p.region):\(p.account):\(topic)"
    // Subscribed queues, and subscriptions' dead-letter queues: SNS sends to both.
    var targets = p.topics[ti].subscriptions.filter { $0.endpointKey == "queue" }
    for s in p.topics[ti].subscriptions {
      guard let q = s.deadLetterQueue else { continue }
      targets.append(ImportedSubscription(endpointKey: "dead-letter queue", endpoint: q, component: s.component))
    }
    for s in targets {
      let what =
        s.endpointKey == "queue"
        ? "SNS → SQS \(topic) → \(s.endpoint)" : "SNS \(topic) → its subscription's dead-letter queue \(s.endpoint)"
      guard let qi = p.queueIndex(s.endpoint) else { continue }
      let q = p.queues[qi]
      let why: String
      switch q.policy {
      case .unchecked where q.policySources.isEmpty:
        why = "the template gives \(s.endpoint) no queue policy"
      case .unchecked, .none:
        continue
      case .document(let json, _):
        guard let policy = try? QueuePolicy(json: json) else { continue }
        let d = policy.decision(
          topicArn: topicArn, topicAccount: p.account, queueArn: "arn:aws:sqs:\(p.region):\(p.account):\(s.endpoint)")
        if d == .allowed { continue }
        why =
          "\(s.endpoint)'s policy (\(q.policySources.joined(separator: ", "))) "
          + (d == .explicitDeny ? "denies it" : "does not allow it")
      }
      let place = s.component.origin
      if assumePolicies {
        p.queues[qi].policy = .unchecked
        p.queues[qi].policySources = []
        p.queues[qi].component.comments.append(
          "--assume-policies: SNS deliveries are not checked against this queue's policy (\(why))")
        log.warning(
          place.place,
          "\(what): \(why); --assume-policies lets the deliveries through", file: place.file)
        continue
      }
      if case .unchecked = q.policy { p.queues[qi].policy = .none }
      log.warning(
        place.place,
        "\(what): \(why): AWS drops every delivery (AccessDenied), and so does the run; let sns.amazonaws.com sqs:SendMessage on the queue with aws:SourceArn \(topicArn) (an AWS::SQS::QueuePolicy), or run with --assume-policies",
        file: place.file)
    }
  }
}

/// Every subscribed function's resource-based policy, for each topic that invokes it: without an
/// AWS::Lambda::Permission letting sns.amazonaws.com invoke it from the topic, AWS's invocations
/// fail, and so do the run's (the function gets `SNSInvokePermissions`) — unless
/// `--assume-policies`.
func checkPermissions(_ p: inout ImportedPipeline, log: ImportLog, assumePolicies: Bool) {
  var written: Set<String> = []
  for t in p.topics {
    let topic = t.component.name
    let topicArn = "arn:aws:sns:\(p.region):\(p.account):\(topic)"
    for s in t.subscriptions where s.endpointKey == "function" {
      guard let fi = p.functionIndex(s.endpoint) else { continue }
      let grants = p.snsPermissions[s.endpoint] ?? []
      let allowed = grants.contains { arnLike($0.0, topicArn) }
      let place = s.component.origin
      if assumePolicies {
        if !allowed {
          log.warning(
            place.place,
            "SNS → Lambda \(topic) → \(s.endpoint): no AWS::Lambda::Permission lets sns.amazonaws.com invoke it from \(topicArn); --assume-policies lets the invocations through",
            file: place.file)
        }
        continue
      }
      if !written.contains(s.endpoint) {
        written.insert(s.endpoint)
        let list = "[" + grants.map { jsonString($0.0) }.joined(separator: ", ") + "]"
        var e = Entry("SNSInvokePermissions", .flow(list), p.functions[fi].origin)
        if !grants.isEmpty { e.comment = "from " + grants.map(\.1).joined(separator: ", ") }
        p.functions[fi].set(e)
      }
      if !allowed {
        log.warning(
          place.place,
          "SNS → Lambda \(topic) → \(s.endpoint): no AWS::Lambda::Permission lets sns.amazonaws.com invoke it from \(topicArn): AWS's invocations fail, and so do the run's; add one (Principal sns.amazonaws.com, SourceArn the topic), or run with --assume-policies",
          file: place.file)
      }
    }
  }
}

extension Array {
  subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

/// Reads one resource's properties: evaluates them, records which were mapped and which are not
/// modelled, and refuses the ones CloudFormation does not know.
final class PropertyReader {
  let imp: CloudFormationImporter
  let r: CFNResource
  var props: TNode? { r.properties }
  var mappedKeys: [String] = []
  var notModelled: [(String, String)] = []
  var notes: [String] = []
  private var knownKeys: Set<String> = []
  private var checked = false

  init(_ imp: CloudFormationImporter, _ r: CFNResource) {
    self.imp = imp
    self.r = r
  }

  func known(_ keys: [String]) { knownKeys.formUnion(keys) }

  private func checkUnknown() {
    guard !checked else { return }
    checked = true
    for x in props?.entries ?? [] where !knownKeys.contains(x.key) {
      var m = "Encountered unsupported property \(x.key)"
      if let s = suggestion(x.key, knownKeys.sorted()) { m += " (did you mean \(s)?)" }
      imp.log.error(x.value.keyOrPlace, m + " (\(r.type))")
    }
  }

  func mapped(_ key: String) {
    if props?[key] != nil, !mappedKeys.contains(key) { mappedKeys.append(key) }
  }

  /// The evaluated value of a property and its node, or nil when absent (or AWS::NoValue).
  func value(_ key: String) -> (CValue, TNode)? {
    checkUnknown()
    guard let node = props?[key], let v = imp.t.eval(node), v != .noValue else { return nil }
    return (v, node)
  }

  func require(_ key: String) -> (CValue, TNode)? {
    guard let v = value(key) else {
      if props?[key] == nil { imp.log.error(r.node.place, "\(r.type) \(r.id) needs the property \(key)") }
      return nil
    }
    if let why = v.0.unknownReason, key != "PolicyDocument" {
      imp.log.error(v.1.place, "\(key) is a value fanout cannot know (\(why))")
      return nil
    }
    return v
  }

  /// A value as a YAML scalar: numbers and booleans plain, other text quoted, the rest as JSON.
  func scalar(_ v: CValue) -> YAMLText {
    switch v {
    case .number(let n): return .plain(n)
    case .bool(let b): return .plain(b ? "true" : "false")
    case .string(let s):
      if Int(s) != nil { return .plain(s) }
      return .string(s)
    case .unknown(let why): return .string("<unknown: \(why)>")
    default: return .flow(v.json ?? "null")
    }
  }

  private func entry(_ key: String) -> (CValue, TNode)? {
    guard let (v, node) = value(key) else { return nil }
    mapped(key)
    if let why = v.unknownReason {
      imp.log.error(node.place, "\(key) is a value fanout cannot know (\(why))")
      return nil
    }
    return (v, node)
  }

  func number(_ key: String) -> Entry? {
    entry(key).map { Entry(key, scalar($0.0), imp.origin($0.1.place)) }
  }

  func bool(_ key: String) -> Entry? {
    guard let (v, node) = entry(key) else { return nil }
    if let t = v.text?.lowercased(), t == "true" || t == "false" {
      return Entry(key, .plain(t), imp.origin(node.place))
    }
    return Entry(key, scalar(v), imp.origin(node.place))
  }

  func string(_ key: String) -> Entry? {
    guard let (v, node) = entry(key) else { return nil }
    if let t = v.text { return Entry(key, .string(t), imp.origin(node.place)) }
    return Entry(key, scalar(v), imp.origin(node.place))
  }

  /// The properties present that fanout does not model, with why.
  func unmodelled(_ reasons: [String: String]) {
    checkUnknown()
    for x in props?.entries ?? [] where !mappedKeys.contains(x.key) {
      if let why = reasons[x.key] {
        if !notModelled.contains(where: { $0.0 == x.key }) { notModelled.append((x.key, why)) }
      }
    }
  }

  func report(_ outcome: String) {
    var rep = ResourceReport(origin: imp.origin(r.node.place), subject: imp.subject(r), outcome: outcome)
    rep.mapped = mappedKeys
    rep.notModelled = notModelled
    rep.notes = notes
    imp.p.reports.append(rep)
  }
}
