// MARK: - Run report

/// Percentiles of a set of latencies.
public struct LatencySummary: Equatable, Sendable {
  public var count: Int
  public var p50: SimDuration
  public var p90: SimDuration
  public var p99: SimDuration
  public var max: SimDuration

  /// Nearest-rank percentiles.
  public init(_ values: [SimDuration]) {
    let s = values.sorted()
    count = s.count
    func rank(_ p: Double) -> SimDuration {
      guard !s.isEmpty else { return .zero }
      let r = Int((p * Double(s.count)).rounded(.up))
      return s[Swift.max(0, Swift.min(s.count - 1, r - 1))]
    }
    p50 = rank(0.50)
    p90 = rank(0.90)
    p99 = rank(0.99)
    max = s.last ?? .zero
  }

  var json: String {
    var w = JSONObjectWriter()
    w.int("count", count)
    w.double("p50_ms", p50.milliseconds)
    w.double("p90_ms", p90.milliseconds)
    w.double("p99_ms", p99.milliseconds)
    w.double("max_ms", max.milliseconds)
    return w.finished()
  }
}

/// Message conservation across every queue: every message created (or copied by at-least-once
/// delivery) is deleted, expired, purged or still stored (moves to a DLQ stay inside the system).
public struct Conservation: Equatable, Sendable {
  public var created = 0
  /// Copies at-least-once delivery left in queues (`duplicateRate`): neither lost nor invented.
  public var duplicated = 0
  public var deleted = 0
  public var expired = 0
  public var purged = 0
  public var redriven = 0
  public var stored = 0
  /// Every message created is deleted, expired, purged, redriven (replaced by a new message) or
  /// still stored.
  public var holds: Bool { created + duplicated == deleted + expired + purged + redriven + stored }
}

extension Simulation {
  /// NumberOfEmptyReceives including idle long polls up to now.
  public func emptyReceives(_ q: SQSQueue) -> Int {
    q.mappings.reduce(q.counters.emptyReceives) { $0 + mappings[$1].idleEmptyReceives(now: now) }
  }

  /// Message conservation now.
  public var conservation: Conservation {
    var c = Conservation()
    for q in queues {
      c.created += q.counters.sent
      c.duplicated += q.counters.duplicated
      c.deleted += q.counters.deleted
      c.expired += q.counters.expired
      c.purged += q.counters.purged
      c.redriven += q.counters.redriven
      c.stored += q.depth
    }
    return c
  }

  /// Whether one queue's books balance: everything that arrived left or is still there.
  public func queueBalances(_ q: SQSQueue) -> Bool { Simulation.booksProblem(q) == nil }
}

/// What `fanout run` prints: the pipeline's counters after a run.
public struct RunReport {
  public let sim: Simulation
  public let scenario: String
  public let drained: Bool
  public let wallSeconds: Double
  /// The scenario's expectations: what each measured, and whether it held.
  public let expectations: [(text: String, held: Bool)]
  /// The prices the report's `cost` is computed at (`--prices FILE`).
  public var prices = PriceTable.usEast1
  /// Why a run that did not drain stopped, when not at its time limit ("stopped by SIGINT").
  public var stopReason: String?

  public init(
    sim: Simulation, scenario: String, drained: Bool, wallSeconds: Double,
    expectations: [(text: String, held: Bool)] = []
  ) {
    self.sim = sim
    self.scenario = scenario
    self.drained = drained
    self.wallSeconds = wallSeconds
    self.expectations = expectations
  }

  public var simSeconds: Double { (sim.now - sim.topology.startTime).seconds }

  /// Requests fired that are neither complete nor failed.
  public var incomplete: Int { sim.tracker.fired - sim.tracker.completed - sim.tracker.failedCount }

  // MARK: JSON

