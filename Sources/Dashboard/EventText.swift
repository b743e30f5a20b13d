import FanoutSim

// MARK: - Events as text, made only for the lines on screen

/// One line for the Events pane.
func eventSummary(_ e: SimEvent) -> String {
  switch e.kind {
  case .requestFire(let f): return "fire #\(f)"
  case .requestID(let f, let id): return "#\(f) id \(id.hex)"
  case .requestCollision(let id, let fires): return "COLLISION \(id.hex) fires \(fires)"
  case .requestFailed(let f, let r): return "#\(f) failed: \(r)"
  case .requestStageDone(let id, let s, let l): return "\(s) done \(id.hex.prefix(8)) in \(formatSpan(l))"
  case .snsPublish(let t, _, let m, _, _, let to, _, _, _): return "\(t) ← \(m.text) → \(to.count) subs"
  case .snsNotify(let t, let ep, _, let m, _): return "\(t) → \(ep): \(m.text)"
  case .snsDeliveryFailed(let t, let ep, _, let r): return "\(t) → \(ep) FAILED: \(r)"
  case .snsDuplicate(let t, let ep, let mid): return "\(t) → \(ep) \(mid.text.prefix(8)) DUPLICATE delivery"
  case .sqsSend(let q, let mid, _, _, let size, _, _): return "\(q) ← \(mid.text.prefix(8)) (\(size) B)"
  case .sqsReceive(let q, let mid, let c, _, let who, let k):
    return "\(q) → \(who) \(mid.text.prefix(8))\(copyTag(k)) rc=\(c)"
  case .sqsDelete(let q, let mid, _, let k): return "\(q) deleted \(mid.text.prefix(8))\(copyTag(k))"
  case .sqsVisible(let q, let mid, let r, let k):
    return "\(q) \(mid.text.prefix(8))\(copyTag(k)) visible (\(r.rawValue))"
  case .sqsDLQ(let q, let d, let mid, let c, _, let k):
    return "\(q) → \(d) \(mid.text.prefix(8))\(copyTag(k)) after \(c) receives"
  case .sqsExpire(let q, let mid, _, let k): return "\(q) expired \(mid.text.prefix(8))\(copyTag(k))"
  case .sqsDuplicate(let q, let mid, let k, _, _): return "\(q) \(mid.text.prefix(8)) DUPLICATE: copy \(k) visible"
  case .sqsDuplicateRate(let q, let rate): return "\(q) duplicate rate \(percentText(rate))"
  case .sqsPurge(let q, let n): return "\(q) purged \(n)"
  case .sqsMoveTask(let id, let s, let d, let status, let moved, let total):
    return "move task \(id) \(s) → \(d ?? "sources") \(status) \(moved)/\(total)"
  case .sqsRedrive(_, let s, let d, let old, let new, _, _):
    return "redrive \(s) → \(d) \(old.text.prefix(8)) as \(new.text.prefix(8))"
  case .lambdaInvoke(let f, let i, let cold, _, let ids, _):
    return "λ \(f) #\(i) \(cold ? "cold" : "warm") batch \(ids.count)"
  case .lambdaResult(let f, let i, let o, let d, let fails):
    let r: String
    switch o {
    case .success: r = fails.isEmpty ? "ok" : "ok, \(fails.count) item failures"
    case .error(let m): r = "ERROR \(m)"
    case .timeout: r = "TIMEOUT"
    }
    return "λ \(f) #\(i) \(r) \(formatSpan(d))"
  case .lambdaThrottle(let f, let t, _): return "λ \(f) THROTTLED (\(t))"
  case .lambdaRecursiveLoop(let f, _, let n, let mid, _):
    return "λ \(f) RECURSIVE LOOP stopped: \(mid.text.prefix(8)) after \(n) invocations"
  case .lambdaAsync(let f, let awsId, let stage, let detail, _, _):
    let id = awsId.text.prefix(8)
    switch stage {
    case .accepted: return "λ \(f) async event \(id) queued (\(detail))"
    case .retry: return "λ \(f) async event \(id) retry: \(detail)"
    case .succeeded: return "λ \(f) async event \(id) done"
    case .discarded: return "λ \(f) async event \(id) DISCARDED: \(detail)"
    }
  case .lambdaScale(let m, let a, let b): return "\(m) pollers \(a) → \(b)"
  case .lambdaMapping(let m, let on): return "\(m) trigger \(on ? "enabled" : "DISABLED")"
  case .lambdaCodeUpdate(let f, let n): return "\(f) code updated: \(n) warm environments retired"
  case .lambdaFailure(let f, let x): return "λ \(f) failure rate \(Int(x.errorRate * 100))%"
  case .s3Put(_, let k, _, let size, _, _): return "put \(k) (\(size) B)"
  case .s3Get(_, let k, let found, _): return "get \(k)" + (found ? "" : " NoSuchKey")
  case .s3Head(_, let k, let found, _): return "head \(k)" + (found ? "" : " 404")
  case .s3Delete(_, let k, _, _): return "delete \(k)"
  }
}

/// ` copy N` for a copy at-least-once delivery left, nothing for the message as sent.
func copyTag(_ copy: UInt16) -> String { copy == 0 ? "" : " copy \(copy)" }

