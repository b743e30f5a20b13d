import FanoutSim

// MARK: - Sampling a run in virtual time, for the report's charts
//
// The sampler reads the simulation's public counters at boundaries of virtual time, `step` apart
// from the run's start: before the first job at or after a boundary runs, it records what every
// queue holds, each function's peak concurrency since the last boundary (CloudWatch's
// ConcurrentExecutions Maximum for the period), each mapping's pollers, and running totals
// (errors, timeouts, throttles, completed requests). It registers no observer and draws no
// random number, so a run sampled makes the same events as one that is not.
//
// The step is chosen from the run's length, which is only known at its end: the sampler starts at
// 1 ms and, whenever it holds `maxPoints` samples, keeps every k-th (k = 2, 3 or 5, the next step
// on a ladder of round durations: 1, 2, 10, 20, 100, 200 ms, 1, 2, 10, 20 s, 1, 2, 10, 20 min,
// 1, 2, 6, 12 h, 1 day, then doubling). Gauges keep their value at the later boundary, peaks the
// largest, running totals the later: what it holds is exactly what sampling at the final step
// from the start would have taken. Memory is `maxPoints` values per channel, whatever the run's
// length or request count.

/// A value the sampler reads at each boundary, beyond the report's own: the hook for another
/// series (a cost so far, say), drawn on a chart of its own.
public struct ReportProbe {
  public enum Kind: Sendable {
    /// A level at the boundary (messages stored, dollars spent so far).
    case gauge
    /// A running total, drawn per step (the difference between successive boundaries).
    case total
  }
  /// The chart it is drawn on (`data-chart`); probes naming the same chart share it.
  public var chart: String
  public var chartTitle: String
  /// What the values are and their unit, for the y axis.
  public var yTitle: String
  public var unit: String
  /// The series' name in the legend (`data-series`).
  public var series: String
  public var kind: Kind
  public var read: (Simulation) -> Double

  public init(
    chart: String, chartTitle: String, yTitle: String, unit: String, series: String, kind: Kind,
    read: @escaping (Simulation) -> Double
  ) {
    self.chart = chart
    self.chartTitle = chartTitle
    self.yTitle = yTitle
    self.unit = unit
    self.series = series
    self.kind = kind
    self.read = read
  }
}

/// Samples a simulation at boundaries of virtual time; drive it with `runUntilDrained(limit:)`,
/// `replay(_:)`, or `advance(to:)` before each job and `finish()` at the end.
public final class RunSampler {
  public static let defaultMaxPoints = 600
  /// The ladder of steps, in microseconds; past its end, steps double.
  static let ladder: [Int64] = [
    1_000, 2_000, 10_000, 20_000, 100_000, 200_000, 1_000_000, 2_000_000, 10_000_000, 20_000_000, 60_000_000,
    120_000_000, 600_000_000, 1_200_000_000, 3_600_000_000, 7_200_000_000, 21_600_000_000, 43_200_000_000,
    86_400_000_000,
  ]

  /// How a channel's samples merge when the step grows.
  enum Merge { case last, max }
  struct Channel {
    var merge: Merge
    var read: (Simulation) -> Double
    /// Run after reading (a peak starts a new period).
    var reset: ((Simulation) -> Void)?
  }

  public let sim: Simulation
  public let maxPoints: Int
  public let start: SimTime
  public let probes: [ReportProbe]
  public private(set) var step: SimDuration
  private var channels: [Channel] = []
  /// The values at the start, per channel.
  private var initial: [Double]
  /// Per channel, one value per boundary sampled (and the run's end, after `finish()`).
  private var values: [[Double]]
  /// When each sample was taken.
  private var times: [SimTime] = []
  private var finished = false

  // Channel indices.
  private let queueBase: Int
  private let functionBase: Int
  private let mappingBase: Int
  private let latencyChannel: Int
  private let probeBase: Int
  private static let perQueue = 3  // visible, in flight, depth
  private static let perFunction = 5  // peak, errors, timeouts, throttles, invocations

