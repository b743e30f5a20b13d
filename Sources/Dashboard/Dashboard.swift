import FanoutSim
import Foundation
import TermRender

// MARK: - The dashboard: state, model and the simulation commands they lead to

/// Joins the pure pieces: takes actions, updates the state, opens details from the model, and
/// applies the resulting commands to the simulation.
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
    state = AppState(
      serviceNames: sim.mappings.map { sim.functions[$0.function].name }, mappingEnabled: sim.mappings.map(\.enabled),
      failing: sim.mappings.map { sim.functions[$0.function].failure.errorRate >= 1 }, seed: sim.seed)
    let m = model
    if let observer {
      sim.observer = {
        m.apply($0)
        observer($0)
      }
    } else {
      sim.observer = { m.apply($0) }
    }
  }

  /// Applies an action; returns the commands it led to (already applied to the simulation).
  @discardableResult
  public func handle(_ a: Action) -> [Command] {
    if !state.choosingFailure { state.message = "" }
    if a == .open, state.details.isEmpty || state.details.last == .help {
      if let d = selectedDetail() {
        state.details.append(d)
        state.detailScroll = 0
      }
      return []
    }
    if a == .inject, !state.replaying {
      let list = Array(model.requests.reversed())
      let i = state.selected(.requests)
      guard state.details.isEmpty, state.focus == .requests, i < list.count, let id = list[i].id else {
        state.message = "select a request with an ID in the Requests pane to inject it (or I to type one)"
        return []
      }
      openChooser(id)
      return []
    }
    if a == .injectByID, !state.replaying, state.details.isEmpty {
      state.editor = Editor(purpose: .requestID, text: "")
      return []
    }
    if a == .editMessage, case .inject(let draft)? = state.details.last {
      state.editor = Editor(purpose: .message, text: draft.message ?? Payload.requestRef(draft.requestID).text)
      return []
    }
    if a == .editAttributes, case .inject(let draft)? = state.details.last {
      state.editor = Editor(
        purpose: .attributes, text: draft.attributes.map { "\($0.name)=\($0.value)" }.joined(separator: ", "))
      return []
    }
    if a == .open, case .inject(let draft)? = state.details.last {
      let targets = injectTargets(sim)
      guard state.detailScroll < targets.count else { return [] }
      let t = targets[state.detailScroll]
      let c = Command.inject(
        requestID: draft.requestID, message: draft.message, attributes: draft.attributes, topic: t.topic, queue: t.queue
      )
      state.details.removeLast()
      state.detailScroll = 0
      apply(c)
      return [c]
    }
    if a == .redrive, !state.replaying {
      guard state.details.isEmpty, state.focus == .queues, state.selected(.queues) < sim.queues.count else {
        state.message = "select a dead-letter queue in the Queues pane to redrive it"
        return []
      }
      let q = sim.queues[state.selected(.queues)]
      apply(.redrive(queue: q.name))
      return [.redrive(queue: q.name)]
    }
    let detail: Int
    if case .inject? = state.details.last {
      detail = injectTargets(sim).count
    } else {
      detail = state.details.last.map { detailLines($0, model).lines.count } ?? 0
    }
    // Counted before the reducer runs: it holds the state exclusively while it works.
    let focus = state.focus
    let focusedRows = paneRowCount(focus, model)
    let commands = reduce(&state, a, rows: { $0 == focus ? focusedRows : 0 }, detailLines: detail)
    for c in commands { apply(c) }
    return commands
  }

  func openChooser(_ id: RequestID, message: String? = nil) {
    state.details.append(.inject(InjectDraft(requestID: id, message: message)))
    state.detailScroll = 0
  }

  /// A key: to the line being typed when there is one, else through the binding table.
  @discardableResult
  public func handleKey(_ key: Key) -> [Command] {
    guard var e = state.editor else { return action(for: key).map { handle($0) } ?? [] }
    switch key {
    case .char(let c):
      e.text.append(c)
      state.editor = e
    case .backspace:
      if !e.text.isEmpty { e.text.removeLast() }
      state.editor = e
    case .escape:
      state.editor = nil
    case .enter:
      state.editor = nil
      switch e.purpose {
      case .requestID:
        guard let id = RequestID(hex: e.text.trimmingCharacters(in: .whitespaces).lowercased()) else {
          state.message = "a request ID is 32 hex digits"
          return []
        }
        openChooser(id)
      case .message:
        if case .inject(var draft)? = state.details.last {
          draft.message = e.text
          state.details[state.details.count - 1] = .inject(draft)
        }
      case .attributes:
        if case .inject(var draft)? = state.details.last {
          var attrs: [MessageAttribute] = []
          for part in e.text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, !kv[0].isEmpty else {
              state.message = "attributes are name=value, separated by commas"
              return []
            }
            attrs.append(
              MessageAttribute(name: kv[0], dataType: Double(kv[1]) != nil ? "Number" : "String", value: kv[1]))
          }
          draft.attributes = attrs
          state.details[state.details.count - 1] = .inject(draft)
        }
      }
    default: break
    }
    return []
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

  /// Applies a command to the simulation, recording it for replay.
  func apply(_ c: Command) {
    replay.record(c, sim)
    if let m = sim.apply(c) { state.message = m }
  }

  /// The session so far as a replay log (with its end marked now).
  public func replayLog() -> ReplayLog {
    var log = replay
    log.record(nil, sim)
    return log
  }

  /// The screen for the current state.
  public func screen(glyphs: Glyphs) -> Buffer {
    model.sample()
    return render(state, model, glyphs: glyphs)
  }
}
