// MARK: - Running a program of steps

/// A variable's value while a program runs.
enum StepValue {
  case null
  /// A request ID in the preprocessor's form (32 lower-case hex digits), kept as its 16 bytes.
  case id(RequestID)
  case json(JSONValue)
  case text(String)
  /// An object a GET read: its body, by number in its bucket.
  case object(bucket: Int, body: Int32)
}

/// A template with its variables resolved to slots.
struct CompiledText {
  enum Part {
    case literal(String)
    case slot(Int, TextTemplate.Conversion)
  }
  var parts: [Part]
}

/// An S3 key template. `<folder>/{v}.json` (or `{v}.json`) is also kept as the folder's number, so
/// that a request ID makes its 16-byte key without building text.
struct CompiledKey {
  var text: CompiledText
  var fast: (folder: Int32, slot: Int)?
}

indirect enum CompiledJSON {
  case value(JSONValue)
  case text(CompiledText)
  case slot(Int)
  case array([CompiledJSON])
  case object([(String, CompiledJSON)])
}

/// Outputs of an edit step, by (source bucket, body), as the seed service caches them.
final class EditCache {
  var last: (Int64, Result<Int32, HandlerError>)?
  var map: [Int64: Result<Int32, HandlerError>] = [:]
}

enum CompiledBody {
  case text(CompiledText)
  /// A JSON structure; `constant` is its text when it uses no variable.
  case json(CompiledJSON, constant: String?)
  /// `{"request_id": <slot>}`: the seed's message, kept compact when the slot holds an ID.
  case requestRef(slot: Int)
  /// `json.loads(<slot>)`, fields set, `json.dumps`; the cache when every value is constant.
  case edit(slot: Int, set: [(String, CompiledJSON)], cache: EditCache?)
  case record(BodyTemplate.RecordPart)
}

struct CompiledAttribute {
  var name: String
  var dataType: String
  var value: CompiledText
}

struct CompiledCondition {
  enum Test {
    case equals(String)
    case matches(Regex<AnyRegexOutput>)
  }
  var value: CompiledText
  var test: Test
}

enum CompiledRead {
  case body
  case envelope
  case attribute(String)
  case envelopeAttribute(String)
  case slot(Int)
}

enum CompiledStep {
  case read(CompiledRead, path: [JSONPath.Component], slot: Int, fallback: JSONValue?)
  case newID(NewIDStep.Kind, slot: Int)
  case bind([(Int, CompiledJSON)])
  case s3Get(bucket: Int, key: CompiledKey, slot: Int?, missing: MissingAction)
  case s3Put(
    bucket: Int, key: CompiledKey, body: CompiledBody, ifNoneMatch: Bool, onExists: S3PutStep.ExistsAction)
  case s3Head(bucket: Int, key: CompiledKey, slot: Int?, missing: MissingAction, found: S3HeadStep.FoundAction)
  case s3Delete(bucket: Int, key: CompiledKey)
  case publish(topic: Int, message: CompiledBody, subject: CompiledText?, attributes: [CompiledAttribute])
  case send(queue: Int, body: CompiledBody, attributes: [CompiledAttribute], delay: SimDuration?)
  case wait(DurationModel)
  case fail(CompiledCondition?, probability: Double?, error: CompiledText)
  case complete(stage: Int)
}

/// A program resolved against the simulation: names to indices, variables to slots.
final class CompiledProgram {
  let perRecord: Bool
  let reportItemFailures: Bool
  let steps: [CompiledStep]
  /// Each slot's value when a record (or the invocation) starts: the program's `vars`, else null.
  let initialSlots: [StepValue]
  /// The handler's own stream: waits, compute steps, fail probabilities, UUIDs. Its draws change
  /// nothing else of the function.
  var rng: SimRandom
  /// What the steps write to and publish to, for the pipeline's layout.
  let topics: [Int]
  let queues: [Int]
  let buckets: [Int]
  let writtenBuckets: [Int]
  let stage: Int?