/// Whether an Events pane line is drawn in red (something went wrong) or cyan (a notification).
func eventStyleIsAlarm(_ e: SimEvent) -> Bool {
  switch e.kind {
  case .requestCollision, .requestFailed, .sqsDLQ, .sqsDuplicate, .snsDuplicate, .lambdaRecursiveLoop: return true
  case .lambdaAsync(_, _, let stage, _, _, _): return stage == .discarded
  case .lambdaResult(_, _, let outcome, _, _): return outcome != .success
  default: return false
  }
}

/// What a request's timeline says of one event: a line, or several (an invocation adds the
/// exact record this request arrived in).
func timelineLines(_ e: SimEvent, request id: RequestID?) -> [String] {
  switch e.kind {
  case .requestFire: return ["fired"]
  case .requestID(_, let id): return ["request ID \(id.hex)"]
  case .requestCollision(_, let fires):
    return ["COLLISION: fires \(fires.map(String.init).joined(separator: ", ")) share this ID"]
  case .requestFailed(_, let reason): return ["failed: \(reason)"]
  case .requestStageDone(_, let stage, let latency): return ["\(stage) done after \(formatSpan(latency))"]
  case .snsPublish(let topic, let mid, _, _, _, let matched, let filtered, _, let injected):
    var text = "sns.publish \(topic) \(mid.text) → \(matched.joined(separator: ", "))"
    if !filtered.isEmpty { text += " (filtered out: \(filtered.joined(separator: ", ")))" }
    if injected { text += " [injected]" }
    return [text]
  case .snsNotify(let topic, let endpoint, _, _, _): return ["notified \(endpoint) via \(topic)"]
  case .snsDeliveryFailed(let topic, let endpoint, _, let reason):
    return ["delivery from \(topic) to \(endpoint) failed: \(reason)"]
  case .snsDuplicate(let topic, let endpoint, _):
    return ["\(topic) will deliver to \(endpoint) a second time (at-least-once delivery)"]
  case .sqsSend(let queue, let mid, _, _, _, _, _): return ["sqs.send \(queue) \(mid.text)"]
  case .sqsReceive(let queue, _, let count, let until, _, let k):
    return ["sqs.receive \(queue)\(copyTag(k)) receive #\(count), visible again at \(until.iso8601Millis)"]
  case .sqsDelete(let queue, _, _, let k): return ["sqs.delete \(queue)\(copyTag(k))"]
  case .sqsVisible(let queue, _, let reason, let k):
    return ["visible again in \(queue)\(copyTag(k)) (\(reason.rawValue))"]
  case .sqsDLQ(_, let dlq, _, let count, _, let k): return ["moved\(copyTag(k)) to \(dlq) after \(count) receives"]
  case .sqsExpire(let queue, _, _, let k): return ["expired in \(queue)\(copyTag(k)) (MessageRetentionPeriod)"]
  case .sqsDuplicate(let queue, _, let k, _, _):
    return ["a copy (\(k)) stays visible in \(queue): a server missed the receive (at-least-once delivery)"]
  case .sqsDuplicateRate: return []
  case .sqsPurge(let queue, _): return ["purged from \(queue)"]
  case .sqsMoveTask: return []
  case .sqsRedrive(let task, let source, let destination, _, let new, _, _):
    return ["redriven from \(source) to \(destination) by move task \(task) (new message \(new.text))"]
  case .lambdaInvoke(let function, let inv, let cold, _, let ids, let records):
    var lines = ["λ \(function) #\(inv) \(cold ? "cold" : "warm") start, batch of \(ids.count)"]
    // The exact record this request arrived in.
    for r in records ?? [] where id != nil && r.requestID == id { lines.append("  event record: " + r.json) }
    return lines
  case .lambdaResult(let function, let inv, let outcome, let duration, let failures):
    var lines: [String]
    switch outcome {
    case .success: lines = ["λ \(function) #\(inv) succeeded in \(formatSpan(duration))"]
    case .error(let m): lines = ["λ \(function) #\(inv) error: \(m)"]
    case .timeout: lines = ["λ \(function) #\(inv) timed out after \(formatSpan(duration))"]
    }
    if !failures.isEmpty { lines.append("  reported \(failures.count) batch item failures") }
    return lines
  case .lambdaRecursiveLoop(let function, _, let n, _, _):
    return ["λ \(function) not invoked: a recursive loop (\(n) invocations in this chain; Terminate)"]
  case .lambdaAsync(let function, let awsId, let stage, let detail, _, let event):
    switch stage {
    case .accepted:
      var lines = ["λ \(function) accepted an asynchronous invocation from \(detail) (request \(awsId.text))"]
      if let event { lines.append("  event: " + event) }
      return lines
    case .retry: return ["λ \(function) will retry the asynchronous invocation: \(detail)"]
    case .succeeded: return ["λ \(function) asynchronous invocation done"]
    case .discarded: return ["λ \(function) discarded the asynchronous invocation: \(detail)"]
    }
  case .lambdaThrottle, .lambdaScale, .lambdaMapping, .lambdaFailure, .lambdaCodeUpdate: return []
  case .s3Put(_, let key, let etag, _, _, _): return ["s3.put \(key) ETag \(etag)"]
  case .s3Get(_, let key, let found, _): return ["s3.get \(key)" + (found ? "" : " → NoSuchKey")]
  case .s3Head(_, let key, let found, _): return ["s3.head \(key)" + (found ? "" : " → 404 Not Found")]
  case .s3Delete(_, let key, let existed, _): return ["s3.delete \(key)" + (existed ? "" : " (no such key)")]
  }
}
