// MARK: - SNS commands: publish from outside the pipeline

extension Simulation {
  /// Publishes to a topic from outside the pipeline.
  @discardableResult
  public func publish(
    topic name: String, message: String, subject: String? = nil, attributes: [MessageAttribute] = [],
    injected: Bool = true
  ) throws -> UUID128 {
    guard let t = topic(named: name) else { throw SNSError.notFound(name) }
    let payload = Payload.from(text: message)
    // A process function's own code publishing (through its environment's endpoint): a message of
    // the pipeline, not one injected, and what tracks its request.
    if let inv = callingInvocation {
      let id = try publish(t, message: payload, subject: subject, attributes: attributes, injected: false)
      creditCodePublish(inv, payload.requestID)
      return id
    }
    return try publish(t, message: payload, subject: subject, attributes: attributes, injected: injected)
  }

  /// The process function's invocation whose code makes the client request being answered.
  var callingInvocation: Invocation? { wireCaller.flatMap { externalInvocations[$0] } }

  /// What a message the code published tells of its request, as the built-in handlers tell it: the
  /// entry function's first message names the request its fire started (its ID, as the article's
  /// preprocessor makes it); a triggered process function's message completes its stage.
  func creditCodePublish(_ inv: Invocation, _ id: RequestID?) {
    guard let id else { return }
    if case .direct(let fire?) = inv.trigger {
      guard tracker.requestID(ofFire: fire) == nil else { return }
      let fires = tracker.assign(fire: fire, id: id)
      emit(.requestID(fire: fire, requestID: id))
      if let fires { emit(.requestCollision(requestID: id, fires: fires)) }
      return
    }
    let f = functions[inv.function]
    if let stage = tracker.stages.firstIndex(of: f.name), let latency = tracker.stageDone(id: id, stage: stage, at: now)
    {
      emit(.requestStageDone(requestID: id, stage: f.name, latency: latency))
    }
  }
}
