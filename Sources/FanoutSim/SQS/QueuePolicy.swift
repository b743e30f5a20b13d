// MARK: - A queue's access policy, as SNS delivery meets it

/// An SQS queue's `Policy` attribute, read as far as an SNS delivery needs it: may
/// `sns.amazonaws.com`, sending for a topic, call `sqs:SendMessage` on this queue?
///
/// SNS delivers to a queue only when the queue's policy lets it: the SQS console adds a statement
/// allowing the topic when it subscribes a queue ("Subscribing to an Amazon SNS topic adds one such
/// statement",
/// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-subscribe-queue-sns-topic.html),
/// and a template must write one (SAM's `SqsSubscription` writes `sqs:SendMessage` for `*` with
/// `ArnEquals aws:SourceArn` the topic). A delivery
/// the policy does not allow is a client-side error, which SNS does not retry and discards
/// (https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html); its delivery status
/// reads `AccessDenied`, `Access to the resource https://sqs…/<queue> is denied.`, status 403,
/// one attempt (https://github.com/MassTransit/MassTransit/issues/1525).
///
/// Evaluation follows IAM's logic
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
/// an explicit Deny wins, else an Allow that matches allows, else the request is implicitly
/// denied. A statement matches when its principal, action, resource and every condition do.
/// The request SNS makes has principal `sns.amazonaws.com`, action `sqs:SendMessage`, resource
/// the queue's ARN, and the context keys `aws:SourceArn` (the topic's ARN) and
/// `aws:SourceAccount` (the topic owner's account); any other key is absent. Condition operators
/// treat an absent key as IAM does
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
/// false, except for a negated operator (`StringNotEquals`, `ArnNotLike`, …: true), `…IfExists`
/// (true) and `Null` (which tests presence).
public struct QueuePolicy: Sendable, Equatable {
  /// The policy document as given (JSON), or nil for a queue without a policy.
  public let document: String?
  let statements: [Statement]

  /// A queue without a policy (AWS's default for a new queue): only its owner may use it, so
  /// every SNS delivery to it is denied.
  public static let none = QueuePolicy(document: nil, statements: [])

  init(document: String?, statements: [Statement]) {
    self.document = document
    self.statements = statements
  }

  public static func == (a: QueuePolicy, b: QueuePolicy) -> Bool { a.document == b.document }

  /// Parses a policy document; refuses one SQS would not store, with the reason.
  public init(json: String) throws(QueuePolicyError) {
    guard let v = JSONValue.parse(json) else { throw .invalid("the policy is not valid JSON") }
    guard case .object(let top) = v else { throw .invalid("a policy is a JSON object") }
    guard let st = v["Statement"] else { throw .invalid("the policy has no Statement") }
    for (k, _) in top where !["Version", "Id", "Statement"].contains(k) {
      throw .invalid("unknown policy element \(k)")
    }
    let items: [JSONValue]
    switch st {
    case .array(let a): items = a
    case .object: items = [st]
    default: throw .invalid("Statement is a statement or a list of statements")
    }
    var out: [Statement] = []
    for (i, item) in items.enumerated() { out.append(try Statement(item, index: i)) }
    self.init(document: json, statements: out)
  }

  /// What IAM decides for SNS's SendMessage to `queueArn` on behalf of `topicArn`.
  public func decision(topicArn: String, topicAccount: String, queueArn: String) -> Decision {
    let context: [String: String] = ["aws:sourcearn": topicArn, "aws:sourceaccount": topicAccount]
    var allowed = false
    for s in statements where s.matches(queueArn: queueArn, context: context) {
      if s.effect == .deny { return .explicitDeny }
      allowed = true
    }
    return allowed ? .allowed : .implicitDeny
  }

  /// Whether SNS, delivering for `topicArn`, may send to `queueArn`.
  public func allowsSNS(topicArn: String, topicAccount: String, queueArn: String) -> Bool {
    decision(topicArn: topicArn, topicAccount: topicAccount, queueArn: queueArn) == .allowed
  }

  /// IAM's three outcomes.
  public enum Decision: Sendable, Equatable {
    case allowed
    /// No statement allows the request.
    case implicitDeny
    /// A Deny statement matches.
    case explicitDeny
  }
}

/// A policy SQS would not accept: `Invalid value for the parameter Policy.` and why.
public struct QueuePolicyError: Error, Equatable, CustomStringConvertible {
  public var reason: String
  static func invalid(_ r: String) -> QueuePolicyError { QueuePolicyError(reason: r) }
  public var description: String { "Invalid value for the parameter Policy. Reason: \(reason)." }
}

