import Foundation
import Testing
import Yams

@testable import FanoutScenario
@testable import FanoutSim

/// A small sweep of the built-in pipeline: 2 rates × 3 seeds, 8 requests a run.
func smallPlan(vary: [String] = ["rate=50,400"], seeds: Int = 3) throws -> SweepPlan {
  try SweepPlan.make(pipeline: .builtIn(), seeds: seeds, requests: 8, vary: vary)
}

/// The shards of a plan, each through its JSON text, as `fanout sweep merge` reads them.
func shards(_ plan: SweepPlan, _ n: Int, jobs: Int = 1) throws -> [(file: String, shard: SweepShard)] {
  try (1...n).map { k in
    let table = try plan.run(runs: plan.definition.runs(ofShard: k, of: n), jobs: jobs)
    let text = SweepShard(definition: plan.definition, index: k, count: n, table: table).json
    return ("shard-\(k).json", try SweepShard.parse(text, file: "shard-\(k).json"))
  }
}

func mergeMessage(_ s: [(file: String, shard: SweepShard)]) -> String {
  do {
    _ = try SweepShard.merge(s)
    return "merged"
  } catch {
    return "\(error)"
  }
}

@Suite("Sweep runs, shards and merge")
struct SweepShardTests {
  @Test func testARunOfASweepIsTheRunFanoutRunMakesWithItsSeed() throws {
    let plan = try smallPlan()
    // Run 5 is the second combination (rate 400) with seed 2.
    let (drained, readings) = try plan.run(4)
    let sim = try Simulation(topology: .seedPipeline(), seed: 2)
    sim.startLoad(count: 8, rate: 400)
    #expect(sim.runUntilDrained() == drained)
    let latency = LatencySummary(sim.tracker.endToEnd)
    #expect(readings[0].value == Double(sim.tracker.completed))
    #expect(readings[1].value == latency.p50.milliseconds && readings[2].value == latency.p99.milliseconds)
    #expect(readings[3].value == Double(sim.queues.map(\.counters.maxDepth).max()!))
    #expect(readings[6].value == Double(sim.functions.map(\.counters.maxConcurrency).max()!))
    #expect(readings[6].component == 0, "the preprocessor is the busiest at 400 requests a second")
  }

  @Test func testTheTableIsTheSameWhateverTheThreads() throws {
    let plan = try smallPlan()
    let all = Array(0..<plan.definition.runCount)
    let one = try SweepReport(definition: plan.definition, table: try plan.run(runs: all, jobs: 1))
    let three = try SweepReport(definition: plan.definition, table: try plan.run(runs: all, jobs: 3))
    #expect(one.text == three.text && one.json == three.json && one.csv == three.csv)
  }

  @Test func testShardsMergeIntoTheWholeSweepByteForByte() throws {
    let plan = try smallPlan()
    let d = plan.definition
    let whole = try SweepReport(definition: d, table: try plan.run(runs: Array(0..<d.runCount), jobs: 2))
    #expect(d.runs(ofShard: 2, of: 4) == [1, 5])
    let (md, table) = try SweepShard.merge(try shards(plan, 4).reversed())
    let merged = try SweepReport(definition: md, table: table)
    #expect(merged.text == whole.text)
    #expect(merged.json == whole.json)
    #expect(merged.csv == whole.csv)
  }

