import ArgumentParser
import FanoutScenario
import FanoutSim
import Foundation
import TerminalUI

/// `fanout` (or `fanout dashboard`): the live terminal dashboard.
struct DashboardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dashboard",
    abstract: "Watch the pipeline live in the terminal (the default command).",
    discussion: """
      Opens the built-in seed pipeline. Press p to fire a request, 1-9 to pause a service's \
      trigger, f then a number to break a service, space to pause the clock, ? for every key.
      """
  )

  @OptionGroup var pipeline: PipelineOptions

  @OptionGroup var liveOptions: LiveOptions

  @Option(
    name: .long,
    help:
      "Write log lines (and anything printed to stderr, process functions' output included) to FILE instead of the screen."
  )
  var log: String?

  @Option(name: .long, help: "Write every event as a JSON line to FILE.")
  var events: String?

  @Option(name: .long, help: "Record the session (every command, at its exact point) to FILE on exit, or on w.")
  var record: String?

  func validate() throws {
    if pipeline.template != nil, record != nil {
      throw ValidationError(
        "--record needs a scenario file to name: write the template's with fanout import -o FILE, then --scenario FILE")
    }
    if pipeline.replay != nil, liveOptions.listen != nil {
      throw ValidationError("--listen cannot be combined with --replay: a replay runs without clients or function code")
    }
  }

  func run() throws {
    let prices = try pipeline.priceTable()
    let (sim, _, scenarioPath, session) = try pipeline.load()
    sim.prices = prices
    let writer = try events.map(EventFileWriter.init(path:))
    let terminal: Terminal
    do {
      terminal = try Terminal(logPath: log)
    } catch {
      throw CLIFailure(message: "\(error)")
    }
    // Clients or function code take part: the endpoint opens, processes start on demand, and the
    // clock follows wall time (a replay needs neither: its session holds what they did).
    var live: DashboardLive?
    var label: String?
    if session == nil, liveOptions.listen != nil || !processFunctions(sim.topology).isEmpty {
      let (host, endpoint) = try openLiveHost(
        sim: sim, scenarioPath: scenarioPath, listen: liveOptions.listen, logFile: nil, record: false, signals: false)
      live = DashboardLive(host: host)
      label = liveOptions.listen != nil ? endpoint : "function code"
    }
    runDashboard(
      sim: sim, terminal: terminal, scenario: scenarioPath, observer: writer.map { w in { w.write($0) } },
      replay: session, record: record, live: live, liveLabel: label)
    if let live { live.host.close() }
    terminal.close()
    try writer?.close()
  }
}
