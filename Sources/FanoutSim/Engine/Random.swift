import Foundation

// MARK: - Seeded randomness

/// SplitMix64: turns one seed into the seeds of independent streams.
public struct SplitMix64: Sendable {
  private var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// xoshiro256**: the simulation's own generator. One stream per component, so that adding a
/// component never changes what another one draws.
public struct SimRandom: RandomNumberGenerator, Sendable {
  private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

  /// A stream for `seed` and a component name: the name is hashed with FNV-1a (stable across
  /// processes, unlike `Hasher`).
  public init(seed: UInt64, stream: String) {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in stream.utf8 {
      h ^= UInt64(b)
      h = h &* 0x0000_0100_0000_01B3
    }
    var sm = SplitMix64(seed: seed ^ h)
    s0 = sm.next()
    s1 = sm.next()
    s2 = sm.next()
    s3 = sm.next()
    if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
  }

  public mutating func next() -> UInt64 {
    let result = rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    return result
  }

  @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
  }

  /// A uniform double in [0, 1).
  public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

  /// True with probability `p`.
  public mutating func chance(_ p: Double) -> Bool {
    if p <= 0 { return false }
    if p >= 1 { return true }
    return unit() < p
  }

  /// A standard normal draw: the ziggurat method (Marsaglia and Tsang, with Doornik's 128
  /// layers). One 64-bit draw gives both the uniform and the layer; about 99 % of draws end
  /// there, with no logarithm or trigonometry.
  public mutating func normal() -> Double {
    let x = ziggurat.x
    let r = ziggurat.ratio
    while true {
      let bits = next()
      let u = 2 * (Double(bits >> 11) * 0x1.0p-53) - 1
      let i = Int(bits & 0x7F)
      if abs(u) < r[i] { return u * x[i] }
      if i == 0 { return normalTail(negative: u < 0) }
      let v = u * x[i]
      let v2 = v * v
      let f0 = Foundation.exp(-0.5 * (x[i] * x[i] - v2))
      let f1 = Foundation.exp(-0.5 * (x[i + 1] * x[i + 1] - v2))
      if f1 + unit() * (f0 - f1) < 1 { return v }
    }
  }

  /// A draw from the normal tail beyond the base layer (Marsaglia's method).
  private mutating func normalTail(negative: Bool) -> Double {
    let r = Ziggurat.r
    while true {
      var a = unit()
      var b = unit()
      if a < 1e-300 { a = 1e-300 }
      if b < 1e-300 { b = 1e-300 }
      let x = Foundation.log(a) / r
      let y = Foundation.log(b)
      if -2 * y >= x * x { return negative ? x - r : r - x }
    }
  }

  /// An exponential draw with the given mean.
  public mutating func exponential(mean: Double) -> Double {
    var u = unit()
    if u < 1e-300 { u = 1e-300 }
    return -Foundation.log(u) * mean
  }

  /// A random version-4 UUID.
  public mutating func uuid() -> UUID128 {
    var hi = next()
    var lo = next()
    hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
    lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
    return UUID128(hi: hi, lo: lo)
  }
}

/// The ziggurat's layers: `x[i]` the right edge of layer i (`x[0]` the base's equivalent width,
/// `x[128]` = 0), `ratio[i]` = `x[i + 1] / x[i]`. Built once, never freed.
struct Ziggurat {
  static let layers = 128
  static let r = 3.442619855899
  static let v = 9.91256303526217e-3
  let x: UnsafeMutablePointer<Double>
  let ratio: UnsafeMutablePointer<Double>

  init() {
    let n = Ziggurat.layers
    x = .allocate(capacity: n + 1)
    ratio = .allocate(capacity: n)
    var f = Foundation.exp(-0.5 * Ziggurat.r * Ziggurat.r)
    x[0] = Ziggurat.v / f
    x[1] = Ziggurat.r
    x[n] = 0
    for i in 2..<n {
      x[i] = (-2 * Foundation.log(Ziggurat.v / x[i - 1] + f)).squareRoot()
      f = Foundation.exp(-0.5 * x[i] * x[i])
    }
    for i in 0..<n { ratio[i] = x[i + 1] / x[i] }
  }
}

nonisolated(unsafe) let ziggurat = Ziggurat()

// MARK: - Durations