  @Test func testAShardsRawFiguresReadBackToTheSameBits() throws {
    let plan = try smallPlan(seeds: 2)
    let table = try plan.run(runs: [0, 1, 2, 3], jobs: 1)
    let shard = SweepShard(definition: plan.definition, index: 1, count: 1, table: table)
    let back = try SweepShard.parse(shard.json, file: "s.json")
    #expect(back.definition == plan.definition)
    for slot in 0..<4 {
      #expect(back.table.drained(slot) == table.drained(slot))
      for f in 0..<table.figureCount {
        #expect(back.table.value(slot, f)?.bitPattern == table.value(slot, f)?.bitPattern)
        #expect(back.table.component(slot, f) == table.component(slot, f))
      }
    }
    // A value with no short decimal form, and one a JSON reader might round.
    let t = SweepTable(runs: [0], figureCount: 2)
    t.store(0, drained: false, readings: [SweepReading(0.1 + 0.2), SweepReading(1e-300, component: 3)])
    var d = plan.definition
    d.seeds = 1
    d.axes = []
    d.figures = Array(d.figures.prefix(2))
    let r = try SweepShard.parse(SweepShard(definition: d, index: 1, count: 1, table: t).json, file: "t.json")
    #expect(r.table.value(0, 0) == 0.1 + 0.2 && r.table.value(0, 1) == 1e-300 && r.table.component(0, 1) == 3)
  }

  @Test func testMergeRefusesShardsOfDifferentScenarioTextByName() throws {
    let plan = try smallPlan()
    var other = try shards(plan, 2)
    other[1].file = "other.json"
    other[1].shard.definition.fingerprint = sha256Hex("another scenario")
    let m = mergeMessage(other)
    #expect(
      m.hasPrefix("other.json and shard-1.json were cut from different pipelines: the scenario fingerprints differ"))
  }

  @Test func testMergeRefusesShardsOfDifferentSweeps() throws {
    let a = try shards(try smallPlan(), 2)
    let b = try shards(try smallPlan(vary: ["rate=50,300"]), 2)
    #expect(
      mergeMessage([a[0], b[1]])
        == "shard-2.json and shard-1.json are shards of different sweeps: their --vary differ (rate=50,300 and rate=50,400)"
    )
    let c = try shards(try smallPlan(seeds: 4), 2)
    #expect(mergeMessage([a[0], c[1]]).contains("their seeds differ (4 seeds from 1 and 3 seeds from 1)"))
    let four = try shards(try smallPlan(), 3)
    #expect(mergeMessage([a[0], four[1]]) == "shard-2.json is shard 2 of 3 but shard-1.json is shard 1 of 2")
  }

  @Test func testMergeRefusesAMissingOrRepeatedSliceByName() throws {
    let s = try shards(try smallPlan(), 4)
    #expect(
      mergeMessage([s[0], s[2]])
        == "shards 2 and 4 of 4 are missing: merge needs every slice (--shard K/4 for K = 1 … 4)")
    #expect(mergeMessage([s[0], s[1], s[3]]).hasPrefix("shard 3 of 4 is missing"))
    var again = s[1]
    again.file = "copy-of-2.json"
    #expect(mergeMessage(s + [again]) == "shard 2 of 4 is given twice: shard-2.json and copy-of-2.json")
    #expect(mergeMessage([]) == "no shards to merge")
  }

  @Test func testAShardThatWasCutShortOrIsNotAShardIsRefused() throws {
    let plan = try smallPlan()
    let table = try plan.run(runs: plan.definition.runs(ofShard: 1, of: 2), jobs: 1)
    let text = SweepShard(definition: plan.definition, index: 1, count: 2, table: table).json
    // Drop the last run.
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines.remove(at: lines.count - 2)
    lines[lines.count - 2].removeLast()  // its comma
    let cut = lines.joined(separator: "\n")
    func message(_ t: String) -> String {
      do {
        _ = try SweepShard.parse(t, file: "s.json")
        return "parsed"
      } catch {
        return "\(error)"
      }
    }
    #expect(message(cut) == "s.json: shard 1 of 2 should hold 3 runs but holds 2: it was cut short or changed")
    #expect(message("{}").hasPrefix("s.json: not a fanout sweep shard: no fanout_sweep_shard"))
    #expect(message("not json") == "s.json: not a fanout sweep shard: not JSON")
    #expect(
      message(text.replacingOccurrences(of: "\"fanout_sweep_shard\":1", with: "\"fanout_sweep_shard\":9")).contains(
        "format 9"))
  }
}

