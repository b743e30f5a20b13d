import FanoutSim
import Foundation

// MARK: - Terraform: `terraform show -json` of a plan or a state

/// Reads Terraform's JSON output format (https://developer.hashicorp.com/terraform/internals/json-format):
/// a state's `values.root_module`, or a plan's `planned_values.root_module`, with child modules.
/// In a plan, a value known only after apply (`resource_changes[].change.after_unknown`) is
/// resolved when the configuration gives it as a plain reference to another resource
/// (`endpoint = aws_sqs_queue.orders.arn`): fanout works out that resource's ARN, URL or name as
/// AWS forms them. A value built from an unknown one (`jsonencode({deadLetterTargetArn =
/// aws_sqs_queue.dlq.arn, …})`) cannot be read from a plan: the report says so, and a state
/// (after apply) has it.
final class TerraformImporter {
  let log: ImportLog
  let file: String
  let options: ImportOptions
  var p: ImportedPipeline
  var resources: [TFResource] = []
  var byAddress: [String: Int] = [:]
  var config: [String: TNode] = [:]
  var queueByArn: [String: String] = [:]
  var queueByURL: [String: String] = [:]
  var topicByArn: [String: String] = [:]
  var functionNames: Set<String> = []
  var plan = false

  struct TFResource {
    var address: String
    /// The address without an instance key, as the configuration has it.
    var configAddress: String
    var type: String
    var name: String
    var mode: String
    var node: TNode
    var values: TNode
    var unknown: Set<String> = []
  }

  static func isTerraform(_ root: TNode) -> Bool {
    root["format_version"] != nil
      && (root["planned_values"] != nil || root["values"] != nil || root["resource_changes"] != nil
        || root["terraform_version"] != nil)
  }

  init(file: String, log: ImportLog, options: ImportOptions) {
    self.file = file
    self.log = log
    self.options = options
    let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    p = ImportedPipeline(kind: "Terraform", source: file, name: name.isEmpty ? "imported" : name)
  }

  func origin(_ place: Place) -> Origin { Origin(file: file, place: place) }

  func run(_ root: TNode) -> ImportedPipeline? {
    if let v = root["format_version"]?.string, let major = v.split(separator: ".").first, major != "1" {
      log.error(root["format_version"]?.place, "Terraform's JSON format \(v) is not supported (fanout reads 1.x)")
      return nil
    }
    let module: TNode?
    if let planned = root["planned_values"]?["root_module"] {
      plan = true
      module = planned
      p.kind = "Terraform plan"
    } else {
      module = root["values"]?["root_module"]
      p.kind = "Terraform state"
    }
    guard let module else {
      log.error(
        root.place,
        "no planned_values.root_module (a plan) or values.root_module (a state): is this terraform show -json?")
      return nil
    }
    collect(module)
    for rc in root["resource_changes"]?.items ?? [] {
      guard let a = rc["address"]?.string, let i = byAddress[a], let u = rc["change"]?["after_unknown"]?.entries else {
        continue
      }
      for x in u where x.value.value.isTrue { resources[i].unknown.insert(x.key) }
    }
    if let c = root["configuration"]?["root_module"] { collectConfig(c, prefix: "") }
    settleRegionAndAccount(root)
    p.region = options.parameters.last { $0.key == "AWS::Region" }?.value ?? p.region
    p.account = options.parameters.last { $0.key == "AWS::AccountId" }?.value ?? p.account
    for (k, _) in options.parameters where !["AWS::Region", "AWS::AccountId"].contains(k) {
      log.error(
        nil,
        "--parameter \(k): a Terraform plan or state has no parameters (only AWS::Region and AWS::AccountId can be set)"
      )
    }
    names()
    // Components before what joins them, whatever order the file has.
    let rank = [
      "aws_s3_bucket": 0, "aws_sqs_queue": 1, "aws_sns_topic": 2, "aws_lambda_function": 3,
      "aws_sns_topic_subscription": 4, "aws_sqs_queue_policy": 5, "aws_sqs_queue_redrive_policy": 5,
      "aws_lambda_event_source_mapping": 6, "aws_lambda_permission": 6, "aws_lambda_function_event_invoke_config": 6,
    ]
    let ordered = resources.enumerated().sorted {
      (rank[$0.element.type] ?? 7, $0.offset) < (rank[$1.element.type] ?? 7, $1.offset)
    }
    for (_, r) in ordered { map(r) }
    p.reports.sort { ($0.origin.place.line, $0.origin.place.column) < ($1.origin.place.line, $1.origin.place.column) }
    guard !log.hasErrors else { return nil }
    checkPolicies(&p, log: log, assumePolicies: options.assumePolicies)
    return p
  }

