import FanoutSim
import Foundation

// MARK: - What an import found, written as a scenario a person can read and edit

/// Where a line of the written scenario came from: a file (the template, or the behaviour
/// overlay) and a place in it.
struct Origin: Sendable, Equatable {
  var file: String
  var place: Place
}

/// A scalar or a flow value to write after `key:`.
enum YAMLText: Sendable, Equatable {
  /// A number or a boolean, written as is.
  case plain(String)
  /// A string, quoted when YAML needs it.
  case string(String)
  /// Flow text written as is (JSON, which YAML reads as a flow mapping or list).
  case flow(String)
}

/// One line of the scenario, with where it came from.
struct ScenarioLine: Sendable {
  var text: String
  var origin: Origin?
}

/// A `key: value` (or a `key:` with lines below it) of a scenario component.
struct Entry: Sendable {
  var key: String
  var value: YAMLText?
  /// Lines below `key:`, already indented relative to it (for nested blocks).
  var below: [ScenarioLine] = []
  var origin: Origin
  var comment: String?

  init(_ key: String, _ value: YAMLText?, _ origin: Origin, comment: String? = nil, below: [ScenarioLine] = []) {
    self.key = key
    self.value = value
    self.origin = origin
    self.comment = comment
    self.below = below
  }
}

/// A component of the imported pipeline (queue, topic, function, …), as scenario entries.
struct Component: Sendable {
  var name: String
  var origin: Origin
  var entries: [Entry] = []
  /// Comment lines written above the component.
  var comments: [String] = []
  init(name: String, origin: Origin) {
    self.name = name
    self.origin = origin
  }
  mutating func set(_ e: Entry) {
    entries.removeAll { $0.key == e.key }
    entries.append(e)
  }
  func has(_ key: String) -> Bool { entries.contains { $0.key == key } }
}

struct ImportedSubscription: Sendable {
  /// `queue`, `function` or `sink`, and the name.
  var endpointKey: String
  var endpoint: String
  var component: Component
  /// The subscription's dead-letter queue (RedrivePolicy), if any.
  var deadLetterQueue: String?
  init(endpointKey: String, endpoint: String, component: Component, deadLetterQueue: String? = nil) {
    self.endpointKey = endpointKey
    self.endpoint = endpoint
    self.component = component
    self.deadLetterQueue = deadLetterQueue
  }
}

struct ImportedTopic: Sendable {
  var component: Component
  var subscriptions: [ImportedSubscription] = []
}

struct ImportedMapping: Sendable {
  var queue: String
  var function: String
  var component: Component
}

/// A queue's policy as the import found it.
enum ImportedPolicy: Sendable {
  /// Not checked (no SNS subscription, or `--assume-policies`, or a value a plan leaves unknown).
  case unchecked
  /// The template gives the queue no policy.
  case none
  case document(String, Origin)
}

struct ImportedQueue: Sendable {
  var component: Component
  var policy = ImportedPolicy.unchecked
  /// The resources the policy came from, for the report.
  var policySources: [String] = []
}

/// What the import report says of one resource: what it became, what of it was mapped, what
/// fanout does not model (and why), and notes.
struct ResourceReport: Sendable {
  var origin: Origin
  /// `Resources.Orders (AWS::SNS::Topic)`.
  var subject: String
  /// `topic 'orders'`, or why the resource was not imported.
  var outcome: String
  var mapped: [String] = []
  var notModelled: [(String, String)] = []
  var notes: [String] = []
}

/// What a template says of a function's code: enough to run it as a process (`--code`).
struct FunctionCode: Sendable {
  var runtime: String?
  var handler: String?
  /// `Environment.Variables`, each known value (a value fanout cannot know is left out).
  var environment: [(String, String)] = []
  /// A local folder the template names (SAM's `CodeUri`, a `Code` string before packaging).
  var path: String?
  var origin: Origin
}

