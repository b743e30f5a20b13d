import Foundation
import Testing

/// Runs the built `fanout` binary and returns its exit status, standard output and standard error;
/// `environment` adds to (or overrides) the test's own.
func runFanout(_ args: [String], environment: [String: String] = [:]) throws -> (
  status: Int32, out: String, err: String
) {
  var root = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { root.deleteLastPathComponent() }
  let binary = root.appendingPathComponent(".build/debug/fanout")
  let p = Process()
  p.executableURL = binary
  p.arguments = args
  if !environment.isEmpty {
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
  }
  let out = Pipe()
  let err = Pipe()
  p.standardOutput = out
  p.standardError = err
  p.standardInput = FileHandle.nullDevice
  try p.run()
  let o = out.fileHandleForReading.readDataToEndOfFile()
  let e = err.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

func tempPath(_ name: String) -> String {
  NSTemporaryDirectory() + "fanout-test-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
}

/// A JSON object from text; an issue (not a crash) when the text is not one.
func jsonObject(_ text: some StringProtocol, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any]
{
  let value = try JSONSerialization.jsonObject(with: Data(String(text).utf8))
  return try #require(value as? [String: Any], "not a JSON object: \(text)", sourceLocation: sourceLocation)
}

/// The names in the built-in pipeline that the README's placeholders stand for, by the key
/// they follow.
let builtInNames: [String: [String]] = [
  "queues": ["service01", "service01-dlq", "service02", "service02-dlq", "service03", "service03-dlq"],
  "topics": ["connector", "notifier"],
  "functions": ["preprocessor", "service01", "service02", "service03"],
  "mappings": ["service01", "service02", "service03"],
  "sinks": ["email"],
  "latency.stages": ["service01", "service02", "service03"],
]

/// The keys the README's "### The JSON report" table documents: the backticked keys of its first
/// column, `.x` shorthands completed from the key before them, placeholders (`<name>`, `<service>`,
/// `<queue>`) replaced by the built-in pipeline's names.
func documentedReportKeys(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
  let readme = try String(contentsOfFile: repoPath("README.md"), encoding: .utf8)
  let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  let heading = try #require(
    lines.firstIndex(of: "### The JSON report"), "README.md has no JSON report section",
    sourceLocation: sourceLocation)
  var keys: [String] = []
  for line in lines[(heading + 1)...] {
    if line.hasPrefix("#") { break }
    guard line.hasPrefix("| `") else { continue }
    let cells = line.split(separator: "|", omittingEmptySubsequences: false)
    let names = cells[1].split(separator: "`", omittingEmptySubsequences: false).enumerated()
      .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    var full = ""
    for name in names {
      if name.hasPrefix(".") {
        // `.purged` after `queues.<name>.expired` is `queues.<name>.purged`.
        guard let dot = full.lastIndex(of: ".") else {
          Issue.record("'\(name)' follows no dotted key: \(line)", sourceLocation: sourceLocation)
          continue
        }
        keys.append(String(full[..<dot]) + name)
      } else {
        full = name
        keys.append(name)
      }
    }
  }
  var expanded: [String] = []
  for key in keys {
    let parts = key.split(separator: ".").map(String.init)
    guard let i = parts.firstIndex(where: { $0.hasPrefix("<") && $0.hasSuffix(">") }) else {
      expanded.append(key)
      continue
    }
    let owner = parts[..<i].joined(separator: ".")
    guard let names = builtInNames[owner] else {
      Issue.record("no built-in names for \(parts[i]) in \(key)", sourceLocation: sourceLocation)
      continue
    }
    for n in names { expanded.append((parts[..<i] + [n] + parts[(i + 1)...]).joined(separator: ".")) }
  }
  return expanded
}

/// Every leaf of a JSON value as a dotted path (an array is a leaf).
func leafPaths(_ value: Any, _ prefix: String = "") -> [String] {
  guard let object = value as? [String: Any] else { return [prefix] }
  return object.flatMap { k, v in leafPaths(v, prefix.isEmpty ? k : prefix + "." + k) }
}

/// The value at a dotted path, or nil where a part is missing.
func value(at path: String, in object: [String: Any]) -> Any? {
  var current: Any = object
  for part in path.split(separator: ".") {
    guard let o = current as? [String: Any], let next = o[String(part)] else { return nil }
    current = next
  }
  return current
}

@Suite("fanout run")
struct RunCommandTests {
  @Test(
    "Bad arguments: a clear message and exit status 2",
    arguments: [
      (["run", "--requests", "-1"], "--requests"),
      (["run", "--requests", "100000001"], "--requests"),
      (["run", "--rate", "0"], "--rate"),
      (["run", "--rate", "nan"], "--rate"),
      (["run", "--until", "soon"], "--until"),
      (["run", "--until", "400d"], "--until"),
      (["run", "--seed", "-5"], "seed"),
      (["run", "--requests", "lots"], "requests"),
      (["run", "--bogus"], "--bogus"),
      (["run", "--events", "/nonexistent-dir/events.jsonl"], "cannot write events to /nonexistent-dir/events.jsonl"),
      (["run", "--html", "/nonexistent-dir/report.html"], "cannot write the report to /nonexistent-dir/report.html"),
    ])
  func badArguments(args: [String], mentions: String) throws {
    let r = try runFanout(args)
    #expect(r.status == 2, "\(args): \(r.err)")
    #expect(r.err.contains(mentions), "\(args): \(r.err)")
    #expect(!r.err.contains("Fatal error"))
  }

