import DequeModule
import HeapModule

// MARK: - SQS

/// An SQS error, with AWS's error code.
public enum SQSError: Error, Equatable, CustomStringConvertible {
  case messageTooLong(Int, Int)
  case overLimit(Int)
  case purgeQueueInProgress(String)
  case receiptHandleIsInvalid
  case invalidParameterValue(String)
  case tooManyAttributes(Int)

  public var description: String {
    switch self {
    case .messageTooLong(let n, let max):
      return
        "InvalidParameterValue: One or more parameters are invalid. Reason: Message must be shorter than \(max) bytes. (\(n) bytes)"
    case .overLimit(let n): return "OverLimit: Too many messages in flight (\(n))"
    case .purgeQueueInProgress(let q):
      return "PurgeQueueInProgress: Only one PurgeQueue operation on \(q) is allowed every 60 seconds."
    case .receiptHandleIsInvalid: return "ReceiptHandleIsInvalid: The receipt handle provided is not valid."
    case .invalidParameterValue(let m): return "InvalidParameterValue: \(m)"
    case .tooManyAttributes(let n):
      return
        "InvalidParameterValue: Number of message attributes [\(n)] exceeds the allowed maximum [\(Limits.SQS.maxMessageAttributes)]."
    }
  }
}

/// The state of a stored message.
public enum MessageState: UInt8, Sendable {
  case delayed, visible, inFlight
}

/// What an SQS message body is: a payload as sent, or an SNS envelope built on demand.
public enum MessageBody: Sendable {
  case payload(Payload)
  /// An SNS envelope for the subscription with this ID (its ARN is the topic's plus the ID).
  case envelope(SNSNotification, subscription: UUID128)

  /// The body text, byte for byte.
  public var text: String {
    switch self {
    case .payload(let p): return p.text
    case .envelope(let n, let sub): return n.envelope(subscriptionArn: n.topicArn + ":" + sub.text)
    }
  }

  /// The request ID the body leads to (through the envelope's Message), if any.
  public var requestID: RequestID? {
    switch self {
    case .payload(let p):
      if case .requestRef(let id) = p { return id }
      let t = p.text
      if let v = JSONValue.parse(t), let m = v["Message"]?.stringValue { return Payload.from(text: m).requestID }
      return p.requestID
    case .envelope(let n, _): return n.message.requestID
    }
  }
}

/// Who sent a message, as SQS's `SenderId` shows it.
public enum Sender: UInt8, Sendable {
  case sns, api
  public var senderId: String { self == .sns ? snsSenderId : apiSenderId }
}

/// A message as the queue stores it.
public struct StoredMessage: Sendable {
  public var messageId: UUID128
  public var body: MessageBody
  public var attributes: [MessageAttribute]
  public var sentTime: SimTime
  /// When the message entered its first queue; kept on a DLQ move so retention keeps running.
  public var enqueueTime: SimTime
  public var firstReceiveTime: SimTime?
  public var receiveCount: Int
  public var state: MessageState
  /// Visibility deadline while in flight, end of delay while delayed.
  public var until: SimTime
  /// When the receipt now in force was given (ChangeMessageVisibility counts its 12 hours from it).
  public var receivedAt = SimTime.epoch
  var generation: UInt32
  public var sender: Sender
  /// The queue a dead-lettered message came from.
  public var sourceQueue: Int?
  public var senderId: String { sender.senderId }
  public var injected: Bool
  /// Order in which messages were stored, across all queues.
  public var serial: Int64
  /// 0 for the message as sent; from 1, a copy that at-least-once delivery left (the same
  /// MessageId, stored and received on its own: see `AtLeastOnce.swift`).
  public var copy: UInt16 = 0
  /// The chain of Lambda invocations that led to this message (recursive loop detection).
  public var chain = RecursionChain()
}

struct QueueTimer: Comparable {
  var time: SimTime
  var key: Int64
  var generation: UInt32
  /// Set by the lane: timers due at the same time fire in the order they were set.
  var order: UInt64 = 0
  init(time: SimTime, key: Int64, generation: UInt32) {
    self.time = time
    self.key = key
    self.generation = generation
  }
  static func < (a: QueueTimer, b: QueueTimer) -> Bool { (a.time, a.order) < (b.time, b.order) }
}

