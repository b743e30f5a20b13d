// MARK: - A general handler: a program of steps

/// What a function's code does, written as steps: the model of a real handler. A program runs
/// once per invocation (`forEach: invocation`) or once per record of the batch (`forEach:
/// record`); its steps read values into named variables, call S3, SNS and SQS with keys and bodies
/// built from those values, wait, compute and fail. Each AWS call takes the latency of its
/// `LatencySpec` model (S3 GET and HEAD `s3Get`, PUT and DELETE `s3Put`, SNS `snsPublish`, SQS
/// `sqsSend`) and fails with the words boto3 raises. The article's handlers are programs too
/// (`StepProgram.seedPreprocessor`, `StepProgram.seedService`). docs/scenarios.md describes
/// every step.
public struct StepProgram: Sendable {
  /// How often the steps run in an invocation.
  public enum Scope: String, Sendable, Equatable {
    /// Once, whatever the invocation carries (a fire at the entry function carries nothing).
    case invocation
    /// Once per record of the batch, in order; variables start afresh for each record.
    case record
  }
  public var forEach: Scope
  public var steps: [Step]
  /// With `forEach: record`: an error in a record's steps is caught, the record is reported in
  /// `batchItemFailures` and the next record goes on (the partial batch response idiom:
  /// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting).
  /// Without it the error fails the whole invocation.
  public var reportItemFailures: Bool
  /// Constants every step can use (as a function's environment variables would be).
  public var vars: [(name: String, value: JSONValue)]

  public init(
    forEach: Scope = .invocation, steps: [Step] = [], reportItemFailures: Bool = false,
    vars: [(name: String, value: JSONValue)] = []
  ) {
    self.forEach = forEach
    self.steps = steps
    self.reportItemFailures = reportItemFailures
    self.vars = vars
  }
}

/// One step of a handler program.
public enum Step: Sendable {
  /// Reads a value of the current record into a variable.
  case read(ReadStep)
  /// Makes a new identifier.
  case newID(NewIDStep)
  /// Sets variables from templates (`let`).
  case bind([(name: String, value: JSONTemplate)])
  case s3Get(S3GetStep)
  case s3Put(S3PutStep)
  case s3Head(S3HeadStep)
  case s3Delete(S3DeleteStep)
  /// SNS Publish.
  case publish(PublishStep)
  /// SQS SendMessage.
  case send(SendStep)
  /// Waits on an outside dependency (an HTTP API, a database): the duration is drawn each time.
  case wait(DurationModel)
  /// Computes for a duration drawn each time.
  case compute(DurationModel)
  /// Raises an error, when a value matches and/or with a probability.
  case fail(FailStep)
  /// fanout's bookkeeping, not code: the current request completed this stage (the request
  /// tracker's end-to-end latency, `allRequestsComplete`).
  case complete(stage: String)

  /// The step's key in a scenario.
  public var keyword: String {
    switch self {
    case .read: return "read"
    case .newID: return "newId"
    case .bind: return "let"
    case .s3Get: return "s3Get"
    case .s3Put: return "s3Put"
    case .s3Head: return "s3Head"
    case .s3Delete: return "s3Delete"
    case .publish: return "publish"
    case .send: return "send"
    case .wait: return "wait"
    case .compute: return "compute"
    case .fail: return "fail"
    case .complete: return "complete"
    }
  }

  /// Every step keyword.
  public static let keywords = [
    "read", "newId", "let", "s3Get", "s3Put", "s3Head", "s3Delete", "publish", "send", "wait", "compute", "fail",
    "complete",
  ]
}

/// `read`: a value of the record into a variable, as Python code would take it. Without a path
/// the value is the text itself (`record["body"]`, the Message, the attribute's value); with one,
/// the text is parsed (`json.loads`) and the path followed.
public struct ReadStep: Sendable {
  public enum Source: Sendable, Equatable {
    /// `json.loads(record["body"])`, then the path.
    case body
    /// `json.loads(json.loads(record["body"])["Message"])`, then the path: the message of the SNS
    /// envelope a subscription without raw delivery writes (a raw body is not an envelope:
    /// `KeyError: 'Message'`).
    case envelope
    /// `record["messageAttributes"][name]["stringValue"]` (`binaryValue` for a Binary one).
    case attribute(String)
    /// `json.loads(record["body"])["MessageAttributes"][name]["Value"]`: an attribute the
    /// publisher set, inside the SNS envelope.
    case envelopeAttribute(String)
    /// `json.loads(<variable>)`, then the path: an object a GET read, or text.
    case variable(String)
  }
  public var source: Source
  public var path: JSONPath
  public var name: String
  /// What the value is when the path leads nowhere (`dict.get(key, default)`); nil raises.
  public var fallback: JSONValue?
  public init(source: Source, path: JSONPath = JSONPath([]), as name: String, fallback: JSONValue? = nil) {
    self.source = source
    self.path = path
    self.name = name
    self.fallback = fallback
  }
}

