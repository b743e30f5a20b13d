import Foundation

// MARK: - Axes: nice ticks, and a unit for virtual time

/// A linear axis: its range and ticks, a "nice" step apart (1, 2 or 5 times a power of ten).
public struct AxisScale: Equatable, Sendable {
  public var low: Double
  public var high: Double
  public var step: Double
  public var ticks: [Double]

  /// The largest magnitude an axis takes: values beyond are drawn at the edge.
  static let limit = 1e300

  /// An axis from `min(0, low)` (or `low` itself when `includeZero` is false) to at least `high`,
  /// with about `count` ticks at least `minStep` apart (1 for counts: no tick between two whole
  /// numbers). Non-finite bounds count as 0; an empty range becomes `0...1` (or around the single
  /// value).
  ///
  /// A `tight` axis ends at `high` itself (its last tick at or below it): virtual time stops
  /// where the run did.
  public static func nice(
    low: Double, high: Double, count: Int = 5, includeZero: Bool = true, minStep: Double = 0, tight: Bool = false
  ) -> AxisScale {
    var lo = low.isFinite ? Swift.max(-limit, Swift.min(limit, low)) : 0
    var hi = high.isFinite ? Swift.max(-limit, Swift.min(limit, high)) : 0
    if lo > hi { swap(&lo, &hi) }
    if includeZero {
      lo = Swift.min(0, lo)
      hi = Swift.max(0, hi)
    }
    if !(hi > lo) {
      // One value (zero, with includeZero): an axis around it.
      let pad = lo == 0 ? 1 : abs(lo) / 2
      (lo, hi) = lo == 0 ? (0, 1) : (lo - pad, hi + pad)
    }
    let raw = (hi - lo) / Double(Swift.max(1, count))
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let norm = raw / magnitude
    let step = Swift.max(minStep, (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude)
    var niceLow = (lo / step).rounded(.down) * step
    var niceHigh = (hi / step).rounded(.up) * step
    if !niceLow.isFinite { niceLow = lo }
    if !niceHigh.isFinite || (tight && niceHigh > hi) { niceHigh = hi }
    let n = Swift.min(40, Swift.max(1, Int(((niceHigh - niceLow) / step).rounded(.up))))
    var ticks: [Double] = []
    for i in 0...n {
      let t = niceLow + Double(i) * step
      if t <= niceHigh * (1 + 1e-12) + step * 1e-9 { ticks.append(abs(t) < step * 1e-9 ? 0 : t) }
    }
    return AxisScale(low: niceLow, high: niceHigh, step: step, ticks: ticks)
  }

  /// Where `v` falls between `from` (at `low`) and `to` (at `high`); values outside the axis are
  /// put at its edge, non-finite ones at `from`.
  public func position(_ v: Double, from: Double, to: Double) -> Double {
    guard v.isFinite, high > low else { return from }
    let c = Swift.max(low, Swift.min(high, v))
    let f = (c - low) / (high - low)
    return from + (to - from) * (f.isFinite ? f : 0)
  }

  /// The label of each tick.
  public var labels: [String] {
    let top = Swift.max(abs(low), abs(high))
    return ticks.map { formatTick($0, step: step, top: top) }
  }
}

/// The unit virtual time is shown in on an axis, chosen from the span: milliseconds up to 2 s,
/// seconds up to 3 minutes, minutes up to 3 hours, hours up to 3 days, days beyond.
public struct TimeUnit: Equatable, Sendable {
  public var symbol: String
  /// Seconds in one unit.
  public var seconds: Double

  public static func forSpan(_ seconds: Double) -> TimeUnit {
    switch seconds {
    case ...2: TimeUnit(symbol: "ms", seconds: 0.001)
    case ...180: TimeUnit(symbol: "s", seconds: 1)
    case ...10_800: TimeUnit(symbol: "min", seconds: 60)
    case ...259_200: TimeUnit(symbol: "h", seconds: 3_600)
    default: TimeUnit(symbol: "d", seconds: 86_400)
    }
  }
}

/// A duration for a person, in the largest unit it has a whole of (`150 ms`, `2 s`, `1.5 min`).
public func formatDuration(seconds s: Double) -> String {
  guard s.isFinite else { return "–" }
  let a = abs(s)
  if a == 0 { return "0 s" }
  if a < 0.001 { return formatValue(s * 1_000_000) + " µs" }
  if a < 1 { return formatValue(s * 1_000) + " ms" }
  if a < 60 { return formatValue(s) + " s" }
  if a < 3_600 { return formatValue(s / 60) + " min" }
  if a < 86_400 { return formatValue(s / 3_600) + " h" }
  return formatValue(s / 86_400) + " d"
}
