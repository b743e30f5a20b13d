import FanoutSim
import FanoutWire
import Foundation

// MARK: - The one owner of a live simulation

/// Runs a simulation on its own thread, its clock paced to wall time (×1: one second of virtual
/// time per second of wall time, counted from `start()`), and answers wire requests there, each at
/// the virtual time of its arrival. `.wait` answers (long polls) are asked again after every job
/// the simulation runs and after every request, and time out at their virtual deadline. The wall
/// clock is read here only: the simulation and the wire layer never see it.
public final class LiveSimulation: @unchecked Sendable {
  // Everything below the lock is shared with the server's tasks; the rest belongs to the thread.
  private let lock = NSCondition()
  private var inbox: [Item] = []
  private var stopping = false
  private var finished = false
  private var started = false

  private enum Item {
    case request(WireRequest, CheckedContinuation<WireResponse, Never>)
    case tooLarge(WireRequest, Int, CheckedContinuation<WireResponse, Never>)
    case call(@Sendable (Simulation) -> Void)
  }
  private struct Waiter {
    var deadline: SimTime
    var poll: (Simulation) -> WireResponse?
    var timeout: (Simulation) -> WireResponse
    var reply: CheckedContinuation<WireResponse, Never>
  }

  private let sim: Simulation
  private let router: WireRouter
  private var waiters: [Waiter] = []
  private let done = DispatchSemaphore(value: 0)
  /// Requests answered (read after `finish()`).
  public private(set) var answered = 0

  public init(sim: Simulation, router: WireRouter) {
    self.sim = sim
    self.router = router
  }

  /// Starts the simulation's thread (once: a second call does nothing).
  public func start() {
    lock.lock()
    let already = started
    started = true
    lock.unlock()
    guard !already else { return }
    let t = Thread { [self] in self.loop() }
    t.name = "fanout-simulation"
    t.start()
  }

  /// The answer to a request, computed on the simulation's thread.
  public func handle(_ r: WireRequest) async -> WireResponse {
    await withCheckedContinuation { c in enqueue(.request(r, c), c) }
  }

  /// The protocol's 413 answer for a request whose body is over `limit` bytes.
  public func tooLarge(_ r: WireRequest, limit: Int) async -> WireResponse {
    await withCheckedContinuation { c in enqueue(.tooLarge(r, limit, c), c) }
  }

  /// Runs `body` on the simulation's thread at the virtual time it arrives there (how a process
  /// function's result enters the simulation). Dropped once the simulation is stopping.
  public func perform(_ body: @escaping @Sendable (Simulation) -> Void) {
    lock.lock()
    if !stopping {
      inbox.append(.call(body))
      lock.signal()
    }
    lock.unlock()
  }

  private func enqueue(_ item: Item, _ c: CheckedContinuation<WireResponse, Never>) {
    lock.lock()
    if stopping {
      lock.unlock()
      c.resume(
        returning: WireResponse(
          status: 503, headers: [("Content-Type", "text/plain")], body: Array("fanout serve is stopping\n".utf8)))
      return
    }
    inbox.append(item)
    lock.signal()
    lock.unlock()
  }

  /// Stops the thread (pending long polls get their empty answer at the current virtual time) and
  /// hands the simulation back to the caller, who then owns it.
  public func finish() -> Simulation {
    lock.lock()
    let already = finished || stopping
    stopping = true
    lock.signal()
    lock.unlock()
    if !already { done.wait() }
    return sim
  }

  private func loop() {
    let clock = ContinuousClock()
    let wallStart = clock.now
    let simStart = sim.now
    func target() -> SimTime {
      let d = wallStart.duration(to: clock.now).components
      return simStart + .microseconds(d.seconds * 1_000_000 + d.attoseconds / 1_000_000_000_000)
    }
    while true {
      lock.lock()
      if inbox.isEmpty && !stopping {
        // Sleep until the next job or deadline is due in wall time, or a request arrives (at
        // most 50 ms, so the clock shown stays near the wall's).
        let next = [sim.nextJobTime, waiters.map(\.deadline).min()].compactMap { $0 }.min()
        var wait = 0.05
        if let next { wait = min(wait, max(0, (next - target()).seconds)) }
        if wait > 0 { _ = lock.wait(until: Date(timeIntervalSinceNow: wait)) }
      }
      let items = inbox
      inbox = []
      let stop = stopping
      lock.unlock()
      advance(to: target())
      for item in items {
        switch item {
        case .request(let r, let reply):
          answered += 1
          switch router.answer(r, sim) {
          case .now(let response): reply.resume(returning: response)
          case .wait(let deadline, let poll, let timeout):
            waiters.append(Waiter(deadline: deadline, poll: poll, timeout: timeout, reply: reply))
          }
          pollWaiters()
        case .tooLarge(let r, let limit, let reply):
          answered += 1
          reply.resume(returning: router.tooLarge(r, limit: limit))
        case .call(let body):
          body(sim)
          pollWaiters()
        }
      }
      if stop {
        for w in waiters { w.reply.resume(returning: w.timeout(sim)) }
        waiters = []
        lock.lock()
        finished = true
        lock.unlock()
        done.signal()
        return
      }
    }
  }

  /// Runs every job and deadline due by `t`, in virtual-time order, then sets the clock to `t`.
  private func advance(to t: SimTime) {
    while true {
      let job = sim.nextJobTime
      let deadline = waiters.map(\.deadline).min()
      if let d = deadline, d <= t, job.map({ d <= $0 }) ?? true {
        sim.moveClock(to: d)
        var keep: [Waiter] = []
        for w in waiters {
          if w.deadline <= sim.now { w.reply.resume(returning: w.timeout(sim)) } else { keep.append(w) }
        }
        waiters = keep
        continue
      }
      if let j = job, j <= t {
        sim.step()
        pollWaiters()
        continue
      }
      break
    }
    sim.moveClock(to: t)
  }

  private func pollWaiters() {
    guard !waiters.isEmpty else { return }
    var keep: [Waiter] = []
    for w in waiters {
      if let r = w.poll(sim) { w.reply.resume(returning: r) } else { keep.append(w) }
    }
    waiters = keep
  }
}