/// `newId`: a new identifier into a variable.
public struct NewIDStep: Sendable {
  public enum Kind: String, Sendable, CaseIterable {
    /// `hashlib.md5(datetime.now().strftime("%Y%m%d%H%M%S%f").encode()).hexdigest()`: the seed
    /// preprocessor's request ID (two invocations in the same microsecond get the same one).
    case md5Timestamp = "md5-timestamp"
    /// `str(uuid.uuid4())`: 36 characters with dashes.
    case uuid4
    /// `uuid.uuid4().hex`: 32 lower-case hex digits, a tracked request ID.
    case uuid4Hex = "uuid4-hex"
  }
  public var kind: Kind
  public var name: String
  public init(_ kind: Kind, as name: String) {
    self.kind = kind
    self.name = name
  }
}

/// What a step does when the object it asks for does not exist.
public enum MissingAction: String, Sendable, CaseIterable {
  /// Raise boto3's error (the default: the code does not catch it).
  case fail
  /// End this record's steps (or the invocation's) successfully.
  case skip
  /// Go on, the variable set to null.
  case `continue`
}

/// `s3Get`: GetObject. The variable holds the object's body.
public struct S3GetStep: Sendable {
  public var bucket: String
  public var key: TextTemplate
  public var name: String?
  public var missing: MissingAction
  public init(bucket: String, key: TextTemplate, as name: String?, missing: MissingAction = .fail) {
    self.bucket = bucket
    self.key = key
    self.name = name
    self.missing = missing
  }
}

/// `s3Put`: PutObject.
public struct S3PutStep: Sendable {
  /// What happens when `If-None-Match: *` meets an object that exists (S3's 412).
  public enum ExistsAction: String, Sendable, CaseIterable {
    case fail
    case skip
  }
  public var bucket: String
  public var key: TextTemplate
  public var body: BodyTemplate
  /// `IfNoneMatch="*"`: create only when the key is absent
  /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
  public var ifNoneMatch: Bool
  public var onExists: ExistsAction
  public init(
    bucket: String, key: TextTemplate, body: BodyTemplate, ifNoneMatch: Bool = false, onExists: ExistsAction = .fail
  ) {
    self.bucket = bucket
    self.key = key
    self.body = body
    self.ifNoneMatch = ifNoneMatch
    self.onExists = onExists
  }
}

/// `s3Head`: HeadObject. The variable holds `{"ContentLength": n, "ETag": "\"…\""}`, or null
/// when the object is missing and `missing` is `continue`.
public struct S3HeadStep: Sendable {
  /// What happens when the object exists.
  public enum FoundAction: String, Sendable, CaseIterable {
    case `continue`
    /// End this record's steps (or the invocation's) successfully: "already done".
    case skip
  }
  public var bucket: String
  public var key: TextTemplate
  public var name: String?
  public var missing: MissingAction
  public var found: FoundAction
  public init(
    bucket: String, key: TextTemplate, as name: String? = nil, missing: MissingAction = .fail,
    found: FoundAction = .continue
  ) {
    self.bucket = bucket
    self.key = key
    self.name = name
    self.missing = missing
    self.found = found
  }
}

/// `s3Delete`: DeleteObject (S3 answers 204 whether or not the key existed).
public struct S3DeleteStep: Sendable {
  public var bucket: String
  public var key: TextTemplate
  public init(bucket: String, key: TextTemplate) {
    self.bucket = bucket
    self.key = key
  }
}

/// A message attribute a step sets.
public struct AttributeTemplate: Sendable {
  public var name: String
  public var dataType: String
  public var value: TextTemplate
  public init(name: String, dataType: String = "String", value: TextTemplate) {
    self.name = name
    self.dataType = dataType
    self.value = value
  }
}

/// `publish`: SNS Publish.
public struct PublishStep: Sendable {
  public var topic: String
  public var message: BodyTemplate
  public var subject: TextTemplate?
  public var attributes: [AttributeTemplate]
  public init(topic: String, message: BodyTemplate, subject: TextTemplate? = nil, attributes: [AttributeTemplate] = [])
  {
    self.topic = topic
    self.message = message
    self.subject = subject
    self.attributes = attributes
  }
}

