import FanoutSim
import Foundation
import Yams

// MARK: - The behaviour overlay: what an imported pipeline's code does, and how it is driven

/// A YAML file that says what a template cannot: what each function's code does, which function
/// a request fires, and the load, timeline and expectations of a run.
///
/// ```yaml
/// entry: preprocessor                 # the function --requests and the dashboard's p fire
/// functions:
///   preprocessor:                     # a function's name in the imported pipeline
///     handler: { type: seed-preprocessor, bucket: fanout-bucket, prefix: fanout, stage: preprocessor, topic: connector }
///     duration: { median: 2ms, sigma: 0.2 }
/// queues:
///   orders: { duplicateRate: 0.01 }   # fanout's knobs of a queue
/// load: [ { constant: { rate: 50, count: 100 } } ]
/// expect: { allRequestsComplete: true }
/// ```
///
/// Each function's (and queue's) keys are the scenario's own, written as the scenario format
/// writes them: they are copied into the imported scenario and validated there, so whatever
/// `handler:` the scenario parser accepts, the overlay accepts. A key the template also sets
/// (`Timeout`) is the overlay's. `seed`, `name`, `description`, `start`, `accountConcurrency`,
/// `latency`, `load`, `timeline` and `expect` are copied as the scenario's top-level sections.
struct BehaviourOverlay {
  static let keys = [
    "entry", "functions", "queues", "name", "description", "seed", "start", "accountConcurrency", "latency", "load",
    "timeline", "expect",
  ]

  var file: String
  var entry: (name: String, origin: Origin)?
  var functions: [(name: String, origin: Origin, entries: [Entry])] = []
  var queues: [(name: String, origin: Origin, entries: [Entry])] = []
  var top: [Entry] = []

  static func load(path: String, log: ImportLog) -> BehaviourOverlay? {
    guard let data = FileManager.default.contents(atPath: path) else {
      log.error(nil, "cannot read the behaviour overlay", file: path)
      return nil
    }
    guard data.count <= maxScenarioBytes, let text = String(data: data, encoding: .utf8) else {
      log.error(nil, "the behaviour overlay must be UTF-8 text of at most \(maxScenarioBytes) bytes", file: path)
      return nil
    }
    return parse(text, file: path, log: log)
  }

  static func parse(_ text: String, file: String, log: ImportLog) -> BehaviourOverlay? {
    func place(_ n: Node, _ path: String) -> Place {
      Place(line: n.mark?.line ?? 1, column: n.mark?.column ?? 1, path: path)
    }
    let root: Node
    do {
      guard let n = try Yams.compose(yaml: text) else { return BehaviourOverlay(file: file) }
      root = n
    } catch let e as YamlError {
      let (line, column, message) = Scenario.locate(e)
      log.error(Place(line: line, column: column, path: ""), message, file: file)
      return nil
    } catch {
      log.error(nil, "not YAML: \(error)", file: file)
      return nil
    }
    guard case .mapping(let top) = root else {
      log.error(place(root, ""), "a behaviour overlay is a mapping of " + keys.joined(separator: ", "), file: file)
      return nil
    }
    var o = BehaviourOverlay(file: file)
    var budget = Reader.maxNodes
    for (k, v) in top {
      guard let key = k.string, keys.contains(key) else {
        var m = "unknown key '\(k.string ?? "?")'"
        if let s = suggestion(k.string ?? "", keys) { m += " (did you mean '\(s)'?)" }
        log.error(place(k, k.string ?? ""), m + "; a behaviour overlay has " + keys.joined(separator: ", "), file: file)
        continue
      }
      switch key {
      case "entry":
        guard case .scalar(let s) = v, !s.string.isEmpty else {
          log.error(place(v, "entry"), "entry is a function's name", file: file)
          continue
        }
        o.entry = (s.string, Origin(file: file, place: place(v, "entry")))
      case "functions", "queues":
        guard case .mapping(let m) = v else {
          log.error(place(v, key), "\(key) maps a \(key.dropLast())'s name to its scenario keys", file: file)
          continue
        }
        for (nk, nv) in m {
          guard let name = nk.string else { continue }
          let path = key + "." + name
          guard case .mapping(let fields) = nv else {
            log.error(place(nv, path), "\(path) is a mapping of scenario keys (handler, duration, …)", file: file)
            continue
          }
          var entries: [Entry] = []
          for (fk, fv) in fields {
            guard let f = fk.string, f != "name" else {
              log.error(place(fk, path), "the name comes from the template", file: file)
              continue
            }
            if let e = yamlEntry(f, fk, fv, file: file, path: path + "." + f, budget: &budget, log: log) {
              entries.append(e)
            }
          }
          let item = (name, Origin(file: file, place: place(nk, path)), entries)
          if key == "functions" { o.functions.append(item) } else { o.queues.append(item) }
        }
      default:
        if let e = yamlEntry(key, k, v, file: file, path: key, budget: &budget, log: log) { o.top.append(e) }
      }
    }
    return o
  }