/// A receipt handle: which receive of which message it came from.
public struct ReceiptHandle: Hashable, Sendable {
  public var queue: Int
  public var key: Int64
  public var receiveCount: Int

  /// AWS-looking opaque text, derived from the handle so it is stable across runs.
  public func text(queueArn: String) -> String {
    var bytes = [UInt8]()
    for i in 0..<6 {
      let h = md5Hex("\(queueArn)|\(key)|\(receiveCount)|\(i)")
      var j = h.utf8.makeIterator()
      while let a = j.next(), let b = j.next() { bytes.append((hexValue(a)! << 4) | hexValue(b)!) }
    }
    return "AQEB" + base64Encode(bytes)
  }
}

/// Counters and gauges of one queue (CloudWatch's names where it has them).
public struct QueueCounters: Sendable, Equatable {
  public var sent = 0
  public var sentBytes = 0
  public var received = 0
  public var deleted = 0
  public var emptyReceives = 0
  public var movedToDLQ = 0
  public var movedIn = 0
  public var expired = 0
  public var purged = 0
  /// Messages a message move task took out of this queue (a DLQ redrive).
  public var redriven = 0
  /// Copies of received messages that at-least-once delivery left visible (`duplicateRate`).
  public var duplicated = 0
  public var maxDepth = 0
  /// Billed requests (`Cost.swift`): SendMessage in 64 KB chunks; every ReceiveMessage call
  /// (and, apart, the idle pollers' long polls); DeleteMessage(Batch); the rest of the API's.
  public var sendRequests = 0
  public var receiveCalls = 0
  public var idleReceives = 0
  public var deleteRequests = 0
  public var otherRequests = 0
  /// The largest ApproximateAgeOfOldestMessage before a removal so far (`SQSQueue.noteAge`);
  /// `SQSQueue.maxAgeOfOldestMessage(now:)` adds what the queue holds now.
  public var maxAgeOfOldest = SimDuration.zero
}

/// Short polling as SQS does it: "With short polling, the ReceiveMessage request queries only a
/// subset of the servers (based on a weighted random distribution) to find messages that are
/// available to include in the response. Amazon SQS sends the response right away, even if the
/// query found no messages." — "If the number of messages in the queue is small (fewer than
/// 1,000), you most likely get fewer messages than you requested per ReceiveMessage call. If the
/// number of messages in the queue is extremely small, you might not receive any messages in a
/// particular ReceiveMessage response." Long polling "queries all of the Amazon SQS servers"
/// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html).
///
/// fanout's model: a queue's messages live on `servers` servers, each message on the one its
/// message ID hashes to (fixed for its life, drawing nothing); a short poll asks `sampled` of
/// them, drawn uniformly from the queue's own stream, and sees only the visible messages they
/// hold — 1/32 of the queue. So a 10-message short poll fills half the time at 320 visible, 95 %
/// of the time at 500 and virtually always from 1,000 (all but about 2 in a million), while with
/// 10 visible it comes back empty about 3 times in 4 and with 1 visible 31 times in 32. Many small
/// servers (1,024, 32 asked) rather than a few large ones keep the sample's size steady while
/// short polls keep taking from the servers they ask. Nothing is lost: what a poll does not see
/// stays visible, in its place. Long polls (and Lambda's pollers) see every server. SQS's sample
/// is weighted in a way it does not describe; fanout's is uniform.
public enum ShortPolling {
  public static let servers = 1_024
  public static let sampled = 32

  /// The server a message lives on: a mix of its ID's bits (SplitMix64's finaliser), top 10 bits.
  static func server(of id: UUID128) -> Int {
    var x = id.hi ^ (id.lo &* 0x9E37_79B9_7F4A_7C15)
    x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
    x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
    x ^= x >> 31
    return Int(x >> 54)
  }

  /// The servers one short poll asks: `sampled` distinct ones, uniformly.
  struct Sample {
    private var words = [UInt64](repeating: 0, count: ShortPolling.servers / 64)

