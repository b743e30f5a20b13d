import FanoutSim
import FanoutWire
import Foundation

// MARK: - The one owner of a live simulation

/// A simulation that outside participants take part in: wire requests from clients and the
/// results of process functions arrive from other threads and enter the simulation at the virtual
/// time of their arrival, on the simulation's thread. `.wait` answers (long polls, synchronous
/// Invokes) are asked again after every job and every request, and time out at their virtual
/// deadline.
///
/// It runs in one of two ways:
/// - `start()`: on a thread of its own, the clock paced to wall time ×1 from then on (`fanout
///   serve`, `fanout run` with processes or `--listen`); `stopWhen` ends it by itself;
/// - `pump(to:)`: on the caller's thread, which owns the clock (the dashboard's loop, at ×1 or
///   slower).
///
/// With `onCommand`, every outside input is handed over as a `ControlCommand` just before it is
/// applied — a request, each `take` of a waiting request, each timeout, each process result — so
/// that a recorded session replays without the clients or the code. The wall clock is read only
/// here: the simulation and the wire layer never see it.
public final class LiveSimulation: @unchecked Sendable {
  // Everything below the lock is shared with the server's tasks; the rest belongs to the thread
  // that runs the simulation.
  private let lock = NSCondition()
  private var inbox: [Item] = []
  private var stopping = false
  private var finished = false
  private var started = false

  private enum Item {
    case request(WireRequest, Int?, CheckedContinuation<WireResponse, Never>)
    case tooLarge(WireRequest, Int, CheckedContinuation<WireResponse, Never>)
    case result(Int, ExternalResult)
    case initEnded(Int)
  }
  private struct Waiter {
    var serial: Int
    var wait: WireWait
    var reply: CheckedContinuation<WireResponse, Never>
  }

  private let sim: Simulation
  private let router: WireRouter
  private var waiters: [Waiter] = []
  private var serial = 0
  private let done = DispatchSemaphore(value: 0)
  /// Called on the simulation's thread with each outside input just before it is applied, and
  /// with nil when the run ends (set before `start()`).
  public var onCommand: ((ControlCommand?, Simulation) -> Void)?
  /// Asked on the simulation's thread after each pass of a thread started by `start()`: true ends
  /// the run (`fanout run` ends when its work has drained).
  public var stopWhen: ((Simulation) -> Bool)?

  public init(sim: Simulation, router: WireRouter) {
    self.sim = sim
    self.router = router
  }

  /// Whether a client's request waits for an answer (a long poll, an Invoke).
  public var hasWaitingRequests: Bool { !waiters.isEmpty }

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

  /// The answer to a request, computed on the simulation's thread. `caller`: the invocation whose
  /// code made it (a process function's environment endpoint knows).
  public func handle(_ r: WireRequest, caller: Int? = nil) async -> WireResponse {
    await withCheckedContinuation { c in enqueue(.request(r, caller, c), c) }
  }

  /// The protocol's 413 answer for a request whose body is over `limit` bytes.
  public func tooLarge(_ r: WireRequest, limit: Int) async -> WireResponse {
    await withCheckedContinuation { c in enqueue(.tooLarge(r, limit, c), c) }
  }

  /// A process function's result, applied on the simulation's thread at the virtual time it
  /// arrives there. Dropped once the simulation is stopping.
  public func complete(_ invocation: Int, _ result: ExternalResult) {
    lock.lock()
    if !stopping {
      inbox.append(.result(invocation, result))
      lock.signal()
    }
    lock.unlock()
  }

