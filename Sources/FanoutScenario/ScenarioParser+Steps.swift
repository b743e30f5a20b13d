import FanoutSim
import Yams

// MARK: - Handlers made of steps (`type: steps`)

extension ScenarioParser {
  static let stepsHandlerKeys = ["type", "forEach", "reportItemFailures", "vars", "steps"]

  /// `{ type: steps, forEach: record, reportItemFailures: false, vars: {...}, steps: [...] }`.
  func stepsHandler(_ node: Node, _ path: String, _ names: Names) -> StepProgram? {
    guard let m = r.mapping(node, path, keys: ScenarioParser.stepsHandlerKeys) else { return nil }
    var program = StepProgram()
    var ok = true
    for (k, v) in m {
      let p = path + "." + k
      switch k {
      case "forEach":
        guard let s = r.string(v, p) else {
          ok = false
          continue
        }
        if let scope = StepProgram.Scope(rawValue: s) {
          program.forEach = scope
        } else {
          r.error(v, p, "forEach is 'invocation' (the steps run once) or 'record' (once per record of the batch)")
          ok = false
        }
      case "reportItemFailures":
        if let x = r.bool(v, p) { program.reportItemFailures = x } else { ok = false }
      case "vars":
        for (name, value) in r.mapping(v, p, keys: anyKey(v)) ?? [] {
          guard let j = r.json(value, p + "." + name), let parsed = JSONValue.parse(j) else {
            ok = false
            continue
          }
          program.vars.append((name, parsed))
        }
      case "steps":
        for (i, s) in (r.list(v, p) ?? []).enumerated() {
          if let step = step(s, p + "[\(i)]", names) { program.steps.append(step) } else { ok = false }
        }
      default: break
      }
    }
    if !m.contains(where: { $0.0 == "steps" }) {
      r.error(node, path, "a steps handler needs 'steps': a list of " + Step.keywords.joined(separator: ", "))
      return nil
    }
    return ok ? program : nil
  }

  /// The keys of a mapping whose keys are names (any key is allowed).
  func anyKey(_ node: Node) -> [String] {
    guard case .mapping(let m) = node else { return [] }
    return m.keys.compactMap(\.string)
  }

