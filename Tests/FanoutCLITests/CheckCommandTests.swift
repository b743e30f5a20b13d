import Foundation
import Testing

@Suite("fanout check")
struct CheckCommandTests {
  @Test("The chaos scenario validates, and its books balance over 20 seeds: exit 0 and the summary")
  func chaosTwentySeeds() throws {
    let chaos = repoPath("Benchmarks/chaos.yaml")
    let v = try runFanout(["validate", chaos])
    #expect(v.status == 0, "\(v.err)")
    let r = try runFanout(["check", "--scenario", chaos, "--seeds", "20"])
    #expect(r.status == 0, "\(r.out)\(r.err)")
    let summary = try #require(r.out.split(separator: "\n").first { $0.hasPrefix("seeds 20  events ") })
    #expect(summary.contains("  violations 0  wall "), "\(summary)")
    #expect(r.out.contains("every seed's books balance"))
  }

  @Test("--json and --first-seed: one object with the figures")
  func json() throws {
    let r = try runFanout([
      "check", "--scenario", repoPath("Benchmarks/chaos.yaml"), "--seeds", "3", "--first-seed", "41", "--json",
    ])
    #expect(r.status == 0, "\(r.err)")
    let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
    #expect(obj["first_seed"] as? Int == 41)
    #expect(obj["seeds"] as? Int == 3)
    #expect(obj["violations"] as? Int == 0)
    #expect((obj["events"] as? Int ?? 0) > 1000)
    #expect((obj["messages"] as? Int ?? 0) > 100)
    #expect((obj["failures"] as? [Any])?.isEmpty == true)
  }

  @Test(
    "Bad arguments: a clear message and exit status 2",
    arguments: [
      (["check", "--seeds", "5"], "--scenario"),
      (["check", "--scenario", "Benchmarks/chaos.yaml"], "--seeds"),
      (["check", "--scenario", "Benchmarks/chaos.yaml", "--seeds", "0"], "--seeds"),
      (["check", "--scenario", "Benchmarks/chaos.yaml", "--seeds", "lots"], "seeds"),
      (
        ["check", "--scenario", "Benchmarks/chaos.yaml", "--seeds", "2", "--first-seed", "18446744073709551615"],
        "--first-seed"
      ),
      (["check", "--scenario", "/nonexistent/chaos.yaml", "--seeds", "2"], "cannot read the file"),
    ])
  func badArguments(args: [String], mentions: String) throws {
    let r = try runFanout(args.map { $0 == "Benchmarks/chaos.yaml" ? repoPath($0) : $0 })
    #expect(r.status == 2, "\(args): \(r.err)")
    #expect(r.err.contains(mentions), "\(args): \(r.err)")
    #expect(!r.err.contains("Fatal error"))
  }
}
