import Foundation

// MARK: - A figure's distribution over the seeds of one combination

/// Mean, percentiles and the 95 % confidence interval of the mean of a figure over runs.
///
/// - Percentiles: linear interpolation between the order statistics, Hyndman and Fan's
///   definition 7 (the default of R's `quantile`, NumPy's `percentile` and Excel's
///   `PERCENTILE.INC`; https://numpy.org/doc/stable/reference/generated/numpy.percentile.html):
///   for sorted values x₀ ≤ … ≤ xₙ₋₁ and p in [0, 1], h = (n − 1)·p and the percentile is
///   x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋₊₁ − x⌊h⌋). With one value every percentile is that value.
/// - Confidence interval: mean ± t₀.₉₇₅,ₙ₋₁ · s / √n, with s the sample standard deviation
///   (n − 1 in the denominator) and t Student's t quantile with n − 1 degrees of freedom: IUPAC's
///   "confidence limits (about the mean)" (http://goldbook.iupac.org/C01247-plain.html), whose
///   t values NIST tabulates (https://www.nist.gov/physical-measurement-laboratory/nist-tn-1297-guidelines-appendix-b-table-b1).
///   It needs two values; with one there is none.
public struct SweepDistribution: Sendable, Equatable {
  /// How many values (runs that measured the figure).
  public var count: Int
  public var mean: Double
  public var p5: Double
  public var p50: Double
  public var p95: Double
  /// The 95 % confidence interval of the mean; nil with fewer than two values.
  public var ci95: (low: Double, high: Double)?

  public static func == (a: SweepDistribution, b: SweepDistribution) -> Bool {
    a.count == b.count && a.mean == b.mean && a.p5 == b.p5 && a.p50 == b.p50 && a.p95 == b.p95
      && a.ci95?.low == b.ci95?.low && a.ci95?.high == b.ci95?.high
  }

  /// The distribution of `values`, in the order given (the sum runs in that order, so the same
  /// values in the same order give the same bits); nil when there are none.
  public init?(_ values: [Double]) {
    guard !values.isEmpty else { return nil }
    let n = values.count
    var sum = 0.0
    for v in values { sum += v }
    let mean = sum / Double(n)
    let sorted = values.sorted()
    count = n
    self.mean = mean
    p5 = sweepPercentile(sorted: sorted, 0.05)
    p50 = sweepPercentile(sorted: sorted, 0.50)
    p95 = sweepPercentile(sorted: sorted, 0.95)
    if n >= 2 {
      var squares = 0.0
      for v in values { squares += (v - mean) * (v - mean) }
      let s = (squares / Double(n - 1)).squareRoot()
      let half = studentTQuantile(0.975, degreesOfFreedom: n - 1) * s / Double(n).squareRoot()
      ci95 = (mean - half, mean + half)
    } else {
      ci95 = nil
    }
  }
}

/// The p-th percentile (p in [0, 1]) of sorted values, by linear interpolation between order
/// statistics (Hyndman and Fan's definition 7). Sorted values must not be empty.
public func sweepPercentile(sorted: [Double], _ p: Double) -> Double {
  precondition(!sorted.isEmpty)
  let h = Double(sorted.count - 1) * p
  let lo = Int(h.rounded(.down))
  let hi = Swift.min(lo + 1, sorted.count - 1)
  let f = h - Double(lo)
  // Equal neighbours give exactly that value (no rounding from the interpolation).
  if f == 0 || sorted[lo] == sorted[hi] { return sorted[lo] }
  return sorted[lo] + f * (sorted[hi] - sorted[lo])
}

/// Student's t quantile: the t with P(T ≤ t) = p for ν degrees of freedom, p in (0.5, 1). The
/// CDF comes from the regularized incomplete beta function (https://dlmf.nist.gov/8.17):
/// P(T ≤ t) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0 (Numerical Recipes, §6.4), inverted by
/// bisection until the interval stops shrinking.
public func studentTQuantile(_ p: Double, degreesOfFreedom nu: Int) -> Double {
  precondition(nu >= 1 && p > 0.5 && p < 1)
  let v = Double(nu)
  func cdf(_ t: Double) -> Double { 1 - 0.5 * regularizedIncompleteBeta(v / (v + t * t), v / 2, 0.5) }
  var lo = 0.0
  var hi = 1.0
  while cdf(hi) < p { hi *= 2 }
  for _ in 0..<200 {
    let mid = (lo + hi) / 2
    if mid <= lo || mid >= hi { break }
    if cdf(mid) < p { lo = mid } else { hi = mid }
  }
  return (lo + hi) / 2
}

/// I_x(a, b), the regularized incomplete beta function, by its continued fraction (modified
/// Lentz's method), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction
/// converges slowly.
func regularizedIncompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
  if x <= 0 { return 0 }
  if x >= 1 { return 1 }
  if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, b, a) }
  let lnBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
  let lnX: Double = a * Foundation.log(x)
  let ln1X: Double = b * Foundation.log(1 - x)
  let front: Double = Foundation.exp(lnX + ln1X - lnBeta)
  let tiny = 1e-300
  var c = 1.0
  var d = 1 - (a + b) * x / (a + 1)
  if abs(d) < tiny { d = tiny }
  d = 1 / d
  var h = d
  for m in 1...1_000 {
    let mm = Double(m)
    let even = mm * (b - mm) * x / ((a + 2 * mm - 1) * (a + 2 * mm))
    d = 1 + even * d
    if abs(d) < tiny { d = tiny }
    c = 1 + even / c
    if abs(c) < tiny { c = tiny }
    d = 1 / d
    h *= d * c
    let odd = -(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1))
    d = 1 + odd * d
    if abs(d) < tiny { d = tiny }
    c = 1 + odd / c
    if abs(c) < tiny { c = tiny }
    d = 1 / d
    let step = d * c
    h *= step
    if abs(step - 1) < 1e-16 { break }
  }
  return front * h / a
}
