import FanoutSim

// MARK: - The SAM transform (AWS::Serverless-2016-10-31), as SAM expands it

/// Expands `AWS::Serverless::Function` into the CloudFormation resources SAM makes, with SAM's
/// logical IDs, so that importing a SAM template gives the same pipeline as importing what
/// `aws-sam-translator` writes for it (the translator's source: `samtranslator/model/
/// sam_resources.py`, `eventsources/pull.py`, `eventsources/push.py`, `sqs.py`,
/// https://github.com/aws/serverless-application-model):
///
/// - the function: an `AWS::Lambda::Function` with the same logical ID, SAM's pass-through
///   properties (Globals.Function merged in: local values win, mappings merge, lists append), and
///   a role `<Function>Role` when it names none;
/// - an `SQS` event `E`: an `AWS::Lambda::EventSourceMapping` `<Function>E`, its properties passed
///   through, `EventSourceArn` the event's `Queue`;
/// - an `SNS` event `E` without `SqsSubscription`: an `AWS::SNS::Subscription` `<Function>E`
///   (protocol `lambda`) and a permission `<Function>EPermission`;
/// - with `SqsSubscription: true`: a queue `<Function>EQueue` (FIFO when the topic is), a policy
///   `<Function>EQueuePolicy` letting `*` `sqs:SendMessage` with `ArnEquals aws:SourceArn` the
///   topic, a subscription `<Function>E` (protocol `sqs`) and a mapping
///   `<Function>EEventSourceMapping` (BatchSize 10, Enabled true);
/// - with `SqsSubscription: {QueueArn, QueueUrl, BatchSize, Enabled, QueuePolicyLogicalId}`: the
///   same without the queue; the policy is `QueuePolicyLogicalId` or `<Function>EQueuePolicy`,
///   the mapping takes `BatchSize` (default 10) and, as SAM does, `Enabled: true` whatever
///   `Enabled` says.
///
/// Events are expanded in SAM's order (sorted by name). Generated resources inherit the
/// function's `Condition`.
struct SAMTransform {
  let imp: CloudFormationImporter
  init(_ imp: CloudFormationImporter) { self.imp = imp }
  var log: ImportLog { imp.log }

