import FanoutSim
import Foundation

// MARK: - fanout import: a template (CloudFormation, SAM, Terraform) as a scenario

/// An imported template: the scenario written from it (text a person can read and edit), the
/// scenario itself once validated, every problem located in the template (or the overlay), and
/// the report of what each resource became.
public struct TemplateImport: Sendable {
  /// `CloudFormation`, `CloudFormation with the SAM transform`, `Terraform plan`, `Terraform state`.
  public var kind: String
  /// The scenario YAML; empty when the template could not be read.
  public var scenarioText: String
  /// The validated scenario, nil when there are errors.
  public var scenario: Scenario?
  /// Every problem, each in the template's (or the overlay's) `file:line:column` with its path.
  public var diagnostics: [Diagnostic]
  /// What each resource became, what of it was mapped, and what fanout does not model.
  public var report: String

  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

  /// Imports a template file. `behaviour`: an overlay file saying what the functions do (and the
  /// entry, load, timeline, expectations); `entry`: the function requests fire (over the
  /// overlay's).
  public static func load(
    path: String, options: ImportOptions = ImportOptions(), behaviour: String? = nil, entry: String? = nil
  )
    -> TemplateImport
  {
    let log = ImportLog(file: path)
    guard let root = TemplateReader.read(path: path, log: log) else {
      return TemplateImport(
        kind: "unreadable", scenarioText: "", scenario: nil, diagnostics: log.diagnostics, report: "")
    }
    return build(root, file: path, log: log, options: options, behaviour: behaviour, entry: entry)
  }

  /// Imports template text (as if read from `file`).
  public static func parse(
    _ text: String, file: String, options: ImportOptions = ImportOptions(),
    behaviour: (text: String, file: String)? = nil,
    entry: String? = nil
  ) -> TemplateImport {
    let log = ImportLog(file: file)
    guard let root = TemplateReader.parse(text, json: file.lowercased().hasSuffix(".json"), log: log) else {
      return TemplateImport(
        kind: "unreadable", scenarioText: "", scenario: nil, diagnostics: log.diagnostics, report: "")
    }
    var overlay: BehaviourOverlay?
    if let behaviour {
      overlay = BehaviourOverlay.parse(behaviour.text, file: behaviour.file, log: log)
      if overlay == nil {
        return TemplateImport(kind: "", scenarioText: "", scenario: nil, diagnostics: log.diagnostics, report: "")
      }
    }
    return build(root, file: file, log: log, options: options, overlay: overlay, entry: entry)
  }

  static func build(
    _ root: TNode, file: String, log: ImportLog, options: ImportOptions, behaviour: String?, entry: String?
  ) -> TemplateImport {
    var overlay: BehaviourOverlay?
    if let behaviour {
      overlay = BehaviourOverlay.load(path: behaviour, log: log)
      if overlay == nil {
        return TemplateImport(kind: "", scenarioText: "", scenario: nil, diagnostics: log.diagnostics, report: "")
      }
    }
    return build(root, file: file, log: log, options: options, overlay: overlay, entry: entry)
  }

  static func build(
    _ root: TNode, file: String, log: ImportLog, options: ImportOptions, overlay: BehaviourOverlay?, entry: String?
  ) -> TemplateImport {
    let imported: ImportedPipeline?
    if TerraformImporter.isTerraform(root) {
      imported = TerraformImporter(file: file, log: log, options: options).run(root)
    } else {
      imported = CloudFormationImporter(file: file, log: log, options: options).run(root)
    }
    guard var p = imported, !log.hasErrors else {
      return TemplateImport(
        kind: imported?.kind ?? "", scenarioText: "", scenario: nil, diagnostics: log.diagnostics,
        report: imported?.reportText() ?? "")
    }
    // Functions the overlay says nothing of consume their records and succeed.
    overlay?.apply(to: &p, log: log)
    codeHandlers(&p, options.code, file: file, log: log)
    for i in p.functions.indices where !p.functions[i].has("handler") {
      p.functions[i].set(
        Entry(
          "handler", .flow("{ type: compute }"), p.functions[i].origin,
          comment: "No behaviour given: it consumes its records successfully after its duration."))
      if let r = p.reports.firstIndex(where: { $0.outcome == "function '\(p.functions[i].name)'" }) {
        p.reports[r].notes.append(
          "no behaviour given (--behaviour): handler compute, which consumes its records successfully after its duration"
        )
      }
    }
    if let entry {
      if p.functionIndex(entry) == nil {
        noSuchFunction(entry, flag: "--entry", in: p, log: log)
      } else {
        p.top.removeAll { $0.key == "entry" }
        p.top.append(Entry("entry", .string(entry), Origin(file: file, place: .top)))
      }
    }
    let lines = p.scenarioLines()
    let text = lines.map(\.text).joined(separator: "\n") + "\n"
    guard !log.hasErrors else {
      return TemplateImport(
        kind: p.kind, scenarioText: text, scenario: nil, diagnostics: log.diagnostics, report: p.reportText())
    }
    // The scenario parser validates what was written, in AWS's words; each of its problems is
    // reported where the template (or the overlay) says the value.
    let (scenario, found) = Scenario.parse(text, file: file + " (imported)")
    var seen: Set<String> = []
    for d in found {
      // The import warns of denied deliveries itself, with what to do about them.
      if d.severity == .warning, d.message.hasPrefix("SNS cannot deliver") { continue }
      let origin =
        d.line >= 1 && d.line <= lines.count
        ? lines[d.line - 1].origin ?? Origin(file: file, place: .top) : Origin(file: file, place: .top)
      let mapped = Diagnostic(
        severity: d.severity, file: origin.file, line: origin.place.line, column: origin.place.column,
        path: origin.place.path.isEmpty ? d.path : origin.place.path, message: d.message)
      if seen.insert(mapped.description).inserted { log.add(mapped) }
    }
    return TemplateImport(
      kind: p.kind, scenarioText: text, scenario: log.hasErrors ? nil : scenario, diagnostics: log.diagnostics,
      report: p.reportText())
  }
}