  @Test("The README's JSON report table: parsed into every key it documents, the pipeline's names filled in")
  func documentedKeysParse() throws {
    let keys = try documentedReportKeys()
    #expect(Set(keys).count == keys.count, "a key documented twice")
    for key in [
      "scenario", "seed", "requests.duplicate_stage_completions", "latency.end_to_end", "latency.stages.service02",
      "s3.get_misses", "queues.service01-dlq.moved_in", "queues.service03.purged", "queues.service02.in_flight",
      "topics.notifier.filtered_out", "functions.preprocessor.cold_starts", "mappings.service01.max_concurrent_batches",
      "sinks.email", "conservation.holds", "requests_per_second", "expectations",
    ] {
      #expect(keys.contains(key), "\(key)")
    }
    #expect(!keys.contains { $0.contains("<") || $0.hasPrefix(".") || $0.contains(" ") }, "\(keys)")
    #expect(keys.count >= 150, "\(keys.count) keys")
  }

  @Test("--json prints one object with every key the README documents, and no top-level key it does not")
  func jsonReport() throws {
    let r = try runFanout(["run", "--requests", "20", "--rate", "50", "--json"])
    #expect(r.status == 0, "\(r.err)")
    let obj = try jsonObject(r.out)
    let documented = try documentedReportKeys()
    for key in documented { #expect(value(at: key, in: obj) != nil, "documented key \(key) is missing") }
    // The latency summaries: what the table's meaning column lists for them.
    for key in documented where key.hasPrefix("latency.") {
      let stats = try #require(value(at: key, in: obj) as? [String: Any], "\(key)")
      #expect(Set(stats.keys) == ["count", "p50_ms", "p90_ms", "p99_ms", "max_ms"], "\(key)")
    }
    #expect(Set(obj.keys) == Set(documented.map { String($0.prefix { $0 != "." }) }), "undocumented top-level key")
    for leaf in leafPaths(obj) {
      #expect(documented.contains { leaf == $0 || leaf.hasPrefix($0 + ".") }, "undocumented key \(leaf)")
    }
    #expect(value(at: "requests.fired", in: obj) as? Int == 20)
    #expect(value(at: "requests.completed", in: obj) as? Int == 20)
    #expect(value(at: "s3.objects", in: obj) as? Int == 80)
    #expect(value(at: "sinks.email", in: obj) as? Int == 60)
    #expect(value(at: "scenario", in: obj) as? String == "seed-pipeline")
    #expect(value(at: "conservation.holds", in: obj) as? Bool == true)
    #expect((value(at: "expectations", in: obj) as? [Any])?.isEmpty == true, "no scenario, no expectations")
  }

  @Test("--events: the same seed writes byte-identical files; another seed does not")
  func eventsFileDeterminism() throws {
    let a = tempPath("a.jsonl")
    let b = tempPath("b.jsonl")
    let c = tempPath("c.jsonl")
    defer { for p in [a, b, c] { try? FileManager.default.removeItem(atPath: p) } }
    for (path, seed) in [(a, "7"), (b, "7"), (c, "8")] {
      let r = try runFanout(["run", "--requests", "25", "--seed", seed, "--events", path])
      #expect(r.status == 0)
    }
    let da = try Data(contentsOf: URL(fileURLWithPath: a))
    #expect(da == (try Data(contentsOf: URL(fileURLWithPath: b))))
    #expect(da != (try Data(contentsOf: URL(fileURLWithPath: c))))
    let lines = String(decoding: da, as: UTF8.self).split(separator: "\n")
    let first = try jsonObject(try #require(lines.first))
    #expect(first["seq"] as? Int == 1)
    #expect((first["time"] as? String)?.hasSuffix("Z") == true)
    let put = try #require(lines.first { $0.contains("\"type\":\"s3.put\"") })
    let putObj = try jsonObject(put)
    #expect(putObj["key"] != nil && putObj["etag"] != nil && putObj["size"] != nil)
    let invoke = try #require(lines.first { $0.contains("\"type\":\"lambda.invoke\"") && $0.contains("\"event\"") })
    let invokeObj = try jsonObject(invoke)
    #expect(invokeObj["function"] != nil)
    #expect((invokeObj["event"] as? [String: Any])?["Records"] != nil)
  }

  @Test("--until stops at the time limit and says that work is pending")
  func timeLimit() throws {
    let r = try runFanout(["run", "--requests", "1000", "--rate", "10", "--until", "5s", "--json"])
    #expect(r.status == 0)
    let obj = try jsonObject(r.out)
    #expect(obj["drained"] as? Bool == false)
    #expect((obj["sim_seconds"] as? Double ?? 0) <= 5.0001)
  }

  @Test("fanout --help: the overview and every subcommand, word for word at 80 columns")
  func topHelp() throws {
    let r = try runFanout(["--help"], environment: ["COLUMNS": "80"])
    #expect(r.status == 0)
    let expected = """
      OVERVIEW: A deterministic, virtual-time simulation of an SNS → SQS → Lambda →
      S3 pipeline.

      USAGE: fanout <subcommand>

      OPTIONS:
        -h, --help              Show help information.

      SUBCOMMANDS:
        dashboard (default)     Watch the pipeline live in the terminal (the default
                                command).
        run                     Run the pipeline headless in virtual time and print a
                                report.
        validate                Check scenario files: every problem with
                                file:line:column, exit 2 on errors.
        trace                   Follow one request through an events file: every hop
                                in time order, with the exact events received.
        check                   Run a scenario over many seeds and check every
                                message's books against the report.
        calibrate               Run the calibration suite: each published AWS
                                experiment as a scenario, fanout's figures beside
                                AWS's.
        import                  Import a CloudFormation or SAM template, or
                                Terraform's JSON, as a scenario.
        sweep                   Run a scenario over many seeds and combinations of
                                settings: each figure's distribution.
        serve                   Run the pipeline in wall-clock time behind
                                AWS-compatible SQS, SNS, S3 and Lambda endpoints.

        See 'fanout help <subcommand>' for detailed help.
      """
    #expect(r.out == expected + "\n")
  }

  @Test("fanout run --help: what it does and every option, word for word at 80 columns")
  func help() throws {
    let r = try runFanout(["run", "--help"], environment: ["COLUMNS": "80"])
    #expect(r.status == 0)
    let expected = """
      OVERVIEW: Run the pipeline headless in virtual time and print a report.

      Fires N requests at the preprocessor (R per second of virtual time), runs until
      all work has drained or the time limit, and prints what every queue, function,
      topic and the bucket did. The same seed gives the same events, byte for byte.
      With --template, the imported pipeline runs its overlay's load and timeline;
      --requests or --rate fire its entry function. With process functions (their own
      code) or --listen, the clock follows wall time until the work has drained
      (docs/serve.md); --record keeps what the code and clients did, so that --replay
      FILE runs it again without them.

      USAGE: fanout run <options>

      OPTIONS:
        --scenario <scenario>   A scenario file (YAML) instead of the built-in
                                pipeline.
        --seed <seed>           Seed of every random stream (default: the scenario's,
                                or 1).
        --replay <replay>       A session recorded with --record (by the dashboard,
                                run or serve): its scenario, seed and commands.
        --template <FILE>       A CloudFormation or SAM template, or Terraform's JSON
                                (terraform show -json), imported as fanout import
                                does.
        --parameter <KEY=VALUE> A template parameter (repeatable); AWS::Region,
                                AWS::AccountId and AWS::StackName set the pseudo
                                parameters.
        --behaviour <FILE>      A YAML overlay saying what the template's functions
                                do (handlers), the entry function, load, timeline and
                                expectations (docs/import.md).
        --entry <NAME>          The function --requests (and the dashboard's p) fire;
                                over the overlay's entry.
        --assume-policies       Let SNS deliver to every queue and function, whatever
                                its queue policy or Lambda permissions say (AWS drops
                                deliveries they do not allow).
        --code <NAME[=DIR]>     The function runs its own code as a process
                                (repeatable): from DIR, or the folder the template
                                names (CodeUri); all: every function naming one.
        --prices <FILE>         A price table (JSON, as prices/us-east-1.json) for
                                the run's cost, instead of the built-in us-east-1
                                list prices.
        --listen <HOST:PORT>    Answer AWS's SQS, SNS, S3 and Lambda wire protocols
                                on HOST:PORT (such as 127.0.0.1:4747) while the run
                                goes on; the clock then follows wall time.
        --allow-remote          Allow a listen address that is not loopback (anyone
                                who reaches it can call the endpoints).
        --log <FILE>            Also write process functions' log lines (their stdout
                                and stderr, on stderr as they come) to FILE.
        --record <FILE>         With --listen or process functions: record the
                                session to FILE (every client request and process
                                result as a command at its point of the run), so that
                                --replay FILE replays it without them.
        --requests <requests>   Requests to fire (0 to 100000000; default 10, or the
                                scenario's load).
        --rate <rate>           Requests per second of virtual time (above 0, at most
                                1000000; default 100).
        --until <until>         Stop after this much virtual time even if work
                                remains (e.g. 90s, 10m, 2h).
        --events <events>       Write every event as a JSON line to FILE.
        --json                  Print the report as one JSON object.
        --html <FILE>           Write a self-contained HTML page of the run to FILE:
                                the pipeline's diagram, charts over virtual time, the
                                report.
        -h, --help              Show help information.

      """
    #expect(r.out == expected + "\n")
  }
}