  static let functionProperties = [
    "Architectures", "AssumeRolePolicyDocument", "AutoPublishAlias", "AutoPublishAliasAllProperties",
    "AutoPublishCodeSha256", "CapacityProviderConfig", "CodeSigningConfigArn", "CodeUri", "DeadLetterQueue",
    "DeploymentPreference", "Description", "DurableConfig", "Environment", "EphemeralStorage", "EventInvokeConfig",
    "Events", "FileSystemConfigs", "FunctionName", "FunctionScalingConfig", "FunctionUrlConfig", "Handler",
    "ImageConfig", "ImageUri", "InlineCode", "KmsKeyArn", "Layers", "LoggingConfig", "MemorySize", "PackageType",
    "PermissionsBoundary", "Policies", "PropagateTags", "ProvisionedConcurrencyConfig", "PublishToLatestPublished",
    "RecursiveLoop", "ReservedConcurrentExecutions", "Role", "RolePath", "Runtime", "RuntimeManagementConfig",
    "SnapStart", "SourceKMSKeyArn", "Tags", "TenancyConfig", "Timeout", "Tracing", "VersionDeletionPolicy",
    "VersionDescription", "VpcConfig",
  ]
  /// What SAM copies onto the AWS::Lambda::Function as is.
  static let passThrough = [
    "FunctionName", "Handler", "Runtime", "Description", "MemorySize", "Timeout", "VpcConfig", "Role", "Environment",
    "KmsKeyArn", "ReservedConcurrentExecutions", "Tags", "Layers", "FileSystemConfigs", "ImageConfig", "PackageType",
    "Architectures", "SnapStart", "EphemeralStorage", "CodeSigningConfigArn", "RuntimeManagementConfig",
    "LoggingConfig", "TenancyConfig", "RecursiveLoop", "DurableConfig", "CapacityProviderConfig",
    "FunctionScalingConfig", "PublishToLatestPublished",
  ]
  static let globalFunctionProperties = [
    "Handler", "Runtime", "CodeUri", "DeadLetterQueue", "Description", "MemorySize", "Timeout", "VpcConfig",
    "Environment", "Tags", "PropagateTags", "Tracing", "KmsKeyArn", "AutoPublishAlias",
    "AutoPublishAliasAllProperties", "Layers", "DeploymentPreference", "RolePath", "PermissionsBoundary",
    "ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig", "AssumeRolePolicyDocument", "EventInvokeConfig",
    "FileSystemConfigs", "CodeSigningConfigArn", "Architectures", "SnapStart", "EphemeralStorage",
    "FunctionUrlConfig", "RuntimeManagementConfig", "LoggingConfig", "RecursiveLoop", "SourceKMSKeyArn",
    "TenancyConfig", "DurableConfig", "CapacityProviderConfig", "FunctionScalingConfig", "PublishToLatestPublished",
    "VersionDeletionPolicy",
  ]
  static let sqsEventProperties = [
    "BatchSize", "StartingPosition", "StartingPositionTimestamp", "Enabled", "MaximumBatchingWindowInSeconds",
    "MaximumRetryAttempts", "BisectBatchOnFunctionError", "MaximumRecordAgeInSeconds", "DestinationConfig",
    "ParallelizationFactor", "Topics", "Queues", "SourceAccessConfigurations", "SecretsManagerKmsKeyId",
    "TumblingWindowInSeconds", "FunctionResponseTypes", "KafkaBootstrapServers", "FilterCriteria", "KmsKeyArn",
    "ConsumerGroupId", "ScalingConfig", "ProvisionedPollerConfig", "SchemaRegistryConfig", "MetricsConfig",
    "LoggingConfig", "Queue",
  ]
  /// The mapping's properties in the order SAM sets them (`PullEventSource.to_cloudformation`).
  static let mappingOrder = [
    "StartingPosition", "StartingPositionTimestamp", "BatchSize", "Enabled", "MaximumBatchingWindowInSeconds",
    "MaximumRetryAttempts", "BisectBatchOnFunctionError", "MaximumRecordAgeInSeconds", "ParallelizationFactor",
    "Topics", "Queues", "SourceAccessConfigurations", "TumblingWindowInSeconds", "FunctionResponseTypes",
    "FilterCriteria", "KmsKeyArn", "ScalingConfig", "ProvisionedPollerConfig", "MetricsConfig", "LoggingConfig",
    "DestinationConfig",
  ]
  static let snsEventProperties = [
    "Topic", "Region", "FilterPolicy", "FilterPolicyScope", "SqsSubscription", "RedrivePolicy",
  ]
  /// SAM-only function properties fanout leaves out, and why.
  static let samOnly: [String: String] = [
    "Policies": "IAM is not modelled", "PermissionsBoundary": "IAM is not modelled", "RolePath": "IAM is not modelled",
    "AssumeRolePolicyDocument": "IAM is not modelled",
    "AutoPublishAlias": "versions and aliases run the function's code",
    "AutoPublishAliasAllProperties": "versions and aliases run the function's code",
    "AutoPublishCodeSha256": "versions and aliases run the function's code",
    "VersionDescription": "versions run the function's code",
    "VersionDeletionPolicy": "versions run the function's code",
    "DeploymentPreference": "gradual deployments (CodeDeploy) are not modelled",
    "ProvisionedConcurrencyConfig": "provisioned concurrency is not modelled: every new environment starts cold",
    "FunctionUrlConfig": "function URLs are not modelled", "PropagateTags": NotModelled.tags,
    "SourceKMSKeyArn": NotModelled.encryption,
  ]

