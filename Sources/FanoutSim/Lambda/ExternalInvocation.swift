// MARK: - Lambda: functions whose code is a process
//
// A function with `handler: { type: process, … }` runs its own code outside the simulation: each
// invocation is handed, with the exact event Lambda would pass, to the `ExternalInvoker` (the
// server's Lambda Runtime API and its processes), and ends when the invoker reports the result
// — the handler's response, its error, or the process's crash — at the virtual time it arrives.
// The function's timeout is the simulation's: at the deadline the invocation times out, the
// invoker is told to stop the process, and Lambda discards the environment. Everything else —
// concurrency, throttles, the trigger's retries, batch item failures, asynchronous retries and
// destinations — is the simulation's, as for any function.

/// An invocation handed to the code.
public struct ExternalInvocation: Sendable {
  /// The invocation's number in the event log.
  public var id: Int
  public var function: String
  public var functionArn: String
  /// Lambda's request ID (`Lambda-Runtime-Aws-Request-Id`).
  public var awsRequestId: UUID128
  /// The event, as the function receives it (JSON).
  public var event: String
  /// When the function times out (`Lambda-Runtime-Deadline-Ms`). A cold start's is moved once
  /// its init has ended (`Simulation.externalInitEnded`): the handler then has `timeout`.
  public var deadline: SimTime
  /// The function's timeout.
  public var timeout: SimDuration
  /// Whether Lambda had no warm environment for it: the invoker starts a process.
  public var coldStart: Bool
}

/// How an external invocation ended.
public enum ExternalResult: Sendable, Equatable {
  /// The handler returned: its response (JSON text, `null` for None).
  case success(String)
  /// The handler raised: Lambda's `errorType` and `errorMessage`.
  case error(type: String, message: String)
  /// The process exited (or could not start) before it answered.
  case crash(exitStatus: Int32)
  /// The runtime reported an error during init (`/runtime/init/error`): the invocation fails with
  /// it and the environment is not reused (the next invocation initializes a new one).
  case initError(type: String, message: String)
}

/// Runs process functions' code. Called on the simulation's thread.
public protocol ExternalInvoker: AnyObject {
  /// Starts an invocation; its result comes back through `Simulation.completeExternal`.
  func start(_ invocation: ExternalInvocation, in sim: Simulation)
  /// The invocation timed out: its process must be stopped (Lambda discards the environment).
  func timedOut(_ invocation: Int, in sim: Simulation)
}

extension Simulation {
  /// Starts an invocation of a process function: the event is built, the invoker gets it, and the
  /// deadline is scheduled.
  @discardableResult
  func startExternal(_ f: LambdaFunction, trigger: Trigger, records: [BatchRecord]) -> Invocation {
    let cold = occupyEnvironment(f)
    let id = nextInvocationId
    nextInvocationId += 1
    // The real init and handler times pass as wall time, which the clock follows. A cold start's
    // init phase has its own limit, apart from the function's timeout (which starts when init ends).
    let inv = Invocation(
      id: id, function: f.index, trigger: trigger, records: records, start: now,
      deadline: now + f.spec.timeout + (cold ? Self.initPhaseLimit : .zero), cold: cold)
    inv.codeVersion = f.codeVersion
    emit(
      .lambdaInvoke(
        function: f.name, invocation: id, cold: cold, trigger: triggerName(trigger),
        requestIDs: records.compactMap { $0.body.requestID }, event: trigger.isAsync ? nil : lambdaRecords(records)))
    externalInvocations[id] = inv
    // The invocation keeps the run alive while it waits (`hasPendingWork`), not its deadline:
    // a run ends when the code has answered, not when its timeout would have passed.
    schedule(.step(inv), at: inv.deadline, keepsAlive: false)
    let awsId: UUID128
    if case .async(let e) = trigger, let event = asyncEvents[e] {
      awsId = event.requestId
    } else if case .direct = trigger, let d = external.directInvoke {
      awsId = d.requestId
    } else {
      awsId = idRng.uuid()
    }
    externalInvoker?.start(
      ExternalInvocation(
        id: id, function: f.name, functionArn: f.arn, awsRequestId: awsId, event: externalEvent(trigger, records),
        deadline: inv.deadline, timeout: f.spec.timeout, coldStart: cold),
      in: self)
    return inv
  }

