import Foundation
import Testing

@testable import FanoutSim

/// A real AWS payload from `Tests/Fixtures/aws/` (its README says where each comes from).
func fixture(_ name: String) throws -> String {
  var dir = URL(fileURLWithPath: #filePath)
  for _ in 0..<2 { dir.deleteLastPathComponent() }
  let url = dir.appendingPathComponent("Fixtures/aws/\(name)")
  return try String(contentsOf: url, encoding: .utf8)
}

/// A simulation of the seed pipeline (or a changed one).
func makeSim(services: Int = 3, seed: UInt64 = 1, _ change: (inout Topology) -> Void = { _ in }) throws -> Simulation {
  var t = Topology.seedPipeline(services: services)
  change(&t)
  return try Simulation(topology: t, seed: seed)
}

/// A topology with queues only, for SQS API rules.
func queueSim(_ queues: [QueueSpec], seed: UInt64 = 1) throws -> Simulation {
  var t = Topology()
  t.queues = queues
  return try Simulation(topology: t, seed: seed)
}

/// Records every event of a simulation.
final class Recorder {
  var events: [SimEvent] = []
  init(_ sim: Simulation) { sim.observer = { [unowned self] in self.events.append($0) } }
  func of(_ type: String) -> [SimEvent] { events.filter { $0.kind.type == type } }
  var lines: String { events.map(\.jsonLine).joined(separator: "\n") }
}

extension SimDuration {
  /// Seconds, for short test literals: `.s(1.5)`.
  static func s(_ v: Double) -> SimDuration { .seconds(v) }
}