  func expand(globals: TNode?) {
    var globalFunction: TNode?
    if let g = globals {
      let sections = ["Function", "Api", "HttpApi", "SimpleTable", "StateMachine", "LayerVersion", "CapacityProvider"]
      for x in g.entries ?? [] {
        guard sections.contains(x.key) else {
          var m = "'\(x.key)' is not a supported resource type in the Globals section"
          if let s = suggestion(x.key, sections) { m += " (did you mean '\(s)'?)" }
          log.error(x.value.keyOrPlace, m)
          continue
        }
        if x.key == "Function" {
          globalFunction = x.value
          imp.samOriginals.append(x.value)
        }
      }
      for x in globalFunction?.entries ?? [] where !SAMTransform.globalFunctionProperties.contains(x.key) {
        var m = "'\(x.key)' is not a supported property of 'Function' in the Globals section"
        if let s = suggestion(x.key, SAMTransform.globalFunctionProperties) { m += " (did you mean '\(s)'?)" }
        log.error(x.value.keyOrPlace, m)
      }
    }
    var out: [CFNResource] = []
    for r in imp.t.resources {
      if r.type == "AWS::Serverless::Function" {
        out += function(r, globalFunction)
      } else {
        out.append(r)
      }
    }
    imp.t.resources = []
    imp.t.index = [:]
    // The template's own resources keep their IDs: a generated one that takes an ID is refused.
    let own = Set(out.filter { $0.madeBy == nil }.map(\.id))
    for r in out {
      if imp.t.index[r.id] != nil || (r.madeBy != nil && own.contains(r.id)) {
        // SAM's words (samtranslator's DuplicateLogicalIdException).
        let owner = r.madeBy.map { String($0.dropFirst("Resources.".count).prefix { $0 != "." }) } ?? r.id
        log.error(
          r.node.place,
          "Transforming resource with id [\(owner)] attempts to create a new resource with id [\(r.id)] and type \"\(r.type)\". A resource with that id already exists within this template. Please use a different id for that resource."
        )
        continue
      }
      imp.t.index[r.id] = imp.t.resources.count
      imp.t.resources.append(r)
    }
  }

  // MARK: Building nodes

  func map(_ entries: [(String, TNode)], _ at: Place) -> TNode {
    TNode(.map(entries.map { (key: $0.0, value: $0.1) }), at)
  }
  func str(_ s: String, _ at: Place) -> TNode { TNode(.string(s), at) }
  func ref(_ id: String, _ at: Place) -> TNode { map([("Ref", str(id, at))], at) }
  func getAtt(_ id: String, _ attribute: String, _ at: Place) -> TNode {
    map([("Fn::GetAtt", TNode(.list([str(id, at), str(attribute, at)]), at))], at)
  }

  func resource(
    _ id: String, _ type: String, _ props: [(String, TNode)], _ at: Place, condition: TNode?, madeBy: String
  )
    -> CFNResource
  {
    let p = map(props, at)
    var entries: [(String, TNode)] = [("Type", str(type, at)), ("Properties", p)]
    if let condition { entries.append(("Condition", condition)) }
    return CFNResource(
      id: id, type: type, node: map(entries, at), properties: p, condition: condition?.string, madeBy: madeBy)
  }

  /// SAM's Globals merge: local wins for values, mappings merge key by key, lists append; an
  /// intrinsic function counts as a value.
  func merge(_ global: TNode, _ local: TNode) -> TNode {
    func isIntrinsic(_ n: TNode) -> Bool {
      guard let m = n.entries, m.count == 1, let k = m.first?.key else { return false }
      return k == "Ref" || k == "Condition" || k.hasPrefix("Fn::")
    }
    switch (global.value, local.value) {
    case (.map(let g), .map(let l)) where !isIntrinsic(global) && !isIntrinsic(local):
      var out = g
      for x in l {
        if let i = out.firstIndex(where: { $0.key == x.key }) {
          out[i].value = merge(out[i].value, x.value)
        } else {
          out.append(x)
        }
      }
      return TNode(.map(out), local.place)
    case (.list(let g), .list(let l)): return TNode(.list(g + l), local.place)
    default: return local
    }
  }

  // MARK: The function and its events