// MARK: --code: a template's functions running their own code

extension TemplateImport {
  /// A command-line flag naming a function the pipeline does not have: the error, with a
  /// did-you-mean and the functions it has.
  static func noSuchFunction(_ name: String, flag: String, in p: ImportedPipeline, log: ImportLog) {
    var m = "\(flag) \(name): the imported pipeline has no function '\(name)'"
    if let s = suggestion(name, p.functions.map(\.name)) { m += " (did you mean '\(s)'?)" }
    log.error(nil, m + "; its functions: " + p.functions.map(\.name).joined(separator: ", "), file: flag)
  }

  /// The command that runs a runtime's code through the Lambda Runtime API: AWS's runtime
  /// interface client for the runtime's language, or a custom runtime's `bootstrap`.
  /// Nil with why when there is none.
  static func processCommand(runtime: String?, handler: String?, directory: String) -> (command: [String]?, why: String)
  {
    guard let runtime else {
      return (nil, "the template gives it no Runtime (a container image); give it a handler in the behaviour overlay")
    }
    if runtime.hasPrefix("provided") {
      return ([(directory as NSString).appendingPathComponent("bootstrap")], "")
    }
    guard let handler else { return (nil, "the template gives it no Handler") }
    if runtime.hasPrefix("python") { return (["python3", "-m", "awslambdaric", handler], "") }
    if runtime.hasPrefix("nodejs") { return (["npx", "aws-lambda-ric", handler], "") }
    if runtime.hasPrefix("ruby") { return (["aws_lambda_ric", handler], "") }
    return (
      nil,
      "Runtime \(runtime): fanout runs python, nodejs, ruby and provided (custom runtime) code as a process; give it a handler of type process in the behaviour overlay"
    )
  }

  /// Gives each `--code` function a process handler: its runtime's command, its folder, its
  /// template environment. Over the overlay's handler: the command line is the later word.
  static func codeHandlers(
    _ p: inout ImportedPipeline, _ code: [(function: String, directory: String?)], file: String, log: ImportLog
  ) {
    var chosen: [(Int, String?)] = []
    for (name, dir) in code {
      if name == "all" {
        let named = p.functions.indices.filter { p.code[p.functions[$0].name]?.path != nil }
        if named.isEmpty {
          log.error(
            nil, "--code all: no function of the template names a local folder (CodeUri or Code)", file: "--code")
        }
        chosen += named.map { ($0, dir) }
        continue
      }
      guard let i = p.functionIndex(name) else {
        noSuchFunction(name, flag: "--code", in: p, log: log)
        continue
      }
      chosen.append((i, dir))
    }
    let base = URL(fileURLWithPath: file).deletingLastPathComponent()
    for (i, dir) in chosen {
      let name = p.functions[i].name
      let c = p.code[name] ?? FunctionCode(origin: p.functions[i].origin)
      guard let folder = dir ?? c.path.map({ URL(fileURLWithPath: $0, relativeTo: base).standardizedFileURL.path })
      else {
        log.error(
          nil,
          "--code \(name): the template names no local folder for its code (CodeUri or Code): give --code \(name)=DIR",
          file: "--code")
        continue
      }
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
        log.error(nil, "--code \(name): \(folder) is not a folder", file: "--code")
        continue
      }
      let (found, why) = processCommand(runtime: c.runtime, handler: c.handler, directory: folder)
      guard let command = found else {
        log.error(nil, "--code \(name): \(why)", file: "--code")
        continue
      }
      var flow =
        "{ type: process, command: [" + command.map(jsonString).joined(separator: ", ") + "], cwd: "
        + jsonString(folder)
      if !c.environment.isEmpty {
        flow +=
          ", environment: { "
          + c.environment.map { jsonString($0.0) + ": " + jsonString($0.1) }.joined(
            separator: ", ") + " }"
      }
      flow += " }"
      p.functions[i].set(
        Entry(
          "handler", .flow(flow), c.origin,
          comment: "--code: its own code, run as a process through the Lambda Runtime API (docs/serve.md)."))
      if let r = p.reports.firstIndex(where: { $0.outcome == "function '\(name)'" }) {
        p.reports[r].notes.append("--code: runs \(command.joined(separator: " ")) in \(folder)")
      }
    }
  }
}
