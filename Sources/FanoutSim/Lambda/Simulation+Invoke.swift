// MARK: - Lambda commands from outside: Invoke with a payload, event source mappings at run time
//
// The Lambda wire protocol (`FanoutWire/LambdaWire.swift`) turns an SDK's Invoke into these
// calls. A direct invocation carries the client's payload as its event; fanout's handlers read
// only SQS and SNS records, so for them the event has no records (the seed preprocessor, like the
// article's, ignores its event). Invoking the topology's entry function is a fired request, as
// the console's "Test" button (and the `p` key) is: the request is tracked through the pipeline.
// Nothing here runs unless a client calls it.

/// How a client's synchronous invocation ended.
public struct InvokeResult: Sendable, Equatable {
  /// The invocation's request ID (`x-amzn-RequestId`).
  public var requestId: UUID128
  public var outcome: InvocationOutcome
  /// Lambda's `errorType` and `errorMessage` for a function error or timeout (empty on success).
  public var errorType: String
  public var errorMessage: String
  public var duration: SimDuration
  /// A process function's response (JSON text); nil for the simulation's own handlers, whose
  /// response is `null`.
  public var payload: String? = nil
}

/// What a synchronous Invoke did at once.
public enum InvokeStart: Sendable, Equatable {
  /// The invocation runs; `invokeResult(ticket:)` gives its end.
  case started(ticket: Int, requestId: UUID128)
  /// No concurrency free: Lambda's TooManyRequestsException (429); `reserved` when the function's
  /// reserved concurrency is what ran out.
  case throttled(reserved: Bool)
  /// Recursive loop detection stopped it.
  case stopped
}

extension Simulation {
  /// Invoke with InvocationType RequestResponse: starts an invocation of the function now.
  public func invoke(function name: String, payload: String = "{}") throws(UnknownName) -> InvokeStart {
    guard let fi = functionByName[name] else { throw UnknownName(kind: "function", name: name) }
    let f = functions[fi]
    var fire: Int?
    if fi == entryFunction {
      let n = tracker.fire(at: now)
      emit(.requestFire(fire: n))
      fire = n
    }
    guard hasCapacity(f) else {
      f.counters.throttles += 1
      emit(.lambdaThrottle(function: f.name, trigger: "direct", records: 0))
      if let fire {
        tracker.fail(fire)
        emit(.requestFailed(fire: fire, reason: "TooManyRequestsException: Rate Exceeded."))
      }
      return .throttled(reserved: f.spec.reservedConcurrency != nil)
    }
    let requestId = externalRequestUUID()
    external.directInvoke = (payload, requestId)
    let started = startInvocation(f, trigger: .direct(fire: fire), records: [])
    external.directInvoke = nil
    guard let inv = started else { return .stopped }
    let ticket = external.nextTicket
    external.nextTicket += 1
    external.waiting[inv.id] = ticket
    external.waitingIds[ticket] = requestId
    return .started(ticket: ticket, requestId: requestId)
  }

  /// The end of a client's invocation, once it has ended; taken (a second call answers nil).
  public func invokeResult(ticket: Int) -> InvokeResult? {
    external.ended.removeValue(forKey: ticket)
  }

  /// Whether a client's invocation has ended and its answer waits to be taken.
  public func invokeHasResult(ticket: Int) -> Bool { external.ended[ticket] != nil }

  /// Whether a client's invocation is still running.
  public func invokeRunning(ticket: Int) -> Bool { external.waitingIds[ticket] != nil }

  /// Called by `finish` for an invocation a client waits for.
  func invokeEnded(_ inv: Invocation, _ outcome: InvocationOutcome, _ duration: SimDuration) {
    guard let ticket = external.waiting.removeValue(forKey: inv.id),
      let requestId = external.waitingIds.removeValue(forKey: ticket)
    else { return }
    let f = functions[inv.function]
    let e = lambdaError(outcome, requestId: requestId, timeout: f.spec.timeout, at: now)
    external.ended[ticket] = InvokeResult(
      requestId: requestId, outcome: outcome, errorType: e.type, errorMessage: e.message, duration: duration,
      payload: inv.response)
  }

  /// Invoke with InvocationType Event: Lambda accepts the payload into the function's
  /// asynchronous queue (retries, destinations and dead-letter queue as for SNS's invocations,
  /// `AsyncInvoke.swift`). Its request ID.
  public func invokeEvent(function name: String, payload: String) throws(UnknownName) -> UUID128 {
    guard let f = self.function(named: name) else { throw UnknownName(kind: "function", name: name) }
    let requestId = externalRequestUUID()
    invokeAsync(f, .invoke(Payload.from(text: payload)), source: "Invoke", requestId: requestId)
    return requestId
  }

  /// CreateEventSourceMapping at run time: its pollers start now. The caller has checked the
  /// settings against Lambda's limits.
  public func createMapping(_ spec: MappingSpec) throws(UnknownName) -> EventSourceMapping {
    guard let q = queueByName[spec.queue] else { throw UnknownName(kind: "queue", name: spec.queue) }
    guard let f = functionByName[spec.function] else { throw UnknownName(kind: "function", name: spec.function) }
    let m = EventSourceMapping(
      index: mappings.count, spec: spec, queue: q, function: f, uuid: externalRequestUUID(), start: now)
    queues[q].mappings.append(mappings.count)
    external.mappingModified[mappings.count] = now
    mappings.append(m)
    if m.enabled { poll(m) }
    return m
  }

  /// UpdateEventSourceMapping's BatchSize (its Enabled is `setMapping`).
  public func setMappingBatchSize(_ index: Int, _ size: Int) {
    mappings[index].spec.batchSize = size
  }

  /// Notes a client's change of a mapping, for its LastModified.
  public func noteMappingModified(_ index: Int) { external.mappingModified[index] = now }

  /// When a mapping was created or last updated by a client (the start for the topology's).
  public func mappingLastModified(_ index: Int) -> SimTime {
    external.mappingModified[index] ?? topology.startTime
  }

  /// The mapping with this UUID.
  public func mapping(uuid: String) -> EventSourceMapping? {
    mappings.first { $0.uuid.text == uuid }
  }
}
