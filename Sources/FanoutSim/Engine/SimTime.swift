// MARK: - Virtual time

/// A point in virtual time: whole microseconds since the Unix epoch. Nothing in FanoutSim reads
/// the wall clock. A point and a span are different types (as SwiftNIO's `NIODeadline` and
/// `TimeAmount` are): a point plus a span is a point, two points differ by a span, and two points
/// cannot be added.
@frozen
public struct SimTime: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// Microseconds since 1970-01-01T00:00:00Z.
  public var microsecondsSinceEpoch: Int64

  @inlinable
  public init(microsecondsSinceEpoch: Int64) { self.microsecondsSinceEpoch = microsecondsSinceEpoch }

  /// The Unix epoch.
  public static let epoch = SimTime(microsecondsSinceEpoch: 0)
  /// Later than any instant a run reaches: "never".
  public static let distantFuture = SimTime(microsecondsSinceEpoch: .max)
  /// Earlier than any instant a run reaches: "not yet".
  public static let distantPast = SimTime(microsecondsSinceEpoch: .min)

  @inlinable
  public static func < (a: SimTime, b: SimTime) -> Bool { a.microsecondsSinceEpoch < b.microsecondsSinceEpoch }
  @inlinable
  public static func + (t: SimTime, d: SimDuration) -> SimTime {
    SimTime(microsecondsSinceEpoch: t.microsecondsSinceEpoch + d.microseconds)
  }
  @inlinable
  public static func - (t: SimTime, d: SimDuration) -> SimTime {
    SimTime(microsecondsSinceEpoch: t.microsecondsSinceEpoch - d.microseconds)
  }
  @inlinable
  public static func - (a: SimTime, b: SimTime) -> SimDuration {
    SimDuration(microseconds: a.microsecondsSinceEpoch - b.microsecondsSinceEpoch)
  }
  @inlinable
  public static func += (t: inout SimTime, d: SimDuration) { t.microsecondsSinceEpoch += d.microseconds }
  @inlinable
  public static func -= (t: inout SimTime, d: SimDuration) { t.microsecondsSinceEpoch -= d.microseconds }

  public var description: String { iso8601Millis }
}

/// A span of virtual time, in whole microseconds. AWS states its limits in seconds
/// (`VisibilityTimeout`, `DelaySeconds`) and fanout keeps them as spans: `.seconds(30)`.
@frozen
public struct SimDuration: Hashable, Comparable, Sendable, AdditiveArithmetic, CustomStringConvertible {
  public var microseconds: Int64

  @inlinable
  public init(microseconds: Int64) { self.microseconds = microseconds }

  public static let zero = SimDuration(microseconds: 0)

  @inlinable
  public static func microseconds(_ n: Int64) -> SimDuration { SimDuration(microseconds: n) }
  @inlinable
  public static func milliseconds(_ n: Int64) -> SimDuration { SimDuration(microseconds: n * 1_000) }
  @inlinable
  public static func milliseconds(_ n: Int) -> SimDuration { SimDuration(microseconds: Int64(n) * 1_000) }
  @inlinable
  public static func seconds(_ n: Int64) -> SimDuration { SimDuration(microseconds: n * 1_000_000) }
  @inlinable
  public static func seconds(_ n: Int) -> SimDuration { SimDuration(microseconds: Int64(n) * 1_000_000) }
  @inlinable
  public static func minutes(_ n: Int64) -> SimDuration { SimDuration(microseconds: n * 60_000_000) }
  @inlinable
  public static func minutes(_ n: Int) -> SimDuration { SimDuration(microseconds: Int64(n) * 60_000_000) }
  @inlinable
  public static func hours(_ n: Int64) -> SimDuration { SimDuration(microseconds: n * 3_600_000_000) }
  @inlinable
  public static func hours(_ n: Int) -> SimDuration { SimDuration(microseconds: Int64(n) * 3_600_000_000) }
  @inlinable
  public static func days(_ n: Int64) -> SimDuration { SimDuration(microseconds: n * 86_400_000_000) }
  @inlinable
  public static func days(_ n: Int) -> SimDuration { SimDuration(microseconds: Int64(n) * 86_400_000_000) }
  /// Fractional seconds, rounded to the microsecond.
  @inlinable
  public static func seconds(_ s: Double) -> SimDuration { SimDuration(microseconds: Int64((s * 1_000_000).rounded())) }
  /// Fractional milliseconds, rounded to the microsecond.
  @inlinable
  public static func milliseconds(_ ms: Double) -> SimDuration {
    SimDuration(microseconds: Int64((ms * 1_000).rounded()))
  }

