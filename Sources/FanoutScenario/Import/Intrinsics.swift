import FanoutSim
import Foundation

// MARK: - What CloudFormation computes: parameters, pseudo parameters, conditions, intrinsic functions

/// A value as CloudFormation computes it from a template.
indirect enum CValue: Equatable, Sendable {
  case string(String)
  case number(String)
  case bool(Bool)
  case null
  case list([CValue])
  case map([CMember])
  /// `AWS::NoValue`: the property (or list item) is left out.
  case noValue
  /// A value fanout cannot know without AWS (another stack's export, an SSM parameter, the ARN of
  /// a resource it does not model), and why.
  case unknown(String)

  /// The text CloudFormation would put in a string property.
  var text: String? {
    switch self {
    case .string(let s), .number(let s): return s
    case .bool(let b): return b ? "true" : "false"
    default: return nil
    }
  }

  var members: [CMember]? {
    if case .map(let m) = self { return m }
    return nil
  }
  subscript(key: String) -> CValue? { members?.first { $0.key == key }?.value }

  /// JSON text, for a Json-typed property given as an object (or a list).
  var json: String? {
    switch self {
    case .string(let s): return jsonString(s)
    case .number(let n):
      if isJSONNumber(n) { return n }
      if let d = Double(n.replacingOccurrences(of: "_", with: "")), d.isFinite { return formatJSONNumber(d) }
      return jsonString(n)
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    case .list(let items):
      var parts: [String] = []
      for i in items where i != .noValue {
        guard let j = i.json else { return nil }
        parts.append(j)
      }
      return "[" + parts.joined(separator: ", ") + "]"
    case .map(let m):
      var parts: [String] = []
      for x in m where x.value != .noValue {
        guard let j = x.value.json else { return nil }
        parts.append(jsonString(x.key) + ": " + j)
      }
      return "{" + parts.joined(separator: ", ") + "}"
    case .noValue, .unknown: return nil
    }
  }

  /// The first unknown value inside, if any, with why it is unknown.
  var unknownReason: String? {
    switch self {
    case .unknown(let why): return why
    case .list(let items): return items.lazy.compactMap(\.unknownReason).first
    case .map(let m): return m.lazy.compactMap(\.value.unknownReason).first
    default: return nil
    }
  }

  /// A Json-typed property: an object as given, or a string holding JSON.
  var jsonDocument: CValue? {
    if case .string(let s) = self {
      guard let v = JSONValue.parse(s) else { return nil }
      return CValue(v)
    }
    return self
  }

  init(_ v: JSONValue) {
    switch v {
    case .null: self = .null
    case .bool(let b): self = .bool(b)
    case .number(let d): self = .number(formatJSONNumber(d))
    case .string(let s): self = .string(s)
    case .array(let a): self = .list(a.map(CValue.init))
    case .object(let m): self = .map(m.map { CMember(key: $0.0, value: CValue($0.1)) })
    }
  }
}

struct CMember: Equatable, Sendable {
  var key: String
  var value: CValue
}

/// A resource of the template, as written (or as the SAM transform wrote it).
struct CFNResource {
  var id: String
  var type: String
  /// The whole resource entry.
  var node: TNode
  var properties: TNode?
  var condition: String?
  /// Set for a resource the SAM transform made: the SAM resource (and event) it came from.
  var madeBy: String?
}

/// A template being imported: its resources, parameters, mappings and conditions, and the
/// evaluation of intrinsic functions against them.
final class CFNTemplate {
  let log: ImportLog
  var resources: [CFNResource] = []
  var index: [String: Int] = [:]
  var parameters: [String: CValue] = [:]
  var parameterNodes: [String: TNode] = [:]
  var mappings: TNode?
  var conditionNodes: [String: TNode] = [:]
  private var conditionValues: [String: Bool] = [:]
  private var conditionsEvaluating: Set<String> = []
  var region = "us-east-1"
  var account = "123456789012"
  var stackName = "fanout"
  private var names: [String: String] = [:]
  private var naming: Set<String> = []