@Suite("A sweep as a Kubernetes Indexed Job")
struct SweepKubernetesTests {
  let job = SweepKubernetesJob(
    image: "registry.example/fanout:1", shards: 4,
    arguments: ["--scenario", "/sweep/my scenario.yaml", "--seeds", "20", "--vary", "rate=50,100"],
    files: [("my-scenario.yaml", "name: x\nqueues:\n  - name: q\n")])

  @Test func testTheManifestIsAnIndexedJobWithOneCompletionPerShard() throws {
    let docs = Array(try Yams.load_all(yaml: job.manifest))
    #expect(docs.count == 2)
    let config = try #require(docs[0] as? [String: Any])
    #expect(config["kind"] as? String == "ConfigMap")
    #expect((config["data"] as? [String: String])?["my-scenario.yaml"] == "name: x\nqueues:\n  - name: q\n")
    let j = try #require(docs[1] as? [String: Any])
    #expect(j["apiVersion"] as? String == "batch/v1" && j["kind"] as? String == "Job")
    let spec = try #require(j["spec"] as? [String: Any])
    #expect(spec["completionMode"] as? String == "Indexed")
    #expect(spec["completions"] as? Int == 4 && spec["parallelism"] as? Int == 4)
    let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
    #expect(pod["restartPolicy"] as? String == "Never")
    let container = try #require((pod["containers"] as? [[String: Any]])?.first)
    #expect(container["image"] as? String == "registry.example/fanout:1")
    #expect(container["command"] as? [String] == ["/bin/sh", "-c"])
    let args = try #require(container["args"] as? [String])
    #expect(args.count == 1 && args[0].contains("$$((JOB_COMPLETION_INDEX + 1))"), "every $ escaped for Kubernetes")
  }

  @Test func testThePodsShellTurnsTheZeroBasedCompletionIndexIntoShardKOfN() throws {
    // What Kubernetes passes the shell ($$ → $), run by /bin/sh with a stand-in fanout.
    let docs = Array(try Yams.load_all(yaml: job.manifest))
    let spec = (docs[1] as? [String: Any])?["spec"] as? [String: Any]
    let pod = (spec?["template"] as? [String: Any])?["spec"] as? [String: Any]
    let script = try #require(((pod?["containers"] as? [[String: Any]])?.first?["args"] as? [String])?.first)
      .replacingOccurrences(of: "$$", with: "$")
    let dir = NSTemporaryDirectory() + "fanout-k8s-\(ProcessInfo.processInfo.processIdentifier)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n".write(
      toFile: dir + "/fanout", atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/fanout")
    for index in 0..<4 {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/bin/sh")
      p.arguments = ["-c", script]
      p.environment = ["PATH": dir + ":/usr/bin:/bin", "JOB_COMPLETION_INDEX": String(index)]
      let out = Pipe()
      p.standardOutput = out
      try p.run()
      let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      #expect(
        text.split(separator: "\n").map(String.init) == [
          "sweep", "--scenario", "/sweep/my scenario.yaml", "--seeds", "20", "--vary", "rate=50,100", "--shard",
          "\(index + 1)/4", "--out", "/results/shard-\(index + 1).json",
        ])
    }
  }

  @Test(
    "A file in the ConfigMap reads back byte for byte, whatever its text",
    arguments: [
      "a: 1\n", "a: 1", "a: 1\n\n\n", "  indented first\nb\n", "\n\nlater: x\n", "tab\there\n", "\tleading tab\n",
      "crlf\r\nline\r\n", "unicode: é ✓ 日本\n", "# comment\n---\nkey: |\n  block\n", "", "\n",
      "trailing spaces   \nx  \n", "\u{7}bell\n",
    ])
  func testConfigMapTextReadsBackExactly(text: String) throws {
    let yaml = "data:\n  f: " + yamlText(text, indent: "    ") + "\n"
    let doc = try #require(try Yams.load(yaml: yaml) as? [String: Any])
    #expect((doc["data"] as? [String: Any])?["f"] as? String == text, "\(yaml)")
  }
}
