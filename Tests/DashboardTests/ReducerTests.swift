import Testing

@testable import Dashboard
@testable import FanoutSim
@testable import TermRender

@Suite("Key bindings and the reducer")
struct ReducerTests {
  func state() -> AppState { AppState(seed: 1) }

  /// Three services as the model's events left them: all enabled and working unless told.
  static func services(enabled: [Bool] = [true, true, true], failing: [Bool] = [false, false, false]) -> [ServiceInfo] {
    (0..<3).map { ServiceInfo(name: "service0\($0 + 1)", enabled: enabled[$0], failing: failing[$0]) }
  }

  func run(
    _ s: inout AppState, _ a: Action, rows: Int = 5, services: [ServiceInfo] = ReducerTests.services()
  ) -> [Command] {
    reduce(&s, a, ReduceContext(rows: { _ in rows }, services: services))
  }

  /// Presses a key: its action from the binding table, then the reducer.
  func press(_ s: inout AppState, _ key: Key, rows: Int = 5, detailLines: Int = 0) -> [Command] {
    guard let a = action(for: key) else {
      Issue.record("no action for \(key)")
      return []
    }
    return reduce(&s, a, ReduceContext(rows: { _ in rows }, detailLines: detailLines, services: Self.services()))
  }

  @Test("Every key of the binding table, and no other, maps to its action")
  func everyKey() {
    var expected: [(Key, Action)] = [
      (.char("p"), .fire), (.char("P"), .fireBurst), (.char("f"), .chooseFailure), (.char("r"), .redrive),
      (.char("i"), .inject), (.char("I"), .injectByID), (.char("e"), .editMessage), (.char("a"), .editAttributes),
      (.char("w"), .saveReplay), (.char(" "), .togglePause), (.char("+"), .faster), (.char("="), .faster),
      (.char("-"), .slower), (.char("_"), .slower), (.char("."), .stepEvent), (.tab, .focusNext),
      (.backTab, .focusPrevious), (.up, .up), (.char("k"), .up), (.down, .down), (.char("j"), .down),
      (.pageUp, .pageUp), (.pageDown, .pageDown), (.enter, .open), (.escape, .back), (.char("?"), .help),
      (.char("c"), .chart), (.char("d"), .cycleDuplicates),
      (.char("q"), .quit), (.ctrlC, .quit),
    ]
    for n in 1...9 { expected.append((.char(Character(String(n))), .toggleMapping(n))) }
    let tableKeys = keyBindings.flatMap(\.keys)
    #expect(tableKeys.count == expected.count && Set(tableKeys) == Set(expected.map(\.0)), "\(tableKeys)")
    for (key, a) in expected { #expect(action(for: key) == a, "\(key)") }
    for key: Key in [.char("z"), .char("0"), .char("K"), .backspace, .resize] { #expect(action(for: key) == nil) }
    #expect(
      hintBar(width: 120)
        == "p fire  P burst  1-9 pause  f N break  c chart  space clock  +/- speed  . step  Tab pane  Enter details  ? help  q quit"
    )
  }

  @Test("p fires one request, P a burst of ten, each saying so")
  func fire() {
    var s = state()
    #expect(run(&s, .fire) == [.fire(1)])
    #expect(s.message == "fired 1 request")
    #expect(run(&s, .fireBurst) == [.fire(10)])
    #expect(s.message == "fired 10 requests")
  }

  @Test("1-9 pause and resume service N's trigger, as the model last saw it; a missing service is refused")
  func pauseService() {
    var s = state()
    #expect(run(&s, .toggleMapping(1)) == [.setMapping(0, enabled: false)])
    #expect(s.message == "service01 trigger paused: messages wait in its queue")
    // The model's lambda.mapping event said it is paused: the same key resumes it.
    let paused = Self.services(enabled: [false, true, true])
    #expect(run(&s, .toggleMapping(1), services: paused) == [.setMapping(0, enabled: true)])
    #expect(s.message == "service01 trigger resumed")
    #expect(run(&s, .toggleMapping(7)) == [])
    #expect(s.message == "no service 7")
  }

  @Test("f then N breaks service N, and again mends it; f then another key cancels")
  func breakService() {
    var s = state()
    #expect(run(&s, .chooseFailure) == [])
    #expect(s.choosingFailure)
    #expect(run(&s, .toggleMapping(2)) == [.setFailure(service: 1, failing: true)])
    #expect(!s.choosingFailure, "the digit broke the service, not its trigger")
    _ = run(&s, .chooseFailure)
    let broken = Self.services(failing: [false, true, false])
    #expect(run(&s, .toggleMapping(2), services: broken) == [.setFailure(service: 1, failing: false)])
    _ = run(&s, .chooseFailure)
    #expect(run(&s, .fire) == [])
    #expect(!s.choosingFailure)
  }

  @Test("space pauses the clock; . steps only while paused; +/- change speed within ×0.1…×1000")
  func clock() {
    var s = state()
    #expect(run(&s, .stepEvent) == [])
    #expect(s.message == "pause the clock (space) to step")
    _ = run(&s, .togglePause)
    #expect(s.paused)
    #expect(s.message == "clock paused (. steps one event)")
    #expect(run(&s, .stepEvent) == [.stepEvent])
    _ = run(&s, .faster)
    #expect(s.speed == 2)
    _ = run(&s, .slower)
    _ = run(&s, .slower)
    #expect(s.speed == 0.5)
    for _ in 0..<20 { _ = run(&s, .faster) }
    #expect(s.speed == 1_000)
    for _ in 0..<20 { _ = run(&s, .slower) }
    #expect(s.speed == 0.1)
    _ = run(&s, .togglePause)
    #expect(!s.paused && s.message == "clock running")
  }

  @Test("With real code or clients taking part (live), + stops at ×1 and says why; - still slows the clock")
  func liveSpeedIsCappedAtOne() {
    var s = state()
    s.live = "function code"
    #expect(s.speed == 1)
    _ = run(&s, .faster)
    #expect(s.speed == 1)
    #expect(s.message.contains("the clock goes at ×1 at most"))
    _ = run(&s, .slower)
    #expect(s.speed == 0.5)
    _ = run(&s, .faster)
    #expect(s.speed == 1)
  }

  @Test("↑ and k move the selection up one row, ↓ and j down one, within the focused pane's rows")
  func upAndDownKeys() {
    var s = state()
    s.focus = .requests
    s.selection[.requests] = 3
    _ = press(&s, .char("k"), rows: 25)
    #expect(s.selected(.requests) == 2)
    _ = press(&s, .up, rows: 25)
    #expect(s.selected(.requests) == 1)
    for _ in 0..<3 { _ = press(&s, .char("k"), rows: 25) }
    #expect(s.selected(.requests) == 0, "stops at the first row")
    _ = press(&s, .char("j"), rows: 3)
    _ = press(&s, .down, rows: 3)
    _ = press(&s, .char("j"), rows: 3)
    #expect(s.selected(.requests) == 2, "stops at the last row")
    #expect(s.selected(.queues) == 0, "other panes keep their selection")
  }

  @Test("PgDn and PgUp move the selection ten rows, stopping at the ends")
  func pageKeys() {
    var s = state()
    s.focus = .events
    _ = press(&s, .pageDown, rows: 25)
    #expect(s.selected(.events) == 10)
    _ = press(&s, .pageDown, rows: 25)
    #expect(s.selected(.events) == 20)
    _ = press(&s, .pageDown, rows: 25)
    #expect(s.selected(.events) == 24, "the last row")
    _ = press(&s, .pageUp, rows: 25)
    #expect(s.selected(.events) == 14)
    _ = press(&s, .pageUp, rows: 25)
    _ = press(&s, .pageUp, rows: 25)
    #expect(s.selected(.events) == 0)
    _ = press(&s, .pageDown, rows: 0)
    #expect(s.selected(.events) == 0, "an empty pane stays at 0")
  }

  @Test("In a detail view the same keys scroll it, by a line or ten, within its lines; the pane keeps its row")
  func detailScrollKeys() {
    var s = state()
    s.selection[.queues] = 2
    s.details = [.queue("service01")]
    func press(_ key: Key) { _ = self.press(&s, key, rows: 6, detailLines: 25) }
    press(.pageDown)
    #expect(s.detailScroll == 10)
    press(.char("j"))
    press(.down)
    #expect(s.detailScroll == 12)
    press(.char("k"))
    #expect(s.detailScroll == 11)
    press(.pageDown)
    press(.pageDown)
    #expect(s.detailScroll == 24, "the last line")
    press(.pageUp)
    press(.up)
    #expect(s.detailScroll == 13)
    #expect(s.selected(.queues) == 2)
    press(.escape)
    #expect(s.details.isEmpty && s.detailScroll == 0, "closing resets the scroll")
  }

  @Test("w asks the terminal loop to write the session (no simulation command), also while replaying")
  func writeKey() {
    var s = state()
    #expect(press(&s, .char("w")) == [])
    #expect(s.saveRequested)
    var r = state()
    r.replaying = true
    #expect(press(&r, .char("w")) == [])
    #expect(r.saveRequested && r.message.isEmpty, "not refused while replaying")
  }

  @Test("Tab and Shift-Tab cycle focus; arrows move the selection within the pane's rows")
  func focusAndSelection() {
    var s = state()
    _ = run(&s, .focusNext)
    #expect(s.focus == .inFlight)
    _ = run(&s, .focusPrevious)
    _ = run(&s, .focusPrevious)
    #expect(s.focus == .events)
    _ = run(&s, .down, rows: 3)
    _ = run(&s, .down, rows: 3)
    _ = run(&s, .down, rows: 3)
    #expect(s.selected(.events) == 2)
    _ = run(&s, .pageUp, rows: 3)
    #expect(s.selected(.events) == 0)
  }

  @Test("Esc closes the top detail view; ? toggles help; q quits; a resize is remembered")
  func detailsHelpQuit() {
    var s = state()
    s.details = [.queue("service01")]
    _ = run(&s, .help)
    #expect(s.details == [.queue("service01"), .help])
    _ = run(&s, .help)
    _ = run(&s, .back)
    #expect(s.details.isEmpty)
    _ = run(&s, .resize(100, 30))
    #expect(s.width == 100 && s.height == 30)
    _ = run(&s, .quit)
    #expect(s.quit)
  }

  @Test("The dashboard applies commands: pausing service01 makes its queue hold new requests")
  func commandsReachTheSimulation() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 2)
    let d = Dashboard(sim: sim)
    d.handle(.toggleMapping(1))
    d.handle(.fireBurst)
    sim.run(until: sim.now + .seconds(5))
    #expect(sim.queue(named: "service01")!.visibleCount == 10)
    #expect(sim.queue(named: "service02")!.depth == 0)
    d.handle(.chooseFailure)
    d.handle(.toggleMapping(2))
    #expect(sim.function(named: "service02")!.failure.errorRate == 1)
    d.handle(.focusNext)
    d.handle(.focusNext)
    d.handle(.open)
    #expect(d.state.details.count == 1)
  }
}

