import FanoutSim
import TermRender

// MARK: - The dashboard: state, model and the simulation commands they lead to

/// Joins the pure pieces: takes actions, updates the state, opens details from the model, and
/// applies the resulting commands to the simulation.
public final class Dashboard {
  public var state: AppState
  public let model: PipelineModel
  public let sim: Simulation

  public init(sim: Simulation) {
    self.sim = sim
    model = PipelineModel(sim: sim)
    state = AppState(
      serviceNames: sim.mappings.map { sim.functions[$0.function].name }, mappingEnabled: sim.mappings.map(\.enabled),
      failing: sim.mappings.map { sim.functions[$0.function].failure.errorRate >= 1 }, seed: sim.seed)
    let m = model
    sim.observer = { m.apply($0) }
  }

  /// Applies an action; returns the commands it led to (already applied to the simulation).
  @discardableResult
  public func handle(_ a: Action) -> [Command] {
    if a == .open, state.details.isEmpty || state.details.last == .help {
      if let d = selectedDetail() {
        state.details.append(d)
        state.detailScroll = 0
      }
      return []
    }
    if a == .redrive {
      guard state.details.isEmpty, state.focus == .queues, state.selected(.queues) < sim.queues.count else {
        state.message = "select a dead-letter queue in the Queues pane to redrive it"
        return []
      }
      let q = sim.queues[state.selected(.queues)]
      apply(.redrive(queue: q.name))
      return [.redrive(queue: q.name)]
    }
    let detail = state.details.last.map { detailLines($0, model).lines.count } ?? 0
    // Counted before the reducer runs: it holds the state exclusively while it works.
    let focus = state.focus
    let focusedRows = paneRowCount(focus, model)
    let commands = reduce(&state, a, rows: { $0 == focus ? focusedRows : 0 }, detailLines: detail)
    for c in commands { apply(c) }
    return commands
  }

  /// What Enter opens for the focused pane's selection.
  func selectedDetail() -> Detail? {
    let i = state.selected(state.focus)
    switch state.focus {
    case .queues:
      return i < sim.queues.count ? .queue(sim.queues[i].name) : nil
    case .inFlight:
      let list = inFlightList(model)
      return i < list.count ? .message(list[i].messageId) : nil
    case .requests:
      let list = Array(model.requests.reversed())
      return i < list.count ? .request(fire: list[i].fire) : nil
    case .s3:
      let list = Array(model.s3.reversed())
      return i < list.count ? .object(bucket: list[i].bucket, key: list[i].key) : nil
    case .events:
      return nil
    }
  }

  func apply(_ c: Command) {
    switch c {
    case .fire(let n):
      for _ in 0..<n { sim.fireRequest() }
    case .setMapping(let i, let on):
      sim.setMapping(i, enabled: on)
    case .setFailure(let i, let broken):
      let f = sim.functions[sim.mappings[i].function]
      var spec = f.failure
      spec.errorRate = broken ? 1 : 0
      try? sim.setFailure(function: f.name, spec)
    case .stepEvent:
      sim.step()
    case .redrive(let name):
      if let running = sim.moveTasks.first(where: { $0.status == .running && sim.queues[$0.source].name == name }) {
        try? sim.cancelMessageMoveTask(running.id)
        state.message = "redrive of \(name) cancelled after \(running.moved) of \(running.total)"
      } else {
        do {
          let id = try sim.startMessageMoveTask(source: name)
          state.message = "redrive task \(id): \(name) → source queues at 500/s"
        } catch {
          state.message = "\(error)"
        }
      }
    }
  }

  /// The screen for the current state.
  public func screen(glyphs: Glyphs) -> Buffer {
    model.sample()
    return render(state, model, glyphs: glyphs)
  }
}
