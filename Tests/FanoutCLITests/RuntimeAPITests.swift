import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Whether python3 with AWS's runtime interface client and boto3 is here
/// (`pip install awslambdaric boto3`).
let runtimeClientAvailable: Bool = {
  guard let r = try? runTool(["python3", "-c", "import awslambdaric, boto3"], seconds: 60) else { return false }
  return r.status == 0
}()

/// Process functions under `fanout serve`: Python code run by awslambdaric through fanout's Lambda
/// Runtime API (Tests/Fixtures/runtime/: app.py, runtime.yaml, drive.py), as Lambda runs it
/// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
@Suite(
  "Process functions through the Lambda Runtime API", .serialized,
  .enabled(if: runtimeClientAvailable, "needs python3 with awslambdaric and boto3: pip install awslambdaric boto3"))
struct RuntimeAPITests {
  struct Outcome {
    var driver: [String: Any]
    var report: [String: Any]
    var log: [String]
    var stderr: String
    func function(_ name: String) -> [String: Any] {
      ((report["functions"] as? [String: Any])?[name] as? [String: Any]) ?? [:]
    }
    func queue(_ name: String) -> [String: Any] {
      ((report["queues"] as? [String: Any])?[name] as? [String: Any]) ?? [:]
    }
    /// The `handled` lines the code printed, as `key=value` fields.
    var handled: [[String: String]] {
      log.filter { $0.contains("] handled ") }.map { line in
        var fields: [String: String] = [:]
        for part in line.split(separator: " ") {
          if let eq = part.firstIndex(of: "=") { fields[String(part[..<eq])] = String(part[part.index(after: eq)...]) }
        }
        return fields
      }
    }
  }

  /// Runs the scenario under `fanout serve`, drives one mode with boto3, stops the server.
  func run(_ mode: String) throws -> Outcome {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("fanout-runtime-\(mode)-\(getpid()).log")
    defer { try? FileManager.default.removeItem(at: log) }
    let server = try ServeProcess(
      ["--scenario", repoPath("Tests/Fixtures/runtime/runtime.yaml"), "--log", log.path, "--json"], limit: 120)
    let r = try runTool(["python3", repoPath("Tests/Fixtures/runtime/drive.py"), server.endpoint, mode], seconds: 90)
    let stopped = server.stop(SIGTERM)
    #expect(r.status == 0, "\(r.out)\(r.err)")
    #expect(stopped.status == 0, "\(stopped.err)")
    let driver = (try? JSONSerialization.jsonObject(with: Data(r.out.utf8))) as? [String: Any] ?? [:]
    let report = (try? JSONSerialization.jsonObject(with: Data(stopped.out.utf8))) as? [String: Any] ?? [:]
    let lines = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    return Outcome(driver: driver, report: report, log: lines, stderr: stopped.err)
  }

  @Test("A cold start starts a process; the next invocation is warm and reuses it; boto3 in it reaches fanout")
  func testWarmInvocationReusesTheProcessAndBoto3ReachesFanout() throws {
    let o = try run("ok")
    let handled = o.handled
    try #require(handled.count == 2, "\(o.log)\n\(o.stderr)")
    #expect(handled[0]["pid"] == handled[1]["pid"], "a warm invocation runs in the same process: \(handled)")
    #expect(handled[0]["request"] != handled[1]["request"], "each invocation has its own request ID")
    // Lambda's variables: the function's name and memory (MemorySize: 256).
    #expect(handled.allSatisfy { $0["function"] == "ok-fn" && $0["memory"] == "256" }, "\(handled)")
    #expect(handled.allSatisfy { $0["timeout"] == "10" && $0["exec_env"] == "AWS_Lambda_python3.12" }, "\(handled)")
    // Lambda-Runtime-Deadline-Ms: the time left is under the function's timeout (10 s); the cold
    // start's init (starting Python, importing boto3) is not taken from it.
    for h in handled {
      let left = Int(h["remaining_ms"] ?? "") ?? -1
      #expect(left > 9_000 && left <= 10_000, "remaining \(left) ms")
    }
    // The code's PutObject reached fanout's S3 (AWS_ENDPOINT_URL), from that one process.
    let objects = o.driver["objects"] as? [[String: Any]] ?? []
    #expect(objects.count == 2, "\(o.driver)")
    #expect(Set(objects.compactMap { $0["pid"] as? Int }).map(String.init) == [handled[0]["pid"] ?? ""])
    let f = o.function("ok-fn")
    #expect(f["invocations"] as? Int == 2 && f["cold_starts"] as? Int == 1 && f["errors"] as? Int == 0, "\(f)")
    #expect(o.queue("ok")["deleted"] as? Int == 2, "\(o.queue("ok"))")
    #expect(o.log.allSatisfy { $0.hasPrefix("[ok-fn] ") }, "log lines carry the function's name: \(o.log)")
  }

