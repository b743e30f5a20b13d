import Testing

@testable import FanoutSim

@Suite("Determinism and conservation")
struct DeterminismTests {
  func eventLog(seed: UInt64, requests: Int = 30, faults: Bool = true) throws -> String {
    let sim = try makeSim(seed: seed) {
      if faults { $0.functions[2].failure = FailureSpec(errorRate: 0.3, timeoutRate: 0.05) }
    }
    let rec = Recorder(sim)
    sim.startLoad(count: requests, rate: 50)
    sim.runUntilDrained()
    return rec.lines
  }

  @Test("The same seed gives a byte-identical event log; another seed differs")
  func sameSeedSameBytes() throws {
    let a = try eventLog(seed: 42)
    let b = try eventLog(seed: 42)
    let c = try eventLog(seed: 43)
    #expect(a == b)
    #expect(a != c)
    #expect(a.split(separator: "\n").count > 500)
  }

  /// One run with random faults and pauses; returns a description of any broken invariant.
  static func chaosRun(seed: UInt64) throws -> [String] {
    var rng = SimRandom(seed: seed, stream: "test/chaos")
    let sim = try makeSim(seed: seed) { t in
      for i in 1..<t.functions.count {
        t.functions[i].failure = FailureSpec(
          errorRate: rng.unit() * 0.4, timeoutRate: rng.unit() * 0.1, itemFailureRate: rng.unit() * 0.3)
        t.functions[i].duration = .lognormal(median: .milliseconds(5 + rng.unit() * 400), sigma: 0.8)
      }
      for m in t.mappings.indices { t.mappings[m].reportBatchItemFailures = true }
      t.mappings[1].batchSize = 10
      t.mappings[1].maximumBatchingWindow = .s(1)
      t.functions[2].reservedConcurrency = 2
      t.queues[0].redrive = ("service01-dlq", 2)
      t.functions[0].failure = FailureSpec(errorRate: 0.05)
    }
    // The invariants are checked after every job; the first broken one is reported, not trapped.
    sim.checksInvariants = true
    sim.trapsOnInvariantViolation = false
    var problems: [String] = []
    var last = sim.now
    sim.observer = { e in
      if e.time < last { problems.append("time went backwards at seq \(e.seq)") }
      last = e.time
    }
    sim.startLoad(count: 60, rate: 20)
    // Pause and resume triggers at random virtual times.
    for _ in 0..<4 {
      sim.run(until: sim.now + .microseconds(Int64(rng.unit() * 3_000_000)))
      let m = Int(rng.next() % UInt64(sim.mappings.count))
      sim.setMapping(m, enabled: false)
      sim.run(until: sim.now + .microseconds(Int64(rng.unit() * 60_000_000)))
      sim.setMapping(m, enabled: true)
    }
    if !sim.runUntilDrained(limit: sim.now + .days(30)) { problems.append("did not drain") }
    if let v = sim.invariantViolation { problems.append("invariant broken \(v)") }
    let c = sim.conservation
    if !c.holds { problems.append("messages not conserved: \(c)") }
    for q in sim.queues where !sim.queueBalances(q) {
      problems.append("queue \(q.name) does not balance: \(q.counters)")
    }
    // Every request is accounted for: failed at the preprocessor, or each stage done, or its
    // message is still stored (in its queue or that queue's DLQ), or it expired.
    var stored: [RequestID: Set<String>] = [:]
    for q in sim.queues {
      for (_, m) in q.storedMessages {
        if let id = m.body.requestID { stored[id, default: []].insert(q.name) }
      }
    }
    let t = sim.tracker
    if t.fired != 60 { problems.append("fired \(t.fired)") }
    for fire in 1...t.fired {
      if t.failed[fire - 1] { continue }
      guard let id = t.requestID(ofFire: fire) else {
        problems.append("fire \(fire) has no ID and did not fail")
        continue
      }
      for (s, stage) in t.stages.enumerated() where t.stageTime(fire: fire, stage: s) == nil {
        let places = stored[id] ?? []
        if !places.contains(stage) && !places.contains(stage + "-dlq") {
          problems.append("fire \(fire) stage \(stage) is nowhere")
        }
      }
    }
    if t.completed == 0 { problems.append("nothing completed: the run proves nothing") }
    if sim.function(named: "service02")!.counters.maxConcurrency > 2 {
      problems.append("reserved concurrency exceeded")
    }
    return problems
  }

  @Test("Properties over 40 seeds with random errors, timeouts, item failures and pauses", arguments: 1...40)
  func chaos(seed: Int) throws {
    let problems = try Self.chaosRun(seed: UInt64(seed))
    #expect(problems.isEmpty, "reproduce with seed \(seed): \(problems.prefix(5))")
  }

  @Test("Invariants stop at the job that broke them: a queue whose books stop balancing is named with the job")
  func invariantsStopAtTheBreakingJob() throws {
    let sim = try makeSim()
    sim.checksInvariants = true
    sim.trapsOnInvariantViolation = false
    sim.fireRequest()
    sim.run(until: sim.now + .milliseconds(100))
    #expect(sim.invariantViolation == nil, "a clean run breaks nothing")
    // Break the books of service02's queue behind the simulation's back: the next job finds it.
    let q = try #require(sim.queue(named: "service02"))
    q.counters.deleted += 1
    let executed = sim.jobsExecuted
    #expect(sim.step())
    let v = try #require(sim.invariantViolation)
    #expect(v.job == executed + 1, "the job right after the damage")
    #expect(v.message.hasPrefix("queue service02: books do not balance"))
    #expect(v.description.contains("after job \(executed + 1) ("))
  }

  @Test("Invariants: counts below zero, slab count against depth, concurrency above its reservation")
  func invariantKinds() throws {
    let sim = try makeSim { $0.functions[3].reservedConcurrency = 0 }
    #expect(sim.brokenInvariant() == nil)
    let q = try #require(sim.queue(named: "service01"))
    q.visibleCount = -1
    #expect(sim.brokenInvariant()?.contains("a count is below zero") == true)
    q.visibleCount = 1
    #expect(sim.brokenInvariant()?.contains("messages stored but a depth of 1") == true)
    q.visibleCount = 0
    let f = try #require(sim.function(named: "service03"))
    f.running = 1
    sim.unreservedRunning = 0
    #expect(sim.brokenInvariant()?.contains("above its reserved concurrency 0") == true)
  }
}
