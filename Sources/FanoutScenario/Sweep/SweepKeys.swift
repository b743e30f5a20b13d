import FanoutSim
import Yams

// MARK: - What a sweep can vary: the --vary keys

/// One run's settings: the scenario as a combination changed it, and the constant load that
/// `fanout run --requests N --rate R` fires at the entry function.
public struct SweepRunConfig: Sendable {
  public var scenario: Scenario
  /// Requests of the constant load (`--requests`); nil for its default.
  public var requests: Int?
  /// Its rate per second of virtual time (`--rate`); nil for its default.
  public var rate: Double?
  public init(scenario: Scenario, requests: Int? = nil, rate: Double? = nil) {
    self.scenario = scenario
    self.requests = requests
    self.rate = rate
  }
}

/// Sets one varied value in a run's settings.
public typealias SweepSetter = @Sendable (inout SweepRunConfig) -> Void

/// What a key's reader gets: the value as a YAML scalar (so that the scenario parser's own
/// readers check it, with AWS's ranges and refusal texts), the key path for messages, the
/// component's name and the settings before any variation.
public struct SweepValueInput {
  let r: Reader
  let node: Node
  let path: String
  public let name: String
  public let base: SweepRunConfig
  /// The value as given.
  public var text: String { node.scalar?.string ?? "" }
}

/// A key a sweep can vary: `rate`, `queue.<name>.VisibilityTimeout`, …
///
/// `SweepKey.all` is the one table: a key added there (a function's `MemorySize`, say) is parsed,
/// validated, listed in errors' suggestions and applied without another change.
public struct SweepKey: Sendable {
  /// What the key belongs to: the run (`rate`), the topology (`accountConcurrency`), or a named
  /// component (`queue.<name>.…`).
  public enum Scope: String, Sendable, CaseIterable {
    case run, topology, queue, mapping, function
  }
  public let scope: Scope
  /// The attribute, as the scenario format spells it (AWS's name where it has one).
  public let attribute: String
  /// What the values are, for docs and help.
  public let values: String
  /// Reads and checks one value; nil once the problem is reported on the input's reader.
  let read: @Sendable (SweepValueInput) -> SweepSetter?

  init(
    _ scope: Scope, _ attribute: String, values: String, read: @escaping @Sendable (SweepValueInput) -> SweepSetter?
  ) {
    self.scope = scope
    self.attribute = attribute
    self.values = values
    self.read = read
  }

  /// The key as written, with `<name>` for a component's name.
  public var pattern: String {
    switch scope {
    case .run, .topology: return attribute
    case .mapping: return "mapping.<queue>.\(attribute)"
    default: return "\(scope.rawValue).<name>.\(attribute)"
    }
  }
}

extension SweepRunConfig {
  /// Changes the queue named `name`.
  mutating func queue(_ name: String, _ change: (inout QueueSpec) -> Void) {
    for i in scenario.topology.queues.indices where scenario.topology.queues[i].name == name {
      change(&scenario.topology.queues[i])
    }
  }
  /// Changes every event source mapping that reads from the queue `name`.
  mutating func mappings(_ name: String, _ change: (inout MappingSpec) -> Void) {
    for i in scenario.topology.mappings.indices where scenario.topology.mappings[i].queue == name {
      change(&scenario.topology.mappings[i])
    }
  }
  /// Changes the function named `name`.
  mutating func function(_ name: String, _ change: (inout FunctionSpec) -> Void) {
    for i in scenario.topology.functions.indices where scenario.topology.functions[i].name == name {
      change(&scenario.topology.functions[i])
    }
  }
}

