// MARK: - SNS subscription filter policies

/// Where a filter policy looks: the message attributes (AWS's default) or the JSON body.
public enum FilterPolicyScope: String, Sendable {
  case messageAttributes = "MessageAttributes"
  case messageBody = "MessageBody"
}

/// A rejected filter policy, worded as SNS words it.
public struct FilterPolicyError: Error, Equatable, CustomStringConvertible {
  public var message: String
  public var description: String { "Invalid parameter: FilterPolicy: " + message }
}

/// A validated subscription filter policy. Every key must match (AND); any condition in a key's
/// array may match (OR); `$or` takes alternative policies.
public struct FilterPolicy: Sendable {
  indirect enum Node: Sendable {
    case leaf([Condition])
    /// An object of the message body (MessageBody scope): its own keys and `$or` groups.
    case nested(Policy)
  }

  enum Condition: Sendable {
    case exact(String)
    case exactNumber(Double)
    case null
    case prefix(String)
    case suffix(String)
    case equalsIgnoreCase(String)
    case anythingBut([Condition])
    case numeric([(String, Double)])
    case exists(Bool)
    case cidr([UInt8], Int)
  }

  struct Policy: Sendable {
    var keys: [(String, Node)]
    var alternatives: [[Policy]]
  }

  let root: Policy
  public let scope: FilterPolicyScope
  public let source: String

  /// Parses and validates a policy with SNS's limits: at most 5 keys, at most 150 value
  /// combinations (both counted as SNS counts them: `keyCount`, `combinations`), numbers within
  /// ±10^9 with at most 5 decimals.
  public init(json: String, scope: FilterPolicyScope = .messageAttributes) throws {
    guard let value = JSONValue.parse(json), case .object = value else {
      throw FilterPolicyError(message: "Filter policy must be a JSON object")
    }
    self.scope = scope
    self.source = json
    root = try FilterPolicy.parsePolicy(value, scope: scope, depth: 0)
    let keys = FilterPolicy.keyCount(root)
    if keys > Limits.SNS.maxFilterPolicyKeys {
      throw FilterPolicyError(message: "Filter policy can not have more than \(Limits.SNS.maxFilterPolicyKeys) keys")
    }
    if FilterPolicy.combinations(root) > Limits.SNS.maxFilterPolicyCombinations {
      throw FilterPolicyError(message: "Filter policy is too complex")
    }
  }

  // MARK: Parsing

  private static func parsePolicy(_ v: JSONValue, scope: FilterPolicyScope, depth: Int) throws -> Policy {
    guard case .object(let members) = v else {
      throw FilterPolicyError(message: "Filter policy must be a JSON object")
    }
    if members.isEmpty, depth == 0 { throw FilterPolicyError(message: "Filter policy must not be empty") }
    var keys: [(String, Node)] = []
    var alternatives: [[Policy]] = []
    for (k, member) in members {
      if k == "$or" {
        guard case .array(let items) = member, items.count >= 2 else {
          throw FilterPolicyError(message: "\"$or\" must be an array of at least two policies")
        }
        alternatives.append(try items.map { try parsePolicy($0, scope: scope, depth: depth) })
      } else {
        keys.append((k, try parseNode(member, key: k, scope: scope, depth: depth)))
      }
    }
    return Policy(keys: keys, alternatives: alternatives)
  }

  private static func parseNode(_ v: JSONValue, key: String, scope: FilterPolicyScope, depth: Int) throws -> Node {
    switch v {
    case .array(let items):
      if items.isEmpty { throw FilterPolicyError(message: "Empty arrays are not allowed (key \"\(key)\")") }
      return .leaf(try items.map { try parseCondition($0, key: key) })
    case .object:
      guard scope == .messageBody else {
        throw FilterPolicyError(
          message: "Nested keys are allowed only with FilterPolicyScope MessageBody (key \"\(key)\")")
      }
      if depth >= 5 { throw FilterPolicyError(message: "Filter policy is nested too deeply") }
      // A nested object is a policy of its own level: its keys, and `$or` groups among them.
      return .nested(try parsePolicy(v, scope: scope, depth: depth + 1))
    default:
      throw FilterPolicyError(message: "Match value must be an array (key \"\(key)\")")
    }
  }

