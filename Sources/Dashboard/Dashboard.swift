import FanoutSim
import Foundation
import TermRender

// MARK: - The dashboard: state, model and the simulation commands they lead to

/// Joins the pure pieces: keys become actions, the reducer turns them into state changes and
/// commands, the commands go to the simulation (recorded for replay), and the simulation's events
/// and a snapshot per frame go to the model.
public final class Dashboard {
  public var state: AppState
  public let model: PipelineModel
  public let sim: Simulation
  /// Every command given, with the point of the run it came at.
  public private(set) var replay: ReplayLog

  public init(sim: Simulation, scenario: String? = nil, observer: ((SimEvent) -> Void)? = nil) {
    replay = ReplayLog(seed: sim.seed, scenario: scenario)
    self.sim = sim
    model = PipelineModel(sim: sim)
    state = AppState(seed: sim.seed)
    let m = model
    if let observer {
      sim.observer = { e in
        m.apply(copy e)
        observer(e)
      }
    } else {
      sim.observer = { m.apply($0) }
    }
  }

  /// What the reducer may read of the model now.
  func context() -> ReduceContext {
    let m = model
    let l = m.layout
    let detail = state.details.last.map { detailLines($0, m).lines.count } ?? 0
    return ReduceContext(
      rows: { paneRowCount($0, m) }, detailLines: detail,
      services: l.mappings.indices.map {
        ServiceInfo(
          name: l.functions[l.mappings[$0].function].name, enabled: m.mappingEnabled[$0],
          failing: m.isFailing(mapping: $0))
      },
      openable: { selectedDetail($0, $1, m) },
      requestID: { i in
        let n = m.requests.count
        return i < n ? m.requests[n - 1 - i].id : nil
      }, queues: l.queues.map(\.name), injectTargets: injectTargets(l), duplicateRates: m.duplicateRates)
  }

  /// Applies an action; returns the commands it led to (already applied to the simulation).
  @discardableResult
  public func handle(_ a: Action) -> [Command] {
    let commands = reduce(&state, a, context())
    for c in commands { apply(c) }
    return commands
  }

  /// A key: to the line being typed when there is one, else through the binding table.
  @discardableResult
  public func handleKey(_ key: Key) -> [Command] {
    let a = state.editor != nil ? editorAction(for: key) : action(for: key)
    return a.map { handle($0) } ?? []
  }

  /// Applies a command to the simulation, recording it for replay.
  func apply(_ c: Command) {
    replay.record(c, sim)
    if let m = sim.apply(c) { state.message = m }
  }

  /// Records an input from outside (a client's request, a process function's result) just before
  /// it is applied, so that the session replays without it; the end is marked by `replayLog()`.
  public func recordOutside(_ c: Command?) {
    if let c { replay.record(c, sim) }
  }

  /// The session so far as a replay log (with its end marked now).
  public func replayLog() -> ReplayLog {
    var log = replay
    log.record(nil, sim)
    return log
  }

  /// Takes the frame's snapshot of the simulation's public counters into the model.
  public func refresh() { model.take(sim.snapshot()) }

  /// The screen for the current state (after taking the frame's snapshot).
  public func screen(glyphs: Glyphs) -> Buffer {
    refresh()
    return render(state, model, glyphs: glyphs)
  }
}

/// What Enter opens on row `i` of a pane.
func selectedDetail(_ pane: Pane, _ i: Int, _ m: PipelineModel) -> Detail? {
  switch pane {
  case .queues:
    return i < m.layout.queues.count ? .queue(m.layout.queues[i].name) : nil
  case .inFlight:
    let list = inFlightList(m)
    return i < list.count ? .message(list[i].messageId) : nil
  case .requests:
    let n = m.requests.count
    return i < n ? .request(fire: m.requests[n - 1 - i].fire) : nil
  case .s3:
    let n = m.s3.count
    return i < n ? .object(bucket: m.s3[n - 1 - i].bucket, key: m.s3[n - 1 - i].key) : nil
  case .events:
    return nil
  }
}