/// `send`: SQS SendMessage.
public struct SendStep: Sendable {
  public var queue: String
  public var body: BodyTemplate
  public var attributes: [AttributeTemplate]
  /// DelaySeconds; nil takes the queue's.
  public var delay: SimDuration?
  public init(queue: String, body: BodyTemplate, attributes: [AttributeTemplate] = [], delay: SimDuration? = nil) {
    self.queue = queue
    self.body = body
    self.attributes = attributes
    self.delay = delay
  }
}

/// `fail`: raises `error` when the condition holds (always, without one), with `probability`
/// (always, without one).
public struct FailStep: Sendable {
  public struct Condition: Sendable {
    public enum Test: Sendable, Equatable {
      /// The value's text equals this one, byte for byte.
      case equals(String)
      /// The regular expression matches somewhere in the value's text (Python's `re.search`).
      case matches(String)
    }
    public var value: TextTemplate
    public var test: Test
    public init(value: TextTemplate, _ test: Test) {
      self.value = value
      self.test = test
    }
  }
  public var condition: Condition?
  public var probability: Double?
  /// The error as Lambda reports it: `Type: message`.
  public var error: TextTemplate
  public init(
    condition: Condition? = nil, probability: Double? = nil, error: TextTemplate = .literal("Exception: failed")
  ) {
    self.condition = condition
    self.probability = probability
    self.error = error
  }
}

/// What a body (an S3 object, an SNS message, an SQS body) is made of.
public enum BodyTemplate: Sendable {
  /// Text from a template.
  case text(TextTemplate)
  /// JSON built from a structure, written as Python's `json.dumps` writes it.
  case json(JSONTemplate)
  /// `data = json.loads(<variable>)`, each field set in order, `json.dumps(data)`: the seed
  /// service's edit of the object it read. No field: the variable's text as it is.
  case edit(variable: String, set: [(field: String, value: JSONTemplate)])
  /// What the current record carries: its body, or its message (the SNS envelope's `Message`, or
  /// the body itself when it is no envelope).
  case record(RecordPart)

  public enum RecordPart: String, Sendable, CaseIterable {
    case body
    case message
  }
}

/// A JSON structure whose strings may be templates.
public indirect enum JSONTemplate: Sendable {
  case value(JSONValue)
  /// A string made from a template.
  case text(TextTemplate)
  /// A variable's own value: a JSON value stays what it is (a number stays a number).
  case variable(String)
  case array([JSONTemplate])
  case object([(String, JSONTemplate)])

  /// The variables it uses.
  public var variables: [String] {
    switch self {
    case .value: return []
    case .text(let t): return t.variables
    case .variable(let v): return [v]
    case .array(let items): return items.flatMap(\.variables)
    case .object(let members): return members.flatMap(\.1.variables)
    }
  }
}

// MARK: - Templates

/// A problem in a template, a path or a program.
public struct StepSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// Text with `{name}` placeholders, as a Python f-string writes values: `{name}` is `str(value)`,
/// `{name!r}` its `repr`, `{name!j}` its `json.dumps` (fanout's); `{{` and `}}` are braces.
public struct TextTemplate: Sendable, Equatable, CustomStringConvertible {
  public enum Conversion: Sendable, Equatable {
    case str, repr, json
  }
  public enum Part: Sendable, Equatable {
    case literal(String)
    case variable(String, Conversion)
  }
  public let parts: [Part]
  /// The template as written.
  public let source: String

  public init(_ source: String) throws(StepSyntaxError) {
    self.source = source
    var parts: [Part] = []
    var literal = ""
    var chars = Array(source)[...]
    while let c = chars.popFirst() {
      if c == "}" {
        guard chars.first == "}" else { throw StepSyntaxError("single '}' is not allowed (write '}}' for a brace)") }
        chars.removeFirst()
        literal.append("}")
        continue
      }
      guard c == "{" else {
        literal.append(c)
        continue
      }
      if chars.first == "{" {
        chars.removeFirst()
        literal.append("{")
        continue
      }
      guard let close = chars.firstIndex(of: "}") else {
        throw StepSyntaxError("'{' is not closed (write '{{' for a brace)")
      }
      var inside = String(chars[chars.startIndex..<close])
      chars = chars[(close + 1)...]
      var conversion = Conversion.str
      if let bang = inside.firstIndex(of: "!") {
        switch inside[inside.index(after: bang)...] {
        case "r": conversion = .repr
        case "j": conversion = .json
        case "s": conversion = .str
        default:
          throw StepSyntaxError(
            "unknown conversion in '{\(inside)}': !s (str), !r (repr) or !j (json.dumps)")
        }
        inside = String(inside[..<bang])
      }
      guard isIdentifier(inside) else {
        throw StepSyntaxError(
          "'{\(inside)}' is not a variable name (letters, digits and _, not starting with a digit)")
      }
      if !literal.isEmpty {
        parts.append(.literal(literal))
        literal = ""
      }
      parts.append(.variable(inside, conversion))
    }
    if !literal.isEmpty { parts.append(.literal(literal)) }
    self.parts = parts
  }

