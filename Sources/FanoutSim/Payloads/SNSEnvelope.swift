// MARK: - The SNS notification and its envelope

/// The message a subscriber receives from a topic: what was published, plus the topic's ID and
/// timestamp. One instance is shared by every delivery of the same publish; its text is built
/// only when something reads it.
public final class SNSNotification: @unchecked Sendable {
  public let messageId: UUID128
  public let topicArn: String
  public let subject: String?
  public let message: Payload
  public let timestamp: SimTime
  public let attributes: [MessageAttribute]
  public let region: String
  /// True when the publish came from an injection rather than a handler.
  public let injected: Bool
  /// The chain of Lambda invocations that led to the publish (recursive loop detection).
  public let chain: RecursionChain

  public init(
    messageId: UUID128, topicArn: String, subject: String?, message: Payload, timestamp: SimTime,
    attributes: [MessageAttribute], region: String, injected: Bool = false, chain: RecursionChain = RecursionChain()
  ) {
    self.chain = chain
    self.messageId = messageId
    self.topicArn = topicArn
    self.subject = subject
    self.message = message
    self.timestamp = timestamp
    self.attributes = awsAttributeOrder(attributes)
    self.region = region
    self.injected = injected
  }

  /// The string SNS signs (signature version 1 layout for notifications).
  public var stringToSign: String {
    var s = "Message\n" + message.text + "\nMessageId\n" + messageId.text + "\n"
    if let subject { s += "Subject\n" + subject + "\n" }
    s += "Timestamp\n" + timestamp.iso8601Millis + "\nTopicArn\n" + topicArn + "\nType\nNotification\n"
    return s
  }

  /// The SQS body for a subscription without raw delivery: AWS's layout byte for byte
  /// (two-space indent, `"Key" : "value"`, no trailing newline).
  public func envelope(subscriptionArn: String) -> String {
    var s = "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : "
    appendJSONString(&s, messageId.text)
    s += ",\n  \"TopicArn\" : "
    appendJSONString(&s, topicArn)
    if let subject {
      s += ",\n  \"Subject\" : "
      appendJSONString(&s, subject)
    }
    s += ",\n  \"Message\" : "
    appendJSONString(&s, message.text)
    s += ",\n  \"Timestamp\" : "
    appendJSONString(&s, timestamp.iso8601Millis)
    s += ",\n  \"SignatureVersion\" : \"1\",\n  \"Signature\" : "
    appendJSONString(&s, simulatedSignature(stringToSign: stringToSign))
    s += ",\n  \"SigningCertURL\" : "
    appendJSONString(&s, signingCertURL(region: region))
    s += ",\n  \"UnsubscribeURL\" : "
    appendJSONString(
      &s, "https://sns.\(region).amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + subscriptionArn)
    if !attributes.isEmpty {
      s += ",\n  \"MessageAttributes\" : {"
      for (i, a) in attributes.enumerated() {
        s += i == 0 ? "\n    " : ",\n    "
        appendJSONString(&s, a.name)
        s += " : " + a.envelopeJSON
      }
      s += "\n  }"
    }
    s += "\n}"
    return s
  }
}

/// The certificate URL SNS names in envelopes; the 32 hex digits are derived from the region.
public func signingCertURL(region: String) -> String {
  "https://sns.\(region).amazonaws.com/SimpleNotificationService-" + md5Hex("fanout-simulated-" + region)
    + ".pem"
}

// MARK: - Payloads

/// A message payload. The seed pipeline's `{"request_id": "<id>"}` is kept as the ID alone and
/// written out (with Python's `json.dumps` spacing) only when read as text.
public enum Payload: Hashable, Sendable {
  case text(String)
  case requestRef(RequestID)

  /// The payload's text.
  public var text: String {
    switch self {
    case .text(let s): return s
    case .requestRef(let id): return "{\"request_id\": \"" + id.hex + "\"}"
    }
  }

  /// Size in bytes of the text.
  public var byteCount: Int {
    switch self {
    case .text(let s): return s.utf8.count
    case .requestRef: return 50  // `{"request_id": "` (16) + 32 hex digits + `"}` (2)
    }
  }

  /// The `request_id` the payload carries, if it is a request ID in its canonical lower-case
  /// form: what the request tracker follows. Any other text is not a tracked request.
  public var requestID: RequestID? {
    switch self {
    case .requestRef(let id): return id
    case .text(let s):
      guard s.contains("request_id"), let v = JSONValue.parse(s)?["request_id"]?.stringValue else {
        return nil
      }
      return RequestID(canonicalHex: v)
    }
  }

  /// Wraps text, recognising the seed's exact request message (lower-case hex, as written) so
  /// that it stays compact; any other spelling stays text, byte for byte.
  public static func from(text: String) -> Payload {
    if text.utf8.count == 48, text.hasPrefix("{\"request_id\": \""), text.hasSuffix("\"}"),
      let id = RequestID(canonicalHex: text.dropFirst(16).dropLast(2))
    {
      return .requestRef(id)
    }
    return .text(text)
  }
}
