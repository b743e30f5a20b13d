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
    abstract: "Run the pipeline in wall-clock time behind AWS-compatible SQS, SNS, S3 and Lambda endpoints.",
    discussion: """
      Listens on HOST:PORT (default 127.0.0.1:4747) and answers the SQS (JSON and query), SNS \
      (query), S3 (REST) and Lambda (REST) wire protocols, so boto3 \
      (AWS_ENDPOINT_URL=http://127.0.0.1:4747) and the AWS CLI (--endpoint-url) work unchanged. \
      Virtual time follows wall time (×1). Any credentials are accepted: SigV4 is parsed, never \
      verified. Functions with a process handler (or --code) run as processes through the Lambda \
      Runtime API (one per execution environment; their output is logged to stderr and --log). \
      --record keeps every request and process result, so that fanout run --replay FILE runs the \
      session again without them. Runs until SIGINT or SIGTERM, then stops every process and \
      prints the run's report. See docs/serve.md.
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

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Record the session to FILE when it stops: every client request and process result as a command at its point of the run, so that fanout run --replay FILE replays it without them.",
      valueName: "FILE"))
  var record: String?

  @Option(name: .long, help: "Write every event as a JSON line to FILE.")
  var events: String?

  func validate() throws {
    try LiveOptions.check(listen, allowRemote: allowRemote)
    if pipeline.replay != nil {
      throw ValidationError("--replay cannot be combined with serve: a replay runs headless (fanout run --replay FILE)")
    }
    if pipeline.template != nil, record != nil {
      throw ValidationError(
        "--record needs a scenario file to name: write the template's with fanout import -o FILE, then --scenario FILE")
    }
  }

  func run() throws {
    let prices = try pipeline.priceTable()
    let (sim, loaded, scenarioPath, _) = try pipeline.load()
    sim.prices = prices
    let writer = try events.map(EventFileWriter.init(path:))
    if let writer { sim.observer = { writer.write($0) } }
    let clock = ContinuousClock()
    let started = clock.now
    // Process functions run through the Lambda Runtime API, one process per environment; a
    // relative `cwd` is taken from the scenario file's folder. The clock starts once the endpoint
    // is known: processes are given it.
    let (host, endpoint) = try openLiveHost(
      sim: sim, scenarioPath: scenarioPath, listen: listen, logFile: log, record: record != nil, signals: true)
    host.live.start()
    print("fanout serve: listening on \(endpoint)")
    fflush(nil)
    let failure = host.waitForServer()
    let sim2 = host.close()
    if let failure { throw CLIFailure(message: "could not serve on \(listen): \(failure)") }
    try writeSession(host.session, to: record)
    try writer?.close()
    let elapsed = started.duration(to: clock.now)
    let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    var report = RunReport(
      sim: sim2, scenario: loaded?.name ?? "seed-pipeline", drained: !sim2.hasPendingWork, wallSeconds: wall,
      expectations: [])
    report.prices = prices
    report.stopReason = "stopped by a signal"
    print(json ? report.json : report.text)
    fflush(nil)
  }
}
