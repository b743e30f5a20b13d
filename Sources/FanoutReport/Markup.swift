// MARK: - Escaping and numbers for HTML and SVG
//
// Everything the report writes goes through these: names (a scenario's, a queue's, a sink's
// endpoint) are escaped wherever they appear, as text or in an attribute, and numbers are written
// without a locale, so the same run gives the same page.

/// `s` made safe as HTML or SVG text and as a double- or single-quoted attribute value: `&`, `<`,
/// `>`, `"` and `'` become character references, and control characters other than tab, line feed
/// and carriage return (which XML and HTML refuse) become U+FFFD.
public func escapeMarkup(_ s: String) -> String {
  var out = ""
  out.unicodeScalars.reserveCapacity(s.unicodeScalars.count)
  for u in s.unicodeScalars {
    switch u {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    case "\t", "\n", "\r": out.unicodeScalars.append(u)
    default:
      if u.value < 0x20 || u.value == 0x7F || (0x80...0x9F).contains(u.value) || u.value == 0xFFFE
        || u.value == 0xFFFF
      {
        out.unicodeScalars.append("\u{FFFD}")
      } else {
        out.unicodeScalars.append(u)
      }
    }
  }
  return out
}

/// `s` shortened to at most `max` characters, an ellipsis standing for the rest.
func truncated(_ s: String, _ max: Int) -> String {
  s.count <= max ? s : String(s.prefix(Swift.max(1, max - 1))) + "…"
}

/// `v` with `decimals` digits after the point (at most 9), rounded half away from zero; no
/// exponent, no locale. Non-finite values and values too large for the digits are written as `0`
/// (callers scale first: see `formatTick`).
func fixed(_ v: Double, _ decimals: Int) -> String {
  let d = Swift.max(0, Swift.min(9, decimals))
  var scale = 1.0
  for _ in 0..<d { scale *= 10 }
  let scaled = (v * scale).rounded()
  guard scaled.isFinite, abs(scaled) < 9.0e18 else { return "0" }
  let n = Int64(scaled)
  let negative = n < 0
  let digits = String(n.magnitude)
  var text: String
  if d == 0 {
    text = digits
  } else {
    let padded = String(repeating: "0", count: Swift.max(0, d + 1 - digits.count)) + digits
    text = String(padded.dropLast(d)) + "." + String(padded.suffix(d))
  }
  return (negative && n != 0 ? "-" : "") + text
}

/// A coordinate for SVG: one decimal, clamped to ±10,000,000 (a non-finite value is 0).
func coord(_ v: Double) -> String {
  guard v.isFinite else { return "0" }
  let c = Swift.max(-1e7, Swift.min(1e7, v))
  let text = fixed(c, 1)
  return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
}

/// A value for a person: at most three significant digits after scaling by an SI prefix (k, M, G,
/// T, P, E), an exponent past 10^21; `1234` is `1.23k`, `0.5` is `0.5`.
public func formatValue(_ v: Double) -> String {
  guard v.isFinite else { return "–" }
  let a = abs(v)
  if a == 0 { return "0" }
  if a >= 1e21 { return scientific(v) }
  let prefixes: [(Double, String)] = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
  for (scale, p) in prefixes where a >= scale * 0.9995 {
    return trimmed(significant(v / scale, 3)) + p
  }
  return trimmed(significant(v, 3))
}

/// `v` with `digits` significant digits, fixed point.
private func significant(_ v: Double, _ digits: Int) -> String {
  let a = abs(v)
  guard a > 0 else { return "0" }
  var magnitude = 0
  var x = a
  while x >= 10 {
    x /= 10
    magnitude += 1
  }
  while x < 1 {
    x *= 10
    magnitude -= 1
  }
  return fixed(v, Swift.max(0, digits - 1 - magnitude))
}

/// A decimal without trailing zeros after its point.
private func trimmed(_ s: String) -> String {
  guard s.contains(".") else { return s }
  var t = Substring(s)
  while t.hasSuffix("0") { t = t.dropLast() }
  if t.hasSuffix(".") { t = t.dropLast() }
  return String(t)
}

/// `v` as `m.mme±x`.
private func scientific(_ v: Double) -> String {
  var exponent = 0
  var m = abs(v)
  while m >= 10 {
    m /= 10
    exponent += 1
  }
  while m < 1, m > 0 {
    m *= 10
    exponent -= 1
  }
  return (v < 0 ? "-" : "") + trimmed(fixed(m, 2)) + "e" + String(exponent)
}

/// A tick label for `v` on an axis whose ticks are `step` apart: the SI prefix of the axis's
/// largest value (from 10,000: an axis to 2000 reads 0, 500, … 2000), with as many decimals as the
/// step needs.
func formatTick(_ v: Double, step: Double, top: Double) -> String {
  guard v.isFinite, step.isFinite, step > 0 else { return "–" }
  if v == 0 { return "0" }
  let a = Swift.max(abs(top), abs(v))
  if a >= 1e21 { return scientific(v) }
  let prefixes: [(Double, String)] = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
  var scale = 1.0
  var suffix = ""
  for (s, p) in prefixes where a >= (s == 1e3 ? 1e4 : s) {
    scale = s
    suffix = p
    break
  }
  var decimals = 0
  var st = step / scale
  while st < 0.999_999, decimals < 6 {
    st *= 10
    decimals += 1
  }
  return trimmed(fixed(v / scale, decimals)) + suffix
}
