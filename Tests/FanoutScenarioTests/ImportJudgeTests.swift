import Foundation
import Testing

@testable import FanoutScenario
@testable import FanoutSim

/// Runs python3 with `arguments`; nil when python3 cannot be started.
func python(_ arguments: [String], environment: [String: String] = [:]) -> (status: Int32, out: String, err: String)? {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = ["python3"] + arguments
  var env = ProcessInfo.processInfo.environment
  for (k, v) in environment { env[k] = v }
  p.environment = env
  let out = Pipe()
  let err = Pipe()
  p.standardOutput = out
  p.standardError = err
  do { try p.run() } catch { return nil }
  // Read before waiting: a full pipe would block the child.
  let o = out.fileHandleForReading.readDataToEndOfFile()
  let e = err.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Whether the outside judges are installed (`.ci/run` installs them: pip install
/// aws-sam-translator cfn-lint); without them the judge tests are skipped with this reason.
let judgesInstalled = python(["-c", "import samtranslator, cfnlint"])?.status == 0

/// aws-sam-translator's own transform (the library SAM CLI uses), from a SAM template to
/// CloudFormation JSON.
let samTranslate = """
  import json, sys
  from samtranslator.translator.transform import transform
  from samtranslator.yaml_helper import yaml_parse
  class NoManagedPolicies:
      def load(self):
          return {}
  with open(sys.argv[1]) as f:
      template = yaml_parse(f.read())
  print(json.dumps(transform(template, {}, NoManagedPolicies()), indent=1))
  """

/// The SAM templates the judges transform.
func samTemplates() throws -> [String] {
  // examples/seed-python/template.yaml names local code folders (CodeUri: preprocessor/), which
  // `sam build` packages before the translator sees a template: cfn-lint judges it alone.
  try corpus().filter { $0.hasPrefix("sam-") }.map(templatePath) + [repoFile("examples/seed-pipeline.sam.yaml")]
}

@Suite("The outside judges: aws-sam-translator and cfn-lint")
struct ImportJudgeTests {
  @Test(.enabled(if: judgesInstalled, "python3 with aws-sam-translator and cfn-lint is not installed: skipped"))
  func testSAMTemplateImportsAsTheTopologyTheSAMTranslatorsOutputImportsAs() throws {
    let files = try samTemplates()
    #expect(files.count >= 3)
    for file in files {
      let translated = try #require(
        python(["-c", samTranslate, file], environment: ["AWS_DEFAULT_REGION": "us-east-1"]))
      #expect(translated.status == 0, "\(file): \(translated.err)")
      let fromSAM = TemplateImport.load(path: file)
      let fromCFN = importText(translated.out, file: URL(fileURLWithPath: file).lastPathComponent + ".translated.json")
      let sam = try #require(fromSAM.scenario, "\(file): \(fromSAM.diagnostics)")
      let cfn = try #require(fromCFN.scenario, "\(file) translated: \(fromCFN.diagnostics)")
      #expect(summary(sam.topology) == summary(cfn.topology), "\(file)")
      #expect(!cfn.topology.queues.isEmpty)
    }
  }

  @Test(.enabled(if: judgesInstalled, "python3 with aws-sam-translator and cfn-lint is not installed: skipped"))
  func testEveryTemplateOfTheCorpusPassesCfnLint() throws {
    // Terraform's JSON is not a CloudFormation template.
    let files =
      try corpus().filter { !$0.hasPrefix("terraform-") }.map(templatePath) + [
        repoFile("examples/seed-pipeline.sam.yaml"), repoFile("examples/seed-python/template.yaml"),
      ]
    #expect(files.count >= 8)
    let lint = try #require(python(["-c", "import sys; from cfnlint.runner import main; sys.exit(main())"] + files))
    #expect(lint.status == 0, "cfn-lint: \(lint.out)\(lint.err)")
  }
}