  /// A sampler of `sim` from now; `maxPoints` (at least 10, a multiple of 30 so that every merge
  /// keeps whole groups) bounds the samples. `initialStep` fixes the first step (for tests);
  /// it must be on the ladder.
  public init(
    sim: Simulation, maxPoints: Int = RunSampler.defaultMaxPoints, probes: [ReportProbe] = [],
    initialStep: SimDuration? = nil
  ) {
    self.sim = sim
    self.maxPoints = Swift.max(30, (maxPoints / 30) * 30)
    self.probes = probes
    start = sim.now
    step = initialStep ?? .microseconds(Self.ladder[0])
    var ch: [Channel] = []
    queueBase = 0
    for q in sim.queues.indices {
      ch.append(Channel(merge: .last, read: { Double($0.queues[q].visibleCount) }))
      ch.append(Channel(merge: .last, read: { Double($0.queues[q].inFlightCount) }))
      ch.append(Channel(merge: .last, read: { Double($0.queues[q].depth) }))
    }
    functionBase = ch.count
    for f in sim.functions.indices {
      ch.append(
        Channel(merge: .max, read: { Double($0.functions[f].peakRunning) }, reset: { $0.functions[f].markPeak() }))
      ch.append(Channel(merge: .last, read: { Double($0.functions[f].counters.errors) }))
      ch.append(Channel(merge: .last, read: { Double($0.functions[f].counters.timeouts) }))
      ch.append(Channel(merge: .last, read: { Double($0.functions[f].counters.throttles) }))
      ch.append(Channel(merge: .last, read: { Double($0.functions[f].counters.invocations) }))
    }
    mappingBase = ch.count
    for m in sim.mappings.indices {
      ch.append(Channel(merge: .last, read: { Double($0.mappings[m].enabled ? $0.mappings[m].target : 0) }))
    }
    latencyChannel = ch.count
    ch.append(Channel(merge: .last, read: { Double($0.tracker.endToEnd.count) }))
    probeBase = ch.count
    for p in probes { ch.append(Channel(merge: .last, read: p.read)) }
    channels = ch
    for f in sim.functions { f.markPeak() }
    initial = ch.map { $0.read(sim) }
    values = Array(repeating: [], count: ch.count)
    for i in values.indices { values[i].reserveCapacity(self.maxPoints) }
  }

  /// Samples taken so far (the run's end included, after `finish()`).
  public var count: Int { times.count }

  /// The boundary of the next sample; the far future when it is past what the clock can hold.
  private var nextBoundary: SimTime {
    let (offset, o1) = step.microseconds.multipliedReportingOverflow(by: Int64(times.count + 1))
    let (t, o2) = start.microsecondsSinceEpoch.addingReportingOverflow(offset)
    return o1 || o2 ? .distantFuture : SimTime(microsecondsSinceEpoch: t)
  }

  /// Takes every sample due before a job at `t` runs: one per boundary up to `t`.
  public func advance(to t: SimTime) {
    guard !finished else { return }
    while nextBoundary <= t, nextBoundary < .distantFuture {
      if times.count >= maxPoints {
        // The step grows: the next boundary moves, and may be past `t`.
        coarsen()
        continue
      }
      take(at: nextBoundary)
    }
  }

  /// Records the run's end (the samples due up to the clock, then the clock itself if it is past
  /// the last boundary). Nothing is sampled after.
  public func finish() {
    guard !finished else { return }
    advance(to: sim.now)
    if sim.now > (times.last ?? start) {
      if times.count >= maxPoints { coarsen() }
      take(at: sim.now)
    }
    finished = true
  }

  /// Runs the simulation as `Simulation.runUntilDrained(limit:)` does (the same jobs in the same
  /// order), sampling on the way, then records the end. True when it drained.
  @discardableResult
  public func runUntilDrained(limit: SimTime? = nil) -> Bool {
    while sim.hasPendingWork, let t = sim.nextJobTime, limit.map({ t <= $0 }) ?? true {
      advance(to: t)
      sim.step()
    }
    let drained = sim.runUntilDrained(limit: limit)
    finish()
    return drained
  }

  /// Replays a recorded session to its end as `ReplayPlayer.advance(_:to:)` does (the same jobs
  /// and commands in the same order), a boundary at a time, sampling at each; then records the end.
  public func replay(_ player: inout ReplayPlayer) {
    let last = player.log.entries.last?.time ?? start
    while !player.finished {
      if times.count >= maxPoints { coarsen() }
      let boundary = nextBoundary
      if boundary > last { break }
      // Every job before the boundary, none at it: the state a live run samples there.
      _ = player.advance(sim, to: boundary - .microseconds(1))
      if player.finished { break }
      take(at: boundary)
    }
    if !player.finished { _ = player.advance(sim, to: .distantFuture) }
    finish()
  }

  private func take(at t: SimTime) {
    for (i, c) in channels.enumerated() {
      values[i].append(c.read(sim))
      c.reset?(sim)
    }
    times.append(t)
  }

  /// The next step on the ladder, as a multiple of the current one.
  private static func factor(after step: SimDuration) -> Int {
    let us = step.microseconds
    if let i = ladder.firstIndex(of: us), i + 1 < ladder.count { return Int(ladder[i + 1] / us) }
    return 2
  }

  /// Keeps every k-th sample and multiplies the step by k.
  private func coarsen() {
    let k = Self.factor(after: step)
    let groups = times.count / k
    for c in channels.indices {
      let old = values[c]
      var merged: [Double] = []
      merged.reserveCapacity(maxPoints)
      for g in 0..<groups {
        let slice = old[(g * k)..<(g * k + k)]
        merged.append(channels[c].merge == .max ? slice.max()! : slice.last!)
      }
      values[c] = merged
    }
    times = (0..<groups).map { times[$0 * k + k - 1] }
    let (grown, overflow) = step.microseconds.multipliedReportingOverflow(by: Int64(k))
    step = .microseconds(overflow ? .max : grown)
  }

  // MARK: What the charts draw

