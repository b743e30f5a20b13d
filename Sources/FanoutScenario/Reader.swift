import FanoutSim
import Yams

// MARK: - Reading YAML nodes, collecting every problem with its place

/// Walks a composed YAML document. Each accessor reports a located problem instead of throwing,
/// so that one run lists everything wrong with a file.
final class Reader {
  let file: String
  private(set) var diagnostics: [Diagnostic] = []
  /// Nodes visited so far: aliases are shared, so a small file can stand for a huge tree.
  private var visited = 0
  static let maxNodes = 100_000
  private var exhausted = false

  init(file: String) { self.file = file }

  func error(_ node: Node?, _ path: String, _ message: String) { add(.error, node, path, message) }
  func warning(_ node: Node?, _ path: String, _ message: String) { add(.warning, node, path, message) }

  private func add(_ s: Diagnostic.Severity, _ node: Node?, _ path: String, _ message: String) {
    let m = node?.mark
    diagnostics.append(
      Diagnostic(severity: s, file: file, line: m?.line ?? 1, column: m?.column ?? 1, path: path, message: message))
  }

  var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

  /// Counts a visited node; false once the document is too large to walk.
  func visit(_ node: Node, _ path: String) -> Bool {
    visited += 1
    if visited > Reader.maxNodes {
      if !exhausted {
        exhausted = true
        error(node, path, "the document expands to more than \(Reader.maxNodes) nodes (aliases?); not read further")
      }
      return false
    }
    return true
  }

  func describe(_ node: Node) -> String {
    switch node {
    case .scalar(let s): return s.string.isEmpty ? "an empty value" : "'\(s.string)'"
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .alias: return "an alias"
    }
  }

  /// A mapping's entries, in order; unknown and repeated keys are reported.
  func mapping(_ node: Node, _ path: String, keys allowed: [String]) -> [(String, Node)]? {
    guard visit(node, path) else { return nil }
    guard case .mapping(let m) = node else {
      error(node, path, "expected a mapping, found \(describe(node))")
      return nil
    }
    var out: [(String, Node)] = []
    var seen: Set<String> = []
    for (k, v) in m {
      guard let key = k.string else {
        error(k, path, "a key must be a string")
        continue
      }
      let p = path.isEmpty ? key : path + "." + key
      if seen.contains(key) {
        error(k, p, "duplicate key '\(key)'")
        continue
      }
      seen.insert(key)
      if !allowed.contains(key) {
        var message = "unknown key '\(key)'"
        if let s = suggestion(key, allowed) { message += " (did you mean '\(s)'?)" }
        message += "; expected one of: " + allowed.joined(separator: ", ")
        error(k, p, message)
        continue
      }
      out.append((key, v))
    }
    return out
  }

  func list(_ node: Node, _ path: String) -> [Node]? {
    guard visit(node, path) else { return nil }
    guard case .sequence(let s) = node else {
      error(node, path, "expected a list, found \(describe(node))")
      return nil
    }
    return Array(s)
  }

  func string(_ node: Node, _ path: String) -> String? {
    guard visit(node, path) else { return nil }
    guard case .scalar(let s) = node, !s.string.isEmpty else {
      error(node, path, "expected a string, found \(describe(node))")
      return nil
    }
    return s.string
  }

  func int(_ node: Node, _ path: String, _ range: ClosedRange<Int>) -> Int? {
    guard visit(node, path) else { return nil }
    guard case .scalar(let s) = node, let v = Int(s.string) else {
      error(node, path, "expected a whole number, found \(describe(node))")
      return nil
    }
    guard range.contains(v) else {
      error(node, path, "expected a number from \(range.lowerBound) to \(range.upperBound), found \(v)")
      return nil
    }
    return v
  }

  /// A whole number within an AWS limit, refused in AWS's words (`Limits`).
  func int(_ node: Node, _ path: String, limit: AWSLimit) -> Int? {
    guard visit(node, path) else { return nil }
    guard case .scalar(let s) = node, let v = Int(s.string) else {
      error(node, path, "expected a whole number, found \(describe(node))")
      return nil
    }
    guard limit.allows(Int64(v)) else {
      error(node, path, limit.refusalText(Int64(v)))
      return nil
    }
    return v
  }

  /// Whole seconds within an AWS limit (AWS states these in seconds), as a span.
  func seconds(_ node: Node, _ path: String, limit: AWSLimit) -> SimDuration? {
    int(node, path, limit: limit).map { .seconds($0) }
  }

