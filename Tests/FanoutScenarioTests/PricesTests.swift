import Foundation
import Testing

@testable import FanoutScenario
@testable import FanoutSim

@Suite("Price tables")
struct PricesTests {
  @Test("prices/us-east-1.json is the built-in table, figure for figure")
  func testPriceFileIsTheBuiltInTable() throws {
    let (table, d) = PriceTable.load(path: repoFile("prices/us-east-1.json"))
    #expect(d.isEmpty, "\(d)")
    #expect(table == PriceTable.usEast1)
  }

  @Test("A broken price table is refused with located errors")
  func testBrokenPriceTableIsLocated() {
    let (t, d) = PriceTable.parse(
      "{\"region\": \"x\", \"read\": \"2026\", \"lambda\": {\"requests_per_million\": -1, \"gb_second\": {\"x86_64\": 1, \"arm64\": 1}}}",
      file: "p.json")
    #expect(t == nil)
    #expect(
      d.contains { $0.message.contains("expected a number from 0.0") && $0.path == "lambda.requests_per_million" })
    #expect(d.contains { $0.message == "a price table needs 'sqs'" })
    let (_, typo) = PriceTable.parse("{\"regoin\": 1}", file: "p.json")
    #expect(typo.contains { $0.message.contains("did you mean 'region'") })
  }

  @Test("Cost expectations: a service, the total or a component, in dollars; a name that is none is located")
  func testCostExpectations() throws {
    let base = """
      name: t
      queues: [{ name: q }]
      functions: [{ name: f, handler: { type: compute } }]
      eventSourceMappings: [{ queue: q, function: f }]
      timeline:
        - at: 1s
          send: { queue: q, body: hi }

      """
    let (s, d) = Scenario.parse(
      base + "expect:\n  maxCostUSD: { total: 1, f: 1, sqs: 1 }\n  minCostShare: { sqs: 0.5 }\n", file: "s.yaml")
    let scenario = try #require(s, "\(d)")
    let sim = try scenario.simulation()
    sim.runUntilDrained()
    #expect(scenario.expectations.map { $0.check(sim).held } == [true, true, true, true])
    let (_, bad) = Scenario.parse(base + "expect:\n  maxCostUSD: { fn: 1 }\n", file: "s.yaml")
    let e = try #require(bad.first { $0.severity == .error })
    #expect(e.message.contains("'fn' is neither total, a service") && e.message.contains("did you mean 'f'?"))
    #expect(e.line == 9)
  }
}