  private static func checkNumber(_ d: Double) throws -> Double {
    let bound = Limits.SNS.maxFilterPolicyNumber
    if abs(d) > bound {
      throw FilterPolicyError(message: "Numeric values must be within -\(Int(bound)) and \(Int(bound))")
    }
    let scaled = d * 100_000
    if abs(scaled - scaled.rounded()) > 1e-6 {
      throw FilterPolicyError(
        message: "Numeric values can have at most \(Limits.SNS.maxFilterPolicyDecimals) decimal places")
    }
    return d
  }

  private static func parseCondition(_ v: JSONValue, key: String) throws -> Condition {
    switch v {
    case .string(let s): return .exact(s)
    case .number(let d): return .exactNumber(try checkNumber(d))
    case .null: return .null
    case .bool:
      throw FilterPolicyError(message: "Match value must be a string, a number, null or an operator (key \"\(key)\")")
    case .array:
      throw FilterPolicyError(message: "Match value must not be an array (key \"\(key)\")")
    case .object(let members):
      guard members.count == 1, let (op, arg) = members.first else {
        throw FilterPolicyError(message: "An operator object must have exactly one operator (key \"\(key)\")")
      }
      switch op {
      case "prefix":
        guard let s = arg.stringValue else { throw opError("prefix", "a string", key) }
        return .prefix(s)
      case "suffix":
        guard let s = arg.stringValue else { throw opError("suffix", "a string", key) }
        return .suffix(s)
      case "equals-ignore-case":
        guard let s = arg.stringValue else { throw opError("equals-ignore-case", "a string", key) }
        return .equalsIgnoreCase(s)
      case "exists":
        guard case .bool(let b) = arg else { throw opError("exists", "true or false", key) }
        return .exists(b)
      case "cidr":
        guard let s = arg.stringValue, let (addr, bits) = parseCIDR(s) else {
          throw opError("cidr", "an IP prefix such as 10.0.0.0/24", key)
        }
        return .cidr(addr, bits)
      case "numeric":
        return .numeric(try parseNumeric(arg, key: key))
      case "anything-but":
        switch arg {
        case .string(let s): return .anythingBut([.exact(s)])
        case .number(let d): return .anythingBut([.exactNumber(try checkNumber(d))])
        case .array(let items):
          if items.isEmpty { throw opError("anything-but", "a non-empty list", key) }
          return .anythingBut(
            try items.map {
              switch $0 {
              case .string(let s): return .exact(s)
              case .number(let d): return .exactNumber(try checkNumber(d))
              default: throw opError("anything-but", "strings or numbers", key)
              }
            })
        case .object:
          let inner = try parseCondition(arg, key: key)
          switch inner {
          case .prefix, .suffix, .equalsIgnoreCase: return .anythingBut([inner])
          default: throw opError("anything-but", "a value, a list, prefix, suffix or equals-ignore-case", key)
          }
        default: throw opError("anything-but", "a value or a list", key)
        }
      default:
        throw FilterPolicyError(message: "Unrecognized match type \(op) (key \"\(key)\")")
      }
    }
  }

  private static func opError(_ op: String, _ expected: String, _ key: String) -> FilterPolicyError {
    FilterPolicyError(message: "\"\(op)\" match pattern must be \(expected) (key \"\(key)\")")
  }

  private static func parseNumeric(_ arg: JSONValue, key: String) throws -> [(String, Double)] {
    guard case .array(let items) = arg, !items.isEmpty, items.count % 2 == 0 else {
      throw opError("numeric", "a list of operator and value pairs", key)
    }
    var out: [(String, Double)] = []
    var i = 0
    while i < items.count {
      guard let op = items[i].stringValue, ["=", "<", "<=", ">", ">="].contains(op),
        case .number(let d) = items[i + 1]
      else { throw opError("numeric", "pairs such as [\">\", 0, \"<=\", 150]", key) }
      out.append((op, try checkNumber(d)))
      i += 2
    }
    if out.count > 2 || (out.count == 2 && (out[0].0 == "=" || out[1].0 == "=")) {
      throw opError("numeric", "one comparison or one lower and one upper bound", key)
    }
    if out.count == 2 {
      let lower = out.first { $0.0.hasPrefix(">") }
      let upper = out.first { $0.0.hasPrefix("<") }
      guard let lower, let upper, lower.1 < upper.1 else {
        throw opError("numeric", "a lower bound below its upper bound", key)
      }
    }
    return out
  }

