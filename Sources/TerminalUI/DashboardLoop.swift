import Dashboard
import FanoutSim
import Foundation
import TermRender

#if canImport(Glibc)
  import Glibc
#endif

/// Outside participants of a dashboard run — clients of the AWS endpoints, process functions
/// (FanoutServe's `LiveSimulation`, through the `fanout` command): the loop drives them on its
/// own thread, so the simulation keeps one owner.
public protocol LiveDriver: AnyObject {
  /// Answers what arrived and runs every job and deadline due by `target`; `keepGoing` is asked
  /// between jobs. False when it stopped short.
  func pump(to target: SimTime, keepGoing: () -> Bool) -> Bool
  /// Called with every outside input just before it is applied.
  func setRecorder(_ record: @escaping (ControlCommand?) -> Void)
  /// The newest log line of a process function since the last call, if any.
  func takeLastLogLine() -> String?
}

/// Runs the dashboard until the person quits: the virtual clock follows wall time × speed, the
/// screen is redrawn only when something changed (at most 30 frames a second), and the loop
/// blocks on input while the clock is paused. With `live`, clients and process functions take
/// part: the speed is ×1 at most, and what they do is recorded with the keys.
public func runDashboard(
  sim: Simulation, terminal: Terminal, scenario: String? = nil, observer: ((SimEvent) -> Void)? = nil,
  replay: ReplayLog? = nil, record: String? = nil, live: (any LiveDriver)? = nil, liveLabel: String? = nil
) {
  let dash = Dashboard(sim: sim, scenario: scenario, observer: observer)
  var player = replay.map(ReplayPlayer.init)
  dash.state.replaying = player != nil
  if let live {
    dash.state.live = liveLabel ?? "processes"
    live.setRecorder { [weak dash] c in dash?.recordOutside(c) }
  }
  func save() {
    guard let record else {
      dash.state.message = "no --record FILE given"
      return
    }
    do {
      try dash.replayLog().text.write(toFile: record, atomically: true, encoding: .utf8)
      dash.state.message = "session written to \(record)"
    } catch {
      dash.state.message = "cannot write \(record): \(error)"
    }
  }
  let clock = ContinuousClock()
  var last = clock.now
  var drawn: (version: Int, clock: Int64, state: AppState)?
  let (w, h) = terminal.size
  dash.handle(.resize(w, h))
  var stats = LoopStats(clock: clock, sim: sim)
  log("dashboard started at \(w)x\(h), seed \(sim.seed), \(terminal.glyphs.isASCII ? "ASCII" : "UTF-8") glyphs")
  defer {
    if record != nil, replay == nil { save() }
    stats.report(final: true)
  }
  // A frame is 33 ms: the simulation gets what drawing leaves of it.
  let frame = Duration.milliseconds(33)
  var lastDraw = Duration.zero
  var lastFrameAt = clock.now
  while !dash.state.quit {
    let now = clock.now
    let wall = last.duration(to: now)
    last = now
    if !dash.state.paused {
      let wallMicros = Double(wall.components.seconds) * 1e6 + Double(wall.components.attoseconds) / 1e12
      let target = sim.now + .microseconds(Int64(wallMicros * dash.state.speed))
      let budget = max(.milliseconds(5), frame - lastDraw - .milliseconds(1))
      if var p = player {
        let deadline = clock.now.advanced(by: budget)
        var n = 0
        let done = p.advance(sim, to: target) {
          n += 1
          return n & 255 != 0 || clock.now < deadline
        }
        dash.state.lagging = !done
        if p.finished {
          // The recording is over: the pipeline carries on live, and keys work again.
          player = nil
          dash.state.replaying = false
          dash.state.message = "replay finished at \(sim.now.iso8601Millis): live from here"
        } else {
          player = p
        }
      } else if let live {
        let deadline = clock.now.advanced(by: budget)
        dash.state.lagging = !live.pump(to: target) { clock.now < deadline }
      } else {
        dash.state.lagging = !advance(sim, to: target, budget: budget, clock: clock)
      }
      stats.running(speed: dash.state.speed)
    } else {
      // The clock stands still; clients are still answered, at the time it shows.
      _ = live?.pump(to: sim.now) { true }
      stats.paused()
    }
    if let line = live?.takeLastLogLine() { dash.state.message = line }
    // The status bar shows milliseconds: redraw when they change.
    let shownClock = sim.now.microsecondsSinceEpoch / 1_000
    dash.refresh()
    // Behind the clock, the screen is drawn at most 15 times a second: the rest goes to the run.
    let sinceFrame = lastFrameAt.duration(to: clock.now)
    let due =
      (!dash.state.lagging || sinceFrame >= .milliseconds(66)) && (live == nil || sinceFrame >= .milliseconds(33))
    if drawn == nil || drawn!.state != dash.state
      || (due && (drawn!.version != dash.model.version || drawn!.clock != shownClock))
    {
      lastFrameAt = clock.now
      let started = clock.now
      terminal.draw(render(dash.state, dash.model, glyphs: terminal.glyphs))
      lastDraw = started.duration(to: clock.now)
      stats.frame(lastDraw)
      drawn = (dash.model.version, shownClock, dash.state)
    }
    // Paused: block until a key. Behind the clock: only look for keys, the frame goes to the
    // simulation. Otherwise wait out the frame (4 frames a second when only the clock moves).
    let wait: Int32
    if live != nil, !dash.state.lagging {
      // Clients and processes wait for answers: look at what arrived every 5 ms.
      wait = 5
    } else if dash.state.paused {
      wait = -1
    } else if dash.state.lagging {
      wait = 0
    } else {
      let left = frame - now.duration(to: clock.now)
      wait = sim.hasPendingWork ? Int32(max(0, min(33, ms(left)))) : 250
    }
    guard let key = terminal.readKey(milliseconds: wait) else { continue }
    if key == .resize {
      let (w, h) = terminal.size
      dash.handle(.resize(w, h))
      terminal.invalidate()
      continue
    }
    dash.handleKey(key)
    if dash.state.saveRequested {
      dash.state.saveRequested = false
      save()
    }
    // Take every key already typed before the next frame.
    while let more = terminal.readKey(milliseconds: 0) {
      if more == .resize {
        let (w, h) = terminal.size
        dash.handle(.resize(w, h))
        terminal.invalidate()
      } else {
        dash.handleKey(more)
      }
      if dash.state.quit { break }
    }
  }
}

