// MARK: - Function code

/// An error raised by a handler, worded as the seed's Python would raise it.
public struct HandlerError: Error, Equatable {
  public var message: String
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
        try publish(topics[topic], message: .requestRef(inv.requestID!), subject: nil, attributes: [])
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
        switch serviceRequestID(inv.records[inv.recordIndex].body) {
        case .failure(let e):
          finish(inv, .error(e.message))
          return
        case .success(let id):
          inv.requestID = id
        }
        inv.key = buckets[plan.bucket].key(folder: plan.inputFolder, id: inv.requestID!)
        // The get, the put (same ID, same probe run) and the tracker come in later jobs.
        buckets[plan.bucket].prefetch(inv.key)
        tracker.prefetch(id: inv.requestID!)
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
          finish(inv, .error(error.description))
          return
        }
        switch transformSeedObject(body, in: plan.bucket, functions[inv.function]) {
        case .failure(let e):
          finish(inv, .error(e.message))
          return
        case .success(let out): inv.output = out
        }
        inv.key = buckets[plan.bucket].key(folder: plan.outputFolder, id: inv.requestID!)
        inv.phase = .s3Put
        scheduleStep(inv, at: now + topology.latency.s3Put.sample(&latencyRng))
        return
      case .s3Put:
        let b = buckets[plan.bucket]
        let size = b.put(inv.key, body: inv.output, at: now)
        emit(
          .s3Put(
            bucket: b.name, key: b.objectKey(inv.key), etag: b.etag(inv.output), size: size, body: b.body(inv.output),
            requestID: inv.requestID))
        inv.phase = .snsPublish
        scheduleStep(inv, at: now + topology.latency.snsPublish.sample(&latencyRng))
        return
      case .snsPublish, .forward:
        let id = inv.requestID!
        do {
          try publish(topics[topic], message: .requestRef(id), subject: nil, attributes: [])
        } catch {
          finish(inv, .error(error.description))
          return
        }
        if let latency = tracker.stageDone(id: id, stage: stage, at: now) {
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
          try publish(topics[topic], message: message, subject: nil, attributes: [])
        } else if let queue {
          let q = queues[queue]
          let size = message.byteCount
          if size > q.spec.maximumMessageSize { throw SQSError.messageTooLong(size, q.spec.maximumMessageSize) }
          enqueue(
            q, messageId: idRng.uuid(), body: .payload(message), attributes: [], size: size, delay: q.spec.delay,
            sentTime: now, enqueueTime: now, sender: .api, source: functions[inv.function].sendSource)
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

  /// The request ID a seed service reads from a record body, or the Python error it would raise.
  func serviceRequestID(_ body: MessageBody) -> Result<RequestID, HandlerError> {
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
    if case .requestRef(let id) = message { return .success(id) }
    guard let v = JSONValue.parse(message.text) else {
      return .failure(HandlerError(message: "JSONDecodeError: Expecting value: line 1 column 1 (char 0)"))
    }
    guard case .object = v, let r = v["request_id"] else {
      return .failure(HandlerError(message: "KeyError: 'request_id'"))
    }
    guard let s = r.stringValue, let id = RequestID(hex: s) else {
      return .failure(HandlerError(message: "NoSuchKey: request_id \(r.compact) names no object"))
    }
    return .success(id)
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
