import Testing

@testable import FanoutSim

/// The event lines of a run, with the seed handlers on their specialised path or interpreted as
/// the step programs `StepProgram.seedPreprocessor` and `StepProgram.seedService` build.
func seedRunLines(
  _ topology: Topology, seed: UInt64 = 1, interpreted: Bool, _ drive: (Simulation) throws -> Void
) throws -> [String] {
  let sim = try Simulation(topology: topology, seed: seed, interpretsSeedHandlers: interpreted)
  #expect(sim.functions.allSatisfy { ($0.plan.kind == .steps) == interpreted })
  var lines: [String] = []
  sim.observer = { lines.append($0.jsonLine) }
  try drive(sim)
  sim.runUntilDrained()
  return lines
}

/// Expects the two runs to give the same lines, naming the first that differs.
func expectSameLines(_ a: [String], _ b: [String], _ what: String) {
  #expect(a.count == b.count, "\(what): \(a.count) events on the fast path, \(b.count) interpreted")
  if let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
    Issue.record("\(what): event \(i + 1) differs:\nfast:        \(a[i])\ninterpreted: \(b[i])")
  }
}

@Suite("The seed handlers as step programs")
struct SeedProgramIdentityTests {
  func both(
    _ what: String, _ topology: Topology = .seedPipeline(), seed: UInt64 = 1, _ drive: (Simulation) throws -> Void
  ) throws {
    let fast = try seedRunLines(topology, seed: seed, interpreted: false, drive)
    let interpreted = try seedRunLines(topology, seed: seed, interpreted: true, drive)
    #expect(!fast.isEmpty)
    expectSameLines(fast, interpreted, what)
  }

  @Test("The interpreter running the seed programs gives the fast path's events, byte for byte, under load")
  func testSeedProgramsInterpretedAreByteIdenticalUnderLoad() throws {
    try both("300 requests at 1,000/s") { $0.startLoad(count: 300, rate: 1_000) }
    try both("2,000 requests at 3,000/s, seed 7", seed: 7) { $0.startLoad(count: 2_000, rate: 3_000) }
    var five = Topology.seedPipeline(services: 5, bucket: "b", prefix: "")
    five.functions[0].duration = .fixed(.milliseconds(1))
    try both("five services, no prefix, colliding IDs", five) { $0.startLoad(count: 500, rate: 20_000) }
  }

  @Test("The interpreter running the seed programs gives the fast path's events for odd request IDs and bodies")
  func testSeedProgramsInterpretedAreByteIdenticalOnOddInput() throws {
    let messages = [
      "{\"request_id\": \"\(md5RequestID("ghost").hex)\"}",
      "{\"request_id\": \"\(md5RequestID("x").hex.uppercased())\"}",
      "{\"request_id\": \"hello\"}", "{\"request_id\": 7}", "{\"request_id\": \"\u{E9}\"}", "{\"request_id\": null}",
      "{\"request_id\": [1, 2]}", "{\"other\": 1}", "[1, 2]", "\"text\"", "not json", "{\"request_id\": \"a/b\"}",
      "{\"request_id\": \"" + String(repeating: "k", count: 1_100) + "\"}",
    ]
    try both("odd messages through the envelope") { sim in
      let b = sim.bucket(named: "fanout-bucket")!
      for name in ["hello", "7", "e\u{301}", "None", "a/b"] {
        try b.put(key: "fanout/preprocessor/\(name).json", body: seedPreprocessorBody, at: sim.now)
      }
      try b.put(key: "fanout/preprocessor/\(md5RequestID("odd").hex).json", body: "[1]", at: sim.now)
      try b.put(key: "fanout/preprocessor/\(md5RequestID("str").hex).json", body: "\"s\"", at: sim.now)
      try b.put(key: "fanout/preprocessor/\(md5RequestID("nj").hex).json", body: "{", at: sim.now)
      for m in messages { try sim.publish(topic: "connector", message: m) }
      for name in ["odd", "str", "nj"] {
        try sim.publish(topic: "connector", message: "{\"request_id\": \"\(md5RequestID(name).hex)\"}")
      }
    }
    try both("odd bodies sent straight to a queue") { sim in
      for body in messages + ["{\"Message\": {\"request_id\": 1}}", "{\"Message\": \"{\\\"request_id\\\": 3}\"}"] {
        try sim.sendMessage(queue: "service02", body: body)
      }
    }
    var raw = Topology.seedPipeline(services: 2)
    raw.topics[0].subscriptions[1].rawMessageDelivery = true
    try both("a raw-delivery subscription", raw) { $0.startLoad(count: 20, rate: 100) }
  }

  @Test("The interpreter running the seed programs gives the fast path's events with failures, edits and duplicates")
  func testSeedProgramsInterpretedAreByteIdenticalWithFailures() throws {
    var t = Topology.seedPipeline()
    t.functions[1].failure = FailureSpec(itemFailureRate: 0.3, reportsItemFailures: true)
    t.mappings[0].reportBatchItemFailures = true
    t.functions[2].failure = FailureSpec(errorRate: 0.1, timeoutRate: 0.05)
    t.functions[3].seedEdit = SeedEdit(field: "key9", value: .array([.number(1), .string("x")]))
    t.functions[3].idempotent = true
    for i in t.queues.indices { t.queues[i].duplicateRate = 0.2 }
    for i in t.topics[0].subscriptions.indices { t.topics[0].subscriptions[i].duplicateRate = 0.2 }
    try both("failures, an edit, idempotence and duplicates", t) { $0.startLoad(count: 400, rate: 500) }
    var poison = Topology.seedPipeline()
    poison.functions[1].failure = FailureSpec(poison: ["0", "1", "2"], reportsItemFailures: false)
    poison.functions[2].failure = FailureSpec(poison: ["a", "b"], reportsItemFailures: true)
    try both("poison messages", poison) { $0.startLoad(count: 200, rate: 200) }
  }
}