@Suite("Small view helpers")
struct ViewHelperTests {
  @Test("Long S3 keys keep their last folder and the start of the name")
  func shortKeys() {
    #expect(shortKey("a/b.json", 20) == "a/b.json")
    #expect(shortKey("fanout/service01/2e69bf235a52df347f8864c0074a47e2.json", 22) == "…/service01/2e69bf235…")
    #expect(shortKey("x/y/z/service01/2e69bf235a.json", 27) == "…/service01/2e69bf235a.json")
  }

  @Test("In flight: the visibility left as a gauge of the queue's timeout, then the time left")
  func inFlightGauge() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 1)
    let d = Dashboard(sim: sim)
    // service01 times out after 3 s; its message stays in flight for the 30 s visibility timeout.
    try sim.setFailure(function: "service01", FailureSpec(timeoutRate: 1))
    d.handle(.fire)
    while !d.model.inFlight.values.contains(where: { $0.queue == "service01" }) { try #require(sim.step()) }
    let received = try #require(inFlightList(d.model).first { $0.queue == "service01" }).receivedAt
    let full = try #require(paneRows(.inFlight, d.state, d.model, .unicode).rows.first { $0.cells[0] == "service01" })
    #expect(full.cells[4] == "█████████  30.0s")
    sim.run(until: received + .seconds(15))
    d.refresh()
    let half = try #require(paneRows(.inFlight, d.state, d.model, .unicode).rows.first { $0.cells[0] == "service01" })
    #expect(half.cells[4] == "█████░░░░  15.0s")
    sim.run(until: received + .seconds(27))
    d.refresh()
    let ascii = try #require(paneRows(.inFlight, d.state, d.model, .ascii).rows.first { $0.cells[0] == "service01" })
    #expect(ascii.cells[4] == "#........   3.0s")
  }
}

