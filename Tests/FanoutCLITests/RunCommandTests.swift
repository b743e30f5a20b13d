import Foundation
import Testing

/// Runs the built `fanout` binary and returns its exit status, standard output and standard error.
func runFanout(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
  var root = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { root.deleteLastPathComponent() }
  let binary = root.appendingPathComponent(".build/debug/fanout")
  let p = Process()
  p.executableURL = binary
  p.arguments = args
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
    ])
  func badArguments(args: [String], mentions: String) throws {
    let r = try runFanout(args)
    #expect(r.status == 2, "\(args): \(r.err)")
    #expect(r.err.contains(mentions), "\(args): \(r.err)")
    #expect(!r.err.contains("Fatal error"))
  }

  @Test("--json prints one object with the documented keys")
  func jsonReport() throws {
    let r = try runFanout(["run", "--requests", "20", "--rate", "50", "--json"])
    #expect(r.status == 0)
    let obj = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
    let requests = obj["requests"] as! [String: Any]
    #expect(requests["fired"] as? Int == 20)
    #expect(requests["completed"] as? Int == 20)
    #expect((obj["s3"] as! [String: Any])["objects"] as? Int == 80)
    let q = (obj["queues"] as! [String: Any])["service01"] as! [String: Any]
    for key in ["sent", "received", "deleted", "moved_to_dlq", "max_depth"] { #expect(q[key] != nil, "\(key)") }
    let f = (obj["functions"] as! [String: Any])["service02"] as! [String: Any]
    for key in ["invocations", "errors", "throttles", "max_concurrency"] { #expect(f[key] != nil, "\(key)") }
    for key in ["sim_seconds", "wall_seconds", "events"] { #expect(obj[key] != nil, "\(key)") }
    #expect((obj["conservation"] as! [String: Any])["holds"] as? Bool == true)
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
    let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
    #expect(first["seq"] as? Int == 1)
    #expect((first["time"] as? String)?.hasSuffix("Z") == true)
    let put = lines.first { $0.contains("\"type\":\"s3.put\"") }!
    let putObj = try JSONSerialization.jsonObject(with: Data(put.utf8)) as! [String: Any]
    #expect(putObj["key"] != nil && putObj["etag"] != nil && putObj["size"] != nil)
    let invoke = lines.first { $0.contains("\"type\":\"lambda.invoke\"") && $0.contains("\"event\"") }!
    let invokeObj = try JSONSerialization.jsonObject(with: Data(invoke.utf8)) as! [String: Any]
    #expect(invokeObj["function"] != nil)
    #expect((invokeObj["event"] as? [String: Any])?["Records"] != nil)
  }

  @Test("--until stops at the time limit and says that work is pending")
  func timeLimit() throws {
    let r = try runFanout(["run", "--requests", "1000", "--rate", "10", "--until", "5s", "--json"])
    #expect(r.status == 0)
    let obj = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
    #expect(obj["drained"] as? Bool == false)
    #expect((obj["sim_seconds"] as? Double ?? 0) <= 5.0001)
  }

  @Test("Help exits 0 and documents the options")
  func help() throws {
    let r = try runFanout(["run", "--help"])
    #expect(r.status == 0)
    for option in ["--requests", "--rate", "--seed", "--until", "--events", "--json"] {
      #expect(r.out.contains(option))
    }
  }
}
