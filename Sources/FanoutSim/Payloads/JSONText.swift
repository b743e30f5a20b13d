// MARK: - JSON text, byte for byte

/// Appends `s` as a JSON string literal in the style AWS services write: `"` and `\` escaped,
/// `\n` `\r` `\t` `\b` `\f` short forms, other control characters as `\u00XX`, everything else
/// (including `/` and non-ASCII) as is.
public func appendJSONString(_ out: inout String, _ s: String) {
  out.append("\"")
  var needs = false
  for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
    needs = true
    break
  }
  if !needs {
    out.append(s)
    out.append("\"")
    return
  }
  for scalar in s.unicodeScalars {
    switch scalar {
    case "\"": out.append("\\\"")
    case "\\": out.append("\\\\")
    case "\n": out.append("\\n")
    case "\r": out.append("\\r")
    case "\t": out.append("\\t")
    case "\u{08}": out.append("\\b")
    case "\u{0C}": out.append("\\f")
    default:
      if scalar.value < 0x20 {
        out.append("\\u00")
        out.append(scalar.value < 0x10 ? "0" : "1")
        out.append(String(scalar.value & 0xF, radix: 16))
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  out.append("\"")
}

/// `s` as a JSON string literal (AWS style).
public func jsonString(_ s: String) -> String {
  var out = ""
  appendJSONString(&out, s)
  return out
}

/// Python's `json.dumps` for a string (ensure_ascii=True): non-ASCII as `\uXXXX`, with surrogate
/// pairs above the BMP.
public func pythonJSONString(_ s: String) -> String {
  var out = "\""
  for scalar in s.unicodeScalars {
    switch scalar {
    case "\"": out.append("\\\"")
    case "\\": out.append("\\\\")
    case "\n": out.append("\\n")
    case "\r": out.append("\\r")
    case "\t": out.append("\\t")
    case "\u{08}": out.append("\\b")
    case "\u{0C}": out.append("\\f")
    default:
      let v = scalar.value
      if v < 0x20 || v > 0x7E {
        if v > 0xFFFF {
          let u = v - 0x10000
          out.append(u16(0xD800 + (u >> 10)))
          out.append(u16(0xDC00 + (u & 0x3FF)))
        } else {
          out.append(u16(v))
        }
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  out.append("\"")
  return out
}

private func u16(_ v: UInt32) -> String {
  let h = String(v, radix: 16)
  return "\\u" + String(repeating: "0", count: 4 - h.count) + h
}

/// A compact JSON object written in the order its fields are added: the event log and reports
/// use it so that key order never depends on a Dictionary.
public struct JSONObjectWriter {
  public private(set) var text = "{"
  private var first = true
  public init() {}

  private mutating func key(_ k: String) {
    if !first { text.append(",") }
    first = false
    appendJSONString(&text, k)
    text.append(":")
  }

  public mutating func string(_ k: String, _ v: String) {
    key(k)
    appendJSONString(&text, v)
  }
  public mutating func int(_ k: String, _ v: Int64) {
    key(k)
    text.append(String(v))
  }
  public mutating func int(_ k: String, _ v: Int) { int(k, Int64(v)) }
  public mutating func double(_ k: String, _ v: Double) {
    key(k)
    text.append(formatJSONNumber(v))
  }
  public mutating func bool(_ k: String, _ v: Bool) {
    key(k)
    text.append(v ? "true" : "false")
  }
  public mutating func null(_ k: String) {
    key(k)
    text.append("null")
  }
  /// A value that is already JSON text.
  public mutating func raw(_ k: String, _ json: String) {
    key(k)
    text.append(json)
  }
  /// A nested object, written by `build`.
  public mutating func object(_ k: String, _ build: (inout JSONObjectWriter) -> Void) {
    var inner = JSONObjectWriter()
    build(&inner)
    raw(k, inner.finished())
  }
  public mutating func optionalString(_ k: String, _ v: String?) {
    if let v { string(k, v) } else { null(k) }
  }

  public func finished() -> String { text + "}" }
}

/// A double as JSON: integers without a fraction, others with up to 6 decimals, no exponent.
public func formatJSONNumber(_ v: Double) -> String {
  guard v.isFinite else { return "null" }
  if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
  var s = String(format6(v))
  while s.hasSuffix("0") { s.removeLast() }
  if s.hasSuffix(".") { s.removeLast() }
  return s
}

/// `v` with exactly `places` decimals (at most 18), rounded half away from zero.
func formatFixed(_ v: Double, _ places: Int) -> String {
  var scale = 1.0
  for _ in 0..<places { scale *= 10 }
  let n = Int64((v * scale).rounded())
  let whole = n / Int64(scale)
  var frac = String(n % Int64(scale))
  while frac.count < places { frac = "0" + frac }
  return "\(whole).\(frac)"
}

private func format6(_ v: Double) -> String {
  let neg = v < 0
  let scaled = (abs(v) * 1_000_000).rounded()
  let whole = Int64(scaled / 1_000_000)
  let frac = Int64(scaled.truncatingRemainder(dividingBy: 1_000_000))
  let f = String(frac)
  return (neg ? "-" : "") + String(whole) + "." + String(repeating: "0", count: 6 - f.count) + f
}

/// A JSON array of already-rendered JSON values.
public func jsonArray(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

/// Length in bytes of a payload written as a JSON string literal (AWS style), quotes included.
public func jsonEscapedLength(_ p: Payload) -> Int {
  switch p {
  case .requestRef: return 56
  case .text(let s):
    var n = 2
    for b in s.utf8 {
      switch b {
      case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x08, 0x0C: n += 2
      case 0..<0x20: n += 6
      default: n += 1
      }
    }
    return n
  }
}
