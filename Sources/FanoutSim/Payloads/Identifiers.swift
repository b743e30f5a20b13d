// MARK: - 128-bit identifiers

/// A 128-bit identifier kept as two words and formatted only when shown: SQS and SNS message IDs.
public struct UUID128: Hashable, Comparable, Sendable {
  public var hi: UInt64
  public var lo: UInt64
  public init(hi: UInt64, lo: UInt64) {
    self.hi = hi
    self.lo = lo
  }

  /// Lower-case 8-4-4-4-12 text, as AWS writes message IDs.
  public var text: String {
    var bytes = [UInt8]()
    bytes.reserveCapacity(36)
    appendHex(&bytes, hi >> 32, 8)
    bytes.append(45)
    appendHex(&bytes, (hi >> 16) & 0xFFFF, 4)
    bytes.append(45)
    appendHex(&bytes, hi & 0xFFFF, 4)
    bytes.append(45)
    appendHex(&bytes, lo >> 48, 4)
    bytes.append(45)
    appendHex(&bytes, lo & 0xFFFF_FFFF_FFFF, 12)
    return String(decoding: bytes, as: UTF8.self)
  }

  public static func < (a: UUID128, b: UUID128) -> Bool { (a.hi, a.lo) < (b.hi, b.lo) }
}

/// The seed pipeline's request ID: an MD5 digest, shown as 32 lower-case hex digits.
public struct RequestID: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var hi: UInt64
  public var lo: UInt64
  public init(hi: UInt64, lo: UInt64) {
    self.hi = hi
    self.lo = lo
  }

  /// Reads 16 digest bytes.
  public init<C: Collection>(digest: C) where C.Element == UInt8 {
    var h: UInt64 = 0
    var l: UInt64 = 0
    for (i, b) in digest.prefix(16).enumerated() {
      if i < 8 { h = (h << 8) | UInt64(b) } else { l = (l << 8) | UInt64(b) }
    }
    hi = h
    lo = l
  }

  /// Parses exactly the text `hex` gives — 32 lower-case hex digits — and nothing else: the form
  /// the preprocessor writes, and so the only text whose S3 key is the ID's key. Any other
  /// `request_id` (upper case, shorter, not hex) names a different key, byte for byte.
  public init?(canonicalHex text: some StringProtocol) {
    var h: UInt64 = 0
    var l: UInt64 = 0
    var n = 0
    for c in text.utf8 {
      guard n < 32 else { return nil }
      let v: UInt8
      switch c {
      case 48...57: v = c - 48
      case 97...102: v = c - 87
      default: return nil
      }
      if n < 16 { h = (h << 4) | UInt64(v) } else { l = (l << 4) | UInt64(v) }
      n += 1
    }
    guard n == 32 else { return nil }
    hi = h
    lo = l
  }

  /// Parses 32 hex digits in either case (what a person types); nil otherwise.
  public init?(hex: some StringProtocol) {
    let u = Array(hex.utf8)
    guard u.count == 32 else { return nil }
    var h: UInt64 = 0
    var l: UInt64 = 0
    for (i, c) in u.enumerated() {
      guard let v = hexValue(c) else { return nil }
      if i < 16 { h = (h << 4) | UInt64(v) } else { l = (l << 4) | UInt64(v) }
    }
    hi = h
    lo = l
  }

  /// 32 lower-case hex digits.
  public var hex: String {
    var bytes = [UInt8]()
    bytes.reserveCapacity(32)
    appendHex(&bytes, hi, 16)
    appendHex(&bytes, lo, 16)
    return String(decoding: bytes, as: UTF8.self)
  }

  public var description: String { hex }
  public static func < (a: RequestID, b: RequestID) -> Bool { (a.hi, a.lo) < (b.hi, b.lo) }
}

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
  switch c {
  case 48...57: return c - 48
  case 97...102: return c - 87
  case 65...70: return c - 55
  default: return nil
  }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

@inline(__always)
func appendHex(_ out: inout [UInt8], _ value: UInt64, _ digits: Int) {
  var shift = (digits - 1) * 4
  while shift >= 0 {
    out.append(hexDigits[Int((value >> UInt64(shift)) & 0xF)])
    shift -= 4
  }
}

/// Lower-case hex of bytes.
public func hexString<C: Sequence>(_ bytes: C) -> String where C.Element == UInt8 {
  var out = [UInt8]()
  for b in bytes {
    out.append(hexDigits[Int(b >> 4)])
    out.append(hexDigits[Int(b & 0xF)])
  }
  return String(decoding: out, as: UTF8.self)
}