  /// Keys as SNS counts them against its limit of 5: the top-level keys only — "For a nested
  /// policy, only parent keys are counted"; "Nested keys don't count – Any keys nested under the
  /// top-level keys do not count toward the five-key limit"
  /// (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html).
  /// An `$or` is not a key itself: each alternative it offers is a policy whose top-level keys are
  /// the policy's, so a group counts as its largest alternative (AWS documents no `$or` example;
  /// this is the count of the largest policy the `$or` expands to).
  static func keyCount(_ p: Policy) -> Int {
    let alternatives = p.alternatives.map { $0.map(keyCount).max() ?? 0 }.reduce(0, +)
    return p.keys.count + alternatives
  }

  /// Value combinations as SNS counts them against its limit of 150: the product, over every key,
  /// of the number of values in its array times the depth the key is nested at (1 at the top,
  /// 2 inside one object, …) — "Calculate the total combination by multiplying the number of
  /// nested keys with the values in each array": `{"key_a": {"key_b": {"key_c": [4 values]}},
  /// "key_d": {"key_e": [3 values]}}` is "3 x 4 x 2 x 3 = 72"
  /// (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html). An
  /// `$or` adds up its alternatives (each at the depth of the object holding it), as the policies
  /// it expands to. Checked against AWS's answers recorded by LocalStack's AWS-validated tests
  /// (`tests/aws/services/sns/test_sns_filter_policy.py`): that example plus `"key_f": [3 values]`
  /// (216) and an `$or` inside a nested object (160) are "too complex", a flat `$or` of exactly
  /// 150 is accepted.
  static func combinations(_ p: Policy) -> Int { combinations(p, depth: 1) }

  private static func combinations(_ p: Policy, depth: Int) -> Int {
    let cap = 1_000_000
    func count(_ n: Node) -> Int {
      switch n {
      case .leaf(let c): return min(c.count * depth, cap)
      case .nested(let inner): return combinations(inner, depth: depth + 1)
      }
    }
    var total = p.keys.reduce(1) { min($0 * count($1.1), cap) }
    for alt in p.alternatives {
      total = min(total * min(alt.reduce(0) { $0 + combinations($1, depth: depth) }, cap), cap)
    }
    return total
  }

  // MARK: Matching

  /// Whether a message with these attributes and body passes the policy.
  public func matches(attributes: [MessageAttribute], body: String) -> Bool {
    switch scope {
    case .messageAttributes:
      return FilterPolicy.match(root) { key in
        guard let a = attributes.first(where: { $0.name == key }) else { return .missing }
        switch a.baseType {
        case "Number": return Double(a.value).map { .values([.number($0)]) } ?? .values([.string(a.value)])
        case "String.Array":
          if case .array(let items)? = JSONValue.parse(a.value) { return .values(items) }
          return .values([])
        case "Binary": return .unmatchable
        default: return .values([.string(a.value)])
        }
      }
    case .messageBody:
      guard let parsed = JSONValue.parse(body), case .object = parsed else { return false }
      return FilterPolicy.matchBody(root, parsed)
    }
  }

  enum Found {
    case missing
    case unmatchable
    case values([JSONValue])
  }

  private static func match(_ p: Policy, lookup: (String) -> Found) -> Bool {
    for (key, node) in p.keys {
      guard case .leaf(let conds) = node, matchConditions(conds, lookup(key)) else { return false }
    }
    for alt in p.alternatives where !alt.contains(where: { match($0, lookup: lookup) }) {
      return false
    }
    return true
  }

  /// Whether a body object passes a policy. At the top, a dotted key (`"order.type"`) reads the
  /// nested member its path names; inside a nested object, keys are members.
  private static func matchBody(_ p: Policy, _ body: JSONValue, top: Bool = true) -> Bool {
    for (key, node) in p.keys where !matchBodyNode(node, top ? bodyValue(body, key) : body[key]) { return false }
    for alt in p.alternatives where !alt.contains(where: { matchBody($0, body, top: top) }) { return false }
    return true
  }

  /// Whether an absent object passes a nested policy (only `exists: false` can).
  private static func matchAbsent(_ p: Policy) -> Bool {
    p.keys.allSatisfy { matchBodyNode($0.1, nil) } && p.alternatives.allSatisfy { $0.contains(where: matchAbsent) }
  }

