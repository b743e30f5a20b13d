import FanoutSim

// MARK: - Checking a scenario's promises

/// One expectation's verdict after a run.
public struct Verdict: Sendable {
  public var held: Bool
  public var text: String
}

extension Expectation {
  /// Whether the run kept this promise, and what it measured.
  public func check(_ sim: Simulation) -> Verdict {
    let t = sim.tracker
    switch self {
    case .allRequestsComplete:
      return Verdict(held: t.completed == t.fired, text: "all requests complete: \(t.completed) of \(t.fired)")
    case .maxFailedRequests(let n):
      return Verdict(held: t.failedCount <= n, text: "at most \(n) failed requests: \(t.failedCount)")
    case .maxInDeadLetterQueues(let n):
      let dlqs = sim.queues.filter { q in sim.queues.contains { $0.deadLetterQueue == q.index } }
      let total = dlqs.reduce(0) { $0 + $1.depth }
      return Verdict(held: total <= n, text: "at most \(n) messages in dead-letter queues: \(total)")
    case .maxInQueue(let name, let n):
      let d = sim.queue(named: name)?.depth ?? 0
      return Verdict(held: d <= n, text: "at most \(n) messages in \(name): \(d)")
    case .minInQueue(let name, let n):
      let d = sim.queue(named: name)?.depth ?? 0
      return Verdict(held: d >= n, text: "at least \(n) messages in \(name): \(d)")
    case .p99LatencyBelow(let bound):
      let p99 = LatencySummary(t.endToEnd).p99
      return Verdict(held: p99 < bound, text: "p99 end-to-end latency below \(formatSpan(bound)): \(formatSpan(p99))")
    case .minDuplicateStageCompletions(let stage, let n), .maxDuplicateStageCompletions(let stage, let n):
      let got = t.stages.firstIndex(of: stage).map { t.duplicateCompletionsByStage[$0] } ?? 0
      if case .minDuplicateStageCompletions = self {
        return Verdict(held: got >= n, text: "at least \(n) repeated completions of stage \(stage): \(got)")
      }
      return Verdict(held: got <= n, text: "at most \(n) repeated completions of stage \(stage): \(got)")
    case .maxCostUSD(let what, let bound), .minCostUSD(let what, let bound):
      let c = sim.cost()
      let got =
        what == "total"
        ? c.totalUSD : ["lambda", "sqs", "sns", "s3"].contains(what) ? c.usd(what) : c.usd(component: what)
      if case .maxCostUSD = self {
        return Verdict(held: got <= bound, text: "\(what) costs at most \(formatUSD(bound)): \(formatUSD(got))")
      }
      return Verdict(held: got >= bound, text: "\(what) costs at least \(formatUSD(bound)): \(formatUSD(got))")
    case .minCostShare(let service, let share):
      let c = sim.cost()
      let got = c.totalUSD > 0 ? c.usd(service) / c.totalUSD : 0
      return Verdict(
        held: got >= share,
        text: "\(service) is at least \(Int((share * 100).rounded())) % of the bill: \(Int((got * 100).rounded())) %")
    case .maxAgeOfOldestMessage(let name, let bound):
      let age = sim.queue(named: name)?.ageOfOldestMessage(now: sim.now) ?? .zero
      return Verdict(
        held: age <= bound,
        text: "age of the oldest message in \(name) at most \(formatSpan(bound)): \(formatSpan(age))")
    }
  }
}
