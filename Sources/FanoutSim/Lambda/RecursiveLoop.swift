// MARK: - Lambda recursive loop detection
//
// AWS: "To detect recursive loops, Lambda uses AWS X-Ray tracing headers. When AWS services that
// support recursive loop detection send events to Lambda, those events are automatically
// annotated with metadata. When your Lambda function writes one of these events to another
// supported AWS service using a supported version of an AWS SDK, it updates this metadata. The
// updated metadata includes a count of the number of times that the event has invoked the
// function." "If your function is invoked approximately 16 times in the same chain of requests,
// then Lambda automatically stops the next function invocation in that request chain and
// notifies you." For an SQS trigger, Lambda "returns a RecursiveInvocationException to the event
// source mapping. This increments the receiveCount value on the message. Lambda continues to
// retry the message, and continues to block function invocations, until Amazon SQS determines
// that the maxReceiveCount is exceeded and sends the message to the configured dead-letter
// queue." The CloudWatch metric RecursiveInvocationsDropped counts the stopped invocations; it is
// not emitted for a function set to Allow (PutFunctionRecursionConfig, RecursiveLoop
// Allow|Terminate, default Terminate).
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html,
// https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionRecursionConfig.html)
//
// What fanout models: every message carries its chain (`RecursionChain`): how many times each
// function has been invoked along the path of requests that produced it. A handler's SQS send,
// its SNS publish and SNS's delivery to a queue carry the chain of the record (or, for the
// preprocessor, of the invocation) with the sending function counted once more; a message sent
// or published from outside (the API, a timeline, an injection) starts a new chain. A DLQ move,
// an at-least-once copy and a redrive keep the message's chain. When the event source mapping
// would invoke a function set to Terminate with a batch in which a record's chain has already
// invoked it 16 times, the invocation is stopped before it starts (no execution environment, no
// `Invocations`): `lambda.recursive_loop` is emitted, `recursive_invocations_dropped` counted,
// and the batch's messages stay in flight until their visibility timeout, to be received again
// (their receive count goes up) and stopped again, until the redrive policy moves them to the
// dead-letter queue (without one, until retention ends). AWS does not say how a batch mixing
// chains is handled; fanout stops the whole invocation when any record has reached the limit.
// S3 → Lambda triggers, which AWS also follows, are not modelled (fanout has none).

/// A function's recursive loop detection setting (PutFunctionRecursionConfig's `RecursiveLoop`).
public enum RecursiveLoop: String, Sendable, Equatable {
  /// The default: Lambda stops an invocation that would be the 17th of a chain.
  case terminate = "Terminate"
  /// Lambda takes no action (and emits no RecursiveInvocationsDropped).
  case allow = "Allow"
}

/// How many times each function has been invoked along a chain of requests: up to 8 functions
/// (the most recently invoked kept when a chain runs through more), each counted up to 31, in one
/// SIMD value so that carrying it costs no allocation. Function indices from 2,047 on are not
/// tracked.
public struct RecursionChain: Sendable, Equatable {
  /// Slot i: (function index + 1) << 5 | count, most recently invoked first; 0 is an empty slot.
  private var slots = SIMD8<UInt16>()

  public init() {}

  static let maxFunction = 2_046
  static let maxCount = 31

  /// Invocations of function `f` along the chain.
  public func count(of f: Int) -> Int {
    guard f <= RecursionChain.maxFunction else { return 0 }
    for i in 0..<8 where Int(slots[i] >> 5) == f + 1 { return Int(slots[i] & 0x1F) }
    return 0
  }

  /// The chain with one more invocation of `f`, which moves to the front (the least recently
  /// invoked function drops out of a full chain).
  public func invoking(_ f: Int) -> RecursionChain {
    guard f <= RecursionChain.maxFunction else { return self }
    var dropped = 7
    var count = 1
    for i in 0..<8 where Int(slots[i] >> 5) == f + 1 {
      dropped = i
      count = min(RecursionChain.maxCount, Int(slots[i] & 0x1F) + 1)
      break
    }
    var out = RecursionChain()
    out.slots[0] = UInt16(f + 1) << 5 | UInt16(count)
    var j = 1
    for i in 0..<8 where i != dropped && j < 8 {
      out.slots[j] = slots[i]
      j += 1
    }
    return out
  }
}

extension Simulation {
  /// The chain a stored message carries (empty once it is gone).
  func recursionChain(_ r: BatchRecord) -> RecursionChain {
    // An SNS record of an asynchronous invocation carries its notification's chain.
    if r.queue < 0 {
      if case .envelope(let n, _) = r.body { return n.chain }
      return RecursionChain()
    }
    return queues[r.queue].messages.recursionChain(r.key) ?? RecursionChain()
  }

  /// The chain of what an invocation sends for record `i` (for the preprocessor, invoked
  /// directly, a new chain): the record's, with this function invoked once more.
  func outgoingChain(_ inv: Invocation, record i: Int) -> RecursionChain {
    let base = i < inv.records.count ? recursionChain(inv.records[i]) : RecursionChain()
    return base.invoking(inv.function)
  }

  /// Whether Lambda stops this invocation as a recursive loop: the function is set to Terminate
  /// and a record's chain has invoked it `Limits.Lambda.recursiveLoopLimit` times already.
  /// When it does, the event is emitted, the metric counted and the mapping's poller freed; the
  /// messages stay in flight until their visibility timeout.
  func stopsRecursiveLoop(_ f: LambdaFunction, trigger: Trigger, records: [BatchRecord]) -> Bool {
    guard f.spec.recursiveLoop == .terminate else { return false }
    let limit = Limits.Lambda.recursiveLoopLimit
    if case .async(let id) = trigger {
      // SNS → Lambda loops are detected too; the event is dropped, to the on-failure destination
      // or dead-letter queue if there is one.
      guard let r = records.first, recursionChain(r).count(of: f.index) >= limit else { return false }
      f.counters.recursiveInvocationsDropped += 1
      emit(
        .lambdaRecursiveLoop(
          function: f.name, trigger: "async", invocations: recursionChain(r).count(of: f.index), messageId: r.messageId,
          records: 1))
      if var e = asyncEvents[id] {
        e.invocations -= 1
        asyncEvents[id] = e
      }
      discardAsync(id, condition: "RecursiveInvocationDropped")
      return true
    }
    guard case .mapping(let mi) = trigger else { return false }
    guard let r = records.first(where: { recursionChain($0).count(of: f.index) >= limit }) else { return false }
    f.counters.recursiveInvocationsDropped += 1
    let m = mappings[mi]
    emit(
      .lambdaRecursiveLoop(
        function: f.name, trigger: m.name, invocations: recursionChain(r).count(of: f.index),
        messageId: r.messageId, records: records.count))
    // The poller's invoke call fails at once: it polls again after its turnaround.
    pollerReturns(m)
    return true
  }
}
