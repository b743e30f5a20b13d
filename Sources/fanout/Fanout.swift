import ArgumentParser
import FanoutScenario
import FanoutSim
import FanoutWire
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The `fanout` command.
struct Fanout: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fanout",
    abstract: "A deterministic, virtual-time simulation of an SNS → SQS → Lambda → S3 pipeline.",
    subcommands: [
      DashboardCommand.self, RunCommand.self, ValidateCommand.self, TraceCommand.self, CheckCommand.self,
      CalibrateCommand.self, ImportCommand.self, SweepCommand.self, ServeCommand.self,
    ],
    defaultSubcommand: DashboardCommand.self
  )
}

/// Entry point: every usage error exits with status 2 and a clear message, never a trap.
@main
enum Main {
  static func main() {
    do {
      var command = try Fanout.parseAsRoot()
      try command.run()
    } catch let exit as ExitCode {
      Glibc.exit(exit.rawValue)
    } catch let failure as CLIFailure {
      printError("fanout: " + failure.message)
      Glibc.exit(failure.status)
    } catch {
      let code = Fanout.exitCode(for: error)
      let message = Fanout.fullMessage(for: error)
      if code == .success {
        print(message)
        Glibc.exit(0)
      }
      printError(message)
      Glibc.exit(2)
    }
  }
}

/// A failure the command reports with a message and an exit status.
struct CLIFailure: Error {
  var message: String
  var status: Int32 = 2
}

func printError(_ s: String) {
  let text = s.hasSuffix("\n") ? s : s + "\n"
  var bytes = Array(text.utf8)
  _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

/// The built-in pipeline's simulation; a refused topology is a failure with AWS's message.
func makeSimulation(seed: UInt64) throws -> Simulation {
  do {
    return try Simulation(topology: .seedPipeline(), seed: seed)
  } catch {
    throw CLIFailure(message: "\(error)")
  }
}

/// A scenario's simulation with its load and timeline; a refused topology is a failure.
func simulation(of scenario: Scenario, seed: UInt64?) throws -> Simulation {
  do {
    return try scenario.simulation(seed: seed)
  } catch {
    throw CLIFailure(message: "\(error)")
  }
}

/// Reads a session recorded by the dashboard.
func loadReplay(_ path: String) throws -> ReplayLog {
  guard let data = FileManager.default.contents(atPath: path) else { throw CLIFailure(message: "cannot read \(path)") }
  do {
    return try ReplayLog.parse(String(decoding: data, as: UTF8.self))
  } catch {
    throw CLIFailure(message: "\(path): \(error)")
  }
}

/// What both the dashboard and `run` start from: a scenario (or the built-in pipeline), a seed, or
/// a recorded session (which names its own scenario and seed).
struct PipelineOptions: ParsableArguments {
  @Option(name: .long, help: "A scenario file (YAML) instead of the built-in pipeline.")
  var scenario: String?

  @Option(name: .long, help: "Seed of every random stream (default: the scenario's, or 1).")
  var seed: UInt64?

  @Option(
    name: .long,
    help: "A session recorded with --record (by the dashboard, run or serve): its scenario, seed and commands.")
  var replay: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A CloudFormation or SAM template, or Terraform's JSON (terraform show -json), imported as fanout import does.",
      valueName: "FILE"))
  var template: String?

  @OptionGroup var templateOptions: TemplateOptions

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A price table (JSON, as prices/us-east-1.json) for the run's cost, instead of the built-in us-east-1 list prices.",
      valueName: "FILE"))
  var prices: String?

  /// The price table: `--prices FILE`, or AWS's us-east-1 list prices.
  func priceTable() throws -> PriceTable {
    guard let prices else { return .usEast1 }
    let (table, diagnostics) = PriceTable.load(path: prices)
    for d in diagnostics { printError(d.description) }
    guard let table else { throw ExitCode(2) }
    return table
  }

  /// The simulation, with the scenario and recorded session behind it.
  func validate() throws {
    if replay != nil, seed != nil {
      throw ValidationError("--seed cannot be combined with --replay: the recorded session names its seed")
    }
    if template != nil, scenario != nil || replay != nil {
      throw ValidationError("--template cannot be combined with --scenario or --replay: it is the pipeline")
    }
    if template == nil, templateOptions.given {
      throw ValidationError("--parameter, --behaviour, --entry, --assume-policies and --code go with --template")
    }
  }

  func load() throws -> (sim: Simulation, scenario: Scenario?, scenarioPath: String?, session: ReplayLog?) {
    if let template {
      let imported = try templateOptions.load(template)
      guard let scenario = imported.scenario else { throw CLIFailure(message: "\(template) could not be imported") }
      return (try simulation(of: scenario, seed: seed), scenario, nil, nil)
    }
    let session = try replay.map(loadReplay)
    if let session, let scenario, scenario != session.scenario {
      throw CLIFailure(
        message:
          "--scenario \(scenario) differs from the recorded session's (\(session.scenario ?? "the built-in pipeline"))")
    }
    let path = session?.scenario ?? scenario
    let loaded = try path.map(loadScenario)
    let seed = session?.seed ?? self.seed
    let sim = try loaded.map { try simulation(of: $0, seed: seed) } ?? makeSimulation(seed: seed ?? 1)
    // A session's client requests are answered again by the wire layer; its process functions'
    // results are in the session, so their code does not run.
    if session != nil { sim.wireReplayer = WireReplayer() }
    return (sim, loaded, path, session)
  }
}
