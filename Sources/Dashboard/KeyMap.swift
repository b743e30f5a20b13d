import TermRender

// MARK: - Key bindings: one table for dispatch, the hint bar and the help overlay

/// One binding.
public struct Binding: Sendable {
  public var keys: [Key]
  public var label: String
  public var help: String
  public var inBar: Bool
  public var action: @Sendable (Key) -> Action?
}

/// The bindings, in the order the help overlay lists them.
public let keyBindings: [Binding] = [
  Binding(keys: [.char("p")], label: "p", help: "fire one request at the preprocessor", inBar: true) { _ in .fire },
  Binding(keys: [.char("P")], label: "P", help: "fire a burst of 10 requests", inBar: true) { _ in .fireBurst },
  Binding(
    keys: (1...9).map { .char(Character(String($0))) }, label: "1-9",
    help: "pause/resume service N's trigger (Enabled=false: messages wait in its queue)", inBar: true
  ) { key in
    if case .char(let c) = key, let n = Int(String(c)) { return .toggleMapping(n) }
    return nil
  },
  Binding(
    keys: [.char("f")], label: "f N", help: "break service N (every invocation errors) or mend it", inBar: true
  ) { _ in .chooseFailure },
  Binding(
    keys: [.char("r")], label: "r",
    help: "redrive the selected dead-letter queue back to its source queues (500/s; again cancels)", inBar: false
  ) { _ in .redrive },
  Binding(
    keys: [.char("i")], label: "i",
    help: "inject the selected request at any stage: a topic (its subscribers) or one queue; Enter chooses",
    inBar: false
  ) { _ in .inject },
  Binding(keys: [.char("I")], label: "I", help: "inject a request by typing its ID", inBar: false) { _ in
    .injectByID
  },
  Binding(
    keys: [.char("e")], label: "e", help: "in the inject chooser: edit the message before sending it", inBar: false
  ) {
    _ in .editMessage
  },
  Binding(
    keys: [.char("a")], label: "a", help: "in the inject chooser: message attributes, as name=value, name2=42",
    inBar: false
  ) { _ in .editAttributes },
  Binding(
    keys: [.char("w")], label: "w", help: "write the session so far to the --record file (for --replay)", inBar: false
  ) {
    _ in .saveReplay
  },
  Binding(keys: [.char(" ")], label: "space", help: "pause/resume the clock", inBar: true) { _ in .togglePause },
  Binding(keys: [.char("+"), .char("=")], label: "+/-", help: "speed up / slow down (×0.1 to ×1000)", inBar: true) {
    _ in .faster
  },
  Binding(keys: [.char("-"), .char("_")], label: "-", help: "slow down", inBar: false) { _ in .slower },
  Binding(keys: [.char(".")], label: ".", help: "advance to the next event while paused", inBar: true) { _ in
    .stepEvent
  },
  Binding(keys: [.tab], label: "Tab", help: "focus the next pane (Shift-Tab: previous)", inBar: true) { _ in
    .focusNext
  },
  Binding(keys: [.backTab], label: "S-Tab", help: "focus the previous pane", inBar: false) { _ in .focusPrevious },
  Binding(keys: [.up, .char("k")], label: "↑/k", help: "select the previous row (scroll up in a detail)", inBar: false)
  { _ in .up },
  Binding(keys: [.down, .char("j")], label: "↓/j", help: "select the next row (scroll down in a detail)", inBar: false)
  { _ in .down },
  Binding(keys: [.pageUp], label: "PgUp", help: "ten rows up", inBar: false) { _ in .pageUp },
  Binding(keys: [.pageDown], label: "PgDn", help: "ten rows down", inBar: false) { _ in .pageDown },
  Binding(
    keys: [.enter], label: "Enter",
    help: "details: a request's timeline, a message's body and receives, a queue's attributes, an object's content",
    inBar: true
  ) { _ in .open },
  Binding(keys: [.escape], label: "Esc", help: "close the detail view", inBar: false) { _ in .back },
  Binding(keys: [.char("?")], label: "?", help: "this help", inBar: true) { _ in .help },
  Binding(keys: [.char("q"), .ctrlC], label: "q", help: "quit (Ctrl-C too)", inBar: true) { _ in .quit },
]

/// The action for a key, from the binding table.
public func action(for key: Key) -> Action? {
  for b in keyBindings where b.keys.contains(key) { return b.action(key) }
  return nil
}

/// The hint bar's text.
public func hintBar(width: Int) -> String {
  keyBindings.filter(\.inBar).map { "\($0.label) \(shortHelp($0))" }.joined(separator: "  ")
}

private func shortHelp(_ b: Binding) -> String {
  switch b.label {
  case "p": return "fire"
  case "P": return "burst"
  case "1-9": return "pause svc"
  case "f N": return "break svc"
  case "space": return "clock"
  case "+/-": return "speed"
  case ".": return "step"
  case "Tab": return "pane"
  case "Enter": return "details"
  case "?": return "help"
  case "q": return "quit"
  default: return b.help
  }
}