  @Test("A handler that raises is a function error: the SQS trigger retries it, then the DLQ after maxReceiveCount")
  func testRaisedErrorIsRetriedThenMovedToTheDLQ() throws {
    let o = try run("raise")
    #expect(o.driver["dlq"] as? Int == 1, "\(o.driver)")
    let f = o.function("raise-fn")
    #expect(f["invocations"] as? Int == 2 && f["errors"] as? Int == 2, "\(f)")
    // A function error keeps the environment: the retry is warm, in the same process.
    #expect(f["cold_starts"] as? Int == 1, "\(f)")
    #expect(Set(o.handled.compactMap { $0["pid"] }).count == 1, "\(o.handled)")
    #expect(o.log.contains { $0.contains("ValueError: cannot handle m-raise") }, "the traceback is logged: \(o.log)")
    let q = o.queue("raise")
    #expect(q["received"] as? Int == 2 && q["moved_to_dlq"] as? Int == 1, "\(q)")
  }

  @Test("A handler that runs past its timeout is killed and its environment discarded; the message is retried")
  func testTimeoutKillsTheProcessAndTheMessageIsRetried() throws {
    let o = try run("sleep")
    #expect(o.driver["dlq"] as? Int == 1, "\(o.driver)")
    let f = o.function("sleep-fn")
    #expect(f["invocations"] as? Int == 2 && f["timeouts"] as? Int == 2, "\(f)")
    // The killed process is not reused: each attempt is a cold start in a new process.
    #expect(f["cold_starts"] as? Int == 2, "\(f)")
    let pids = o.handled.compactMap { $0["pid"] }
    #expect(pids.count == 2 && Set(pids).count == 2, "\(o.handled)")
    for pid in pids.compactMap({ Int32($0) }) {
      #expect(kill(pid, 0) != 0, "process \(pid) was stopped")
    }
  }

  @Test("A process that exits before answering is a function error with its exit status; it is retried, then the DLQ")
  func testCrashIsAFunctionErrorWithTheExitStatus() throws {
    let o = try run("exit")
    #expect(o.driver["dlq"] as? Int == 1, "\(o.driver)")
    let f = o.function("exit-fn")
    #expect(f["invocations"] as? Int == 2 && f["errors"] as? Int == 2 && f["cold_starts"] as? Int == 2, "\(f)")
    #expect(o.log.filter { $0 == "[exit-fn] process exited with status 3" }.count == 2, "\(o.log)")
  }

  @Test(
    "An init error (a handler that is not there) fails the invocation and discards the process; the retry starts a new one"
  )
  func testInitErrorFailsTheInvocationAndTheRetryStartsANewProcess() throws {
    let o = try run("init")
    #expect(o.driver["dlq"] as? Int == 1, "\(o.driver)")
    let f = o.function("init-fn")
    #expect(f["invocations"] as? Int == 2 && f["errors"] as? Int == 2 && f["cold_starts"] as? Int == 2, "\(f)")
    let reported = o.log.filter {
      $0 == "[init-fn] init error: Runtime.HandlerNotFound: Handler 'no_such_handler' missing on module 'app'"
    }
    #expect(reported.count == 2, "\(o.log)")
  }

