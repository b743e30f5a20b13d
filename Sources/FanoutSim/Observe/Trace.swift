// MARK: - Following one request through an event log

/// Everything that happened to one request, from an event log.
public struct RequestTrace: Sendable {
  public var requestID: String
  public var fires: [Int]
  /// The events, in log order, each as its JSON line.
  public var lines: [String]
  public var parsed: [JSONValue]
}

/// Why a trace could not be made.
public struct TraceError: Error, CustomStringConvertible {
  public var description: String
}

/// Collects the events of one request: those naming its ID, those of the SQS messages, SNS
/// messages, invocations and fires that belong to it, and those of S3 objects whose key holds
/// it. `id` may be a prefix of at least 6 hex digits if it names one request.
public func traceRequest<S: Sequence>(lines: S, id: String) throws -> RequestTrace where S.Element == String {
  let wanted = id.lowercased()
  guard wanted.count >= 6, wanted.allSatisfy(\.isHexDigit) else {
    throw TraceError(description: "a request ID is hex digits (at least the first 6)")
  }
  var all: [(String, JSONValue)] = []
  var ids = Set<String>()
  for line in lines where !line.isEmpty {
    guard let v = JSONValue.parse(line) else { throw TraceError(description: "not an events file: a line is not JSON") }
    if let r = v["request_id"]?.stringValue { ids.insert(r) }
    all.append((line, v))
  }
  let matches = ids.filter { $0.hasPrefix(wanted) }.sorted()
  guard let full = matches.first else { throw TraceError(description: "no request \(id) in this events file") }
  guard matches.count == 1 else {
    throw TraceError(description: "\(id) names several requests: " + matches.joined(separator: ", "))
  }
  var messages = Set<String>()
  var snsMessages = Set<String>()
  var invocations = Set<Int>()
  var fires = Set<Int>()
  var included = Set<Int>()
  for (index, (_, v)) in all.enumerated() {
    let type = v["type"]?.stringValue ?? ""
    let mine = v["request_id"]?.stringValue == full
    var include = mine
    if mine {
      if let m = v["message_id"]?.stringValue {
        if type == "sns.publish" { snsMessages.insert(m) } else { messages.insert(m) }
      }
      if let n = v["new_message_id"]?.stringValue { messages.insert(n) }
      if type == "request.id", case .number(let f)? = v["fire"] { fires.insert(Int(f)) }
    }
    switch type {
    case "request.fire", "request.failed":
      if case .number(let f)? = v["fire"], fires.contains(Int(f)) { include = true }
    case "sqs.receive", "sqs.delete", "sqs.visible", "sqs.dlq", "sqs.expire":
      if let m = v["message_id"]?.stringValue, messages.contains(m) { include = true }
    case "sqs.send":
      if let s = v["sns_message_id"]?.stringValue, snsMessages.contains(s) {
        include = true
        if let m = v["message_id"]?.stringValue { messages.insert(m) }
      }
    case "lambda.invoke":
      if case .array(let rs)? = v["request_ids"], rs.contains(.string(full)), case .number(let n)? = v["invocation"] {
        invocations.insert(Int(n))
        include = true
      }
    case "lambda.result":
      if case .number(let n)? = v["invocation"], invocations.contains(Int(n)) { include = true }
    case "s3.put", "s3.get", "s3.head", "s3.delete":
      // An object keyed by the request's ID (the article's `<prefix>/<stage>/<id>.json`): a
      // client's or a process function's own S3 call names no request, its key does.
      if let k = v["key"]?.stringValue, k.contains(full) { include = true }
    default: break
    }
    if include { included.insert(index) }
  }
  // A fire's own line comes before its ID is known: take it now that the fires are.
  var result: [(String, JSONValue)] = []
  for (index, (line, v)) in all.enumerated() {
    let isFire = v["type"]?.stringValue == "request.fire"
    if isFire, case .number(let f)? = v["fire"], fires.contains(Int(f)) {
      result.append((line, v))
    } else if !isFire, included.contains(index) {
      result.append((line, v))
    }
  }
  return RequestTrace(requestID: full, fires: fires.sorted(), lines: result.map(\.0), parsed: result.map(\.1))
}

extension RequestTrace {
  /// The trace for people: one line per event, with the time since the first one.
  public var text: String {
    var out = [
      "request \(requestID)" + (fires.isEmpty ? "" : "  fires \(fires.map(String.init).joined(separator: ", "))")
    ]
    let first = parsed.first?["time"]?.stringValue ?? ""
    for v in parsed {
      let time = v["time"]?.stringValue ?? ""
      let type = v["type"]?.stringValue ?? ""
      var fields: [String] = []
      if case .object(let members) = v {
        for (k, x) in members where !["seq", "time", "type", "request_id", "event"].contains(k) {
          fields.append("\(k)=\(x.stringValue ?? x.compact)")
        }
      }
      out.append("\(time)  +\(offset(first, time))  \(type)  " + fields.joined(separator: " "))
      if let e = v["event"] { out.append("    event received: " + e.compact) }
    }
    return out.joined(separator: "\n")
  }

  /// The trace as one JSON object: the request ID, its fires and its events as logged.
  public var json: String {
    var w = JSONObjectWriter()
    w.string("request_id", requestID)
    w.raw("fires", jsonArray(fires.map(String.init)))
    w.raw("events", jsonArray(lines))
    return w.finished()
  }

  private func offset(_ a: String, _ b: String) -> String {
    func instant(_ s: String) -> SimTime? {
      // 2026-01-01T00:00:00.123Z
      let u = Array(s.utf8)
      guard u.count == 24 else { return nil }
      func n(_ x: Int, _ y: Int) -> Int { Int(String(decoding: u[x..<y], as: UTF8.self)) ?? 0 }
      return CivilTime.instant(
        year: n(0, 4), month: n(5, 7), day: n(8, 10), hour: n(11, 13), minute: n(14, 16), second: n(17, 19),
        microsecond: n(20, 23) * 1_000)
    }
    guard let x = instant(a), let y = instant(b) else { return "?" }
    return formatSpan(y - x)
  }
}
