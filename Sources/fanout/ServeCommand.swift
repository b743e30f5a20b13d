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
      accepted: SigV4 is parsed, never verified. Runs until SIGINT or SIGTERM, then prints the \
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
    let (sim, loaded, _, _) = try pipeline.load()
    sim.prices = prices
    // A long-lived run: an invariant broken by a request is reported, not a trap.
    sim.trapsOnInvariantViolation = false
    var options = ServeOptions()
    let (host, port) = ServeOptions.parseListen(listen)!
    options.host = host
    options.port = port
    let live = LiveSimulation(sim: sim, router: WireRouter(extra: [LambdaWire(), S3Wire()]))
    live.start()
    let clock = ContinuousClock()
    let started = clock.now
    let failure = FailureBox()
    let finished = DispatchSemaphore(value: 0)
    Task {
      do {
        try await runWireServer(live: live, options: options) { port in
          print("fanout serve: listening on http://\(host.contains(":") ? "[\(host)]" : host):\(port)")
          fflush(nil)
        }
      } catch {
        failure.set("\(error)")
      }
      finished.signal()
    }
    finished.wait()
    let sim2 = live.finish()
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
