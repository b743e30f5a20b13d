import ArgumentParser
import FanoutReport
import FanoutScenario
import FanoutSim
import Foundation

/// `fanout sweep`: a scenario over many seeds and every combination of varied values (`run`, the
/// default), and the merge of its shards (`merge`).
struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Run a scenario over many seeds and combinations of settings: each figure's distribution.",
    discussion: """
      `fanout sweep --seeds N [--vary KEY=V1,V2,...]...` runs the sweep (the run subcommand, the \
      default); `fanout sweep merge FILES...` combines the shards `--shard K/N` wrote. docs/sweep.md \
      has the keys --vary takes, GNU parallel and a Kubernetes Indexed Job.
      """,
    subcommands: [SweepRunCommand.self, SweepMergeCommand.self],
    defaultSubcommand: SweepRunCommand.self
  )
}

/// `fanout sweep [run]`: the runs, each combination's figures as distributions over its seeds.
struct SweepRunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run the sweep (the default): every seed of every combination, on J threads.",
    discussion: """
      Runs the pipeline (the built-in one, --scenario or --template) once for each seed S..S+N-1 and \
      each combination of the --vary values, on J threads, each run its own simulation as `fanout \
      run --seed S` would run it. For each combination it prints, over its seeds, the mean, p5, p50 \
      and p95 (linear interpolation) and the 95 % confidence interval of the mean (Student's t) of: \
      requests completed, p50 and p99 end-to-end latency, the largest queue depth, the oldest \
      message's age, messages in DLQs at the end and peak concurrency. The output is the same, byte \
      for byte, whatever --jobs is. --shard K/N runs one slice and writes its raw results as JSON; \
      `fanout sweep merge` combines the slices into what the whole sweep prints. --html FILE also \
      writes a self-contained page: the sweep's definition, a chart of each figure's spread against \
      the varied values (or over the seeds, with nothing varied) and the text (docs/report.md).
      """
  )

  @Option(name: .long, help: "A scenario file (YAML) instead of the built-in pipeline.")
  var scenario: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A CloudFormation or SAM template, or Terraform's JSON, imported as fanout import does.", valueName: "FILE"))
  var template: String?

  @OptionGroup var templateOptions: TemplateOptions

  @Option(name: .long, help: "Seeds per combination (1 to 1000000).")
  var seeds: Int?

  @Option(name: .customLong("seed-base"), help: "The first seed (default 1): seeds S to S+N-1 run.")
  var seedBase: UInt64 = 1

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A setting and its values (repeatable): rate, requests, queue.<name>.VisibilityTimeout, mapping.<queue>.BatchSize, function.<name>.Timeout, … (docs/sweep.md).",
      valueName: "KEY=V1,V2,..."))
  var vary: [String] = []

  @Option(name: .long, help: "Threads to run on (default: the number of cores).")
  var jobs: Int?

  @Option(name: .long, help: "Requests each run fires (0 to 100000000; default 10, or the scenario's load).")
  var requests: Int?

  @Option(name: .long, help: "Requests per second of virtual time (above 0, at most 1000000; default 100).")
  var rate: Double?

  @Option(name: .long, help: "Stop each run after this much virtual time even if work remains (e.g. 90s, 10m).")
  var until: String?

  @Flag(name: .long, help: "Print the results as one JSON object.")
  var json = false

  @Flag(name: .long, help: "Print the results as CSV: one row per combination and figure.")
  var csv = false

  @Option(name: .long, help: ArgumentHelp("Run only slice K of N and write its raw results (JSON).", valueName: "K/N"))
  var shard: String?

  @Option(name: .long, help: ArgumentHelp("Write to FILE instead of standard output.", valueName: "FILE"))
  var out: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Also write a self-contained HTML page of the sweep to FILE: its definition, a chart per figure, the table.",
      valueName: "FILE"))
  var html: String?

  @Flag(name: .customLong("emit-k8s-job"), help: "Print a Kubernetes Indexed Job that runs the sweep's shards.")
  var emitK8sJob = false

  @Option(name: .long, help: "With --emit-k8s-job: how many shards (pods; default 4).")
  var shards: Int?

  @Option(
    name: .long, help: "With --emit-k8s-job: the container image, with fanout on its PATH (default fanout:latest).")
  var image: String?

  func validate() throws {
    if template != nil, scenario != nil {
      throw ValidationError("--template cannot be combined with --scenario: it is the pipeline")
    }
    if template == nil, templateOptions.given {
      throw ValidationError("--parameter, --behaviour, --entry, --assume-policies and --code go with --template")
    }
    if json, csv { throw ValidationError("--json and --csv cannot be combined: choose one") }
    if let requests, !(0...100_000_000).contains(requests) {
      throw ValidationError("--requests must be between 0 and 100000000 (got \(requests))")
    }
    if let rate, !(rate.isFinite && rate > 0 && rate <= 1_000_000) {
      throw ValidationError("--rate must be above 0 and at most 1000000 requests per second (got \(rate))")
    }
    if let until {
      guard let span = parseSpan(until), span > .zero else {
        throw ValidationError("--until must be a positive duration such as 90s, 10m or 2h (got '\(until)')")
      }
      guard span <= .days(366) else { throw ValidationError("--until must be at most 366 days (got '\(until)')") }
    }
    if let jobs, !(1...4_096).contains(jobs) {
      throw ValidationError("--jobs must be between 1 and 4096 (got \(jobs))")
    }
    if shard != nil, json || csv {
      throw ValidationError(
        "--shard writes its raw results as JSON; --json and --csv go with a whole sweep or with fanout sweep merge")
    }
    if shard != nil, html != nil {
      throw ValidationError(
        "--shard writes its raw results as JSON; --html goes with a whole sweep or with fanout sweep merge --html")
    }
    if emitK8sJob {
      if shard != nil { throw ValidationError("--emit-k8s-job prints the job that runs every shard: drop --shard") }
      if json || csv || out != nil || html != nil {
        throw ValidationError("--emit-k8s-job prints a manifest: drop --json, --csv, --out and --html")
      }
      if let shards, !(1...100_000).contains(shards) {
        throw ValidationError("--shards must be between 1 and 100000 (got \(shards))")
      }
    } else if shards != nil || image != nil {
      throw ValidationError("--shards and --image go with --emit-k8s-job")
    }
  }

  func run() throws {
    guard let seeds else {
      throw CLIFailure(message: "fanout sweep needs --seeds N (or: fanout sweep merge FILES...)")
    }
    let pipeline = try loadPipeline()
    try refuseProcessFunctions(pipeline.scenario.topology, command: "sweep")
    let plan: SweepPlan
    do {
      plan = try SweepPlan.make(
        pipeline: pipeline, seeds: seeds, seedBase: seedBase, requests: requests, rate: rate,
        until: until.flatMap(parseSpan), vary: vary)
    } catch let e as SweepArgumentError {
      throw CLIFailure(message: e.description)
    } catch {
      throw CLIFailure(message: "\(error)")
    }
    for w in plan.warnings { printError("fanout: warning: \(w)") }
    let d = plan.definition
    if emitK8sJob {
      let n = shards ?? 4
      guard n <= d.runCount else {
        throw CLIFailure(message: "--shards \(n) is more than the sweep's \(d.runCount) runs: at most \(d.runCount)")
      }
      print(try kubernetesJob(shards: n).manifest)
      return
    }
    let jobs = self.jobs ?? ProcessInfo.processInfo.activeProcessorCount
    // Opened (and so created) before the runs: a path that cannot be written fails first.
    let pageFile = try html.map(PageFile.init(path:))
    let output: String
    if let shard {
      let (k, n) = try parseShard(shard, runs: d.runCount)
      let table = try runSweep(plan, runs: d.runs(ofShard: k, of: n), jobs: jobs)
      output = SweepShard(definition: d, index: k, count: n, table: table).json
    } else {
      let table = try runSweep(plan, runs: Array(0..<d.runCount), jobs: jobs)
      let report = try SweepReport(definition: d, table: table)
      output = json ? report.json : csv ? report.csv : report.text
      try pageFile?.write(SweepReportPage.html(report: report, table: table))
    }
    try write(output, to: out)
  }

  /// The pipeline, parsed once: problems printed, errors end the command (status 2).
  func loadPipeline() throws -> SweepPipeline {
    if let template {
      let imported = try templateOptions.load(template)
      guard let s = imported.scenario else { throw CLIFailure(message: "\(template) could not be imported") }
      var inputs = ["template", try readFile(template)]
      inputs += ["behaviour", try templateOptions.behaviour.map(readFile) ?? ""]
      inputs += ["parameters"] + templateOptions.parameter
      inputs += ["entry", templateOptions.entry ?? "", "assume-policies", String(templateOptions.assumePolicies)]
      return .template(s, inputs: inputs)
    }
    guard let scenario else { return .builtIn() }
    let (pipeline, diagnostics) = SweepPipeline.scenarioFile(path: scenario)
    for d in diagnostics { printError(d.description) }
    guard let pipeline else { throw CLIFailure(message: "\(scenario) is not a valid scenario (see above)") }
    return pipeline
  }

  /// `K/N`, 1 ≤ K ≤ N ≤ the runs.
  func parseShard(_ text: String, runs: Int) throws -> (Int, Int) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else {
      throw CLIFailure(message: "--shard takes K/N with 1 ≤ K ≤ N, e.g. --shard 2/4 (got '\(text)')")
    }
    guard n <= runs else {
      throw CLIFailure(message: "--shard \(text): the sweep has \(runs) runs, so at most \(runs) shards")
    }
    return (k, n)
  }

  /// The Indexed Job: the same sweep in every pod, files from a ConfigMap at /sweep.
  func kubernetesJob(shards: Int) throws -> SweepKubernetesJob {
    var files: [(key: String, text: String)] = []
    func ship(_ path: String) throws -> String {
      var key = SweepKubernetesJob.key(forFile: URL(fileURLWithPath: path).lastPathComponent)
      while files.contains(where: { $0.key == key }) { key = "2-" + key }
      files.append((key, try readFile(path)))
      return SweepKubernetesJob.mountPath + "/" + key
    }
    var args: [String] = []
    if let scenario { args += ["--scenario", try ship(scenario)] }
    if let template {
      args += ["--template", try ship(template)]
      for p in templateOptions.parameter { args += ["--parameter", p] }
      if let b = templateOptions.behaviour { args += ["--behaviour", try ship(b)] }
      if let e = templateOptions.entry { args += ["--entry", e] }
      if templateOptions.assumePolicies { args.append("--assume-policies") }
    }
    args += ["--seeds", String(seeds ?? 1)]
    if seedBase != 1 { args += ["--seed-base", String(seedBase)] }
    for v in vary { args += ["--vary", v] }
    if let requests { args += ["--requests", String(requests)] }
    if let rate { args += ["--rate", "\(rate)"] }
    if let until { args += ["--until", until] }
    return SweepKubernetesJob(image: image ?? "fanout:latest", shards: shards, arguments: args, files: files)
  }
}