  /// The event a process function receives: the SQS batch, the SNS record, a wire Invoke's payload, or `{}` for a fire.
  func externalEvent(_ trigger: Trigger, _ records: [BatchRecord]) -> String {
    switch trigger {
    case .direct: return external.directInvoke?.payload ?? "{}"
    case .mapping: return lambdaSQSEventJSON(records.map(lambdaRecord))
    case .async(let e): return asyncEvents[e].map(asyncEventJSON) ?? "{}"
    }
  }

  /// The result of an external invocation, now. False when there is no such invocation waiting
  /// (it timed out, or the ID is unknown).
  @discardableResult
  public func completeExternal(_ id: Int, _ result: ExternalResult) -> Bool {
    guard let inv = externalInvocations.removeValue(forKey: id), !inv.ended else { return false }
    inv.ended = true
    switch result {
    case .success(let response):
      inv.response = response
      if case .mapping(let mi) = inv.trigger, mappings[mi].spec.reportBatchItemFailures {
        // Lambda reads the response as a partial batch response: an invalid one fails the batch.
        let batch = inv.records.map(\.messageId.text)
        if let failed = parseBatchItemFailures(response, batch: batch) {
          inv.failedItems = inv.records.indices.filter { failed.contains(batch[$0]) }
        } else {
          inv.failedItems = Array(inv.records.indices)
        }
      }
      finish(inv, .success)
    case .error(let type, let message):
      finish(inv, .error(type.isEmpty ? message : type + ": " + message))
    case .initError(let type, let message):
      inv.discardsEnvironment = true
      finish(inv, .error(type.isEmpty ? message : type + ": " + message))
    case .crash(let status):
      // Lambda's words for a runtime that exited; the environment is not reused.
      inv.discardsEnvironment = true
      finish(inv, .error("Runtime.ExitError: Runtime exited with error: exit status \(status)"))
    }
    return true
  }

  /// Lambda's limit on a cold start's init phase: "The Init phase is limited to 10 seconds. If all
  /// three tasks do not complete within 10 seconds, Lambda retries the Init phase at the time of
  /// the first function invocation with the configured function timeout"
  /// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib).
  /// fanout lets the process's init go on past it (it does not start the process again), within
  /// 10 s plus the function's timeout in all.
  public static let initPhaseLimit = SimDuration.seconds(10)

  /// A cold-started process asked for its event: its init phase has ended, and the handler has
  /// the function's whole timeout from now, as Lambda gives it. Nothing for a warm start, an
  /// ended invocation, or a second call.
  public func externalInitEnded(_ id: Int) {
    guard let inv = externalInvocations[id], inv.cold, !inv.initEnded else { return }
    inv.initEnded = true
    let f = functions[inv.function]
    let deadline = min(inv.deadline, now + f.spec.timeout)
    guard deadline != inv.deadline else { return }
    inv.deadline = deadline
    schedule(.step(inv), at: deadline, keepsAlive: false)
  }

  /// An external invocation reached its deadline.
  func timeOutExternal(_ inv: Invocation) {
    // A job of a deadline since moved (a cold start's, once its init ended) does nothing.
    guard now >= inv.deadline else { return }
    guard externalInvocations.removeValue(forKey: inv.id) != nil else { return }
    inv.ended = true
    externalInvoker?.timedOut(inv.id, in: self)
    finish(inv, .timeout)
  }

  /// Invocations of process functions waiting for their result.
  public var pendingExternalInvocations: [Int] { externalInvocations.keys.sorted() }
}
