import Foundation
import Testing

@Suite("fanout calibrate")
struct CalibrateCommandTests {
  /// A copy of a calibration file with one published figure changed, in a temporary folder.
  func variant(_ name: String, _ change: (String) -> String) throws -> String {
    let text = try String(contentsOfFile: repoPath("calibration/" + name), encoding: .utf8)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fanout-calibrate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try change(text).write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test("A published figure within tolerance: a row with AWS's figure, fanout's and ok; exit 0")
  func withinTolerance() throws {
    let r = try runFanout(["calibrate", repoPath("calibration/capitalone-burst-200.yaml")])
    #expect(r.status == 0, "\(r.out)\(r.err)")
    let lines = r.out.split(separator: "\n").map(String.init)
    #expect(lines.first?.hasPrefix("experiment") == true)
    let row = try #require(lines.first { $0.contains("invocations") })
    #expect(row.contains("21") && row.contains("20") && row.contains("[20, 24]") && row.hasSuffix("ok"), "\(row)")
    #expect(lines.last == "1 of 1 figures within tolerance (1 experiments)")
  }

  @Test("A figure out of tolerance is marked OUT and the command exits 1")
  func outOfTolerance() throws {
    let path = try variant("capitalone-burst-200.yaml") {
      $0.replacingOccurrences(of: "tolerance: { range: [20, 24] }", with: "tolerance: { range: [30, 40] }")
    }
    let r = try runFanout(["calibrate", path])
    #expect(r.status == 1, "\(r.out)\(r.err)")
    #expect(r.out.contains("OUT"))
    #expect(r.out.contains("0 of 1 figures within tolerance"))
  }

  @Test("--markdown prints the README's table")
  func markdown() throws {
    let r = try runFanout(["calibrate", "--markdown", repoPath("calibration/capitalone-burst-200.yaml")])
    #expect(r.status == 0)
    #expect(
      r.out.hasPrefix("| experiment | figure | AWS | fanout | tolerance | verdict |\n|---|---|---|---|---|---|\n"))
  }

  @Test("A broken calibration block is located and exits 2")
  func broken() throws {
    let path = try variant("capitalone-burst-200.yaml") {
      $0.replacingOccurrences(of: "invocations: { function: worker", with: "invocations: { function: wroker")
    }
    let r = try runFanout(["calibrate", path])
    #expect(r.status == 2, "\(r.out)\(r.err)")
    #expect(r.err.contains("function 'wroker' is not defined"), "\(r.err)")
  }
}
