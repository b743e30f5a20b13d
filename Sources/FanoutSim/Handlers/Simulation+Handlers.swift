// MARK: - Function code

/// An error raised by a handler, worded as the seed's Python would raise it.
public struct HandlerError: Error, Equatable {
  public var message: String
}

extension HandlerError {
  /// The exception boto3 raises for a failed S3 call, as Lambda reports it (`errorType:
  /// errorMessage`): botocore's `ClientError` text, "An error occurred ({code}) when calling the
  /// {operation} operation: {message}", with S3's code and message
  /// (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList). The type
  /// is the modelled exception botocore raises for the code — only `NoSuchKey` for GetObject among
  /// these (botocore's S3 model lists it in GetObject's errors) — else `ClientError`. So GetObject
  /// of a missing key raises `NoSuchKey: An error occurred (NoSuchKey) when calling the GetObject
  /// operation: The specified key does not exist.`, and PutObject's 412 `ClientError: An error
  /// occurred (PreconditionFailed) …`.
  static func boto3(_ error: S3Error, operation: String = "GetObject") -> HandlerError {
    let code: String
    let text: String
    switch error {
    case .noSuchKey:
      code = "NoSuchKey"
      text = "The specified key does not exist."
    case .preconditionFailed:
      code = "PreconditionFailed"
      text = "At least one of the pre-conditions you specified did not hold"
    case .keyTooLong:
      code = "KeyTooLongError"
      text = "Your key is too long"
    case .invalidArgument(let m):
      code = "InvalidArgument"
      text = m
    }
    let type = code == "NoSuchKey" && operation == "GetObject" ? code : "ClientError"
    return HandlerError(
      message: "\(type): An error occurred (\(code)) when calling the \(operation) operation: \(text)")
  }

  /// HeadObject's errors: a HEAD response has no body, so botocore takes the HTTP status as the
  /// code and its reason as the message — `ClientError: An error occurred (404) when calling the
  /// HeadObject operation: Not Found` for a missing key, (400) Bad Request for a key S3 refuses
  /// (botocore's RestXMLParser on a body-less response; https://github.com/boto/boto3/issues/2442,
  /// https://github.com/s3fs-fuse/s3fs-fuse/pull/1602 for the too-long key's HEAD).
  static func boto3Head(status: Int) -> HandlerError {
    let reason = status == 404 ? "Not Found" : "Bad Request"
    return HandlerError(
      message: "ClientError: An error occurred (\(status)) when calling the HeadObject operation: \(reason)")
  }

  /// botocore's own check before any call: a key of no bytes
  /// (`Parameter validation failed:\nInvalid length for parameter Key, value: 0, valid min length: 1`).
  static let emptyKey = HandlerError(
    message:
      "ParamValidationError: Parameter validation failed:\nInvalid length for parameter Key, value: 0, valid min length: 1"
  )

  /// `json.loads` of text that is not JSON.
  static let notJSON = HandlerError(message: "JSONDecodeError: Expecting value: line 1 column 1 (char 0)")
}

extension JSONValue {
  /// The Python type `json.loads` gives for this value.
  var pythonTypeName: String {
    switch self {
    case .null: return "NoneType"
    case .bool: return "bool"
    case .number(let d):
      let t = formatJSONNumber(d)
      return t.contains(".") || t.contains("e") || t.contains("E") ? "float" : "int"
    case .string: return "str"
    case .array: return "list"
    case .object: return "dict"
    }
  }
}

/// Why a subscript failed: the key or index is not there (a `default` can stand in), or the value
/// cannot be subscripted that way.
enum SubscriptFailure: Error {
  case missing(HandlerError)
  case wrongType(HandlerError)

  var error: HandlerError {
    switch self {
    case .missing(let e), .wrongType(let e): return e
    }
  }
}

