import Crypto

// MARK: - Digests AWS exposes

/// Hex MD5 of UTF-8 text: S3's ETag (without quotes), SQS's md5OfBody, the seed's request ID.
public func md5Hex(_ text: String) -> String {
  hexString(Insecure.MD5.hash(data: Array(text.utf8)))
}

/// MD5 digest of UTF-8 text as a request ID.
public func md5RequestID(_ bytes: [UInt8]) -> RequestID {
  bytes.withUnsafeBytes { md5RequestID($0) }
}

/// MD5 digest of raw bytes as a request ID, read straight from the digest.
func md5RequestID(_ bytes: UnsafeRawBufferPointer) -> RequestID {
  Insecure.MD5.hash(data: bytes).withUnsafeBytes { d in
    RequestID(
      hi: UInt64(bigEndian: d.loadUnaligned(as: UInt64.self)),
      lo: UInt64(bigEndian: d.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
  }
}

/// MD5 digest of UTF-8 text as a request ID.
public func md5RequestID(_ text: String) -> RequestID {
  RequestID(digest: Array(Insecure.MD5.hash(data: Array(text.utf8))))
}

/// SQS's `MD5OfMessageAttributes`: attributes sorted by name; for each, the name, the data type
/// and the value, each as a 4-byte big-endian length and its bytes, with a transport byte (1 for
/// String and Number, 2 for Binary) before the value.
public func md5OfMessageAttributes(_ attributes: [MessageAttribute]) -> String {
  var bytes = [UInt8]()
  func put(_ b: [UInt8]) {
    let n = UInt32(b.count)
    bytes.append(contentsOf: [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)])
    bytes.append(contentsOf: b)
  }
  for a in attributes.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
    put(Array(a.name.utf8))
    put(Array(a.dataType.utf8))
    if a.dataType.hasPrefix("Binary") {
      bytes.append(2)
      put(base64Decode(a.value) ?? Array(a.value.utf8))
    } else {
      bytes.append(1)
      put(Array(a.value.utf8))
    }
  }
  return hexString(Insecure.MD5.hash(data: bytes))
}

/// The simulated SNS signature: AWS signs with its own RSA key, which no simulation holds. fanout
/// derives 256 bytes (the size of an RSA-2048 signature) from SHA-256 of the string AWS signs, so
/// the value is deterministic, has AWS's length and changes with the content. It does not verify
/// against an AWS certificate.
public func simulatedSignature(stringToSign: String) -> String {
  var out = [UInt8]()
  out.reserveCapacity(256)
  var counter: UInt8 = 0
  while out.count < 256 {
    var data = Array(stringToSign.utf8)
    data.append(counter)
    out.append(contentsOf: SHA256.hash(data: data))
    counter &+= 1
  }
  return base64Encode(out)
}

/// SHA-256 of text's UTF-8 bytes, as 64 lower-case hex digits.
public func sha256Hex(_ text: String) -> String {
  let digits = Array("0123456789abcdef".utf8)
  var out = [UInt8]()
  out.reserveCapacity(64)
  for b in SHA256.hash(data: Array(text.utf8)) {
    out.append(digits[Int(b >> 4)])
    out.append(digits[Int(b & 15)])
  }
  return String(decoding: out, as: UTF8.self)
}

private let b64: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

/// Standard base64 with padding.
public func base64Encode(_ bytes: [UInt8]) -> String {
  var out = [UInt8]()
  out.reserveCapacity((bytes.count + 2) / 3 * 4)
  var i = 0
  while i + 2 < bytes.count {
    let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
    out.append(b64[Int(n >> 18)])
    out.append(b64[Int((n >> 12) & 63)])
    out.append(b64[Int((n >> 6) & 63)])
    out.append(b64[Int(n & 63)])
    i += 3
  }
  let rest = bytes.count - i
  if rest == 1 {
    let n = UInt32(bytes[i]) << 16
    out.append(b64[Int(n >> 18)])
    out.append(b64[Int((n >> 12) & 63)])
    out.append(contentsOf: [61, 61])
  } else if rest == 2 {
    let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
    out.append(b64[Int(n >> 18)])
    out.append(b64[Int((n >> 12) & 63)])
    out.append(b64[Int((n >> 6) & 63)])
    out.append(61)
  }
  return String(decoding: out, as: UTF8.self)
}

/// Standard base64 decoding; nil on bad input.
public func base64Decode(_ text: String) -> [UInt8]? {
  var out = [UInt8]()
  var buffer: UInt32 = 0
  var bits = 0
  for c in text.utf8 {
    if c == 61 { break }
    guard let v = b64.firstIndex(of: c) else { return nil }
    buffer = (buffer << 6) | UInt32(v)
    bits += 6
    if bits >= 8 {
      bits -= 8
      out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
    }
  }
  return out
}
