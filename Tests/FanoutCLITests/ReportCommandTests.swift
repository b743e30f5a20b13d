import Foundation
import Testing

@Suite("fanout run --html")
struct ReportCommandTests {
  @Test(
    "--html leaves --events byte-identical for the same seed: the built-in pipeline, scenarios, a replay, --observe",
    arguments: [
      ["run", "--requests", "300", "--rate", "50", "--seed", "7"],
      ["run", "--scenario", "config/poison-dlq.yaml"],
      ["run", "--scenario", "config/burst-scaling.yaml", "--until", "20s"],
      ["run", "--replay", "REPLAY"],
      // Watched as the dashboard watches (its model and snapshots) and sampled.
      ["run", "--requests", "200", "--observe"],
    ])
  func testHTMLLeavesEventsByteIdentical(args: [String]) throws {
    // Each case runs beside the others: files of its own.
    let id = UUID().uuidString
    let replay = tempPath("report-\(id).replay")
    defer { try? FileManager.default.removeItem(atPath: replay) }
    // A session: ten requests at the start, a mapping paused and resumed, five more.
    try """
    {"fanout_replay":1,"seed":3,"scenario":null}
    {"jobs":0,"time_us":1767225600000000,"command":"fire","count":10}
    {"jobs":40,"time_us":1767225600150000,"command":"mapping","index":0,"enabled":false}
    {"jobs":90,"time_us":1767225600400000,"command":"fire","count":5}
    {"jobs":150,"time_us":1767225601500000,"command":"mapping","index":0,"enabled":true}
    {"jobs":300,"time_us":1767225603000000,"command":"end"}

    """.write(toFile: replay, atomically: true, encoding: .utf8)
    let resolved = args.map { $0.hasPrefix("config/") ? repoPath($0) : $0 == "REPLAY" ? replay : $0 }
    let plain = tempPath("report-\(id)-plain.jsonl")
    let sampled = tempPath("report-\(id)-sampled.jsonl")
    let page = tempPath("report-\(id).html")
    defer { for p in [plain, sampled, page] { try? FileManager.default.removeItem(atPath: p) } }
    let a = try runFanout(resolved + ["--events", plain])
    let b = try runFanout(resolved + ["--events", sampled, "--html", page])
    #expect(a.status == b.status, "\(a.err)\(b.err)")
    let x = try Data(contentsOf: URL(fileURLWithPath: plain))
    let y = try Data(contentsOf: URL(fileURLWithPath: sampled))
    #expect(x.count > 10_000)
    #expect(x == y)
    // The printed report is the same too, but for the wall-time line.
    func figures(_ out: String) -> [Substring] { out.split(separator: "\n").filter { !$0.hasPrefix("wall time") } }
    #expect(figures(a.out) == figures(b.out))
    let html = try String(contentsOfFile: page, encoding: .utf8)
    #expect(html.contains("<svg class=\"chart\" data-chart=\"latency\""))
  }

  @Test("The built-in pipeline's page: the diagram, every chart, the summary fanout run prints")
  func testHTMLOfTheBuiltInPipeline() throws {
    let page = tempPath("report-builtin.html")
    defer { try? FileManager.default.removeItem(atPath: page) }
    let r = try runFanout(["run", "--requests", "200", "--rate", "100", "--html", page])
    #expect(r.status == 0, "\(r.err)")
    let html = try String(contentsOfFile: page, encoding: .utf8)
    #expect(html.contains("<title>fanout run — seed-pipeline, seed 1</title>"))
    #expect(html.contains("<svg class=\"diagram\" data-chart=\"pipeline\""))
    for id in ["queue-depth", "queue-in-flight", "dlq-depth", "concurrency", "invocations", "failures", "latency"] {
      #expect(html.contains("<svg class=\"chart\" data-chart=\"\(id)\""), "\(id)")
    }
    // The summary: what was printed, line for line (but for the wall-time line, measured again).
    for line in r.out.split(separator: "\n") where !line.hasPrefix("wall time") && !line.isEmpty {
      let escaped = line.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
      #expect(html.contains(escaped), "\(line)")
    }
  }
}