/// `doc[c0][c1]…` as Python evaluates it on what `json.loads` gives, with Python's errors: a
/// missing key `KeyError: 'k'`, an index past the end `IndexError: list index out of range`, a
/// string key on a list `TypeError: list indices must be integers or slices, not str`, any
/// subscript of a number, a boolean or None `TypeError: 'int' object is not subscriptable`. Keys
/// compare as code points (Python's `str ==`), not by canonical equivalence.
func pythonSubscript(_ doc: JSONValue, _ path: [JSONPath.Component]) -> Result<JSONValue, SubscriptFailure> {
  var v = doc
  for c in path {
    switch (v, c) {
    case (.object(let members), .key(let k)):
      guard let m = members.last(where: { $0.0.unicodeScalars.elementsEqual(k.unicodeScalars) }) else {
        return .failure(.missing(HandlerError(message: "KeyError: " + pythonStringRepr(k))))
      }
      v = m.1
    case (.object, .index(let i)):
      return .failure(.missing(HandlerError(message: "KeyError: \(i)")))
    case (.array(let items), .index(let i)):
      let j = i < 0 ? items.count + i : i
      guard j >= 0, j < items.count else {
        return .failure(.missing(HandlerError(message: "IndexError: list index out of range")))
      }
      v = items[j]
    case (.array, .key):
      return .failure(.wrongType(HandlerError(message: "TypeError: list indices must be integers or slices, not str")))
    case (.string(let s), .index(let i)):
      let chars = Array(s.unicodeScalars)
      let j = i < 0 ? chars.count + i : i
      guard j >= 0, j < chars.count else {
        return .failure(.missing(HandlerError(message: "IndexError: string index out of range")))
      }
      v = .string(String(chars[j]))
    case (.string, .key):
      return .failure(.wrongType(HandlerError(message: "TypeError: string indices must be integers, not 'str'")))
    default:
      return .failure(.wrongType(HandlerError(message: "TypeError: '\(v.pythonTypeName)' object is not subscriptable")))
    }
  }
  return .success(v)
}

/// `data = json.loads(text)`, each field set in order, `json.dumps(data)`, with Python's errors.
/// A parsed object with a key twice keeps it once, where it first came, with its last value, as
/// a `dict` does.
func pythonEdit(_ text: String, set fields: [(String, JSONValue)]) -> Result<String, HandlerError> {
  guard let v = JSONValue.parse(text) else { return .failure(.notJSON) }
  guard case .object(let parsed) = v else {
    if case .array = v {
      return .failure(HandlerError(message: "TypeError: list indices must be integers or slices, not str"))
    }
    return .failure(HandlerError(message: "TypeError: '\(v.pythonTypeName)' object does not support item assignment"))
  }
  var members: [(String, JSONValue)] = []
  func put(_ k: String, _ value: JSONValue) {
    if let i = members.firstIndex(where: { $0.0.unicodeScalars.elementsEqual(k.unicodeScalars) }) {
      members[i].1 = value
    } else {
      members.append((k, value))
    }
  }
  for (k, value) in parsed { put(k, value) }
  for (k, value) in fields { put(k, value) }
  return .success(JSONValue.object(members).pythonDumps)
}

/// The `request_id` a seed service read: the preprocessor's canonical form, kept as its 16
/// bytes, or any other JSON value, whose key is the text Python's f-string makes of it.
enum ServiceRequestID {
  case id(RequestID)
  case other(JSONValue)
}

/// `os.path.join` for the parts of an S3 key.
func pathJoin(_ parts: [String]) -> String {
  var out = ""
  for p in parts where !p.isEmpty {
    if p.hasPrefix("/") {
      out = p
    } else if out.isEmpty || out.hasSuffix("/") {
      out += p
    } else {
      out += "/" + p
    }
  }
  return out
}

extension Simulation {
  /// Runs the handler up to its next AWS call, then schedules the call's completion.
  func runHandler(_ inv: Invocation) {
    let plan = functions[inv.function].plan
    switch plan.kind {
    case .preprocessor(let topic, let body): runPreprocessor(inv, plan, topic: topic, body: body)
    case .service(let topic, let stage): runService(inv, plan, topic: topic, stage: stage)
    case .compute: finish(inv, .success)
    case .steps: runProgram(inv, functions[inv.function].program!)
    case .external: break  // started by startInvocation; its result comes from outside
    }
  }

