import Foundation
import Testing

@testable import FanoutScenario
@testable import FanoutSim

/// A small valid scenario with a steps handler, to break one thing at a time.
let stepsBase = """
  name: steps
  buckets: [shop]
  topics:
    - name: orders
      subscriptions:
        - queue: work
  queues:
    - name: work
    - name: audit
  functions:
    - name: entry
      handler:
        type: steps
        steps:
          - newId: { kind: uuid4-hex, as: id }
          - publish: { topic: orders, message: { json: { request_id: "{id}" } } }
    - name: worker
      handler:
        type: steps
        forEach: record
        steps:
          - read: { from: envelope, path: request_id, as: order_id }
          - s3Put: { bucket: shop, key: "orders/{order_id}.json", body: "{order_id}" }
          - send: { queue: audit, body: { json: { id: "{order_id}" } } }
  eventSourceMappings:
    - queue: work
      function: worker
  entry: entry

  """

@Suite("Handlers made of steps in scenario files")
struct StepsScenarioTests {
  @Test("The base steps scenario is valid, has no warning, and runs")
  func baseIsValid() throws {
    let (s, d) = diagnose(stepsBase)
    #expect(d.isEmpty, "\(d)")
    let sim = try #require(s).simulation()
    sim.startLoad(count: 5, rate: 10)
    sim.runUntilDrained()
    #expect(sim.bucket(named: "shop")!.objectCount == 5)
    #expect(sim.queue(named: "audit")!.depth == 5)
  }

  /// The base with one text replaced.
  static func edit(_ a: String, _ b: String) -> String { stepsBase.replacingOccurrences(of: a, with: b) }

  static let entrySteps =
    "      type: steps\n      steps:\n        - newId: { kind: uuid4-hex, as: id }\n        - publish: { topic: orders, message: { json: { request_id: \"{id}\" } } }\n"

  static let brokenCases: [(String, String, String)] = [
    (edit("- s3Put:", "- s3put:"), "23:11", "unknown step 's3put' (did you mean 's3Put'?)"),
    (
      edit("\"orders/{order_id}.json\"", "\"orders/{orderid}.json\""), "23:39",
      "variable 'orderid' is not defined before this step (did you mean 'order_id'?)"
    ),
    (edit("bucket: shop", "bucket: shp"), "23:28", "bucket 'shp' is not defined (did you mean 'shop'?)"),
    (edit("topic: orders,", "topic: order,"), "16:29", "topic 'order' is not defined (did you mean 'orders'?)"),
    (edit("queue: audit,", "queue: audt,"), "24:26", "queue 'audt' is not defined (did you mean 'audit'?)"),
    (
      edit("from: envelope", "from: envelop"), "22:25",
      "expected one of: body, envelope, attributes, envelopeAttributes, found 'envelop' (did you mean 'envelope'?)"
    ),
    (edit("\"orders/{order_id}.json\"", "\"orders/{order_id.json\""), "23:39", "'{' is not closed"),
    (
      edit("      type: steps\n      steps:", "      type: steps\n      forEach: record\n      steps:"), "14:16",
      "entry is the entry function, which a load or a fire invokes directly with no records"
    ),
    (edit("entry: entry", "entry: worker"), "20:16", "worker is the entry function"),
    (
      edit("    handler:\n" + entrySteps, "    handler: { type: forward, topic: orders }\n"), "12:14",
      "entry is the entry function, which a load or a fire invokes directly with no records, and a forward handler only passes records on"
    ),
    (
      edit("body: \"{order_id}\" }", "body: \"{order_id}\", onExists: skip }"), "23:95",
      "onExists is what a 412 does: it needs ifNoneMatch: true"
    ),
    (
      edit("- newId: { kind: uuid4-hex, as: id }", "- newId: { kind: uuid5, as: id }"), "15:26",
      "expected one of: md5-timestamp, uuid4, uuid4-hex, found 'uuid5'"
    ),
    (
      edit("forEach: record\n      steps:", "forEach: record\n      reportItemFailure: true\n      steps:"), "21:7",
      "unknown key 'reportItemFailure' (did you mean 'reportItemFailures'?)"
    ),
  ]

  @Test("Broken steps: each gives the expected message at the expected line:column", arguments: brokenCases)
  func broken(text: String, at: String, message: String) throws {
    let (s, d) = diagnose(text)
    #expect(s == nil, "should be rejected")
    let hit = try #require(
      d.first { $0.severity == .error && $0.message.contains(message) },
      "no error containing \(message); got:\n\(d.map(\.description).joined(separator: "\n"))")
    #expect("\(hit.line):\(hit.column)" == at, "\(hit)")
  }

  @Test("The order pipeline lesson reads as steps: an attribute, a HEAD, a write, a publish")
  func orderPipelineParses() throws {
    let s = try loadConfig("order-pipeline.yaml")
    let f = try #require(s.topology.functions.first { $0.name == "fulfilment" })
    guard case .steps(let p) = f.handler else {
      Issue.record("not a steps handler: \(f.handler)")
      return
    }
    #expect(p.forEach == .record)
    #expect(p.reportItemFailures)
    #expect(
      p.steps.map(\.keyword) == ["read", "read", "s3Head", "s3Head", "fail", "wait", "s3Put", "publish", "complete"])
    guard case .read(let r) = p.steps[0] else { return }
    #expect(r.source == .attribute("channel"))
  }

  @Test("Every config/ scenario gives the same events with the seed handlers interpreted as step programs")
  func testConfigsAreByteIdenticalWithTheSeedHandlersInterpreted() throws {
    for file in ConfigTests.files {
      let s = try loadConfig(file)
      func lines(_ interpreted: Bool) throws -> [String] {
        let sim = try Simulation(topology: s.topology, seed: s.seed, interpretsSeedHandlers: interpreted)
        for l in s.loads { sim.addLoad(l.spec, target: l.target) }
        for (at, a) in s.timeline { sim.schedule(a, at: at) }
        var out: [String] = []
        sim.observer = { out.append($0.jsonLine) }
        sim.runUntilDrained()
        return out
      }
      let fast = try lines(false)
      let interpreted = try lines(true)
      #expect(fast.count == interpreted.count, "\(file)")
      if let i = zip(fast, interpreted).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
        Issue.record("\(file): event \(i + 1) differs:\nfast:        \(fast[i])\ninterpreted: \(interpreted[i])")
      }
    }
  }
}
