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
      // The fire's request is named before its message goes out, so that the publish is the
      // request's first hop (as the built-in preprocessor's is).
      if let id = payload.requestID { nameFiredRequest(inv, id) }
      let messageId = try publish(t, message: payload, subject: subject, attributes: attributes, injected: false)
      if let id = payload.requestID { completeCodeStage(inv, id) }
      return messageId
    }
    return try publish(t, message: payload, subject: subject, attributes: attributes, injected: injected)
  }

  /// The process function's invocation whose code makes the client request being answered.
  var callingInvocation: Invocation? { wireCaller.flatMap { externalInvocations[$0] } }

  /// The entry function's first message carrying a request ID names the request its fire
  /// started, as the article's preprocessor does.
  func nameFiredRequest(_ inv: Invocation, _ id: RequestID) {
    guard case .direct(let fire?) = inv.trigger, tracker.requestID(ofFire: fire) == nil else { return }
    nameRequest(fire: fire, id)
  }

  /// A triggered process function's message with a request's ID completes its stage of that
  /// request, as a service's publish does.
  func completeCodeStage(_ inv: Invocation, _ id: RequestID) {
    if case .direct = inv.trigger { return }
    if let stage = tracker.stages.firstIndex(of: functions[inv.function].name) { completeStage(stage, of: id) }
  }
}
