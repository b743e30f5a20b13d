import Foundation
import Testing

@testable import Dashboard
@testable import FanoutSim
@testable import TermRender

/// Compares screen lines with `Snapshots/<name>.txt`; records the file when it is missing or when
/// FANOUT_RECORD_SNAPSHOTS=1 (and then fails, so that a recording is never taken for a pass).
func assertSnapshot(_ buffer: Buffer, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
  let text =
    buffer.lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
    .joined(separator: "\n") + "\n"
  let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
  let file = dir.appendingPathComponent(name + ".txt")
  let record = ProcessInfo.processInfo.environment["FANOUT_RECORD_SNAPSHOTS"] == "1"
  if record || !FileManager.default.fileExists(atPath: file.path) {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try text.write(to: file, atomically: true, encoding: .utf8)
    Issue.record("recorded snapshot \(name); run again to compare", sourceLocation: sourceLocation)
    return
  }
  let expected = try String(contentsOf: file, encoding: .utf8)
  #expect(text == expected, "snapshot \(name) differs:\n\(text)", sourceLocation: sourceLocation)
}

/// A dashboard on the seed pipeline, seed 1, after a scripted session: three requests, then
/// service01 paused and a burst of ten.
func scriptedDashboard(width: Int, height: Int) throws -> Dashboard {
  let sim = try Simulation(topology: .seedPipeline(), seed: 1)
  let d = Dashboard(sim: sim)
  d.handle(.resize(width, height))
  for _ in 0..<3 { d.handle(.fire) }
  sim.run(until: sim.now + .seconds(3))
  d.handle(.toggleMapping(1))
  d.handle(.fireBurst)
  sim.run(until: sim.now + .seconds(4))
  return d
}