/// One statement of a policy.
struct Statement: Sendable {
  enum Effect: Sendable { case allow, deny }
  /// A list of patterns, or its negation (`NotPrincipal`, `NotAction`, `NotResource`).
  struct Patterns: Sendable {
    var negated: Bool
    var values: [String]
  }
  var effect: Effect
  /// Whether the principal names SNS (`*`, `{"AWS": "*"}`, `{"Service": "sns.amazonaws.com"}`).
  var principalMatchesSNS: Bool
  var action: Patterns
  /// nil: no Resource element (the policy is the queue's own, so it applies to the queue).
  var resource: Patterns?
  var conditions: [ConditionTest]

  init(_ v: JSONValue, index i: Int) throws(QueuePolicyError) {
    let at = "Statement[\(i)]"
    guard case .object(let members) = v else { throw .invalid("\(at) is not an object") }
    let known = [
      "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
    ]
    for (k, _) in members where !known.contains(k) { throw .invalid("\(at) has an unknown element \(k)") }
    switch v["Effect"]?.stringValue {
    case "Allow": effect = .allow
    case "Deny": effect = .deny
    default: throw .invalid("\(at).Effect is Allow or Deny")
    }
    switch (v["Principal"], v["NotPrincipal"]) {
    case (let p?, nil): principalMatchesSNS = try Statement.namesSNS(p, at + ".Principal")
    case (nil, let p?): principalMatchesSNS = try !Statement.namesSNS(p, at + ".NotPrincipal")
    default: throw .invalid("\(at) needs exactly one of Principal and NotPrincipal")
    }
    switch (v["Action"], v["NotAction"]) {
    case (let a?, nil): action = Patterns(negated: false, values: try Statement.strings(a, at + ".Action"))
    case (nil, let a?): action = Patterns(negated: true, values: try Statement.strings(a, at + ".NotAction"))
    default: throw .invalid("\(at) needs exactly one of Action and NotAction")
    }
    switch (v["Resource"], v["NotResource"]) {
    case (let r?, nil): resource = Patterns(negated: false, values: try Statement.strings(r, at + ".Resource"))
    case (nil, let r?): resource = Patterns(negated: true, values: try Statement.strings(r, at + ".NotResource"))
    case (nil, nil): resource = nil
    default: throw .invalid("\(at) has both Resource and NotResource")
    }
    conditions = []
    if let c = v["Condition"] {
      guard case .object(let ops) = c else { throw .invalid("\(at).Condition is an object") }
      for (op, body) in ops {
        guard case .object(let keys) = body else { throw .invalid("\(at).Condition.\(op) is an object") }
        for (key, values) in keys {
          conditions.append(try ConditionTest(op, key: key, values: Statement.strings(values, "\(at).Condition.\(op)")))
        }
      }
    }
  }

  static func strings(_ v: JSONValue, _ at: String) throws(QueuePolicyError) -> [String] {
    func one(_ x: JSONValue) throws(QueuePolicyError) -> String {
      switch x {
      case .string(let s): return s
      case .number(let d): return formatJSONNumber(d)
      case .bool(let b): return b ? "true" : "false"
      default: throw .invalid("\(at) holds strings")
      }
    }
    if case .array(let items) = v {
      var out: [String] = []
      for x in items { out.append(try one(x)) }
      return out
    }
    return [try one(v)]
  }

  static func namesSNS(_ p: JSONValue, _ at: String) throws(QueuePolicyError) -> Bool {
    if case .string(let s) = p {
      guard s == "*" else { throw .invalid("\(at) is \"*\" or an object such as {\"Service\": …}") }
      return true
    }
    guard case .object(let members) = p else { throw .invalid("\(at) is \"*\" or an object") }
    var names = false
    for (kind, value) in members {
      let ids = try strings(value, at + "." + kind)
      switch kind {
      case "AWS": if ids.contains("*") { names = true }
      case "Service": if ids.contains(where: { $0.lowercased() == "sns.amazonaws.com" }) { names = true }
      case "Federated", "CanonicalUser": break
      default: throw .invalid("\(at) has an unknown principal type \(kind)")
      }
    }
    return names
  }

  func matches(queueArn: String, context: [String: String]) -> Bool {
    guard principalMatchesSNS else { return false }
    let a = action.values.contains { wildcardMatch($0.lowercased(), "sqs:sendmessage") }
    guard a != action.negated else { return false }
    if let resource {
      let r = resource.values.contains { wildcardMatch($0, queueArn) }
      guard r != resource.negated else { return false }
    }
    return conditions.allSatisfy { $0.holds(context) }
  }
}

