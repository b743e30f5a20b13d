// MARK: - Message attributes

/// An SNS or SQS message attribute: a name, a data type (`String`, `Number`, `Binary`,
/// `String.Array`, optionally with a `.custom` suffix) and its value as text (base64 for Binary).
public struct MessageAttribute: Hashable, Sendable {
  public var name: String
  public var dataType: String
  public var value: String

  public init(name: String, dataType: String = "String", value: String) {
    self.name = name
    self.dataType = dataType
    self.value = value
  }

  /// The base type before any custom suffix.
  public var baseType: String {
    if dataType.hasPrefix("String.Array") { return "String.Array" }
    return String(dataType.split(separator: ".", maxSplits: 1).first ?? "")
  }

  /// Bytes this attribute counts toward the 256 KB publish limit (name, type and value).
  public var byteCount: Int { name.utf8.count + dataType.utf8.count + value.utf8.count }

  /// The value as SNS writes it inside an envelope: `{"Type":"String","Value":"v"}`.
  public var envelopeJSON: String {
    "{\"Type\":" + jsonString(dataType) + ",\"Value\":" + jsonString(value) + "}"
  }

  /// The value as a Lambda SQS record carries it.
  public var lambdaRecordJSON: String {
    if baseType == "Binary" {
      return "{\"stringValue\":null,\"binaryValue\":" + jsonString(value)
        + ",\"stringListValues\":[],\"binaryListValues\":[],\"dataType\":" + jsonString(dataType) + "}"
    }
    return "{\"stringValue\":" + jsonString(value)
      + ",\"stringListValues\":[],\"binaryListValues\":[],\"dataType\":" + jsonString(dataType) + "}"
  }
}

/// Message attributes in the order AWS writes them: the iteration order of a Java `HashMap` keyed
/// by the names — neither the order they were sent in nor sorted. AWS documents no order (the APIs
/// model MessageAttributes as a map), but every real capture shows this one: an SNS envelope whose
/// publisher sent `CirrusVersion` then `SDLCEnv` (boto3 keeps a dict's order) carries `SDLCEnv`
/// first (https://github.com/ahonnecke/SnsPublisher, `versioned_sns_topic.py` and `README.md`;
/// `Tests/Fixtures/aws/sns-envelope-attributes.real.txt`), and other captured envelopes and Lambda
/// SQS records (`traceparent, eventType, id, timestamp`; `Attribute3, Attribute2, Attribute1`)
/// follow the same rule.
///
/// The rule: a table of 16 buckets, doubled while there are more than 0.75 × buckets names (a
/// `HashMap` filled one `put` at a time); a name's bucket is `(h ^ (h >>> 16)) & (buckets - 1)`
/// with `h` Java's `String.hashCode` over its UTF-16 code units; buckets in index order, names
/// sharing one in the order they were sent.
public func awsAttributeOrder(_ attributes: [MessageAttribute]) -> [MessageAttribute] {
  guard attributes.count > 1 else { return attributes }
  var buckets: UInt32 = 16
  while Double(attributes.count) > 0.75 * Double(buckets) { buckets *= 2 }
  let mask = buckets - 1
  return attributes.enumerated().map { (i, a) -> (bucket: UInt32, index: Int, attribute: MessageAttribute) in
    let h = javaStringHashCode(a.name)
    return ((h ^ (h >> 16)) & mask, i, a)
  }
  .sorted { ($0.bucket, $0.index) < ($1.bucket, $1.index) }
  .map(\.attribute)
}

/// Java's `String.hashCode`: `s[0]·31^(n-1) + … + s[n-1]` over UTF-16 code units, in 32 bits.
func javaStringHashCode(_ s: String) -> UInt32 {
  var h: UInt32 = 0
  for u in s.utf16 { h = h &* 31 &+ UInt32(u) }
  return h
}