  @Test(
    "A cold start's init (1.5 s) longer than the function's timeout (1 s) does not time it out: Lambda's init phase has a limit of its own; the session replays byte for byte"
  )
  func testSlowInitDoesNotCountAgainstTheTimeout() throws {
    let events = tempPath("slow-init-live.jsonl")
    let session = tempPath("slow-init-session.jsonl")
    let replayed = tempPath("slow-init-replay.jsonl")
    defer { for p in [events, session, replayed] { try? FileManager.default.removeItem(atPath: p) } }
    let r = try runFanout([
      "run", "--scenario", repoPath("Tests/Fixtures/runtime/slow-init.yaml"), "--json", "--record", session,
      "--events", events,
    ])
    #expect(r.status == 0, "\(r.err)")
    let report = try jsonObject(r.out)
    let f = (report["functions"] as? [String: Any])?["slow-init-fn"] as? [String: Any]
    #expect(f?["invocations"] as? Int == 1 && f?["errors"] as? Int == 0 && f?["timeouts"] as? Int == 0, "\(r.out)")
    // Billed from the invocation's start: the init is in it.
    #expect((f?["billed_ms"] as? Int ?? 0) >= 1_500, "\(r.out)")
    #expect((try? String(contentsOfFile: session, encoding: .utf8))?.contains("\"command\":\"external_init\"") == true)
    let replay = try runFanout(["run", "--replay", session, "--events", replayed])
    #expect(replay.status == 0, "\(replay.err)")
    #expect(try String(contentsOfFile: events, encoding: .utf8) == String(contentsOfFile: replayed, encoding: .utf8))
  }

  @Test(
    "An environment idle past the function's idleLifetime is reclaimed: the next invocation is a cold start, and the idle process is stopped"
  )
  func testIdleEnvironmentIsReclaimedAndItsProcessStopped() throws {
    let r = try runFanout(["run", "--scenario", repoPath("Tests/Fixtures/runtime/idle.yaml"), "--json"])
    #expect(r.status == 0, "\(r.err)")
    let report = try jsonObject(r.out)
    let f = (report["functions"] as? [String: Any])?["ok-fn"] as? [String: Any]
    #expect(f?["invocations"] as? Int == 2 && f?["cold_starts"] as? Int == 2, "\(r.out)")
    #expect(r.err.contains("[ok-fn] environment 1 reclaimed after its idle lifetime: process stopped"), "\(r.err)")
    // Two processes, one after the other: two pids in the code's own lines.
    let pids = Set(
      r.err.split(separator: "\n").filter { $0.contains("] handled ok") }.compactMap { line in
        line.split(separator: " ").first { $0.hasPrefix("pid=") }
      })
    #expect(pids.count == 2, "\(r.err)")
  }

  @Test(
    "examples/seed-python: two Invokes of the preprocessor give each request its four objects with the article's contents and three notifications"
  )
  func testSeedPythonExampleStoresFourObjectsAndNotifiesThreeTimesPerRequest() throws {
    let server = try ServeProcess(["--scenario", repoPath("examples/seed-python/pipeline.yaml")], limit: 150)
    let r = try runTool(["python3", repoPath("Tests/Fixtures/runtime/seed_python.py"), server.endpoint], seconds: 120)
    let stopped = server.stop(SIGTERM)
    #expect(r.status == 0, "\(r.out)\(r.err)")
    #expect(stopped.status == 0, "\(stopped.err)")
    let out = (try? JSONSerialization.jsonObject(with: Data(r.out.utf8))) as? [String: Any] ?? [:]
    let requests = out["requests"] as? [String: [String: Any]] ?? [:]
    #expect(requests.count == 2, "\(r.out)")
    for (id, request) in requests {
      // The request ID: the MD5 hex digest of a timestamp.
      #expect(id.count == 32 && id.allSatisfy(\.isHexDigit), "\(id)")
      let objects = request["objects"] as? [String: [String: Any]] ?? [:]
      #expect(objects["preprocessor"] as? [String: String] == ["key1": "val1", "key2": "val2", "key3": "val3"])
      for service in ["service01", "service02", "service03"] {
        let o = objects[service] ?? [:]
        #expect(
          o["key1"] is NSNull && o["key2"] as? String == "val2" && o["key3"] as? String == "val3", "\(service): \(o)")
      }
      #expect(request["notifications"] as? Int == 3, "\(id): \(request)")
    }
    // Each process's output is its function's log.
    #expect(stopped.err.contains("[preprocessor] stored s3://fanout-bucket/fanout/preprocessor/"), "\(stopped.err)")
  }
}
