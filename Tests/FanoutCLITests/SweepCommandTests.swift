import Foundation
import Testing
import Yams

@testable import FanoutScenario

/// GNU parallel, which the shard test runs the shards through.
func parallelAvailable() -> Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/parallel") }

/// A small sweep of the built-in pipeline: 2 rates × 3 seeds, 10 requests a run.
let smallSweep = ["sweep", "--seeds", "3", "--requests", "10", "--vary", "rate=50,400"]

/// A temporary folder for one test, removed by the caller.
func tempDir(_ name: String) throws -> String {
  let dir = tempPath(name)
  try? FileManager.default.removeItem(atPath: dir)
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}

@Suite("fanout sweep")
struct SweepCommandTests {
  @Test func testSweepOutputIsTheSameByteForByteWhateverTheJobs() throws {
    for format in [[], ["--json"], ["--csv"]] {
      let one = try runFanout(smallSweep + format + ["--jobs", "1"])
      let three = try runFanout(smallSweep + format + ["--jobs", "3"])
      #expect(one.status == 0 && three.status == 0, "\(one.err)\(three.err)")
      #expect(!one.out.isEmpty && one.out == three.out, "\(format)")
    }
    let text = try runFanout(smallSweep + ["--jobs", "2"]).out
    #expect(text.hasPrefix("fanout sweep — seed-pipeline (the built-in pipeline, fingerprint "))
    #expect(text.contains("2 combinations × 3 seeds (1–3) = 6 runs; each run fires 10 requests at the varied rate"))
    #expect(text.contains("[1/2] rate=50: 3 runs, 3 drained") && text.contains("[2/2] rate=400: 3 runs, 3 drained"))
    for title in [
      "requests completed", "p50 end-to-end latency", "p99 end-to-end latency", "max queue depth",
      "oldest message age", "messages in DLQs", "peak concurrency",
    ] {
      #expect(text.contains("\n  \(title) "), "\(title)")
    }
    #expect(text.contains("preprocessor (3 of 3)"), "the busiest function, named")
  }

  @Test func testTheJSONAndCSVCarryEveryCombinationAndFigure() throws {
    let obj = try jsonObject(try runFanout(smallSweep + ["--json"]).out)
    let combinations = try #require(obj["combinations"] as? [[String: Any]])
    #expect(combinations.count == 2)
    #expect((combinations[1]["values"] as? [String: String]) == ["rate": "400"])
    let completed = try #require((combinations[0]["figures"] as? [String: Any])?["completed"] as? [String: Any])
    #expect(completed["n"] as? Int == 3 && completed["mean"] as? Double == 10 && completed["ci95_low"] as? Double == 10)
    let depth = try #require((combinations[0]["figures"] as? [String: Any])?["max_queue_depth"] as? [String: Any])
    #expect((depth["most_often"] as? [String: Any])?["name"] != nil)
    #expect(((obj["figures"] as? [[String: Any]])?.map { $0["key"] as? String }.count) == SweepFigure.all.count)
    #expect(SweepFigure.all.map(\.key).contains("cost_usd"))
    let csv = try runFanout(smallSweep + ["--csv"]).out.split(separator: "\n")
    #expect(csv.first == "combination,rate,figure,unit,n,mean,p5,p50,p95,ci95_low,ci95_high,most_often,most_often_runs")
    #expect(csv.count == 1 + 2 * SweepFigure.all.count)
    #expect(csv[1].hasPrefix("1,50,completed,requests,3,10,10,10,10,10,10,,"))
  }

