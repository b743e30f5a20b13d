import FanoutSim
import Foundation

// MARK: - Running a sweep's runs on threads, each result in its own slot

/// The raw figures of a set of runs, one slot per run, in the order of `runs` (never in the order
/// runs finished). Written by the workers of `SweepPlan.run`, each slot by one worker only.
public final class SweepTable: @unchecked Sendable {
  /// The run indices held, in slot order.
  public let runs: [Int]
  public let figureCount: Int
  private let values: UnsafeMutableBufferPointer<Double>
  private let components: UnsafeMutableBufferPointer<Int32>
  private let drainedFlags: UnsafeMutableBufferPointer<UInt8>

  /// Slots for `runs`, every figure empty.
  public init(runs: [Int], figureCount: Int) {
    self.runs = runs
    self.figureCount = figureCount
    values = .allocate(capacity: runs.count * figureCount)
    values.initialize(repeating: .nan)
    components = .allocate(capacity: runs.count * figureCount)
    components.initialize(repeating: -1)
    drainedFlags = .allocate(capacity: runs.count)
    drainedFlags.initialize(repeating: 0)
  }

  deinit {
    values.deallocate()
    components.deallocate()
    drainedFlags.deallocate()
  }

  public var count: Int { runs.count }

  /// A figure of the run in `slot`; nil when the run had none.
  public func value(_ slot: Int, _ figure: Int) -> Double? {
    let v = values[slot * figureCount + figure]
    return v.isNaN ? nil : v
  }
  /// The component a figure of the run in `slot` came from.
  public func component(_ slot: Int, _ figure: Int) -> Int? {
    let c = components[slot * figureCount + figure]
    return c < 0 ? nil : Int(c)
  }
  public func drained(_ slot: Int) -> Bool { drainedFlags[slot] != 0 }

  /// Stores a run's readings in its slot.
  public func store(_ slot: Int, drained: Bool, readings: [SweepReading]) {
    precondition(readings.count == figureCount)
    drainedFlags[slot] = drained ? 1 : 0
    for (f, r) in readings.enumerated() {
      values[slot * figureCount + f] = r.value ?? .nan
      components[slot * figureCount + f] = r.component.map(Int32.init) ?? -1
    }
  }
}

extension SweepPlan {
  /// Runs one run of the sweep (its index in the definition's run order) and reads its figures.
  public func run(_ r: Int) throws -> (drained: Bool, readings: [SweepReading]) {
    let d = definition
    let config = configs[d.combination(ofRun: r)]
    let sim = try config.scenario.simulation(seed: d.seed(ofRun: r))
    if d.fires { sim.startLoad(count: config.requests ?? d.requests, rate: config.rate ?? d.rate) }
    let limit = d.untilMicroseconds.map { sim.now + .microseconds($0) }
    let drained = sim.runUntilDrained(limit: limit)
    let finished = FinishedRun(sim: sim, drained: drained)
    return (drained, figures.map { $0.read(finished) })
  }

  /// Runs `runs` (run indices) on `jobs` threads, each run its own simulation built from the
  /// parsed scenario; results land in the slot of their place in `runs`, so the table is the
  /// same whatever the number of threads and whichever run finishes first.
  public func run(runs: [Int], jobs: Int) throws -> SweepTable {
    let table = SweepTable(runs: runs, figureCount: figures.count)
    let work = SweepWork(count: runs.count)
    let plan = self
    let timed = ProcessInfo.processInfo.environment["FANOUT_SWEEP_TIMINGS"] != nil
    let body: @Sendable () -> Void = {
      let clock = ContinuousClock()
      while let slot = work.next() {
        do {
          let start = timed ? clock.now : nil
          let (drained, readings) = try plan.run(runs[slot])
          if let start { work.addRunTime(start.duration(to: clock.now)) }
          table.store(slot, drained: drained, readings: readings)
        } catch {
          work.fail(slot: slot, "run \(runs[slot] + 1) (seed \(plan.definition.seed(ofRun: runs[slot]))): \(error)")
        }
      }
    }
    let threads = max(1, min(jobs, runs.count))
    if threads == 1 {
      body()
    } else {
      let done = DispatchSemaphore(value: 0)
      for _ in 0..<threads {
        let t = Thread {
          body()
          done.signal()
        }
        // A simulation's job loop is flat, but a debug build's frames are large.
        t.stackSize = 8 << 20
        t.start()
      }
      for _ in 0..<threads { done.wait() }
    }
    if let failure = work.firstFailure { throw SweepError(failure) }
    if timed {
      // For Benchmarks/sweep.sh: the runs' own time, summed, to set against the sweep's wall time.
      let line = "sweep timings: \(runs.count) runs, \(work.runSeconds) s in the runs themselves\n"
      FileHandle.standardError.write(Data(line.utf8))
    }
    return table
  }
}

/// The next slot to run, shared by the workers; and the first failure, by slot.
private final class SweepWork: @unchecked Sendable {
  private let lock = NSLock()
  private var nextSlot = 0
  private let count: Int
  private var failures: [(slot: Int, message: String)] = []
  private var runTime = Duration.zero

  /// Adds one run's own time (`FANOUT_SWEEP_TIMINGS`).
  func addRunTime(_ d: Duration) {
    lock.lock()
    runTime += d
    lock.unlock()
  }

  var runSeconds: Double {
    lock.lock()
    defer { lock.unlock() }
    return Double(runTime.components.seconds) + Double(runTime.components.attoseconds) / 1e18
  }

  init(count: Int) { self.count = count }

  func next() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard nextSlot < count, failures.isEmpty else { return nil }
    nextSlot += 1
    return nextSlot - 1
  }

  func fail(slot: Int, _ message: String) {
    lock.lock()
    failures.append((slot, message))
    lock.unlock()
  }

  /// The failure of the earliest slot among those that failed (workers stop taking runs after
  /// the first failure).
  var firstFailure: String? {
    lock.lock()
    defer { lock.unlock() }
    return failures.min { $0.slot < $1.slot }?.message
  }
}
