import Foundation
import Testing

@Suite("fanout import and --template")
struct ImportCommandTests {
  let sam = repoPath("examples/seed-pipeline.sam.yaml")
  let behaviour = repoPath("examples/seed-pipeline.behaviour.yaml")

  @Test func testImportWritesTheScenarioAndReportsEveryResource() throws {
    let out = tempPath("imported.yaml")
    defer { try? FileManager.default.removeItem(atPath: out) }
    let r = try runFanout(["import", sam, "--behaviour", behaviour, "-o", out])
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.isEmpty)
    #expect(
      r.err.contains(
        "fanout import: \(sam) (CloudFormation with the SAM transform): 2 topics, 6 queues, 4 functions, 3 event source mappings, 1 buckets"
      ))
    #expect(
      r.err.contains(
        "Resources.ServiceQueuesPolicy (AWS::SQS::QueuePolicy) → the Policy of 'service01', 'service02', 'service03'"))
    let v = try runFanout(["validate", out])
    #expect(v.status == 0, "\(v.err)")
    let run = try runFanout(["run", "--scenario", out, "--requests", "10", "--json"])
    #expect(((try jsonObject(run.out))["requests"] as? [String: Any])?["completed"] as? Int == 10)
  }

  @Test func testRunTemplateGivesTheBuiltInPipelinesEvents() throws {
    let a = tempPath("builtin.jsonl")
    let b = tempPath("template.jsonl")
    defer {
      try? FileManager.default.removeItem(atPath: a)
      try? FileManager.default.removeItem(atPath: b)
    }
    #expect(try runFanout(["run", "--events", a]).status == 0)
    let r = try runFanout(["run", "--template", sam, "--behaviour", behaviour, "--requests", "10", "--events", b])
    #expect(r.status == 0, "\(r.err)")
    #expect(try String(contentsOfFile: a, encoding: .utf8) == String(contentsOfFile: b, encoding: .utf8))
  }

  @Test func testImportErrorsAreLocatedAndExitWithStatus2() throws {
    let path = tempPath("broken-template.yaml")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try
      "Resources:\n  Topic: { Type: AWS::SNS::Topic }\n  S:\n    Type: AWS::SNS::Subscription\n    Properties: { TopicArn: !Ref Topc, Protocol: email, Endpoint: a@b.c }\n"
      .write(toFile: path, atomically: true, encoding: .utf8)
    let r = try runFanout(["import", path])
    #expect(r.status == 2)
    #expect(r.err.contains("\(path):5:29: error: Resources.S.Properties.TopicArn.Ref: !Ref 'Topc'"), "\(r.err)")
    #expect(r.err.contains("(did you mean 'Topic'?)"))
    let run = try runFanout(["run", "--template", path])
    #expect(run.status == 2)
  }

  @Test func testTemplateOptionsAreCheckedBeforeAnythingRuns() throws {
    let noEntry = try runFanout([
      "run", "--template", repoPath("Tests/Fixtures/templates/cfn-dlqs.yaml"), "--requests", "5",
    ])
    #expect(noEntry.status == 2)
    #expect(noEntry.err.contains("--requests and --rate fire the entry function: name it with --entry NAME"))
    let withEntry = try runFanout([
      "run", "--template", repoPath("Tests/Fixtures/templates/cfn-dlqs.yaml"), "--entry", "worker", "--requests", "5",
      "--json",
    ])
    #expect(withEntry.status == 0, "\(withEntry.err)")
    #expect(((try jsonObject(withEntry.out))["requests"] as? [String: Any])?["fired"] as? Int == 5)
    let stray = try runFanout(["run", "--behaviour", behaviour])
    #expect(stray.status == 2)
    #expect(stray.err.contains("--parameter, --behaviour, --entry, --assume-policies and --code go with --template"))
    let both = try runFanout(["run", "--template", sam, "--scenario", repoPath("config/seed-pipeline.yaml")])
    #expect(both.status == 2)
    let parameter = try runFanout(["import", sam, "--parameter", "novalue"])
    #expect(parameter.status == 2)
    #expect(parameter.err.contains("--parameter takes KEY=VALUE"))
    let record = try runFanout(["--template", sam, "--record", tempPath("x.log")])
    #expect(record.status == 2)
    #expect(record.err.contains("--record needs a scenario file"))
  }

  @Test func testRunTemplateShowsTheDeliveriesAMissingQueuePolicyDrops() throws {
    let t = repoPath("Tests/Fixtures/templates/cfn-missing-policy.yaml")
    let b = repoPath("Tests/Fixtures/templates/cfn-missing-policy.behaviour.yaml")
    let denied = try runFanout(["run", "--template", t, "--behaviour", b, "--json"])
    #expect(denied.status == 0)
    #expect(denied.err.contains("SNS → SQS alerts → pager: the template gives pager no queue policy"))
    let topics = (try jsonObject(denied.out))["topics"] as? [String: Any]
    #expect((topics?["alerts"] as? [String: Any])?["failed"] as? Int == 2)
    let assumed = try runFanout(["run", "--template", t, "--behaviour", b, "--assume-policies", "--json"])
    let after = (try jsonObject(assumed.out))["topics"] as? [String: Any]
    #expect((after?["alerts"] as? [String: Any])?["failed"] as? Int == 0)
    #expect((after?["alerts"] as? [String: Any])?["delivered"] as? Int == 2)
  }
}