  func function(_ r: CFNResource, _ globals: TNode?) -> [CFNResource] {
    let at = r.node.place
    imp.samOriginals.append(r.node)
    var props = r.properties ?? TNode(.map([]), at)
    if let globals { props = merge(globals, props) }
    let madeBy = "Resources.\(r.id)"
    for x in props.entries ?? [] where !SAMTransform.functionProperties.contains(x.key) {
      var m = "property \(x.key) is not defined for resource of type AWS::Serverless::Function"
      if let s = suggestion(x.key, SAMTransform.functionProperties) { m += " (did you mean \(s)?)" }
      log.error(x.value.keyOrPlace, m)
    }
    let condition = r.node["Condition"]
    var fn: [(String, TNode)] = []
    for key in SAMTransform.passThrough {
      if let v = props[key] { fn.append((key, v)) }
    }
    if let inline = props["InlineCode"] {
      fn.append(("Code", map([("ZipFile", inline)], inline.place)))
    } else if let uri = props["CodeUri"] ?? props["ImageUri"] {
      fn.append(("Code", map([(props["ImageUri"] != nil ? "ImageUri" : "S3Key", uri)], uri.place)))
    }
    if let tracing = props["Tracing"] { fn.append(("TracingConfig", map([("Mode", tracing)], tracing.place))) }
    if let dlq = props["DeadLetterQueue"], let target = dlq["TargetArn"] {
      fn.append(("DeadLetterConfig", map([("TargetArn", target)], dlq.place)))
    }
    var out: [CFNResource] = []
    if props["Role"] == nil {
      fn.append(("Role", getAtt(r.id + "Role", "Arn", at)))
      out.append(
        resource(
          r.id + "Role", "AWS::IAM::Role",
          [("ManagedPolicyArns", TNode(.list([]), at))], at, condition: condition, madeBy: madeBy))
    }
    out.insert(resource(r.id, "AWS::Lambda::Function", fn, at, condition: condition, madeBy: madeBy), at: 0)
    var report = ResourceReport(
      origin: imp.origin(at), subject: "Resources.\(r.id) (AWS::Serverless::Function)", outcome: "")
    report.mapped = (props.entries ?? []).map(\.key).filter {
      SAMTransform.passThrough.contains($0)
        || ["InlineCode", "CodeUri", "ImageUri", "Tracing", "DeadLetterQueue", "Events", "EventInvokeConfig"].contains(
          $0)
    }
    for x in props.entries ?? [] {
      if let why = SAMTransform.samOnly[x.key] { report.notModelled.append((x.key, why)) }
    }
    if let eic = props["EventInvokeConfig"] {
      out += eventInvokeConfig(r.id, eic, condition: condition, madeBy: madeBy + ".Properties.EventInvokeConfig")
    }
    let events = (props["Events"]?.entries ?? []).sorted { $0.key < $1.key }
    if let e = props["Events"], e.entries == nil {
      log.error(e.place, "Events is a mapping of event name to {Type, Properties}")
    }
    for (name, ev) in events {
      guard let type = ev["Type"]?.string else {
        log.error(ev.place, "event \(name) of \(r.id) needs a Type")
        continue
      }
      let evProps = ev["Properties"] ?? TNode(.map([]), ev.place)
      let id = r.id + name
      let by = "\(madeBy).Properties.Events.\(name)"
      switch type {
      case "SQS": out += sqsEvent(id, evProps, function: r.id, condition: condition, madeBy: by)
      case "SNS": out += snsEvent(id, evProps, function: r.id, condition: condition, madeBy: by)
      default:
        report.notModelled.append(("Events.\(name) (Type: \(type))", "fanout models SQS and SNS events only"))
      }
    }
    report.outcome = "expanded by the SAM transform into " + out.map { "\($0.id) (\($0.type))" }.joined(separator: ", ")
    imp.p.reports.append(report)
    return out
  }