  func collect(_ module: TNode) {
    for r in module["resources"]?.items ?? [] {
      guard let address = r["address"]?.string, let type = r["type"]?.string, let name = r["name"]?.string else {
        log.error(r.place, "a resource needs address, type and name")
        continue
      }
      let values = r["values"] ?? TNode(.map([]), r.place)
      var configAddress = address
      if let bracket = address.lastIndex(of: "["), address.hasSuffix("]") {
        configAddress = String(address[..<bracket])
      }
      // Module instance keys (`module.a[0].x`) are dropped for the configuration's address too.
      configAddress = configAddress.replacingOccurrences(of: #"\[[^\]]*\]"#, with: "", options: .regularExpression)
      byAddress[address] = resources.count
      resources.append(
        TFResource(
          address: address, configAddress: configAddress, type: type, name: name, mode: r["mode"]?.string ?? "managed",
          node: r, values: values))
    }
    for child in module["child_modules"]?.items ?? [] { collect(child) }
  }

  func collectConfig(_ module: TNode, prefix: String) {
    for r in module["resources"]?.items ?? [] {
      if let a = r["address"]?.string, let e = r["expressions"] { config[prefix + a] = e }
    }
    for call in module["module_calls"]?.entries ?? [] {
      if let m = call.value["module"] { collectConfig(m, prefix: prefix + "module.\(call.key).") }
    }
  }

  /// The region and account: from the first ARN the values hold, else the provider's region and
  /// fanout's default account.
  func settleRegionAndAccount(_ root: TNode) {
    for r in resources {
      for key in ["arn", "topic_arn", "event_source_arn"] {
        guard let arn = r.values[key]?.string else { continue }
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count >= 6, !parts[3].isEmpty, parts[4].count == 12 {
          p.region = String(parts[3])
          p.account = String(parts[4])
          return
        }
      }
    }
    if let r = root["configuration"]?["provider_config"]?["aws"]?["expressions"]?["region"]?["constant_value"]?.string {
      p.region = r
    }
  }

  // MARK: Values, known or worked out

  enum Attr {
    case value(TNode)
    case unknown(String)
    case absent
  }

  /// A resource's attribute: its value, or (in a plan) what a plain reference resolves to.
  func attr(_ r: TFResource, _ key: String) -> Attr {
    if let v = r.values[key], !v.value.isNull { return .value(v) }
    guard r.unknown.contains(key) else { return .absent }
    // An attribute the configuration does not set is one the provider computes: not the
    // template's to say.
    let expressions = config[r.configAddress]
    if let expressions, expressions[key] == nil { return .absent }
    // References are relative to the resource's module. The plan gives only the references an
    // expression makes, not the expression: only an identifier attribute (an ARN, a URL, a name)
    // is taken to be the plain reference it names; a document (a policy, a redrive policy) that
    // mentions an unknown ARN stays unknown.
    let module = r.configAddress.split(separator: ".").dropLast(2).map { $0 + "." }.joined()
    let refs = expressions?[key]?["references"]?.items?.compactMap(\.string) ?? []
    if TerraformImporter.identifiers.contains(key), let first = refs.first, refs.count <= 2,
      let resolved = derived(module + first, at: r.node.place)
    {
      return .value(TNode(.string(resolved), (r.values[key] ?? r.node).place))
    }
    let on = refs.isEmpty ? "" : " (it depends on \(refs.joined(separator: ", ")))"
    return .unknown("\(r.address).\(key) is known only after apply\(on)")
  }

  /// What a reference `aws_sqs_queue.orders.arn` gives, worked out as AWS forms it.
  func derived(_ reference: String, at place: Place) -> String? {
    var parts = reference.split(separator: ".").map(String.init)
    var prefix = ""
    while parts.first == "module", parts.count > 2 {
      prefix += "module.\(parts[1])."
      parts.removeFirst(2)
    }
    guard parts.count == 3 else { return nil }
    let address = prefix + parts[0] + "." + parts[1]
    let attribute = parts[2]
    let matches = resources.filter { $0.configAddress == address }
    guard matches.count == 1, let r = matches.first else { return nil }
    if let v = r.values[attribute]?.string { return v }
    guard let name = physicalName(r) else { return nil }
    switch (r.type, attribute) {
    case ("aws_sqs_queue", "arn"): return "arn:aws:sqs:\(p.region):\(p.account):\(name)"
    case ("aws_sqs_queue", "id"), ("aws_sqs_queue", "url"):
      return "https://sqs.\(p.region).amazonaws.com/\(p.account)/\(name)"
    case ("aws_sqs_queue", "name"): return name
    case ("aws_sns_topic", "arn"), ("aws_sns_topic", "id"): return "arn:aws:sns:\(p.region):\(p.account):\(name)"
    case ("aws_sns_topic", "name"): return name
    case ("aws_lambda_function", "arn"), ("aws_lambda_function", "qualified_arn"):
      return "arn:aws:lambda:\(p.region):\(p.account):function:\(name)"
    case ("aws_lambda_function", "function_name"), ("aws_lambda_function", "id"): return name
    case ("aws_s3_bucket", "bucket"), ("aws_s3_bucket", "id"): return name
    case ("aws_s3_bucket", "arn"): return "arn:aws:s3:::\(name)"
    default: return nil
    }
  }

  /// Attributes whose value is one resource's identifier.
  static let identifiers: Set<String> = ["endpoint", "topic_arn", "event_source_arn", "function_name", "queue_url"]

  static let nameKey = [
    "aws_sqs_queue": "name", "aws_sns_topic": "name", "aws_lambda_function": "function_name", "aws_s3_bucket": "bucket",
  ]

  /// A resource's name: the one its values give, else (a name left to Terraform or a prefix) its
  /// name in the configuration.
  func physicalName(_ r: TFResource) -> String? {
    guard let key = TerraformImporter.nameKey[r.type] else { return nil }
    if let n = r.values[key]?.string, !n.isEmpty { return n }
    var n = r.name
    if let bracket = r.address.lastIndex(of: "[") {
      let index = r.address[r.address.index(after: bracket)...].dropLast().replacingOccurrences(of: "\"", with: "")
      n += "-" + index
    }
    return n
  }

  func names() {
    for r in resources where r.mode == "managed" {
      guard let n = physicalName(r) else { continue }
      switch r.type {
      case "aws_sqs_queue":
        queueByArn["arn:aws:sqs:\(p.region):\(p.account):\(n)"] = n
        queueByURL["https://sqs.\(p.region).amazonaws.com/\(p.account)/\(n)"] = n
        if let a = r.values["arn"]?.string { queueByArn[a] = n }
        if let u = r.values["url"]?.string ?? r.values["id"]?.string { queueByURL[u] = n }
      case "aws_sns_topic":
        topicByArn["arn:aws:sns:\(p.region):\(p.account):\(n)"] = n
        if let a = r.values["arn"]?.string { topicByArn[a] = n }
      case "aws_lambda_function": functionNames.insert(n)
      default: break
      }
    }
  }

  // MARK: Resources

  /// Attributes Terraform computes (identities, hashes, timestamps): never reported.
  static let computed: Set<String> = [
    "id", "arn", "url", "tags_all", "qualified_arn", "qualified_invoke_arn", "invoke_arn", "version", "last_modified",
    "source_code_hash", "source_code_size", "signing_job_arn", "signing_profile_version_arn", "owner",
    "confirmation_was_authenticated", "pending_confirmation", "beginning_archive_time", "uuid", "state",
    "state_transition_reason", "last_processing_result", "function_arn", "bucket_domain_name",
    "bucket_regional_domain_name", "hosted_zone_id", "region", "name_prefix", "bucket_prefix", "code_sha256",
    "response_types", "event_source_mapping_arn", "policy", "website_domain", "website_endpoint", "owner_id",
  ]

  func report(
    _ r: TFResource, _ outcome: String, mapped: [String] = [], reasons: [String: String] = [:], notes: [String] = []
  ) {
    var rep = ResourceReport(origin: origin(r.node.place), subject: "\(r.address) (\(r.type))", outcome: outcome)
    rep.mapped = mapped
    rep.notes = notes
    for x in r.values.entries ?? [] where !mapped.contains(x.key) && !TerraformImporter.computed.contains(x.key) {
      guard x.value.value.isMeaningful else { continue }
      rep.notModelled.append((x.key, reasons[x.key] ?? NotModelled.nothing))
    }
    p.reports.append(rep)
  }

  func scalar(_ n: TNode) -> YAMLText {
    switch n.value {
    case .number(let s): return .plain(s)
    case .bool(let b): return .plain(b ? "true" : "false")
    case .string(let s): return Int(s) != nil ? .plain(s) : .string(s)
    default: return .flow(CValue.from(n).json ?? "null")
    }
  }

  /// A known value as an entry; an unknown one reported.
  func entry(_ r: TFResource, _ key: String, as scenarioKey: String, _ mapped: inout [String]) -> Entry? {
    switch attr(r, key) {
    case .absent: return nil
    case .unknown(let why):
      log.warning(r.node.place, "\(why): \(scenarioKey) is left at fanout's default")
      return nil
    case .value(let v):
      mapped.append(key)
      return Entry(scenarioKey, scalar(v), origin(v.place))
    }
  }

  func text(_ r: TFResource, _ key: String) -> (String, Place)? {
    if case .value(let v) = attr(r, key), let s = v.string { return (s, v.place) }
    return nil
  }

  func map(_ r: TFResource) {
    guard r.mode == "managed" else {
      p.reports.append(
        ResourceReport(
          origin: origin(r.node.place), subject: "\(r.address) (data source)",
          outcome: "ignored: a data source reads, it makes nothing"))
      return
    }
    switch r.type {
    case "aws_sqs_queue": queue(r)
    case "aws_sqs_queue_policy": queuePolicy(r)
    case "aws_sqs_queue_redrive_policy": queueRedrive(r)
    case "aws_sns_topic": topic(r)
    case "aws_sns_topic_subscription": subscription(r)
    case "aws_lambda_function": function(r)
    case "aws_lambda_event_source_mapping": mapping(r)
    case "aws_lambda_permission": permission(r)
    case "aws_lambda_function_event_invoke_config": eventInvokeConfig(r)
    case "aws_s3_bucket":
      guard let n = physicalName(r) else { return }
      p.buckets.append(Component(name: n, origin: origin(r.node.place)))
      report(r, "bucket '\(n)'", mapped: ["bucket"])
    default:
      let why: String
      if r.type.hasPrefix("aws_iam_") {
        why = "IAM is not modelled: functions may make the calls their behaviour makes"
      } else if r.type == "aws_sns_topic_policy" {
        why = "who may publish to a topic is not checked"
      } else if r.type == "aws_s3_bucket_notification" {
        why = "S3 event notifications are not modelled"
        log.warning(r.node.place, "\(r.address): S3 event notifications are not modelled: no event leaves the bucket")
      } else {
        why = "fanout does not model \(r.type)"
      }
      p.reports.append(
        ResourceReport(origin: origin(r.node.place), subject: "\(r.address) (\(r.type))", outcome: "ignored: " + why))
    }
  }

  static let queueKeys = [
    ("visibility_timeout_seconds", "VisibilityTimeout"), ("delay_seconds", "DelaySeconds"),
    ("message_retention_seconds", "MessageRetentionPeriod"), ("max_message_size", "MaximumMessageSize"),
    ("receive_wait_time_seconds", "ReceiveMessageWaitTimeSeconds"),
  ]

  func queue(_ r: TFResource) {
    guard let name = physicalName(r) else { return }
    if p.queueIndex(name) != nil {
      log.error(r.node.place, "a second queue named '\(name)'")
      return
    }
    var mapped = ["name"]
    var c = Component(name: name, origin: origin(r.node.place))
    var notes: [String] = []
    if r.values["name"]?.string == nil { notes.append("its name is Terraform's to choose: fanout calls it \(name)") }
    for (k, s) in TerraformImporter.queueKeys {
      if let e = entry(r, k, as: s, &mapped) { c.set(e) }
    }
    if let e = redrive(r, "redrive_policy", &mapped) { c.set(e) }
    if r.values["fifo_queue"]?.value.isTrue == true {
      log.warning(r.node.place, "\(r.address): FIFO queues are not modelled: fanout runs \(name) as a standard queue")
    }
    p.queues.append(ImportedQueue(component: c))
    if r.values["policy"]?.value.isMeaningful == true || r.unknown.contains("policy") {
      policy(r, "policy", queues: [name], &mapped)
    }
    let fifo = NotModelled.fifoQueue
    report(
      r, "queue '\(name)'", mapped: mapped,
      reasons: [
        "fifo_queue": fifo, "content_based_deduplication": fifo, "deduplication_scope": fifo,
        "fifo_throughput_limit": fifo, "kms_master_key_id": NotModelled.encryption,
        "kms_data_key_reuse_period_seconds": NotModelled.encryption, "sqs_managed_sse_enabled": NotModelled.encryption,
        "redrive_allow_policy": NotModelled.queue["RedriveAllowPolicy"]!, "tags": NotModelled.tags,
      ], notes: notes)
  }

  /// A redrive policy (a JSON string) as the scenario's block.
  func redrive(_ r: TFResource, _ key: String, _ mapped: inout [String]) -> Entry? {
    switch attr(r, key) {
    case .absent: return nil
    case .unknown(let why):
      log.warning(
        r.node.place,
        "\(why): fanout cannot read the redrive policy from a plan, so the queue gets no dead-letter queue; import the state (terraform show -json after apply)"
      )
      return nil
    case .value(let v):
      guard let s = v.string else { return nil }
      if s.isEmpty { return nil }
      guard let doc = JSONValue.parse(s), case .object(let members) = doc else {
        log.error(v.place, "\(key) is not a JSON object")
        return nil
      }
      mapped.append(key)
      var below: [ScenarioLine] = []
      for (k, x) in members {
        var value = CValue(x)
        if k == "deadLetterTargetArn" {
          guard let arn = x.stringValue, let q = queueByArn[arn] else {
            log.error(
              v.place, "\(key): deadLetterTargetArn \(x.stringValue ?? "?") is not a queue of this configuration")
            return nil
          }
          value = .string(q)
        }
        let text: YAMLText =
          switch value {
          case .number(let n): .plain(n)
          case .string(let t): Int(t) != nil ? .plain(t) : .string(t)
          default: .flow(value.json ?? "null")
          }
        below.append(ScenarioLine(text: "  " + yamlScalar(k) + ": " + yamlText(text), origin: origin(v.place)))
      }
      return Entry("RedrivePolicy", nil, origin(v.place), below: below)
    }
  }

  func queueName(url: String) -> String? {
    queueByURL[url] ?? queueByURL.first { $0.key.hasSuffix("/" + url) }?.value
  }

  /// A policy (a JSON string) set on queues; unknown in a plan leaves them unchecked.
  func policy(_ r: TFResource, _ key: String, queues: [String], _ mapped: inout [String]) {
    switch attr(r, key) {
    case .absent: return
    case .unknown(let why):
      log.warning(
        r.node.place,
        "\(why): fanout cannot read the policy from a plan; deliveries to \(queues.joined(separator: ", ")) are not checked"
      )
      for q in queues {
        if let i = p.queueIndex(q) { p.queues[i].policySources = [r.address] }
      }
    case .value(let v):
      guard let s = v.string, !s.isEmpty else { return }
      do { _ = try QueuePolicy(json: s) } catch {
        log.error(v.place, error.description)
        return
      }
      mapped.append(key)
      let compact = JSONValue.parse(s).map { CValue($0).json ?? s } ?? s
      for q in queues {
        guard let i = p.queueIndex(q) else { continue }
        if !p.queues[i].policySources.isEmpty, p.queues[i].policySources != [r.address],
          case .document(let before, _) = p.queues[i].policy, before != compact
        {
          log.warning(
            v.place,
            "queue \(q) gets its policy from \(p.queues[i].policySources.joined(separator: ", ")) and from \(r.address): a queue has one Policy; fanout takes \(r.address)'s"
          )
        }
        p.queues[i].policy = .document(compact, origin(v.place))
        p.queues[i].policySources = [r.address]
      }
    }
  }

  func queuePolicy(_ r: TFResource) {
    guard let (url, place) = text(r, "queue_url") else {
      log.error(
        r.node.place,
        "\(r.address): queue_url is not known (a plan leaves it unknown only when it is not a plain reference)")
      return
    }
    guard let q = queueName(url: url) else {
      log.error(place, "\(r.address): queue_url \(url) is not a queue of this configuration")
      return
    }
    var mapped = ["queue_url"]
    policy(r, "policy", queues: [q], &mapped)
    report(r, "the policy of '\(q)'", mapped: mapped)
  }

  func queueRedrive(_ r: TFResource) {
    guard let (url, _) = text(r, "queue_url"), let q = queueName(url: url), let i = p.queueIndex(q) else {
      log.error(r.node.place, "\(r.address): queue_url is not a queue of this configuration")
      return
    }
    var mapped = ["queue_url"]
    if let e = redrive(r, "redrive_policy", &mapped) { p.queues[i].component.set(e) }
    report(r, "the redrive policy of '\(q)'", mapped: mapped)
  }

  func topic(_ r: TFResource) {
    guard let name = physicalName(r) else { return }
    if p.topicIndex(name) != nil {
      log.error(r.node.place, "a second topic named '\(name)'")
      return
    }
    if r.values["fifo_topic"]?.value.isTrue == true {
      log.warning(r.node.place, "\(r.address): FIFO topics are not modelled: fanout runs \(name) as a standard topic")
    }
    p.topics.append(ImportedTopic(component: Component(name: name, origin: origin(r.node.place))))
    let fifo = NotModelled.fifoTopic
    report(
      r, "topic '\(name)'", mapped: ["name"],
      reasons: [
        "fifo_topic": fifo, "content_based_deduplication": fifo, "archive_policy": fifo,
        "display_name": NotModelled.topic["DisplayName"]!, "kms_master_key_id": NotModelled.encryption,
        "delivery_policy": "HTTP/S delivery retry policies are not modelled",
        "signature_version": NotModelled.topic["SignatureVersion"]!, "tracing_config": "X-Ray tracing is not modelled",
        "data_protection_policy": NotModelled.topic["DataProtectionPolicy"]!, "tags": NotModelled.tags,
      ])
  }

  func subscription(_ r: TFResource) {
    guard let (topicArn, tPlace) = text(r, "topic_arn"), let topic = topicByArn[topicArn], let ti = p.topicIndex(topic)
    else {
      log.error(r.node.place, "\(r.address): topic_arn is not a topic of this configuration")
      return
    }
    guard let (proto, pPlace) = text(r, "protocol") else {
      log.error(r.node.place, "\(r.address): a subscription needs a protocol")
      return
    }
    _ = tPlace
    guard CloudformationProtocol.valid(proto) else {
      log.error(pPlace, "Invalid parameter: Amazon SNS does not support this protocol string: \(proto)")
      return
    }
    var mapped = ["topic_arn", "protocol", "endpoint"]
    var s: ImportedSubscription
    let c = Component(name: "", origin: origin(r.node.place))
    if proto == "sqs" {
      guard let (arn, ePlace) = text(r, "endpoint") else {
        log.error(r.node.place, "\(r.address): the endpoint is not known")
        return
      }
      guard let q = queueByArn[arn] else {
        log.error(ePlace, "\(r.address): endpoint \(arn) is not a queue of this configuration")
        return
      }
      s = ImportedSubscription(endpointKey: "queue", endpoint: q, component: c)
    } else if proto == "lambda" {
      guard let (arn, ePlace) = text(r, "endpoint") else {
        log.error(r.node.place, "\(r.address): the endpoint is not known")
        return
      }
      let f = functionName(arn)
      guard functionNames.contains(f) else {
        log.error(ePlace, "\(r.address): endpoint \(arn) is not a function of this configuration")
        return
      }
      s = ImportedSubscription(endpointKey: "function", endpoint: f, component: c)
    } else {
      var sink = proto
      var k = 2
      while p.topics[ti].subscriptions.contains(where: { $0.endpointKey == "sink" && $0.endpoint == sink }) {
        sink = "\(proto)-\(k)"
        k += 1
      }
      s = ImportedSubscription(endpointKey: "sink", endpoint: sink, component: c)
      s.component.comments.append("\(proto) subscription to \(text(r, "endpoint")?.0 ?? "?"): a recording sink")
    }
    if case .value(let v) = attr(r, "raw_message_delivery"), v.value.isTrue || v.string == "true" {
      mapped.append("raw_message_delivery")
      s.component.set(Entry("RawMessageDelivery", .plain("true"), origin(v.place)))
    } else if r.values["raw_message_delivery"] != nil {
      mapped.append("raw_message_delivery")
    }
    switch attr(r, "filter_policy") {
    case .value(let v):
      if let t = v.string, !t.isEmpty {
        guard let doc = JSONValue.parse(t) else {
          log.error(v.place, "\(r.address): filter_policy is not JSON")
          return
        }
        mapped.append("filter_policy")
        s.component.set(Entry("FilterPolicy", .flow(CValue(doc).json ?? t), origin(v.place)))
      }
    case .unknown(let why): log.warning(r.node.place, "\(why): the subscription has no filter policy in fanout")
    case .absent: break
    }
    if let (scope, place) = text(r, "filter_policy_scope"), !scope.isEmpty {
      mapped.append("filter_policy_scope")
      s.component.set(Entry("FilterPolicyScope", .string(scope), origin(place)))
    }
    if let (text, place) = text(r, "redrive_policy"), !text.isEmpty {
      guard let arn = JSONValue.parse(text)?["deadLetterTargetArn"]?.stringValue, let q = queueByArn[arn] else {
        log.error(place, "\(r.address): redrive_policy's deadLetterTargetArn is not a queue of this configuration")
        return
      }
      mapped.append("redrive_policy")
      s.component.set(
        Entry(
          "RedrivePolicy", nil, origin(place),
          below: [ScenarioLine(text: "  deadLetterTargetArn: " + yamlScalar(q), origin: origin(place))]))
      s.deadLetterQueue = q
    }
    p.topics[ti].subscriptions.append(s)
    report(
      r, "a subscription of '\(topic)' to \(s.endpointKey) '\(s.endpoint)'", mapped: mapped,
      reasons: [
        "delivery_policy": NotModelled.subscription["DeliveryPolicy"]!,
        "replay_policy": NotModelled.subscription["ReplayPolicy"]!,
        "subscription_role_arn": NotModelled.subscription["SubscriptionRoleArn"]!,
        "confirmation_timeout_in_minutes": "confirmation is not modelled: every subscription is confirmed",
        "endpoint_auto_confirms": "confirmation is not modelled: every subscription is confirmed",
      ])
  }

  func function(_ r: TFResource) {
    guard let name = physicalName(r) else { return }
    if p.functionIndex(name) != nil {
      log.error(r.node.place, "a second function named '\(name)'")
      return
    }
    var mapped = ["function_name"]
    var c = Component(name: name, origin: origin(r.node.place))
    if let e = entry(r, "runtime", as: "Runtime", &mapped) { c.set(e) }
    if let e = entry(r, "timeout", as: "Timeout", &mapped) { c.set(e) }
    if case .value(let v) = attr(r, "reserved_concurrent_executions") {
      mapped.append("reserved_concurrent_executions")
      // -1: no reservation (Terraform's way of saying so).
      if case .number(let n) = v.value, n != "-1" {
        c.set(Entry("ReservedConcurrentExecutions", .plain(n), origin(v.place)))
      }
    }
    if let e = entry(r, "memory_size", as: "MemorySize", &mapped) { c.set(e) }
    if let a = r.values["architectures"]?.items, a.count == 1, let arch = a[0].string {
      mapped.append("architectures")
      c.set(Entry("Architectures", .flow("[" + yamlScalar(arch) + "]"), origin(a[0].place)))
    }
    var code = FunctionCode(
      runtime: r.values["runtime"]?.string, handler: r.values["handler"]?.string, origin: origin(r.node.place))
    let vars = r.values["environment"]?.items?.first?["variables"]?.entries ?? []
    code.environment = vars.compactMap { v in v.value.string.map { (v.key, $0) } }
    p.code[name] = code
    if !vars.isEmpty {
      c.comments.append("environment: " + vars.map { "\($0.key)=\($0.value.string ?? "…")" }.joined(separator: ", "))
    }
    if let d = r.values["dead_letter_config"]?.items?.first?["target_arn"], let arn = d.string {
      if let target = asyncTarget(arn, d.place, r.address + ": dead_letter_config.target_arn") {
        mapped.append("dead_letter_config")
        c.set(
          Entry(
            "DeadLetterConfig", nil, origin(d.place),
            below: [ScenarioLine(text: "  TargetArn: " + yamlScalar(target), origin: origin(d.place))]))
      }
    }
    p.functions.append(c)
    var reasons: [String: String] = [:]
    for (k, v) in [
      ("environment", "Environment"), ("handler", "Handler"), ("role", "Role"),
      ("vpc_config", "VpcConfig"), ("dead_letter_config", "DeadLetterConfig"),
      ("layers", "Layers"), ("image_uri", "Code"), ("filename", "Code"), ("s3_bucket", "Code"), ("s3_key", "Code"),
      ("package_type", "PackageType"), ("snap_start", "SnapStart"), ("tracing_config", "TracingConfig"),
      ("logging_config", "LoggingConfig"), ("kms_key_arn", "KmsKeyArn"), ("tags", "Tags"),
    ] {
      reasons[k] = NotModelled.function[v]
    }
    reasons["publish"] = "versions run the function's code"
    report(r, "function '\(name)'", mapped: mapped, reasons: reasons)
  }

  /// A destination or dead-letter target: the ARN of a queue or topic of this configuration.
  func asyncTarget(_ arn: String, _ place: Place, _ what: String) -> String? {
    if queueByArn[arn] != nil || topicByArn[arn] != nil { return arn }
    log.error(
      place, "\(what): \(arn) is not a queue or topic of this configuration (fanout models SQS and SNS targets)")
    return nil
  }

  /// aws_lambda_permission: fanout checks the ones that let SNS invoke a subscribed function.
  func permission(_ r: TFResource) {
    guard let (fn, fPlace) = text(r, "function_name") else {
      log.error(r.node.place, "\(r.address): function_name is not known")
      return
    }
    let f = functionName(fn)
    guard functionNames.contains(f) else {
      log.error(fPlace, "\(r.address): function_name \(fn) is not a function of this configuration")
      return
    }
    let principal = text(r, "principal")?.0 ?? ""
    let action = text(r, "action")?.0 ?? ""
    guard principal == "sns.amazonaws.com" || principal == "*",
      ["lambda:InvokeFunction", "lambda:*", "*"].contains(action)
    else {
      report(r, "ignored: it does not let SNS invoke '\(f)' (only SNS's invocations are checked)")
      return
    }
    let source = text(r, "source_arn")?.0 ?? "*"
    p.snsPermissions[f, default: []].append((source.isEmpty ? "*" : source, r.address))
    report(
      r, "lets SNS invoke '\(f)' from \(source == "*" ? "any topic" : source)",
      mapped: ["function_name", "principal", "action", "source_arn", "statement_id"])
  }

  /// aws_lambda_function_event_invoke_config: retries, event age and destinations.
  func eventInvokeConfig(_ r: TFResource) {
    guard let (fn, fPlace) = text(r, "function_name") else {
      log.error(r.node.place, "\(r.address): function_name is not known")
      return
    }
    let f = functionName(fn)
    guard let fi = p.functionIndex(f) else {
      log.error(fPlace, "\(r.address): function_name \(fn) is not a function of this configuration")
      return
    }
    var mapped = ["function_name", "qualifier"]
    var below: [ScenarioLine] = []
    for (key, name) in [
      ("maximum_retry_attempts", "MaximumRetryAttempts"), ("maximum_event_age_in_seconds", "MaximumEventAgeInSeconds"),
    ] {
      if let e = entry(r, key, as: name, &mapped), let v = e.value {
        below.append(ScenarioLine(text: "  \(name): " + yamlText(v), origin: e.origin))
      }
    }
    if let d = r.values["destination_config"]?.items?.first {
      var dest: [ScenarioLine] = []
      for (key, name) in [("on_success", "OnSuccess"), ("on_failure", "OnFailure")] {
        guard let t = d[key]?.items?.first?["destination"], let arn = t.string else { continue }
        if let target = asyncTarget(arn, t.place, r.address + ": destination_config.\(key).destination") {
          dest.append(
            ScenarioLine(text: "    \(name): { Destination: \(yamlScalar(target)) }", origin: origin(t.place)))
        }
      }
      if !dest.isEmpty {
        mapped.append("destination_config")
        below.append(ScenarioLine(text: "  DestinationConfig:", origin: origin(d.place)))
        below += dest
      }
    }
    p.functions[fi].set(Entry("EventInvokeConfig", nil, origin(r.node.place), below: below))
    report(r, "the asynchronous invocation config of function '\(f)'", mapped: mapped)
  }

  func functionName(_ s: String) -> String {
    let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    if let i = parts.firstIndex(of: "function"), i + 1 < parts.count { return parts[i + 1] }
    return s
  }

  func mapping(_ r: TFResource) {
    guard let (arn, sPlace) = text(r, "event_source_arn") else {
      report(r, "ignored: no event_source_arn (fanout models SQS event sources)")
      return
    }
    guard arn.split(separator: ":").dropFirst(2).first == "sqs" else {
      report(r, "ignored: \(arn) is not an SQS queue (fanout models SQS event sources only)")
      return
    }
    guard let q = queueByArn[arn] else {
      log.error(sPlace, "\(r.address): event_source_arn \(arn) is not a queue of this configuration")
      return
    }
    guard let (fn, fPlace) = text(r, "function_name"), functionNames.contains(functionName(fn)) else {
      log.error(r.node.place, "\(r.address): function_name is not a function of this configuration")
      return
    }
    _ = fPlace
    var mapped = ["event_source_arn", "function_name"]
    var c = Component(name: "", origin: origin(r.node.place))
    if let e = entry(r, "batch_size", as: "BatchSize", &mapped) { c.set(e) }
    if let e = entry(r, "maximum_batching_window_in_seconds", as: "MaximumBatchingWindowInSeconds", &mapped) {
      c.set(e)
    }
    if let e = entry(r, "enabled", as: "Enabled", &mapped) { c.set(e) }
    if let types = r.values["function_response_types"]?.items {
      mapped.append("function_response_types")
      if !types.isEmpty {
        let list = types.compactMap(\.string).map(jsonString).joined(separator: ", ")
        c.set(
          Entry("FunctionResponseTypes", .flow("[" + list + "]"), origin(r.values["function_response_types"]!.place)))
      }
    }
    for (k, s, fields) in [
      ("scaling_config", "ScalingConfig", [("maximum_concurrency", "MaximumConcurrency")]),
      (
        "provisioned_poller_config", "ProvisionedPollerConfig",
        [("minimum_pollers", "MinimumPollers"), ("maximum_pollers", "MaximumPollers")]
      ),
    ] {
      guard let block = r.values[k]?.items?.first else {
        if r.values[k] != nil { mapped.append(k) }
        continue
      }
      mapped.append(k)
      var below: [ScenarioLine] = []
      for (tf, cf) in fields {
        if let v = block[tf], case .number(let n) = v.value {
          below.append(ScenarioLine(text: "  \(cf): \(n)", origin: origin(v.place)))
        }
      }
      if !below.isEmpty { c.set(Entry(s, nil, origin(block.place), below: below)) }
    }
    if let f = r.values["filter_criteria"], f.value.isMeaningful {
      log.warning(
        f.place,
        "\(r.address): event filtering (filter_criteria) is not modelled: every message of \(q) reaches the function")
    }
    let fnName = functionName(fn)
    p.mappings.append(ImportedMapping(queue: q, function: fnName, component: c))
    var reasons: [String: String] = [:]
    for (k, v) in [
      ("filter_criteria", "FilterCriteria"), ("metrics_config", "MetricsConfig"), ("kms_key_arn", "KmsKeyArn"),
      ("tags", "Tags"), ("starting_position", "StartingPosition"), ("destination_config", "DestinationConfig"),
      ("maximum_retry_attempts", "MaximumRetryAttempts"), ("parallelization_factor", "ParallelizationFactor"),
      ("bisect_batch_on_function_error", "BisectBatchOnFunctionError"),
      ("maximum_record_age_in_seconds", "MaximumRecordAgeInSeconds"),
      ("tumbling_window_in_seconds", "TumblingWindowInSeconds"), ("queues", "Queues"), ("topics", "Topics"),
      ("starting_position_timestamp", "StartingPositionTimestamp"),
    ] {
      reasons[k] = NotModelled.mapping[v]
    }
    report(r, "an event source mapping from '\(q)' to '\(fnName)'", mapped: mapped, reasons: reasons)
  }
}

extension TNode.Value {
  var isNull: Bool {
    if case .null = self { return true }
    return false
  }
  var isTrue: Bool {
    if case .bool(true) = self { return true }
    return false
  }
  /// Set to something: not null, false, empty or a zero-length list/map (Terraform writes every
  /// attribute, set or not).
  var isMeaningful: Bool {
    switch self {
    case .null, .bool(false): return false
    case .number(let n): return Double(n) != 0
    case .string(let s): return !s.isEmpty
    case .list(let l): return !l.isEmpty
    case .map(let m): return !m.isEmpty
    default: return true
    }
  }
}

extension CValue {
  /// A literal node's value (no intrinsic functions: JSON as written).
  static func from(_ n: TNode) -> CValue {
    switch n.value {
    case .string(let s): return .string(s)
    case .number(let s): return .number(s)
    case .bool(let b): return .bool(b)
    case .null: return .null
    case .list(let l): return .list(l.map(from))
    case .map(let m): return .map(m.map { CMember(key: $0.key, value: from($0.value)) })
    }
  }
}