  /// A key's value in a message body: the member of that name, else — for a dotted key, as SNS
  /// reads `"order.type"` — the nested member its path names.
  private static func bodyValue(_ body: JSONValue, _ key: String) -> JSONValue? {
    if let v = body[key] { return v }
    guard key.contains(".") else { return nil }
    var v: JSONValue? = body
    for part in key.split(separator: ".", omittingEmptySubsequences: false) {
      guard let current = v, case .object = current else { return nil }
      v = current[String(part)]
    }
    return v
  }

  private static func matchBodyNode(_ node: Node, _ value: JSONValue?) -> Bool {
    switch node {
    case .leaf(let conds):
      guard let value else { return matchConditions(conds, .missing) }
      if case .array(let items) = value { return matchConditions(conds, .values(items)) }
      if case .object = value { return matchConditions(conds, .unmatchable) }
      return matchConditions(conds, .values([value]))
    case .nested(let inner):
      guard let value else { return matchAbsent(inner) }
      if case .array(let items) = value { return items.contains { matchBody(inner, $0, top: false) } }
      return matchBody(inner, value, top: false)
    }
  }

  private static func matchConditions(_ conds: [Condition], _ found: Found) -> Bool {
    conds.contains { cond in
      switch found {
      case .missing:
        if case .exists(false) = cond { return true }
        return false
      case .unmatchable:
        if case .exists(true) = cond { return true }
        return false
      case .values(let values):
        if case .exists(let want) = cond { return want }
        return values.contains { matchOne(cond, $0) }
      }
    }
  }

  private static func matchOne(_ cond: Condition, _ v: JSONValue) -> Bool {
    switch cond {
    case .exact(let s): return v.stringValue == s
    case .exactNumber(let d):
      if case .number(let x) = v { return x == d }
      return false
    case .null: return v == .null
    case .prefix(let p): return v.stringValue?.hasPrefix(p) ?? false
    case .suffix(let p): return v.stringValue?.hasSuffix(p) ?? false
    case .equalsIgnoreCase(let s): return v.stringValue?.lowercased() == s.lowercased()
    case .anythingBut(let excluded):
      switch v {
      case .string, .number: return !excluded.contains { matchOne($0, v) }
      default: return false
      }
    case .numeric(let ops):
      guard case .number(let x) = v else { return false }
      return ops.allSatisfy { op, bound in
        switch op {
        case "=": return x == bound
        case "<": return x < bound
        case "<=": return x <= bound
        case ">": return x > bound
        default: return x >= bound
        }
      }
    case .exists(let want): return want
    case .cidr(let prefix, let bits):
      guard let s = v.stringValue, let addr = parseIP(s), addr.count == prefix.count else { return false }
      return prefixMatches(addr, prefix, bits)
    }
  }
}

// MARK: - IP prefixes

func parseCIDR(_ s: String) -> ([UInt8], Int)? {
  let parts = s.split(separator: "/", omittingEmptySubsequences: false)
  guard parts.count == 2, let addr = parseIP(String(parts[0])), let bits = Int(parts[1]),
    bits >= 0, bits <= addr.count * 8
  else { return nil }
  return (addr, bits)
}

func parseIP(_ s: String) -> [UInt8]? {
  if s.contains(":") { return parseIPv6(s) }
  let parts = s.split(separator: ".", omittingEmptySubsequences: false)
  guard parts.count == 4 else { return nil }
  var out: [UInt8] = []
  for p in parts {
    guard !p.isEmpty, p.count <= 3, let v = UInt8(p) else { return nil }
    out.append(v)
  }
  return out
}

private func parseIPv6(_ s: String) -> [UInt8]? {
  let halves = s.components(separatedBy: "::")
  guard halves.count <= 2 else { return nil }
  func groups(_ t: String) -> [UInt16]? {
    if t.isEmpty { return [] }
    var out: [UInt16] = []
    for g in t.split(separator: ":", omittingEmptySubsequences: false) {
      guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
      out.append(v)
    }
    return out
  }
  guard let head = groups(halves[0]) else { return nil }
  var all = head
  if halves.count == 2 {
    guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
    all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
  }
  guard all.count == 8 else { return nil }
  return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
}

private func prefixMatches(_ a: [UInt8], _ p: [UInt8], _ bits: Int) -> Bool {
  var remaining = bits
  for i in 0..<a.count where remaining > 0 {
    let take = min(8, remaining)
    let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
    if a[i] & mask != p[i] & mask { return false }
    remaining -= take
  }
  return true
}