  /// A function's `EventInvokeConfig`, as SAM expands it: an AWS::Lambda::EventInvokeConfig
  /// `<Function>EventInvokeConfig` (Qualifier `$LATEST`), and for an SQS or SNS destination
  /// without `Destination` the queue `<Function>EventInvokeConfig<OnSuccess|OnFailure>Queue` or
  /// topic `…Topic` SAM creates for it (checked against aws-sam-translator's output).
  func eventInvokeConfig(_ function: String, _ props: TNode, condition: TNode?, madeBy: String) -> [CFNResource] {
    let at = props.place
    var out: [CFNResource] = []
    var cfg: [(String, TNode)] = []
    for x in props.entries ?? []
    where !["MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig"].contains(x.key) {
      log.error(x.value.keyOrPlace, "property \(x.key) is not defined for EventInvokeConfig (\(madeBy))")
    }
    if let d = props["DestinationConfig"] {
      var dest: [(String, TNode)] = []
      for key in ["OnSuccess", "OnFailure"] {
        guard let o = d[key] else { continue }
        let type = o["Type"]?.string ?? ""
        if let target = o["Destination"] {
          dest.append((key, map([("Destination", target)], o.place)))
        } else if type == "SQS" || type == "SNS" {
          let id = function + "EventInvokeConfig" + key + (type == "SQS" ? "Queue" : "Topic")
          out.append(
            resource(
              id, type == "SQS" ? "AWS::SQS::Queue" : "AWS::SNS::Topic", [], o.place, condition: condition,
              madeBy: madeBy))
          let target = type == "SQS" ? getAtt(id, "Arn", o.place) : ref(id, o.place)
          dest.append((key, map([("Destination", target)], o.place)))
        } else {
          log.error(o.place, "a \(key) destination of Type \(type.isEmpty ? "(none)" : type) needs a Destination")
        }
      }
      cfg.append(("DestinationConfig", map(dest, d.place)))
    }
    cfg.append(("FunctionName", ref(function, at)))
    for key in ["MaximumEventAgeInSeconds", "MaximumRetryAttempts"] {
      if let v = props[key] { cfg.append((key, v)) }
    }
    cfg.append(("Qualifier", str("$LATEST", at)))
    out.append(
      resource(
        function + "EventInvokeConfig", "AWS::Lambda::EventInvokeConfig", cfg, at, condition: condition, madeBy: madeBy)
    )
    return out
  }

  func checkKeys(_ props: TNode, _ allowed: [String], _ type: String, _ event: String) {
    for x in props.entries ?? [] where !allowed.contains(x.key) {
      var m = "property \(x.key) is not defined for an event of Type \(type) (\(event))"
      if let s = suggestion(x.key, allowed) { m += " (did you mean \(s)?)" }
      log.error(x.value.keyOrPlace, m)
    }
  }

  func sqsEvent(_ id: String, _ props: TNode, function: String, condition: TNode?, madeBy: String) -> [CFNResource] {
    checkKeys(props, SAMTransform.sqsEventProperties, "SQS", madeBy)
    guard let queue = props["Queue"] else {
      log.error(props.place, "an SQS event needs Queue (the queue's ARN)")
      return []
    }
    var esm: [(String, TNode)] = [("FunctionName", ref(function, props.place)), ("EventSourceArn", queue)]
    for key in SAMTransform.mappingOrder {
      if let v = props[key] { esm.append((key, v)) }
    }
    return [resource(id, "AWS::Lambda::EventSourceMapping", esm, props.place, condition: condition, madeBy: madeBy)]
  }