  /// One JSON object; keys in a fixed order, components in topology order.
  public var json: String {
    let t = sim.tracker
    var w = JSONObjectWriter()
    w.string("scenario", scenario)
    w.int("seed", Int64(bitPattern: sim.seed))
    w.bool("drained", drained)
    w.object("requests") { r in
      r.int("fired", t.fired)
      r.int("completed", t.completed)
      r.int("failed", t.failedCount)
      r.int("incomplete", incomplete)
      r.int("collisions", t.collidingFires)
      r.int("duplicate_stage_completions", t.duplicateCompletions)
      r.int("notifications", t.notifications)
    }
    w.object("latency") { l in
      l.raw("end_to_end", LatencySummary(t.endToEnd).json)
      l.object("stages") { st in
        for (i, s) in t.stages.enumerated() { st.raw(s, LatencySummary(t.stageLatencies[i]).json) }
      }
    }
    w.object("s3") { o in
      let b = sim.buckets
      o.int("objects", b.reduce(0) { $0 + $1.objectCount })
      o.int("bytes", b.reduce(0) { $0 + $1.totalBytes })
      o.int("distinct_bodies", b.reduce(0) { $0 + $1.distinctBodies })
      o.int("puts", b.reduce(0) { $0 + $1.puts })
      o.int("gets", b.reduce(0) { $0 + $1.gets })
      o.int("get_misses", b.reduce(0) { $0 + $1.getMisses })
    }
    w.object("queues") { qs in
      for q in sim.queues {
        qs.object(q.name) { o in
          o.int("sent", q.counters.sent)
          o.int("received", q.counters.received)
          o.int("deleted", q.counters.deleted)
          o.int("moved_to_dlq", q.counters.movedToDLQ)
          o.int("moved_in", q.counters.movedIn)
          o.int("expired", q.counters.expired)
          o.int("purged", q.counters.purged)
          // At-least-once copies: written only when there are some (every other report unchanged).
          if q.counters.duplicated > 0 { o.int("duplicated", q.counters.duplicated) }
          o.int("empty_receives", sim.emptyReceives(q))
          o.int("max_depth", q.counters.maxDepth)
          o.int("visible", q.visibleCount)
          o.int("in_flight", q.inFlightCount)
          o.int("delayed", q.delayedCount)
          o.double("age_of_oldest_seconds", q.ageOfOldestMessage(now: sim.now).seconds)
        }
      }
    }
    w.object("topics") { ts in
      for topic in sim.topics {
        ts.object(topic.name) { o in
          o.int("published", topic.counters.published)
          o.int("delivered", topic.counters.delivered)
          o.int("filtered_out", topic.counters.filteredOut)
          o.int("failed", topic.counters.failed)
          if topic.counters.duplicated > 0 { o.int("duplicated", topic.counters.duplicated) }
          if topic.counters.deadLettered > 0 { o.int("dead_lettered", topic.counters.deadLettered) }
        }
      }
    }
    w.object("functions") { fs in
      for f in sim.functions {
        fs.object(f.name) { o in
          let c = f.counters
          o.int("invocations", c.invocations)
          o.int("errors", c.errors)
          o.int("timeouts", c.timeouts)
          o.int("throttles", c.throttles)
          o.int("cold_starts", c.coldStarts)
          o.int("max_concurrency", c.maxConcurrency)
          o.int("memory_mb", f.spec.memorySize)
          o.string("architecture", f.spec.architecture.rawValue)
          o.int("billed_ms", c.billedMilliseconds)
          // RecursiveInvocationsDropped, only when Lambda stopped a loop (every other report unchanged).
          if c.recursiveInvocationsDropped > 0 { o.int("recursive_invocations_dropped", c.recursiveInvocationsDropped) }
          // Asynchronous invocations (SNS subscriptions), only for a function that had some.
          let a = f.async
          if a.received > 0 {
            o.object("async") { x in
              x.int("events_received", a.received)
              x.int("succeeded", a.succeeded)
              x.int("retries", a.retries)
              x.int("events_dropped", a.dropped)
              x.int("expired", a.expired)
              x.int("queued", a.queued)
              x.int("dead_lettered", a.deadLettered)
              x.int("destination_records", a.destinationRecords)
              x.int("dead_letter_errors", a.deadLetterErrors)
              x.int("destination_delivery_failures", a.destinationDeliveryFailures)
              x.double("max_event_age_seconds", a.maxEventAge.seconds)
            }
          }
          o.double(
            "avg_duration_ms",
            c.invocations == 0 ? 0 : Double(c.totalDuration.microseconds) / Double(c.invocations) / 1_000)
        }
      }
    }
    w.object("mappings") { ms in
      for m in sim.mappings {
        ms.object(m.spec.queue) { o in
          o.bool("enabled", m.enabled)
          o.int("batches", m.counters.batches)
          o.int("records", m.counters.records)
          o.double(
            "records_per_batch", m.counters.batches > 0 ? Double(m.counters.records) / Double(m.counters.batches) : 0)
          o.int("max_concurrent_batches", m.counters.maxBatches)
          o.int("throttles", m.counters.throttles)
        }
      }
    }
    w.object("sinks") { sk in
      for s in sim.sinks { sk.int(s.name, s.received) }
    }
    w.raw("cost", costJSON(sim.cost(prices: prices)))
    let c = sim.conservation
    w.object("conservation") { o in
      o.int("created", c.created)
      if c.duplicated > 0 { o.int("duplicated", c.duplicated) }
      o.int("deleted", c.deleted)
      o.int("expired", c.expired)
      o.int("purged", c.purged)
      o.int("stored", c.stored)
      o.bool("holds", c.holds)
    }
    w.raw(
      "expectations",
      jsonArray(
        expectations.map { e in
          var o = JSONObjectWriter()
          o.string("expectation", e.text)
          o.bool("held", e.held)
          return o.finished()
        }))
    w.double("sim_seconds", simSeconds)
    w.double("wall_seconds", wallSeconds)
    w.int("events", sim.eventCount)
    w.double("events_per_second", wallSeconds > 0 ? (Double(sim.eventCount) / wallSeconds).rounded() : 0)
    w.double("requests_per_second", wallSeconds > 0 ? (Double(t.fired) / wallSeconds).rounded() : 0)
    return w.finished()
  }

