// MARK: - SNS commands: publish from outside the pipeline

extension Simulation {
  /// Publishes to a topic from outside the pipeline.
  @discardableResult
  public func publish(
    topic name: String, message: String, subject: String? = nil, attributes: [MessageAttribute] = [],
    injected: Bool = true
  ) throws -> UUID128 {
    guard let t = topic(named: name) else { throw SNSError.notFound(name) }
    return try publish(
      t, message: Payload.from(text: message), subject: subject, attributes: attributes, injected: injected)
  }
}