/// Runs a sweep's runs; a failed run ends the command.
func runSweep(_ plan: SweepPlan, runs: [Int], jobs: Int) throws -> SweepTable {
  do { return try plan.run(runs: runs, jobs: jobs) } catch { throw CLIFailure(message: "\(error)") }
}

/// A file's text, or a failure naming it.
func readFile(_ path: String) throws -> String {
  guard let data = FileManager.default.contents(atPath: path) else { throw CLIFailure(message: "cannot read \(path)") }
  guard let text = String(data: data, encoding: .utf8) else { throw CLIFailure(message: "\(path) is not UTF-8 text") }
  return text
}

/// Prints `text` (and a line break), or writes it to `path`.
func write(_ text: String, to path: String?) throws {
  guard let path else {
    print(text)
    return
  }
  do {
    try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
  } catch {
    throw CLIFailure(message: "cannot write \(path): \(error.localizedDescription)")
  }
}

/// `fanout sweep merge`: shards into the whole sweep's output.
struct SweepMergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Combine the shards of a sweep into what the whole sweep prints.",
    discussion: """
      Reads the files `fanout sweep … --shard K/N` wrote, one per K, and prints exactly (byte for \
      byte) what the sweep run whole prints, as text, --json or --csv; --html FILE writes the page \
      the whole sweep's --html writes. Shards of different sweeps, or cut from different scenario \
      text (their fingerprints differ), are refused, and so is a slice that is missing or given \
      twice.
      """
  )

  @Argument(help: "The shards' files.")
  var files: [String]

  @Flag(name: .long, help: "Print the results as one JSON object.")
  var json = false

  @Flag(name: .long, help: "Print the results as CSV: one row per combination and figure.")
  var csv = false

  @Option(name: .long, help: ArgumentHelp("Write to FILE instead of standard output.", valueName: "FILE"))
  var out: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Also write the sweep's self-contained HTML page to FILE, as the whole sweep's --html does.", valueName: "FILE"))
  var html: String?

  func validate() throws {
    if json, csv { throw ValidationError("--json and --csv cannot be combined: choose one") }
    if files.isEmpty { throw ValidationError("give the shards' files: fanout sweep merge shard-1.json shard-2.json …") }
  }

  func run() throws {
    do {
      var shards: [(file: String, shard: SweepShard)] = []
      for f in files { shards.append((f, try SweepShard.parse(try readFile(f), file: f))) }
      let (definition, table) = try SweepShard.merge(shards)
      let report = try SweepReport(definition: definition, table: table)
      if let html { try PageFile(path: html).write(SweepReportPage.html(report: report, table: table)) }
      try write(json ? report.json : csv ? report.csv : report.text, to: out)
    } catch let e as SweepError {
      throw CLIFailure(message: e.message)
    }
  }
}
