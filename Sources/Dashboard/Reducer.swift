import FanoutSim
import Foundation
import TermRender

// MARK: - The reducer: every action, one place

/// One service (an event source mapping and its function) as the reducer sees it.
public struct ServiceInfo: Equatable, Sendable {
  public var name: String
  /// The trigger's `Enabled`, as the last `lambda.mapping` event left it.
  public var enabled: Bool
  /// Broken on purpose (every invocation errors), as the last `lambda.failure` event left it.
  public var failing: Bool
  public init(name: String, enabled: Bool, failing: Bool) {
    self.name = name
    self.enabled = enabled
    self.failing = failing
  }
}

/// What the reducer reads besides the state: facts of the model, as values and pure lookups.
public struct ReduceContext {
  /// Rows of each pane, for selection bounds.
  public var rows: (Pane) -> Int
  /// Lines of the open detail view.
  public var detailLines: Int
  public var services: [ServiceInfo]
  /// What Enter opens on row `i` of a pane.
  public var openable: (Pane, Int) -> Detail?
  /// The request ID on row `i` of the Requests pane.
  public var requestID: (Int) -> RequestID?
  /// The queues, in the Queues pane's order.
  public var queues: [String]
  /// Each queue's duplicate rate now (at-least-once delivery), in the Queues pane's order.
  public var duplicateRates: [Double]
  public var injectTargets: [(label: String, topic: String?, queue: String?)]

  public init(
    rows: @escaping (Pane) -> Int = { _ in 0 }, detailLines: Int = 0, services: [ServiceInfo] = [],
    openable: @escaping (Pane, Int) -> Detail? = { _, _ in nil },
    requestID: @escaping (Int) -> RequestID? = { _ in nil },
    queues: [String] = [], injectTargets: [(label: String, topic: String?, queue: String?)] = [],
    duplicateRates: [Double] = []
  ) {
    self.rows = rows
    self.detailLines = detailLines
    self.services = services
    self.openable = openable
    self.requestID = requestID
    self.queues = queues
    self.duplicateRates = duplicateRates
    self.injectTargets = injectTargets
  }
}