extension SweepKey {
  /// Every key, in the order errors list them.
  public static let all: [SweepKey] = [
    SweepKey(.run, "rate", values: "requests per second of virtual time, above 0, at most 1000000 (as --rate)") { i in
      guard let v = Double(i.text), v.isFinite, v > 0, v <= 1_000_000 else {
        i.r.error(i.node, i.path, "expected a rate above 0 and at most 1000000 requests per second, found '\(i.text)'")
        return nil
      }
      return setter(v) { c, v in c.rate = v }
    },
    SweepKey(.run, "requests", values: "requests to fire, 0 to 100000000 (as --requests)") { i in
      setter(i.r.int(i.node, i.path, 0...100_000_000)) { c, v in c.requests = v }
    },
    SweepKey(.topology, "accountConcurrency", values: "the account's concurrent executions limit") { i in
      let range = Limits.Lambda.accountConcurrency
      let v = i.r.int(i.node, i.path, Int(range.lowerBound)...Int(range.upperBound))
      return setter(v) { c, v in c.scenario.topology.accountConcurrency = v }
    },
    queueSeconds("VisibilityTimeout", Limits.SQS.visibilityTimeout) { q, v in q.visibilityTimeout = v },
    queueSeconds("DelaySeconds", Limits.SQS.delaySeconds) { q, v in q.delay = v },
    queueSeconds("MessageRetentionPeriod", Limits.SQS.messageRetentionPeriod) { q, v in q.messageRetentionPeriod = v },
    queueSeconds("ReceiveMessageWaitTimeSeconds", Limits.SQS.receiveMessageWaitTimeSeconds) { q, v in
      q.receiveMessageWaitTime = v
    },
    SweepKey(.queue, "maxReceiveCount", values: "the RedrivePolicy's maxReceiveCount, 1 to 1000") { i in
      let queue = i.base.scenario.topology.queues.first { $0.name == i.name }
      guard let dlq = queue?.redrive?.deadLetterQueue else {
        i.r.error(
          i.node, i.path,
          "queue '\(i.name)' has no RedrivePolicy: maxReceiveCount is part of one (give the queue a RedrivePolicy in the scenario)"
        )
        return nil
      }
      let name = i.name
      return setter(i.r.int(i.node, i.path, limit: Limits.SQS.maxReceiveCount)) { c, v in
        c.queue(name) { (q: inout QueueSpec) in q.redrive = (dlq, v) }
      }
    },
    SweepKey(.queue, "duplicateRate", values: "fanout's at-least-once knob, 0 to 1") { i in
      let name = i.name
      return setter(i.r.double(i.node, i.path, 0...1)) { c, v in
        c.queue(name) { (q: inout QueueSpec) in q.duplicateRate = v }
      }
    },
    SweepKey(.mapping, "BatchSize", values: "1 to 10000 (above 10 with a batching window)") { i in
      let name = i.name
      return setter(i.r.int(i.node, i.path, limit: Limits.Lambda.batchSize)) { c, v in
        c.mappings(name) { (m: inout MappingSpec) in m.batchSize = v }
      }
    },
    SweepKey(.mapping, "MaximumBatchingWindowInSeconds", values: "whole seconds, 0 to 300") { i in
      let name = i.name
      return setter(i.r.seconds(i.node, i.path, limit: Limits.Lambda.maximumBatchingWindow)) { c, v in
        c.mappings(name) { (m: inout MappingSpec) in m.maximumBatchingWindow = v }
      }
    },
    SweepKey(.mapping, "MaximumConcurrency", values: "ScalingConfig.MaximumConcurrency, 2 to 1000, or none") { i in
      let name = i.name
      let v: Int?? =
        i.text == "none"
        ? .some(nil) : i.r.int(i.node, i.path, limit: Limits.Lambda.maximumConcurrency).map { Optional($0) }
      return setter(v) { c, v in c.mappings(name) { (m: inout MappingSpec) in m.maximumConcurrency = v } }
    },
    SweepKey(.function, "Timeout", values: "whole seconds, 1 to 900") { i in
      let name = i.name
      return setter(i.r.seconds(i.node, i.path, limit: Limits.Lambda.timeout)) { c, v in
        c.function(name) { (f: inout FunctionSpec) in f.timeout = v }
      }
    },
    SweepKey(.function, "ReservedConcurrentExecutions", values: "reserved concurrency, 0 or more, or none") { i in
      let name = i.name
      let v: Int?? = i.text == "none" ? .some(nil) : i.r.int(i.node, i.path, 0...100_000).map { Optional($0) }
      return setter(v) { c, v in c.function(name) { (f: inout FunctionSpec) in f.reservedConcurrency = v } }
    },
    SweepKey(.function, "MemorySize", values: "MB, 128 to 10240 (what its GB-seconds are billed on)") { i in
      let name = i.name
      return setter(i.r.int(i.node, i.path, limit: Limits.Lambda.memorySize).map { Int($0) }) { c, v in
        c.function(name) { (f: inout FunctionSpec) in f.memorySize = v }
      }
    },
    failureRate("errorRate") { f, v in f.errorRate = v },
    failureRate("timeoutRate") { f, v in f.timeoutRate = v },
    failureRate("itemFailureRate") { f, v in f.itemFailureRate = v },
    SweepKey(
      .function, "duration",
      values: "the median of the handler's compute time (500ms, 1.5s; a bare number is seconds), the model's shape kept"
    ) { i in
      let name = i.name
      return setter(i.r.duration(i.node, i.path)) { c, v in
        c.function(name) { (f: inout FunctionSpec) in f.duration = f.duration.withMedian(v) }
      }
    },
  ]