  init(
    perRecord: Bool, reportItemFailures: Bool, steps: [CompiledStep], initialSlots: [StepValue], rng: SimRandom,
    topics: [Int], queues: [Int], buckets: [Int], writtenBuckets: [Int], stage: Int?
  ) {
    self.perRecord = perRecord
    self.reportItemFailures = reportItemFailures
    self.steps = steps
    self.initialSlots = initialSlots
    self.rng = rng
    self.topics = topics
    self.queues = queues
    self.buckets = buckets
    self.writtenBuckets = writtenBuckets
    self.stage = stage
  }
}

/// An SNS publish or SQS send a program step prepared, carried out when its latency has passed.
indirect enum PendingCall {
  case publish(Payload, subject: String?, attributes: [MessageAttribute])
  case send(Payload, attributes: [MessageAttribute], delay: SimDuration)
}

/// What a step leads to.
enum StepFlow {
  /// The next step, now.
  case next
  /// Its call is under way: the invocation resumes when it completes.
  case wait
  /// The rest of this record's steps (or the invocation's) are skipped; it succeeded.
  case skip
  /// It raised this error.
  case fail(HandlerError)
}

// MARK: Compiling

extension Simulation {
  /// Resolves a program's names against the simulation: buckets, topics and queues to indices
  /// (refused in the words of the other handlers when one does not exist), variables to slots,
  /// constant bodies made once.
  func compile(_ program: StepProgram, for f: LambdaFunction) throws -> CompiledProgram {
    if let p = program.problems().first {
      throw TopologyError("Function \(f.name): handler.\(p.path): \(p.message)")
    }
    var slots: [String: Int] = [:]
    var initial: [StepValue] = []
    func slot(_ name: String) -> Int {
      if let s = slots[name] { return s }
      slots[name] = initial.count
      initial.append(.null)
      return initial.count - 1
    }
    for v in program.vars { initial[slot(v.name)] = .json(v.value) }
    func text(_ t: TextTemplate) -> CompiledText {
      CompiledText(
        parts: t.parts.map {
          switch $0 {
          case .literal(let s): return .literal(s)
          case .variable(let v, let c): return .slot(slot(v), c)
          }
        })
    }
    func json(_ j: JSONTemplate) -> CompiledJSON {
      switch j {
      case .value(let v): return .value(v)
      case .text(let t): return .text(text(t))
      case .variable(let v): return .slot(slot(v))
      case .array(let items): return .array(items.map(json))
      case .object(let members): return .object(members.map { ($0.0, json($0.1)) })
      }
    }
    func constant(_ j: CompiledJSON) -> JSONValue? {
      switch j {
      case .value(let v): return v
      case .text(let t):
        var s = ""
        for p in t.parts {
          guard case .literal(let l) = p else { return nil }
          s += l
        }
        return .string(s)
      case .slot: return nil
      case .array(let items):
        var out: [JSONValue] = []
        for i in items {
          guard let v = constant(i) else { return nil }
          out.append(v)
        }
        return .array(out)
      case .object(let members):
        var out: [(String, JSONValue)] = []
        for (k, m) in members {
          guard let v = constant(m) else { return nil }
          out.append((k, v))
        }
        return .object(out)
      }
    }
    func body(_ b: BodyTemplate) -> CompiledBody {
      switch b {
      case .text(let t): return .text(text(t))
      case .json(.object(let members)) where members.count == 1 && members[0].0 == "request_id":
        if case .variable(let v) = members[0].1 { return .requestRef(slot: slot(v)) }
        let j = json(.object(members))
        return .json(j, constant: constant(j)?.pythonDumps)
      case .json(let t):
        let j = json(t)
        return .json(j, constant: constant(j)?.pythonDumps)
      case .edit(let v, let set):
        let fields = set.map { ($0.field, json($0.value)) }
        let constantSet = fields.allSatisfy { constant($0.1) != nil }
        return .edit(slot: slot(v), set: fields, cache: constantSet ? EditCache() : nil)
      case .record(let part): return .record(part)
      }
    }
    var topicsUsed: [Int] = []
    var queuesUsed: [Int] = []
    var bucketsUsed: [Int] = []
    var written: [Int] = []
    var firstStage: Int?
    func bucket(_ name: String, writes: Bool) throws -> Int {
      guard let b = bucketByName[name] else {
        throw TopologyError(
          "Function \(f.name) \(writes ? "writes to" : "reads from") bucket \(name), which does not exist")
      }
      if !bucketsUsed.contains(b) { bucketsUsed.append(b) }
      if writes, !written.contains(b) { written.append(b) }
      return b
    }
    func key(_ t: TextTemplate, in b: Int) -> CompiledKey {
      let c = text(t)
      var fast: (Int32, Int)?
      switch c.parts.count {
      case 2:
        if case .slot(let s, .str) = c.parts[0], case .literal(".json") = c.parts[1] {
          fast = (buckets[b].folder(""), s)
        }
      case 3:
        if case .literal(let dir) = c.parts[0], dir.utf8.count > 1, dir.hasSuffix("/"),
          case .slot(let s, .str) = c.parts[1], case .literal(".json") = c.parts[2]
        {
          fast = (buckets[b].folder(String(dir.utf8.dropLast())!), s)
        }
      default: break
      }
      return CompiledKey(text: c, fast: fast)
    }
    var steps: [CompiledStep] = []
    for step in program.steps {
      switch step {
      case .read(let r):
        let source: CompiledRead
        switch r.source {
        case .body: source = .body
        case .envelope: source = .envelope
        case .attribute(let n): source = .attribute(n)
        case .envelopeAttribute(let n): source = .envelopeAttribute(n)
        case .variable(let v): source = .slot(slot(v))
        }
        steps.append(.read(source, path: r.path.components, slot: slot(r.name), fallback: r.fallback))
      case .newID(let n):
        steps.append(.newID(n.kind, slot: slot(n.name)))
      case .bind(let list):
        steps.append(.bind(list.map { (slot($0.name), json($0.value)) }))
      case .s3Get(let g):
        let b = try bucket(g.bucket, writes: false)
        steps.append(.s3Get(bucket: b, key: key(g.key, in: b), slot: g.name.map(slot), missing: g.missing))
      case .s3Put(let p):
        let b = try bucket(p.bucket, writes: true)
        steps.append(
          .s3Put(
            bucket: b, key: key(p.key, in: b), body: body(p.body), ifNoneMatch: p.ifNoneMatch, onExists: p.onExists))
      case .s3Head(let h):
        let b = try bucket(h.bucket, writes: false)
        steps.append(
          .s3Head(bucket: b, key: key(h.key, in: b), slot: h.name.map(slot), missing: h.missing, found: h.found))
      case .s3Delete(let d):
        let b = try bucket(d.bucket, writes: true)
        steps.append(.s3Delete(bucket: b, key: key(d.key, in: b)))
      case .publish(let p):
        guard let t = topicByName[p.topic] else {
          throw TopologyError("Function \(f.name) publishes to topic \(p.topic), which does not exist")
        }
        if !topicsUsed.contains(t) { topicsUsed.append(t) }
        steps.append(
          .publish(
            topic: t, message: body(p.message), subject: p.subject.map(text),
            attributes: p.attributes.map {
              CompiledAttribute(name: $0.name, dataType: $0.dataType, value: text($0.value))
            }
          ))
      case .send(let s):
        guard let q = queueByName[s.queue] else {
          throw TopologyError("Function \(f.name) sends to queue \(s.queue), which does not exist")
        }
        if !queuesUsed.contains(q) { queuesUsed.append(q) }
        steps.append(
          .send(
            queue: q, body: body(s.body),
            attributes: s.attributes.map {
              CompiledAttribute(name: $0.name, dataType: $0.dataType, value: text($0.value))
            },
            delay: s.delay))
      case .wait(let m), .compute(let m):
        steps.append(.wait(m))
      case .fail(let x):
        var condition: CompiledCondition?
        if let c = x.condition {
          switch c.test {
          case .equals(let v): condition = CompiledCondition(value: text(c.value), test: .equals(v))
          case .matches(let pattern):
            guard let re = try? Regex(pattern) else {
              throw TopologyError("Function \(f.name): invalid regular expression '\(pattern)'")
            }
            condition = CompiledCondition(value: text(c.value), test: .matches(re))
          }
        }
        steps.append(.fail(condition, probability: x.probability, error: text(x.error)))
      case .complete(let stage):
        let s = tracker.stages.firstIndex(of: stage) ?? -1
        if firstStage == nil { firstStage = s }
        steps.append(.complete(stage: s))
      }
    }
    return CompiledProgram(
      perRecord: program.forEach == .record, reportItemFailures: program.reportItemFailures, steps: steps,
      initialSlots: initial, rng: SimRandom(seed: seed, stream: "lambda/" + f.name + "/handler"), topics: topicsUsed,
      queues: queuesUsed, buckets: bucketsUsed, writtenBuckets: written, stage: firstStage)
  }
}

