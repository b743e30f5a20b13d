import ArgumentParser
import FanoutScenario
import FanoutSim
import Foundation

/// `fanout calibrate`: every published measurement of AWS in `calibration/`, reproduced, with
/// fanout's figure beside AWS's and the verdict.
struct CalibrateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "calibrate",
    abstract: "Run the calibration suite: each published AWS experiment as a scenario, fanout's figures beside AWS's.",
    discussion: """
      Each file is a scenario plus a `calibration` block: the source, the published figures and the \
      tolerance each is held to (see calibration/README.md). fanout runs it in virtual time, \
      samples every second and aggregates by minute as CloudWatch does, then prints one row per \
      figure. Exit status 0 when every figure is within its tolerance, 1 when one is not, 2 on bad \
      input.
      """
  )

  @Argument(help: "Calibration files (default: calibration/*.yaml).")
  var files: [String] = []

  @Option(name: .long, help: "Override every experiment's seed.")
  var seed: UInt64?

  @Flag(name: .long, help: "Print the table as Markdown (the README's table).")
  var markdown = false

  func run() throws {
    var paths = files
    if paths.isEmpty {
      let dir = "calibration"
      let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
      paths = names.filter { $0.hasSuffix(".yaml") }.sorted().map { dir + "/" + $0 }
      if paths.isEmpty { throw CLIFailure(message: "no calibration files: give paths, or run from the repository") }
    }
    var experiments: [CalibrationExperiment] = []
    var bad = false
    for p in paths {
      let (e, diagnostics) = CalibrationExperiment.load(path: p)
      for d in diagnostics { printError(d.description) }
      if let e { experiments.append(e) } else { bad = true }
    }
    if bad { throw ExitCode(2) }
    var rows: [[String]] = []
    var failures = 0
    for e in experiments {
      let results = try e.run(seed: seed)
      for r in results {
        if !r.holds { failures += 1 }
        rows.append([
          e.experiment, r.check, format(r.published), format(r.measured), r.tolerance.text, r.holds ? "ok" : "OUT",
        ])
      }
    }
    let header = ["experiment", "figure", "AWS", "fanout", "tolerance", "verdict"]
    if markdown {
      print("| " + header.joined(separator: " | ") + " |")
      print("|" + header.map { _ in "---" }.joined(separator: "|") + "|")
      for r in rows { print("| " + r.joined(separator: " | ") + " |") }
    } else {
      let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max()! }
      func line(_ r: [String]) -> String {
        r.indices.map { i in i == r.count - 1 ? r[i] : r[i].padding(toLength: widths[i], withPad: " ", startingAt: 0) }
          .joined(separator: "  ")
      }
      print(line(header))
      for r in rows { print(line(r)) }
    }
    let total = rows.count
    print("\(total - failures) of \(total) figures within tolerance (\(experiments.count) experiments)")
    if failures > 0 { throw ExitCode(1) }
  }

  func format(_ x: Double) -> String {
    if abs(x - x.rounded()) < 1e-9 { return String(Int(x.rounded())) }
    if abs(x) >= 100 { return String(Int(x.rounded())) }
    return String(format: "%.1f", x)
  }
}