  // MARK: Text

  /// The report for people.
  public var text: String {
    let t = sim.tracker
    var out: [String] = []
    out.append("fanout run — \(scenario), seed \(sim.seed)")
    out.append(
      "virtual time \(formatSpan(sim.now - sim.topology.startTime)) (until \(sim.now.iso8601Millis)), "
        + (drained ? "drained" : (stopReason ?? "stopped at the time limit") + " with work pending"))
    out.append("")
    out.append(
      "requests  fired \(t.fired)  completed \(t.completed)  failed \(t.failedCount)  incomplete \(incomplete)  "
        + "collisions \(t.collidingFires)  notifications \(t.notifications)")
    if t.duplicateCompletions > 0 {
      out.append("          \(t.duplicateCompletions) stage completions repeated (at-least-once delivery)")
    }
    for (id, fires) in t.collisions.sorted(by: { $0.value[0] < $1.value[0] }).prefix(10) {
      out.append(
        "          collision: request ID \(id.hex) shared by fires \(fires.map(String.init).joined(separator: ", "))")
    }
    out.append("")
    out.append(pad("latency", 12) + pad("count", 9) + pad("p50", 10) + pad("p90", 10) + pad("p99", 10) + "max")
    func line(_ name: String, _ s: LatencySummary) {
      out.append(
        pad(name, 12) + pad(String(s.count), 9) + pad(formatSpan(s.p50), 10) + pad(formatSpan(s.p90), 10)
          + pad(formatSpan(s.p99), 10) + formatSpan(s.max))
    }
    for (i, s) in t.stages.enumerated() { line(s, LatencySummary(t.stageLatencies[i])) }
    line("end to end", LatencySummary(t.endToEnd))
    out.append("")
    let qw = max(16, (sim.queues.map(\.name.count).max() ?? 0) + 2)
    out.append(
      pad("queue", qw) + pad("sent", 9) + pad("received", 10) + pad("deleted", 9) + pad("to DLQ", 8)
        + pad("expired", 9) + pad("max depth", 11) + pad("now", 7) + "oldest")
    for q in sim.queues {
      out.append(
        pad(q.name, qw) + pad(String(q.counters.sent + q.counters.movedIn), 9) + pad(String(q.counters.received), 10)
          + pad(String(q.counters.deleted), 9) + pad(String(q.counters.movedToDLQ), 8)
          + pad(String(q.counters.expired), 9) + pad(String(q.counters.maxDepth), 11) + pad(String(q.depth), 7)
          + formatSpan(q.ageOfOldestMessage(now: sim.now)))
    }
    out.append("")
    let fw = max(16, (sim.functions.map(\.name.count).max() ?? 0) + 2)
    out.append(
      pad("function", fw) + pad("invokes", 9) + pad("errors", 8) + pad("timeouts", 10) + pad("throttles", 11)
        + pad("cold", 7) + pad("max conc", 10) + "avg duration")
    for f in sim.functions {
      let avg = f.counters.invocations == 0 ? .zero : f.counters.totalDuration / f.counters.invocations
      out.append(
        pad(f.name, fw) + pad(String(f.counters.invocations), 9) + pad(String(f.counters.errors), 8)
          + pad(String(f.counters.timeouts), 10) + pad(String(f.counters.throttles), 11)
          + pad(String(f.counters.coldStarts), 7) + pad(String(f.counters.maxConcurrency), 10) + formatSpan(avg))
    }
    for f in sim.functions where f.async.received > 0 {
      let a = f.async
      var line =
        "          \(f.name) async: \(a.received) events, \(a.succeeded) succeeded, \(a.retries) retries, "
        + "\(a.dropped) dropped"
      if a.expired > 0 { line += " (\(a.expired) too old)" }
      if a.queued > 0 { line += ", \(a.queued) queued" }
      if a.deadLettered > 0 { line += ", \(a.deadLettered) to DLQ" }
      if a.destinationRecords > 0 { line += ", \(a.destinationRecords) destination records" }
      out.append(line + ", oldest \(formatSpan(a.maxEventAge))")
    }
    for f in sim.functions where f.counters.recursiveInvocationsDropped > 0 {
      out.append(
        "          \(f.name): recursive loop, \(f.counters.recursiveInvocationsDropped) invocations stopped "
          + "(RecursiveInvocationsDropped)")
    }
    out.append("")
    let tw = max(16, (sim.topics.map(\.name.count).max() ?? 0) + 2)
    out.append(pad("topic", tw) + pad("published", 11) + pad("delivered", 11) + pad("filtered", 10) + "failed")
    for topic in sim.topics {
      out.append(
        pad(topic.name, tw) + pad(String(topic.counters.published), 11) + pad(String(topic.counters.delivered), 11)
          + pad(String(topic.counters.filteredOut), 10) + String(topic.counters.failed))
    }
    out.append("")
    for b in sim.buckets {
      out.append(
        "s3 \(b.name)  objects \(b.objectCount)  bytes \(b.totalBytes)  distinct bodies \(b.distinctBodies)  "
          + "puts \(b.puts)  gets \(b.gets)  misses \(b.getMisses)")
    }
    out += costText(sim.cost(prices: prices))
    let c = sim.conservation
    out.append(
      "messages  created \(c.created)" + (c.duplicated > 0 ? " + duplicated \(c.duplicated)" : "")
        + " = deleted \(c.deleted) + expired \(c.expired) + purged \(c.purged) + stored \(c.stored)"
        + (c.holds ? "  ✓" : "  ✗ NOT CONSERVED"))
    if !expectations.isEmpty {
      out.append("")
      out.append("expectations")
      for e in expectations { out.append("  \(e.held ? "✓ held  " : "✗ FAILED") \(e.text)") }
    }
    let eps = wallSeconds > 0 ? Int((Double(sim.eventCount) / wallSeconds).rounded()) : 0
    out.append(
      "wall time \(String(format2(wallSeconds)))s  events \(sim.eventCount)  events/s \(eps)  requests/s "
        + "\(wallSeconds > 0 ? Int((Double(t.fired) / wallSeconds).rounded()) : 0)")
    return out.joined(separator: "\n")
  }
}