/// How long something takes, drawn from the owning component's stream.
///
/// The defaults are calibrated against published measurements; docs/TIMINGS.md gives each source,
/// its percentiles, the model and fanout's own percentiles.
public enum DurationModel: Equatable, Sendable {
  /// Always the same.
  case fixed(SimDuration)
  /// Uniform between two bounds, inclusive.
  case uniform(SimDuration, SimDuration)
  /// Log-normal with a median and a shape sigma: the usual shape of service latencies.
  case lognormal(median: SimDuration, sigma: Double)
  /// A log-normal body and, with probability `tailProbability`, a second, slower log-normal: the
  /// shape of measured AWS latencies, whose p99 is several times their median (a single
  /// log-normal fitted to the median and p90 puts the p99 far too low). Two draws per sample: a
  /// uniform picks the component, a normal places the draw in it.
  case lognormalWithTail(
    median: SimDuration, sigma: Double, tailProbability: Double, tailMedian: SimDuration, tailSigma: Double)

  /// Draws one duration (never negative).
  public func sample(_ rng: inout SimRandom) -> SimDuration {
    switch self {
    case .fixed(let v): return max(.zero, v)
    case .uniform(let lo, let hi):
      if hi <= lo { return max(.zero, lo) }
      return lo + .microseconds(Int64(rng.next() % UInt64((hi - lo).microseconds + 1)))
    case .lognormal(let median, let sigma):
      if sigma <= 0 { return max(.zero, median) }
      return Self.lognormalDraw(median, sigma, rng.normal())
    case .lognormalWithTail(let median, let sigma, let p, let tailMedian, let tailSigma):
      let tail = rng.unit() < p
      let z = rng.normal()
      return tail ? Self.lognormalDraw(tailMedian, tailSigma, z) : Self.lognormalDraw(median, sigma, z)
    }
  }

  @inline(__always) private static func lognormalDraw(_ median: SimDuration, _ sigma: Double, _ z: Double)
    -> SimDuration
  {
    if sigma <= 0 { return max(.zero, median) }
    let v = Double(median.microseconds) * Foundation.exp(sigma * z)
    // Positive, so adding one half and truncating rounds to nearest without a libm call.
    return .microseconds(Int64(min(v, 1e15) + 0.5))
  }

  /// The fraction of draws at or below `d` (the model's distribution function).
  public func cdf(_ d: SimDuration) -> Double {
    func lognormal(_ median: SimDuration, _ sigma: Double) -> Double {
      if sigma <= 0 { return d >= median ? 1 : 0 }
      guard d > .zero, median > .zero else { return d >= median ? 1 : 0 }
      let z = Foundation.log(Double(d.microseconds) / Double(median.microseconds)) / sigma
      return 0.5 * Foundation.erfc(-z / 2.0.squareRoot())
    }
    switch self {
    case .fixed(let v): return d >= v ? 1 : 0
    case .uniform(let lo, let hi):
      if hi <= lo { return d >= lo ? 1 : 0 }
      if d < lo { return 0 }
      if d >= hi { return 1 }
      return Double((d - lo).microseconds + 1) / Double((hi - lo).microseconds + 1)
    case .lognormal(let median, let sigma): return lognormal(median, sigma)
    case .lognormalWithTail(let median, let sigma, let p, let tailMedian, let tailSigma):
      return (1 - p) * lognormal(median, sigma) + p * lognormal(tailMedian, tailSigma)
    }
  }

  /// The duration below which a fraction `q` of draws fall (to the microsecond), for
  /// documentation and validation.
  public func quantile(_ q: Double) -> SimDuration {
    var lo: Int64 = 0
    var hi: Int64 = 1
    while cdf(.microseconds(hi)) < q, hi < 1 << 52 { hi *= 2 }
    while lo < hi {
      let mid = lo + (hi - lo) / 2
      if cdf(.microseconds(mid)) >= q { hi = mid } else { lo = mid + 1 }
    }
    return .microseconds(lo)
  }

  /// The median, for documentation and validation.
  public var median: SimDuration {
    switch self {
    case .fixed(let v): return v
    case .uniform(let lo, let hi): return (lo + hi) / 2
    case .lognormal(let m, _): return m
    case .lognormalWithTail: return quantile(0.5)
    }
  }
}