// MARK: Running

extension Simulation {
  /// Runs a program from where the invocation is to its next AWS call (or wait), or to its end.
  func runProgram(_ inv: Invocation, _ p: CompiledProgram) {
    while true {
      if p.perRecord {
        guard inv.recordIndex < inv.records.count else { break }
        if inv.pc == 0, inv.phase == .start {
          // An injected item failure: the record fails before any step.
          if !inv.skip.isEmpty, inv.skip.contains(inv.recordIndex) {
            inv.failedItems.append(inv.recordIndex)
            inv.recordIndex += 1
            continue
          }
          inv.requestID = inv.records[inv.recordIndex].body.requestID
          inv.slots = p.initialSlots
        }
      } else if inv.pc == 0, inv.phase == .start {
        inv.slots = p.initialSlots
      }
      let flow: StepFlow
      if inv.phase == .awaiting {
        inv.phase = .start
        flow = completeStep(inv, p)
      } else if inv.pc < p.steps.count {
        flow = beginStep(inv, p)
      } else {
        flow = .skip
      }
      switch flow {
      case .wait: return
      case .next:
        inv.pc += 1
        if inv.pc < p.steps.count { continue }
      case .skip: break
      case .fail(let e):
        if p.perRecord, p.reportItemFailures {
          // The handler catches the record's error and reports it in batchItemFailures.
          inv.failedItems.append(inv.recordIndex)
        } else {
          finish(inv, .error(e.message))
          return
        }
      }
      // This record's steps (or the invocation's) are done.
      inv.pc = 0
      inv.phase = .start
      inv.call = nil
      guard p.perRecord else { break }
      inv.recordIndex += 1
    }
    finish(inv, .success)
  }