@Suite("The pipeline model's bounds")
struct ModelBoundsTests {
  @Test("Long sessions stay bounded: request rows, per-message maps and event lines")
  func bounded() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 4)
    let d = Dashboard(sim: sim)
    sim.startLoad(count: 4_000, rate: 200)
    sim.runUntilDrained()
    d.refresh()
    #expect(d.model.requests.count == PipelineModel.maxRequests)
    #expect(d.model.droppedRequests == 2_000)
    #expect(d.model.trackedMessages == sim.queues.reduce(0) { $0 + $1.depth }, "only stored messages are tracked")
    #expect(d.model.trackedIDs <= PipelineModel.maxRequests)
    #expect(d.model.eventLineCount == PipelineModel.maxRows)
    #expect(d.model.history.count == PipelineModel.eventHistory, "the event history is full, and no larger")
    #expect(d.model.s3.count == PipelineModel.maxRows)
    #expect(d.model.inFlight.isEmpty)
  }
}

@Suite("Redrive from the dashboard")
struct DashboardRedriveTests {
  @Test("r on a selected DLQ starts a move task back to the source queue; r again cancels; elsewhere it explains")
  func redriveKey() throws {
    let sim = try Simulation(topology: .seedPipeline(), seed: 3)
    let d = Dashboard(sim: sim)
    d.handle(.chooseFailure)
    d.handle(.toggleMapping(1))
    for _ in 0..<3 { d.handle(.fire) }
    sim.runUntilDrained()
    #expect(sim.queue(named: "service01-dlq")!.visibleCount == 3)
    d.handle(.chooseFailure)
    d.handle(.toggleMapping(1))
    d.handle(.focusNext)
    d.handle(.redrive)
    #expect(d.state.message.contains("select a dead-letter queue"))
    d.handle(.focusPrevious)
    d.handle(.down)
    #expect(d.handle(.redrive) == [.redrive(queue: "service01-dlq")])
    #expect(sim.moveTasks.count == 1 && sim.moveTasks[0].status == .running)
    sim.runUntilDrained()
    #expect(sim.queue(named: "service01-dlq")!.depth == 0)
    #expect(sim.tracker.completed == 3)
    #expect(
      d.model.requests.allSatisfy { r in
        r.timeline.compactMap(d.model.event(seq:)).contains {
          timelineLines($0, request: r.id).contains { $0.contains("redriven from service01-dlq") }
        }
      })
  }
}