  /// One step: a mapping with exactly one key, the step's keyword.
  func step(_ node: Node, _ path: String, _ names: Names) -> Step? {
    guard case .mapping(let m) = node, m.count == 1, let (kn, v) = m.first, let keyword = kn.string else {
      r.error(node, path, "a step is a mapping with one key: " + Step.keywords.joined(separator: ", "))
      return nil
    }
    let p = path + "." + keyword
    switch keyword {
    case "read": return read(v, p)
    case "newId":
      guard let sm = fields(v, p, ["kind", "as"], required: ["as"]) else { return nil }
      var kind = NewIDStep.Kind.md5Timestamp
      if let kn = sm["kind"] {
        guard let k = choice(kn, p + ".kind", NewIDStep.Kind.allCases.map(\.rawValue)) else { return nil }
        kind = NewIDStep.Kind(rawValue: k)!
      }
      guard let name = variable(sm["as"]!, p + ".as") else { return nil }
      return .newID(NewIDStep(kind, as: name))
    case "let":
      guard let lm = r.mapping(v, p, keys: anyKey(v)), !lm.isEmpty else {
        if case .mapping = v { r.error(v, p, "let sets at least one variable: { name: value }") }
        return nil
      }
      var out: [(name: String, value: JSONTemplate)] = []
      for (name, value) in lm {
        guard variableName(name, value, p + "." + name), let j = jsonTemplate(value, p + "." + name) else {
          return nil
        }
        out.append((name, j))
      }
      return .bind(out)
    case "s3Get":
      guard let sm = fields(v, p, ["bucket", "key", "as", "missing"], required: ["bucket", "key"]),
        let bucket = reference(sm["bucket"]!, p + ".bucket", .bucket, names),
        let key = template(sm["key"]!, p + ".key")
      else { return nil }
      var step = S3GetStep(bucket: bucket, key: key, as: nil)
      if let a = sm["as"] {
        guard let n = variable(a, p + ".as") else { return nil }
        step.name = n
      }
      if let x = sm["missing"] {
        guard let c = choice(x, p + ".missing", MissingAction.allCases.map(\.rawValue)) else { return nil }
        step.missing = MissingAction(rawValue: c)!
      }
      return .s3Get(step)
    case "s3Put":
      guard
        let sm = fields(
          v, p, ["bucket", "key", "body", "ifNoneMatch", "onExists"], required: ["bucket", "key", "body"]),
        let bucket = reference(sm["bucket"]!, p + ".bucket", .bucket, names),
        let key = template(sm["key"]!, p + ".key"), let body = body(sm["body"]!, p + ".body")
      else { return nil }
      var step = S3PutStep(bucket: bucket, key: key, body: body)
      if let x = sm["ifNoneMatch"] {
        guard let b = r.bool(x, p + ".ifNoneMatch") else { return nil }
        step.ifNoneMatch = b
      }
      if let x = sm["onExists"] {
        guard let c = choice(x, p + ".onExists", S3PutStep.ExistsAction.allCases.map(\.rawValue)) else { return nil }
        step.onExists = S3PutStep.ExistsAction(rawValue: c)!
        if !step.ifNoneMatch {
          r.error(x, p + ".onExists", "onExists is what a 412 does: it needs ifNoneMatch: true")
          return nil
        }
      }
      return .s3Put(step)
    case "s3Head":
      guard let sm = fields(v, p, ["bucket", "key", "as", "missing", "found"], required: ["bucket", "key"]),
        let bucket = reference(sm["bucket"]!, p + ".bucket", .bucket, names),
        let key = template(sm["key"]!, p + ".key")
      else { return nil }
      var step = S3HeadStep(bucket: bucket, key: key)
      if let a = sm["as"] {
        guard let n = variable(a, p + ".as") else { return nil }
        step.name = n
      }
      if let x = sm["missing"] {
        guard let c = choice(x, p + ".missing", MissingAction.allCases.map(\.rawValue)) else { return nil }
        step.missing = MissingAction(rawValue: c)!
      }
      if let x = sm["found"] {
        guard let c = choice(x, p + ".found", S3HeadStep.FoundAction.allCases.map(\.rawValue)) else { return nil }
        step.found = S3HeadStep.FoundAction(rawValue: c)!
      }
      return .s3Head(step)
    case "s3Delete":
      guard let sm = fields(v, p, ["bucket", "key"], required: ["bucket", "key"]),
        let bucket = reference(sm["bucket"]!, p + ".bucket", .bucket, names),
        let key = template(sm["key"]!, p + ".key")
      else { return nil }
      return .s3Delete(S3DeleteStep(bucket: bucket, key: key))
    case "publish":
      guard
        let sm = fields(v, p, ["topic", "message", "subject", "attributes"], required: ["topic", "message"]),
        let topic = reference(sm["topic"]!, p + ".topic", .topic, names),
        let message = body(sm["message"]!, p + ".message")
      else { return nil }
      var step = PublishStep(topic: topic, message: message)
      if let s = sm["subject"] {
        guard let t = template(s, p + ".subject") else { return nil }
        step.subject = t
      }
      if let a = sm["attributes"] {
        guard let list = attributes(a, p + ".attributes") else { return nil }
        step.attributes = list
      }
      return .publish(step)
    case "send":
      guard
        let sm = fields(v, p, ["queue", "body", "attributes", "DelaySeconds"], required: ["queue", "body"]),
        let queue = reference(sm["queue"]!, p + ".queue", .queue, names),
        let body = body(sm["body"]!, p + ".body")
      else { return nil }
      var step = SendStep(queue: queue, body: body)
      if let a = sm["attributes"] {
        guard let list = attributes(a, p + ".attributes") else { return nil }
        step.attributes = list
      }
      if let d = sm["DelaySeconds"] {
        guard let x = r.seconds(d, p + ".DelaySeconds", limit: Limits.SQS.sendDelaySeconds) else { return nil }
        step.delay = x
      }
      return .send(step)
    case "wait", "compute":
      guard let model = r.durationModel(v, p) else { return nil }
      return keyword == "wait" ? .wait(model) : .compute(model)
    case "fail": return fail(v, p)
    case "complete":
      guard let stage = r.string(v, p) else { return nil }
      return .complete(stage: stage)
    default:
      var message = "unknown step '\(keyword)'"
      if let s = suggestion(keyword, Step.keywords) { message += " (did you mean '\(s)'?)" }
      r.error(kn, path, message + "; expected one of: " + Step.keywords.joined(separator: ", "))
      return nil
    }
  }

  /// A step's mapping, with its required keys reported when missing.
  func fields(_ node: Node, _ path: String, _ keys: [String], required: [String]) -> [String: Node]? {
    guard let m = r.mapping(node, path, keys: keys) else { return nil }
    let d = Dictionary(m, uniquingKeysWith: { a, _ in a })
    let missing = required.filter { d[$0] == nil }
    if !missing.isEmpty {
      let step = path.split(separator: ".").last.map(String.init) ?? "this step"
      r.error(node, path, "\(step) needs " + missing.map { "'\($0)'" }.joined(separator: " and "))
      return nil
    }
    return d
  }