  /// The chain of invocations an outgoing message carries.
  private func chain(_ inv: Invocation, _ p: CompiledProgram) -> RecursionChain {
    outgoingChain(inv, record: p.perRecord ? inv.recordIndex : 0)
  }

  /// Carries out a step that needs no call, or starts the call of one that does.
  private func beginStep(_ inv: Invocation, _ p: CompiledProgram) -> StepFlow {
    switch p.steps[inv.pc] {
    case .read(let source, let path, let slot, let fallback):
      switch read(inv, source, path) {
      case .success(let v): inv.slots[slot] = v
      case .failure(.missing(let e)):
        guard let fallback else { return .fail(e) }
        inv.slots[slot] = .json(fallback)
      case .failure(.wrongType(let e)): return .fail(e)
      }
      return .next
    case .newID(let kind, let slot):
      let value: StepValue
      switch kind {
      case .md5Timestamp: value = .id(now.withPythonCompactTimestamp { md5RequestID($0) })
      case .uuid4Hex:
        let u = p.rng.uuid()
        value = .id(RequestID(hi: u.hi, lo: u.lo))
      case .uuid4: value = .text(p.rng.uuid().text)
      }
      inv.slots[slot] = value
      // The first request ID an entry invocation makes is its request's.
      if !p.perRecord, case .id(let id) = value, inv.requestID == nil {
        inv.requestID = id
        if case .direct(let fire?) = inv.trigger { nameRequest(fire: fire, id) }
      }
      return .next
    case .bind(let list):
      for (slot, j) in list { inv.slots[slot] = value(of: j, inv) }
      return .next
    case .s3Get(let b, let key, _, _):
      inv.key = s3Key(key, in: b, inv)
      if buckets[b].keyBytes(inv.key) == 0 { return .fail(.emptyKey) }
      return call(inv, topology.latency.s3Get)
    case .s3Put(let b, let key, let body, _, _):
      switch s3Body(body, in: b, inv) {
      case .failure(let e): return .fail(e)
      case .success(let n): inv.output = n
      }
      inv.key = s3Key(key, in: b, inv)
      if buckets[b].keyBytes(inv.key) == 0 { return .fail(.emptyKey) }
      return call(inv, topology.latency.s3Put)
    case .s3Head(let b, let key, _, _, _):
      inv.key = s3Key(key, in: b, inv)
      if buckets[b].keyBytes(inv.key) == 0 { return .fail(.emptyKey) }
      return call(inv, topology.latency.s3Get)
    case .s3Delete(let b, let key):
      inv.key = s3Key(key, in: b, inv)
      if buckets[b].keyBytes(inv.key) == 0 { return .fail(.emptyKey) }
      return call(inv, topology.latency.s3Put)
    case .publish(_, let message, let subject, let attributes):
      switch payload(message, inv) {
      case .failure(let e): return .fail(e)
      case .success(let m):
        inv.call = .publish(m, subject: subject.map { render($0, inv) }, attributes: messageAttributes(attributes, inv))
      }
      return call(inv, topology.latency.snsPublish)
    case .send(let q, let body, let attributes, let delay):
      switch payload(body, inv) {
      case .failure(let e): return .fail(e)
      case .success(let m):
        inv.call = .send(
          m, attributes: awsAttributeOrder(messageAttributes(attributes, inv)), delay: delay ?? queues[q].spec.delay)
      }
      return call(inv, topology.latency.sqsSend)
    case .wait(let model):
      inv.phase = .awaiting
      scheduleStep(inv, at: now + model.sample(&p.rng))
      return .wait
    case .fail(let condition, let probability, let error):
      if let c = condition {
        let v = render(c.value, inv)
        switch c.test {
        case .equals(let x): if !v.utf8.elementsEqual(x.utf8) { return .next }
        case .matches(let re): if (try? re.firstMatch(in: v)) == nil { return .next }
        }
      }
      if let probability, !p.rng.chance(probability) { return .next }
      return .fail(HandlerError(message: render(error, inv)))
    case .complete(let stage):
      if let id = inv.requestID { completeStage(stage, of: id) }
      return .next
    }
  }