  private func runPreprocessor(_ inv: Invocation, _ plan: HandlerPlan, topic: Int, body: Int32) {
    switch inv.phase {
    case .start:
      // timestamp = datetime.now().strftime("%Y%m%d%H%M%S%f"); request_id = md5(timestamp): worked
      // out by startInvocation, which knows this instant when it schedules this step.
      let id = inv.requestID!
      assert(id == now.withPythonCompactTimestamp { md5RequestID($0) }, "the request ID is this instant's")
      if case .direct(let fire?) = inv.trigger { nameRequest(fire: fire, id) }
      inv.key = buckets[plan.bucket].key(folder: plan.outputFolder, id: id)
      inv.phase = .s3Put
      scheduleStep(inv, at: now + topology.latency.s3Put.sample(&latencyRng))
    case .s3Put:
      let b = buckets[plan.bucket]
      if let refused = b.refusal(inv.key) {
        finish(inv, .error(HandlerError.boto3(refused, operation: "PutObject").message))
        return
      }
      let size = b.put(inv.key, body: body, at: now)
      emit(
        .s3Put(
          bucket: b.name, key: b.objectKey(inv.key), etag: b.etag(body), size: size, body: b.body(body),
          requestID: inv.requestID))
      inv.phase = .snsPublish
      scheduleStep(inv, at: now + topology.latency.snsPublish.sample(&latencyRng))
    case .snsPublish, .s3Get, .forward, .awaiting:
      do {
        try publish(
          topics[topic], message: .requestRef(inv.requestID!), subject: nil, attributes: [],
          chain: outgoingChain(inv, record: 0))
      } catch {
        finish(inv, .error(error.description))
        return
      }
      finish(inv, .success)
    }
  }

  private func runService(_ inv: Invocation, _ plan: HandlerPlan, topic: Int, stage: Int) {
    while inv.recordIndex < inv.records.count {
      switch inv.phase {
      case .start:
        if !inv.skip.isEmpty, inv.skip.contains(inv.recordIndex) {
          inv.failedItems.append(inv.recordIndex)
          inv.recordIndex += 1
          continue
        }
        // record_body = json.loads(record["body"]); message = json.loads(record_body["Message"])
        // key = f"{prefix}/{previous}/{message['request_id']}.json"
        let b = buckets[plan.bucket]
        switch serviceRequestID(inv.records[inv.recordIndex].body) {
        case .failure(let e):
          finish(inv, .error(e.message))
          return
        case .success(.id(let id)):
          inv.requestID = id
          inv.key = b.key(folder: plan.inputFolder, id: id)
          // The get, the put (same ID, same probe run) and the tracker come in later jobs.
          b.prefetch(inv.key)
          tracker.prefetch(id: id)
        case .success(.other(let value)):
          // Any other request_id names its own key, byte for byte: the GET is made, and finds
          // nothing unless that exact key was written.
          inv.requestID = nil
          inv.key = b.key(b.keyText(folder: plan.inputFolder, name: value.pythonStr + ".json"))
        }
        inv.phase = .s3Get
        scheduleStep(inv, at: now + topology.latency.s3Get.sample(&latencyRng))
        return
      case .s3Get:
        let b = buckets[plan.bucket]
        if let refused = b.refusal(inv.key) {
          finish(inv, .error(HandlerError.boto3(refused, operation: "GetObject").message))
          return
        }
        let body: Int32
        do {
          body = try b.getBody(inv.key)
          emit(.s3Get(bucket: b.name, key: b.objectKey(inv.key), found: true, requestID: inv.requestID))
        } catch {
          emit(.s3Get(bucket: b.name, key: b.objectKey(inv.key), found: false, requestID: inv.requestID))
          finish(inv, .error(HandlerError.boto3(error).message))
          return
        }
        switch transformSeedObject(body, in: plan.bucket, functions[inv.function]) {
        case .failure(let e):
          finish(inv, .error(e.message))
          return
        case .success(let out): inv.output = out
        }
        if let id = inv.requestID {
          inv.key = b.key(folder: plan.outputFolder, id: id)
        } else if case .success(.other(let value)) = serviceRequestID(inv.records[inv.recordIndex].body) {
          inv.key = b.key(b.keyText(folder: plan.outputFolder, name: value.pythonStr + ".json"))
        }
        inv.phase = .s3Put
        scheduleStep(inv, at: now + topology.latency.s3Put.sample(&latencyRng))
        return
      case .s3Put:
        let b = buckets[plan.bucket]
        if let refused = b.refusal(inv.key) {
          finish(inv, .error(HandlerError.boto3(refused, operation: "PutObject").message))
          return
        }
        let size: Int
        if functions[inv.function].spec.idempotent {
          // put_object(..., IfNoneMatch="*"): a 412 means this record's work is already done.
          do { size = try b.putIfAbsent(inv.key, body: inv.output, at: now) } catch {
            inv.phase = .start
            inv.recordIndex += 1
            continue
          }
        } else {
          size = b.put(inv.key, body: inv.output, at: now)
        }
        emit(
          .s3Put(
            bucket: b.name, key: b.objectKey(inv.key), etag: b.etag(inv.output), size: size, body: b.body(inv.output),
            requestID: inv.requestID))
        inv.phase = .snsPublish
        scheduleStep(inv, at: now + topology.latency.snsPublish.sample(&latencyRng))
        return
      case .snsPublish, .forward, .awaiting:
        // sns.publish(Message=json.dumps({"request_id": request_id}))
        let message: Payload
        if let id = inv.requestID {
          message = .requestRef(id)
        } else if case .success(.other(let value)) = serviceRequestID(inv.records[inv.recordIndex].body) {
          message = Payload.from(text: "{\"request_id\": " + value.pythonDumps + "}")
        } else {
          preconditionFailure("a service's record lost its request_id between its GET and its publish")
        }
        do {
          try publish(
            topics[topic], message: message, subject: nil, attributes: [],
            chain: outgoingChain(inv, record: inv.recordIndex))
        } catch {
          finish(inv, .error(error.description))
          return
        }
        // Only a request ID as the preprocessor writes it is a tracked request.
        if let id = inv.requestID { completeStage(stage, of: id) }
        inv.phase = .start
        inv.recordIndex += 1
      }
    }
    finish(inv, .success)
  }