/// What the loop did, logged every 5 s of wall time while the clock runs and at the end: the speed
/// asked for, the effective speed (virtual seconds advanced per wall second), jobs and events per
/// second, frames and their times. `Benchmarks/dashboard.sh` reads these lines.
struct LoopStats {
  let clock: ContinuousClock
  let sim: Simulation
  var windowStart: ContinuousClock.Instant
  var windowVirtual: SimTime
  var windowJobs: Int
  var windowEvents: Int
  var windowWall = Duration.zero
  var lastMark: ContinuousClock.Instant
  var speed = 1.0
  var frames = 0
  var frameTime = Duration.zero
  var slowest = Duration.zero
  // The whole run, clock running.
  var totalWall = Duration.zero
  var totalVirtual = SimDuration.zero

  init(clock: ContinuousClock, sim: Simulation) {
    self.clock = clock
    self.sim = sim
    windowStart = clock.now
    lastMark = windowStart
    windowVirtual = sim.now
    windowJobs = sim.jobsExecuted
    windowEvents = sim.eventCount
  }

  mutating func running(speed: Double) {
    let now = clock.now
    windowWall += lastMark.duration(to: now)
    lastMark = now
    self.speed = speed
    if windowWall >= .seconds(5) { report(final: false) }
  }

  mutating func paused() { lastMark = clock.now }

  mutating func frame(_ took: Duration) {
    frames += 1
    frameTime += took
    slowest = max(slowest, took)
  }

  mutating func report(final: Bool) {
    let wall = ms(windowWall) / 1e3
    let virtual = (sim.now - windowVirtual).seconds
    totalWall += windowWall
    totalVirtual = totalVirtual + (sim.now - windowVirtual)
    if wall > 0 {
      let jobs = Double(sim.jobsExecuted - windowJobs) / wall
      let events = Double(sim.eventCount - windowEvents) / wall
      log(
        "dashboard window: asked ×\(fmt(speed)), effective ×\(fmt(virtual / wall)) (virtual \(fmt(virtual)) s in wall \(fmt(wall)) s), \(Int(jobs)) jobs/s, \(Int(events)) events/s, \(sim.tracker.fired) fired"
      )
    }
    windowWall = .zero
    windowVirtual = sim.now
    windowJobs = sim.jobsExecuted
    windowEvents = sim.eventCount
    if final {
      let mean = frames == 0 ? 0 : ms(frameTime) / Double(frames)
      let tw = ms(totalWall) / 1e3
      log(
        "dashboard stopped: \(frames) frames, view+blit mean \(fmt(mean)) ms, slowest \(fmt(ms(slowest))) ms; running \(fmt(tw)) s wall for \(fmt(totalVirtual.seconds)) s virtual (×\(fmt(tw > 0 ? totalVirtual.seconds / tw : 0)) effective)"
      )
    }
  }
}

/// Moves the simulation to `target`, stopping after `budget` of wall time. False when it could not
/// keep up (the clock then stays behind, and the status bar says so).
func advance(_ sim: Simulation, to target: SimTime, budget: Duration, clock: ContinuousClock) -> Bool {
  let deadline = clock.now.advanced(by: budget)
  var n = 0
  while let t = sim.nextJobTime, t <= target {
    sim.step()
    n += 1
    if n & 255 == 0, clock.now >= deadline { return false }
  }
  sim.run(until: target)
  return true
}

/// A line in the log: stderr, which the terminal sends to `--log FILE` (or nowhere) while it runs.
func log(_ s: String) {
  let line = Array((s + "\n").utf8)
  _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15 }

func fmt(_ v: Double) -> String { String(Double(Int(v * 1_000)) / 1_000) }
