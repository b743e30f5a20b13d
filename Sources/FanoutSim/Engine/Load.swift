import Foundation

// MARK: - Load and the timeline

/// How requests arrive. Times count from the simulation's start.
public enum LoadSpec: Equatable, Sendable {
  /// `count` requests, one every 1/`rate` s.
  case constant(rate: Double, count: Int, start: SimDuration)
  /// `count` requests with exponential gaps of mean 1/`rate` s.
  case poisson(rate: Double, count: Int, start: SimDuration)
  /// `count` requests at one instant.
  case burst(at: SimDuration, count: Int)
  /// A rate rising (or falling) linearly from `from` to `to` per second over `over`.
  case ramp(from: Double, to: Double, over: SimDuration, start: SimDuration)

  /// How many requests the load fires.
  public var count: Int {
    switch self {
    case .constant(_, let n, _), .poisson(_, let n, _), .burst(_, let n): return n
    case .ramp(let a, let b, let over, _): return Int(((a + b) / 2 * Double(over.microseconds) / 1e6).rounded())
    }
  }
}

/// Where a load's requests go.
public enum LoadTarget: Equatable, Sendable {
  /// "Fire a request" at the entry function.
  case entry
  /// SendMessage to a queue from outside the pipeline (a message generator), with this body.
  case queue(String, body: String)
}

/// A load and where it goes.
public struct Load: Equatable, Sendable {
  public var spec: LoadSpec
  public var target: LoadTarget
  public init(_ spec: LoadSpec, target: LoadTarget = .entry) {
    self.spec = spec
    self.target = target
  }
}

/// A load being fired.
struct LoadRun {
  var spec: LoadSpec
  var target: LoadTarget = .entry
  var rng: SimRandom
  var origin: SimTime
  var fired = 0
  var next: SimTime = .epoch

  /// When request `i` (from 0) fires, or nil when the load is done.
  mutating func time(of i: Int) -> SimTime? {
    guard i < spec.count else { return nil }
    switch spec {
    case .constant(let rate, _, let start):
      return origin + start + .microseconds(Int64((Double(i) * 1_000_000 / rate).rounded()))
    case .poisson(let rate, _, let start):
      if i == 0 {
        next = origin + start + .seconds(rng.exponential(mean: 1 / rate))
      } else {
        next += .seconds(rng.exponential(mean: 1 / rate))
      }
      return next
    case .burst(let at, _):
      return origin + at
    case .ramp(let a, let b, let over, let start):
      let d = over.seconds
      let n = Double(i)
      let t: Double
      if a == b {
        t = n / a
      } else {
        // N(t) = a·t + (b − a)·t² / (2d); solve N(t) = n.
        let k = (b - a) / (2 * d)
        t = (-a + (a * a + 4 * k * n).squareRoot()) / (2 * k)
      }
      return origin + start + .seconds(t)
    }
  }
}

/// Something a scenario's timeline does at a virtual time.
public enum ScenarioAction: Equatable, Sendable {
  case fire(Int)
  case setMapping(queue: String, enabled: Bool)
  case setFailure(function: String, FailureSpec)
  /// UpdateFunctionCode: later invocations start in new execution environments.
  case updateCode(function: String)
  case publish(topic: String, message: String, attributes: [MessageAttribute])
  case send(queue: String, body: String, attributes: [MessageAttribute])
  /// `perSecond` nil: the rate the system optimises from the backlog.
  case redrive(from: String, to: String?, perSecond: Int?)
  case inject(ControlCommand)
}