@Suite("At-least-once delivery from the dashboard")
struct DashboardDuplicateTests {
  @Test("d on a selected queue switches its duplicates 1 % → 10 % → off, as a recorded command; elsewhere it explains")
  func testDuplicatesKeySwitchesTheSelectedQueue() throws {
    var s = AppState(seed: 1)
    let ctx = ReduceContext(rows: { _ in 6 }, queues: ["service01", "service01-dlq"], duplicateRates: [0, 0.1])
    #expect(reduce(&s, .cycleDuplicates, ctx) == [.setDuplicateRate(queue: "service01", rate: 0.01)])
    #expect(s.message == "service01: 1 % of receives leave a copy (at-least-once delivery)")
    s.selection[.queues] = 1
    #expect(reduce(&s, .cycleDuplicates, ctx) == [.setDuplicateRate(queue: "service01-dlq", rate: 0)])
    #expect(s.message == "service01-dlq: no duplicates")
    s.focus = .events
    #expect(reduce(&s, .cycleDuplicates, ctx).isEmpty)
    #expect(s.message.contains("select a queue"))
    s.replaying = true
    s.focus = .queues
    #expect(reduce(&s, .cycleDuplicates, ctx).isEmpty)

    // On a dashboard: the queue duplicates, the model follows, the replay records and replays it.
    let sim = try Simulation(topology: .seedPipeline(), seed: 4)
    let d = Dashboard(sim: sim)
    #expect(d.handleKey(.char("d")) == [.setDuplicateRate(queue: "service01", rate: 0.01)])
    d.handleKey(.char("d"))
    #expect(sim.queue(named: "service01")!.duplicateRate == 0.1)
    #expect(d.model.duplicateRates[0] == 0.1)
    for _ in 0..<40 { d.handle(.fire) }
    sim.runUntilDrained()
    #expect(sim.queue(named: "service01")!.counters.duplicated > 0)
    #expect(sim.queue(named: "service02")!.counters.duplicated == 0)
    let log = try ReplayLog.parse(d.replayLog().text)
    #expect(log == d.replayLog())
    #expect(log.entries.contains { $0.command == .setDuplicateRate(queue: "service01", rate: 0.1) })
    let again = try Simulation(topology: .seedPipeline(), seed: 4)
    var player = ReplayPlayer(log: log)
    _ = player.advance(again, to: sim.now)
    again.runUntilDrained()
    #expect(again.queue(named: "service01")!.counters == sim.queue(named: "service01")!.counters)
  }
}

