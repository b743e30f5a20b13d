// MARK: - Commands: what a person, a scenario or a test does to the pipeline
//
// Each service's commands live in its own folder (`Lambda/Lambda+Commands.swift`,
// `SNS/SNS+Commands.swift`, `SQS/SQS+Commands.swift`).

/// A command that names something the topology does not have.
public struct UnknownName: Error, CustomStringConvertible {
  public var kind: String
  public var name: String
  public var description: String { "no \(kind) named \(name)" }
}