  /// Schedules the completion of the current step's call after its latency.
  private func call(_ inv: Invocation, _ latency: DurationModel) -> StepFlow {
    inv.phase = .awaiting
    scheduleStep(inv, at: now + latency.sample(&latencyRng))
    return .wait
  }

  /// The current step's call takes effect.
  private func completeStep(_ inv: Invocation, _ p: CompiledProgram) -> StepFlow {
    switch p.steps[inv.pc] {
    case .s3Get(let bi, _, let slot, let missing):
      let b = buckets[bi]
      if let refused = b.refusal(inv.key) { return .fail(.boto3(refused, operation: "GetObject")) }
      do {
        let body = try b.getBody(inv.key)
        emit(.s3Get(bucket: b.name, key: b.objectKey(inv.key), found: true, requestID: inv.requestID))
        if let slot { inv.slots[slot] = .object(bucket: bi, body: body) }
        return .next
      } catch {
        emit(.s3Get(bucket: b.name, key: b.objectKey(inv.key), found: false, requestID: inv.requestID))
        switch missing {
        case .fail: return .fail(.boto3(error, operation: "GetObject"))
        case .skip: return .skip
        case .continue:
          if let slot { inv.slots[slot] = .null }
          return .next
        }
      }
    case .s3Put(let bi, _, _, let ifNoneMatch, let onExists):
      let b = buckets[bi]
      if let refused = b.refusal(inv.key) { return .fail(.boto3(refused, operation: "PutObject")) }
      let size: Int
      if ifNoneMatch {
        do { size = try b.putIfAbsent(inv.key, body: inv.output, at: now) } catch {
          return onExists == .skip ? .skip : .fail(.boto3(error, operation: "PutObject"))
        }
      } else {
        size = b.put(inv.key, body: inv.output, at: now)
      }
      emit(
        .s3Put(
          bucket: b.name, key: b.objectKey(inv.key), etag: b.etag(inv.output), size: size, body: b.body(inv.output),
          requestID: inv.requestID))
      return .next
    case .s3Head(let bi, _, let slot, let missing, let found):
      let b = buckets[bi]
      if b.refusal(inv.key) != nil { return .fail(.boto3Head(status: 400)) }
      if let info = b.head(inv.key) {
        emit(.s3Head(bucket: b.name, key: b.objectKey(inv.key), found: true, requestID: inv.requestID))
        if found == .skip { return .skip }
        if let slot {
          inv.slots[slot] = .json(
            .object([("ContentLength", .number(Double(info.size))), ("ETag", .string(info.etag))]))
        }
        return .next
      }
      emit(.s3Head(bucket: b.name, key: b.objectKey(inv.key), found: false, requestID: inv.requestID))
      switch missing {
      case .fail: return .fail(.boto3Head(status: 404))
      case .skip: return .skip
      case .continue:
        if let slot { inv.slots[slot] = .null }
        return .next
      }
    case .s3Delete(let bi, _):
      let b = buckets[bi]
      if let refused = b.refusal(inv.key) { return .fail(.boto3(refused, operation: "DeleteObject")) }
      let existed = b.delete(inv.key, at: now)
      emit(.s3Delete(bucket: b.name, key: b.objectKey(inv.key), existed: existed, requestID: inv.requestID))
      return .next
    case .publish(let t, _, _, _):
      guard case .publish(let message, let subject, let attributes)? = inv.call else { return .next }
      inv.call = nil
      do {
        try publish(topics[t], message: message, subject: subject, attributes: attributes, chain: chain(inv, p))
      } catch {
        return .fail(HandlerError(message: error.description))
      }
      return .next
    case .send(let qi, _, _, _):
      guard case .send(let message, let attributes, let delay)? = inv.call else { return .next }
      inv.call = nil
      let q = queues[qi]
      let size = message.byteCount + attributes.reduce(0) { $0 + $1.byteCount }
      if size > q.spec.maximumMessageSize {
        return .fail(HandlerError(message: "\(SQSError.messageTooLong(size, q.spec.maximumMessageSize))"))
      }
      if message.byteCount == 0 {
        return .fail(
          HandlerError(
            message: "\(SQSError.invalidParameterValue("The request must contain the parameter MessageBody."))"))
      }
      enqueue(
        q, messageId: idRng.uuid(), body: .payload(message), attributes: attributes, size: size, delay: delay,
        sentTime: now, enqueueTime: now, sender: .api, chain: chain(inv, p), source: functions[inv.function].sendSource)
      return .next
    case .wait:
      return .next
    case .read, .newID, .bind, .fail, .complete:
      return .next
    }
  }

