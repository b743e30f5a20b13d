// MARK: - Parsed JSON

/// A parsed JSON value. Object members keep their document order, as Python's `dict` does, so
/// that a handler that loads, changes and dumps an object writes the keys back in the same order.
public enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  /// Parses JSON text (RFC 8259, nesting at most 512 deep); nil when it is not valid JSON.
  public static func parse(_ text: String) -> JSONValue? {
    var p = JSONParser(bytes: Array(text.utf8))
    guard let v = p.value(depth: 0) else { return nil }
    p.skipSpace()
    return p.i == p.bytes.count ? v : nil
  }

  /// The member named `key` of an object (the last one, as Python keeps).
  public subscript(key: String) -> JSONValue? {
    if case .object(let members) = self { return members.last { $0.0 == key }?.1 }
    return nil
  }

  /// The string, when this is one.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// Python's `json.dumps` of the value (default separators `, ` and `: `, ensure_ascii).
  public var pythonDumps: String {
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let d): return formatJSONNumber(d)
    case .string(let s): return pythonJSONString(s)
    case .array(let items): return "[" + items.map(\.pythonDumps).joined(separator: ", ") + "]"
    case .object(let members):
      return "{" + members.map { pythonJSONString($0.0) + ": " + $0.1.pythonDumps }.joined(separator: ", ") + "}"
    }
  }

  /// Python's `str()` of the value `json.loads` gives (what an f-string writes): a string as it
  /// is; `None`, `True`, `False`; a number as an int when integral (JSON keeps no int/float
  /// distinction here); lists and dicts as their `repr`.
  public var pythonStr: String {
    if case .string(let s) = self { return s }
    return pythonRepr
  }

  /// Python's `repr()` of the value `json.loads` gives.
  public var pythonRepr: String {
    switch self {
    case .null: return "None"
    case .bool(let b): return b ? "True" : "False"
    case .number(let d): return formatJSONNumber(d)
    case .string(let s): return pythonStringRepr(s)
    case .array(let items): return "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
    case .object(let members):
      return "{" + members.map { pythonStringRepr($0.0) + ": " + $0.1.pythonRepr }.joined(separator: ", ") + "}"
    }
  }

  /// Compact JSON text (AWS style escaping).
  public var compact: String {
    switch self {
    case .null, .bool, .number: return pythonDumps
    case .string(let s): return jsonString(s)
    case .array(let items): return "[" + items.map(\.compact).joined(separator: ",") + "]"
    case .object(let members):
      return "{" + members.map { jsonString($0.0) + ":" + $0.1.compact }.joined(separator: ",") + "}"
    }
  }
}

private struct JSONParser {
  let bytes: [UInt8]
  var i = 0

  mutating func skipSpace() {
    while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
  }

  mutating func value(depth: Int) -> JSONValue? {
    guard depth < 512 else { return nil }
    skipSpace()
    guard i < bytes.count else { return nil }
    switch bytes[i] {
    case UInt8(ascii: "{"):
      i += 1
      var members: [(String, JSONValue)] = []
      skipSpace()
      if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
        i += 1
        return .object(members)
      }
      while true {
        skipSpace()
        guard let k = string() else { return nil }
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        guard let v = value(depth: depth + 1) else { return nil }
        members.append((k, v))
        skipSpace()
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: ",") {
          i += 1
          continue
        }
        if bytes[i] == UInt8(ascii: "}") {
          i += 1
          return .object(members)
        }
        return nil
      }
    case UInt8(ascii: "["):
      i += 1
      var items: [JSONValue] = []
      skipSpace()
      if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
        i += 1
        return .array(items)
      }
      while true {
        guard let v = value(depth: depth + 1) else { return nil }
        items.append(v)
        skipSpace()
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: ",") {
          i += 1
          continue
        }
        if bytes[i] == UInt8(ascii: "]") {
          i += 1
          return .array(items)
        }
        return nil
      }
    case UInt8(ascii: "\""):
      return string().map { .string($0) }
    case UInt8(ascii: "t"): return literal("true", .bool(true))
    case UInt8(ascii: "f"): return literal("false", .bool(false))
    case UInt8(ascii: "n"): return literal("null", .null)
    default: return number()
    }
  }

  mutating func literal(_ word: String, _ v: JSONValue) -> JSONValue? {
    let w = Array(word.utf8)
    guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { return nil }
    i += w.count
    return v
  }

  mutating func number() -> JSONValue? {
    let start = i
    if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
    guard i < bytes.count, (48...57).contains(bytes[i]) else { return nil }
    if bytes[i] == 48 {
      i += 1
    } else {
      while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }
    }
    if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
      i += 1
      guard i < bytes.count, (48...57).contains(bytes[i]) else { return nil }
      while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }
    }
    if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
      i += 1
      if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
      guard i < bytes.count, (48...57).contains(bytes[i]) else { return nil }
      while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }
    }
    guard let d = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else { return nil }
    return .number(d)
  }

  mutating func string() -> String? {
    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
    i += 1
    var out = [UInt8]()
    while i < bytes.count {
      let c = bytes[i]
      if c == UInt8(ascii: "\"") {
        i += 1
        return String(decoding: out, as: UTF8.self)
      }
      if c < 0x20 { return nil }
      if c != UInt8(ascii: "\\") {
        out.append(c)
        i += 1
        continue
      }
      i += 1
      guard i < bytes.count else { return nil }
      let e = bytes[i]
      i += 1
      switch e {
      case UInt8(ascii: "u"):
        guard var code = hex4() else { return nil }
        if (0xD800..<0xDC00).contains(code), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"),
          bytes[i + 1] == UInt8(ascii: "u")
        {
          i += 2
          guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
      default:
        guard let b = jsonEscapedByte(e) else { return nil }
        out.append(b)
      }
    }
    return nil
  }

  mutating func hex4() -> UInt32? {
    guard i + 4 <= bytes.count else { return nil }
    var v: UInt32 = 0
    for _ in 0..<4 {
      guard let h = hexValue(bytes[i]) else { return nil }
      v = (v << 4) | UInt32(h)
      i += 1
    }
    return v
  }
}

/// Python's `repr()` of a str: single quotes unless the text holds a `'` and no `"`; `\`, the
/// quote, `\n`, `\r`, `\t` and other ASCII control characters escaped; non-ASCII kept.
func pythonStringRepr(_ s: String) -> String {
  let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
  var out = String(quote)
  for scalar in s.unicodeScalars {
    switch scalar {
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if Character(scalar) == quote {
        out += "\\" + String(quote)
      } else if scalar.value < 0x20 || scalar.value == 0x7F {
        let h = String(scalar.value, radix: 16)
        out += "\\x" + String(repeating: "0", count: 2 - h.count) + h
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  out.append(quote)
  return out
}

/// The byte a one-character JSON escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`) stands
/// for, or nil when `e` is none of them (`u` and anything invalid).
public func jsonEscapedByte(_ e: UInt8) -> UInt8? {
  switch e {
  case UInt8(ascii: "\""): return 0x22
  case UInt8(ascii: "\\"): return 0x5C
  case UInt8(ascii: "/"): return 0x2F
  case UInt8(ascii: "b"): return 0x08
  case UInt8(ascii: "f"): return 0x0C
  case UInt8(ascii: "n"): return 0x0A
  case UInt8(ascii: "r"): return 0x0D
  case UInt8(ascii: "t"): return 0x09
  default: return nil
  }
}