  /// A key and its YAML value as scenario lines, each line carrying its place in the overlay.
  static func yamlEntry(
    _ key: String, _ keyNode: Node, _ value: Node, file: String, path: String, budget: inout Int, log: ImportLog
  ) -> Entry? {
    func origin(_ n: Node) -> Origin {
      Origin(file: file, place: Place(line: n.mark?.line ?? 1, column: n.mark?.column ?? 1, path: path))
    }
    func scalar(_ s: Node.Scalar, _ tag: String) -> String {
      var text: String
      if s.style == .plain || s.style == .any {
        text = tag == "tag:yaml.org,2002:str" ? yamlScalar(s.string) : s.string
      } else {
        text = jsonString(s.string)
      }
      if tag.hasPrefix("!"), !tag.hasPrefix("!!") { text = tag + " " + text }
      return text
    }
    /// Lines for a value below a key, indented by `indent`.
    func lines(_ n: Node, indent: String) -> [ScenarioLine]? {
      budget -= 1
      guard budget >= 0 else {
        log.error(origin(n).place, "the overlay expands to more than \(Reader.maxNodes) nodes (aliases?)", file: file)
        return nil
      }
      switch n {
      case .mapping(let m):
        var out: [ScenarioLine] = []
        for (k, v) in m {
          let ks = yamlScalar(k.string ?? "")
          switch v {
          case .scalar(let s):
            out.append(ScenarioLine(text: indent + ks + ": " + scalar(s, v.tag.description), origin: origin(k)))
          case .mapping(let mm) where mm.count == 0:
            out.append(ScenarioLine(text: indent + ks + ": {}", origin: origin(k)))
          case .sequence(let ss) where ss.count == 0:
            out.append(ScenarioLine(text: indent + ks + ": []", origin: origin(k)))
          default:
            out.append(ScenarioLine(text: indent + ks + ":", origin: origin(k)))
            guard let below = lines(v, indent: indent + "  ") else { return nil }
            out += below
          }
        }
        return out
      case .sequence(let seq):
        var out: [ScenarioLine] = []
        for item in seq {
          switch item {
          case .scalar(let s):
            out.append(ScenarioLine(text: indent + "- " + scalar(s, item.tag.description), origin: origin(item)))
          case .mapping(let mm) where mm.count == 0:
            out.append(ScenarioLine(text: indent + "- {}", origin: origin(item)))
          case .sequence(let ss) where ss.count == 0:
            out.append(ScenarioLine(text: indent + "- []", origin: origin(item)))
          default:
            guard var below = lines(item, indent: indent + "  "), !below.isEmpty else { return nil }
            below[0].text = indent + "- " + below[0].text.dropFirst(indent.count + 2)
            out += below
          }
        }
        return out
      case .scalar(let s): return [ScenarioLine(text: indent + scalar(s, n.tag.description), origin: origin(n))]
      case .alias:
        log.error(origin(n).place, "an alias that does not resolve", file: file)
        return nil
      }
    }
    switch value {
    case .scalar(let s): return Entry(key, .flow(scalar(s, value.tag.description)), origin(keyNode))
    case .mapping(let m) where m.count == 0: return Entry(key, .flow("{}"), origin(keyNode))
    case .sequence(let s) where s.count == 0: return Entry(key, .flow("[]"), origin(keyNode))
    default:
      guard let below = lines(value, indent: "  ") else { return nil }
      return Entry(key, nil, origin(keyNode), below: below)
    }
  }

  /// Applies the overlay: each function's and queue's keys (replacing the template's), the entry,
  /// the top-level sections. A name the pipeline does not have is an error, with a did-you-mean.
  func apply(to p: inout ImportedPipeline, log: ImportLog) {
    for f in functions {
      guard let i = p.functionIndex(f.name) else {
        var m = "the imported pipeline has no function '\(f.name)'"
        if let s = suggestion(f.name, p.functions.map(\.name)) { m += " (did you mean '\(s)'?)" }
        log.error(f.origin.place, m + "; its functions: " + p.functions.map(\.name).joined(separator: ", "), file: file)
        continue
      }
      for e in f.entries {
        if p.functions[i].has(e.key), e.key != "handler" {
          p.functions[i].comments.append("\(e.key): the behaviour overlay's (\(file)), not the template's")
        }
        p.functions[i].set(e)
      }
    }
    for q in queues {
      guard let i = p.queueIndex(q.name) else {
        var m = "the imported pipeline has no queue '\(q.name)'"
        if let s = suggestion(q.name, p.queues.map(\.component.name)) { m += " (did you mean '\(s)'?)" }
        log.error(q.origin.place, m, file: file)
        continue
      }
      for e in q.entries {
        if e.key == "Policy" { p.queues[i].policy = .unchecked }
        p.queues[i].component.set(e)
      }
    }
    if let e = entry {
      if p.functionIndex(e.name) == nil {
        var m = "entry names '\(e.name)', which is not a function of the imported pipeline"
        if let s = suggestion(e.name, p.functions.map(\.name)) { m += " (did you mean '\(s)'?)" }
        log.error(e.origin.place, m, file: file)
      } else {
        p.top.append(Entry("entry", .string(e.name), e.origin))
      }
    }
    p.top += top
  }
}
