import Foundation
import Testing

func repoPath(_ relative: String) -> String {
  var root = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { root.deleteLastPathComponent() }
  return root.appendingPathComponent(relative).path
}

@Suite("fanout validate and --scenario")
struct ScenarioCommandTests {
  @Test("validate: every config file is ok, exit 0")
  func validConfigs() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: repoPath("config")).filter { $0.hasSuffix(".yaml") }
    #expect(files.count >= 7)
    let r = try runFanout(["validate"] + files.sorted().map { repoPath("config/" + $0) })
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.split(separator: "\n").allSatisfy { $0.hasSuffix(": ok") || $0.contains(": ok (") })
  }

  @Test("validate: a broken file gets file:line:column messages and exit 2")
  func brokenFile() throws {
    let path = tempPath("broken.yaml")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try "queues:\n  - name: q\n    VisibiltyTimeout: 30\n".write(toFile: path, atomically: true, encoding: .utf8)
    let r = try runFanout(["validate", path])
    #expect(r.status == 2)
    #expect(
      r.err.contains(
        "\(path):3:5: error: queues[0].VisibiltyTimeout: unknown key 'VisibiltyTimeout' (did you mean 'VisibilityTimeout'?)"
      ))
    let missing = try runFanout(["validate", "/nonexistent/scenario.yaml"])
    #expect(missing.status == 2)
    #expect(missing.err.contains("cannot read the file"))
  }

  @Test("run --scenario: prints which expectations held; exit 1 when one did not")
  func expectations() throws {
    let ok = try runFanout(["run", "--scenario", repoPath("config/seed-pipeline.yaml")])
    #expect(ok.status == 0)
    #expect(ok.out.contains("✓ held   all requests complete: 10 of 10"))
    let text = try String(contentsOfFile: repoPath("config/seed-pipeline.yaml"), encoding: .utf8)
      .replacingOccurrences(of: "p99LatencyBelow: 5s", with: "p99LatencyBelow: 1ms")
    let path = tempPath("strict.yaml")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let failing = try runFanout(["run", "--scenario", path, "--json"])
    #expect(failing.status == 1)
    let obj = try jsonObject(failing.out)
    let verdicts = try #require(obj["expectations"] as? [[String: Any]])
    #expect(
      verdicts.contains { ($0["held"] as? Bool) == false && ($0["expectation"] as? String ?? "").contains("p99") })
    #expect(obj["scenario"] as? String == "seed-pipeline")
  }

  @Test("run --scenario with --requests adds a constant load to the scenario's own")
  func extraLoad() throws {
    let r = try runFanout(["run", "--scenario", repoPath("config/seed-pipeline.yaml"), "--requests", "5", "--json"])
    let obj = try jsonObject(r.out)
    #expect((obj["requests"] as? [String: Any])?["fired"] as? Int == 15)
  }
}

@Suite("fanout trace")
struct TraceCommandTests {
  @Test("trace: text by default, JSON with --json; a clear message for an unknown ID or file")
  func trace() throws {
    let events = tempPath("trace.jsonl")
    defer { try? FileManager.default.removeItem(atPath: events) }
    #expect(try runFanout(["run", "--requests", "3", "--events", events]).status == 0)
    let text = try String(contentsOfFile: events, encoding: .utf8)
    let line = try #require(text.split(separator: "\n").first { $0.contains("\"type\":\"request.id\"") })
    let id = try #require(try jsonObject(line)["request_id"] as? String)
    let t = try runFanout(["trace", String(id.prefix(8)), "--events", events])
    #expect(t.status == 0)
    #expect(t.out.hasPrefix("request \(id)"))
    #expect(t.out.contains("sns.notify"))
    let j = try runFanout(["trace", id, "--events", events, "--json"])
    let trace = try jsonObject(j.out)
    #expect(try #require(trace["events"] as? [Any]).count > 20)
    let unknown = try runFanout(["trace", "abcdef12", "--events", events])
    #expect(unknown.status == 2 && unknown.err.contains("no request abcdef12"))
    let missing = try runFanout(["trace", "abcdef12", "--events", "/nonexistent.jsonl"])
    #expect(missing.status == 2 && missing.err.contains("cannot read"))
  }
}

@Suite("Replay options that conflict")
struct ReplayOptionTests {
  @Test("--replay with --requests, --seed or another --scenario: a clear message and exit 2")
  func conflicts() throws {
    let path = tempPath("session.jsonl")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try
      "{\"fanout_replay\":1,\"seed\":1,\"scenario\":null}\n{\"jobs\":0,\"time_us\":1767225600000000,\"command\":\"end\"}\n"
      .write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try runFanout(["run", "--replay", path]).status == 0)
    let a = try runFanout(["run", "--replay", path, "--requests", "5"])
    #expect(a.status == 2 && a.err.contains("cannot be combined with --replay"))
    let b = try runFanout(["run", "--replay", path, "--seed", "3"])
    #expect(b.status == 2 && b.err.contains("names its seed"))
    let c = try runFanout(["run", "--replay", path, "--scenario", repoPath("config/fanout-five.yaml")])
    #expect(c.status == 2 && c.err.contains("differs from the recorded session's"))
  }
}