  private init(parts: [Part], source: String) {
    self.parts = parts
    self.source = source
  }

  /// A template of plain text: every brace is literal.
  public static func literal(_ text: String) -> TextTemplate {
    TextTemplate(
      parts: text.isEmpty ? [] : [.literal(text)],
      source: text.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}"))
  }

  /// The variables it uses, in order.
  public var variables: [String] {
    parts.compactMap {
      if case .variable(let v, _) = $0 { return v }
      return nil
    }
  }

  public var description: String { source }
}

/// Whether a name is a Python identifier (ASCII): letters, digits and `_`, not starting with a digit.
public func isIdentifier(_ s: String) -> Bool {
  guard let first = s.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
  return s.utf8.allSatisfy {
    ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
      || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_")
  }
}

/// A path into a JSON document: `order.items[0].sku` is `doc["order"]["items"][0]["sku"]`. The
/// empty path is the whole document.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
  public enum Component: Sendable, Equatable {
    case key(String)
    case index(Int)
  }
  public var components: [Component]
  public init(_ components: [Component]) { self.components = components }

  public init(parsing text: String) throws(StepSyntaxError) {
    var out: [Component] = []
    let chars = Array(text)
    var i = 0
    guard !chars.isEmpty else {
      components = []
      return
    }
    while true {
      var key = ""
      while i < chars.count, chars[i] != ".", chars[i] != "[", chars[i] != "]" {
        key.append(chars[i])
        i += 1
      }
      if !key.isEmpty {
        out.append(.key(key))
      } else if !(out.isEmpty && i < chars.count && chars[i] == "[") {
        throw StepSyntaxError("empty key in path '\(text)'")
      }
      while i < chars.count, chars[i] == "[" {
        guard let close = chars[i...].firstIndex(of: "]"), let n = Int(String(chars[(i + 1)..<close])) else {
          throw StepSyntaxError("expected [<whole number>] in path '\(text)'")
        }
        out.append(.index(n))
        i = close + 1
      }
      if i == chars.count { break }
      guard chars[i] == "." else { throw StepSyntaxError("unexpected '\(chars[i])' in path '\(text)'") }
      i += 1
    }
    components = out
  }

  public var description: String {
    var s = ""
    for c in components {
      switch c {
      case .key(let k): s += (s.isEmpty ? "" : ".") + k
      case .index(let i): s += "[\(i)]"
      }
    }
    return s
  }
}

// MARK: - Checking a program

/// A problem of a program: where (a key path inside the handler, `steps[2].s3Get.key`) and what.
public struct StepProblem: Sendable, Equatable {
  public var path: String
  public var message: String
}