  /// The message of a record, as `json.loads(json.loads(record["body"])["Message"])` reads it:
  /// the envelope's message, or the Python error it raises on a body that is no envelope.
  func recordMessage(_ body: MessageBody) -> Result<Payload, HandlerError> {
    switch body {
    case .envelope(let n, _): return .success(n.message)
    case .payload(let p):
      if case .requestRef = p { return .failure(HandlerError(message: "KeyError: 'Message'")) }
      guard let v = JSONValue.parse(p.text) else { return .failure(.notJSON) }
      switch pythonSubscript(v, [.key("Message")]) {
      case .failure(let f): return .failure(f.error)
      case .success(let m):
        guard let s = m.stringValue else {
          return .failure(
            HandlerError(message: "TypeError: the JSON object must be str, bytes or bytearray, not \(m.pythonTypeName)")
          )
        }
        return .success(Payload.from(text: s))
      }
    }
  }

  /// The `request_id` a seed service reads from a record body, or the Python error it would raise.
  func serviceRequestID(_ body: MessageBody) -> Result<ServiceRequestID, HandlerError> {
    let message: Payload
    switch recordMessage(body) {
    case .failure(let e): return .failure(e)
    case .success(let m): message = m
    }
    if case .requestRef(let id) = message { return .success(.id(id)) }
    guard let v = JSONValue.parse(message.text) else { return .failure(.notJSON) }
    switch pythonSubscript(v, [.key("request_id")]) {
    case .failure(let f): return .failure(f.error)
    case .success(let r):
      // The preprocessor's form (32 lower-case hex digits) is kept as the 16-byte ID; anything
      // else is the key text Python's f-string makes of it.
      if let s = r.stringValue, let id = RequestID(canonicalHex: s) { return .success(.id(id)) }
      return .success(.other(r))
    }
  }

  /// `data = json.loads(body); data[field] = value; json.dumps(data)` (the seed: `key1`, None),
  /// on bodies by number in `bucket`, cached per function and distinct body.
  func transformSeedObject(_ body: Int32, in bucket: Int, _ f: LambdaFunction) -> Result<Int32, HandlerError> {
    let cacheKey = Int64(bucket) << 32 | Int64(body)
    if let last = f.lastTransform, last.0 == cacheKey { return last.1 }
    if let cached = f.transformCache[cacheKey] {
      f.lastTransform = (cacheKey, cached)
      return cached
    }
    let edit = f.spec.seedEdit
    let result = pythonEdit(buckets[bucket].body(body), set: [(edit.field, edit.value)]).map {
      buckets[bucket].intern($0)
    }
    if f.transformCache.count < 1_024 { f.transformCache[cacheKey] = result }
    f.lastTransform = (cacheKey, result)
    return result
  }
}
