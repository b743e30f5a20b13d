import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The events of a run, each line parsed.
func eventLines(_ path: String) -> [[String: Any]] {
  let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
  return text.split(separator: "\n").compactMap {
    (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
  }
}

/// Runs with clients and function code taking part, recorded (`--record`), then replayed headless
/// (`--replay`) without them: the events are the same, byte for byte.
@Suite("Live sessions: real code and clients, recorded and replayed", .serialized)
struct LiveSessionTests {
  /// MD5 of `json.dumps({"key1": "val1", "key2": "val2", "key3": "val3"})` (the preprocessor's
  /// object) and of `json.dumps({"key1": None, "key2": "val2", "key3": "val3"})` (a service's),
  /// worked out with Python's hashlib: S3's ETag of a single-part PUT is its body's MD5.
  static let preprocessorETag = "\"c30161b2cdef35914690b0d42461eca7\""
  static let serviceETag = "\"dd5b1e2daa27c054e8372afdb1627a28\""

  /// `fanout run` with a scenario's process functions: two requests, recorded; then checks each
  /// request's four objects, three notifications and trace, and that the recording replays
  /// byte for byte without the code.
  func runPipeline(_ scenario: String, tag: String) throws {
    try #require(runtimeClientAvailable, "needs python3 with awslambdaric and boto3: pip install awslambdaric boto3")
    let events = tempPath("\(tag)-live.jsonl")
    let session = tempPath("\(tag)-session.jsonl")
    let replayed = tempPath("\(tag)-replay.jsonl")
    defer { for p in [events, session, replayed] { try? FileManager.default.removeItem(atPath: p) } }
    // A second apart: the article's request ID is the MD5 of the time to the microsecond, and two
    // cold-started processes handed their events at once can read the same microsecond (the
    // collision fanout's simulated preprocessor reproduces too).
    let r = try runFanout([
      "run", "--scenario", repoPath(scenario), "--requests", "2", "--rate", "1", "--events", events, "--record",
      session, "--json",
    ])
    #expect(r.status == 0, "\(r.err)")
    let report = try jsonObject(r.out)
    // Idle execution environments do not hold the run open: it ends once the work has drained.
    #expect(report["drained"] as? Bool == true, "\(r.out)")
    let lines = eventLines(events)
    func ids(_ topic: String) -> [String] {
      lines.filter { $0["type"] as? String == "sns.publish" && $0["topic"] as? String == topic }.compactMap {
        $0["request_id"] as? String
      }
    }
    let requests = ids("connector")
    #expect(requests.count == 2 && Set(requests).count == 2, "\(requests)")
    // The IDs the code made are tied to the fires that started it (the preprocessor's publish, made
    // through its environment's endpoint), and each service's publish completes its stage.
    let named = lines.filter { $0["type"] as? String == "request.id" }
    #expect(Set(named.compactMap { $0["fire"] as? Int }) == [1, 2], "\(named)")
    #expect(Set(named.compactMap { $0["request_id"] as? String }) == Set(requests), "\(named)")
    let counts = report["requests"] as? [String: Any]
    #expect(counts?["fired"] as? Int == 2 && counts?["completed"] as? Int == 2, "\(r.out)")
    let stages = lines.filter { $0["type"] as? String == "request.stage_done" }.compactMap { $0["stage"] as? String }
    #expect(
      stages.sorted() == ["service01", "service01", "service02", "service02", "service03", "service03"], "\(stages)")
    let puts = lines.filter { $0["type"] as? String == "s3.put" }
    for id in requests {
      // The request ID: the MD5 hex digest of a timestamp, as the article's preprocessor makes it.
      #expect(id.count == 32 && id.allSatisfy(\.isHexDigit), "\(id)")
      for stage in ["preprocessor", "service01", "service02", "service03"] {
        let put = puts.first { $0["key"] as? String == "fanout/\(stage)/\(id).json" }
        #expect(put?["bucket"] as? String == "fanout-bucket", "no object for \(stage) of \(id)")
        #expect(
          put?["etag"] as? String == (stage == "preprocessor" ? Self.preprocessorETag : Self.serviceETag), "\(stage)")
      }
      #expect(ids("notifier").filter { $0 == id }.count == 3, "\(id): \(ids("notifier"))")
      // The request's path across the pipeline, found by its ID.
      let trace = try runFanout(["trace", id, "--events", events])
      #expect(trace.status == 0, "\(trace.err)")
      let hops = trace.out.split(separator: "\n")
      #expect(hops.filter { $0.contains("sns.publish  topic=connector") }.count == 1, "\(trace.out)")
      #expect(hops.filter { $0.contains("sns.publish  topic=notifier") }.count == 3, "\(trace.out)")
      // The code's own S3 calls name no request: their keys do.
      #expect(hops.filter { $0.contains("s3.put  bucket=fanout-bucket") }.count == 4, "\(trace.out)")
      #expect(hops.filter { $0.contains("s3.get  bucket=fanout-bucket") }.count == 3, "\(trace.out)")
      for q in ["service01", "service02", "service03"] {
        #expect(hops.contains { $0.contains("sqs.send  queue=\(q) ") }, "\(q): \(trace.out)")
        #expect(hops.contains { $0.contains("lambda.invoke  function=\(q) ") }, "\(q): \(trace.out)")
      }
    }
    // Each process's output is its function's log.
    #expect(r.err.contains("[preprocessor] "), "\(r.err)")
    // The recording replays headless without the code: no process runs, the events are the same.
    let replay = try runFanout(["run", "--replay", session, "--events", replayed])
    #expect(replay.status == 0, "\(replay.err)")
    #expect(!replay.err.contains("[preprocessor]") && !replay.err.contains("[service01]"), "\(replay.err)")
    #expect(!replay.err.contains("diverged"), "\(replay.err)")
    let live = try String(contentsOfFile: events, encoding: .utf8)
    let again = try String(contentsOfFile: replayed, encoding: .utf8)
    #expect(!live.isEmpty && live == again, "the replay's events differ from the live run's")
  }

  @Test(
    "The article's own lambda_function.py files, unchanged, run under fanout run: four objects with the article's contents and three notifications per request, its ID in the trace, and the run replays without the code"
  )
  func testArticleCodeUnchangedRunsAndReplays() throws {
    try runPipeline("Tests/Fixtures/article/pipeline.yaml", tag: "article")
  }

  @Test(
    "examples/seed-python under fanout run: two requests, each with four objects, three notifications and its trace; the recording replays byte for byte"
  )
  func testSeedPythonExampleRunsAndReplays() throws {
    try runPipeline("examples/seed-python/pipeline.yaml", tag: "seed-python")
  }

  @Test(
    "A SAM template's functions run their own code with --code all: fanout run fires the entry function twice and both requests complete"
  )
  func testTemplateCodeRunsUnderFanoutRun() throws {
    try #require(runtimeClientAvailable, "needs python3 with awslambdaric and boto3: pip install awslambdaric boto3")
    let r = try runFanout([
      "run", "--template", repoPath("examples/seed-python/template.yaml"), "--code", "all", "--entry", "preprocessor",
      "--requests", "2", "--rate", "1", "--json",
    ])
    #expect(r.status == 0, "\(r.err)")
    let report = try jsonObject(r.out)
    let counts = report["requests"] as? [String: Any]
    #expect(counts?["fired"] as? Int == 2 && counts?["completed"] as? Int == 2, "\(r.out)")
    #expect((report["s3"] as? [String: Any])?["objects"] as? Int == 8, "\(r.out)")
    #expect(r.err.contains("[service02] "), "\(r.err)")
  }

  @Test(
    "A fanout serve session driven by boto3 (every operation, long polls and synchronous Invokes included) replays headless byte for byte from its --record"
  )
  func testServeSessionReplaysByteForByte() throws {
    let events = tempPath("serve-live.jsonl")
    let session = tempPath("serve-session.jsonl")
    let replayed = tempPath("serve-replay.jsonl")
    defer { for p in [events, session, replayed] { try? FileManager.default.removeItem(atPath: p) } }
    let server = try ServeProcess(["--record", session, "--events", events])
    let r = try runTool(["python3", repoPath("Tests/Fixtures/serve/boto3_e2e.py"), server.endpoint])
    let stopped = server.stop(SIGINT)
    #expect(r.status == 0, "\(r.out)\(r.err)")
    #expect(stopped.status == 0, "\(stopped.err)")
    let text = try String(contentsOfFile: session, encoding: .utf8)
    #expect(text.contains("\"command\":\"wire\""), "\(text.prefix(500))")
    #expect(text.contains("\"command\":\"wire_take\"") || text.contains("\"command\":\"wire_timeout\""))
    #expect(text.hasSuffix("\"command\":\"end\"}\n"))
    let replay = try runFanout(["run", "--replay", session, "--events", replayed])
    #expect(replay.status == 0, "\(replay.err)")
    #expect(!replay.err.contains("diverged"), "\(replay.err)")
    let live = try String(contentsOfFile: events, encoding: .utf8)
    let again = try String(contentsOfFile: replayed, encoding: .utf8)
    #expect(live.count > 1_000 && live == again, "the replay's events differ from the live session's")
  }

  @Test(
    "SIGINT ends a live fanout run early: its report (stopped by SIGINT), exit 0, and a session that replays byte for byte"
  )
  func testSigintEndsALiveRunWithItsReportAndSession() throws {
    try #require(runtimeClientAvailable, "needs python3 with awslambdaric and boto3: pip install awslambdaric boto3")
    let events = tempPath("sigint-live.jsonl")
    let session = tempPath("sigint-session.jsonl")
    let replayed = tempPath("sigint-replay.jsonl")
    defer { for p in [events, session, replayed] { try? FileManager.default.removeItem(atPath: p) } }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: repoPath(".build/debug/fanout"))
    p.arguments = [
      "run", "--scenario", repoPath("examples/seed-python/pipeline.yaml"), "--requests", "100", "--rate", "1",
      "--record", session, "--events", events,
    ]
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Once the first request's notification is out, interrupt.
    var seen = ""
    let end = Date().addingTimeInterval(60)
    while Date() < end, !seen.contains("[service0") {
      let d = err.fileHandleForReading.availableData
      if d.isEmpty { break }
      seen += String(decoding: d, as: UTF8.self)
    }
    kill(p.processIdentifier, SIGINT)
    let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    _ = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    #expect(o.contains("stopped by SIGINT with work pending"), "\(o)")
    let replay = try runFanout(["run", "--replay", session, "--events", replayed])
    #expect(replay.status == 0, "\(replay.err)")
    #expect(try String(contentsOfFile: events, encoding: .utf8) == String(contentsOfFile: replayed, encoding: .utf8))
  }

  @Test("sweep and check refuse process functions (their code needs wall time), saying what to do instead")
  func testSweepAndCheckRefuseProcessFunctions() throws {
    let sweep = try runFanout(["sweep", "--scenario", repoPath("examples/seed-python/pipeline.yaml"), "--seeds", "2"])
    #expect(sweep.status == 2)
    #expect(
      sweep.err.contains("preprocessor, service01, service02, service03: a handler of type process"), "\(sweep.err)")
    #expect(sweep.err.contains("fanout sweep runs its runs in virtual time"), "\(sweep.err)")
    let check = try runFanout(["check", "--scenario", repoPath("examples/seed-python/pipeline.yaml"), "--seeds", "2"])
    #expect(check.status == 2 && check.err.contains("fanout check runs its runs in virtual time"), "\(check.err)")
  }

  @Test("--record on a run with no clients and no function code is refused, saying why")
  func testRecordWithoutOutsideParticipantsIsRefused() throws {
    let r = try runFanout(["run", "--requests", "2", "--record", tempPath("nothing.jsonl")])
    #expect(r.status == 2)
    #expect(r.err.contains("--record keeps what clients and function code did"), "\(r.err)")
  }

  @Test("--listen cannot be combined with --replay, and a non-loopback address needs --allow-remote")
  func testListenIsCheckedOnRunAndDashboard() throws {
    let a = try runFanout(["run", "--listen", "0.0.0.0:4747", "--requests", "1"])
    #expect(a.status == 2 && a.err.contains("not a loopback address"), "\(a.err)")
    let session = tempPath("empty-session.jsonl")
    try "{\"fanout_replay\":1,\"seed\":1,\"scenario\":null}\n".write(toFile: session, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: session) }
    let b = try runFanout(["run", "--replay", session, "--listen", "127.0.0.1:0"])
    #expect(b.status == 2 && b.err.contains("a replay runs without clients or function code"), "\(b.err)")
  }

  @Test("fanout run --listen answers boto3 while the run goes on, and ends at --until")
  func testRunListenAnswersClientsUntilTheLimit() throws {
    // A run of 3 s of wall time: the clock follows it.
    let p = Process()
    p.executableURL = URL(fileURLWithPath: repoPath(".build/debug/fanout"))
    p.arguments = ["run", "--listen", "127.0.0.1:0", "--requests", "1", "--until", "3s", "--json"]
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    var line: [UInt8] = []
    while !line.contains(0x0A) {
      let d = err.fileHandleForReading.availableData
      if d.isEmpty { break }
      line += d
    }
    let text = String(decoding: line, as: UTF8.self)
    let port = text.range(of: "http://127.0.0.1:").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) }
    try #require(port != nil, "\(text)")
    let script = """
      import boto3, sys
      sqs = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1")
      print(sorted(u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]))
      """
    let r = try runTool(["python3", "-c", script, "http://127.0.0.1:\(port!)"], seconds: 60)
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("'service01'") && r.out.contains("'service03'"), "\(r.out)")
    #expect(p.terminationStatus == 0)
    let report = try jsonObject(String(decoding: o, as: UTF8.self))
    let requests = report["requests"] as? [String: Any]
    #expect(requests?["fired"] as? Int == 1 && requests?["completed"] as? Int == 1, "\(report)")
  }
}