  /// A cold-started process asked for its event: its init phase ended now.
  public func initEnded(_ invocation: Int) {
    lock.lock()
    if !stopping {
      inbox.append(.initEnded(invocation))
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
          status: 503, headers: [("Content-Type", "text/plain")], body: Array("fanout is stopping\n".utf8)))
      return
    }
    inbox.append(item)
    lock.signal()
    lock.unlock()
  }

  /// Blocks until `start()`'s thread has ended by itself (`stopWhen`) or `finish()` was called.
  public func waitUntilFinished() {
    done.wait()
    done.signal()
  }

  /// Stops: pending long polls get their empty answer at the current virtual time, what arrives
  /// from now on is refused, and the simulation goes back to the caller, who then owns it. With a
  /// thread, waits for it to end.
  public func finish() -> Simulation {
    lock.lock()
    let already = finished || stopping
    stopping = true
    let threaded = started
    lock.signal()
    lock.unlock()
    if threaded {
      if !already { done.wait() }
    } else if !already {
      drain()
      end()
    }
    return sim
  }

  /// Runs, on the caller's thread, what has arrived and every job and deadline due by `target`,
  /// in virtual-time order. `keepGoing` is asked between jobs (the caller's frame budget): false
  /// stops short, and the result is false.
  @discardableResult
  public func pump(to target: SimTime, keepGoing: () -> Bool = { true }) -> Bool {
    drain()
    let reached = advance(to: target, keepGoing: keepGoing)
    drain()
    return reached
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
        // Sleep until the next job or deadline is due in wall time, or something arrives (at
        // most 50 ms, so the clock shown stays near the wall's).
        let next = [sim.nextJobTime, waiters.map(\.wait.deadline).min()].compactMap { $0 }.min()
        var wait = 0.05
        if let next { wait = min(wait, max(0, (next - target()).seconds)) }
        if wait > 0 { _ = lock.wait(until: Date(timeIntervalSinceNow: wait)) }
      }
      let stop = stopping
      lock.unlock()
      advance(to: target())
      drain()
      if stop || stopWhen?(sim) == true {
        lock.lock()
        stopping = true
        lock.unlock()
        drain()
        end()
        lock.lock()
        finished = true
        lock.unlock()
        done.signal()
        return
      }
    }
  }

  /// Answers what arrived, in order, at the current virtual time.
  private func drain() {
    lock.lock()
    let items = inbox
    inbox = []
    lock.unlock()
    for item in items {
      switch item {
      case .request(let r, let caller, let reply):
        serial += 1
        onCommand?(.wire(r, caller: caller), sim)
        switch router.answer(r, sim, caller: caller) {
        case .now(let response): reply.resume(returning: response)
        case .wait(let w):
          waiters.append(Waiter(serial: serial, wait: w, reply: reply))
        }
        pollWaiters()
      case .tooLarge(let r, let limit, let reply):
        // Refused before it reached a service: the simulation does not see it.
        reply.resume(returning: router.tooLarge(r, limit: limit))
      case .result(let id, let result):
        onCommand?(.external(invocation: id, result: result), sim)
        sim.completeExternal(id, result)
        pollWaiters()
      case .initEnded(let id):
        onCommand?(.externalInit(invocation: id), sim)
        sim.externalInitEnded(id)
      }
    }
  }

  /// The end: every waiting request gets its empty answer now, and the recording its end.
  private func end() {
    for w in waiters {
      onCommand?(.wireTimeout(w.serial), sim)
      w.reply.resume(returning: w.wait.timeout(sim))
    }
    waiters = []
    onCommand?(nil, sim)
  }

  /// Runs every job and deadline due by `t`, in virtual-time order, then sets the clock to `t`.
  @discardableResult
  private func advance(to t: SimTime, keepGoing: () -> Bool = { true }) -> Bool {
    var n = 0
    while true {
      let job = sim.nextJobTime
      let deadline = waiters.map(\.wait.deadline).min()
      if let d = deadline, d <= t, job.map({ d <= $0 }) ?? true {
        sim.moveClock(to: d)
        var keep: [Waiter] = []
        for w in waiters {
          if w.wait.deadline <= sim.now {
            onCommand?(.wireTimeout(w.serial), sim)
            w.reply.resume(returning: w.wait.timeout(sim))
          } else {
            keep.append(w)
          }
        }
        waiters = keep
        continue
      }
      if let j = job, j <= t {
        sim.step()
        pollWaiters()
        n += 1
        if n & 255 == 0, !keepGoing() { return false }
        continue
      }
      break
    }
    sim.moveClock(to: t)
    return true
  }

  private func pollWaiters() {
    guard !waiters.isEmpty else { return }
    var keep: [Waiter] = []
    for w in waiters {
      if w.wait.ready(sim) {
        onCommand?(.wireTake(w.serial), sim)
        if let r = w.wait.take(sim) {
          w.reply.resume(returning: r)
          continue
        }
      }
      keep.append(w)
    }
    waiters = keep
  }
}