/// Applies an action to the state and returns what the simulation must do. Everything the
/// dashboard does to itself or to the pipeline goes through here (Bubble Tea's `Update`).
public func reduce(_ s: inout AppState, _ a: Action, _ ctx: ReduceContext) -> [Command] {
  if s.choosingFailure, a != .chooseFailure {
    s.choosingFailure = false
    if case .toggleMapping(let n) = a { return reduce(&s, .toggleFailure(n), ctx) }
    s.message = ""
    if a != .quit { return [] }
  }
  if !s.choosingFailure, !a.isTyping { s.message = "" }
  if s.replaying {
    switch a {
    case .fire, .fireBurst, .toggleMapping, .chooseFailure, .toggleFailure, .stepEvent, .redrive, .inject, .injectByID,
      .editMessage, .editAttributes, .cycleDuplicates:
      s.message = "replaying: the recording gives the commands"
      return []
    default: break
    }
  }
  switch a {
  case .fire:
    s.message = "fired 1 request"
    return [.fire(1)]
  case .fireBurst:
    s.message = "fired 10 requests"
    return [.fire(10)]
  case .toggleMapping(let n):
    guard n >= 1, n <= ctx.services.count else {
      s.message = "no service \(n)"
      return []
    }
    let on = !ctx.services[n - 1].enabled
    s.message = "\(ctx.services[n - 1].name) trigger \(on ? "resumed" : "paused: messages wait in its queue")"
    return [.setMapping(n - 1, enabled: on)]
  case .chooseFailure:
    s.choosingFailure = true
    s.message = "break or mend which service? 1-\(ctx.services.count)"
    return []
  case .toggleFailure(let n):
    guard n >= 1, n <= ctx.services.count else {
      s.message = "no service \(n)"
      return []
    }
    let broken = !ctx.services[n - 1].failing
    s.message = "\(ctx.services[n - 1].name) \(broken ? "broken: every invocation errors" : "mended")"
    return [.setFailure(service: n - 1, failing: broken)]
  case .togglePause:
    s.paused.toggle()
    s.message = s.paused ? "clock paused (. steps one event)" : "clock running"
    return []
  case .faster:
    if s.live != nil, AppState.speeds[min(AppState.speeds.count - 1, s.speedIndex + 1)] > 1 {
      s.message =
        "real code and clients run in wall time: the clock goes at ×1 at most (record with w, then replay at any speed)"
      return []
    }
    s.speedIndex = min(AppState.speeds.count - 1, s.speedIndex + 1)
    return []
  case .slower:
    s.speedIndex = max(0, s.speedIndex - 1)
    return []
  case .stepEvent:
    guard s.paused else {
      s.message = "pause the clock (space) to step"
      return []
    }
    return [.stepEvent]
  case .focusNext:
    if s.details.isEmpty { s.focus = Pane(rawValue: (s.focus.rawValue + 1) % Pane.allCases.count)! }
    return []
  case .focusPrevious:
    if s.details.isEmpty {
      s.focus = Pane(rawValue: (s.focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!
    }
    return []
  case .up, .down, .pageUp, .pageDown:
    let step = (a == .up || a == .down) ? 1 : 10
    let delta = (a == .up || a == .pageUp) ? -step : step
    if s.details.isEmpty {
      let n = ctx.rows(s.focus)
      s.selection[s.focus] = max(0, min(max(0, n - 1), s.selected(s.focus) + delta))
    } else {
      let n = s.details.last.map {
        if case .inject = $0 { return ctx.injectTargets.count } else { return ctx.detailLines }
      }
      s.detailScroll = max(0, min(max(0, (n ?? 0) - 1), s.detailScroll + delta))
    }
    return []
  case .open:
    if case .inject(let draft)? = s.details.last {
      guard s.detailScroll < ctx.injectTargets.count else { return [] }
      let t = ctx.injectTargets[s.detailScroll]
      s.details.removeLast()
      s.detailScroll = 0
      return [
        .inject(
          requestID: draft.requestID, message: draft.message, attributes: draft.attributes, topic: t.topic,
          queue: t.queue)
      ]
    }
    guard s.details.isEmpty || s.details.last == .help, let d = ctx.openable(s.focus, s.selected(s.focus)) else {
      return []
    }
    push(&s, d)
    return []
  case .chart:
    guard s.details.isEmpty || s.details.last == .help else { return [] }
    guard s.focus == .queues, s.selected(.queues) < ctx.queues.count else {
      s.message = "select a queue in the Queues pane to chart it (and the function its trigger invokes)"
      return []
    }
    push(&s, .chart(queue: ctx.queues[s.selected(.queues)]))
    return []
  case .inject:
    guard s.details.isEmpty, s.focus == .requests, let id = ctx.requestID(s.selected(.requests)) else {
      s.message = "select a request with an ID in the Requests pane to inject it (or I to type one)"
      return []
    }
    push(&s, .inject(InjectDraft(requestID: id)))
    return []
  case .injectByID:
    if s.details.isEmpty { s.editor = Editor(purpose: .requestID, text: "") }
    return []
  case .editMessage:
    if case .inject(let draft)? = s.details.last {
      s.editor = Editor(purpose: .message, text: draft.message ?? Payload.requestRef(draft.requestID).text)
    }
    return []
  case .editAttributes:
    if case .inject(let draft)? = s.details.last {
      s.editor = Editor(
        purpose: .attributes, text: draft.attributes.map { "\($0.name)=\($0.value)" }.joined(separator: ", "))
    }
    return []
  case .editorType(let c):
    s.editor?.text.append(c)
    return []
  case .editorErase:
    if s.editor?.text.isEmpty == false { s.editor!.text.removeLast() }
    return []
  case .editorCancel:
    s.editor = nil
    return []
  case .editorSubmit:
    guard let e = s.editor else { return [] }
    s.editor = nil
    submit(&s, e)
    return []
  case .redrive:
    guard s.details.isEmpty, s.focus == .queues, s.selected(.queues) < ctx.queues.count else {
      s.message = "select a dead-letter queue in the Queues pane to redrive it"
      return []
    }
    return [.redrive(queue: ctx.queues[s.selected(.queues)])]
  case .cycleDuplicates:
    guard s.details.isEmpty, s.focus == .queues, s.selected(.queues) < ctx.queues.count else {
      s.message = "select a queue in the Queues pane to switch its duplicates (at-least-once delivery)"
      return []
    }
    let i = s.selected(.queues)
    let now = i < ctx.duplicateRates.count ? ctx.duplicateRates[i] : 0
    let next = now == 0 ? 0.01 : now < 0.1 ? 0.1 : 0
    s.message =
      next > 0
      ? "\(ctx.queues[i]): \(percentText(next)) of receives leave a copy (at-least-once delivery)"
      : "\(ctx.queues[i]): no duplicates"
    return [.setDuplicateRate(queue: ctx.queues[i], rate: next)]
  case .saveReplay:
    s.saveRequested = true
    return []
  case .back:
    if !s.details.isEmpty {
      s.details.removeLast()
      s.detailScroll = 0
    }
    return []
  case .help:
    if s.details.last == .help { s.details.removeLast() } else { s.details.append(.help) }
    s.detailScroll = 0
    return []
  case .quit:
    s.quit = true
    return []
  case .resize(let w, let h):
    s.width = w
    s.height = h
    return []
  }
}

private func push(_ s: inout AppState, _ d: Detail) {
  s.details.append(d)
  s.detailScroll = 0
}

/// A typed line is done: a request ID opens the inject chooser; a message or attributes change
/// the draft being injected.
private func submit(_ s: inout AppState, _ e: Editor) {
  switch e.purpose {
  case .requestID:
    guard let id = RequestID(hex: e.text.trimmingCharacters(in: .whitespaces).lowercased()) else {
      s.message = "a request ID is 32 hex digits"
      return
    }
    push(&s, .inject(InjectDraft(requestID: id)))
  case .message:
    if case .inject(var draft)? = s.details.last {
      draft.message = e.text
      s.details[s.details.count - 1] = .inject(draft)
    }
  case .attributes:
    guard case .inject(var draft)? = s.details.last else { return }
    var attrs: [MessageAttribute] = []
    for part in e.text.split(separator: ",") {
      let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      guard kv.count == 2, !kv[0].isEmpty else {
        s.message = "attributes are name=value, separated by commas"
        return
      }
      attrs.append(MessageAttribute(name: kv[0], dataType: Double(kv[1]) != nil ? "Number" : "String", value: kv[1]))
    }
    draft.attributes = attrs
    s.details[s.details.count - 1] = .inject(draft)
  }
}

extension Action {
  /// Keys that go to a line being typed leave the last message on the hint bar.
  var isTyping: Bool {
    switch self {
    case .editorType, .editorErase: return true
    default: return false
    }
  }
}

/// The action for a key while a line is being typed.
public func editorAction(for key: Key) -> Action? {
  switch key {
  case .char(let c): return .editorType(c)
  case .backspace: return .editorErase
  case .escape: return .editorCancel
  case .enter: return .editorSubmit
  default: return nil
  }
}