extension LiveSessionTests {
  @Test(
    "The dashboard hosts process functions: p fires the preprocessor's real code, its objects and notifications cross the panes, speeds above ×1 are refused, and the session replays byte for byte"
  )
  func testDashboardHostsProcessFunctionsAndItsSessionReplays() throws {
    try #require(tmuxAvailable(), "tmux is needed: apt-get install -y tmux")
    try #require(runtimeClientAvailable, "needs python3 with awslambdaric and boto3: pip install awslambdaric boto3")
    let events = tempPath("dash-live.jsonl")
    let session = tempPath("dash-session.jsonl")
    let replayed = tempPath("dash-replay.jsonl")
    let exit = tempPath("dash-exit.txt")
    let log = tempPath("dash.log")
    defer { for p in [events, session, replayed, exit, log] { try? FileManager.default.removeItem(atPath: p) } }
    let command = [
      repoPath(".build/debug/fanout"), "--scenario", repoPath("examples/seed-python/pipeline.yaml"), "--log", log,
      "--record", session, "--events", events,
    ].map(shellQuote).joined(separator: " ")
    let t = try TmuxSession(width: 140, height: 45, command: "\(command); echo $? > \(shellQuote(exit))")
    #expect(t.waitFor("the dashboard") { $0.contains("live function code") })
    try t.keys("p")
    #expect(t.waitFor("the first request's four objects", seconds: 30) { $0.contains("S3 4 ") })
    #expect(t.waitFor("its three notifications", seconds: 30) { $0.contains("notified 3") })
    try t.keys("p")
    #expect(t.waitFor("the second request's objects", seconds: 30) { $0.contains("S3 8 ") })
    #expect(t.waitFor("six notifications", seconds: 30) { $0.contains("notified 6") })
    // Both requests complete: the code's IDs are tied to the fires.
    #expect(t.waitFor("both requests done", seconds: 30) { $0.contains("done 2 ") })
    // Real code runs in wall time: the clock goes no faster than ×1.
    try t.keys("+")
    #expect(t.waitFor("the refusal") { $0.contains("the clock goes at ×1 at most") })
    #expect(t.screen().contains("×1 "))
    try t.keys("q")
    let end = Date().addingTimeInterval(20)
    while Date() < end, !FileManager.default.fileExists(atPath: exit) { Thread.sleep(forTimeInterval: 0.1) }
    #expect((try? String(contentsOfFile: exit, encoding: .utf8)) == "0\n", "\(t.screen())")
    // The function's output is its log.
    #expect((try? String(contentsOfFile: log, encoding: .utf8))?.contains("[preprocessor] stored s3://") == true)
    let replay = try runFanout(["run", "--replay", session, "--events", replayed])
    #expect(replay.status == 0, "\(replay.err)")
    let live = try String(contentsOfFile: events, encoding: .utf8)
    let again = try String(contentsOfFile: replayed, encoding: .utf8)
    #expect(!live.isEmpty && live == again, "the replay's events differ from the live session's")
  }
}
