// MARK: - What outside clients add to a run (the AWS wire protocols)
//
// `fanout serve` lets AWS SDKs create buckets, put objects, invoke functions and create event
// source mappings while a run goes on. What that needs beyond the topology's components lives
// here, apart from everything a run without clients uses: its random stream ("external") is drawn
// only by such requests, so a run without them makes the same events, byte for byte.

/// State kept for requests from outside the simulation.
struct ExternalState {
  /// Request IDs and new components' IDs: a stream of its own, made on first use.
  var rng: SimRandom?
  /// When each bucket was created, by index (the topology's at the start time).
  var bucketCreated: [Int: SimTime] = [:]
  /// Invocations a wire Invoke started and waits for: invocation ID → ticket.
  var waiting: [Int: Int] = [:]
  /// The request ID of each running ticket.
  var waitingIds: [Int: UUID128] = [:]
  /// Ended ones, by ticket, until their answer is taken.
  var ended: [Int: InvokeResult] = [:]
  var nextTicket = 1
  /// A wire Invoke's payload and request ID while it starts its invocation: what a process
  /// function receives as its event and its `Lambda-Runtime-Aws-Request-Id`.
  var directInvoke: (payload: String, requestId: UUID128)?
  /// When each event source mapping was last created or updated by a client, by index.
  var mappingModified: [Int: SimTime] = [:]
}

extension Simulation {
  /// The next 64 random bits of the external requests' own stream.
  func externalBits() -> UInt64 {
    if external.rng == nil { external.rng = SimRandom(seed: seed, stream: "external") }
    return external.rng!.next()
  }

  /// A request ID for an external request: a UUID from the external stream (Lambda's
  /// `x-amzn-RequestId`, an invocation's request ID).
  public func externalRequestUUID() -> UUID128 {
    if external.rng == nil { external.rng = SimRandom(seed: seed, stream: "external") }
    return external.rng!.uuid()
  }

  /// S3's request ID: 16 upper-case hexadecimal digits (`x-amz-request-id: 4442587FB7D0A2F9`).
  public func externalS3RequestID() -> String {
    let v = externalBits()
    let digits = Array("0123456789ABCDEF".utf8)
    var out = [UInt8]()
    for i in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((v >> UInt64(i)) & 0xF)]) }
    return String(decoding: out, as: UTF8.self)
  }
}