  func double(_ node: Node, _ path: String, _ range: ClosedRange<Double>) -> Double? {
    guard visit(node, path) else { return nil }
    guard case .scalar(let s) = node, let v = Double(s.string), v.isFinite else {
      error(node, path, "expected a number, found \(describe(node))")
      return nil
    }
    guard range.contains(v) else {
      error(node, path, "expected a number from \(range.lowerBound) to \(range.upperBound), found \(s.string)")
      return nil
    }
    return v
  }

  func bool(_ node: Node, _ path: String) -> Bool? {
    guard visit(node, path) else { return nil }
    guard case .scalar(let s) = node, let v = Bool(s.string.lowercased()) else {
      error(node, path, "expected true or false, found \(describe(node))")
      return nil
    }
    return v
  }

  /// A span: `500ms`, `30s`, `10m`, `2h`, or a bare number of seconds.
  func duration(_ node: Node, _ path: String, max: SimDuration = .days(366)) -> SimDuration? {
    guard visit(node, path) else { return nil }
    guard case .scalar(let s) = node, let v = parseSpan(s.string) else {
      error(node, path, "expected a duration such as 500ms, 30s, 10m or 2h, found \(describe(node))")
      return nil
    }
    guard v <= max else {
      error(node, path, "expected at most \(formatSpan(max)), found \(s.string)")
      return nil
    }
    return v
  }

  /// A duration model: a fixed span, or `{median, sigma}` (log-normal), `{median, sigma, tail:
  /// {probability, median, sigma}}` (log-normal with a slow tail), `{fixed}`, `{uniform: [a, b]}`.
  func durationModel(_ node: Node, _ path: String) -> DurationModel? {
    if case .scalar = node { return duration(node, path).map { .fixed($0) } }
    guard let m = mapping(node, path, keys: ["median", "sigma", "tail", "fixed", "uniform"]) else { return nil }
    let d = Dictionary(uniqueKeysWithValues: m)
    if let f = d["fixed"] { return duration(f, path + ".fixed").map { .fixed($0) } }
    if let u = d["uniform"] {
      guard let items = list(u, path + ".uniform"), items.count == 2,
        let a = duration(items[0], path + ".uniform"), let b = duration(items[1], path + ".uniform"), a <= b
      else {
        error(u, path + ".uniform", "expected [low, high] durations with low ≤ high")
        return nil
      }
      return .uniform(a, b)
    }
    guard let med = d["median"], let median = duration(med, path + ".median") else {
      error(node, path, "expected median (and sigma), fixed, or uniform")
      return nil
    }
    let sigma = d["sigma"].flatMap { double($0, path + ".sigma", 0...3) } ?? 0.3
    guard let tn = d["tail"] else { return .lognormal(median: median, sigma: sigma) }
    let tp = path + ".tail"
    guard let tm = mapping(tn, tp, keys: ["probability", "median", "sigma"]) else { return nil }
    let t = Dictionary(uniqueKeysWithValues: tm)
    guard let pn = t["probability"], let probability = double(pn, tp + ".probability", 0...1),
      let mn = t["median"], let tailMedian = duration(mn, tp + ".median")
    else {
      if t["probability"] == nil || t["median"] == nil {
        error(tn, tp, "a tail needs probability and median (and sigma)")
      }
      return nil
    }
    let tailSigma = t["sigma"].flatMap { double($0, tp + ".sigma", 0...3) } ?? 0.3
    return .lognormalWithTail(
      median: median, sigma: sigma, tailProbability: probability, tailMedian: tailMedian, tailSigma: tailSigma)
  }

  /// A YAML value as JSON text (for filter policies written as YAML).
  func json(_ node: Node, _ path: String) -> String? {
    guard visit(node, path) else { return nil }
    switch node {
    case .scalar(let s):
      // A quoted scalar is a string; a plain one may be a number, a boolean or null.
      guard s.style == .plain || s.style == .any else { return jsonString(s.string) }
      let v = s.string
      if let d = Double(v), d.isFinite, v.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true {
        return formatJSONNumber(d)
      }
      switch v.lowercased() {
      case "true": return "true"
      case "false": return "false"
      case "null", "~": return "null"
      default: return jsonString(v)
      }
    case .sequence(let items):
      var parts: [String] = []
      for i in items {
        guard let j = json(i, path) else { return nil }
        parts.append(j)
      }
      return "[" + parts.joined(separator: ",") + "]"
    case .mapping(let m):
      var parts: [String] = []
      for (k, v) in m {
        guard let key = k.string, let j = json(v, path) else { return nil }
        parts.append(jsonString(key) + ":" + j)
      }
      return "{" + parts.joined(separator: ",") + "}"
    case .alias:
      error(node, path, "aliases are not supported here")
      return nil
    }
  }
}
