// MARK: - Lambda commands: fire a request, pause a trigger, break a function

extension Simulation {
  /// Fires one request: invokes the entry function (the preprocessor) directly, as the seed's
  /// console "Test" button does. Returns its number (from 1).
  @discardableResult
  public func fireRequest() -> Int {
    let fire = tracker.fire(at: now)
    emit(.requestFire(fire: fire))
    guard let e = entryFunction else {
      tracker.fail(fire)
      emit(.requestFailed(fire: fire, reason: "no entry function"))
      return fire
    }
    let f = functions[e]
    guard hasCapacity(f) else {
      f.counters.throttles += 1
      emit(.lambdaThrottle(function: f.name, trigger: "direct", records: 0))
      tracker.fail(fire)
      emit(.requestFailed(fire: fire, reason: "TooManyRequestsException: Rate Exceeded."))
      return fire
    }
    startInvocation(f, trigger: .direct(fire: fire), records: [])
    return fire
  }

  /// Enables or disables an event source mapping (`Enabled`): while disabled its pollers stop and
  /// messages wait in the queue; batches already invoked finish normally.
  public func setMapping(_ index: Int, enabled: Bool) {
    let m = mappings[index]
    guard m.enabled != enabled else { return }
    // Idle polls count only while enabled: settle them before the state changes.
    settleIdlePolls(m)
    m.enabled = enabled
    emit(.lambdaMapping(mapping: m.name, enabled: enabled))
    if enabled {
      // Every change of the target is an event: observers keep the target from them.
      setTarget(m, m.floor)
      m.periodStart = nil
      poll(m)
    }
  }

  /// Enables or disables the mapping that feeds a queue.
  public func setMapping(queue name: String, enabled: Bool) throws {
    guard let m = mapping(forQueue: name) else { throw UnknownName(kind: "event source mapping on queue", name: name) }
    setMapping(m.index, enabled: enabled)
  }

  /// UpdateFunctionCode: the warm environments run the old code, so they are retired; running
  /// invocations finish, and every later one starts with a cold start until new ones are warm.
  public func updateCode(function name: String) throws {
    guard let f = self.function(named: name) else { throw UnknownName(kind: "function", name: name) }
    let retired = f.warmEnvironments(now: now)
    f.warm.removeAll()
    f.codeVersion += 1
    emit(.lambdaCodeUpdate(function: f.name, retired: retired))
  }

  /// Switches a function's injected failures.
  public func setFailure(function name: String, _ failure: FailureSpec) throws {
    guard let f = self.function(named: name) else { throw UnknownName(kind: "function", name: name) }
    f.failure = failure
    emit(.lambdaFailure(function: f.name, failure: failure))
  }

}
