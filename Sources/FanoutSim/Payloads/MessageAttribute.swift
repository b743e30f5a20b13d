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

/// Attributes sorted by name in byte order, as the simulation always keeps them.
public func sortedAttributes(_ attributes: [MessageAttribute]) -> [MessageAttribute] {
  attributes.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
}