  // MARK: Values

  /// A value as text: `str()`, `repr()` or `json.dumps()` of it.
  func text(_ v: StepValue, _ c: TextTemplate.Conversion) -> String {
    switch (v, c) {
    case (.null, .json): return "null"
    case (.null, _): return "None"
    case (.id(let id), .str): return id.hex
    case (.id(let id), .repr): return "'" + id.hex + "'"
    case (.id(let id), .json): return "\"" + id.hex + "\""
    case (.json(let j), .str): return j.pythonStr
    case (.json(let j), .repr): return j.pythonRepr
    case (.json(let j), .json): return j.pythonDumps
    case (.text(let s), .str): return s
    case (.text(let s), .repr): return pythonStringRepr(s)
    case (.text(let s), .json): return pythonJSONString(s)
    case (.object(let b, let body), .str): return buckets[b].body(body)
    case (.object(let b, let body), .repr): return pythonStringRepr(buckets[b].body(body))
    case (.object(let b, let body), .json): return pythonJSONString(buckets[b].body(body))
    }
  }

  /// A value as a JSON value: what it is when a JSON body holds it.
  func jsonValue(_ v: StepValue) -> JSONValue {
    switch v {
    case .null: return .null
    case .id(let id): return .string(id.hex)
    case .json(let j): return j
    case .text(let s): return .string(s)
    case .object(let b, let body): return .string(buckets[b].body(body))
    }
  }

