import ArgumentParser
import FanoutScenario
import FanoutSim
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

  @Option(name: .long, help: "Write log lines (and anything printed to stderr) to FILE instead of the screen.")
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
  }

  func run() throws {
    let prices = try pipeline.priceTable()
    let (sim, _, scenarioPath, session) = try pipeline.load()
    try refuseProcessFunctions(sim)
    sim.prices = prices
    let writer = try events.map(EventFileWriter.init(path:))
    let terminal: Terminal
    do {
      terminal = try Terminal(logPath: log)
    } catch {
      throw CLIFailure(message: "\(error)")
    }
    runDashboard(
      sim: sim, terminal: terminal, scenario: scenarioPath, observer: writer.map { w in { w.write($0) } },
      replay: session,
      record: record)
    terminal.close()
    try writer?.close()
  }
}
