// MARK: - Function code

/// An error raised by a handler, worded as the seed's Python would raise it.
public struct HandlerError: Error, Equatable {
  public var message: String
}

extension HandlerError {
  /// The exception boto3 raises for a failed S3 call, as Lambda reports it (`errorType:
  /// errorMessage`): for GetObject of a missing key, `NoSuchKey: An error occurred (NoSuchKey) when
  /// calling the GetObject operation: The specified key does not exist.` — botocore's
  /// `ClientError` text, "An error occurred ({code}) when calling the {operation} operation:
  /// {message}", with S3's NoSuchKey message
  /// (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList).
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
    return HandlerError(
      message: "\(code): An error occurred (\(code)) when calling the \(operation) operation: \(text)")
  }
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
    case .forwardToTopic(let topic): runForward(inv, toTopic: topic, queue: nil)
    case .forwardToQueue(let queue): runForward(inv, toTopic: nil, queue: queue)
    case .compute: finish(inv, .success)
    }
  }

  private func runPreprocessor(_ inv: Invocation, _ plan: HandlerPlan, topic: Int, body: Int32) {
    switch inv.phase {
    case .start:
      // timestamp = datetime.now().strftime("%Y%m%d%H%M%S%f"); request_id = md5(timestamp): worked
      // out by startInvocation, which knows this instant when it schedules this step.
      let id = inv.requestID!
      assert(id == now.withPythonCompactTimestamp { md5RequestID($0) }, "the request ID is this instant's")
      if case .direct(let fire?) = inv.trigger {
        let fires = tracker.assign(fire: fire, id: id)
        emit(.requestID(fire: fire, requestID: id))
        if let fires { emit(.requestCollision(requestID: id, fires: fires)) }
      }
      inv.key = buckets[plan.bucket].key(folder: plan.outputFolder, id: id)
      inv.phase = .s3Put
      scheduleStep(inv, at: now + topology.latency.s3Put.sample(&latencyRng))
    case .s3Put:
      let b = buckets[plan.bucket]
      let size = b.put(inv.key, body: body, at: now)
      emit(
        .s3Put(
          bucket: b.name, key: b.objectKey(inv.key), etag: b.etag(body), size: size, body: b.body(body),
          requestID: inv.requestID))
      inv.phase = .snsPublish
      scheduleStep(inv, at: now + topology.latency.snsPublish.sample(&latencyRng))
    case .snsPublish, .s3Get, .forward:
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
      case .snsPublish, .forward:
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
        if let id = inv.requestID, let latency = tracker.stageDone(id: id, stage: stage, at: now) {
          emit(.requestStageDone(requestID: id, stage: tracker.stages[stage], latency: latency))
        }
        inv.phase = .start
        inv.recordIndex += 1
      }
    }
    finish(inv, .success)
  }

  /// Passes each record's message on: the published message (or the raw body) to a topic, or the
  /// body as it came to a queue.
  private func runForward(_ inv: Invocation, toTopic topic: Int?, queue: Int?) {
    while inv.recordIndex < inv.records.count {
      if !inv.skip.isEmpty, inv.skip.contains(inv.recordIndex) {
        inv.failedItems.append(inv.recordIndex)
        inv.recordIndex += 1
        continue
      }
      if inv.phase == .start {
        inv.phase = .forward
        let model = topic != nil ? topology.latency.snsPublish : topology.latency.sqsSend
        scheduleStep(inv, at: now + model.sample(&latencyRng))
        return
      }
      let body = inv.records[inv.recordIndex].body
      let message: Payload
      switch body {
      case .envelope(let n, _): message = n.message
      case .payload(let p): message = p
      }
      do {
        if let topic {
          try publish(
            topics[topic], message: message, subject: nil, attributes: [],
            chain: outgoingChain(inv, record: inv.recordIndex))
        } else if let queue {
          let q = queues[queue]
          let size = message.byteCount
          if size > q.spec.maximumMessageSize { throw SQSError.messageTooLong(size, q.spec.maximumMessageSize) }
          enqueue(
            q, messageId: idRng.uuid(), body: .payload(message), attributes: [], size: size, delay: q.spec.delay,
            sentTime: now, enqueueTime: now, sender: .api, chain: outgoingChain(inv, record: inv.recordIndex),
            source: functions[inv.function].sendSource)
        }
      } catch {
        finish(inv, .error("\(error)"))
        return
      }
      inv.phase = .start
      inv.recordIndex += 1
    }
    finish(inv, .success)
  }

  /// The `request_id` a seed service reads from a record body, or the Python error it would raise.
  func serviceRequestID(_ body: MessageBody) -> Result<ServiceRequestID, HandlerError> {
    let message: Payload
    switch body {
    case .envelope(let n, _): message = n.message
    case .payload(let p):
      if case .requestRef = p { return .failure(HandlerError(message: "KeyError: 'Message'")) }
      guard let v = JSONValue.parse(p.text) else {
        return .failure(HandlerError(message: "JSONDecodeError: Expecting value: line 1 column 1 (char 0)"))
      }
      guard case .object = v, let m = v["Message"] else {
        return .failure(HandlerError(message: "KeyError: 'Message'"))
      }
      guard let s = m.stringValue else {
        return .failure(HandlerError(message: "TypeError: the JSON object must be str"))
      }
      message = Payload.from(text: s)
    }
    if case .requestRef(let id) = message { return .success(.id(id)) }
    guard let v = JSONValue.parse(message.text) else {
      return .failure(HandlerError(message: "JSONDecodeError: Expecting value: line 1 column 1 (char 0)"))
    }
    guard case .object = v, let r = v["request_id"] else {
      return .failure(HandlerError(message: "KeyError: 'request_id'"))
    }
    // The preprocessor's form (32 lower-case hex digits) is kept as the 16-byte ID; anything else
    // is the key text Python's f-string makes of it.
    if let s = r.stringValue, let id = RequestID(canonicalHex: s) { return .success(.id(id)) }
    return .success(.other(r))
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
    let result: Result<Int32, HandlerError>
    if let v = JSONValue.parse(buckets[bucket].body(body)) {
      if case .object(var members) = v {
        if let i = members.lastIndex(where: { $0.0 == edit.field }) {
          members[i].1 = edit.value
        } else {
          members.append((edit.field, edit.value))
        }
        result = .success(buckets[bucket].intern(JSONValue.object(members).pythonDumps))
      } else {
        result = .failure(HandlerError(message: "TypeError: object does not support item assignment"))
      }
    } else {
      result = .failure(HandlerError(message: "JSONDecodeError: Expecting value: line 1 column 1 (char 0)"))
    }
    if f.transformCache.count < 1_024 { f.transformCache[cacheKey] = result }
    f.lastTransform = (cacheKey, result)
    return result
  }
}
