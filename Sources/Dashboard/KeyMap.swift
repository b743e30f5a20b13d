import TermRender

// MARK: - Key bindings: one table for dispatch, the hint bar and the help overlay

/// One binding: its keys, how the help names them, what it does, and its entry on the hint bar.
public struct Binding: Sendable {
  public var keys: [Key]
  public var label: String
  public var help: String
  /// The hint bar's entry (`p fire`), nil when the binding is only in the help.
  public var bar: String?
  public var action: @Sendable (Key) -> Action?

  public init(
    _ keys: [Key], _ label: String, _ help: String, bar: String? = nil, action: @escaping @Sendable (Key) -> Action?
  ) {
    self.keys = keys
    self.label = label
    self.help = help
    self.bar = bar
    self.action = action
  }

  public var inBar: Bool { bar != nil }
}

/// The bindings, in the order the help overlay and the hint bar list them.
public let keyBindings: [Binding] = [
  Binding([.char("p")], "p", "fire one request at the entry function", bar: "p fire") { _ in .fire },
  Binding([.char("P")], "P", "fire a burst of 10 requests", bar: "P burst") { _ in .fireBurst },
  Binding(
    (1...9).map { .char(Character(String($0))) }, "1-9",
    "pause/resume service N's trigger (Enabled=false: messages wait in its queue)", bar: "1-9 pause"
  ) { key in
    if case .char(let c) = key, let n = Int(String(c)) { return .toggleMapping(n) }
    return nil
  },
  Binding([.char("f")], "f N", "break service N (every invocation errors) or mend it", bar: "f N break") { _ in
    .chooseFailure
  },
  Binding(
    [.char("r")], "r",
    "redrive the selected dead-letter queue back to its source queues (optimised rate; again cancels)"
  ) { _ in .redrive },
  Binding(
    [.char("d")], "d",
    "at-least-once delivery on the selected queue: receives leave a copy 1 % → 10 % → off (duplicateRate)"
  ) { _ in .cycleDuplicates },
  Binding(
    [.char("i")], "i", "inject the selected request at any stage: a topic (its subscribers) or one queue; Enter chooses"
  ) { _ in .inject },
  Binding([.char("I")], "I", "inject a request by typing its ID") { _ in .injectByID },
  Binding([.char("e")], "e", "in the inject chooser: edit the message before sending it") { _ in .editMessage },
  Binding([.char("a")], "a", "in the inject chooser: message attributes, as name=value, name2=42") { _ in
    .editAttributes
  },
  Binding(
    [.char("c")], "c",
    "charts of the selected queue: depth, executions against the pollers' target, latency, errors",
    bar: "c chart"
  ) { _ in .chart },
  Binding([.char("w")], "w", "write the session so far to the --record file (for --replay)") { _ in .saveReplay },
  Binding([.char(" ")], "space", "pause/resume the clock", bar: "space clock") { _ in .togglePause },
  Binding([.char("+"), .char("=")], "+", "speed up (×0.1 to ×1000)", bar: "+/- speed") { _ in .faster },
  Binding([.char("-"), .char("_")], "-", "slow down") { _ in .slower },
  Binding([.char(".")], ".", "advance to the next event while paused", bar: ". step") { _ in .stepEvent },
  Binding([.tab], "Tab", "focus the next pane", bar: "Tab pane") { _ in .focusNext },
  Binding([.backTab], "S-Tab", "focus the previous pane") { _ in .focusPrevious },
  Binding([.up, .char("k")], "↑/k", "select the previous row (scroll up in a detail)") { _ in .up },
  Binding([.down, .char("j")], "↓/j", "select the next row (scroll down in a detail)") { _ in .down },
  Binding([.pageUp], "PgUp", "ten rows up") { _ in .pageUp },
  Binding([.pageDown], "PgDn", "ten rows down") { _ in .pageDown },
  Binding(
    [.enter], "Enter",
    "details: a request's timeline, a message's body and receives, a queue's attributes, an object's content",
    bar: "Enter details"
  ) { _ in .open },
  Binding([.escape], "Esc", "close the detail view") { _ in .back },
  Binding([.char("?")], "?", "this help", bar: "? help") { _ in .help },
  Binding([.char("q"), .ctrlC], "q", "quit (Ctrl-C too)", bar: "q quit") { _ in .quit },
]

/// The action for a key, from the binding table.
public func action(for key: Key) -> Action? {
  for b in keyBindings where b.keys.contains(key) { return b.action(key) }
  return nil
}

/// The hint bar's text: the bar entries of the binding table, in its order.
public func hintBar(width: Int) -> String {
  keyBindings.compactMap(\.bar).joined(separator: "  ")
}