    init(_ rng: inout SimRandom) {
      var n = 0
      while n < ShortPolling.sampled {
        let s = Int(rng.next() >> 54)
        let bit: UInt64 = 1 << UInt64(s & 63)
        if words[s >> 6] & bit == 0 {
          words[s >> 6] |= bit
          n += 1
        }
      }
    }

    func contains(_ server: Int) -> Bool { words[server >> 6] & (1 << UInt64(server & 63)) != 0 }
    var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
  }
}

/// An SQS standard queue.
public final class SQSQueue {
  public let index: Int
  public let name: String
  public let arn: String
  public let url: String
  public var spec: QueueSpec
  public internal(set) var deadLetterQueue: Int?
  public internal(set) var counters = QueueCounters()
  public internal(set) var visibleCount = 0
  public internal(set) var inFlightCount = 0
  public internal(set) var delayedCount = 0
  public internal(set) var mappings: [Int] = []
  public internal(set) var lastPurge: SimTime?
  /// Deleted at run time (DeleteQueue, `Simulation+Create.swift`): no longer found by name, holds
  /// nothing, takes no delivery; it keeps its index.
  public internal(set) var deleted = false
  /// Attributes fanout does not model but keeps so GetQueueAttributes returns them (Policy,
  /// RedriveAllowPolicy, KMS and SSE settings), by name: set only at run time.
  public internal(set) var keptAttributes: [(name: String, value: String)] = []
  /// When the queue was created: the topology's start, or the virtual time of CreateQueue.
  public internal(set) var createdAt: SimTime?
  /// When its attributes last changed at run time (SetQueueAttributes).
  public internal(set) var modifiedAt: SimTime?

  var messages = MessageSlab()
  var visibleOrder = Deque<(Int64, UInt32)>()
  var delayTimers = TimerLane()
  var visibilityTimers = TimerLane()
  var retentionTimers = TimerLane()
  /// A dead-letter queue's messages in the order they arrived in it, with the time each arrived
  /// (nil for a queue no redrive policy names: there every message arrives at its enqueue time,
  /// which the retention lane already orders). Arrivals come in time order, so a deque; entries
  /// at the front whose message is gone are dropped as the retention lane's are.
  var arrivals: Deque<(time: SimTime, key: Int64)>?
  /// When each timer kind's job is scheduled, by `QueueTimerKind.rawValue` (`.distantFuture`: none).
  var scheduled: [SimTime] = [.distantFuture, .distantFuture, .distantFuture]
  var rng: SimRandom
  /// The probability that a receive leaves a copy behind, switchable at run time (it starts at
  /// the spec's `duplicateRate`).
  public internal(set) var duplicateRate: Double
  /// The queue's own stream for duplicates, drawn only while `duplicateRate` is above zero.
  var duplicateRng: SimRandom
  /// Copies left by the receive under way, made visible once it ends (a receive never returns a
  /// copy of a message it returned).
  var copiesToShow: [Int64] = []

  init(index: Int, spec: QueueSpec, region: String, account: String, seed: UInt64) {
    self.index = index
    self.name = spec.name
    self.spec = spec
    arn = "arn:aws:sqs:\(region):\(account):\(spec.name)"
    url = "https://sqs.\(region).amazonaws.com/\(account)/\(spec.name)"
    rng = SimRandom(seed: seed, stream: "sqs/" + spec.name)
    duplicateRate = spec.duplicateRate
    duplicateRng = SimRandom(seed: seed, stream: "sqs/" + spec.name + "/at-least-once")
  }

  /// ApproximateNumberOfMessages + NotVisible + Delayed.
  public var depth: Int { visibleCount + inFlightCount + delayedCount }

  /// A stored message by its internal key.
  public func message(_ key: Int64) -> StoredMessage? { messages[key] }

  /// Every stored message, oldest enqueue first (for views, tests and accounting).
  public var storedMessages: [(key: Int64, message: StoredMessage)] {
    messages.all
  }