  private static func queueSeconds(
    _ attribute: String, _ limit: AWSLimit, _ set: @escaping @Sendable (inout QueueSpec, SimDuration) -> Void
  ) -> SweepKey {
    let r = limit.range
    return SweepKey(.queue, attribute, values: "whole seconds, \(r.lowerBound) to \(r.upperBound)") { i in
      let name = i.name
      return setter(i.r.seconds(i.node, i.path, limit: limit)) { c, v in
        c.queue(name) { (q: inout QueueSpec) in set(&q, v) }
      }
    }
  }

  private static func failureRate(
    _ attribute: String, _ set: @escaping @Sendable (inout FailureSpec, Double) -> Void
  ) -> SweepKey {
    SweepKey(.function, attribute, values: "a probability, 0 to 1 (failure.\(attribute))") { i in
      let name = i.name
      return setter(i.r.double(i.node, i.path, 0...1)) { c, v in
        c.function(name) { (f: inout FunctionSpec) in set(&f.failure, v) }
      }
    }
  }
}

/// The setter that applies a value read, or nil when reading it failed.
private func setter<T: Sendable>(_ value: T?, _ apply: @escaping @Sendable (inout SweepRunConfig, T) -> Void)
  -> SweepSetter?
{
  guard let value else { return nil }
  return { (c: inout SweepRunConfig) in apply(&c, value) }
}

extension DurationModel {
  /// The model with this median and the same shape: a log-normal keeps its sigma; a model with a
  /// slow tail moves the tail's median by the same factor; a uniform range is scaled about its
  /// middle; a fixed duration becomes the median.
  public func withMedian(_ median: SimDuration) -> DurationModel {
    func scaled(_ d: SimDuration, _ f: Double) -> SimDuration {
      .microseconds(Int64((Double(d.microseconds) * f).rounded()))
    }
    switch self {
    case .fixed: return .fixed(median)
    case .lognormal(_, let sigma): return .lognormal(median: median, sigma: sigma)
    case .lognormalWithTail(let m, let sigma, let p, let tail, let tailSigma):
      let f = m.microseconds > 0 ? Double(median.microseconds) / Double(m.microseconds) : 1
      return .lognormalWithTail(
        median: median, sigma: sigma, tailProbability: p, tailMedian: m.microseconds > 0 ? scaled(tail, f) : tail,
        tailSigma: tailSigma)
    case .uniform(let a, let b):
      let middle = (a.microseconds + b.microseconds) / 2
      guard middle > 0 else { return .uniform(median, median) }
      let f = Double(median.microseconds) / Double(middle)
      return .uniform(scaled(a, f), scaled(b, f))
    }
  }
}

// MARK: - Parsing a --vary argument

/// One --vary argument: a key and its values, as given.
public struct SweepAxis: Sendable, Equatable {
  public var key: String
  public var values: [String]
  public init(key: String, values: [String]) {
    self.key = key
    self.values = values
  }
  /// `KEY=V1,V2,…`
  public var text: String { key + "=" + values.joined(separator: ",") }
}