extension StepProgram {
  /// Everything wrong with the program that does not need the rest of the topology: variables
  /// used before any step sets them (with a did-you-mean), record steps in a per-invocation
  /// program, invalid regular expressions, probabilities and delays out of range. Names of
  /// buckets, topics and queues are checked where the topology is (the scenario parser, the
  /// simulation).
  public func problems() -> [StepProblem] {
    var out: [StepProblem] = []
    var defined: [String] = []
    for v in vars {
      if !isIdentifier(v.name) {
        out.append(StepProblem(path: "vars.\(v.name)", message: "'\(v.name)' is not a variable name"))
      }
      defined.append(v.name)
    }
    if reportItemFailures, forEach != .record {
      out.append(
        StepProblem(
          path: "reportItemFailures",
          message: "reportItemFailures reports the failed record of a batch: it needs forEach: record"))
    }
    for (i, step) in steps.enumerated() {
      let base = "steps[\(i)].\(step.keyword)"
      func use(_ names: [String], _ at: String) {
        for n in names where !defined.contains(n) {
          var m = "variable '\(n)' is not defined before this step"
          if let s = closestName(n, defined) { m += " (did you mean '\(s)'?)" }
          m += defined.isEmpty ? "; no variable is defined yet" : "; defined so far: " + defined.joined(separator: ", ")
          out.append(StepProblem(path: at, message: m))
        }
      }
      func define(_ name: String?, _ at: String) {
        guard let name else { return }
        if !isIdentifier(name) {
          out.append(
            StepProblem(
              path: at, message: "'\(name)' is not a variable name (letters, digits and _, not starting with a digit)"))
        }
        if !defined.contains(name) { defined.append(name) }
      }
      func needsRecord(_ what: String, _ at: String) {
        guard forEach != .record else { return }
        out.append(
          StepProblem(
            path: at,
            message:
              "\(what) takes the current record, but this handler runs once per invocation (forEach: invocation, the default): use forEach: record"
          ))
      }
      func body(_ b: BodyTemplate, _ at: String) {
        switch b {
        case .text(let t): use(t.variables, at)
        case .json(let j): use(j.variables, at)
        case .edit(let v, let set):
          use([v], at + ".from")
          for (f, value) in set { use(value.variables, at + ".set." + f) }
        case .record: needsRecord("a record body", at)
        }
      }
      func attributes(_ list: [AttributeTemplate], _ at: String) {
        for a in list { use(a.value.variables, at + "." + a.name) }
      }
      switch step {
      case .read(let r):
        needsRecord("read", base)
        if case .variable(let v) = r.source { use([v], base + ".var") }
        define(r.name, base + ".as")
      case .newID(let n):
        define(n.name, base + ".as")
      case .bind(let list):
        for (name, value) in list {
          use(value.variables, base + "." + name)
          define(name, base + "." + name)
        }
      case .s3Get(let s):
        use(s.key.variables, base + ".key")
        define(s.name, base + ".as")
      case .s3Put(let s):
        use(s.key.variables, base + ".key")
        body(s.body, base + ".body")
      case .s3Head(let s):
        use(s.key.variables, base + ".key")
        define(s.name, base + ".as")
      case .s3Delete(let s):
        use(s.key.variables, base + ".key")
      case .publish(let p):
        body(p.message, base + ".message")
        if let s = p.subject { use(s.variables, base + ".subject") }
        attributes(p.attributes, base + ".attributes")
      case .send(let s):
        body(s.body, base + ".body")
        attributes(s.attributes, base + ".attributes")
        if s.attributes.count > Limits.SQS.maxMessageAttributes {
          out.append(
            StepProblem(path: base + ".attributes", message: SQSError.tooManyAttributes(s.attributes.count).description)
          )
        }
        if let d = s.delay, let refusal = Limits.SQS.sendDelaySeconds.refusal(d) {
          out.append(StepProblem(path: base + ".DelaySeconds", message: refusal))
        }
      case .wait, .compute:
        break
      case .fail(let f):
        if let c = f.condition {
          use(c.value.variables, base + ".if.value")
          if case .matches(let pattern) = c.test, let problem = regexProblem(pattern) {
            out.append(StepProblem(path: base + ".if.matches", message: problem))
          }
        }
        if let p = f.probability, !(0...1).contains(p) {
          out.append(StepProblem(path: base + ".probability", message: "a probability is from 0 to 1, found \(p)"))
        }
        use(f.error.variables, base + ".error")
      case .complete(let stage):
        if stage.isEmpty { out.append(StepProblem(path: base, message: "complete names a stage")) }
      }
    }
    return out
  }

  /// The stages its `complete` steps name, in order.
  public var stages: [String] {
    steps.compactMap {
      if case .complete(let s) = $0 { return s }
      return nil
    }
  }
}

/// Why a pattern is no regular expression, or nil when it is one.
func regexProblem(_ pattern: String) -> String? {
  do {
    _ = try Regex(pattern)
    return nil
  } catch {
    return "invalid regular expression '\(pattern)': \(error)"
  }
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
public func closestName(_ word: String, _ candidates: [String]) -> String? {
  func distance(_ a: String, _ b: String) -> Int {
    let x = Array(a.lowercased())
    let y = Array(b.lowercased())
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    for i in 1...x.count {
      var current = [i] + Array(repeating: 0, count: y.count)
      for j in 1...y.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[y.count]
  }
  let scored = candidates.map { ($0, distance(word, $0)) }.min { $0.1 < $1.1 }
  guard let (best, d) = scored, d <= max(2, word.count / 3) else { return nil }
  return best
}
