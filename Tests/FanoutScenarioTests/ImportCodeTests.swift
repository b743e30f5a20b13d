import Foundation
import Testing

@testable import FanoutScenario
@testable import FanoutSim

/// `--code`: a template's functions running their own code as processes, as the template says to
/// run it (Runtime, Handler, Environment.Variables, CodeUri).
@Suite("Importing a template's function code (--code)")
struct ImportCodeTests {
  static let template = repoFile("examples/seed-python/template.yaml")

  func process(_ scenario: Scenario, _ name: String) -> ProcessHandler? {
    guard let f = scenario.topology.functions.first(where: { $0.name == name }), case .process(let h) = f.handler
    else { return nil }
    return h
  }

  @Test(
    "--code all: each function with a CodeUri runs python3 -m awslambdaric with its Handler, in its folder, with its template environment"
  )
  func testCodeAllRunsEachFunctionsFolderWithItsRuntimeAndEnvironment() throws {
    let r = TemplateImport.load(path: Self.template, options: ImportOptions(code: [("all", nil)]))
    let scenario = try #require(r.scenario, "\(r.diagnostics)")
    let folder = URL(fileURLWithPath: Self.template).deletingLastPathComponent()
    let pre = try #require(process(scenario, "preprocessor"))
    #expect(pre.command == ["python3", "-m", "awslambdaric", "lambda_function.lambda_handler"])
    #expect(pre.cwd == folder.appendingPathComponent("preprocessor").standardizedFileURL.path)
    let env = Dictionary(uniqueKeysWithValues: pre.environment.map { ($0.name, $0.value) })
    #expect(env["S3_BUCKET"] == "fanout-bucket" && env["S3_PREFIX"] == "fanout")
    // !Ref of a topic is its ARN.
    #expect(env["SNS_TOPIC_ARN_CONNECTOR"] == "arn:aws:sns:us-east-1:123456789012:connector")
    for s in ["service01", "service02", "service03"] {
      let h = try #require(process(scenario, s))
      #expect(h.cwd == folder.appendingPathComponent("service").standardizedFileURL.path)
      #expect(h.environment.contains(EnvironmentVariable(name: "SERVICE_NAME", value: s)))
    }
    #expect(r.report.contains("--code: runs python3 -m awslambdaric lambda_function.lambda_handler in "))
  }

  @Test("--code NAME=DIR takes the code from DIR; the other functions keep the default handler")
  func testCodeNameEqualsDirPicksOneFunction() throws {
    let dir = repoFile("Tests/Fixtures/article/service02")
    let r = TemplateImport.load(path: Self.template, options: ImportOptions(code: [("service02", dir)]))
    let scenario = try #require(r.scenario, "\(r.diagnostics)")
    #expect(process(scenario, "service02")?.cwd == dir)
    #expect(process(scenario, "service01") == nil)
  }

  @Test(
    "A --code naming no function, a folder that is not one, or a runtime fanout cannot start is an error saying which and why"
  )
  func testBadCodeIsAnErrorSayingWhy() throws {
    let unknown = TemplateImport.load(path: Self.template, options: ImportOptions(code: [("servce01", nil)]))
    #expect(unknown.scenario == nil)
    #expect(
      unknown.diagnostics.contains {
        $0.message.contains(
          "--code servce01: the imported pipeline has no function 'servce01' (did you mean 'service01'?)")
      }, "\(unknown.diagnostics)")
    let missing = TemplateImport.load(
      path: Self.template, options: ImportOptions(code: [("service01", "/nonexistent/fanout-code")]))
    #expect(missing.diagnostics.contains { $0.message == "--code service01: /nonexistent/fanout-code is not a folder" })
    let java = TemplateImport.processCommand(runtime: "java21", handler: "app.Handler::handleRequest", directory: "/x")
    #expect(java.command == nil && java.why.hasPrefix("Runtime java21: fanout runs python, nodejs, ruby and provided"))
    #expect(
      TemplateImport.processCommand(runtime: "provided.al2023", handler: nil, directory: "/x").command == [
        "/x/bootstrap"
      ])
    #expect(
      TemplateImport.processCommand(runtime: "nodejs22.x", handler: "index.handler", directory: "/x").command == [
        "npx", "aws-lambda-ric", "index.handler",
      ])
  }
}