  /// The samples, as series over seconds since the start.
  public var samples: RunSamples {
    var s = RunSamples(step: step, start: start)
    let xs = [0.0] + times.map { ($0 - start).seconds }
    s.times = xs
    func gauge(_ c: Int) -> [Double?] { [initial[c]] + values[c].map { Optional($0) } }
    func perStep(_ c: Int) -> [Double?] {
      var out: [Double?] = [nil]
      var previous = initial[c]
      for v in values[c] {
        out.append(v - previous)
        previous = v
      }
      return out
    }
    s.queues = sim.queues.indices.map { q in
      let b = queueBase + q * Self.perQueue
      return RunSamples.QueueSeries(visible: gauge(b), inFlight: gauge(b + 1), depth: gauge(b + 2))
    }
    s.functions = sim.functions.indices.map { f in
      let b = functionBase + f * Self.perFunction
      return RunSamples.FunctionSeries(
        concurrency: gauge(b), errors: perStep(b + 1), timeouts: perStep(b + 2), throttles: perStep(b + 3),
        invocations: perStep(b + 4))
    }
    s.mappingPollers = sim.mappings.indices.map { gauge(mappingBase + $0) }
    // Latency percentiles of the requests completed in each step (in completion order).
    let latencies = sim.tracker.endToEnd
    var p50: [Double?] = [nil]
    var p90: [Double?] = [nil]
    var p99: [Double?] = [nil]
    var completed: [Double?] = [nil]
    var from = Int(initial[latencyChannel])
    for v in values[latencyChannel] {
      let to = Swift.min(latencies.count, Int(v))
      if to > from {
        let l = LatencySummary(Array(latencies[from..<to]))
        p50.append(l.p50.milliseconds)
        p90.append(l.p90.milliseconds)
        p99.append(l.p99.milliseconds)
      } else {
        p50.append(nil)
        p90.append(nil)
        p99.append(nil)
      }
      completed.append(Double(Swift.max(0, to - from)))
      from = Swift.max(from, to)
    }
    s.latency = RunSamples.LatencySeries(p50: p50, p90: p90, p99: p99, completed: completed)
    s.probes = probes.enumerated().map { i, p in
      (p, p.kind == .gauge ? gauge(probeBase + i) : perStep(probeBase + i))
    }
    return s
  }
}

/// What a run's sampler took: one value per sample, the start (0 s) first. Per-step values (errors,
/// invocations, completed requests, latency percentiles) are `nil` at the start, and a step
/// without a completed request has no latency.
public struct RunSamples {
  public struct QueueSeries: Sendable {
    public var visible: [Double?]
    public var inFlight: [Double?]
    /// Every message stored: visible, in flight and delayed.
    public var depth: [Double?]
  }
  public struct FunctionSeries: Sendable {
    /// The most concurrent executions in each step.
    public var concurrency: [Double?]
    public var errors: [Double?]
    public var timeouts: [Double?]
    public var throttles: [Double?]
    public var invocations: [Double?]
  }
  public struct LatencySeries: Sendable {
    /// End-to-end latency percentiles (milliseconds) of the requests completed in each step.
    public var p50: [Double?]
    public var p90: [Double?]
    public var p99: [Double?]
    public var completed: [Double?]
  }

  /// The final step.
  public var step: SimDuration
  public var start: SimTime
  /// Seconds since the start of each sample.
  public var times: [Double] = []
  public var queues: [QueueSeries] = []
  public var functions: [FunctionSeries] = []
  /// Each mapping's pollers (0 while it is disabled).
  public var mappingPollers: [[Double?]] = []
  public var latency = LatencySeries(p50: [], p90: [], p99: [], completed: [])
  public var probes: [(probe: ReportProbe, values: [Double?])] = []

  /// A series' points.
  public func points(_ values: [Double?]) -> [SVGChart.Point] {
    zip(times, values).map { SVGChart.Point(x: $0, y: $1) }
  }
}

extension ReportProbe {
  /// What the run has cost so far, by service and in all, at `prices` (`Cost.swift`): one chart.
  public static func cost(prices: PriceTable) -> [ReportProbe] {
    let series = ["total", "lambda", "sqs", "sns", "s3"]
    // The five series read one bill per sample, worked out once.
    let bill = BillAtSample(prices: prices)
    return series.map { s in
      ReportProbe(
        chart: "cost", chartTitle: "Cost so far (\(prices.region) list prices read \(prices.read), no free tier)",
        yTitle: "dollars", unit: "USD", series: s, kind: .gauge
      ) { sim in
        let c = bill.cost(sim)
        return s == "total" ? c.totalUSD : c.usd(s)
      }
    }
  }
}

/// The run's bill at the simulation's current point (its jobs run and clock), kept until it moves.
private final class BillAtSample {
  let prices: PriceTable
  private var at: (jobs: Int, time: SimTime)?
  private var last: CostReport?
  init(prices: PriceTable) { self.prices = prices }

  func cost(_ sim: Simulation) -> CostReport {
    if let at, let last, at.jobs == sim.jobsExecuted, at.time == sim.now { return last }
    let c = sim.cost(prices: prices)
    at = (sim.jobsExecuted, sim.now)
    last = c
    return c
  }
}
