import ArgumentParser
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

  @Option(name: .long, help: "Seed of every random stream.")
  var seed: UInt64 = 1

  @Option(name: .long, help: "Write log lines (and anything printed to stderr) to FILE instead of the screen.")
  var log: String?

  func run() throws {
    let sim = try makeSimulation(seed: seed)
    let terminal: Terminal
    do {
      terminal = try Terminal(logPath: log)
    } catch {
      throw CLIFailure(message: "\(error)")
    }
    runDashboard(sim: sim, terminal: terminal)
    terminal.close()
  }
}