  /// ApproximateAgeOfOldestMessage at `now` (zero when empty): how long the message that has been
  /// in this queue longest has been here. In a dead-letter queue that counts from when the message
  /// was moved there, although its retention still counts from its original enqueue time: "When a
  /// message is moved to a dead-letter queue, the enqueue timestamp is unchanged. The
  /// ApproximateAgeOfOldestMessage metric indicates when the message moved to the dead-letter
  /// queue, not when the message was originally sent."
  /// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html)
  /// Reading it changes nothing: every removal of a message prunes the retention lane and the
  /// arrivals, so their first entries are always a stored message's (an invariant checks it).
  public func ageOfOldestMessage(now: SimTime) -> SimDuration {
    if let arrivals {
      guard let first = arrivals.first else { return .zero }
      return max(.zero, now - first.time)
    }
    guard let top = retentionTimers.min else { return .zero }
    return max(.zero, now - (top.time - spec.messageRetentionPeriod))
  }

  /// The largest ApproximateAgeOfOldestMessage the queue has had up to `now`: the CloudWatch
  /// metric's Maximum statistic over the whole run, "the approximate age of the oldest non-deleted
  /// message in the queue"
  /// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html),
  /// exact rather than sampled a minute at a time.
  public func maxAgeOfOldestMessage(now: SimTime) -> SimDuration {
    max(counters.maxAgeOfOldest, ageOfOldestMessage(now: now))
  }

  /// Notes the age of the oldest message just before a message leaves. Between two removals the
  /// age only grows (time passes; an arrival is either the newest message or, moved back with its
  /// old enqueue time, makes the oldest older), so its largest value is reached just before a
  /// removal or at the end: noting it there is exact. Called before the timers are pruned, while
  /// the first of the retention lane (or of the arrivals) is still the oldest message's.
  func noteAge(now: SimTime) {
    let a = ageOfOldestMessage(now: now)
    if a > counters.maxAgeOfOldest { counters.maxAgeOfOldest = a }
  }

  /// Drops timers at the front whose message is gone or has moved on, so that a deleted
  /// message's timer never costs a scheduled job.
  func pruneTimers() {
    while let top = retentionTimers.min, !messages.contains(top.key) { retentionTimers.removeMin() }
    while let first = arrivals?.first, !messages.contains(first.key) { arrivals?.removeFirst() }
    while let top = visibilityTimers.min, !isLive(top, .inFlight) { visibilityTimers.removeMin() }
    while let top = delayTimers.min, !isLive(top, .delayed) { delayTimers.removeMin() }
  }

  private func isLive(_ t: QueueTimer, _ state: MessageState) -> Bool {
    guard let (s, g) = messages.stateAndGeneration(t.key) else { return false }
    return s == state && g == t.generation
  }

  func noteDepth() {
    let d = depth
    if d > counters.maxDepth { counters.maxDepth = d }
  }
}

/// A queue's timers of one kind, ordered by (time, order set) exactly as one heap would order
/// them: timers due at the same instant fire in the order they were set (a batch received
/// together comes back visible in the order it was received).
/// Timers arrive mostly in order (now + the queue's fixed timeout), so in-order ones go to a deque
/// (O(1)) and only out-of-order ones (a DLQ move's original enqueue time, a per-message delay, a
/// changed visibility) to a heap.
struct TimerLane {
  private var inOrder = Deque<QueueTimer>()
  private var outOfOrder = Heap<QueueTimer>()

  private var nextOrder: UInt64 = 0

  mutating func insert(_ timer: QueueTimer) {
    var t = timer
    nextOrder += 1
    t.order = nextOrder
    if let last = inOrder.last, t < last { outOfOrder.insert(t) } else { inOrder.append(t) }
  }

  var min: QueueTimer? {
    switch (inOrder.first, outOfOrder.min) {
    case (let a?, let b?): return b < a ? b : a
    case (let a?, nil): return a
    case (nil, let b): return b
    }
  }

  @discardableResult
  mutating func removeMin() -> QueueTimer? {
    switch (inOrder.first, outOfOrder.min) {
    case (let a?, let b?): return b < a ? outOfOrder.removeMin() : inOrder.removeFirst()
    case (_?, nil): return inOrder.removeFirst()
    case (nil, _?): return outOfOrder.removeMin()
    case (nil, nil): return nil
    }
  }
}
