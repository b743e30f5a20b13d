import ArgumentParser
import Dispatch
import FanoutScenario
import FanoutServe
import FanoutSim
import FanoutWire
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `fanout serve`: the pipeline headless, its clock paced to wall time, behind AWS's wire
/// protocols (docs/serve.md).
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Run the pipeline in wall-clock time behind AWS-compatible SQS and SNS endpoints.",
    discussion: """
      Listens on HOST:PORT (default 127.0.0.1:4747) and answers the SQS (JSON and query) and SNS \
      (query) wire protocols, so boto3 (AWS_ENDPOINT_URL=http://127.0.0.1:4747) and the AWS CLI \
      (--endpoint-url) work unchanged. Virtual time follows wall time (×1). Any credentials are \
      accepted: SigV4 is parsed, never verified. Functions with a process handler run as processes \
      through the Lambda Runtime API (one per execution environment; their output is logged to \
      stderr and --log). Runs until SIGINT or SIGTERM, then stops every process and prints the \
      run's report. See docs/serve.md.
      """
  )

  @OptionGroup var pipeline: PipelineOptions

  @Option(name: .long, help: ArgumentHelp("Address to listen on (default 127.0.0.1:4747).", valueName: "HOST:PORT"))
  var listen = "127.0.0.1:4747"

  @Flag(
    name: .long, help: "Allow a listen address that is not loopback (anyone who reaches it can call the endpoints).")
  var allowRemote = false

  @Flag(name: .long, help: "Print the report as one JSON object.")
  var json = false

  @Option(
    name: .long,
    help: ArgumentHelp("Also write process functions' log lines (their stdout and stderr) to FILE.", valueName: "FILE"))
  var log: String?

  func validate() throws {
    guard let (host, _) = ServeOptions.parseListen(listen) else {
      throw ValidationError("--listen must be HOST:PORT, such as 127.0.0.1:4747 (got '\(listen)')")
    }
    if !ServeOptions.isLoopback(host), !allowRemote {
      throw ValidationError(
        "--listen \(listen) is not a loopback address: fanout serve verifies no credentials, so anyone who can reach it could drive the simulation. Give --allow-remote to listen there anyway."
      )
    }
    if pipeline.replay != nil {
      throw ValidationError("--replay cannot be combined with serve: a replay runs headless")
    }
  }

  func run() throws {
    let prices = try pipeline.priceTable()
    let (sim, loaded, scenarioPath, _) = try pipeline.load()
    sim.prices = prices
    // A long-lived run: an invariant broken by a request is reported, not a trap.
    sim.trapsOnInvariantViolation = false
    var options = ServeOptions()
    let (host, port) = ServeOptions.parseListen(listen)!
    options.host = host
    options.port = port
    let live = LiveSimulation(sim: sim, router: WireRouter(extra: [LambdaWire(), S3Wire()]))
    // Process functions run through the Lambda Runtime API, one process per environment; a
    // relative `cwd` is taken from the scenario file's folder.
    let base =
      scenarioPath.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
      ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    let invoker = ProcessInvoker(baseDirectory: base.standardizedFileURL)
    invoker.live = live
    if let log {
      guard FileManager.default.createFile(atPath: log, contents: nil), let handle = FileHandle(forWritingAtPath: log)
      else { throw CLIFailure(message: "cannot write \(log)") }
      let file = LockedFile(handle)
      invoker.logLine = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
        file.write(line + "\n")
      }
    }
    sim.externalInvoker = invoker
    let clock = ContinuousClock()
    let started = clock.now
    let failure = FailureBox()
    let finished = DispatchSemaphore(value: 0)
    Task {
      do {
        try await runWireServer(live: live, options: options) { port in
          // The clock starts once the endpoint is known: processes are given it.
          invoker.endpoint = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
          live.start()
          print("fanout serve: listening on http://\(host.contains(":") ? "[\(host)]" : host):\(port)")
          fflush(nil)
        }
      } catch {
        failure.set("\(error)")
      }
      finished.signal()
    }
    finished.wait()
    live.start()  // if the server never ran: the thread must exist to finish
    let sim2 = live.finish()
    invoker.stopAll()
    withExtendedLifetime(invoker) {}
    if let message = failure.message {
      throw CLIFailure(message: "could not serve on \(listen): \(message)")
    }
    let elapsed = started.duration(to: clock.now)
    let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    var report = RunReport(
      sim: sim2, scenario: loaded?.name ?? "seed-pipeline", drained: !sim2.hasPendingWork, wallSeconds: wall,
      expectations: [])
    report.prices = prices
    print(json ? report.json : report.text)
    fflush(nil)
  }
}

/// A log file written from the processes' reader threads.
final class LockedFile: @unchecked Sendable {
  private let lock = NSLock()
  private let handle: FileHandle
  init(_ handle: FileHandle) { self.handle = handle }
  func write(_ s: String) {
    lock.lock()
    handle.write(Data(s.utf8))
    lock.unlock()
  }
}

/// The server's failure, set from its task.
final class FailureBox: @unchecked Sendable {
  private let lock = NSLock()
  private var text: String?
  func set(_ s: String) {
    lock.lock()
    text = s
    lock.unlock()
  }
  var message: String? {
    lock.lock()
    defer { lock.unlock() }
    return text
  }
}