  init(log: ImportLog) { self.log = log }

  var partition: String {
    region.hasPrefix("cn-") ? "aws-cn" : region.hasPrefix("us-gov-") ? "aws-us-gov" : "aws"
  }

  func resource(_ id: String) -> CFNResource? { index[id].map { resources[$0] } }

  // MARK: Pseudo parameters

  static let pseudoParameters = [
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackId",
    "AWS::StackName", "AWS::URLSuffix",
  ]

  func pseudo(_ name: String) -> CValue? {
    switch name {
    case "AWS::AccountId": return .string(account)
    case "AWS::Region": return .string(region)
    case "AWS::StackName": return .string(stackName)
    case "AWS::StackId":
      return .string("arn:\(partition):cloudformation:\(region):\(account):stack/\(stackName)/fanout")
    case "AWS::Partition": return .string(partition)
    case "AWS::URLSuffix": return .string(region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com")
    case "AWS::NotificationARNs": return .list([])
    case "AWS::NoValue": return .noValue
    default: return nil
    }
  }

  // MARK: What a resource is called, and what Ref and Fn::GetAtt give

  /// The property that names a resource of each modelled type.
  static let nameProperty = [
    "AWS::SQS::Queue": "QueueName", "AWS::SNS::Topic": "TopicName", "AWS::Lambda::Function": "FunctionName",
    "AWS::S3::Bucket": "BucketName", "AWS::Lambda::Alias": "Name",
  ]

  /// Fn::GetAtt's attributes of each modelled type.
  static let attributes = [
    "AWS::SQS::Queue": ["Arn", "QueueName", "QueueUrl"],
    "AWS::SNS::Topic": ["TopicArn", "TopicName"],
    "AWS::Lambda::Function": ["Arn", "SnapStartResponse.ApplyOn", "SnapStartResponse.OptimizationStatus"],
    "AWS::S3::Bucket": ["Arn", "DomainName", "DualStackDomainName", "RegionalDomainName", "WebsiteURL"],
    "AWS::SNS::Subscription": ["Arn"],
    "AWS::SQS::QueuePolicy": ["Id"],
    "AWS::Lambda::EventSourceMapping": ["EventSourceMappingArn", "Id"],
    "AWS::Lambda::Alias": ["AliasArn"],
  ]

  /// A resource's name: its naming property when the template gives one, else its logical ID.
  func name(of id: String) -> String? {
    if let n = names[id] { return n }
    guard let r = resource(id) else { return nil }
    guard let key = CFNTemplate.nameProperty[r.type], let node = r.properties?[key] else {
      names[id] = id
      return id
    }
    guard !naming.contains(id) else {
      log.error(node.place, "\(key) of \(id) depends on itself")
      return nil
    }
    naming.insert(id)
    defer { naming.remove(id) }
    guard let v = eval(node) else { return nil }
    if v == .noValue {
      names[id] = id
      return id
    }
    guard let text = v.text, !text.isEmpty else {
      log.error(node.place, "\(key) must be a string, found \(describe(v))")
      return nil
    }
    names[id] = text
    return text
  }

  func describe(_ v: CValue) -> String {
    switch v {
    case .string(let s): return "'\(s)'"
    case .number(let n): return n
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    case .list: return "a list"
    case .map: return "a mapping"
    case .noValue: return "AWS::NoValue"
    case .unknown(let why): return "a value fanout cannot know (\(why))"
    }
  }

  func queueURL(_ name: String) -> String { "https://sqs.\(region).amazonaws.com/\(account)/\(name)" }
  func queueArn(_ name: String) -> String { "arn:\(partition):sqs:\(region):\(account):\(name)" }
  func topicArn(_ name: String) -> String { "arn:\(partition):sns:\(region):\(account):\(name)" }
  func functionArn(_ name: String) -> String { "arn:\(partition):lambda:\(region):\(account):function:\(name)" }

  /// What `Ref` of a resource gives.
  func ref(_ id: String, at place: Place) -> CValue? {
    guard let r = resource(id) else { return nil }
    switch r.type {
    case "AWS::SQS::Queue": return name(of: id).map { .string(queueURL($0)) }
    case "AWS::SNS::Topic": return name(of: id).map { .string(topicArn($0)) }
    case "AWS::Lambda::Function", "AWS::S3::Bucket": return name(of: id).map { .string($0) }
    case "AWS::Lambda::Alias": return getAtt(id, "AliasArn", at: place)
    case "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy": return .string(id)
    default: return .unknown("Ref of \(id), a \(r.type), which fanout does not model")
    }
  }

  /// What `Fn::GetAtt` of a resource's attribute gives.
  func getAtt(_ id: String, _ attribute: String, at place: Place) -> CValue? {
    guard let r = resource(id) else { return nil }
    switch (r.type, attribute) {
    case ("AWS::SQS::Queue", "Arn"): return name(of: id).map { .string(queueArn($0)) }
    case ("AWS::SQS::Queue", "QueueName"): return name(of: id).map { .string($0) }
    case ("AWS::SQS::Queue", "QueueUrl"): return name(of: id).map { .string(queueURL($0)) }
    case ("AWS::SNS::Topic", "TopicArn"): return name(of: id).map { .string(topicArn($0)) }
    case ("AWS::SNS::Topic", "TopicName"): return name(of: id).map { .string($0) }
    case ("AWS::Lambda::Function", "Arn"): return name(of: id).map { .string(functionArn($0)) }
    case ("AWS::S3::Bucket", "Arn"): return name(of: id).map { .string("arn:\(partition):s3:::\($0)") }
    case ("AWS::S3::Bucket", "DomainName"): return name(of: id).map { .string("\($0).s3.amazonaws.com") }
    case ("AWS::S3::Bucket", "RegionalDomainName"):
      return name(of: id).map { .string("\($0).s3.\(region).amazonaws.com") }
    case ("AWS::Lambda::Alias", "AliasArn"):
      guard let alias = name(of: id), let fnNode = r.properties?["FunctionName"], let fn = eval(fnNode)?.text else {
        return .unknown("the alias \(id) names no function")
      }
      let function = fn.hasPrefix("arn:") ? String(fn.split(separator: ":").last ?? "") : fn
      return .string(functionArn(function) + ":" + alias)
    case ("AWS::IAM::Role", "Arn"): return .string("arn:\(partition):iam::\(account):role/\(id)")
    default: return .unknown("Fn::GetAtt \(id).\(attribute), which fanout does not know")
    }
  }

  // MARK: References, checked before anything is evaluated

  /// Every `Ref`, `Fn::GetAtt`, `Fn::Sub` variable, `DependsOn` and condition name must name
  /// something of the template: the first problem CloudFormation reports, located, with a
  /// did-you-mean.
  func checkReferences(_ node: TNode, inCondition: Bool = false) {
    switch node.value {
    case .list(let items): for i in items { checkReferences(i, inCondition: inCondition) }
    case .map(let m):
      if m.count == 1, let (k, v) = m.first.map({ ($0.key, $0.value) }) {
        switch k {
        case "Ref":
          if let name = v.string { checkRef(name, v.place) } else { log.error(v.place, "Ref takes a name") }
          return
        case "Fn::GetAtt":
          checkGetAtt(v)
          return
        case "Fn::Sub":
          checkSub(v)
          return
        case "Condition" where inCondition:
          if let name = v.string { checkCondition(name, v.place) }
          return
        case "Fn::If":
          if let items = v.items, let c = items.first?.string, let first = items.first {
            checkCondition(c, first.place)
          }
          for i in (v.items ?? []).dropFirst() { checkReferences(i) }
          return
        case "Fn::And", "Fn::Or", "Fn::Not":
          for i in v.items ?? [] { checkReferences(i, inCondition: true) }
          return
        case "Fn::FindInMap":
          if let map = v.items?.first, let name = map.string {
            let known = mappings?.entries?.map(\.key) ?? []
            if !known.contains(name) {
              var m = "Fn::FindInMap names the mapping '\(name)', which the template's Mappings do not have"
              if let s = suggestion(name, known) { m += " (did you mean '\(s)'?)" }
              log.error(map.place, m)
            }
          }
        default: break
        }
      }
      for x in m { checkReferences(x.value, inCondition: inCondition) }
    default: break
    }
  }

  private func known() -> [String] { resources.map(\.id) + parameterNodes.keys.sorted() }

  func checkRef(_ name: String, _ place: Place) {
    if index[name] != nil || parameterNodes[name] != nil || CFNTemplate.pseudoParameters.contains(name) { return }
    var m = "!Ref '\(name)': no resource, parameter or pseudo parameter of the template has that name"
    if let s = suggestion(name, known() + CFNTemplate.pseudoParameters) { m += " (did you mean '\(s)'?)" }
    log.error(place, m)
  }

  /// The resource and attribute of a `Fn::GetAtt`, as `[A, B]` or `"A.B"`.
  func getAttParts(_ v: TNode) -> (String, String, Place)? {
    if let s = v.string {
      guard let dot = s.firstIndex(of: ".") else { return nil }
      return (String(s[..<dot]), String(s[s.index(after: dot)...]), v.place)
    }
    guard let items = v.items, items.count == 2, let a = items[0].string else { return nil }
    if let b = items[1].string { return (a, b, items[0].place) }
    return (a, "", items[0].place)
  }

  func checkGetAtt(_ v: TNode) {
    guard let (id, attribute, place) = getAttParts(v) else {
      log.error(v.place, "Fn::GetAtt takes [LogicalId, Attribute] or 'LogicalId.Attribute'")
      return
    }
    checkAttribute(id, attribute, place, form: "!GetAtt")
    if let items = v.items, items.count == 2, items[1].string == nil { checkReferences(items[1]) }
  }

  func checkAttribute(_ id: String, _ attribute: String, _ place: Place, form: String) {
    guard let r = resource(id) else {
      var m = "\(form) '\(id).\(attribute)': the template has no resource '\(id)'"
      if let s = suggestion(id, resources.map(\.id)) { m += " (did you mean '\(s)'?)" }
      log.error(place, m)
      return
    }
    guard !attribute.isEmpty, let attrs = CFNTemplate.attributes[r.type], !attrs.contains(attribute) else { return }
    var m = "\(form) '\(id).\(attribute)': \(id) is a \(r.type), which has no attribute '\(attribute)'"
    if let s = suggestion(attribute, attrs) { m += " (did you mean '\(s)'?)" }
    log.error(place, m + "; its attributes: " + attrs.joined(separator: ", "))
  }

  func checkSub(_ v: TNode) {
    var text = v.string
    var vars: [String] = []
    if let items = v.items, items.count == 2, let s = items[0].string {
      text = s
      vars = items[1].entries?.map(\.key) ?? []
      checkReferences(items[1])
    }
    guard let text else {
      log.error(v.place, "Fn::Sub takes a string, or [string, {variables}]")
      return
    }
    for name in subVariables(text) where !vars.contains(name) {
      if let dot = name.firstIndex(of: "."), !name.hasPrefix("AWS::") {
        checkAttribute(String(name[..<dot]), String(name[name.index(after: dot)...]), v.place, form: "!Sub ${…}")
      } else {
        checkRef(name, v.place)
      }
    }
  }

  func checkCondition(_ name: String, _ place: Place) {
    guard conditionNodes[name] == nil else { return }
    var m = "the template's Conditions have no condition '\(name)'"
    if let s = suggestion(name, conditionNodes.keys.sorted()) { m += " (did you mean '\(s)'?)" }
    log.error(place, m)
  }

  // MARK: Conditions

  func condition(_ name: String, at place: Place) -> Bool? {
    if let v = conditionValues[name] { return v }
    guard let node = conditionNodes[name] else {
      checkCondition(name, place)
      return nil
    }
    guard !conditionsEvaluating.contains(name) else {
      log.error(node.place, "condition '\(name)' depends on itself")
      return nil
    }
    conditionsEvaluating.insert(name)
    defer { conditionsEvaluating.remove(name) }
    guard let v = conditionValue(node) else { return nil }
    conditionValues[name] = v
    return v
  }

  /// A condition function: Fn::Equals, Fn::And, Fn::Or, Fn::Not, or {Condition: name}.
  func conditionValue(_ node: TNode) -> Bool? {
    guard let m = node.entries, m.count == 1, let (k, v) = m.first.map({ ($0.key, $0.value) }) else {
      log.error(node.place, "a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or {Condition: name}")
      return nil
    }
    switch k {
    case "Condition":
      guard let name = v.string else {
        log.error(v.place, "Condition takes a condition's name")
        return nil
      }
      return condition(name, at: v.place)
    case "Fn::Equals":
      guard let items = v.items, items.count == 2 else {
        log.error(v.place, "Fn::Equals takes two values")
        return nil
      }
      guard let a = eval(items[0]), let b = eval(items[1]) else { return nil }
      if let why = a.unknownReason ?? b.unknownReason {
        log.error(v.place, "Fn::Equals compares a value fanout cannot know (\(why))")
        return nil
      }
      return (a.text ?? a.json) == (b.text ?? b.json)
    case "Fn::And", "Fn::Or":
      guard let items = v.items, (2...10).contains(items.count) else {
        log.error(v.place, "\(k) takes from 2 to 10 conditions")
        return nil
      }
      var values: [Bool] = []
      for i in items {
        guard let b = conditionValue(i) else { return nil }
        values.append(b)
      }
      return k == "Fn::And" ? values.allSatisfy { $0 } : values.contains(true)
    case "Fn::Not":
      guard let items = v.items, items.count == 1 else {
        log.error(v.place, "Fn::Not takes a list of one condition")
        return nil
      }
      return conditionValue(items[0]).map { !$0 }
    default:
      log.error(node.place, "\(k) is not a condition function: use Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition")
      return nil
    }
  }

  // MARK: Evaluation

  /// The value CloudFormation computes for a node, or nil after reporting why it cannot.
  func eval(_ node: TNode) -> CValue? {
    switch node.value {
    case .string(let s): return .string(s)
    case .number(let n): return .number(n)
    case .bool(let b): return .bool(b)
    case .null: return .null
    case .list(let items):
      var out: [CValue] = []
      for i in items {
        guard let v = eval(i) else { return nil }
        if v != .noValue { out.append(v) }
      }
      return .list(out)
    case .map(let m):
      if m.count == 1, let f = m.first, f.key == "Ref" || f.key.hasPrefix("Fn::") {
        return function(f.key, f.value, node.place)
      }
      var out: [CMember] = []
      for x in m {
        guard let v = eval(x.value) else { return nil }
        if v != .noValue { out.append(CMember(key: x.key, value: v)) }
      }
      return .map(out)
    }
  }

  private func function(_ name: String, _ arg: TNode, _ place: Place) -> CValue? {
    switch name {
    case "Ref":
      guard let n = arg.string else {
        log.error(arg.place, "Ref takes a name")
        return nil
      }
      if let p = parameters[n] { return p }
      if let p = pseudo(n) { return p }
      if let v = ref(n, at: arg.place) { return v }
      checkRef(n, arg.place)
      return nil
    case "Fn::GetAtt":
      guard let (id, attribute, p) = getAttParts(arg) else {
        log.error(arg.place, "Fn::GetAtt takes [LogicalId, Attribute] or 'LogicalId.Attribute'")
        return nil
      }
      var attr = attribute
      if let items = arg.items, items.count == 2, items[1].string == nil {
        guard let a = eval(items[1])?.text else { return nil }
        attr = a
      }
      guard resource(id) != nil else {
        checkAttribute(id, attr, p, form: "!GetAtt")
        return nil
      }
      return getAtt(id, attr, at: p)
    case "Fn::Sub": return sub(arg)
    case "Fn::Join":
      guard let items = arg.items, items.count == 2, let sep = eval(items[0])?.text else {
        log.error(arg.place, "Fn::Join takes [delimiter, [values]]")
        return nil
      }
      guard let list = eval(items[1]) else { return nil }
      guard case .list(let values) = list else {
        log.error(items[1].place, "Fn::Join joins a list, found \(describe(list))")
        return nil
      }
      var parts: [String] = []
      for v in values {
        if case .unknown = v { return v }
        guard let t = v.text else {
          log.error(items[1].place, "Fn::Join joins strings, found \(describe(v))")
          return nil
        }
        parts.append(t)
      }
      return .string(parts.joined(separator: sep))
    case "Fn::Select":
      guard let items = arg.items, items.count == 2, let i = eval(items[0])?.text.flatMap({ Int($0) }) else {
        log.error(arg.place, "Fn::Select takes [index, [values]]")
        return nil
      }
      guard let list = eval(items[1]) else { return nil }
      if case .unknown = list { return list }
      guard case .list(let values) = list, values.indices.contains(i) else {
        log.error(arg.place, "Fn::Select: index \(i) is outside the list")
        return nil
      }
      return values[i]
    case "Fn::Split":
      guard let items = arg.items, items.count == 2, let sep = eval(items[0])?.text, !sep.isEmpty else {
        log.error(arg.place, "Fn::Split takes [delimiter, string]")
        return nil
      }
      guard let s = eval(items[1]) else { return nil }
      if case .unknown = s { return s }
      guard let t = s.text else {
        log.error(items[1].place, "Fn::Split splits a string, found \(describe(s))")
        return nil
      }
      return .list(t.components(separatedBy: sep).map { .string($0) })
    case "Fn::If":
      guard let items = arg.items, items.count == 3, let c = items[0].string else {
        log.error(arg.place, "Fn::If takes [condition, value if true, value if false]")
        return nil
      }
      guard let b = condition(c, at: items[0].place) else { return nil }
      return eval(b ? items[1] : items[2])
    case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
      return conditionValue(TNode(.map([(name, arg)]), place)).map { .bool($0) }
    case "Fn::FindInMap":
      guard let items = arg.items, items.count == 3 else {
        log.error(arg.place, "Fn::FindInMap takes [map, top-level key, second-level key]")
        return nil
      }
      var keys: [String] = []
      for i in items {
        guard let v = eval(i) else { return nil }
        if case .unknown = v { return v }
        guard let t = v.text else {
          log.error(i.place, "Fn::FindInMap's keys are strings, found \(describe(v))")
          return nil
        }
        keys.append(t)
      }
      guard let map = mappings?[keys[0]] else {
        log.error(items[0].place, "Fn::FindInMap: the template's Mappings have no map '\(keys[0])'")
        return nil
      }
      guard let top = map[keys[1]] else {
        var m = "Fn::FindInMap: \(keys[0]) has no key '\(keys[1])'"
        if let s = suggestion(keys[1], map.entries?.map(\.key) ?? []) { m += " (did you mean '\(s)'?)" }
        log.error(items[1].place, m)
        return nil
      }
      guard let value = top[keys[2]] else {
        var m = "Fn::FindInMap: \(keys[0]).\(keys[1]) has no key '\(keys[2])'"
        if let s = suggestion(keys[2], top.entries?.map(\.key) ?? []) { m += " (did you mean '\(s)'?)" }
        log.error(items[2].place, m)
        return nil
      }
      return eval(value)
    case "Fn::Base64":
      guard let v = eval(arg) else { return nil }
      if case .unknown = v { return v }
      guard let t = v.text else {
        log.error(arg.place, "Fn::Base64 encodes a string")
        return nil
      }
      return .string(Data(t.utf8).base64EncodedString())
    case "Fn::GetAZs": return .unknown("Fn::GetAZs: the Availability Zones of an account")
    case "Fn::ImportValue": return .unknown("Fn::ImportValue: a value exported by another stack")
    case "Fn::Cidr": return .unknown("Fn::Cidr")
    default:
      var m = "unknown intrinsic function \(name)"
      let functions = [
        "Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::If", "Fn::Equals", "Fn::And",
        "Fn::Or", "Fn::Not", "Fn::FindInMap", "Fn::Base64", "Fn::GetAZs", "Fn::ImportValue", "Fn::Cidr",
      ]
      if let s = suggestion(name, functions) { m += " (did you mean \(s)?)" }
      log.error(place, m + " (fanout reads the template without transforms other than SAM's)")
      return nil
    }
  }

  /// Fn::Sub: `${Name}` and `${Resource.Attribute}` replaced, `${!Literal}` kept as `${Literal}`.
  private func sub(_ arg: TNode) -> CValue? {
    var text: String
    var vars: [String: CValue] = [:]
    if let s = arg.string {
      text = s
    } else if let items = arg.items, items.count == 2, let s = items[0].string, let m = items[1].entries {
      text = s
      for x in m {
        guard let v = eval(x.value) else { return nil }
        vars[x.key] = v
      }
    } else {
      log.error(arg.place, "Fn::Sub takes a string, or [string, {variables}]")
      return nil
    }
    var out = ""
    var rest = Substring(text)
    while let open = rest.range(of: "${") {
      out += rest[..<open.lowerBound]
      let after = rest[open.upperBound...]
      guard let close = after.firstIndex(of: "}") else {
        out += rest[open.lowerBound...]
        rest = ""
        break
      }
      let name = String(after[..<close])
      rest = after[after.index(after: close)...]
      if name.hasPrefix("!") {
        out += "${" + name.dropFirst() + "}"
        continue
      }
      let value: CValue?
      if let v = vars[name] {
        value = v
      } else if let p = parameters[name] {
        value = p
      } else if let p = pseudo(name) {
        value = p
      } else if let dot = name.firstIndex(of: "."), resource(String(name[..<dot])) != nil {
        value = getAtt(String(name[..<dot]), String(name[name.index(after: dot)...]), at: arg.place)
      } else if resource(name) != nil {
        value = ref(name, at: arg.place)
      } else {
        if let dot = name.firstIndex(of: ".") {
          checkAttribute(String(name[..<dot]), String(name[name.index(after: dot)...]), arg.place, form: "!Sub ${…}")
        } else {
          checkRef(name, arg.place)
        }
        return nil
      }
      guard let value else { return nil }
      if case .unknown = value { return value }
      if case .list(let items) = value {
        out += items.compactMap(\.text).joined(separator: ",")
        continue
      }
      guard let t = value.text else {
        log.error(arg.place, "Fn::Sub: ${\(name)} is \(describe(value)), not a string")
        return nil
      }
      out += t
    }
    out += rest
    return .string(out)
  }
}

/// The variables `${…}` of a Fn::Sub string (not the `${!…}` literals).
func subVariables(_ text: String) -> [String] {
  var out: [String] = []
  var rest = Substring(text)
  while let open = rest.range(of: "${") {
    let after = rest[open.upperBound...]
    guard let close = after.firstIndex(of: "}") else { break }
    let name = String(after[..<close])
    if !name.hasPrefix("!") { out.append(name.trimmingCharacters(in: .whitespaces)) }
    rest = after[after.index(after: close)...]
  }
  return out
}