  func render(_ t: CompiledText, _ inv: Invocation) -> String {
    if t.parts.count == 1, case .literal(let s) = t.parts[0] { return s }
    var out = ""
    for part in t.parts {
      switch part {
      case .literal(let s): out += s
      case .slot(let i, let c): out += text(inv.slots[i], c)
      }
    }
    return out
  }

  func value(of j: CompiledJSON, _ inv: Invocation) -> StepValue {
    switch j {
    case .slot(let i): return inv.slots[i]
    case .text(let t): return .text(render(t, inv))
    default: return .json(jsonTree(j, inv))
    }
  }

  func jsonTree(_ j: CompiledJSON, _ inv: Invocation) -> JSONValue {
    switch j {
    case .value(let v): return v
    case .text(let t): return .string(render(t, inv))
    case .slot(let i): return jsonValue(inv.slots[i])
    case .array(let items): return .array(items.map { jsonTree($0, inv) })
    case .object(let members): return .object(members.map { ($0.0, jsonTree($0.1, inv)) })
    }
  }

  /// An S3 key from its template: the 16-byte form for a request ID in a folder, else the text's
  /// canonical key (the same key, whichever way it was built).
  func s3Key(_ k: CompiledKey, in b: Int, _ inv: Invocation) -> S3Bucket.Key {
    if let (folder, slot) = k.fast, case .id(let id) = inv.slots[slot] {
      return buckets[b].key(folder: folder, id: id)
    }
    return buckets[b].key(render(k.text, inv))
  }

  /// The text of what the current record carries.
  func recordText(_ part: BodyTemplate.RecordPart, _ inv: Invocation) -> Payload {
    let body = inv.records[inv.recordIndex].body
    switch (part, body) {
    case (.message, .envelope(let n, _)): return n.message
    case (_, .payload(let p)): return p
    case (.body, .envelope): return .text(body.text)
    }
  }

  /// The text of an edit: `json.loads` of the variable, fields set, `json.dumps`.
  func editText(_ slot: Int, _ set: [(String, CompiledJSON)], _ inv: Invocation) -> Result<String, HandlerError> {
    pythonEdit(text(inv.slots[slot], .str), set: set.map { ($0.0, jsonTree($0.1, inv)) })
  }

  /// An S3 body, by number in bucket `b`.
  func s3Body(_ body: CompiledBody, in b: Int, _ inv: Invocation) -> Result<Int32, HandlerError> {
    let bucket = buckets[b]
    switch body {
    case .text(let t): return .success(bucket.intern(render(t, inv)))
    case .json(let j, let constant): return .success(bucket.intern(constant ?? jsonTree(j, inv).pythonDumps))
    case .requestRef(let slot):
      return .success(bucket.intern("{\"request_id\": " + text(inv.slots[slot], .json) + "}"))
    case .edit(let slot, let set, let cache):
      guard let cache, case .object(let source, let n) = inv.slots[slot] else {
        return editText(slot, set, inv).map { bucket.intern($0) }
      }
      let cacheKey = Int64(source) << 32 | Int64(n)
      if let last = cache.last, last.0 == cacheKey { return last.1 }
      if let hit = cache.map[cacheKey] {
        cache.last = (cacheKey, hit)
        return hit
      }
      let result = editText(slot, set, inv).map { bucket.intern($0) }
      if cache.map.count < 1_024 { cache.map[cacheKey] = result }
      cache.last = (cacheKey, result)
      return result
    case .record(let part): return .success(bucket.intern(recordText(part, inv).text))
    }
  }

  /// An SNS message or SQS body.
  func payload(_ body: CompiledBody, _ inv: Invocation) -> Result<Payload, HandlerError> {
    switch body {
    case .text(let t): return .success(Payload.from(text: render(t, inv)))
    case .json(let j, let constant): return .success(Payload.from(text: constant ?? jsonTree(j, inv).pythonDumps))
    case .requestRef(let slot):
      if case .id(let id) = inv.slots[slot] { return .success(.requestRef(id)) }
      return .success(Payload.from(text: "{\"request_id\": " + text(inv.slots[slot], .json) + "}"))
    case .edit(let slot, let set, _): return editText(slot, set, inv).map { Payload.from(text: $0) }
    case .record(let part): return .success(recordText(part, inv))
    }
  }

