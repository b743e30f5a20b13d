import FanoutSim

// MARK: - What the query and JSON protocols carry: form bodies in, a neutral tree out
//
// The SQS JSON protocol and the query protocol (SQS's old one, SNS's only one) describe the same
// operations with different spellings. A request's parameters are read through `Params` (the JSON
// object, or the form's flattened keys); an answer is built once as an `Out` tree and written as
// JSON or as the query protocol's XML.

/// A request the wire layer refuses, with the error shape's name, AWS's legacy query code and text.
public struct WireError: Error, Equatable {
  /// The error's name in botocore's model (`QueueDoesNotExist`), the JSON protocol's `__type`.
  public var name: String
  /// The code the query protocol carries (`AWS.SimpleQueueService.NonExistentQueue`); also the JSON
  /// protocol's `x-amzn-query-error` header.
  public var code: String
  public var message: String
  public var status: Int
  public var senderFault: Bool

  public init(_ name: String, code: String? = nil, _ message: String, status: Int = 400, senderFault: Bool = true) {
    self.name = name
    self.code = code ?? name
    self.message = message
    self.status = status
    self.senderFault = senderFault
  }
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XY` a byte; nil when a
/// percent escape is broken or the bytes are not UTF-8.
func decodeForm(_ bytes: [UInt8]) -> [(String, String)]? {
  var out: [(String, String)] = []
  if bytes.isEmpty { return out }
  for part in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
    let kv = part.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
    guard let k = percentDecode(kv[0]) else { return nil }
    let v = kv.count > 1 ? percentDecode(kv[1]) : ""
    guard let v else { return nil }
    out.append((k, v))
  }
  return out
}

/// Percent-decodes bytes (`+` as a space); nil when an escape is broken or the result is not UTF-8.
func percentDecode<C: Collection>(_ s: C, plusIsSpace: Bool = true) -> String? where C.Element == UInt8 {
  percentDecodedBytes(s, plusIsSpace: plusIsSpace).flatMap { String(validating: $0, as: UTF8.self) }
}

/// Percent-decodes to bytes (with `plusIsSpace`, `+` as a space): nil for a `%` not followed by
/// two hexadecimal digits. S3 keys are bytes, whatever their encoding.
func percentDecodedBytes<C: Collection>(_ s: C, plusIsSpace: Bool) -> [UInt8]? where C.Element == UInt8 {
  var bytes: [UInt8] = []
  bytes.reserveCapacity(s.count)
  var i = s.startIndex
  while i != s.endIndex {
    let b = s[i]
    if b == UInt8(ascii: "%") {
      let j = s.index(after: i)
      guard j != s.endIndex, s.index(after: j) != s.endIndex else { return nil }
      let k = s.index(after: j)
      guard let hi = hexValue(s[j]), let lo = hexValue(s[k]) else { return nil }
      bytes.append(hi << 4 | lo)
      i = s.index(after: k)
      continue
    }
    bytes.append(plusIsSpace && b == UInt8(ascii: "+") ? 0x20 : b)
    i = s.index(after: i)
  }
  return bytes
}

/// The value of a hex digit.
func hexValue(_ b: UInt8) -> UInt8? {
  switch b {
  case 0x30...0x39: return b - 0x30
  case 0x41...0x46: return b - 0x41 + 10
  case 0x61...0x66: return b - 0x61 + 10
  default: return nil
  }
}

/// Text escaped for XML content.
func xmlEscape(_ s: String) -> String {
  var out = ""
  out.reserveCapacity(s.utf8.count)
  for c in s.unicodeScalars {
    switch c {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&apos;"
    case "\r": out += "&#xD;"
    default: out.unicodeScalars.append(c)
    }
  }
  return out
}

/// A request's parameters, from a JSON object or a form's flattened keys.
struct Params {
  enum Backing {
    case json(JSONValue)
    /// Form keys (only looked up, never iterated into output) under a prefix (`Entry.1.`).
    case form([String: String], prefix: String)
  }
  var backing: Backing

  init(json: JSONValue) { backing = .json(json) }
  init(form pairs: [(String, String)]) {
    var d: [String: String] = [:]
    for (k, v) in pairs where d[k] == nil { d[k] = v }
    backing = .form(d, prefix: "")
  }
  private init(_ b: Backing) { backing = b }

  /// A string parameter; a JSON number or boolean is taken as its text.
  func string(_ name: String) -> String? {
    switch backing {
    case .json(let v):
      switch v[name] {
      case .string(let s)?: return s
      case .number(let n)?: return formatJSONNumber(n)
      case .bool(let b)?: return b ? "true" : "false"
      default: return nil
      }
    case .form(let d, let prefix): return d[prefix + name]
    }
  }

  /// A required string parameter.
  func required(_ name: String) throws(WireError) -> String {
    guard let s = string(name) else {
      throw WireError("MissingParameter", "The request must contain the parameter \(name).")
    }
    return s
  }

  /// An integer parameter; InvalidParameterValue when it is not one.
  func int(_ name: String) throws(WireError) -> Int? {
    guard let s = string(name) else { return nil }
    guard let n = Int(s) else {
      throw WireError(
        "InvalidParameterValue", "Value \(s) for parameter \(name) is invalid. Reason: must be an integer.")
    }
    return n
  }

  /// A list of strings: a JSON array, or the form's `name.1`, `name.2`, … (`member` for
  /// non-flattened lists: `name.member.1`).
  func strings(json: String, form: String) -> [String] {
    switch backing {
    case .json(let v):
      guard case .array(let items)? = v[json] else { return [] }
      return items.compactMap(\.stringValue)
    case .form(let d, let prefix):
      var out: [String] = []
      var i = 1
      while let s = d[prefix + form + ".\(i)"] {
        out.append(s)
        i += 1
      }
      return out
    }
  }

  /// A list of structures: a JSON array of objects, or the form's `name.N.` prefixes.
  func entries(json: String, form: String) -> [Params] {
    switch backing {
    case .json(let v):
      guard case .array(let items)? = v[json] else { return [] }
      return items.map { Params(.json($0)) }
    case .form(let d, let prefix):
      var out: [Params] = []
      var i = 1
      while true {
        let p = prefix + form + ".\(i)."
        // An entry exists when any key starts with its prefix; entries are numbered from 1 on.
        guard d.keys.contains(where: { $0.hasPrefix(p) }) else { break }
        out.append(Params(.form(d, prefix: p)))
        i += 1
      }
      return out
    }
  }

  /// Whether the JSON body has a member (true for any form: the form layer checks keys itself).
  func has(_ name: String) -> Bool {
    switch backing {
    case .json(let v): return v[name] != nil
    case .form(let d, let prefix): return d.keys.contains { $0 == prefix + name || $0.hasPrefix(prefix + name + ".") }
    }
  }

  /// A string-to-string map: a JSON object, or the form's `name.N.<key>` / `name.N.<value>`.
  func map(json: String, form: String, key: String, value: String) -> [(String, String)] {
    switch backing {
    case .json(let v):
      guard case .object(let members)? = v[json] else { return [] }
      return members.compactMap { k, v in
        switch v {
        case .string(let s): return (k, s)
        case .number(let n): return (k, formatJSONNumber(n))
        case .bool(let b): return (k, b ? "true" : "false")
        default: return nil
        }
      }
    case .form(let d, let prefix):
      var out: [(String, String)] = []
      var i = 1
      while let k = d[prefix + form + ".\(i).\(key)"] {
        out.append((k, d[prefix + form + ".\(i).\(value)"] ?? ""))
        i += 1
      }
      return out
    }
  }

  /// Message attributes: a JSON map of `{DataType, StringValue | BinaryValue}`, or the form's
  /// `name.N.Name`, `name.N.Value.DataType`, `name.N.Value.StringValue` (`entry` lists for SNS).
  func messageAttributes(json: String, form: String, nameKey: String = "Name") throws(WireError) -> [MessageAttribute] {
    var raw: [(String, String?, String?, String?)] = []
    switch backing {
    case .json(let v):
      guard let m = v[json] else { return [] }
      guard case .object(let members) = m else {
        throw WireError("InvalidParameterValue", "The message attributes must be a map.")
      }
      for (k, a) in members {
        raw.append((k, a["DataType"]?.stringValue, a["StringValue"]?.stringValue, a["BinaryValue"]?.stringValue))
      }
    case .form(let d, let prefix):
      var i = 1
      while let k = d[prefix + form + ".\(i).\(nameKey)"] {
        let p = prefix + form + ".\(i).Value."
        raw.append((k, d[p + "DataType"], d[p + "StringValue"], d[p + "BinaryValue"]))
        i += 1
      }
    }
    var out: [MessageAttribute] = []
    for (name, type, string, binary) in raw {
      guard let type, !type.isEmpty else {
        throw WireError(
          "InvalidParameterValue", "The message attribute '\(name)' must contain a non-empty attribute type.")
      }
      let base = type.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
      guard ["String", "Number", "Binary"].contains(base) else {
        throw WireError(
          "InvalidParameterValue",
          "The type of message attribute '\(name)' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
        )
      }
      guard let value = base == "Binary" ? binary : string else {
        throw WireError(
          "InvalidParameterValue", "The message attribute '\(name)' must contain a non-empty message attribute value.")
      }
      out.append(MessageAttribute(name: name, dataType: type, value: value))
    }
    return out
  }
}

/// An answer's content, written as JSON or as query-protocol XML.
indirect enum Out {
  case string(String)
  case int(Int)
  case bool(Bool)
  /// Members in order: a JSON object; in XML each member is an element.
  case object([(String, Out)])
  /// A JSON array. In XML: `flat` repeats the element `flat` in place of the member (SQS);
  /// nil wraps the items in `<member>` (SNS).
  case list(flat: String?, [Out])
  /// A JSON object with keys from the data. In XML: `flat` repeats `<flat><Name>k</Name><Value>v
  /// </Value></flat>` (SQS); nil writes `<entry><key>k</key><value>v</value></entry>` (SNS).
  case map(flat: String?, [(String, Out)])