  func choice(_ node: Node, _ path: String, _ options: [String]) -> String? {
    guard let s = r.string(node, path) else { return nil }
    guard options.contains(s) else {
      var message = "expected one of: " + options.joined(separator: ", ") + ", found '\(s)'"
      if let x = suggestion(s, options) { message += " (did you mean '\(x)'?)" }
      r.error(node, path, message)
      return nil
    }
    return s
  }

  /// A bucket, topic or queue a step names: checked with the others once everything is defined.
  func reference(_ node: Node, _ path: String, _ kind: RefKind, _ names: Names) -> String? {
    guard let s = r.string(node, path) else { return nil }
    names.refs.append((s, kind, node, path))
    return s
  }

  func variableName(_ name: String, _ node: Node, _ path: String) -> Bool {
    guard isIdentifier(name) else {
      r.error(node, path, "'\(name)' is not a variable name (letters, digits and _, not starting with a digit)")
      return false
    }
    return true
  }

  func variable(_ node: Node, _ path: String) -> String? {
    guard let s = r.string(node, path), variableName(s, node, path) else { return nil }
    return s
  }

  func template(_ node: Node, _ path: String) -> TextTemplate? {
    guard case .scalar(let s) = node else {
      r.error(node, path, "expected a text template such as \"orders/{order_id}.json\", found \(r.describe(node))")
      return nil
    }
    do { return try TextTemplate(s.string) } catch {
      r.error(node, path, "\(error.message) (quote a template in YAML: \"{name}\")")
      return nil
    }
  }

  /// A YAML value whose strings may be templates; a string that is one `{name}` is the variable's
  /// own value.
  func jsonTemplate(_ node: Node, _ path: String) -> JSONTemplate? {
    guard r.visit(node, path) else { return nil }
    switch node {
    case .scalar(let s):
      if s.style == .plain || s.style == .any, !s.string.contains("{") {
        guard let j = r.json(node, path), let v = JSONValue.parse(j) else { return nil }
        return .value(v)
      }
      guard let t = template(node, path) else { return nil }
      if t.parts.count == 1, case .variable(let v, .str) = t.parts[0] { return .variable(v) }
      if t.variables.isEmpty {
        // Only text: `{{` and `}}` were braces.
        return .value(
          .string(
            t.parts.map {
              if case .literal(let l) = $0 { return l }
              return ""
            }.joined()))
      }
      return .text(t)
    case .sequence(let items):
      var out: [JSONTemplate] = []
      for (i, x) in items.enumerated() {
        guard let j = jsonTemplate(x, path + "[\(i)]") else { return nil }
        out.append(j)
      }
      return .array(out)
    case .mapping(let m):
      var out: [(String, JSONTemplate)] = []
      for (k, x) in m {
        guard let key = k.string else {
          r.error(k, path, "a key must be a string")
          return nil
        }
        guard let j = jsonTemplate(x, path + "." + key) else { return nil }
        out.append((key, j))
      }
      return .object(out)
    case .alias:
      r.error(node, path, "aliases are not supported here")
      return nil
    }
  }

  /// A body: a text template, `{ json: … }`, `{ from: <variable>, set: {…} }` or `{ record: body |
  /// message }`.
  func body(_ node: Node, _ path: String) -> BodyTemplate? {
    if case .scalar = node { return template(node, path).map { .text($0) } }
    let forms =
      "a text template, { json: <value> }, { from: <variable>, set: { field: value } } or { record: body | message }"
    guard case .mapping = node else {
      r.error(node, path, "expected \(forms), found \(r.describe(node))")
      return nil
    }
    guard let entries = r.mapping(node, path, keys: ["json", "from", "set", "record"]) else { return nil }
    let d = Dictionary(entries, uniquingKeysWith: { a, _ in a })
    if let j = d["json"], d.count == 1 { return jsonTemplate(j, path + ".json").map { .json($0) } }
    if let rec = d["record"], d.count == 1 {
      guard let c = choice(rec, path + ".record", BodyTemplate.RecordPart.allCases.map(\.rawValue)) else { return nil }
      return .record(BodyTemplate.RecordPart(rawValue: c)!)
    }
    if let f = d["from"], d["json"] == nil, d["record"] == nil {
      guard let v = variable(f, path + ".from") else { return nil }
      var set: [(field: String, value: JSONTemplate)] = []
      if let s = d["set"] {
        for (field, value) in r.mapping(s, path + ".set", keys: anyKey(s)) ?? [] {
          guard let j = jsonTemplate(value, path + ".set." + field) else { return nil }
          set.append((field, j))
        }
      }
      return .edit(variable: v, set: set)
    }
    r.error(node, path, "expected \(forms)")
    return nil
  }

