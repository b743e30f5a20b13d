// MARK: - SNS topics

/// An SNS error, as SNS words it.
public enum SNSError: Error, Equatable, CustomStringConvertible {
  case messageTooLong(Int)
  case notFound(String)
  case invalidParameter(String)

  public var description: String {
    switch self {
    case .messageTooLong(let n):
      return
        "InvalidParameter: Invalid parameter: Message too long (\(n) bytes; at most \(Limits.SNS.maxPublishBytes) including attributes)"
    case .notFound(let t): return "NotFound: Topic does not exist (\(t))"
    case .invalidParameter(let m): return "InvalidParameter: \(m)"
    }
  }
}

/// A subscription as the simulation runs it.
public struct Subscription: Sendable {
  public let index: Int
  /// The subscription's own ID, the last part of its ARN.
  public let id: UUID128
  public let arn: String
  /// Its attributes (SetSubscriptionAttributes changes them at run time: `Simulation+Create.swift`).
  public internal(set) var spec: SubscriptionSpec
  public let endpointName: String
  let queue: Int?
  let sink: Int?
  /// A subscribed function (protocol `lambda`).
  let function: Int?
  /// The subscription's dead-letter queue (RedrivePolicy).
  var deadLetterQueue: Int?
  public internal(set) var filter: FilterPolicy?
  /// Unsubscribed at run time (Unsubscribe): it gets nothing more; it keeps its place, since
  /// deliveries under way name subscriptions by index.
  public internal(set) var unsubscribed = false
  /// Whether the queue's policy denies SNS sending for this topic (`QueueSpec.policy`): every
  /// delivery then fails with AccessDenied.
  public let deniedByPolicy: Bool
  public internal(set) var delivered = 0
  public internal(set) var filteredOut = 0
  public internal(set) var failed = 0
  /// Deliveries SNS made twice (at-least-once delivery, `SubscriptionSpec.duplicateRate`).
  public internal(set) var duplicated = 0
  /// Failed deliveries SNS moved to the subscription's dead-letter queue.
  public internal(set) var deadLettered = 0
  var envelopeBase = -1
  /// The subscription's own stream for duplicates, drawn only while its duplicateRate is above 0.
  var duplicateRng: SimRandom
}

/// Counters of one topic.
public struct TopicCounters: Sendable, Equatable {
  public var published = 0
  public var delivered = 0
  public var filteredOut = 0
  public var failed = 0
  /// Deliveries made a second time (at-least-once delivery).
  public var duplicated = 0
  /// Failed deliveries moved to a subscription's dead-letter queue.
  public var deadLettered = 0
  /// Billed publish requests: one per 64 KB chunk of message and attributes.
  public var publishRequests = 0
}

/// An SNS standard topic.
public final class SNSTopic {
  public let index: Int
  public let name: String
  public let arn: String
  /// The `source` of the SQS sends it makes, made once (not per delivery).
  let sendSource: String
  public internal(set) var subscriptions: [Subscription] = []
  /// Every subscription's endpoint, in order: what an unfiltered publish reached (set once the
  /// topology is built).
  var endpointNames: [String] = []
  public internal(set) var counters = TopicCounters()
  var rng: SimRandom

  init(index: Int, name: String, region: String, account: String, seed: UInt64) {
    self.index = index
    self.name = name
    arn = "arn:aws:sns:\(region):\(account):\(name)"
    sendSource = "sns:" + name
    rng = SimRandom(seed: seed, stream: "sns/" + name)
  }
}

/// A recording endpoint standing for an e-mail (or HTTP) subscriber.
public final class Sink {
  public let name: String
  public internal(set) var received = 0
  init(name: String) { self.name = name }
}

/// The SenderId SQS shows for messages that SNS delivered.
public let snsSenderId = "AIDAISMY7JYY5F7RTT6AO"
/// The SenderId SQS shows for messages sent through the API by fanout's user.
public let apiSenderId = "AIDAIENQZJOLO23YVJ4VO"