  var json: String {
    switch self {
    case .string(let s): return jsonString(s)
    case .int(let n): return String(n)
    case .bool(let b): return b ? "true" : "false"
    case .object(let members):
      return "{" + members.map { jsonString($0.0) + ":" + $0.1.json }.joined(separator: ",") + "}"
    case .list(_, let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
    case .map(_, let members):
      return "{" + members.map { jsonString($0.0) + ":" + $0.1.json }.joined(separator: ",") + "}"
    }
  }

  /// The XML content of this value (its children), as the member `name`'s element would hold.
  func xml(name: String, into out: inout String) {
    switch self {
    case .string(let s): out += "<\(name)>\(xmlEscape(s))</\(name)>"
    case .int(let n): out += "<\(name)>\(n)</\(name)>"
    case .bool(let b): out += "<\(name)>\(b ? "true" : "false")</\(name)>"
    case .object(let members):
      out += "<\(name)>"
      for (k, v) in members { v.xml(name: k, into: &out) }
      out += "</\(name)>"
    case .list(let flat, let items):
      if let flat {
        for item in items { item.xml(name: flat, into: &out) }
      } else {
        out += "<\(name)>"
        for item in items { item.xml(name: "member", into: &out) }
        out += "</\(name)>"
      }
    case .map(let flat, let members):
      if let flat {
        for (k, v) in members {
          out += "<\(flat)><Name>\(xmlEscape(k))</Name>"
          v.xml(name: "Value", into: &out)
          out += "</\(flat)>"
        }
      } else {
        out += "<\(name)>"
        for (k, v) in members {
          out += "<entry><key>\(xmlEscape(k))</key>"
          v.xml(name: "value", into: &out)
          out += "</entry>"
        }
        out += "</\(name)>"
      }
    }
  }
}

/// A deterministic request ID (a UUID's shape) from a counter: no clock, no random draw.
func requestId(_ n: UInt64) -> String {
  let h = md5Hex("fanout-request-\(n)")
  let u = Array(h.utf8)
  func s(_ a: Int, _ b: Int) -> String { String(decoding: u[a..<b], as: UTF8.self) }
  return "\(s(0, 8))-\(s(8, 12))-\(s(12, 16))-\(s(16, 20))-\(s(20, 32))"
}

extension WireResponse {
  /// A JSON-protocol answer.
  static func json(_ body: String, status: Int = 200, requestId: String, extra: [(name: String, value: String)] = [])
    -> WireResponse
  {
    WireResponse(
      status: status,
      headers: [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", requestId)] + extra,
      body: Array(body.utf8))
  }

  /// A query-protocol answer.
  static func xml(_ body: String, status: Int = 200, requestId: String) -> WireResponse {
    WireResponse(
      status: status, headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestId)], body: Array(body.utf8))
  }
}

extension StringProtocol {
  /// Without the spaces and tabs at either end (HTTP's optional whitespace).
  var trimmingBlanks: String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
    return String(s)
  }
}
