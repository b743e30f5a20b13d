// MARK: - The reducer

/// Applies an action to the state and returns what the simulation must do. `rows` gives the
/// number of rows of each pane, for selection bounds; `detailLines` the length of the open detail.
public func reduce(_ s: inout AppState, _ a: Action, rows: (Pane) -> Int, detailLines: Int = 0) -> [Command] {
  if s.choosingFailure, a != .chooseFailure {
    s.choosingFailure = false
    if case .toggleMapping(let n) = a { return reduce(&s, .toggleFailure(n), rows: rows, detailLines: detailLines) }
    s.message = ""
    if a != .quit { return [] }
  }
  if s.replaying {
    switch a {
    case .fire, .fireBurst, .toggleMapping, .chooseFailure, .toggleFailure, .stepEvent, .redrive, .inject, .injectByID,
      .editMessage, .editAttributes:
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
    guard n >= 1, n <= s.mappingEnabled.count else {
      s.message = "no service \(n)"
      return []
    }
    s.mappingEnabled[n - 1].toggle()
    let on = s.mappingEnabled[n - 1]
    s.message = "\(s.serviceNames[n - 1]) trigger \(on ? "resumed" : "paused: messages wait in its queue")"
    return [.setMapping(n - 1, enabled: on)]
  case .chooseFailure:
    s.choosingFailure = true
    s.message = "break or mend which service? 1-\(s.serviceNames.count)"
    return []
  case .toggleFailure(let n):
    guard n >= 1, n <= s.failing.count else {
      s.message = "no service \(n)"
      return []
    }
    s.failing[n - 1].toggle()
    let broken = s.failing[n - 1]
    s.message = "\(s.serviceNames[n - 1]) \(broken ? "broken: every invocation errors" : "mended")"
    return [.setFailure(service: n - 1, failing: broken)]
  case .togglePause:
    s.paused.toggle()
    s.message = s.paused ? "clock paused (. steps one event)" : "clock running"
    return []
  case .faster:
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
      let n = rows(s.focus)
      s.selection[s.focus] = max(0, min(max(0, n - 1), s.selected(s.focus) + delta))
    } else {
      s.detailScroll = max(0, min(max(0, detailLines - 1), s.detailScroll + delta))
    }
    return []
  case .open, .redrive, .inject, .injectByID, .editMessage, .editAttributes:
    return []
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