  @Test(.enabled(if: parallelAvailable(), "GNU parallel is not installed (apt-get install parallel)"))
  func testFourShardsRunThroughGNUParallelMergeIntoTheWholeSweepByteForByte() throws {
    let dir = try tempDir("shards")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let args = [
      "sweep", "--seeds", "3", "--requests", "10", "--vary", "rate=50,400", "--vary",
      "mapping.service01.BatchSize=1,10",
    ]
    let command = ([repoPath(".build/debug/fanout")] + args).map(shellQuote).joined(separator: " ")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/parallel")
    p.arguments = [
      "--will-cite", "--halt", "now,fail=1", command + " --shard {}/4 --out " + shellQuote(dir) + "/shard-{}.json",
      ":::", "1", "2", "3", "4",
    ]
    p.standardInput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    let files = (1...4).map { "\(dir)/shard-\($0).json" }
    for format in [[], ["--json"], ["--csv"]] {
      let whole = try runFanout(args + format)
      let merged = try runFanout(["sweep", "merge"] + files.reversed() + format)
      #expect(whole.status == 0 && merged.status == 0, "\(merged.err)")
      #expect(merged.out == whole.out, "\(format)")
    }
  }

  @Test func testSweepHTMLIsTheSameWhateverTheJobsAndEqualsTheMergedShardsPage() throws {
    let dir = try tempDir("sweep-html")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let args = smallSweep + ["--vary", "mapping.service01.BatchSize=1,10"]
    let plain = try runFanout(args + ["--jobs", "2"])
    let one = try runFanout(args + ["--jobs", "1", "--html", "\(dir)/one.html"])
    let three = try runFanout(args + ["--jobs", "3", "--html", "\(dir)/three.html"])
    #expect(one.status == 0 && three.status == 0, "\(one.err)\(three.err)")
    #expect(one.out == plain.out, "--html changes nothing fanout sweep prints")
    let page = try String(contentsOfFile: "\(dir)/one.html", encoding: .utf8)
    #expect(try String(contentsOfFile: "\(dir)/three.html", encoding: .utf8) == page)
    #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<h1>fanout sweep — seed-pipeline</h1>"))
    for f in SweepFigure.all {
      #expect(
        page.contains(
          "<svg class=\"chart\" data-chart=\"\(f.key)\" data-subject=\"rate × mapping.service01.BatchSize\""))
    }
    // Shards, merged in any order: the same page, and the same text.
    for k in 1...3 {
      let r = try runFanout(args + ["--shard", "\(k)/3", "--out", "\(dir)/s\(k).json"])
      #expect(r.status == 0, "\(r.err)")
    }
    let merged = try runFanout([
      "sweep", "merge", "\(dir)/s2.json", "\(dir)/s3.json", "\(dir)/s1.json", "--html", "\(dir)/m.html",
    ])
    #expect(merged.status == 0, "\(merged.err)")
    #expect(merged.out == plain.out)
    #expect(try String(contentsOfFile: "\(dir)/m.html", encoding: .utf8) == page)
    // --json with --html: the JSON on stdout, the same page.
    let json = try runFanout(args + ["--json", "--html", "\(dir)/j.html"])
    let jsonPage = try String(contentsOfFile: "\(dir)/j.html", encoding: .utf8)
    #expect(json.out.hasPrefix("{") && jsonPage == page)
  }

  @Test func testMergeRefusesMissingRepeatedAndMismatchedShardsByName() throws {
    let dir = try tempDir("refusals")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for k in 1...3 {
      #expect(try runFanout(smallSweep + ["--shard", "\(k)/3", "--out", "\(dir)/s\(k).json"]).status == 0)
    }
    func refused(_ files: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
      let r = try runFanout(["sweep", "merge"] + files.map { "\(dir)/\($0)" })
      #expect(r.status == 2, sourceLocation: sourceLocation)
      #expect(r.out.isEmpty && r.err.contains(message), "\(r.err)", sourceLocation: sourceLocation)
    }
    try refused(["s1.json", "s3.json"], "shard 2 of 3 is missing")
    try refused(
      ["s1.json", "s2.json", "s2.json", "s3.json"], "shard 2 of 3 is given twice: \(dir)/s2.json and \(dir)/s2.json")
    // The same sweep of a scenario whose text differs by a comment: a different fingerprint.
    let a = "\(dir)/a.yaml"
    let b = "\(dir)/b.yaml"
    let text = try String(contentsOfFile: repoPath("config/seed-pipeline.yaml"), encoding: .utf8)
    try text.write(toFile: a, atomically: true, encoding: .utf8)
    try (text + "# changed\n").write(toFile: b, atomically: true, encoding: .utf8)
    for (file, k) in [(a, 1), (b, 2)] {
      let r = try runFanout([
        "sweep", "--scenario", file, "--seeds", "2", "--shard", "\(k)/2", "--out", "\(dir)/f\(k).json",
      ])
      #expect(r.status == 0, "\(r.err)")
    }
    try refused(["f1.json", "f2.json"], "were cut from different pipelines: the scenario fingerprints differ")
    try refused(["s1.json", "f2.json"], "were cut from different pipelines")
    try "{\"hello\": 1}".write(toFile: "\(dir)/x.json", atomically: true, encoding: .utf8)
    try refused(["x.json"], "x.json: not a fanout sweep shard")
    try refused(["nothing.json"], "cannot read \(dir)/nothing.json")
  }

  @Test func testARunOfTheSweepIsFanoutRunWithItsSeed() throws {
    let shard = try jsonObject(try runFanout(smallSweep + ["--shard", "1/1"]).out)
    let runs = try #require(shard["runs"] as? [[String: Any]])
    #expect(runs.count == 6)
    // Run 5: the second combination (rate 400), seed 2.
    let five = runs[4]
    #expect(five["run"] as? Int == 5 && five["seed"] as? String == "2" && five["combination"] as? Int == 2)
    let values = try #require(five["values"] as? [Any])
    let report = try jsonObject(
      try runFanout(["run", "--seed", "2", "--requests", "10", "--rate", "400", "--json"]).out)
    #expect(values[0] as? Double == value(at: "requests.completed", in: report) as? Double)
    #expect(values[1] as? Double == value(at: "latency.end_to_end.p50_ms", in: report) as? Double)
    #expect(values[2] as? Double == value(at: "latency.end_to_end.p99_ms", in: report) as? Double)
    let queues = try #require(report["queues"] as? [String: [String: Any]])
    #expect(values[3] as? Int == queues.values.compactMap { $0["max_depth"] as? Int }.max())
    let functions = try #require(report["functions"] as? [String: [String: Any]])
    #expect(values[6] as? Int == functions.values.compactMap { $0["max_concurrency"] as? Int }.max())
  }

  @Test func testAScenarioSweepPlaysItsOwnLoadAndCountsItsDeadLetters() throws {
    let r = try runFanout([
      "sweep", "--scenario", repoPath("config/poison-dlq.yaml"), "--seeds", "2", "--seed-base", "5", "--json",
    ])
    #expect(r.status == 0, "\(r.err)")
    let obj = try jsonObject(r.out)
    #expect(value(at: "sweep.seeds.first", in: obj) as? String == "5")
    #expect(value(at: "sweep.load", in: obj) is NSNull, "the scenario's own load, no --requests")
    let c = try #require((obj["combinations"] as? [[String: Any]])?.first)
    let dlq = try #require((c["figures"] as? [String: Any])?["dlq_messages"] as? [String: Any])
    #expect((dlq["mean"] as? Double ?? 0) > 0, "the poison messages end in the DLQ")
  }

  @Test(
    "Every --vary key error exits with status 2, located, before anything runs",
    arguments: [
      ("rat=1", "unknown key 'rat' (did you mean 'rate'?)"),
      ("rate=0", "value 1, '0': expected a rate above 0"),
      ("requests=x", "value 1, 'x': expected a whole number"),
      ("accountConcurrency=0", "expected a number from 1 to 100000"),
      ("queue.service01.VisibilityTimeout=43201", "Invalid value for the parameter VisibilityTimeout"),
      ("queue.service01.DelaySeconds=-1", "Invalid value for the parameter DelaySeconds"),
      ("queue.service01.MessageRetentionPeriod=59", "Invalid value for the parameter MessageRetentionPeriod"),
      ("queue.service01.ReceiveMessageWaitTimeSeconds=21", "ReceiveMessageWaitTimeSeconds"),
      ("queue.service01.maxReceiveCount=1001", "Invalid value for the parameter maxReceiveCount"),
      ("queue.service01.duplicateRate=2", "expected a number from 0.0 to 1.0"),
      ("queue.servce01.VisibilityTimeout=1", "queue 'servce01' is not defined (did you mean 'service01'?)"),
      ("mapping.service01.BatchSize=0", "Member must have value between 1 and 10000"),
      ("mapping.service01.MaximumBatchingWindowInSeconds=301", "maximumBatchingWindowInSeconds"),
      ("mapping.service01.MaximumConcurrency=1001", "scalingConfig.maximumConcurrency"),
      (
        "mapping.servic01.BatchSize=1",
        "no event source mapping reads from queue 'servic01' (did you mean 'service01'?)"
      ),
      ("function.service01.Timeout=901", "Value 901 at 'timeout' failed to satisfy constraint"),
      ("function.service01.ReservedConcurrentExecutions=-1", "expected a number from 0 to 100000"),
      ("function.service01.errorRate=2", "expected a number from 0.0 to 1.0, found 2"),
      ("function.service01.timeoutRate=2", "expected a number from 0.0 to 1.0, found 2"),
      ("function.service01.itemFailureRate=2", "expected a number from 0.0 to 1.0, found 2"),
      ("function.service01.duration=soon", "expected a duration such as 500ms"),
      ("function.service01.Memory=128", "unknown function attribute 'Memory'"),
      ("mapping.service01.BatchSize=11", "the combination mapping.service01.BatchSize=11: Invalid request provided"),
    ])
  func testEveryVaryKeyErrorExitsWithStatus2(argument: String, mentions: String) throws {
    let r = try runFanout(["sweep", "--seeds", "1", "--vary", argument])
    #expect(r.status == 2, "\(argument): \(r.err)")
    #expect(r.err.contains(mentions), "\(argument): \(r.err)")
    #expect(r.out.isEmpty && !r.err.contains("Fatal error"))
  }

  @Test(
    "Bad sweep arguments exit with status 2 and say why",
    arguments: [
      (["sweep"], "fanout sweep needs --seeds N"),
      (["sweep", "--seeds", "0"], "--seeds must be between 1 and 1000000"),
      (["sweep", "--seeds", "2", "--jobs", "0"], "--jobs must be between 1 and 4096"),
      (["sweep", "--seeds", "2", "--json", "--csv"], "--json and --csv cannot be combined"),
      (["sweep", "--seeds", "2", "--shard", "0/4"], "--shard takes K/N"),
      (["sweep", "--seeds", "2", "--shard", "5/4"], "--shard takes K/N"),
      (["sweep", "--seeds", "2", "--shard", "3/3"], "the sweep has 2 runs, so at most 2 shards"),
      (["sweep", "--seeds", "2", "--shard", "1/2", "--json"], "--shard writes its raw results as JSON"),
      (["sweep", "--seeds", "2", "--shards", "2"], "--shards and --image go with --emit-k8s-job"),
      (["sweep", "--seeds", "2", "--emit-k8s-job", "--shards", "3"], "--shards 3 is more than the sweep's 2 runs"),
      (["sweep", "--seeds", "2", "--rate", "0"], "--rate must be above 0"),
      (["sweep", "--seeds", "2", "--until", "soon"], "--until must be a positive duration"),
      (["sweep", "--seeds", "2", "--vary", "rate=1", "--vary", "rate=2"], "rate is already varied"),
      (["sweep", "--seeds", "2", "--scenario", "/nonexistent.yaml"], "cannot read the file"),
      (["sweep", "--seeds", "2", "--out", "/nonexistent-dir/x.txt"], "cannot write /nonexistent-dir/x.txt"),
      (["sweep", "merge"], "Missing expected argument '<files> ...'"),
      (["sweep", "--seeds", "2", "--shard", "1/2", "--html", "x.html"], "--html goes with a whole sweep"),
      (["sweep", "--seeds", "2", "--emit-k8s-job", "--html", "x.html"], "drop --json, --csv, --out and --html"),
      (
        ["sweep", "--seeds", "2", "--html", "/nonexistent-dir/x.html"],
        "cannot write the report to /nonexistent-dir/x.html"
      ),
      (["sweep", "merge", "x.json", "--html", "/nonexistent-dir/x.html"], "cannot read x.json"),
    ])
  func testBadSweepArgumentsExitWithStatus2(args: [String], mentions: String) throws {
    let r = try runFanout(args)
    #expect(r.status == 2, "\(args): \(r.err)")
    #expect(r.err.contains(mentions), "\(args): \(r.err)")
    #expect(!r.err.contains("Fatal error"))
  }

  @Test func testEmitK8sJobPrintsAnIndexedJobThatRunsEachShard() throws {
    let scenario = repoPath("config/slow-consumer.yaml")
    let r = try runFanout([
      "sweep", "--scenario", scenario, "--seeds", "20", "--requests", "50", "--vary", "rate=5,10",
      "--emit-k8s-job", "--shards", "4", "--image", "ghcr.io/example/fanout:1",
    ])
    #expect(r.status == 0, "\(r.err)")
    let docs = Array(try Yams.load_all(yaml: r.out))
    #expect(docs.count == 2)
    let config = try #require(docs[0] as? [String: Any])
    #expect(config["kind"] as? String == "ConfigMap")
    let text = try String(contentsOfFile: scenario, encoding: .utf8)
    #expect((config["data"] as? [String: String])?["slow-consumer.yaml"] == text, "the scenario, byte for byte")
    let job = try #require(docs[1] as? [String: Any])
    #expect(job["kind"] as? String == "Job" && job["apiVersion"] as? String == "batch/v1")
    let spec = try #require(job["spec"] as? [String: Any])
    #expect(spec["completionMode"] as? String == "Indexed")
    #expect(spec["completions"] as? Int == 4 && spec["parallelism"] as? Int == 4)
    let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
    let container = try #require((pod["containers"] as? [[String: Any]])?.first)
    #expect(container["image"] as? String == "ghcr.io/example/fanout:1")
    let script = try #require((container["args"] as? [String])?.first)
    #expect(
      script
        == "shard=$$((JOB_COMPLETION_INDEX + 1)) && exec fanout sweep --scenario /sweep/slow-consumer.yaml --seeds 20 --vary rate=5,10 --requests 50 --shard \"$$shard/4\" --out \"/results/shard-$$shard.json\""
    )
    let volumes = try #require(pod["volumes"] as? [[String: Any]])
    #expect(
      volumes.contains {
        ($0["configMap"] as? [String: Any])?["name"] as? String == (config["metadata"] as? [String: Any])?["name"]
          as? String
      })
    #expect(
      volumes.contains {
        ($0["persistentVolumeClaim"] as? [String: Any])?["claimName"] as? String == "fanout-sweep-results"
      })
  }

  @Test func testSweepHelpNamesItsSubcommands() throws {
    let r = try runFanout(["sweep", "--help"], environment: ["COLUMNS": "80"])
    #expect(r.status == 0)
    #expect(r.out.contains("run (default)") && r.out.contains("merge"))
    let run = try runFanout(["sweep", "run", "--help"], environment: ["COLUMNS": "200"])
    for option in [
      "--vary", "--seeds", "--seed-base", "--jobs", "--shard", "--out", "--emit-k8s-job", "--json", "--csv", "--html",
    ] {
      #expect(run.out.contains(option), "\(option)")
    }
  }
}