  /// `{ name: "template" }` (a String attribute) or `{ name: { DataType: Number, StringValue: "…" } }`.
  func attributes(_ node: Node, _ path: String) -> [AttributeTemplate]? {
    guard let m = r.mapping(node, path, keys: anyKey(node)) else { return nil }
    var out: [AttributeTemplate] = []
    for (name, v) in m {
      let p = path + "." + name
      if case .mapping = v {
        guard let d = fields(v, p, ["DataType", "StringValue"], required: ["DataType", "StringValue"]),
          let type = r.string(d["DataType"]!, p + ".DataType"),
          let value = template(d["StringValue"]!, p + ".StringValue")
        else { return nil }
        guard ["String", "Number", "Binary"].contains(where: { type == $0 || type.hasPrefix($0 + ".") }) else {
          r.error(
            d["DataType"]!, p + ".DataType",
            "The message attribute '\(name)' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
          )
          return nil
        }
        out.append(AttributeTemplate(name: name, dataType: type, value: value))
      } else {
        guard let value = template(v, p) else { return nil }
        out.append(AttributeTemplate(name: name, value: value))
      }
    }
    return out
  }

  /// `read: { from: body | envelope | attributes | envelopeAttributes, path, name, as, default }`
  /// or `read: { var: <variable>, path, as, default }`.
  func read(_ node: Node, _ path: String) -> Step? {
    guard let d = fields(node, path, ["from", "var", "path", "name", "as", "default"], required: ["as"]) else {
      return nil
    }
    let sources = ["body", "envelope", "attributes", "envelopeAttributes"]
    let source: ReadStep.Source
    switch (d["from"], d["var"]) {
    case (let f?, nil):
      guard let s = choice(f, path + ".from", sources) else { return nil }
      switch s {
      case "body": source = .body
      case "envelope": source = .envelope
      default:
        guard let nn = d["name"], let name = r.string(nn, path + ".name") else {
          r.error(node, path, "reading \(s) needs 'name': the attribute's name")
          return nil
        }
        source = s == "attributes" ? .attribute(name) : .envelopeAttribute(name)
      }
    case (nil, let v?):
      guard let name = variable(v, path + ".var") else { return nil }
      source = .variable(name)
    default:
      r.error(node, path, "read takes exactly one of 'from' (" + sources.joined(separator: ", ") + ") and 'var'")
      return nil
    }
    if let n = d["name"] {
      switch source {
      case .attribute, .envelopeAttribute: break
      case .body, .envelope, .variable:
        r.error(n, path + ".name", "'name' is an attribute's name: it goes with from: attributes or envelopeAttributes")
        return nil
      }
    }
    var jsonPath = JSONPath([])
    if let pn = d["path"] {
      guard case .scalar(let s) = pn else {
        r.error(pn, path + ".path", "expected a path such as order.items[0].sku, found \(r.describe(pn))")
        return nil
      }
      do { jsonPath = try JSONPath(parsing: s.string) } catch {
        r.error(pn, path + ".path", error.message)
        return nil
      }
    }
    guard let name = variable(d["as"]!, path + ".as") else { return nil }
    var fallback: JSONValue?
    if let dn = d["default"] {
      guard let j = r.json(dn, path + ".default"), let v = JSONValue.parse(j) else { return nil }
      fallback = v
    }
    return .read(ReadStep(source: source, path: jsonPath, as: name, fallback: fallback))
  }

  /// `fail: { if: { value, equals | matches }, probability, error }`, or `fail: "<error>"`.
  func fail(_ node: Node, _ path: String) -> Step? {
    if case .scalar = node {
      guard let e = template(node, path) else { return nil }
      return .fail(FailStep(error: e))
    }
    guard let d = fields(node, path, ["if", "probability", "error"], required: []) else { return nil }
    var step = FailStep()
    if let e = d["error"] {
      guard let t = template(e, path + ".error") else { return nil }
      step.error = t
    }
    if let pn = d["probability"] {
      guard let x = r.double(pn, path + ".probability", 0...1) else { return nil }
      step.probability = x
    }
    if let c = d["if"] {
      let p = path + ".if"
      guard let cd = fields(c, p, ["value", "equals", "matches"], required: ["value"]),
        let value = template(cd["value"]!, p + ".value")
      else { return nil }
      switch (cd["equals"], cd["matches"]) {
      case (let e?, nil):
        guard case .scalar(let s) = e else {
          r.error(e, p + ".equals", "expected the text to compare with, found \(r.describe(e))")
          return nil
        }
        step.condition = FailStep.Condition(value: value, .equals(s.string))
      case (nil, let m?):
        guard let s = r.string(m, p + ".matches") else { return nil }
        step.condition = FailStep.Condition(value: value, .matches(s))
      default:
        r.error(c, p, "a condition takes exactly one of 'equals' (the text) and 'matches' (a regular expression)")
        return nil
      }
    }
    return .fail(step)
  }
}
