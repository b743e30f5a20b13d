import ArgumentParser
import FanoutScenario
import Foundation

/// What `import` and `--template` share: the parameters, the behaviour overlay, the entry
/// function and whether queue policies are assumed.
struct TemplateOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "A template parameter (repeatable); AWS::Region, AWS::AccountId and AWS::StackName set the pseudo parameters.",
      valueName: "KEY=VALUE"))
  var parameter: [String] = []

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A YAML overlay saying what the template's functions do (handlers), the entry function, load, timeline and expectations (docs/import.md).",
      valueName: "FILE"))
  var behaviour: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The function --requests (and the dashboard's p) fire; over the overlay's entry.", valueName: "NAME"))
  var entry: String?

  @Flag(
    name: .long,
    help:
      "Let SNS deliver to every queue and function, whatever its queue policy or Lambda permissions say (AWS drops deliveries they do not allow)."
  )
  var assumePolicies = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The function runs its own code as a process (repeatable): from DIR, or the folder the template names (CodeUri); all: every function naming one.",
      valueName: "NAME[=DIR]"))
  var code: [String] = []

  func parsed() throws -> ImportOptions {
    var out = ImportOptions(assumePolicies: assumePolicies)
    for p in parameter {
      guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
        throw ValidationError("--parameter takes KEY=VALUE (got '\(p)')")
      }
      out.parameters.append((String(p[..<eq]), String(p[p.index(after: eq)...])))
    }
    for c in code {
      if let eq = c.firstIndex(of: "=") {
        let dir = String(c[c.index(after: eq)...])
        guard eq != c.startIndex, !dir.isEmpty else {
          throw ValidationError("--code takes NAME or NAME=DIR (got '\(c)')")
        }
        out.code.append((String(c[..<eq]), URL(fileURLWithPath: dir).standardizedFileURL.path))
      } else {
        out.code.append((c, nil))
      }
    }
    return out
  }

  var given: Bool { !parameter.isEmpty || behaviour != nil || entry != nil || assumePolicies || !code.isEmpty }

  /// The template imported, every problem printed; errors end the command (status 2).
  func load(_ path: String) throws -> TemplateImport {
    let result = TemplateImport.load(path: path, options: try parsed(), behaviour: behaviour, entry: entry)
    for d in result.diagnostics { printError(d.description) }
    guard !result.hasErrors, result.scenario != nil else {
      throw CLIFailure(message: "\(path) could not be imported (see above)")
    }
    return result
  }
}

/// `fanout import FILE`: a CloudFormation, SAM or Terraform definition as a scenario.
struct ImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Import a CloudFormation or SAM template, or Terraform's JSON, as a scenario.",
    discussion: """
      Reads a CloudFormation template (YAML with the short-form tags, or JSON), a SAM template \
      (Transform: AWS::Serverless-2016-10-31, expanded as SAM expands it) or `terraform show -json` \
      of a plan or a state, and writes a scenario (YAML) to stdout or to -o FILE. The report on \
      stderr says what each resource became, what of it was mapped and what fanout does not model. \
      Every problem is located (file:line:column, with the JSON path); errors exit with status 2. \
      docs/import.md lists every resource and property.
      """
  )

  @Argument(help: "The template or Terraform JSON.")
  var file: String

  @Option(
    name: .shortAndLong, help: ArgumentHelp("Write the scenario to FILE instead of stdout.", valueName: "SCENARIO.yaml")
  )
  var output: String?

  @OptionGroup var template: TemplateOptions

  @Flag(name: .long, help: "Do not print the report.")
  var quiet = false

  func run() throws {
    let result = TemplateImport.load(
      path: file, options: try template.parsed(), behaviour: template.behaviour, entry: template.entry)
    if !quiet, !result.report.isEmpty { printError(result.report) }
    for d in result.diagnostics { printError(d.description) }
    guard !result.hasErrors, result.scenario != nil else {
      let errors = result.diagnostics.filter { $0.severity == .error }.count
      printError("\(file): not imported (\(errors) errors)")
      throw ExitCode(2)
    }
    // A text file ends with a newline.
    let text = result.scenarioText.hasSuffix("\n") ? result.scenarioText : result.scenarioText + "\n"
    if let output {
      do {
        try text.write(toFile: output, atomically: true, encoding: .utf8)
      } catch {
        throw CLIFailure(message: "cannot write \(output): \(error.localizedDescription)")
      }
    } else {
      print(text, terminator: "")
    }
  }
}