/// A whole imported pipeline.
struct ImportedPipeline: Sendable {
  /// `CloudFormation`, `CloudFormation (SAM transform)`, `Terraform plan`, `Terraform state`.
  var kind: String
  var source: String
  var name: String
  var region = "us-east-1"
  var account = "123456789012"
  var buckets: [Component] = []
  var topics: [ImportedTopic] = []
  var queues: [ImportedQueue] = []
  var functions: [Component] = []
  var mappings: [ImportedMapping] = []
  var reports: [ResourceReport] = []
  /// Who may invoke each function through SNS: (source ARN pattern, the resource that said so).
  var snsPermissions: [String: [(String, String)]] = [:]
  /// Top-level sections the overlay gives (entry, load, timeline, expect, …), in order.
  var top: [Entry] = []
  /// Each function's code as the template gives it, by function name.
  var code: [String: FunctionCode] = [:]

  func queueIndex(_ name: String) -> Int? { queues.firstIndex { $0.component.name == name } }
  func functionIndex(_ name: String) -> Int? { functions.firstIndex { $0.name == name } }
  func topicIndex(_ name: String) -> Int? { topics.firstIndex { $0.component.name == name } }
}

// MARK: Writing YAML

/// A YAML scalar: plain when YAML reads it back as the same string, else double-quoted.
func yamlScalar(_ s: String) -> String {
  let reserved: Set<String> = [
    "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no",
    "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "none",
  ]
  let safe = s.unicodeScalars.allSatisfy {
    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
      || "_-./@".unicodeScalars.contains($0)
  }
  let first = s.unicodeScalars.first
  let looksNumeric = Double(s) != nil || s.hasPrefix("0x") || s.hasPrefix("0o") || s.hasPrefix(".")
  if safe, !reserved.contains(s), !looksNumeric, first != "-", first != "@", !s.contains("..") { return s }
  return jsonString(s)
}

func yamlText(_ v: YAMLText) -> String {
  switch v {
  case .plain(let s): return s
  case .string(let s): return yamlScalar(s)
  case .flow(let s): return s
  }
}