  /// The span in seconds, as a fraction.
  @inlinable
  public var seconds: Double { Double(microseconds) / 1_000_000 }
  /// The span in milliseconds, as a fraction.
  @inlinable
  public var milliseconds: Double { Double(microseconds) / 1_000 }
  /// Whole seconds, truncated towards zero (how AWS states a span in seconds).
  @inlinable
  public var wholeSeconds: Int64 { microseconds / 1_000_000 }

  @inlinable
  public static func < (a: SimDuration, b: SimDuration) -> Bool { a.microseconds < b.microseconds }
  @inlinable
  public static func + (a: SimDuration, b: SimDuration) -> SimDuration {
    SimDuration(microseconds: a.microseconds + b.microseconds)
  }
  @inlinable
  public static func - (a: SimDuration, b: SimDuration) -> SimDuration {
    SimDuration(microseconds: a.microseconds - b.microseconds)
  }
  @inlinable
  public static prefix func - (a: SimDuration) -> SimDuration { SimDuration(microseconds: -a.microseconds) }
  @inlinable
  public static func * (a: SimDuration, n: Int64) -> SimDuration { SimDuration(microseconds: a.microseconds * n) }
  @inlinable
  public static func * (n: Int64, a: SimDuration) -> SimDuration { SimDuration(microseconds: a.microseconds * n) }
  @inlinable
  public static func * (a: SimDuration, n: Int) -> SimDuration { SimDuration(microseconds: a.microseconds * Int64(n)) }
  @inlinable
  public static func * (n: Int, a: SimDuration) -> SimDuration { SimDuration(microseconds: a.microseconds * Int64(n)) }
  /// A span scaled by a factor, rounded to the microsecond.
  @inlinable
  public static func * (a: SimDuration, x: Double) -> SimDuration {
    SimDuration(microseconds: Int64((Double(a.microseconds) * x).rounded()))
  }
  @inlinable
  public static func / (a: SimDuration, n: Int64) -> SimDuration { SimDuration(microseconds: a.microseconds / n) }
  @inlinable
  public static func / (a: SimDuration, n: Int) -> SimDuration { SimDuration(microseconds: a.microseconds / Int64(n)) }
  /// How many whole `b` fit in `a`.
  @inlinable
  public static func / (a: SimDuration, b: SimDuration) -> Int64 { a.microseconds / b.microseconds }
  @inlinable
  public static func % (a: SimDuration, b: SimDuration) -> SimDuration {
    SimDuration(microseconds: a.microseconds % b.microseconds)
  }

  public var description: String { formatSpan(self) }
}

/// Calendar fields of a virtual instant, in UTC (proleptic Gregorian).
public struct CivilTime: Equatable, Sendable {
  public var year: Int
  public var month: Int
  public var day: Int
  public var hour: Int
  public var minute: Int
  public var second: Int
  public var microsecond: Int

  /// Splits a virtual instant into UTC calendar fields.
  public init(_ instant: SimTime) {
    let t = instant.microsecondsSinceEpoch
    let us = Int(((t % 1_000_000) + 1_000_000) % 1_000_000)
    let totalSeconds = (t - Int64(us)) / 1_000_000
    var days = Int(totalSeconds / 86_400)
    var secs = Int(totalSeconds % 86_400)
    if secs < 0 {
      secs += 86_400
      days -= 1
    }
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    year = yoe + era * 400 + (m <= 2 ? 1 : 0)
    month = m
    day = d
    hour = secs / 3_600
    minute = (secs % 3_600) / 60
    second = secs % 60
    microsecond = us
  }

  /// The instant for calendar fields in UTC.
  public static func instant(
    year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0,
    microsecond: Int = 0
  ) -> SimTime {
    // Howard Hinnant's days_from_civil.
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = month > 2 ? month - 3 : month + 9
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146_097 + doe - 719_468
    let secs = Int64(days) * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
    return SimTime(microsecondsSinceEpoch: secs * 1_000_000 + Int64(microsecond))
  }
}

// MARK: - Formatting

