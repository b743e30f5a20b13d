import FanoutSim

// MARK: - A recorded session's client requests, replayed without the clients

/// Answers a recorded session's wire commands again (`ReplayLog`: `wire`, `wire_take`,
/// `wire_timeout`), at the points of the run they were recorded at, and throws the answers away:
/// the simulation does what it did when the clients were there, byte for byte. Requests are
/// numbered from 1 in the order they arrive, as `LiveSimulation` numbers them when it records.
public final class WireReplayer: WireReplaying {
  private let router: WireRouter
  private var count = 0
  private var waiting: [Int: WireWait] = [:]

  public init(router: WireRouter = .all()) { self.router = router }

  /// Requests still waiting (a replay that ended before their answer).
  public var pending: Int { waiting.count }

  public func replay(_ c: ControlCommand, in sim: Simulation) {
    switch c {
    case .wire(let r, let caller):
      count += 1
      if case .wait(let w) = router.answer(r, sim, caller: caller) { waiting[count] = w }
    case .wireTake(let n):
      if let w = waiting[n], w.take(sim) != nil { waiting[n] = nil }
    case .wireTimeout(let n):
      if let w = waiting.removeValue(forKey: n) { _ = w.timeout(sim) }
    default:
      break
    }
  }
}