extension ImportedPipeline {
  /// The scenario, line by line, each with where it came from.
  func scenarioLines() -> [ScenarioLine] {
    let fileTop = Origin(file: source, place: .top)
    var out: [ScenarioLine] = []
    func line(_ text: String, _ origin: Origin?) { out.append(ScenarioLine(text: text, origin: origin ?? fileTop)) }
    func comment(_ text: String, indent: String) {
      for part in text.split(separator: "\n", omittingEmptySubsequences: false) {
        line(indent + "# " + part, nil)
      }
    }
    func entries(_ es: [Entry], indent: String) {
      for e in es {
        if let c = e.comment { comment(c, indent: indent) }
        if let v = e.value {
          line(indent + yamlScalar(e.key) + ": " + yamlText(v), e.origin)
        } else {
          line(indent + yamlScalar(e.key) + ":", e.origin)
        }
        for b in e.below { out.append(ScenarioLine(text: indent + b.text, origin: b.origin ?? e.origin)) }
      }
    }
    /// A list item: `- key: value` for its first entry, the rest below it.
    func item(_ c: Component, first: Entry, indent: String) {
      for x in c.comments { comment(x, indent: indent) }
      let start = out.count
      entries([first] + c.entries, indent: indent + "  ")
      // The first entry's line (after any comment lines) gets the dash.
      if let i = out[start...].firstIndex(where: { !$0.text.trimmingCharacters(in: .whitespaces).hasPrefix("#") }) {
        out[i].text = indent + "- " + out[i].text.dropFirst(indent.count + 2)
        out[i].origin = c.origin
      }
    }
    comment(
      "Imported by fanout from \(source) (\(kind)).\nEvery resource and property, and what fanout does with it: docs/import.md;\nthe import's report (fanout import) lists what this pipeline left out.",
      indent: "")
    line("name: " + yamlScalar(name), nil)
    line("region: " + yamlScalar(region), nil)
    line("account: " + jsonString(account), nil)
    for e in top where ["name", "description", "seed", "start", "accountConcurrency", "latency"].contains(e.key) {
      out.removeAll { $0.text.hasPrefix(e.key + ":") }
      entries([e], indent: "")
    }
    if !buckets.isEmpty {
      line("buckets:", nil)
      for b in buckets {
        for x in b.comments { comment(x, indent: "  ") }
        line("  - " + yamlScalar(b.name), b.origin)
      }
    }
    if !topics.isEmpty {
      line("topics:", nil)
      for t in topics {
        var c = t.component
        var subs: [ScenarioLine] = []
        if !t.subscriptions.isEmpty {
          subs.append(ScenarioLine(text: "subscriptions:", origin: c.origin))
          for s in t.subscriptions {
            for x in s.component.comments {
              for part in x.split(separator: "\n") { subs.append(ScenarioLine(text: "  # " + part, origin: nil)) }
            }
            var first = true
            for e in [Entry(s.endpointKey, .string(s.endpoint), s.component.origin)] + s.component.entries {
              if let cm = e.comment { subs.append(ScenarioLine(text: "    # " + cm, origin: nil)) }
              let lead = first ? "  - " : "    "
              first = false
              let text = lead + yamlScalar(e.key) + (e.value.map { ": " + yamlText($0) } ?? ":")
              subs.append(ScenarioLine(text: text, origin: e.origin))
              for b in e.below { subs.append(ScenarioLine(text: "    " + b.text, origin: b.origin ?? e.origin)) }
            }
          }
        }
        c.entries = c.entries.filter { $0.key != "subscriptions" }
        item(c, first: Entry("name", .string(c.name), c.origin), indent: "  ")
        for s in subs { out.append(ScenarioLine(text: "    " + s.text, origin: s.origin ?? c.origin)) }
      }
    }
    if !queues.isEmpty {
      line("queues:", nil)
      for q in queues {
        var c = q.component
        switch q.policy {
        case .unchecked: break
        case .none:
          c.set(
            Entry(
              "Policy", .plain("none"), c.origin,
              comment: "The template gives this queue no policy: SNS may not send to it (AccessDenied)."))
        case .document(let json, let origin):
          c.set(
            Entry(
              "Policy", .flow(json), origin,
              comment: q.policySources.isEmpty ? nil : "Policy from " + q.policySources.joined(separator: ", ")))
        }
        item(c, first: Entry("name", .string(c.name), c.origin), indent: "  ")
      }
    }
    if !functions.isEmpty {
      line("functions:", nil)
      for f in functions { item(f, first: Entry("name", .string(f.name), f.origin), indent: "  ") }
    }
    if !mappings.isEmpty {
      line("eventSourceMappings:", nil)
      for m in mappings {
        var c = m.component
        c.entries.insert(Entry("function", .string(m.function), c.origin), at: 0)
        item(c, first: Entry("queue", .string(m.queue), c.origin), indent: "  ")
      }
    }
    for e in top where !["name", "description", "seed", "start", "accountConcurrency", "latency"].contains(e.key) {
      entries([e], indent: "")
    }
    return out
  }

  /// The report: each resource, what it became, what was mapped and what fanout does not model.
  func reportText() -> String {
    var out = "fanout import: \(source) (\(kind)): "
    out += "\(topics.count) topics, \(queues.count) queues, \(functions.count) functions, "
    out += "\(mappings.count) event source mappings, \(buckets.count) buckets\n"
    for r in reports {
      out += "\(r.origin.file):\(r.origin.place.line):\(r.origin.place.column): \(r.subject) → \(r.outcome)\n"
      if !r.mapped.isEmpty { out += "    mapped: " + r.mapped.joined(separator: ", ") + "\n" }
      for (p, why) in r.notModelled { out += "    not modelled: \(p) — \(why)\n" }
      for n in r.notes { out += "    note: \(n)\n" }
    }
    return out
  }
}
