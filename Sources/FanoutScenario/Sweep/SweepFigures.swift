import FanoutSim

// MARK: - What a sweep measures in each run

/// A run of a sweep, finished: what the figures read. What several figures need (the end-to-end
/// latency summary, which sorts every latency) is worked out once.
public final class FinishedRun {
  public let sim: Simulation
  /// Whether all work drained before the time limit.
  public let drained: Bool
  public init(sim: Simulation, drained: Bool) {
    self.sim = sim
    self.drained = drained
  }

  /// End-to-end latencies' summary; nil when no request completed.
  public private(set) lazy var endToEnd: LatencySummary? =
    sim.tracker.endToEnd.isEmpty ? nil : LatencySummary(sim.tracker.endToEnd)
}

/// The kind of component a figure names (the queue or function its value comes from).
public enum SweepComponentKind: String, Sendable {
  case queue, function
}

/// One figure read from a finished run: its value (nil when the run has none, such as a latency
/// with no completed request) and, for a maximum over components, which one (its index in the
/// simulation's queues or functions; the first in topology order on a tie).
public struct SweepReading: Sendable, Equatable {
  public var value: Double?
  public var component: Int?
  public init(_ value: Double?, component: Int? = nil) {
    self.value = value
    self.component = component
  }
}

/// A figure a sweep reports: its key (JSON, CSV), its title (text), its unit, how many decimals
/// the text shows, the kind of component it names, and how to read it from a finished run.
///
/// `SweepFigure.all` is the one table: a figure added there (a cost, say) is measured, stored in
/// shards, merged and printed in every format without another change.
public struct SweepFigure: Sendable {
  public let key: String
  public let title: String
  public let unit: String
  public let decimals: Int
  public let component: SweepComponentKind?
  public let read: @Sendable (FinishedRun) -> SweepReading

  public init(
    key: String, title: String, unit: String, decimals: Int, component: SweepComponentKind? = nil,
    read: @escaping @Sendable (FinishedRun) -> SweepReading
  ) {
    self.key = key
    self.title = title
    self.unit = unit
    self.decimals = decimals
    self.component = component
    self.read = read
  }
}

extension SweepFigure {
  /// Every figure, in the order the reports list them.
  public static let all: [SweepFigure] = [
    SweepFigure(key: "completed", title: "requests completed", unit: "requests", decimals: 1) { run in
      SweepReading(Double(run.sim.tracker.completed))
    },
    SweepFigure(key: "latency_p50_ms", title: "p50 end-to-end latency", unit: "ms", decimals: 1) { run in
      run.endToEnd.map { SweepReading($0.p50.milliseconds) } ?? SweepReading(nil)
    },
    SweepFigure(key: "latency_p99_ms", title: "p99 end-to-end latency", unit: "ms", decimals: 1) { run in
      run.endToEnd.map { SweepReading($0.p99.milliseconds) } ?? SweepReading(nil)
    },
    // ApproximateNumberOfMessages + NotVisible + Delayed at its largest, over every queue.
    SweepFigure(key: "max_queue_depth", title: "max queue depth", unit: "messages", decimals: 1, component: .queue) {
      run in
      largest(run.sim.queues.map { Double($0.counters.maxDepth) })
    },
    // ApproximateAgeOfOldestMessage's Maximum over the run, over every queue.
    SweepFigure(
      key: "oldest_message_age_s", title: "oldest message age", unit: "s", decimals: 2, component: .queue
    ) { run in
      largest(run.sim.queues.map { $0.maxAgeOfOldestMessage(now: run.sim.now).seconds })
    },
    // What the dead-letter queues hold when the run ends.
    SweepFigure(key: "dlq_messages", title: "messages in DLQs", unit: "messages", decimals: 1) { run in
      let sim = run.sim
      let dlqs = sim.queues.filter { q in sim.queues.contains { $0.deadLetterQueue == q.index } }
      return SweepReading(Double(dlqs.reduce(0) { $0 + $1.depth }))
    },
    // ConcurrentExecutions at its largest, over every function.
    SweepFigure(
      key: "peak_concurrency", title: "peak concurrency", unit: "executions", decimals: 1, component: .function
    ) { run in
      largest(run.sim.functions.map { Double($0.counters.maxConcurrency) })
    },
    // What the run cost at AWS's us-east-1 list prices (`Cost.swift`), and its 30-day month.
    SweepFigure(key: "cost_usd", title: "cost", unit: "USD", decimals: 6) { run in
      SweepReading(run.sim.cost().totalUSD)
    },
    SweepFigure(key: "monthly_cost_usd", title: "cost of a 30-day month", unit: "USD", decimals: 2) { run in
      SweepReading(run.sim.cost().monthlyUSD)
    },
  ]

  /// The figure with this key.
  public static func named(_ key: String) -> SweepFigure? { all.first { $0.key == key } }
}

/// The largest value and the first component that has it; no component when every value is
/// zero (no queue was deepest when none held anything), no value when there are no components.
private func largest(_ values: [Double]) -> SweepReading {
  guard var best = values.first else { return SweepReading(nil) }
  var at = 0
  for (i, v) in values.enumerated() where v > best {
    best = v
    at = i
  }
  return SweepReading(best, component: best > 0 ? at : nil)
}