  func messageAttributes(_ list: [CompiledAttribute], _ inv: Invocation) -> [MessageAttribute] {
    list.map { MessageAttribute(name: $0.name, dataType: $0.dataType, value: render($0.value, inv)) }
  }

  /// A `read` step's value, with Python's errors.
  func read(_ inv: Invocation, _ source: CompiledRead, _ path: [JSONPath.Component]) -> Result<
    StepValue, SubscriptFailure
  > {
    func walk(_ doc: JSONValue) -> Result<StepValue, SubscriptFailure> {
      pythonSubscript(doc, path).map { .json($0) }
    }
    func parsed(_ text: String) -> Result<StepValue, SubscriptFailure> {
      guard let doc = JSONValue.parse(text) else { return .failure(.wrongType(.notJSON)) }
      return walk(doc)
    }
    /// A text value, then the path into it as JSON.
    func textThenPath(_ s: String) -> Result<StepValue, SubscriptFailure> {
      path.isEmpty ? .success(.text(s)) : parsed(s)
    }
    switch source {
    case .slot(let i):
      if path.isEmpty { return .success(inv.slots[i]) }
      if case .json(let j) = inv.slots[i] { return walk(j) }
      return parsed(text(inv.slots[i], .str))
    case .envelope:
      let message: Payload
      switch recordMessage(inv.records[inv.recordIndex].body) {
      case .failure(let e): return .failure(.wrongType(e))
      case .success(let m): message = m
      }
      if case .requestRef(let id) = message, !path.isEmpty {
        if path == [.key("request_id")] { return .success(.id(id)) }
        return walk(.object([("request_id", .string(id.hex))]))
      }
      return textThenPath(message.text)
    case .body:
      // An SNS record (an asynchronous invocation) has no `body`: `record["Sns"]["Message"]` is
      // what `envelope` reads.
      if inv.records[inv.recordIndex].queue < 0 {
        return .failure(.missing(HandlerError(message: "KeyError: 'body'")))
      }
      let body = inv.records[inv.recordIndex].body
      if case .payload(.requestRef(let id)) = body, !path.isEmpty {
        if path == [.key("request_id")] { return .success(.id(id)) }
        return walk(.object([("request_id", .string(id.hex))]))
      }
      return textThenPath(body.text)
    case .attribute(let name):
      let r = inv.records[inv.recordIndex]
      if r.queue < 0 { return .failure(.missing(HandlerError(message: "KeyError: 'messageAttributes'"))) }
      let attributes = queues[r.queue].messages.recordFields(r.key)?.attributes ?? []
      guard let a = attributes.first(where: { $0.name.unicodeScalars.elementsEqual(name.unicodeScalars) }) else {
        return .failure(.missing(HandlerError(message: "KeyError: " + pythonStringRepr(name))))
      }
      return textThenPath(a.value)
    case .envelopeAttribute(let name):
      let body = inv.records[inv.recordIndex].body
      let attributes: [MessageAttribute]
      switch body {
      case .envelope(let n, _):
        attributes = n.attributes
        // SNS leaves MessageAttributes out of an envelope that has none (an SNS record of an
        // asynchronous invocation has `{}`).
        if attributes.isEmpty, inv.records[inv.recordIndex].queue >= 0 {
          return .failure(.missing(HandlerError(message: "KeyError: 'MessageAttributes'")))
        }
      case .payload(let p):
        guard let doc = JSONValue.parse(p.text) else { return .failure(.wrongType(.notJSON)) }
        switch pythonSubscript(doc, [.key("MessageAttributes"), .key(name), .key("Value")]) {
        case .failure(let f): return .failure(f)
        case .success(let v):
          guard let s = v.stringValue else { return path.isEmpty ? .success(.json(v)) : walk(v) }
          return textThenPath(s)
        }
      }
      guard let a = attributes.first(where: { $0.name.unicodeScalars.elementsEqual(name.unicodeScalars) }) else {
        return .failure(.missing(HandlerError(message: "KeyError: " + pythonStringRepr(name))))
      }
      return textThenPath(a.value)
    }
  }
}