func pad(_ s: String, _ width: Int) -> String {
  s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

func format2(_ v: Double) -> String {
  let c = Int64((v * 100).rounded())
  let f = c % 100
  return "\(c / 100).\(f < 10 ? "0" : "")\(f)"
}

// MARK: Cost

/// The services of a bill, in the order the report gives them.
let costServices = ["lambda", "sqs", "sns", "s3"]

/// A number as JSON, to the last digit (Swift's shortest round-trip form): dollars are often
/// millionths, which the report's six decimals would round away.
func jsonExact(_ v: Double) -> String {
  guard v.isFinite else { return "null" }
  if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
  return "\(v)"
}

extension JSONObjectWriter {
  mutating func exact(_ k: String, _ v: Double) { raw(k, jsonExact(v)) }
}

/// `cost` in the JSON report: the total, each service's dollars and line items, the month.
func costJSON(_ c: CostReport) -> String {
  var w = JSONObjectWriter()
  w.exact("total_usd", c.totalUSD)
  for s in costServices { w.exact(s + "_usd", c.usd(s)) }
  if let m = c.monthlyUSD { w.exact("monthly_usd", m) } else { w.null("monthly_usd") }
  for s in costServices {
    w.raw(
      s + "_items",
      jsonArray(
        c.items.filter { $0.service == s }.map { i in
          var o = JSONObjectWriter()
          o.string("item", i.item)
          o.exact("quantity", i.quantity)
          o.string("unit", i.unit)
          o.exact("unit_usd", i.unitPrice)
          o.exact("usd", i.usd)
          return o.finished()
        }))
  }
  w.string("prices", c.prices.region)
  w.string("prices_read", c.prices.read)
  return w.finished()
}

/// Dollars for people: cents from a dollar up, else three significant digits ($0.0000200).
public func formatUSD(_ v: Double) -> String {
  if v == 0 { return "$0" }
  if v >= 1 { return "$" + formatFixed(v, 2) }
  return "$" + formatSignificant(v, 3)
}

/// A positive number below 1 with `digits` significant digits, in plain decimals.
func formatSignificant(_ v: Double, _ digits: Int) -> String {
  guard v > 0, v < 1 else { return formatJSONNumber(v) }
  var places = digits
  var x = v
  while x < 0.1, places < 18 {
    x *= 10
    places += 1
  }
  return formatFixed(v, places)
}

/// The report's cost section: the total, the month at this rate, each service, its priced items.
func costText(_ c: CostReport) -> [String] {
  var out = [""]
  var head = "cost  \(formatUSD(c.totalUSD))"
  if let m = c.monthlyUSD { head += "  (\(formatUSD(m)) a 30-day month at this rate)" }
  head += "  at \(c.prices.region) list prices read \(c.prices.read), no free tier"
  out.append(head)
  out.append("      " + costServices.map { "\($0) \(formatUSD(c.usd($0)))" }.joined(separator: "  "))
  for i in c.items where i.quantity > 0 && i.unitPrice > 0 {
    let q =
      i.quantity == i.quantity.rounded()
      ? String(Int(i.quantity))
      : i.quantity < 1 ? formatSignificant(i.quantity, 3) : formatFixed(i.quantity, 3)
    out.append("      \(pad(i.service, 7))\(i.item): \(q) \(i.unit) → \(formatUSD(i.usd))")
  }
  return out
}