  func snsEvent(_ id: String, _ props: TNode, function: String, condition: TNode?, madeBy: String) -> [CFNResource] {
    checkKeys(props, SAMTransform.snsEventProperties, "SNS", madeBy)
    guard let topic = props["Topic"] else {
      log.error(props.place, "an SNS event needs Topic (the topic's ARN)")
      return []
    }
    let at = props.place
    func subscription(_ proto: String, _ endpoint: TNode) -> CFNResource {
      var s: [(String, TNode)] = [("Protocol", str(proto, at)), ("Endpoint", endpoint), ("TopicArn", topic)]
      for key in ["Region", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy"] {
        if let v = props[key] { s.append((key, v)) }
      }
      return resource(id, "AWS::SNS::Subscription", s, at, condition: condition, madeBy: madeBy)
    }
    func policy(_ policyID: String, queueArn: TNode, queueURL: TNode) -> CFNResource {
      let statement = map(
        [
          ("Action", str("sqs:SendMessage", at)), ("Effect", str("Allow", at)), ("Principal", str("*", at)),
          ("Resource", queueArn),
          ("Condition", map([("ArnEquals", map([("aws:SourceArn", topic)], at))], at)),
        ], at)
      let doc = map([("Version", str("2012-10-17", at)), ("Statement", TNode(.list([statement]), at))], at)
      return resource(
        policyID, "AWS::SQS::QueuePolicy", [("PolicyDocument", doc), ("Queues", TNode(.list([queueURL]), at))], at,
        condition: condition, madeBy: madeBy)
    }
    func mapping(_ queueArn: TNode, batchSize: TNode?) -> CFNResource {
      resource(
        id + "EventSourceMapping", "AWS::Lambda::EventSourceMapping",
        [
          ("FunctionName", ref(function, at)), ("EventSourceArn", queueArn),
          ("BatchSize", batchSize ?? TNode(.number("10"), at)), ("Enabled", TNode(.bool(true), at)),
        ], at, condition: condition, madeBy: madeBy)
    }
    let sqs = props["SqsSubscription"]
    let enabled: Bool
    switch sqs?.value {
    case .none: enabled = false
    case .bool(let b): enabled = b
    case .map: enabled = true
    default:
      log.error(sqs?.place, "SqsSubscription is true, false, or {QueueArn, QueueUrl, …}")
      return []
    }
    guard enabled, let sqs else {
      let permission = resource(
        id + "Permission", "AWS::Lambda::Permission",
        [
          ("Action", str("lambda:InvokeFunction", at)), ("FunctionName", ref(function, at)),
          ("Principal", str("sns.amazonaws.com", at)), ("SourceArn", topic),
        ], at, condition: condition, madeBy: madeBy)
      return [permission, subscription("lambda", getAtt(function, "Arn", at))]
    }
    if case .bool = sqs.value {
      var queueProps: [(String, TNode)] = []
      if fifoTopic(topic) { queueProps.append(("FifoQueue", TNode(.bool(true), at))) }
      let queueID = id + "Queue"
      let arn = getAtt(queueID, "Arn", at)
      return [
        mapping(arn, batchSize: nil),
        resource(queueID, "AWS::SQS::Queue", queueProps, at, condition: condition, madeBy: madeBy),
        policy(id + "QueuePolicy", queueArn: arn, queueURL: ref(queueID, at)),
        subscription("sqs", arn),
      ]
    }
    let allowed = ["QueueArn", "QueueUrl", "QueuePolicyLogicalId", "BatchSize", "Enabled"]
    for x in sqs.entries ?? [] where !allowed.contains(x.key) {
      var m = "SqsSubscription has no property \(x.key)"
      if let s = suggestion(x.key, allowed) { m += " (did you mean \(s)?)" }
      log.error(x.value.keyOrPlace, m)
    }
    guard let arn = sqs["QueueArn"], let url = sqs["QueueUrl"] else {
      log.error(sqs.place, "No QueueARN or QueueURL provided.")
      return []
    }
    let policyID = sqs["QueuePolicyLogicalId"]?.string ?? id + "QueuePolicy"
    return [
      mapping(arn, batchSize: sqs["BatchSize"]), policy(policyID, queueArn: arn, queueURL: url),
      subscription("sqs", arn),
    ]
  }

  /// SAM's `_check_fifo_topic`: the topic is `!Ref` of a topic of the template whose `FifoTopic`
  /// is truthy (parameters resolved).
  func fifoTopic(_ topic: TNode) -> Bool {
    guard let id = topic["Ref"]?.string, let r = imp.t.resource(id), let f = r.properties?["FifoTopic"] else {
      return false
    }
    switch imp.t.eval(f) {
    case .bool(let b): return b
    case .string(let s): return !s.isEmpty
    case .number(let n): return Double(n) != 0
    default: return false
    }
  }
}
