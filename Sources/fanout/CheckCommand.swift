import ArgumentParser
import FanoutScenario
import FanoutSim

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `fanout check`: a scenario once per seed, each run's events kept in an independent ledger and
/// its books set against the run's report.
struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Run a scenario over many seeds and check every message's books against the report.",
    discussion: """
      For each seed S..S+N-1 the scenario runs headless, as `fanout run --scenario FILE --seed S` \
      would run it, while a ledger built only from the events follows every message of every queue \
      (sent, received, deleted, expired, moved to a DLQ, redriven, purged) and flags what cannot \
      happen. At the end of each run the ledger is set against the JSON report: every queue's \
      counters and what it still holds, every topic's deliveries, the conservation block. Exit \
      status 0 when every seed's books balance, 1 when one does not (its seed, its first diverging \
      message and the command that reproduces it are printed), 2 on bad input.
      """
  )

  @Option(name: .long, help: "The scenario file (YAML), read as `fanout run --scenario` reads it.")
  var scenario: String

  @Option(name: .long, help: "How many seeds to run (1 to 100000000).")
  var seeds: Int

  @Option(name: .customLong("first-seed"), help: "The first seed (default 1): seeds S to S+N-1 run.")
  var firstSeed: UInt64 = 1

  @Flag(name: .long, help: "Print the summary as one JSON object.")
  var json = false

  /// Failing seeds listed in full; the rest are counted.
  static let listedSeeds = 20

  func validate() throws {
    guard (1...100_000_000).contains(seeds) else {
      throw ValidationError("--seeds must be between 1 and 100000000 (got \(seeds))")
    }
    guard UInt64.max - firstSeed >= UInt64(seeds - 1) else {
      throw ValidationError("--first-seed \(firstSeed) + --seeds \(seeds) goes past the largest seed, \(UInt64.max)")
    }
  }

  func run() throws {
    let loaded = try loadScenario(scenario)
    try refuseProcessFunctions(loaded.topology, command: "check")
    // A topology the simulation refuses is bad input, whatever the seed: find out before starting.
    _ = try simulation(of: loaded, seed: firstSeed)
    let clock = ContinuousClock()
    let started = clock.now
    var lastProgress = started
    var events = 0
    var messages = 0
    var violations = 0
    var failing: [(seed: UInt64, count: Int, first: LedgerViolation)] = []
    var failingSeeds = 0
    if !json {
      say("fanout check — \(loaded.name) (\(scenario)), seeds \(firstSeed)–\(firstSeed + UInt64(seeds - 1))")
    }
    for i in 0..<seeds {
      let seed = firstSeed + UInt64(i)
      let ledger = try check(loaded, seed: seed)
      events += ledger.eventsChecked
      messages += ledger.messagesTracked
      if let first = ledger.firstViolation {
        violations += ledger.violationCount
        failingSeeds += 1
        if failing.count < Self.listedSeeds {
          failing.append((seed, ledger.violationCount, first))
          if !json { say(failure(seed: seed, count: ledger.violationCount, first: first)) }
        }
      }
      let now = clock.now
      if i + 1 < seeds, lastProgress.duration(to: now) >= .seconds(5) {
        lastProgress = now
        printError(
          "  \(i + 1)/\(seeds) seeds, \(events) events, \(failingSeeds) failing, "
            + "\(twoDecimals(seconds(started.duration(to: now)))) s")
      }
    }
    let wall = seconds(started.duration(to: clock.now))
    if json {
      var w = JSONObjectWriter()
      w.string("scenario", loaded.name)
      w.string("file", scenario)
      w.int("first_seed", Int64(bitPattern: firstSeed))
      w.int("seeds", seeds)
      w.int("events", events)
      w.int("messages", messages)
      w.int("violations", violations)
      w.int("failing_seeds", failingSeeds)
      w.raw(
        "failures",
        jsonArray(
          failing.map { f in
            var o = JSONObjectWriter()
            o.int("seed", Int64(bitPattern: f.seed))
            o.int("violations", f.count)
            o.string("first", f.first.description)
            o.string("reproduce", reproduce(f.seed))
            return o.finished()
          }))
      w.double("wall_seconds", wall)
      print(w.finished())
    } else {
      if failingSeeds > failing.count { print("… and \(failingSeeds - failing.count) more failing seeds") }
      print(
        "seeds \(seeds)  events \(events)  messages \(messages)  violations \(violations)  wall \(twoDecimals(wall)) s")
      print(
        failingSeeds == 0
          ? "every seed's books balance"
          : "\(failingSeeds) of \(seeds) seeds do not balance")
    }
    if failingSeeds > 0 { throw ExitCode(1) }
  }

  /// One seed's run with the ledger observing, reconciled with the run's report.
  func check(_ loaded: Scenario, seed: UInt64) throws -> Ledger {
    let sim = try simulation(of: loaded, seed: seed)
    let ledger = Ledger(topology: sim.topology)
    sim.observer = { ledger.observe($0) }
    // The simulation's own invariants, after every job, in any build; recorded, not trapped.
    sim.checksInvariants = true
    sim.trapsOnInvariantViolation = false
    let drained = sim.runUntilDrained()
    if let broken = sim.invariantViolation { ledger.note(broken) }
    let report = RunReport(sim: sim, scenario: loaded.name, drained: drained, wallSeconds: 0)
    ledger.reconcile(reportJSON: report.json, drained: drained)
    return ledger
  }

  /// Prints a line at once, so that it comes before the progress lines on standard error.
  func say(_ line: String) {
    print(line)
    fflush(nil)
  }

  func reproduce(_ seed: UInt64) -> String {
    "fanout run --scenario \(scenario) --seed \(seed) --events out.jsonl"
  }

  func failure(seed: UInt64, count: Int, first: LedgerViolation) -> String {
    var s = "seed \(seed): \(first)"
    if count > 1 { s += "\n  (\(count - 1) more violations in this seed)" }
    return s + "\n  reproduce: " + reproduce(seed)
  }

  func twoDecimals(_ v: Double) -> String {
    let c = Int64((v * 100).rounded())
    return "\(c / 100)." + (c % 100 < 10 ? "0" : "") + "\(c % 100)"
  }

  func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
  }
}