/// A --vary argument resolved: its values' setters, in order.
public struct SweepVariation: Sendable {
  public let axis: SweepAxis
  public let key: SweepKey
  public let setters: [SweepSetter]
}

/// A problem with a command-line argument, located: the argument, and the characters of it
/// that are at fault.
public struct SweepArgumentError: Error, Equatable, CustomStringConvertible {
  public var option: String
  public var argument: String
  /// The faulty characters: offset from the argument's start, and how many.
  public var start: Int
  public var length: Int
  public var message: String

  public init(option: String, argument: String, start: Int, length: Int, message: String) {
    self.option = option
    self.argument = argument
    self.start = start
    self.length = length
    self.message = message
  }

  /// `--vary KEY=…: message`, then the argument with the faulty part underlined.
  public var description: String {
    let under = String(repeating: " ", count: start) + "^" + String(repeating: "~", count: max(0, length - 1))
    return "\(option) \(argument): \(message)\n    \(argument)\n    \(under)"
  }
}

extension SweepVariation {
  /// Parses and checks `KEY=V1,V2,…` against the run's settings (names must exist, values are
  /// read by the scenario parser's readers); every problem is located in the argument.
  public static func parse(_ argument: String, base: SweepRunConfig) throws(SweepArgumentError) -> SweepVariation {
    let chars = Array(argument)
    func fail(_ start: Int, _ length: Int, _ message: String) -> SweepArgumentError {
      SweepArgumentError(
        option: "--vary", argument: argument, start: start, length: max(1, length), message: message)
    }
    // Without '=', the whole argument is the key: its problems first, then the missing values.
    let eq = chars.firstIndex(of: "=") ?? chars.count
    let key = String(chars[..<eq])
    let valueText = eq < chars.count ? String(chars[(eq + 1)...]) : ""
    guard !key.isEmpty else { throw fail(0, 1, "the key before '=' is missing (e.g. rate=50,100,200)") }
    let topology = base.scenario.topology

    // The key: `rate`, `accountConcurrency`, or `<scope>.<name>.<attribute>`.
    let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    let scopeWord = parts[0]
    let simple = SweepKey.all.filter { $0.scope == .run || $0.scope == .topology }
    let scopes = [SweepKey.Scope.queue, .mapping, .function]
    let expected =
      (simple.map(\.attribute) + scopes.map { "\($0.rawValue).<\($0 == .mapping ? "queue" : "name")>.<attribute>" })
      .joined(separator: ", ")
    let found: SweepKey
    var name = ""
    if parts.count == 1, let scope = SweepKey.Scope(rawValue: key), scopes.contains(scope) {
      throw fail(
        0, eq,
        "\(scope.rawValue) keys are \(scope.rawValue).<\(scope == .mapping ? "queue" : "name")>.<attribute> (e.g. \(example(scope, topology)))"
      )
    }
    if parts.count == 1 {
      guard let k = simple.first(where: { $0.attribute == key }) else {
        var message = "unknown key '\(key)'"
        let words = simple.map(\.attribute) + scopes.map(\.rawValue)
        if let s = sweepSuggestion(key, words) { message += " (did you mean '\(s)'?)" }
        throw fail(0, eq, message + "; a sweep varies: " + expected)
      }
      found = k
    } else {
      guard let scope = SweepKey.Scope(rawValue: scopeWord), scopes.contains(scope) else {
        var message = "unknown key '\(scopeWord)'"
        if let s = sweepSuggestion(scopeWord, scopes.map(\.rawValue) + simple.map(\.attribute)) {
          message += " (did you mean '\(s)'?)"
        }
        throw fail(0, scopeWord.count, message + "; a sweep varies: " + expected)
      }
      let placeholder = scope == .mapping ? "queue" : "name"
      guard parts.count >= 3, !parts[1].isEmpty, !parts[parts.count - 1].isEmpty else {
        throw fail(
          0, eq,
          "\(scope.rawValue) keys are \(scope.rawValue).<\(placeholder)>.<attribute> (e.g. \(example(scope, topology)))"
        )
      }
      name = parts[1..<(parts.count - 1)].joined(separator: ".")
      let attribute = parts[parts.count - 1]
      let nameStart = scopeWord.count + 1
      let attributeStart = nameStart + name.count + 1
      // The component must exist.
      let names: [String]
      switch scope {
      case .queue: names = topology.queues.map(\.name)
      case .function: names = topology.functions.map(\.name)
      default:
        var seen: Set<String> = []
        names = topology.mappings.map(\.queue).filter { seen.insert($0).inserted }
      }
      if !names.contains(name) {
        var message =
          scope == .mapping
          ? "no event source mapping reads from queue '\(name)'" : "\(scope.rawValue) '\(name)' is not defined"
        if let s = sweepSuggestion(name, names) { message += " (did you mean '\(s)'?)" }
        if names.isEmpty {
          message += scope == .mapping ? "; the pipeline has no event source mappings" : "; the pipeline has none"
        } else if sweepSuggestion(name, names) == nil {
          message +=
            "; " + (scope == .mapping ? "mappings read from: " : "the pipeline's \(scope.rawValue)s: ")
            + names.joined(separator: ", ")
        }
        throw fail(nameStart, name.count, message)
      }
      let attributes = SweepKey.all.filter { $0.scope == scope }
      guard let k = attributes.first(where: { $0.attribute == attribute }) else {
        var message = "unknown \(scope.rawValue) attribute '\(attribute)'"
        if let s = sweepSuggestion(attribute, attributes.map(\.attribute)) { message += " (did you mean '\(s)'?)" }
        throw fail(
          attributeStart, attribute.count,
          message + "; a sweep varies a \(scope.rawValue)'s " + attributes.map(\.attribute).joined(separator: ", "))
      }
      found = k
    }

    // The values, each read as the scenario parser reads the attribute.
    guard eq < chars.count else {
      throw fail(0, eq, "no values: expected \(key)=V1,V2,… (\(found.values))")
    }
    guard !valueText.isEmpty else {
      throw fail(eq, 1, "no values after '=': give one or more, separated by commas (\(found.values))")
    }
    var setters: [SweepSetter] = []
    var values: [String] = []
    var offset = eq + 1
    for (i, v) in valueText.split(separator: ",", omittingEmptySubsequences: false).map(String.init).enumerated() {
      defer { offset += v.count + 1 }
      guard !v.isEmpty else { throw fail(offset, 1, "value \(i + 1) is empty") }
      if values.contains(v) { throw fail(offset, v.count, "value '\(v)' is listed twice") }
      let r = Reader(file: "--vary")
      let input = SweepValueInput(r: r, node: .scalar(.init(v)), path: key, name: name, base: base)
      guard let setter = found.read(input), !r.hasErrors else {
        let why = r.diagnostics.first { $0.severity == .error }?.message ?? "not a valid value (\(found.values))"
        throw fail(offset, v.count, "value \(i + 1), '\(v)': " + why)
      }
      setters.append(setter)
      values.append(v)
    }
    return SweepVariation(axis: SweepAxis(key: key, values: values), key: found, setters: setters)
  }

  /// The scenario parser's did-you-mean, or else the one candidate that starts with the word (or
  /// that the word starts with), ignoring case: `Visibility` → `VisibilityTimeout`.
  static func sweepSuggestion(_ word: String, _ candidates: [String]) -> String? {
    if let s = suggestion(word, candidates) { return s }
    guard word.count >= 3 else { return nil }
    let w = word.lowercased()
    let matches = candidates.filter { $0.lowercased().hasPrefix(w) || w.hasPrefix($0.lowercased()) }
    return matches.count == 1 ? matches[0] : nil
  }

  /// An example key of a scope, with a name from the pipeline.
  private static func example(_ scope: SweepKey.Scope, _ t: Topology) -> String {
    switch scope {
    case .queue: return "queue.\(t.queues.first?.name ?? "orders").VisibilityTimeout"
    case .mapping: return "mapping.\(t.mappings.first?.queue ?? "orders").BatchSize"
    default: return "function.\(t.functions.first?.name ?? "worker").Timeout"
    }
  }
}