@Suite("Keys pressed on a dashboard")
struct DashboardKeyTests {
  @Test("↓/j, ↑/k and PgDn on the Requests pane choose the request that Enter opens (newest first)")
  func selectionKeys() throws {
    let d = try scriptedDashboard(width: 120, height: 40)
    d.handleKey(.tab)
    d.handleKey(.tab)
    #expect(d.state.focus == .requests)
    d.handleKey(.pageDown)
    #expect(d.state.selected(.requests) == 10)
    d.handleKey(.char("k"))
    d.handleKey(.up)
    d.handleKey(.char("j"))
    #expect(d.state.selected(.requests) == 9)
    d.handleKey(.enter)
    #expect(d.state.details == [.request(fire: 4)], "13 requests, newest first: row 9 is the fourth fired")
    d.handleKey(.escape)
    d.handleKey(.pageDown)
    #expect(d.state.selected(.requests) == 12, "the last row")
    d.handleKey(.down)
    #expect(d.state.selected(.requests) == 12)
    d.handleKey(.enter)
    #expect(d.state.details == [.request(fire: 1)])
  }

  @Test("PgDn scrolls an open detail ten lines at a time, up to its last line; k one line back")
  func detailScroll() throws {
    let d = try scriptedDashboard(width: 120, height: 40)
    d.handleKey(.char("?"))
    func top() -> String { trimmed(d.screen(glyphs: .unicode))[2] }
    #expect(top().hasPrefix("│Keys "))
    d.handleKey(.pageDown)
    #expect(top().hasPrefix("│  a       in the inject chooser: message attributes"))
    d.handleKey(.pageDown)
    #expect(top().hasPrefix("│  ↓/j     select the next row"))
    d.handleKey(.pageDown)
    d.handleKey(.pageDown)
    #expect(top().hasPrefix("│visibility timeout and, after maxReceiveCount receives"), "stops at the last line")
    d.handleKey(.char("k"))
    #expect(top().hasPrefix("│Breaking a service makes every invocation error"))
    #expect(d.state.selected(.queues) == 0, "the pane behind keeps its selection")
  }

  @Test("w leaves the write to the terminal loop: no command reaches the simulation or the recording")
  func writeKey() throws {
    let d = try scriptedDashboard(width: 120, height: 40)
    let before = d.replayLog()
    let events = d.model.history.count
    #expect(d.handleKey(.char("w")) == [])
    #expect(d.state.saveRequested)
    #expect(d.replayLog() == before)
    #expect(d.model.history.count == events)
  }
}
