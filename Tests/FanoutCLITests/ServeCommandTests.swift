import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A running `fanout serve` on a free loopback port, killed after `limit` seconds whatever happens.
final class ServeProcess: @unchecked Sendable {
  let process = Process()
  let out = Pipe()
  let err = Pipe()
  private(set) var port = 0

  init(_ args: [String] = [], limit: Double = 280) throws {
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    process.executableURL = root.appendingPathComponent(".build/debug/fanout")
    process.arguments = ["serve", "--listen", "127.0.0.1:0"] + args
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let p = process
    DispatchQueue.global().asyncAfter(deadline: .now() + limit) { if p.isRunning { p.terminate() } }
    // The first line names the port.
    var line: [UInt8] = []
    while !line.contains(0x0A) {
      let d = out.fileHandleForReading.availableData
      if d.isEmpty { break }
      line += d
    }
    let text = String(decoding: line, as: UTF8.self)
    guard let r = text.range(of: "http://127.0.0.1:"),
      let n = Int(text[r.upperBound...].prefix { $0.isNumber })
    else {
      process.terminate()
      throw CLIError(message: "fanout serve did not start: \(text)")
    }
    port = n
  }

  var endpoint: String { "http://127.0.0.1:\(port)" }

  /// Sends `signal`, waits for the exit, and returns the status and the rest of the output.
  func stop(_ signal: Int32 = SIGINT) -> (status: Int32, out: String, err: String) {
    kill(process.processIdentifier, signal)
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }

  deinit { if process.isRunning { process.terminate() } }
}

struct CLIError: Error { var message: String }

/// Runs a program (found on PATH) under `timeout`, with placeholder AWS credentials.
func runTool(_ args: [String], seconds: Int = 240) throws -> (status: Int32, out: String, err: String) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = ["timeout", String(seconds)] + args
  p.environment = ProcessInfo.processInfo.environment.merging([
    "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1",
  ]) { _, new in new }
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

/// `fanout serve` driven by real AWS clients: boto3 and the AWS CLI (Tests/Fixtures/serve/).
@Suite("fanout serve", .serialized)
struct ServeCommandTests {
  @Test(
    "boto3 runs every SQS, SNS, S3 and Lambda operation against fanout serve, and each error raises its own exception class"
  )
  func testServeAnswersBoto3ForEverySQSAndSNSOperation() throws {
    let server = try ServeProcess()
    let r = try runTool(["python3", repoPath("Tests/Fixtures/serve/boto3_e2e.py"), server.endpoint])
    let stopped = server.stop(SIGTERM)
    #expect(r.status == 0, "\(r.out)\(r.err)")
    #expect(r.out.hasSuffix("all ok\n"), "\(r.out)")
    // SIGTERM stops it cleanly: the run's report, exit 0.
    #expect(stopped.status == 0, "\(stopped.err)")
    #expect(stopped.out.contains("e2e-topic"), "\(stopped.out)")
    #expect(stopped.out.contains("messages  created"), "\(stopped.out)")
  }

  @Test("The AWS CLI works with --endpoint-url: create, send, receive, and AWS's error codes")
  func testServeAnswersTheAWSCLI() throws {
    let server = try ServeProcess()
    let e = ["aws", "--endpoint-url", server.endpoint]
    let create = try runTool(e + ["sqs", "create-queue", "--queue-name", "cli", "--output", "text"], seconds: 60)
    #expect(create.status == 0, "\(create.err)")
    let url = create.out.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(url == server.endpoint + "/123456789012/cli")
    let send = try runTool(
      e + ["sqs", "send-message", "--queue-url", url, "--message-body", "from the cli"], seconds: 60)
    #expect(send.status == 0, "\(send.err)")
    let recv = try runTool(
      e + [
        "sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "2", "--output", "text", "--query",
        "Messages[0].Body",
      ], seconds: 60)
    #expect(recv.out.trimmingCharacters(in: .whitespacesAndNewlines) == "from the cli", "\(recv.err)")
    let missing = try runTool(e + ["sqs", "get-queue-url", "--queue-name", "nope"], seconds: 60)
    #expect(missing.status == 255)
    #expect(missing.err.contains("AWS.SimpleQueueService.NonExistentQueue"), "\(missing.err)")
    let topic = try runTool(e + ["sns", "create-topic", "--name", "cli-topic", "--output", "text"], seconds: 60)
    #expect(topic.out.trimmingCharacters(in: .whitespacesAndNewlines) == "arn:aws:sns:us-east-1:123456789012:cli-topic")
    let notFound = try runTool(
      e + ["sns", "publish", "--topic-arn", "arn:aws:sns:us-east-1:123456789012:nope", "--message", "m"], seconds: 60)
    #expect(notFound.status == 255 && notFound.err.contains("(NotFound)"), "\(notFound.err)")
    let stopped = server.stop()
    #expect(stopped.status == 0)
    #expect(stopped.out.contains("cli-topic"))
  }

  @Test("Malformed and oversized requests, a slow client and 100 concurrent clients: no crash, no hang, nothing lost")
  func testServeSurvivesHostileInputAnd100ConcurrentClients() throws {
    let server = try ServeProcess()
    let r = try runTool(["python3", repoPath("Tests/Fixtures/serve/hostile.py"), "127.0.0.1", String(server.port)])
    let stopped = server.stop()
    #expect(r.status == 0, "\(r.out)\(r.err)")
    #expect(r.out.hasSuffix("all ok\n"), "\(r.out)")
    #expect(stopped.status == 0, "\(stopped.err)")
    #expect(stopped.out.contains("hostile"))
  }

  @Test("A non-loopback address is refused without --allow-remote, with a message saying why")
  func testServeRefusesANonLoopbackAddressWithoutAllowRemote() throws {
    let r = try runFanout(["serve", "--listen", "0.0.0.0:4747"])
    #expect(r.status == 2)
    #expect(r.err.contains("not a loopback address") && r.err.contains("--allow-remote"), "\(r.err)")
    let bad = try runFanout(["serve", "--listen", "nowhere"])
    #expect(bad.status == 2 && bad.err.contains("HOST:PORT"), "\(bad.err)")
  }
}