/// One key of one condition operator: `"ArnEquals": {"aws:SourceArn": [values]}`.
struct ConditionTest: Sendable {
  enum Family: Sendable { case string, stringIgnoreCase, stringLike, arn, null, other }
  var family: Family
  var negated: Bool
  var ifExists: Bool
  /// ForAllValues: true when the key is absent; over one value it is the plain test.
  var forAllValues: Bool
  /// Lower-cased (condition keys are case-insensitive).
  var key: String
  var values: [String]

  static let known: [String: (Family, Bool)] = [
    "StringEquals": (.string, false), "StringNotEquals": (.string, true),
    "StringEqualsIgnoreCase": (.stringIgnoreCase, false), "StringNotEqualsIgnoreCase": (.stringIgnoreCase, true),
    "StringLike": (.stringLike, false), "StringNotLike": (.stringLike, true),
    "ArnEquals": (.arn, false), "ArnLike": (.arn, false), "ArnNotEquals": (.arn, true), "ArnNotLike": (.arn, true),
    "NumericEquals": (.other, false), "NumericNotEquals": (.other, true), "NumericLessThan": (.other, false),
    "NumericLessThanEquals": (.other, false), "NumericGreaterThan": (.other, false),
    "NumericGreaterThanEquals": (.other, false), "DateEquals": (.other, false), "DateNotEquals": (.other, true),
    "DateLessThan": (.other, false), "DateLessThanEquals": (.other, false), "DateGreaterThan": (.other, false),
    "DateGreaterThanEquals": (.other, false), "Bool": (.other, false), "BinaryEquals": (.other, false),
    "IpAddress": (.other, false), "NotIpAddress": (.other, true), "Null": (.null, false),
  ]

  init(_ op: String, key: String, values: [String]) throws(QueuePolicyError) {
    var name = op
    forAllValues = false
    if name.hasPrefix("ForAllValues:") {
      name.removeFirst("ForAllValues:".count)
      forAllValues = true
    } else if name.hasPrefix("ForAnyValue:") {
      name.removeFirst("ForAnyValue:".count)
    }
    ifExists = name.hasSuffix("IfExists") && name != "IfExists"
    if ifExists { name.removeLast("IfExists".count) }
    guard let (family, negated) = ConditionTest.known[name], !(ifExists && family == .null) else {
      throw .invalid("unknown condition operator \(op)")
    }
    self.family = family
    self.negated = negated
    self.key = key.lowercased()
    self.values = values
  }

  func holds(_ context: [String: String]) -> Bool {
    guard let v = context[key] else {
      if family == .null { return values.contains { $0.lowercased() == "true" } }
      return ifExists || negated || forAllValues
    }
    let matched: Bool
    switch family {
    case .null: return values.contains { $0.lowercased() == "false" }
    case .string: matched = values.contains(v)
    case .stringIgnoreCase: matched = values.contains { $0.lowercased() == v.lowercased() }
    case .stringLike: matched = values.contains { wildcardMatch($0, v) }
    case .arn: matched = values.contains { arnLike($0, v) }
    // Numeric, date, boolean, binary and address tests do not apply to the keys SNS sends.
    case .other: matched = false
    }
    return matched != negated
  }
}

/// IAM's wildcards: `*` any run of characters, `?` any one character; case-sensitive.
func wildcardMatch(_ pattern: String, _ text: String) -> Bool {
  let p = Array(pattern.unicodeScalars)
  let t = Array(text.unicodeScalars)
  var (pi, ti) = (0, 0)
  var star = -1
  var mark = 0
  while ti < t.count {
    if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
      pi += 1
      ti += 1
    } else if pi < p.count, p[pi] == "*" {
      star = pi
      mark = ti
      pi += 1
    } else if star >= 0 {
      pi = star + 1
      mark += 1
      ti = mark
    } else {
      return false
    }
  }
  while pi < p.count, p[pi] == "*" { pi += 1 }
  return pi == p.count
}

/// `ArnLike`/`ArnEquals`: each of the six colon-separated parts matched on its own, with wildcards.
public func arnLike(_ pattern: String, _ arn: String) -> Bool {
  if pattern == "*" { return true }
  let p = pattern.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
  let a = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
  guard p.count == 6, a.count == 6 else { return false }
  return zip(p, a).allSatisfy { wildcardMatch(String($0), String($1)) }
}