extension SimTime {
  /// ISO-8601 UTC with milliseconds and `Z`, as SNS and the event log write it:
  /// `2021-01-19T10:07:07.287Z`.
  public var iso8601Millis: String {
    let c = CivilTime(self)
    var s = ""
    s.reserveCapacity(24)
    appendDigits(&s, c.year, 4)
    s.append("-")
    appendDigits(&s, c.month, 2)
    s.append("-")
    appendDigits(&s, c.day, 2)
    s.append("T")
    appendDigits(&s, c.hour, 2)
    s.append(":")
    appendDigits(&s, c.minute, 2)
    s.append(":")
    appendDigits(&s, c.second, 2)
    s.append(".")
    appendDigits(&s, c.microsecond / 1_000, 3)
    s.append("Z")
    return s
  }

  /// Python's `strftime("%Y%m%d%H%M%S%f")`: the text the seed preprocessor hashes into a request ID.
  public var pythonCompactTimestamp: String { String(decoding: pythonCompactTimestampBytes, as: UTF8.self) }

  /// The same 20 digits as bytes.
  public var pythonCompactTimestampBytes: [UInt8] {
    withPythonCompactTimestamp { Array($0) }
  }

  /// Calls `body` with the 20 digits, written on the stack (no array, no String).
  func withPythonCompactTimestamp<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
    let c = CivilTime(self)
    var buffer: (UInt64, UInt64, UInt32) = (0, 0, 0)
    return withUnsafeMutableBytes(of: &buffer) { raw in
      var end = 20
      func put(_ value: Int, _ width: Int) {
        var v = value
        for k in 1...width {
          raw[end - k] = UInt8(48 + v % 10)
          v /= 10
        }
        end -= width
      }
      put(c.microsecond, 6)
      put(c.second, 2)
      put(c.minute, 2)
      put(c.hour, 2)
      put(c.day, 2)
      put(c.month, 2)
      put(c.year, 4)
      return body(UnsafeRawBufferPointer(rebasing: raw[0..<20]))
    }
  }

  /// Epoch milliseconds, as SQS writes `SentTimestamp`.
  public var epochMillis: Int64 {
    let t = microsecondsSinceEpoch
    return t >= 0 ? t / 1_000 : (t - 999) / 1_000
  }
}

@inline(__always)
func appendDigits(_ s: inout String, _ value: Int, _ width: Int) {
  var digits: [UInt8] = Array(repeating: 48, count: width)
  var v = value
  var i = width - 1
  while i >= 0 {
    digits[i] = UInt8(48 + v % 10)
    v /= 10
    i -= 1
  }
  s.append(String(decoding: digits, as: UTF8.self))
}

/// Formats a span of virtual time for people: `850ms`, `12.5s`, `3m05s`, `2h03m`.
public func formatSpan(_ span: SimDuration) -> String {
  let a = abs(span.microseconds)
  let sign = span.microseconds < 0 ? "-" : ""
  if a < 1_000 { return "\(sign)\(a)µs" }
  if a < 1_000_000 { return "\(sign)\(a / 1_000)ms" }
  if a < 60_000_000 {
    let tenths = (a + 50_000) / 100_000
    return "\(sign)\(tenths / 10).\(tenths % 10)s"
  }
  if a < 3_600_000_000 {
    let s = a / 1_000_000
    return "\(sign)\(s / 60)m\(s % 60 < 10 ? "0" : "")\(s % 60)s"
  }
  let m = a / 60_000_000
  return "\(sign)\(m / 60)h\(m % 60 < 10 ? "0" : "")\(m % 60)m"
}

/// Parses a span such as `500ms`, `90s`, `10m`, `2h`, `1.5s` or a bare number of seconds.
public func parseSpan(_ text: String) -> SimDuration? {
  let t = text.trimmingCharacters(in: .whitespaces)
  let units: [(String, Double)] = [
    ("us", 1), ("µs", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000),
    ("h", 3_600_000_000), ("d", 86_400_000_000),
  ]
  for (suffix, scale) in units where t.hasSuffix(suffix) {
    let number = String(t.dropLast(suffix.count))
    if suffix == "s", number.hasSuffix("m") || number.hasSuffix("u") || number.hasSuffix("µ") {
      continue
    }
    guard let v = Double(number), v.isFinite, v >= 0, v * scale < 9.0e18 else { return nil }
    return SimDuration(microseconds: Int64((v * scale).rounded()))
  }
  guard let v = Double(t), v.isFinite, v >= 0, v < 9.0e12 else { return nil }
  return SimDuration(microseconds: Int64((v * 1_000_000).rounded()))
}
