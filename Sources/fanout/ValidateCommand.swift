import ArgumentParser
import FanoutScenario

/// `fanout validate FILE...`: every problem of every scenario file, located.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check scenario files: every problem with file:line:column, exit 2 on errors."
  )

  @Argument(help: "Scenario files (YAML).")
  var files: [String]

  func run() throws {
    var failed = false
    for f in files {
      let (scenario, diagnostics) = Scenario.load(path: f)
      for d in diagnostics { printError(d.description) }
      let warnings = diagnostics.filter { $0.severity == .warning }.count
      if scenario == nil {
        failed = true
        printError("\(f): invalid (\(diagnostics.count - warnings) errors, \(warnings) warnings)")
      } else {
        print("\(f): ok" + (warnings > 0 ? " (\(warnings) warnings)" : ""))
      }
    }
    if failed { throw ExitCode(2) }
  }
}

/// Loads a scenario for `run` and the dashboard: warnings go to stderr, errors end the command.
func loadScenario(_ path: String) throws -> Scenario {
  let (scenario, diagnostics) = Scenario.load(path: path)
  for d in diagnostics { printError(d.description) }
  guard let scenario else { throw CLIFailure(message: "\(path) is not a valid scenario (see above)") }
  return scenario
}
